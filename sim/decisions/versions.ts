// The upstream versions whose behaviour kedasim models, and the comparisons the decision code
// branches on. One place for every version-dependent rule (README "Versions" table).
//
// Defaults are the newest releases modelled — the ones the cluster mode pins.

export const NEWEST_KEDA_VERSION = "2.21.0";
export const NEWEST_KUBERNETES_VERSION = "1.37.2";

/** "v2.19.0" / "2.19" / "2.19.1-rc1" -> [2, 19, 1]; null when not a version. */
export function parseVersion(v: string): [number, number, number] | null {
  const m = /^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?(?:[-+][0-9A-Za-z.-]*)?$/.exec(v.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3])];
}

/** a >= b for two version strings (both must parse; an unparsable one is a programming error). */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) throw new Error(`not a version: ${pa ? b : a}`);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] > pb[i];
  return true;
}

/**
 * KEDA v2.19 (kedacore/keda#7244, e414cb457 "apply fallback in polling loop to enable scaling from
 * zero"): pkg/scaling/scale_handler.go getScalerState goes through fallback.GetMetricsWithFallback,
 * so a failing scaler past failureThreshold counts as active with no error. Before it the poll
 * loop neither read nor touched status.health.
 */
export const kedaFallbackInPollLoop = (kedaVersion: string | undefined): boolean => versionAtLeast(kedaVersion ?? NEWEST_KEDA_VERSION, "2.19.0");

/**
 * KEDA v2.18 (kedacore/keda#6901): controllers/keda/hpa.go newHPAForScaledObject writes
 * selectPolicy: Disabled into the HPA's behavior for paused-scale-in/out. Before it only KEDA's own
 * N -> 0 was blocked (scale_scaledobjects.go).
 */
export const kedaPausedScaleInHpaBehavior = (kedaVersion: string | undefined): boolean => versionAtLeast(kedaVersion ?? NEWEST_KEDA_VERSION, "2.18.0");

/**
 * redis_streams_scaler.go, lag mode: before v2.17 activationLagCount is required (parseRedisStreamsMetadata up
 * to 2.15: "activationLagCount required for Redis lag" when the key is absent); v2.16's typed-config refactor
 * (#5997) made that check `ActivationLagCount == 0`, so 0 was refused too and activation needed 2 entries
 * (kedacore/keda#6478); v2.17 (#6481) defaults it to 0.
 */
export function kedaRedisLagActivationRule(kedaVersion: string | undefined): "required" | "nonZero" | "default0" {
  const v = kedaVersion ?? NEWEST_KEDA_VERSION;
  if (versionAtLeast(v, "2.17.0")) return "default0";
  return versionAtLeast(v, "2.16.0") ? "nonZero" : "required";
}

/**
 * KEDA v2.17 (kedacore/keda#6407, ee2ca6e5f): scaledobject_webhook.go verifyFallback returns
 * CheckFallbackValid's error; before it the error was logged and the ScaledObject admitted.
 */
export const kedaFallbackValidated = (kedaVersion: string | undefined): boolean => versionAtLeast(kedaVersion ?? NEWEST_KEDA_VERSION, "2.17.0");

/**
 * What CheckFallbackValid wants of the triggers' metricType: 2.17.0 one trigger written as
 * "AverageValue" (an unset metricType did not count: kedacore/keda#6702, fixed in 2.17.1 and 2.18);
 * 2.17.1+ one trigger AverageValue or unset; v2.18 (kedacore/keda#6655, fallback for Value targets)
 * nothing (any trigger that is not cpu or memory).
 */
export function kedaFallbackNeedsAverageValue(kedaVersion: string | undefined): "averageValue" | "averageValueOrUnset" | "none" {
  const v = kedaVersion ?? NEWEST_KEDA_VERSION;
  if (versionAtLeast(v, "2.18.0")) return "none";
  return versionAtLeast(v, "2.17.1") ? "averageValueOrUnset" : "averageValue";
}

/**
 * KEDA v2.20 (kedacore/keda#7533): CRD markers (Minimum, MinLength, MinItems, Enum) and the CEL
 * rule "minReplicaCount must be less than or equal to maxReplicaCount" on ScaledObjectSpec, checked by
 * the API server before the webhook.
 */
export const kedaCrdValidation = (kedaVersion: string | undefined): boolean => versionAtLeast(kedaVersion ?? NEWEST_KEDA_VERSION, "2.20.0");

/** KEDA v2.20 (kedacore/keda#7762): verifyName rejects a name (or derived HPA name) over 63 characters. */
export const kedaRejectsLongNames = (kedaVersion: string | undefined): boolean => versionAtLeast(kedaVersion ?? NEWEST_KEDA_VERSION, "2.20.0");

/**
 * Kubernetes 1.33 (KEP-4951, kubernetes/enhancements#4951): replica_calculator.go tests the usage
 * ratio with Tolerances.isWithin ((1 - down) <= r <= (1 + up)) and the HPA API has
 * behavior.scale{Up,Down}.tolerance; before it, |1 - r| <= --horizontal-pod-autoscaler-tolerance.
 */
export const hpaHasTolerances = (kubernetesVersion: string | undefined): boolean => versionAtLeast(kubernetesVersion ?? NEWEST_KUBERNETES_VERSION, "1.33.0");

/**
 * The HPAConfigurableTolerance feature gate's default (pkg/features/kube_features.go): alpha, off,
 * in 1.33 and 1.34; beta, on, from 1.35 (kubernetes/kubernetes#133128). Before 1.33 the field does
 * not exist.
 */
export const hpaConfigurableToleranceDefault = (kubernetesVersion: string | undefined): boolean => versionAtLeast(kubernetesVersion ?? NEWEST_KUBERNETES_VERSION, "1.35.0");
