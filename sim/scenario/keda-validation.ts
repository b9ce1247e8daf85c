// What a cluster accepts for a ScaledObject: the API server's CRD schema (markers and the CEL rule,
// KEDA v2.20+, kedacore/keda#7533), then KEDA's admission webhook (scaledobject_webhook.go
// validateWorkload: verifyReplicaCount, verifyFallback, verifyName, verifyTriggers) and the
// controller's own checks (controllers/keda/scaledobject_controller.go reconcileScaledObject calls
// CheckReplicaCountBoundsAreValid and ValidateTriggers too, so it refuses such an object even where
// an old webhook let it through). Read, not copied: kedacore/keda v2.16.0–v2.20.2
// apis/keda/v1alpha1/{scaledobject_types.go, scaledobject_webhook.go, scaletriggers_types.go}.
//
// Replica counts (CheckReplicaCountBoundsAreValid): minReplicas is 0 when minReplicaCount is unset,
// else GetHPAMinReplicas() (at least 1); maxReplicas is GetHPAMaxReplicas(); min > max and
// idle >= min are rejected. So idleReplicaCount 0 with an explicit minReplicaCount 0 is accepted
// (0 < GetHPAMinReplicas() = 1), while idleReplicaCount 0 with minReplicaCount unset is not.
//
// The checks kedasim does not need: verifyScaledObjects / verifyHpas (another ScaledObject or HPA on
// the same workload: a scenario has one of each), verifyCPUMemoryScalers (no cpu/memory trigger is
// modelled), ValidateAndCompileScalingModifiers (scalingModifiers are refused as not modelled).
import type { ScaledObjectConfig } from "../decisions/keda.js";
import { hpaMinReplicas, KEDA_DEFAULTS } from "../decisions/keda.js";
import { kedaCrdValidation, kedaFallbackNeedsAverageValue, kedaFallbackValidated, kedaRejectsLongNames, versionAtLeast } from "../decisions/versions.js";

export interface Rejection {
  path: string;
  expected: string;
}

/**
 * The first rule the replica counts break, naming the field and KEDA's rule, or null.
 * `spec`: the keda.sh/v1alpha1 spec as written (to see which fields were set); null for the
 * keda.k8s.io shape (no CRD minimum on maxReplicaCount there; min is treated as set when > 0).
 */
export function replicaCountBoundsError(so: ScaledObjectConfig, spec: Record<string, unknown> | null): Rejection | null {
  if (spec !== null && spec.maxReplicaCount === 0) {
    return { path: "spec.maxReplicaCount", expected: "must be >= 1 (KEDA's CRD: +kubebuilder:validation:Minimum=1; the HPA requires maxReplicas > 0), got 0" };
  }
  const minSet = spec !== null ? spec.minReplicaCount !== undefined && spec.minReplicaCount !== null : so.minReplicaCount > 0;
  const min = minSet ? hpaMinReplicas(so) : 0;
  const max = so.maxReplicaCount;
  if (min > max) {
    return { path: "spec.maxReplicaCount", expected: `MinReplicaCount=${min} must be less than MaxReplicaCount=${max} (KEDA's admission webhook, CheckReplicaCountBoundsAreValid)` };
  }
  if (so.idleReplicaCount !== null && so.idleReplicaCount >= min) {
    return {
      path: "spec.idleReplicaCount",
      expected: `IdleReplicaCount=${so.idleReplicaCount} must be less than MinReplicaCount=${min} (KEDA's admission webhook, CheckReplicaCountBoundsAreValid${minSet ? "" : "; minReplicaCount is unset, so 0"})`,
    };
  }
  return null;
}

const scalingModifiersOf = (spec: Record<string, unknown>) =>
  (spec.advanced as { scalingModifiers?: { formula?: unknown; target?: unknown; metricType?: unknown } } | undefined)?.scalingModifiers;

/** ScaledObject.IsUsingModifiers (scaledobject_types.go): scalingModifiers with a formula or a target. */
function isUsingModifiers(spec: Record<string, unknown>): boolean {
  const m = scalingModifiersOf(spec);
  return !!m && ((typeof m.formula === "string" && m.formula !== "") || (typeof m.target === "string" && m.target !== ""));
}

/**
 * CheckFallbackValid (apis/keda/v1alpha1/scaledobject_types.go) on a spec as written: KEDA's error
 * text or null. No fallback: valid. failureThreshold or replicas < 0: invalid. With
 * scalingModifiers the triggers are not looked at (2.17.x: its metricType must not be Value).
 * Otherwise one trigger that is not cpu/memory must qualify: v2.17.0 one with metricType written
 * as AverageValue (an unset one did not count, kedacore/keda#6702); 2.17.1+ AverageValue or unset;
 * v2.18+ (kedacore/keda#6655) any.
 */
export function checkFallbackValid(spec: Record<string, unknown>, kedaVersion: string): string | null {
  const fb = spec.fallback as { failureThreshold?: unknown; replicas?: unknown } | undefined | null;
  if (!fb) return null;
  const ft = Number(fb.failureThreshold ?? 0);
  const r = Number(fb.replicas ?? 0);
  if (ft < 0 || r < 0) return `FailureThreshold=${ft} & Replicas=${r} must both be greater than or equal to 0`;
  const mods = scalingModifiersOf(spec);
  const need = kedaFallbackNeedsAverageValue(kedaVersion);
  if (isUsingModifiers(spec)) {
    if (need !== "none" && mods?.metricType === "Value") return "when using ScalingModifiers, ScaledObject.Spec.Advanced.ScalingModifiers.MetricType must be AverageValue to have fallback enabled";
    return null;
  }
  const triggers = Array.isArray(spec.triggers) ? (spec.triggers as Array<{ type?: unknown; metricType?: unknown }>) : [];
  const qualifies = (t: { type?: unknown; metricType?: unknown }) => {
    if (t.type === "cpu" || t.type === "memory") return false;
    if (need === "none") return true;
    const unset = t.metricType === undefined || t.metricType === "";
    return t.metricType === "AverageValue" || (need === "averageValueOrUnset" && unset);
  };
  return triggers.some(qualifies) ? null : "at least one trigger (that is not cpu or memory) has to have the `AverageValue` type for the fallback to be enabled";
}

/** Kubernetes label values (the scaledobject.keda.sh/name label, the HPA's name) are at most 63 characters. */
const MAX_LABEL_VALUE_LENGTH = 63;

export interface AdmissionInput {
  so: ScaledObjectConfig;
  /** The keda.sh/v1alpha1 spec as written; null for keda.k8s.io/v1alpha1 (KEDA v1 had no webhook). */
  spec: Record<string, unknown> | null;
  /** metadata.name as written (undefined: none given). */
  name: string | undefined;
  kedaVersion: string;
}

/**
 * What the API server and KEDA answer to `kubectl apply` of this ScaledObject: the first rejection
 * (field path + the rule, in KEDA's words) or null, and warnings for what is accepted but behaves
 * differently from what kedasim runs.
 */
export function scaledObjectAdmission(input: AdmissionInput): { rejection: Rejection | null; warnings: string[] } {
  const { so, spec, kedaVersion: v } = input;
  const warnings: string[] = [];
  const reject = (path: string, expected: string) => ({ rejection: { path, expected }, warnings });
  if (spec === null) return { rejection: replicaCountBoundsError(so, null), warnings };

  // 1. The CRD's x-kubernetes-validations rule (API server, before any webhook): raw
  //    minReplicaCount against maxReplicaCount or its default 100.
  if (kedaCrdValidation(v) && typeof spec.minReplicaCount === "number") {
    const max = typeof spec.maxReplicaCount === "number" ? spec.maxReplicaCount : KEDA_DEFAULTS.maxReplicaCount;
    if (spec.minReplicaCount > max) {
      return reject("spec.minReplicaCount", `minReplicaCount must be less than or equal to maxReplicaCount (KEDA's CRD validation rule since v2.20, kedacore/keda#7533): ${spec.minReplicaCount} > ${max}`);
    }
  }

  // 2. verifyReplicaCount (and the controller's own call of the same function).
  const bounds = replicaCountBoundsError(so, spec);
  if (bounds) return { rejection: bounds, warnings };

  // 3. verifyName (v2.20, kedacore/keda#7762): the name is a label value, and so is the HPA's name.
  if (kedaRejectsLongNames(v) && input.name !== undefined) {
    if (input.name.length > MAX_LABEL_VALUE_LENGTH) {
      return reject("metadata.name", `at most ${MAX_LABEL_VALUE_LENGTH} characters (KEDA's admission webhook, verifyName: it is the scaledobject.keda.sh/name label value), got ${input.name.length}`);
    }
    // getHpaName: spec.advanced.horizontalPodAutoscalerConfig.name, else "keda-hpa-" + name.
    const given = (spec.advanced as { horizontalPodAutoscalerConfig?: { name?: unknown } } | undefined)?.horizontalPodAutoscalerConfig?.name;
    const custom = typeof given === "string" && given !== "" ? given : null;
    const hpaName = custom ?? `keda-hpa-${input.name}`;
    if (hpaName.length > MAX_LABEL_VALUE_LENGTH) {
      return reject(
        custom ? "spec.advanced.horizontalPodAutoscalerConfig.name" : "metadata.name",
        `an HPA name of at most ${MAX_LABEL_VALUE_LENGTH} characters (KEDA's admission webhook, verifyName): "${hpaName}" is ${hpaName.length}; set spec.advanced.horizontalPodAutoscalerConfig.name to a shorter name or shorten the ScaledObject's name`,
      );
    }
  }

  // 4. verifyFallback (CheckFallbackValid; before v2.17 its error was logged and dropped, #6407).
  const fb = spec.fallback as { behavior?: unknown } | undefined;
  if (so.fallback !== null && fb) {
    const written = Array.isArray(spec.triggers) ? (spec.triggers as Array<{ metricType?: unknown }>) : [];
    const err = kedaFallbackValidated(v) ? checkFallbackValid(spec, v) : null;
    if (err !== null) {
      return reject("spec.fallback", `${err} (KEDA ${v}'s admission webhook, CheckFallbackValid${kedaFallbackNeedsAverageValue(v) === "averageValue" ? "; in 2.17.0 an unset metricType does not count, kedacore/keda#6702" : ""})`);
    }
    if (!kedaFallbackValidated(v) && written.length > 0 && written.every((t) => t.metricType === "Value")) {
      warnings.push(`spec.fallback: KEDA ${v} lets a fallback on Value triggers through its webhook unchecked (verifyFallback's error was dropped before v2.17, kedacore/keda#6407); kedasim applies v2.18's fallback for Value targets (kedacore/keda#6655)`);
    }
    if (fb.behavior === "scalingModifiers") {
      return reject("spec.fallback.behavior", `"static", "currentReplicas", "currentReplicasIfHigher" or "currentReplicasIfLower": scalingModifiers fallback behavior requires scalingModifiers.formula to be defined (KEDA's admission webhook, verifyScaledObjects), and scalingModifiers are not modelled`);
    }
  }

  // 4b. verifyScaledObjects' warnings (kubectl prints them on apply): pollingInterval / cooldownPeriod
  //     set where they do not drive scaling. v2.20: min > 0, idle unset or not 0 (and no
  //     useCachedMetrics for pollingInterval); v2.21 words the pollingInterval one after
  //     UsesHPAObservations (idle set at all keeps it relevant) and the cooldownPeriod one after idle mode.
  warnings.push(...settingWarnings(spec, v));

  // 5. verifyTriggers (ValidateTriggers).
  const bad = validateTriggers(Array.isArray(spec.triggers) ? spec.triggers : []);
  if (bad) return reject(bad.index === null ? "spec.triggers" : `spec.triggers[${bad.index}].${bad.field}`, `${bad.message} (KEDA's ValidateTriggers)`);
  return { rejection: null, warnings };
}

/** The webhook's "configured but is not relevant" warnings (scaledobject_webhook.go verifyScaledObjects, KEDA >= 2.20). */
function settingWarnings(spec: Record<string, unknown>, v: string): string[] {
  if (!kedaCrdValidation(v)) return [];
  const out: string[] = [];
  const min = typeof spec.minReplicaCount === "number" ? spec.minReplicaCount : 0;
  const idle = typeof spec.idleReplicaCount === "number" ? spec.idleReplicaCount : null;
  const triggers = Array.isArray(spec.triggers) ? (spec.triggers as Array<{ useCachedMetrics?: unknown }>) : [];
  const cached = triggers.some((t) => t.useCachedMetrics === true);
  const usingModifiers = isUsingModifiers(spec);
  const newer = versionAtLeast(v, "2.21.0");
  if (spec.pollingInterval !== undefined) {
    if (newer ? min > 0 && idle === null && !cached && !usingModifiers : min > 0 && idle !== 0 && !cached) {
      out.push(
        newer
          ? "spec.pollingInterval: KEDA's webhook warns: PollingInterval is configured but is not relevant for scaling. It only affects scaling when minReplicaCount = 0, idleReplicaCount is set, or useCachedMetrics is enabled, but it still controls how often KEDA refreshes the ScaledObject status conditions and events"
          : "spec.pollingInterval: KEDA's webhook warns: PollingInterval is configured but is not relevant. PollingInterval is only relevant when minReplicaCount = 0 or idleReplicaCount = 0 or useCachedMetrics is enabled",
      );
    }
  }
  if (spec.cooldownPeriod !== undefined && min > 0 && (newer ? idle === null : idle !== 0)) {
    out.push(
      newer
        ? "spec.cooldownPeriod: KEDA's webhook warns: CooldownPeriod is configured but is not relevant. CooldownPeriod is only relevant when minReplicaCount = 0 or idleReplicaCount is set"
        : "spec.cooldownPeriod: KEDA's webhook warns: CooldownPeriod is configured but is not relevant. CooldownPeriod is only relevant when minReplicaCount = 0 or idleReplicaCount = 0",
    );
  }
  return out;
}

/**
 * ValidateTriggers (apis/keda/v1alpha1/scaletriggers_types.go): at least one trigger;
 * useCachedMetrics not on cpu, memory or cron; trigger names unique. KEDA's text, and where.
 */
export function validateTriggers(triggers: unknown[]): { index: number | null; field: string; message: string } | null {
  if (triggers.length === 0) return { index: null, field: "", message: "no triggers defined in the ScaledObject/ScaledJob" };
  const seen = new Set<string>();
  for (let i = 0; i < triggers.length; i++) {
    const t = (triggers[i] ?? {}) as { type?: unknown; name?: unknown; useCachedMetrics?: unknown };
    if (t.useCachedMetrics === true && (t.type === "cpu" || t.type === "memory" || t.type === "cron")) {
      return { index: i, field: "useCachedMetrics", message: `property "useCachedMetrics" is not supported for "${String(t.type)}" scaler` };
    }
    if (typeof t.name === "string" && t.name !== "") {
      if (seen.has(t.name)) return { index: i, field: "name", message: `triggerName "${t.name}" is defined multiple times in the ScaledObject/ScaledJob, but it must be unique` };
      seen.add(t.name);
    }
  }
  return null;
}
