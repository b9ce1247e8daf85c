// Pure model of KEDA's ScaledJob scaling arithmetic: from the scalers' metrics and the Jobs that
// exist to the number of Jobs one poll creates. State in, decision out; no clock, no I/O.
// Sources (read, not copied), kedacore/keda v2.20.2 — unchanged in this arithmetic on main
// (2026-08-20, 8b4f083: only go-fix modernisation of generateJobs), so it stands for 2.21.0:
//   pkg/scaling/scaledjob/metrics.go  getTargetAverageValue, CalculateQueueLengthAndMaxValue,
//                                     IsScaledJobActive, getMaxValue, ceilToInt64
//   pkg/scaling/scale_handler.go      getScaledJobMetrics, getScaledJobState
//   pkg/scaling/executor/scale_jobs.go RequestJobScale, getScalingDecision, createJobs,
//                                     isJobFinished, getRunningJobCount, getPendingJobCount,
//                                     isAnyPodRunningOrCompleted, areAllPendingPodConditionsFulfilled,
//                                     NewScalingStrategy and the four GetEffectiveMaxScale,
//                                     cleanUp / deleteJobsWithHistoryLimit
//   apis/keda/v1alpha1/scaledjob_types.go ScaledJob.MaxReplicaCount, MinReplicaCount (defaults 100, 0)

/** The strategy names the CRD admits (+kubebuilder:validation:Enum=default;custom;accurate;eager); "" = default. */
export const SCALING_STRATEGIES = ["default", "custom", "accurate", "eager"] as const;
/** +kubebuilder:validation:Enum=min;avg;sum;max; "" = max. */
export const MULTIPLE_SCALERS_CALCULATIONS = ["max", "min", "avg", "sum"] as const;

/** scaledjob_types.go defaultScaledJobMaxReplicaCount / defaultScaledJobMinReplicaCount. */
export const SCALED_JOB_DEFAULTS = { maxReplicaCount: 100, minReplicaCount: 0 } as const;

/** The ScaledJob fields the arithmetic reads, as written (null = unset). */
export interface ScaledJobScaling {
  minReplicaCount: number | null;
  maxReplicaCount: number | null;
  /** spec.scalingStrategy.strategy as written ("" or anything unknown selects default, as NewScalingStrategy does). */
  strategy: string;
  customScalingQueueLengthDeduction: number | null;
  /** spec.scalingStrategy.customScalingRunningJobPercentage: a string in the CRD, parsed with strconv.ParseFloat. */
  customScalingRunningJobPercentage: string;
  pendingPodConditions: readonly string[];
  multipleScalersCalculation: string;
}

export const defaultScaledJobScaling = (): ScaledJobScaling => ({
  minReplicaCount: null,
  maxReplicaCount: null,
  strategy: "",
  customScalingQueueLengthDeduction: null,
  customScalingRunningJobPercentage: "",
  pendingPodConditions: [],
  multipleScalersCalculation: "",
});

// ---- replica bounds -------------------------------------------------------------------------

/** ScaledJob.MinReplicaCount(): the spec's value, at most maxReplicaCount when both are set; default 0. */
export function scaledJobMinReplicaCount(s: Pick<ScaledJobScaling, "minReplicaCount" | "maxReplicaCount">): number {
  if (s.minReplicaCount === null) return SCALED_JOB_DEFAULTS.minReplicaCount;
  if (s.maxReplicaCount !== null && s.minReplicaCount > s.maxReplicaCount) return s.maxReplicaCount;
  return s.minReplicaCount;
}

/**
 * ScaledJob.MaxReplicaCount(): NOT the spec's value but the room above minReplicaCount,
 * max − MinReplicaCount() (max itself when min > max); 100 when max is unset — even with min set.
 * Everything downstream (the maxValue cap, the strategies) works with this number.
 */
export function scaledJobMaxReplicaCount(s: Pick<ScaledJobScaling, "minReplicaCount" | "maxReplicaCount">): number {
  if (s.maxReplicaCount === null) return SCALED_JOB_DEFAULTS.maxReplicaCount;
  if (s.minReplicaCount !== null && s.minReplicaCount > s.maxReplicaCount) return s.maxReplicaCount;
  return s.maxReplicaCount - scaledJobMinReplicaCount(s);
}

// ---- metrics: per scaler, then across scalers ------------------------------------------------

/** getTargetAverageValue: the mean of the metric specs' target.averageValue (a spec without one counts 0); 0 for no specs. */
export function getTargetAverageValue(averageValues: readonly (number | null)[]): number {
  if (averageValues.length === 0) return 0;
  let total = 0;
  for (const v of averageValues) total += v ?? 0;
  return total / averageValues.length;
}

/** getMaxValue: min(maxValue, maxReplicaCount). */
const capMaxValue = (maxValue: number, maxReplicaCount: number): number => Math.min(maxValue, maxReplicaCount);

export interface ScalerMetrics {
  queueLength: number;
  maxValue: number;
  isActive: boolean;
}

/**
 * CalculateQueueLengthAndMaxValue: queueLength = Σ of the values of the first spec's metric;
 * maxValue = min(queueLength / targetAverageValue, MaxReplicaCount()) — 0 when the target is 0.
 * `maxReplicaCount` is ScaledJob.MaxReplicaCount() (scaledJobMaxReplicaCount).
 */
export function calculateQueueLengthAndMaxValue(
  metricValues: readonly number[],
  targetAverageValues: readonly (number | null)[],
  maxReplicaCount: number,
): { queueLength: number; maxValue: number; targetAverageValue: number } {
  let queueLength = 0;
  for (const v of metricValues) queueLength += v;
  const targetAverageValue = getTargetAverageValue(targetAverageValues);
  const maxValue = targetAverageValue !== 0 ? capMaxValue(queueLength / targetAverageValue, maxReplicaCount) : 0;
  return { queueLength, maxValue, targetAverageValue };
}

/**
 * One trigger's ScalerMetrics as getScaledJobMetrics builds it for a scaler with one External
 * metric (every kedasim trigger): the trigger's reading and its target (averageValue; the
 * controller refuses metricType on a ScaledJob's triggers, so it is always AverageValue).
 */
export function scalerMetricsOf(reading: { value: number; active: boolean }, target: number, maxReplicaCount: number): ScalerMetrics {
  const q = calculateQueueLengthAndMaxValue([reading.value], [target], maxReplicaCount);
  return { queueLength: q.queueLength, maxValue: q.maxValue, isActive: reading.active };
}

export interface ScaledJobActivity {
  isActive: boolean;
  /** ceil of the combined queue length: RequestJobScale's scaleTo. */
  queueLength: number;
  /** ceil of the combined, capped maxValue: RequestJobScale's maxScale. */
  maxScale: number;
  /** the combined maxValue before ceil (KEDA logs it). */
  maxValue: number;
}

/**
 * IsScaledJobActive with multipleScalersCalculation ("" and anything unknown = max). Only active
 * scalers count. min: the smallest queue among active ones, where a 0 is always replaced (the
 * `queueLength == 0 ||` test), so an active scaler reading 0 only wins when no other is active;
 * max: the first strictly largest queue (a queue of 0 never counts); avg and sum over active ones.
 * Each picks the same scaler's maxValue (avg/sum: its mean/sum). minReplicaCount > 0 makes it
 * active regardless. maxValue is capped at MaxReplicaCount() again, then both are ceiled.
 */
export function isScaledJobActive(scalers: readonly ScalerMetrics[], multipleScalersCalculation: string, minReplicaCount: number, maxReplicaCount: number): ScaledJobActivity {
  let queueLength = 0;
  let maxValue = 0;
  let isActive = false;
  switch (multipleScalersCalculation) {
    case "min":
      for (const m of scalers) {
        if ((queueLength === 0 || m.queueLength < queueLength) && m.isActive) {
          queueLength = m.queueLength;
          maxValue = m.maxValue;
          isActive = true;
        }
      }
      break;
    case "avg": {
      let qSum = 0;
      let mSum = 0;
      let n = 0;
      for (const m of scalers) {
        if (m.isActive) {
          qSum += m.queueLength;
          mSum += m.maxValue;
          isActive = true;
          n++;
        }
      }
      if (n !== 0) {
        queueLength = qSum / n;
        maxValue = mSum / n;
      }
      break;
    }
    case "sum":
      for (const m of scalers) {
        if (m.isActive) {
          queueLength += m.queueLength;
          maxValue += m.maxValue;
          isActive = true;
        }
      }
      break;
    default:
      for (const m of scalers) {
        if (m.queueLength > queueLength && m.isActive) {
          queueLength = m.queueLength;
          maxValue = m.maxValue;
          isActive = true;
        }
      }
  }
  if (minReplicaCount > 0) isActive = true;
  maxValue = capMaxValue(maxValue, maxReplicaCount);
  return { isActive, queueLength: Math.ceil(queueLength), maxScale: Math.ceil(maxValue), maxValue };
}

// ---- what counts as running and pending ------------------------------------------------------

export type ConditionStatus = "True" | "False" | "Unknown";
export interface JobConditionShape {
  type: string; // "Complete" | "Failed" | "Suspended" | "FailureTarget" | "SuccessCriteriaMet" | ...
  status: ConditionStatus;
}
export interface PodShape {
  /** status.phase; "" before the kubelet reports one. */
  phase: "" | "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
  conditions: readonly { type: string; status: ConditionStatus }[];
}
/** A Job with the label scaledjob.keda.sh/name of the ScaledJob, and the pods labelled job-name=<its name>. */
export interface JobShape {
  conditions: readonly JobConditionShape[];
  pods: readonly PodShape[];
}

/** isJobFinished: a Complete or Failed condition with status True. */
export function isJobFinished(job: Pick<JobShape, "conditions">): boolean {
  return job.conditions.some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

/** isAnyPodRunningOrCompleted: some pod in phase Succeeded or Running (none, or only Pending/Failed/Unknown: false). */
export function isAnyPodRunningOrCompleted(pods: readonly PodShape[]): boolean {
  return pods.some((p) => p.phase === "Succeeded" || p.phase === "Running");
}

/**
 * areAllPendingPodConditionsFulfilled: some pod has every listed condition with status True.
 * Upstream compares the number of distinct fulfilled conditions with the length of the list, so a
 * list naming a condition twice is never fulfilled (every unfinished Job stays pending).
 */
export function areAllPendingPodConditionsFulfilled(pods: readonly PodShape[], pendingPodConditions: readonly string[]): boolean {
  const required = new Set(pendingPodConditions);
  for (const pod of pods) {
    const fulfilled = new Set<string>();
    for (const c of pod.conditions) if (required.has(c.type) && c.status === "True") fulfilled.add(c.type);
    if (fulfilled.size === pendingPodConditions.length) return true;
  }
  return false;
}

/** getRunningJobCount: the Jobs not finished (a Job whose pods all wait is "running" too). */
export function getRunningJobCount(jobs: readonly JobShape[]): number {
  return jobs.filter((j) => !isJobFinished(j)).length;
}

/**
 * getPendingJobCount: unfinished Jobs that, with pendingPodConditions, have no pod fulfilling all
 * of them, else have no pod Running or Succeeded. A pending Job is also a running one.
 */
export function getPendingJobCount(jobs: readonly JobShape[], pendingPodConditions: readonly string[]): number {
  let n = 0;
  for (const j of jobs) {
    if (isJobFinished(j)) continue;
    const pending = pendingPodConditions.length > 0 ? !areAllPendingPodConditionsFulfilled(j.pods, pendingPodConditions) : !isAnyPodRunningOrCompleted(j.pods);
    if (pending) n++;
  }
  return n;
}

// ---- strategies ------------------------------------------------------------------------------

export type ScalingStrategy =
  | { kind: "default" }
  | { kind: "custom"; deduction: number; runningPercentage: number }
  | { kind: "accurate" }
  | { kind: "eager" };

/**
 * Go strconv.ParseFloat(s, 64): decimal or hexadecimal (0x…p…) literals, "inf"/"infinity"/"nan"
 * in any case, with an optional sign; underscores only between digits of a 0x literal. Out of
 * range (e.g. "1e400") is an error there, so null here as for a syntax error.
 */
export function goParseFloat(s: string): number | null {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return Number.NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    return Number.isFinite(v) ? v : null;
  }
  const hex = /^([+-]?)0[xX](_?[0-9a-fA-F](?:_?[0-9a-fA-F])*\.?(?:[0-9a-fA-F](?:_?[0-9a-fA-F])*)?|\.[0-9a-fA-F](?:_?[0-9a-fA-F])*)[pP]([+-]?\d+)$/.exec(s);
  if (hex) {
    const [intPart, fracPart = ""] = hex[2].replace(/_/g, "").split(".");
    const mantissa = parseInt(intPart || "0", 16) + (fracPart ? parseInt(fracPart, 16) / 16 ** fracPart.length : 0);
    const v = mantissa * 2 ** Number(hex[3]) * (hex[1] === "-" ? -1 : 1);
    return Number.isFinite(v) ? v : null;
  }
  return null;
}

/**
 * NewScalingStrategy: "custom" needs customScalingRunningJobPercentage to parse as a float (""
 * does not), else it falls back to default; deduction unset = 0 (kedacore/keda#7798, fixed in
 * #7871); "accurate", "eager"; anything else default. A NaN or infinite percentage parses upstream
 * but then overflows int64 in GetEffectiveMaxScale: not modelled (the scenario parser refuses it).
 */
export function newScalingStrategy(s: Pick<ScaledJobScaling, "strategy" | "customScalingQueueLengthDeduction" | "customScalingRunningJobPercentage">): ScalingStrategy {
  switch (s.strategy) {
    case "custom": {
      const p = goParseFloat(s.customScalingRunningJobPercentage);
      if (p === null) return { kind: "default" };
      if (!Number.isFinite(p)) throw new RangeError(`customScalingRunningJobPercentage "${s.customScalingRunningJobPercentage}" is not finite: KEDA's int64 arithmetic on it is not modelled`);
      return { kind: "custom", deduction: s.customScalingQueueLengthDeduction ?? 0, runningPercentage: p };
    }
    case "accurate":
      return { kind: "accurate" };
    case "eager":
      return { kind: "eager" };
    default:
      return { kind: "default" };
  }
}

/**
 * GetEffectiveMaxScale of each strategy: [effectiveMaxScale, scaleTo]. runningJobCount here is
 * what getScalingDecision passes (running − MinReplicaCount()), maxReplicaCount is MaxReplicaCount().
 *   default:  maxScale − running
 *   custom:   min(maxScale − deduction − trunc(running × percentage), maxReplicaCount)
 *   accurate: maxScale + running − pending > maxReplicaCount ? maxReplicaCount − running : maxScale − pending
 *   eager:    min(maxReplicaCount − running − pending, maxScale), and scaleTo becomes maxReplicaCount
 */
export function getEffectiveMaxScale(st: ScalingStrategy, maxScale: number, runningJobCount: number, pendingJobCount: number, maxReplicaCount: number, scaleTo: number): [number, number] {
  switch (st.kind) {
    case "default":
      return [maxScale - runningJobCount, scaleTo];
    case "custom": {
      // int64(float64(running) * percentage): Go truncates toward zero.
      const result = maxScale - st.deduction - Math.trunc(runningJobCount * st.runningPercentage);
      return [Math.min(result, maxReplicaCount), scaleTo];
    }
    case "accurate":
      if (maxScale + runningJobCount - pendingJobCount > maxReplicaCount) return [maxReplicaCount - runningJobCount, scaleTo];
      return [maxScale - pendingJobCount, scaleTo];
    case "eager":
      return [Math.min(maxReplicaCount - runningJobCount - pendingJobCount, maxScale), maxReplicaCount];
  }
}

/**
 * getScalingDecision: below MinReplicaCount() the strategy is skipped and exactly the missing
 * Jobs are asked for; otherwise the strategy sees running − MinReplicaCount().
 */
export function getScalingDecision(cfg: ScaledJobScaling, runningJobCount: number, scaleTo: number, maxScale: number, pendingJobCount: number): [number, number] {
  const min = scaledJobMinReplicaCount(cfg);
  if (runningJobCount < min) return [min - runningJobCount, min - runningJobCount];
  return getEffectiveMaxScale(newScalingStrategy(cfg), maxScale, runningJobCount - min, pendingJobCount, scaledJobMaxReplicaCount(cfg), scaleTo);
}

export interface JobScaleInput {
  isActive: boolean;
  /** IsScaledJobActive's queueLength (ceiled): RequestJobScale's scaleTo. */
  queueLength: number;
  /** IsScaledJobActive's maxValue (ceiled): RequestJobScale's maxScale. */
  maxScale: number;
  runningJobCount: number;
  pendingJobCount: number;
}

export interface JobScaleDecision {
  /** Jobs this poll creates. */
  create: number;
  /** getScalingDecision's effectiveMaxScale, floored at 0 as RequestJobScale does. */
  effectiveMaxScale: number;
  /** getScalingDecision's scaleTo (eager: MaxReplicaCount(); below min: the missing Jobs). */
  scaleTo: number;
  /** The strategy NewScalingStrategy selected ("belowMin" when getScalingDecision skipped it). */
  strategy: ScalingStrategy["kind"] | "belowMin";
  /** e.g. "queue 23, running 4, pending 2 → accurate: create 17 (…arithmetic…)". */
  reason: string;
}

/**
 * RequestJobScale + createJobs: nothing unless isActive; effectiveMaxScale < 0 → 0;
 * effectiveMaxScale 0 → no Jobs; else min(scaleTo, effectiveMaxScale) Jobs.
 */
export function requestJobScale(cfg: ScaledJobScaling, input: JobScaleInput): JobScaleDecision {
  const { queueLength, maxScale, runningJobCount: running, pendingJobCount: pending } = input;
  const min = scaledJobMinReplicaCount(cfg);
  const maxRc = scaledJobMaxReplicaCount(cfg);
  const belowMin = running < min;
  const st = newScalingStrategy(cfg);
  const [rawEffective, scaleTo] = getScalingDecision(cfg, running, queueLength, maxScale, pending);
  const effectiveMaxScale = Math.max(rawEffective, 0);
  const create = !input.isActive || effectiveMaxScale <= 0 ? 0 : Math.min(scaleTo, effectiveMaxScale);
  const strategy = belowMin ? "belowMin" : st.kind;
  const head = `queue ${queueLength}, running ${running}, pending ${pending}`;
  let why: string;
  if (!input.isActive) why = "not active";
  else if (belowMin) why = `running ${running} < minReplicaCount ${min} ⇒ ${min} − ${running} = ${min - running}`;
  else {
    const r = running - min;
    const rs = min > 0 ? `(running ${running} − min ${min})` : `running ${running}`;
    switch (st.kind) {
      case "default":
        why = `maxScale ${maxScale} − ${rs} = ${rawEffective}`;
        break;
      case "custom":
        why = `min(maxScale ${maxScale} − deduction ${st.deduction} − trunc(${r} × ${st.runningPercentage}), max ${maxRc}) = ${rawEffective}`;
        break;
      case "accurate":
        why =
          maxScale + r - pending > maxRc
            ? `maxScale ${maxScale} + ${r} − pending ${pending} > max ${maxRc} ⇒ ${maxRc} − ${r} = ${rawEffective}`
            : `maxScale ${maxScale} − pending ${pending} = ${rawEffective}`;
        break;
      case "eager":
        why = `min(max ${maxRc} − ${r} − pending ${pending}, maxScale ${maxScale}) = ${rawEffective}`;
        break;
    }
    why += effectiveMaxScale <= 0 ? " ⇒ none" : `; min(${st.kind === "eager" ? `max ${scaleTo}` : `queue ${scaleTo}`}, ${effectiveMaxScale}) = ${create}`;
  }
  return { create, effectiveMaxScale, scaleTo, strategy, reason: `${head} → ${strategy}: create ${create} (${why})` };
}

/**
 * One poll of a ScaledJob from the triggers' readings and the Jobs that exist
 * (getScaledJobState → IsScaledJobActive, getRunningJobCount, getPendingJobCount, RequestJobScale).
 */
export function scaledJobPoll(
  cfg: ScaledJobScaling,
  readings: readonly { value: number; active: boolean; target: number }[],
  jobs: readonly JobShape[],
): JobScaleDecision & { activity: ScaledJobActivity; runningJobCount: number; pendingJobCount: number } {
  const maxRc = scaledJobMaxReplicaCount(cfg);
  const metrics = readings.map((r) => scalerMetricsOf(r, r.target, maxRc));
  const activity = isScaledJobActive(metrics, cfg.multipleScalersCalculation, scaledJobMinReplicaCount(cfg), maxRc);
  const runningJobCount = getRunningJobCount(jobs);
  const pendingJobCount = getPendingJobCount(jobs, cfg.pendingPodConditions);
  const d = requestJobScale(cfg, { isActive: activity.isActive, queueLength: activity.queueLength, maxScale: activity.maxScale, runningJobCount, pendingJobCount });
  return { ...d, activity, runningJobCount, pendingJobCount };
}

// ---- history limits ---------------------------------------------------------------------------

/** executor/scale_jobs.go defaultSuccessfulJobsHistoryLimit / defaultFailedJobsHistoryLimit. */
export const DEFAULT_JOBS_HISTORY_LIMIT = 100;

/**
 * cleanUp / deleteJobsWithHistoryLimit: of the finished Jobs (getFinishedJobConditionType: the
 * first Complete or Failed condition that is True), per kind, the oldest by completion time beyond
 * the limit are deleted. Returns the indices of the Jobs to delete. Go's sort.Sort is not stable;
 * equal completion times are ordered here by their position in the list.
 */
export function jobsToDeleteByHistoryLimit(
  jobs: readonly { conditions: readonly JobConditionShape[]; completionTime: number }[],
  successfulJobsHistoryLimit: number | null,
  failedJobsHistoryLimit: number | null,
): number[] {
  const kind = (j: { conditions: readonly JobConditionShape[] }) => j.conditions.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True")?.type;
  const oldest = (type: string, limit: number): number[] => {
    const idx = jobs.map((j, i) => ({ j, i })).filter(({ j }) => kind(j) === type);
    idx.sort((a, b) => a.j.completionTime - b.j.completionTime || a.i - b.i);
    return idx.length <= limit ? [] : idx.slice(0, idx.length - limit).map(({ i }) => i);
  };
  return [...oldest("Complete", successfulJobsHistoryLimit ?? DEFAULT_JOBS_HISTORY_LIMIT), ...oldest("Failed", failedJobsHistoryLimit ?? DEFAULT_JOBS_HISTORY_LIMIT)];
}
