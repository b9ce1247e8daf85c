// Pure model of KEDA's ScaledObject scale executor (the 0<->1 and N->0/idle decisions).
// Sources (read, not copied):
//   kedacore/keda pkg/scaling/executor/scale_scaledobjects.go
//     RequestScale, scaleToZeroOrIdle, scaleFromZeroOrIdle, getIdleOrMinimumReplicaCount, handlePaused
//   kedacore/keda apis/keda/v1alpha1/scaledobject_types.go GetHPAMinReplicas, GetHPAMaxReplicas
//   kedacore/keda pkg/scaling/scale_handler.go (LastActiveTime persisted via a status patch)
// Spec: /work/shared/reference/keda-hpa-semantics.md B.1-B.3.
//
// 0->1 and N->0 (or N->idle) are KEDA's, done in its poll loop; 1<->N is the HPA's.

import type { FallbackConfig } from "./fallback.js";

export interface ScaledObjectConfig {
  minReplicaCount: number;
  maxReplicaCount: number;
  idleReplicaCount: number | null;
  pollingInterval: number;
  cooldownPeriod: number;
  initialCooldownPeriod: number;
  pausedScaleIn?: boolean;
  pausedScaleOut?: boolean;
  /** `autoscaling.keda.sh/paused` annotation: RequestScale returns before any scaling logic. */
  paused?: boolean;
  /**
   * `autoscaling.keda.sh/paused-replicas` annotation (GetPausedReplicaCount): the controller's
   * handlePause stops the scale loop, deletes the HPA and sets the target to this count
   * (scaleTargetToPausedCount). Its presence alone pauses (NeedToBePausedByAnnotation).
   */
  pausedReplicas?: number;
  /** `autoscaling.keda.sh/force-activation` annotation: treated as active. */
  forceActivation?: boolean;
  fallback: FallbackConfig | null;
  /** The KEDA release whose behaviour to follow (versions.ts; undefined = the newest modelled). */
  kedaVersion?: string;
  /** The Kubernetes release of the HPA (versions.ts; undefined = the newest modelled). */
  kubernetesVersion?: string;
  /**
   * Granularity of metav1.Time (LastActiveTime, creationTimestamp) in scenario seconds. Default 1
   * (RFC3339 whole seconds). A run whose scenario second is not a wall second may pass the wall
   * second expressed in scenario seconds.
   */
  timeGranularitySeconds?: number;
}
export interface KedaState {
  lastActiveTime: number | null /* already truncated */;
  creationTime: number;
}
export interface RequestScaleInput {
  now: number;
  currentReplicas: number;
  isActive: boolean;
  isError: boolean;
}
export interface RequestScaleResult {
  replicas: number | null /* null = leave the target alone */;
  state: KedaState;
  condition: string /* "ScalerActive", "ScalerCooldown", "ScaledToZero", "PartialTriggerError", ... */;
  reason: string;
}

/**
 * KEDA's values for ScaledObject fields left unset — the one place the loaders, the models and the
 * vectors read them from: apis/keda/v1alpha1/withtriggers_types.go defaultPollingInterval;
 * pkg/scaling/executor/scale_executor.go defaultCooldownPeriod, defaultInitialCooldownPeriod;
 * scaledobject_types.go defaultHPAMaxReplicas; minReplicaCount 0 (scale_scaledobjects.go RequestScale).
 */
export const KEDA_DEFAULTS = {
  minReplicaCount: 0,
  maxReplicaCount: 100,
  pollingInterval: 30,
  cooldownPeriod: 300,
  initialCooldownPeriod: 0,
} as const;

export const defaultScaledObjectConfig = (): ScaledObjectConfig => ({
  minReplicaCount: KEDA_DEFAULTS.minReplicaCount,
  maxReplicaCount: KEDA_DEFAULTS.maxReplicaCount,
  idleReplicaCount: null,
  pollingInterval: KEDA_DEFAULTS.pollingInterval,
  cooldownPeriod: KEDA_DEFAULTS.cooldownPeriod,
  initialCooldownPeriod: KEDA_DEFAULTS.initialCooldownPeriod,
  fallback: null,
});

export const initialKedaState = (creationTime: number): KedaState => ({ lastActiveTime: null, creationTime });

/**
 * metav1.Time serializes as RFC3339 (1 s precision): floor to whole seconds (or to multiples of
 * `granularity`). Computed on integer nanoseconds so 60.99999999999 (float noise for 61) gives 61.
 */
export function truncateToSeconds(t: number, granularity = 1): number {
  const tn = Math.round(t * 1e9);
  const gn = Math.round(granularity * 1e9);
  return Math.floor(tn / gn) * granularity;
}

/** GetHPAMinReplicas: minReplicaCount if > 0, else 1 (the HPA never has min 0 under KEDA). */
export function hpaMinReplicas(so: ScaledObjectConfig): number {
  return so.minReplicaCount > 0 ? so.minReplicaCount : 1;
}

/** GetHPAMaxReplicas: maxReplicaCount (default 100 applied by the caller/loader). */
export function hpaMaxReplicas(so: ScaledObjectConfig): number {
  return so.maxReplicaCount;
}

/** Every scaler's activity test: value > activationThreshold (strict). */
export function isTriggerActive(value: number, activationThreshold: number): boolean {
  return value > activationThreshold;
}

/** Go `time.Time.Before` on whole nanoseconds. */
const before = (a: number, b: number): boolean => Math.round(a * 1e9) < Math.round(b * 1e9);

/** A RequestScale outcome that leaves the replica count alone. Module-level: a closure inside
 * requestScale() was re-created (and, under tsx, re-named) on every poll (issue 6 profile). */
function keep(state: KedaState, condition: string, reason: string): RequestScaleResult {
  return { replicas: null, state: { ...state }, condition, reason };
}

/**
 * NeedToBePausedByAnnotation (apis/keda/v1alpha1/scaledobject_types.go): `paused` true, or
 * `paused-replicas` present at all. The controller's handlePause then stops the scale loop.
 */
export function isPaused(so: Pick<ScaledObjectConfig, "paused" | "pausedReplicas">): boolean {
  return so.paused === true || so.pausedReplicas !== undefined;
}

/**
 * One RequestScale call (spec B.3), after the scalers were queried.
 * isActive: any trigger active. isError: some trigger errored.
 */
export function requestScale(so: ScaledObjectConfig, state: KedaState, input: RequestScaleInput): RequestScaleResult {
  const { now, currentReplicas: current } = input;
  const gran = so.timeGranularitySeconds ?? 1;
  const min = so.minReplicaCount;
  const idle = so.idleReplicaCount;

  if (isPaused(so)) return keep(state, "ScaledObjectPaused", "ScaledObject is paused (autoscaling.keda.sh/paused or paused-replicas annotation)");

  if (input.isActive || so.forceActivation) {
    if ((idle !== null && current < min) || current === 0) {
      // scaleFromZeroOrIdle
      if (so.pausedScaleOut) return keep(state, "ScalerActive", "active, but paused-scale-out is set: not scaling out");
      const replicas = min > 0 ? min : 1;
      return {
        replicas,
        state: { ...state, lastActiveTime: truncateToSeconds(now, gran) },
        condition: "ScalerActive",
        reason: `active: scaled from ${current} to ${replicas}${idle !== null && current !== 0 ? " (from idle)" : ""}`,
      };
    }
    if (input.isError) return keep(state, "PartialTriggerError", "some triggers are active, but some responded with an error; LastActiveTime not refreshed");
    return {
      replicas: null,
      state: { ...state, lastActiveTime: truncateToSeconds(now, gran) },
      condition: "ScalerActive",
      reason: `active at ${current} replicas: LastActiveTime refreshed; 1<->N is the HPA's`,
    };
  }

  // inactive
  if (input.isError && so.fallback !== null && so.fallback.replicas !== 0) {
    return keep(state, "ScalerNotActive", "trigger error: the HPA will get fallback metrics after failureThreshold");
  }
  if (input.isError && so.fallback === null) {
    return keep(state, "TriggerError", "triggers are not working correctly and no fallback is configured");
  }
  if ((idle !== null && current > idle) || (current > 0 && min === 0)) {
    // scaleToZeroOrIdle
    if (so.pausedScaleIn) return keep(state, "ScalerNotActive", "inactive, but paused-scale-in is set: not scaling in");
    const last = state.lastActiveTime;
    const creation = truncateToSeconds(state.creationTime, gran);
    const expired =
      (last === null && before(creation + so.initialCooldownPeriod, now)) || (last !== null && before(last + so.cooldownPeriod, now));
    if (expired) {
      const target = idle !== null ? idle : min;
      const why =
        last === null
          ? `no LastActiveTime and creation ${creation} + initialCooldownPeriod ${so.initialCooldownPeriod} < ${+now.toFixed(3)}`
          : `LastActiveTime ${last} + cooldownPeriod ${so.cooldownPeriod} < ${+now.toFixed(3)}`;
      return {
        replicas: target,
        state: { ...state },
        condition: target === 0 ? "ScaledToZero" : idle !== null ? "ScaledToIdle" : "ScaledToMin",
        reason: `inactive: ${why}: set ${current} -> ${target} directly (bypasses the HPA)`,
      };
    }
    const until = last === null ? creation + so.initialCooldownPeriod : last + so.cooldownPeriod;
    return keep(state, "ScalerCooldown", `inactive, cooling down until after ${until}`);
  }
  if (idle === null && current < min) {
    return { replicas: min, state: { ...state }, condition: "BelowMinReplicas", reason: `inactive and ${current} < minReplicaCount: set to ${min}` };
  }
  return keep(state, "ScalerNotActive", "inactive, nothing to do");
}
