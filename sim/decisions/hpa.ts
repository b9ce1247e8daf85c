// Pure model of the Kubernetes HPA v2 controller's scaling decision.
//
// Sources (read, not copied):
//   kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go
//     reconcileAutoscaler, recordInitialRecommendation, computeReplicasForMetrics,
//     stabilizeRecommendation, normalizeDesiredReplicas, convertDesiredReplicasWithRules,
//     calculateScaleUpLimit, normalizeDesiredReplicasWithBehaviors, maybeInitScaleDownStabilizationWindow,
//     stabilizeRecommendationWithBehaviors, convertDesiredReplicasWithBehaviorRate,
//     calculateScaleUpLimitWithScalingRules, calculateScaleDownLimitWithBehaviors,
//     getReplicasChangePerPeriod, storeScaleEvent, markScaleEventsOutdated, getLongestPolicyPeriod,
//     tolerancesForHpa
//   kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator.go
//     GetExternalPerPodMetricReplicas, GetExternalMetricReplicas, getUsageRatioReplicaCount,
//     Tolerances.isWithin, calcPlainMetricReplicas / GetResourceReplicas (ready-pods-only case)
//   kubernetes/kubernetes pkg/apis/autoscaling/v2/defaults.go
//     GenerateHPAScaleUpRules, GenerateHPAScaleDownRules
// Spec: /work/shared/reference/keda-hpa-semantics.md section A.
//
// Every function here is pure: state in, decision out, no clock, no RNG, inputs never mutated.
// Times are seconds (numbers). Time comparisons are done on integer nanoseconds, like Go's
// time.Time, so that e.g. 337.3 - 37.3 compares equal to 300.
import { hpaHasTolerances } from "./versions.js";

export type MetricTargetType = "AverageValue" | "Value";
export interface Tolerances {
  scaleDown: number;
  scaleUp: number;
  /**
   * Kubernetes < 1.33: one tolerance and the test |1 - ratio| <= tolerance (replica_calculator.go
   * before Tolerances); it differs from isWithin at float edges (ratio 1.1: |1 - 1.1| is
   * 0.10000000000000009 > 0.1, so it scales; 1.1 <= 1 + 0.1 is within).
   */
  absolute?: true;
}
export interface HpaScalingPolicy {
  type: "Pods" | "Percent";
  value: number;
  periodSeconds: number;
}
export interface HpaScalingRules {
  stabilizationWindowSeconds: number | null;
  selectPolicy: "Max" | "Min" | "Disabled";
  policies: HpaScalingPolicy[];
  tolerance?: number;
}
export interface HpaBehavior {
  scaleUp?: Partial<HpaScalingRules>;
  scaleDown?: Partial<HpaScalingRules>;
}
/** Behavior after defaulting: every field filled, scale-down window resolved to a number. */
export interface ResolvedScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: "Max" | "Min" | "Disabled";
  policies: HpaScalingPolicy[];
  tolerance?: number;
}
export interface ResolvedBehavior {
  scaleUp: ResolvedScalingRules;
  scaleDown: ResolvedScalingRules;
}
export interface Recommendation {
  replicas: number;
  timestamp: number;
}
export interface ScaleEvent {
  replicaChange: number;
  timestamp: number;
  outdated: boolean;
}
export interface HpaState {
  recommendations: Recommendation[] | null /* null = key has no list yet */;
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}
export const initialHpaState: HpaState = Object.freeze({
  recommendations: null,
  scaleUpEvents: [],
  scaleDownEvents: [],
}) as HpaState;

/**
 * How the legacy (behavior == nil) stabilization window treats a recommendation whose age is
 * exactly the window:
 *  - "expireAtWindow" (default): expired when age >= window. Real HPA syncs drift by the
 *    processing time (spec A.1), so a recommendation stored at sync n is in practice out of the
 *    window at sync n+20; an exact-15 s simulator needs this to reproduce it.
 *  - "upstreamStrict": exactly upstream (`rec.timestamp.Before(cutoff)` => expired only if age > window).
 */
export type LegacyWindowBoundary = "expireAtWindow" | "upstreamStrict";

export interface HpaConfig {
  minReplicas: number;
  maxReplicas: number;
  behavior: HpaBehavior | null; // null => legacy normalizeDesiredReplicas path (KEDA default)
  downscaleStabilizationSeconds: number; // controller flag, default 300
  tolerance: number; // controller flag, default 0.1
  configurableTolerance: boolean; // HPAConfigurableTolerance gate (alpha, off, in 1.33-1.34; beta, on, from 1.35)
  /** The Kubernetes release (versions.ts); undefined = the newest modelled. */
  kubernetesVersion?: string;
  scaleUpLimitFactor: number; // 2 (upstream tests use 8)
  scaleUpLimitMinimum: number; // 4
  /** See LegacyWindowBoundary. Default "expireAtWindow". */
  legacyWindowBoundary?: LegacyWindowBoundary;
}
/**
 * kube-controller-manager's HPA flags (--horizontal-pod-autoscaler-sync-period, -tolerance,
 * -downscale-stabilization): config/v1alpha1/defaults.go RecommendedDefaultHPAControllerConfiguration.
 * The one place the scenario schema and the models read them from.
 */
export const HPA_CONTROLLER_DEFAULTS = {
  syncPeriodSeconds: 15,
  tolerance: 0.1,
  downscaleStabilizationSeconds: 300,
} as const;

export const defaultHpaConfig = (min: number, max: number): HpaConfig => ({
  minReplicas: min,
  maxReplicas: max,
  behavior: null,
  downscaleStabilizationSeconds: HPA_CONTROLLER_DEFAULTS.downscaleStabilizationSeconds,
  tolerance: HPA_CONTROLLER_DEFAULTS.tolerance,
  configurableTolerance: true,
  scaleUpLimitFactor: 2,
  scaleUpLimitMinimum: 4,
  legacyWindowBoundary: "expireAtWindow",
});

export type MetricReading = { ok: true; targetType: MetricTargetType; target: number; value: number } | { ok: false };
export interface ReconcileInput {
  now: number;
  specReplicas: number;
  statusReplicas: number;
  readyReplicas: number;
  metrics: MetricReading[];
}
export interface ReconcileResult {
  desired: number;
  rescale: boolean;
  state: HpaState;
  raw: number | null; // metric proposal (max over metrics) before normalization, null if none computed
  stabilized: number | null;
  condition: string;
  reason: string;
  metricValue: number | null; // usage the HPA saw (sum of values of the winning metric), null if invalid
  /** Reason of the HPA's AbleToScale condition after this sync ("ReadyForNewScale", "ScaleDownStabilized", "ScaleUpStabilized", "SucceededRescale"...). */
  ableToScaleReason: string;
  /** Reason of the ScalingLimited condition ("DesiredWithinRange", "ScaleUpLimit", "TooManyReplicas", ...), null if not computed. */
  scalingLimitedReason: string | null;
  /**
   * Reason of the ScalingActive condition ("ValidMetricFound", "ScalingDisabled", "FailedGetExternalMetric"),
   * or "NotComputed" in the spec>max / spec<min branches, where upstream leaves the previous condition.
   */
  scalingActiveReason: string;
}

// ---------------------------------------------------------------------------------------------
// Small numeric helpers mirroring Go semantics

export const MAX_INT32 = 2147483647;
export const MIN_INT32 = -2147483648;

/** Go `int32(f)`: truncation toward zero (clamped to the int32 range). */
export function goInt32(f: number): number {
  if (Number.isNaN(f)) return MIN_INT32; // Go: implementation-defined; amd64 yields MinInt32
  const t = Math.trunc(f);
  return Math.max(MIN_INT32, Math.min(MAX_INT32, t));
}

/** Number -> integer milli-units (resource.Quantity MilliValue of a KEDA "%.3f" value). */
export function toMilli(v: number): number {
  return Math.round(v * 1000);
}

const NS = 1e9;
const ns = (seconds: number): number => Math.round(seconds * NS);
/** Go `ts.After(now - window)`. */
const isAfterCutoff = (ts: number, now: number, windowSeconds: number): boolean => ns(ts) > ns(now) - ns(windowSeconds);
/** Go `ts.Before(now - window)`. */
const isBeforeCutoff = (ts: number, now: number, windowSeconds: number): boolean => ns(ts) < ns(now) - ns(windowSeconds);

// ---------------------------------------------------------------------------------------------
// Tolerances (replica_calculator.go Tolerances.isWithin; horizontal.go tolerancesForHpa)

/** Both bounds inclusive: (1 - scaleDown) <= ratio <= (1 + scaleUp); before 1.33 |1 - ratio| <= tolerance. NaN is never within. */
export function isWithinTolerance(t: Tolerances, ratio: number): boolean {
  if (t.absolute) return Math.abs(1 - ratio) <= t.scaleUp;
  return 1 - t.scaleDown <= ratio && ratio <= 1 + t.scaleUp;
}

/**
 * Global flag for both directions, overridden per direction by behavior.scale{Up,Down}.tolerance when
 * the gate is on. Before Kubernetes 1.33 there is neither Tolerances nor the behavior field (an
 * older API server drops it): the flag alone, tested as |1 - ratio| <= tolerance.
 */
export function tolerancesForHpa(cfg: Pick<HpaConfig, "tolerance" | "behavior" | "configurableTolerance" | "kubernetesVersion">): Tolerances {
  if (!hpaHasTolerances(cfg.kubernetesVersion)) return { scaleDown: cfg.tolerance, scaleUp: cfg.tolerance, absolute: true };
  const t: Tolerances = { scaleDown: cfg.tolerance, scaleUp: cfg.tolerance };
  if (cfg.behavior && cfg.configurableTolerance) {
    const d = cfg.behavior.scaleDown?.tolerance;
    const u = cfg.behavior.scaleUp?.tolerance;
    if (d !== undefined && d !== null) t.scaleDown = d;
    if (u !== undefined && u !== null) t.scaleUp = u;
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Replica proposals (replica_calculator.go)

export type ProposalResult =
  | {
      ok: true;
      replicas: number;
      /** Σ metric values (milli). */
      usageMilli: number;
      /** What the HPA reports as the current value: AverageValue => ceil(usage/statusReplicas), Value => usage (milli). */
      currentMilli: number;
      withinTolerance: boolean;
    }
  | { ok: false; reason: string };

export interface ReplicaCounts {
  specReplicas: number;
  statusReplicas: number;
  readyReplicas: number;
}

/**
 * External metric proposal.
 * AverageValue: GetExternalPerPodMetricReplicas(statusReplicas, target): ratio = usage/(target*statusReplicas);
 *   within tolerance => statusReplicas (not spec! k8s #138505) else ceil(usage/target).
 * Value: GetExternalMetricReplicas(specReplicas, target) -> getUsageRatioReplicaCount: ratio = usage/target;
 *   spec != 0: within => spec, else ceil(ratio * readyPods); spec == 0 => ceil(ratio).
 *   Ready pods [version-dependent]: v1.33-1.35 count Running+Ready pods from the lister and error
 *   when there are no pods at all; modelled as "statusReplicas == 0 => invalid metric".
 */
export function externalMetricProposal(
  targetType: MetricTargetType,
  targetMilli: number,
  usageMilli: number,
  counts: ReplicaCounts,
  tolerances: Tolerances,
): ProposalResult {
  if (!(targetMilli > 0)) return { ok: false, reason: `invalid target ${targetMilli}m (must be > 0)` };
  if (targetType === "AverageValue") {
    const statusRep = counts.statusReplicas;
    let replicas = statusRep;
    const ratio = usageMilli / (targetMilli * statusRep); // +Inf / NaN when statusRep == 0: never within
    const within = isWithinTolerance(tolerances, ratio);
    if (!within) {
      const f = Math.ceil(usageMilli / targetMilli);
      replicas = f > MAX_INT32 ? MAX_INT32 : f;
    }
    const currentMilli = statusRep > 0 ? Math.ceil(usageMilli / statusRep) : usageMilli;
    return { ok: true, replicas, usageMilli, currentMilli, withinTolerance: within };
  }
  const ratio = usageMilli / targetMilli;
  const current = counts.specReplicas;
  if (current === 0) {
    return { ok: true, replicas: goInt32(Math.ceil(ratio)), usageMilli, currentMilli: usageMilli, withinTolerance: false };
  }
  if (isWithinTolerance(tolerances, ratio)) {
    return { ok: true, replicas: current, usageMilli, currentMilli: usageMilli, withinTolerance: true };
  }
  if (counts.statusReplicas <= 0) {
    return { ok: false, reason: "unable to calculate ready pods: no pods returned by selector while calculating replica count" };
  }
  return {
    ok: true,
    replicas: goInt32(Math.ceil(ratio * counts.readyReplicas)),
    usageMilli,
    currentMilli: usageMilli,
    withinTolerance: false,
  };
}

/**
 * Resource/Pods metric with every pod Running+Ready and none missing (GetResourceReplicas /
 * calcPlainMetricReplicas without the missing/unready heuristics, which are not modelled):
 * within tolerance => currentReplicas, else ceil(usageRatio * readyPods).
 */
export function plainUsageRatioProposal(currentReplicas: number, readyPods: number, usageRatio: number, tolerances: Tolerances): number {
  if (isWithinTolerance(tolerances, usageRatio)) return currentReplicas;
  return goInt32(Math.ceil(usageRatio * readyPods));
}

/** metricsclient.GetMetricUsageRatio for Pods metrics: integer average (milli) and ratio to the target. */
export function podsMetricUsageRatio(valuesMilli: number[], targetMilli: number): { usageMilli: number; ratio: number } {
  const total = valuesMilli.reduce((a, b) => a + b, 0);
  const usageMilli = valuesMilli.length > 0 ? Math.trunc(total / valuesMilli.length) : 0;
  return { usageMilli, ratio: usageMilli / targetMilli };
}

// ---------------------------------------------------------------------------------------------
// Legacy normalization (behavior == nil)

/**
 * horizontal.go stabilizeRecommendation: max of the raw value and every stored recommendation
 * still inside the window; the raw value then overwrites the LAST expired slot, or is appended.
 * Boundary: see LegacyWindowBoundary (default "expireAtWindow": age >= window is expired).
 */
export function stabilizeRecommendation(
  recommendations: Recommendation[] | null,
  raw: number,
  now: number,
  windowSeconds: number,
  boundary: LegacyWindowBoundary = "expireAtWindow",
): { stabilized: number; recommendations: Recommendation[] } {
  const recs = recommendations ?? [];
  let max = raw;
  let oldIndex = -1;
  // The cutoff (isAfterCutoff/isBeforeCutoff's ns(now) - ns(window)) once per call, not per entry:
  // the window holds ~20 entries and this runs every sync (issue 6 profile).
  const cutoff = ns(now) - ns(windowSeconds);
  const strict = boundary === "upstreamStrict";
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    const ts = ns(r.timestamp);
    const expired = strict ? ts < cutoff : !(ts > cutoff); // default: age >= window
    if (expired) oldIndex = i;
    else if (r.replicas > max) max = r.replicas;
  }
  const entry: Recommendation = { replicas: raw, timestamp: now };
  // Shallow copy: entries are never mutated, only replaced, so the input stays untouched (a deep
  // copy per sync was a top item in the simulator's profile — issue 6).
  const out = recs.slice();
  if (oldIndex >= 0) out[oldIndex] = entry;
  else out.push(entry);
  return { stabilized: max, recommendations: out };
}

/** horizontal.go calculateScaleUpLimit: int32(max(factor*current, minimum)). */
export function calculateScaleUpLimit(currentReplicas: number, factor = 2, minimum = 4): number {
  return goInt32(Math.max(factor * currentReplicas, minimum));
}

export interface LimitResult {
  replicas: number;
  condition: string;
  reason: string;
}

/** horizontal.go convertDesiredReplicasWithRules: clamp to [min, min(max, scaleUpLimit)]. No scale-down limit. */
export function convertDesiredReplicasWithRules(
  currentReplicas: number,
  desiredReplicas: number,
  hpaMinReplicas: number,
  hpaMaxReplicas: number,
  scaleUpLimitFactor = 2,
  scaleUpLimitMinimum = 4,
): LimitResult {
  const scaleUpLimit = calculateScaleUpLimit(currentReplicas, scaleUpLimitFactor, scaleUpLimitMinimum);
  let maximumAllowed: number;
  let condition: string;
  let reason: string;
  if (hpaMaxReplicas > scaleUpLimit) {
    maximumAllowed = scaleUpLimit;
    condition = "ScaleUpLimit";
    reason = `the desired replica count is increasing faster than the maximum scale rate (max(${scaleUpLimitFactor}x${currentReplicas},${scaleUpLimitMinimum}) = ${scaleUpLimit})`;
  } else {
    maximumAllowed = hpaMaxReplicas;
    condition = "TooManyReplicas";
    reason = `the desired replica count is more than the maximum replica count (${hpaMaxReplicas})`;
  }
  if (desiredReplicas < hpaMinReplicas) {
    return { replicas: hpaMinReplicas, condition: "TooFewReplicas", reason: `the desired replica count is less than the minimum replica count (${hpaMinReplicas})` };
  }
  if (desiredReplicas > maximumAllowed) return { replicas: maximumAllowed, condition, reason };
  return { replicas: desiredReplicas, condition: "DesiredWithinRange", reason: "the desired count is within the acceptable range" };
}

// ---------------------------------------------------------------------------------------------
// Behavior normalization

/**
 * defaults.go GenerateHPAScaleUpRules / GenerateHPAScaleDownRules (each field filled independently
 * when nil) + horizontal.go maybeInitScaleDownStabilizationWindow (nil scale-down window => flag).
 */
export function resolveBehavior(b: HpaBehavior, downscaleStabilizationSeconds: number = HPA_CONTROLLER_DEFAULTS.downscaleStabilizationSeconds): ResolvedBehavior {
  const up = b.scaleUp ?? {};
  const down = b.scaleDown ?? {};
  const scaleUp: ResolvedScalingRules = {
    stabilizationWindowSeconds: up.stabilizationWindowSeconds ?? 0,
    selectPolicy: up.selectPolicy ?? "Max",
    policies: up.policies
      ? up.policies.map((p) => ({ ...p }))
      : [
          { type: "Pods", value: 4, periodSeconds: 15 },
          { type: "Percent", value: 100, periodSeconds: 15 },
        ],
  };
  if (up.tolerance !== undefined && up.tolerance !== null) scaleUp.tolerance = up.tolerance;
  const scaleDown: ResolvedScalingRules = {
    stabilizationWindowSeconds: down.stabilizationWindowSeconds ?? downscaleStabilizationSeconds,
    selectPolicy: down.selectPolicy ?? "Max",
    policies: down.policies ? down.policies.map((p) => ({ ...p })) : [{ type: "Percent", value: 100, periodSeconds: 15 }],
  };
  if (down.tolerance !== undefined && down.tolerance !== null) scaleDown.tolerance = down.tolerance;
  return { scaleUp, scaleDown };
}

export interface StabilizeWithBehaviorsArgs {
  desired: number;
  current: number;
  upWindowSeconds: number;
  downWindowSeconds: number;
  now: number;
}

/**
 * horizontal.go stabilizeRecommendationWithBehaviors:
 *   up   = min(desired, recs with ts > now - upWindow)
 *   down = max(desired, recs with ts > now - downWindow)
 *   rec  = clamp(current, up, down)
 * The raw value is stored in the LAST slot that is old for both windows (ts < cutoff), else appended.
 */
export function stabilizeRecommendationWithBehaviors(
  recommendations: Recommendation[] | null,
  args: StabilizeWithBehaviorsArgs,
): { stabilized: number; reason: string; recommendations: Recommendation[] } {
  const recs = recommendations ?? [];
  let up = args.desired;
  let down = args.desired;
  let oldIndex = -1;
  recs.forEach((r, i) => {
    if (isAfterCutoff(r.timestamp, args.now, args.upWindowSeconds)) up = Math.min(r.replicas, up);
    if (isAfterCutoff(r.timestamp, args.now, args.downWindowSeconds)) down = Math.max(r.replicas, down);
    if (isBeforeCutoff(r.timestamp, args.now, args.upWindowSeconds) && isBeforeCutoff(r.timestamp, args.now, args.downWindowSeconds)) oldIndex = i;
  });
  let rec = args.current;
  if (rec < up) rec = up;
  if (rec > down) rec = down;
  const entry: Recommendation = { replicas: args.desired, timestamp: args.now };
  // Shallow copy: entries are never mutated, only replaced, so the input stays untouched (a deep
  // copy per sync was a top item in the simulator's profile — issue 6).
  const out = recs.slice();
  if (oldIndex >= 0) out[oldIndex] = entry;
  else out.push(entry);
  const reason = args.desired >= args.current ? "ScaleUpStabilized" : "ScaleDownStabilized";
  return { stabilized: rec, reason, recommendations: out };
}

/** horizontal.go getReplicasChangePerPeriod: Σ replicaChange of events with ts > now - period (strict). */
export function getReplicasChangePerPeriod(periodSeconds: number, events: readonly ScaleEvent[], now: number): number {
  let sum = 0;
  for (const e of events) if (isAfterCutoff(e.timestamp, now, periodSeconds)) sum += e.replicaChange;
  return sum;
}

/** horizontal.go calculateScaleUpLimitWithScalingRules. */
export function calculateScaleUpLimitWithScalingRules(
  currentReplicas: number,
  scaleUpEvents: readonly ScaleEvent[],
  scaleDownEvents: readonly ScaleEvent[],
  rules: Pick<ResolvedScalingRules, "selectPolicy" | "policies">,
  now: number,
): number {
  if (rules.selectPolicy === "Disabled") return currentReplicas;
  const useMin = rules.selectPolicy === "Min";
  let result = useMin ? MAX_INT32 : MIN_INT32;
  for (const p of rules.policies) {
    const added = getReplicasChangePerPeriod(p.periodSeconds, scaleUpEvents, now);
    const deleted = getReplicasChangePerPeriod(p.periodSeconds, scaleDownEvents, now);
    const periodStart = currentReplicas - added + deleted;
    let proposed = 0;
    if (p.type === "Pods") proposed = periodStart + p.value;
    else if (p.type === "Percent") proposed = goInt32(Math.ceil(periodStart * (1 + p.value / 100)));
    result = useMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** horizontal.go calculateScaleDownLimitWithBehaviors ("Max" = largest change = min of proposals; Percent truncates). */
export function calculateScaleDownLimitWithBehaviors(
  currentReplicas: number,
  scaleUpEvents: readonly ScaleEvent[],
  scaleDownEvents: readonly ScaleEvent[],
  rules: Pick<ResolvedScalingRules, "selectPolicy" | "policies">,
  now: number,
): number {
  if (rules.selectPolicy === "Disabled") return currentReplicas;
  const leastChange = rules.selectPolicy === "Min";
  let result = leastChange ? MIN_INT32 : MAX_INT32;
  for (const p of rules.policies) {
    const added = getReplicasChangePerPeriod(p.periodSeconds, scaleUpEvents, now);
    const deleted = getReplicasChangePerPeriod(p.periodSeconds, scaleDownEvents, now);
    const periodStart = currentReplicas - added + deleted;
    let proposed = 0;
    if (p.type === "Pods") proposed = periodStart - p.value;
    else if (p.type === "Percent") proposed = goInt32(periodStart * (1 - p.value / 100));
    result = leastChange ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

export interface BehaviorRateArgs {
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  scaleUp: Pick<ResolvedScalingRules, "selectPolicy" | "policies">;
  scaleDown: Pick<ResolvedScalingRules, "selectPolicy" | "policies">;
  scaleUpEvents: readonly ScaleEvent[];
  scaleDownEvents: readonly ScaleEvent[];
  now: number;
}

/** horizontal.go convertDesiredReplicasWithBehaviorRate: rate limits + min/max, only in the direction of change. */
export function convertDesiredReplicasWithBehaviorRate(a: BehaviorRateArgs): LimitResult & { limit: number | null } {
  if (a.desiredReplicas > a.currentReplicas) {
    let limit = calculateScaleUpLimitWithScalingRules(a.currentReplicas, a.scaleUpEvents, a.scaleDownEvents, a.scaleUp, a.now);
    if (limit < a.currentReplicas) limit = a.currentReplicas;
    let maximumAllowed = a.maxReplicas;
    let condition: string;
    let reason: string;
    if (maximumAllowed > limit) {
      maximumAllowed = limit;
      condition = "ScaleUpLimit";
      reason = `the desired replica count is increasing faster than the maximum scale rate (limit ${limit})`;
    } else {
      condition = "TooManyReplicas";
      reason = `the desired replica count is more than the maximum replica count (${a.maxReplicas})`;
    }
    if (a.desiredReplicas > maximumAllowed) return { replicas: maximumAllowed, condition, reason, limit };
    return { replicas: a.desiredReplicas, condition: "DesiredWithinRange", reason: "the desired count is within the acceptable range", limit };
  }
  if (a.desiredReplicas < a.currentReplicas) {
    let limit = calculateScaleDownLimitWithBehaviors(a.currentReplicas, a.scaleUpEvents, a.scaleDownEvents, a.scaleDown, a.now);
    if (limit > a.currentReplicas) limit = a.currentReplicas;
    let minimumAllowed = a.minReplicas;
    let condition: string;
    let reason: string;
    if (minimumAllowed < limit) {
      minimumAllowed = limit;
      condition = "ScaleDownLimit";
      reason = `the desired replica count is decreasing faster than the maximum scale rate (limit ${limit})`;
    } else {
      condition = "TooFewReplicas";
      reason = `the desired replica count is less than the minimum replica count (${a.minReplicas})`;
    }
    if (a.desiredReplicas < minimumAllowed) return { replicas: minimumAllowed, condition, reason, limit };
    return { replicas: a.desiredReplicas, condition: "DesiredWithinRange", reason: "the desired count is within the acceptable range", limit };
  }
  return { replicas: a.desiredReplicas, condition: "DesiredWithinRange", reason: "the desired count is within the acceptable range", limit: null };
}

/** horizontal.go getLongestPolicyPeriod. */
export function getLongestPolicyPeriod(rules: Pick<ResolvedScalingRules, "policies">): number {
  let longest = 0;
  for (const p of rules.policies) if (p.periodSeconds > longest) longest = p.periodSeconds;
  return longest;
}

/** horizontal.go markScaleEventsOutdated (returns a copy; flags are sticky like upstream's in-place mark). */
export function markScaleEventsOutdated(events: readonly ScaleEvent[], longestPolicyPeriod: number, now: number): ScaleEvent[] {
  return events.map((e) => ({ ...e, outdated: e.outdated || isBeforeCutoff(e.timestamp, now, longestPolicyPeriod) }));
}

/**
 * horizontal.go storeScaleEvent: no-op when behavior is nil; otherwise mark that direction's events
 * older than its longest policy period as outdated and store {|Δ|, now} in the LAST outdated slot,
 * else append. `behavior` may be raw (it is resolved here; resolution is idempotent).
 */
export function storeScaleEvent(
  behavior: HpaBehavior | ResolvedBehavior | null,
  state: Pick<HpaState, "scaleUpEvents" | "scaleDownEvents">,
  prevReplicas: number,
  newReplicas: number,
  now: number,
): { scaleUpEvents: ScaleEvent[]; scaleDownEvents: ScaleEvent[] } {
  // Shallow copies (entries are replaced, never mutated; markScaleEventsOutdated makes new ones).
  const up = state.scaleUpEvents.slice();
  const down = state.scaleDownEvents.slice();
  if (behavior === null) return { scaleUpEvents: up, scaleDownEvents: down };
  const rules = resolveBehavior(behavior as HpaBehavior);
  const store = (events: ScaleEvent[], longest: number, change: number): ScaleEvent[] => {
    const marked = markScaleEventsOutdated(events, longest, now);
    let oldIndex = -1;
    marked.forEach((e, i) => {
      if (e.outdated) oldIndex = i;
    });
    const entry: ScaleEvent = { replicaChange: change, timestamp: now, outdated: false };
    if (oldIndex >= 0) marked[oldIndex] = entry;
    else marked.push(entry);
    return marked;
  };
  if (newReplicas > prevReplicas) {
    return { scaleUpEvents: store(up, getLongestPolicyPeriod(rules.scaleUp), newReplicas - prevReplicas), scaleDownEvents: down };
  }
  return { scaleUpEvents: up, scaleDownEvents: store(down, getLongestPolicyPeriod(rules.scaleDown), prevReplicas - newReplicas) };
}

// ---------------------------------------------------------------------------------------------
// reconcile (horizontal.go reconcileAutoscaler)

const fmtNum = (v: number): string => (Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000));

/** What a reconcile() branch decided; `reason` may be a function that builds the text when it is read. */
type BranchResult = Omit<ReconcileResult, "desired" | "state" | "reason"> & { reason: string | (() => string) };

/**
 * reconcile()'s result: immutable data like the interface says, except that `reason` is built when
 * it is first read — most syncs change nothing and nobody reads their text, and formatting it was
 * most of a sync's cost in the issue 6 profile. (A getter in an object literal would make every
 * result a slow dictionary object; here it sits on the prototype, so spreads and JSON do not see it.)
 */
class SyncResult implements ReconcileResult {
  constructor(
    readonly rescale: boolean,
    readonly raw: number | null,
    readonly stabilized: number | null,
    readonly condition: string,
    private readonly why: string | (() => string),
    readonly metricValue: number | null,
    readonly ableToScaleReason: string,
    readonly scalingLimitedReason: string | null,
    readonly scalingActiveReason: string,
    readonly desired: number,
    readonly state: HpaState,
  ) {}

  get reason(): string {
    const w = this.why;
    return typeof w === "string" ? w : w();
  }
}

/**
 * The end of every reconcile() branch: the next state (recommendations as they stand, scale events
 * stored on a rescale) and the result. A module-level function: closures inside reconcile() were
 * re-created on every sync.
 */
function finishReconcile(cfg: HpaConfig, state: HpaState, recommendations: Recommendation[], current: number, now: number, desired: number, r: BranchResult): ReconcileResult {
  let st: HpaState = { recommendations, scaleUpEvents: state.scaleUpEvents.slice(), scaleDownEvents: state.scaleDownEvents.slice() };
  if (r.rescale) {
    const ev = storeScaleEvent(cfg.behavior, st, current, desired, now);
    st = { ...st, ...ev };
  }
  return new SyncResult(
    r.rescale,
    r.raw,
    r.stabilized,
    r.condition,
    r.reason,
    r.metricValue,
    r.ableToScaleReason,
    r.scalingLimitedReason,
    r.scalingActiveReason,
    r.rescale ? desired : current,
    st,
  );
}

/**
 * One HPA sync. Order (spec A.2):
 *  1. recordInitialRecommendation: if the key has no list yet, store {specReplicas, now}. Upstream
 *     does this BEFORE the branches below, so it also happens on the very first ScalingDisabled sync.
 *  2. spec == 0 (and min != 0): ScalingDisabled, desired 0, no rescale, no metrics read.
 *  3. spec > max => max; spec < min => min (no metrics read).
 *  4. otherwise: max proposal over valid metrics (invalid-metric rules), normalize (legacy or
 *     behavior), rescale iff desired != spec.
 *  5. on rescale: storeScaleEvent (no-op without behavior).
 */
export function reconcile(cfg: HpaConfig, state: HpaState, input: ReconcileInput): ReconcileResult {
  const { now } = input;
  const current = input.specReplicas;
  const minReplicas = cfg.minReplicas;
  const maxReplicas = cfg.maxReplicas;

  // Shallow copies throughout: entries are immutable in practice (replaced, never mutated).
  // recordInitialRecommendation: no list yet => {spec, now}.
  let recommendations: Recommendation[] = state.recommendations ? state.recommendations.slice() : [{ replicas: current, timestamp: now }];

  if (current === 0 && minReplicas !== 0) {
    return finishReconcile(cfg, state, recommendations, current, now, 0, {
      rescale: false,
      raw: null,
      stabilized: null,
      condition: "ScalingDisabled",
      reason: "scaling is disabled since the replica count of the target is zero",
      metricValue: null,
      ableToScaleReason: "SucceededGetScale",
      scalingLimitedReason: null,
      scalingActiveReason: "ScalingDisabled",
    });
  }
  if (current > maxReplicas) {
    return finishReconcile(cfg, state, recommendations, current, now, maxReplicas, {
      rescale: true,
      raw: null,
      stabilized: null,
      condition: "TooManyReplicas",
      reason: `current number of replicas (${current}) above Spec.MaxReplicas (${maxReplicas})`,
      metricValue: null,
      ableToScaleReason: "SucceededRescale",
      scalingLimitedReason: null,
      scalingActiveReason: "NotComputed",
    });
  }
  if (current < minReplicas) {
    return finishReconcile(cfg, state, recommendations, current, now, minReplicas, {
      rescale: true,
      raw: null,
      stabilized: null,
      condition: "TooFewReplicas",
      reason: `current number of replicas (${current}) below Spec.MinReplicas (${minReplicas})`,
      metricValue: null,
      ableToScaleReason: "SucceededRescale",
      scalingLimitedReason: null,
      scalingActiveReason: "NotComputed",
    });
  }

  // computeReplicasForMetrics
  const tolerances = tolerancesForHpa(cfg);
  const counts: ReplicaCounts = { specReplicas: current, statusReplicas: input.statusReplicas, readyReplicas: input.readyReplicas };
  type Winner = { proposal: Extract<ProposalResult, { ok: true }>; reading: Extract<MetricReading, { ok: true }> };
  let raw = 0;
  let winner: Winner | undefined;
  let invalid = 0;
  let firstInvalid = "";
  for (let i = 0; i < input.metrics.length; i++) {
    const m = input.metrics[i];
    if (!m.ok) {
      invalid++;
      if (!firstInvalid) firstInvalid = `metric ${i}: unable to get external metric`;
      continue;
    }
    const p = externalMetricProposal(m.targetType, toMilli(m.target), toMilli(m.value), counts, tolerances);
    if (!p.ok) {
      invalid++;
      if (!firstInvalid) firstInvalid = `metric ${i}: ${p.reason}`;
      continue;
    }
    // upstream: `if replicas == 0 || replicaCountProposal > replicas`
    if (winner === undefined || raw === 0 || p.replicas > raw) {
      raw = p.replicas;
      winner = { proposal: p, reading: m };
    }
  }
  if (winner === undefined || invalid >= input.metrics.length || (invalid > 0 && raw < current)) {
    const why =
      input.metrics.length === 0
        ? "no metrics"
        : invalid >= input.metrics.length
          ? `invalid metrics (${invalid} invalid out of ${input.metrics.length}), first error is: ${firstInvalid}`
          : `invalid metrics (${invalid} invalid out of ${input.metrics.length}) and valid ones propose ${raw} < ${current}: not scaling down while a metric is broken`;
    return finishReconcile(cfg, state, recommendations, current, now, current, {
      rescale: false,
      raw: null,
      stabilized: null,
      condition: "InvalidMetric",
      reason: why,
      metricValue: null,
      ableToScaleReason: "SucceededGetScale",
      scalingLimitedReason: null,
      scalingActiveReason: "FailedGetExternalMetric",
    });
  }
  const w: Winner = winner;
  const metricValue = w.proposal.usageMilli / 1000;

  let stabilized: number;
  let limited: LimitResult;
  let ableToScaleReason: string;
  let limitText = "";
  if (cfg.behavior === null) {
    const s = stabilizeRecommendation(recommendations, raw, now, cfg.downscaleStabilizationSeconds, cfg.legacyWindowBoundary ?? "expireAtWindow");
    stabilized = s.stabilized;
    recommendations = s.recommendations; // picked up by finish()
    ableToScaleReason = stabilized !== raw ? "ScaleDownStabilized" : "ReadyForNewScale";
    limited = convertDesiredReplicasWithRules(current, stabilized, minReplicas, maxReplicas, cfg.scaleUpLimitFactor, cfg.scaleUpLimitMinimum);
    if (limited.condition === "ScaleUpLimit" && limited.replicas !== stabilized) {
      limitText = `, limited to ${limited.replicas} (max(${fmtNum(cfg.scaleUpLimitFactor)}x${current},${fmtNum(cfg.scaleUpLimitMinimum)}))`;
    }
  } else {
    const rules = resolveBehavior(cfg.behavior, cfg.downscaleStabilizationSeconds);
    const s = stabilizeRecommendationWithBehaviors(recommendations, {
      desired: raw,
      current,
      upWindowSeconds: rules.scaleUp.stabilizationWindowSeconds,
      downWindowSeconds: rules.scaleDown.stabilizationWindowSeconds,
      now,
    });
    stabilized = s.stabilized;
    recommendations = s.recommendations; // picked up by finish()
    ableToScaleReason = stabilized !== raw ? s.reason : "ReadyForNewScale";
    const r = convertDesiredReplicasWithBehaviorRate({
      currentReplicas: current,
      desiredReplicas: stabilized,
      minReplicas,
      maxReplicas,
      scaleUp: rules.scaleUp,
      scaleDown: rules.scaleDown,
      scaleUpEvents: state.scaleUpEvents,
      scaleDownEvents: state.scaleDownEvents,
      now,
    });
    limited = r;
    if ((r.condition === "ScaleUpLimit" || r.condition === "ScaleDownLimit") && r.replicas !== stabilized) {
      limitText = `, limited to ${r.replicas} (${r.condition === "ScaleUpLimit" ? "scale-up" : "scale-down"} policy limit ${r.limit})`;
    }
  }

  const desired = limited.replicas;
  const rescale = desired !== current;
  let condition: string;
  if (limited.replicas !== stabilized) condition = limited.condition;
  else if (stabilized !== raw) condition = ableToScaleReason;
  else if (w.proposal.withinTolerance && raw === current) condition = "ToleranceHold";
  else condition = limited.condition;
  const limitedTo = limited;
  const ableTo = ableToScaleReason;
  const stabilizedTo = stabilized;

  return finishReconcile(cfg, state, recommendations, current, now, desired, {
    rescale,
    raw,
    stabilized,
    condition,
    // Method shorthand, not an arrow: esbuild's keepNames (tsx) wraps a named arrow in __name(), a
    // defineProperty call on every sync.
    reason(): string {
      const metricText =
        w.reading.targetType === "AverageValue"
          ? `metric ${fmtNum(metricValue)} / target ${fmtNum(w.reading.target)}`
          : `metric ${fmtNum(metricValue)} / target value ${fmtNum(w.reading.target)} x ${input.readyReplicas} ready`;
      const rawText = w.proposal.withinTolerance ? `${metricText} within tolerance => ${raw}` : `${metricText} => ${raw}`;
      let stabWhy = `max over the last ${fmtNum(cfg.downscaleStabilizationSeconds)} s`;
      if (cfg.behavior !== null) {
        const rb = resolveBehavior(cfg.behavior, cfg.downscaleStabilizationSeconds);
        stabWhy =
          ableTo === "ScaleUpStabilized"
            ? `lowest recommendation of the last ${fmtNum(rb.scaleUp.stabilizationWindowSeconds)} s`
            : `highest recommendation of the last ${fmtNum(rb.scaleDown.stabilizationWindowSeconds)} s`;
      }
      const stabText = stabilizedTo !== raw ? `, stabilized to ${stabilizedTo} (${stabWhy})` : "";
      const clampText = limitedTo.replicas !== stabilizedTo && !limitText ? `, clamped to ${limitedTo.replicas} (${limitedTo.condition})` : "";
      return `${rawText}${stabText}${limitText}${clampText}${rescale ? "" : " (no change)"}`;
    },
    metricValue,
    ableToScaleReason: rescale ? "SucceededRescale" : ableToScaleReason,
    scalingLimitedReason: limited.condition,
    scalingActiveReason: "ValidMetricFound",
  });
}
