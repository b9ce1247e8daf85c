// Replays the upstream decision vectors (fixtures/vectors/hpa-vectors.json, transcribed from the
// unit tests of kubernetes/kubernetes pkg/controller/podautoscaler and kedacore/keda) through the
// pure decision functions. Each vector is dispatched on its `source` (test name) and input shape.
// Never throws on a bad vector: it is reported "unsupported" with the reason.

import {
  calculateScaleDownLimitWithBehaviors,
  calculateScaleUpLimitWithScalingRules,
  convertDesiredReplicasWithBehaviorRate,
  convertDesiredReplicasWithRules,
  defaultHpaConfig,
  externalMetricProposal,
  getReplicasChangePerPeriod,
  plainUsageRatioProposal,
  podsMetricUsageRatio,
  reconcile,
  resolveBehavior,
  stabilizeRecommendation,
  stabilizeRecommendationWithBehaviors,
  storeScaleEvent,
  type HpaBehavior,
  type HpaScalingRules,
  type MetricReading,
  type MetricTargetType,
  type Recommendation,
  type ScaleEvent,
  type Tolerances,
} from "./decisions/hpa.js";
import { defaultScaledObjectConfig, isPaused, KEDA_DEFAULTS, requestScale, type ScaledObjectConfig } from "./decisions/keda.js";
import { NEWEST_KEDA_VERSION } from "./decisions/versions.js";
import { AnnotationError, pauseAnnotations } from "./scenario/annotations.js";
import { checkFallbackValid, replicaCountBoundsError, validateTriggers } from "./scenario/keda-validation.js";
import { getMetricWithFallback, type FallbackConfig, type MetricHealth } from "./decisions/fallback.js";
import { getNextFactor } from "./decisions/kafka.js";
import { hpaBehaviorForScaledObject } from "./decisions/paused-behavior.js";
import { parseTrigger } from "./triggers/index.js";
import {
  calculateQueueLengthAndMaxValue,
  defaultScaledJobScaling,
  getEffectiveMaxScale,
  getPendingJobCount,
  getScalingDecision,
  getTargetAverageValue,
  isScaledJobActive,
  jobsToDeleteByHistoryLimit,
  newScalingStrategy,
  scaledJobMaxReplicaCount,
  scaledJobMinReplicaCount,
  type JobShape,
  type PodShape,
  type ScaledJobScaling,
} from "./decisions/scaled-job.js";

export interface VectorResult {
  index: number;
  source: string;
  status: "pass" | "fail" | "unsupported";
  expected?: unknown;
  got?: unknown;
  why?: string;
}

/** Fixed "now" for vectors given as ages relative to the test's time.Now(). */
const NOW = 100_000;
/** horizontal_test.go init() sets scaleUpLimitFactor = 8 (production 2). */
const TEST_SCALE_UP_LIMIT_FACTOR = 8;

type Obj = Record<string, unknown>;
class Unsupported extends Error {}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
function num(o: Obj, k: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Unsupported(`input "${k}" is not a number`);
  return v;
}
function optNum(o: Obj, k: string): number | undefined {
  return o[k] === undefined || o[k] === null ? undefined : num(o, k);
}
function arr(o: Obj, k: string): unknown[] {
  const v = o[k];
  if (!Array.isArray(v)) throw new Unsupported(`input "${k}" is not a list`);
  return v;
}

/** [value, age] pairs; ages are seconds before now, given as -120 (recommendations) or 120 (events). */
function toRecs(list: unknown[]): Recommendation[] {
  return list.map((e) => {
    if (!Array.isArray(e) || e.length !== 2) throw new Unsupported("recommendation entry is not [value, age_s]");
    return { replicas: Number(e[0]), timestamp: NOW - Math.abs(Number(e[1])) };
  });
}
function toEvents(list: unknown[]): ScaleEvent[] {
  return list.map((e) => {
    if (Array.isArray(e) && e.length === 2) return { replicaChange: Number(e[0]), timestamp: NOW - Math.abs(Number(e[1])), outdated: false };
    throw new Unsupported("scale event entry is not [replicaChange, age_s]");
  });
}
function toRules(v: unknown): Partial<HpaScalingRules> {
  if (!isObj(v)) throw new Unsupported("scaling rules are not an object");
  const r: Partial<HpaScalingRules> = {};
  if (v.selectPolicy !== undefined) r.selectPolicy = v.selectPolicy as HpaScalingRules["selectPolicy"];
  if (v.stabilizationWindowSeconds !== undefined) r.stabilizationWindowSeconds = v.stabilizationWindowSeconds as number | null;
  if (v.policies !== undefined) r.policies = v.policies as HpaScalingRules["policies"];
  return r;
}
function tolerancesOf(inputs: Obj): Tolerances {
  const t = inputs.tolerances;
  if (t === undefined) return { scaleDown: 0.1, scaleUp: 0.1 };
  if (!isObj(t)) throw new Unsupported("tolerances is not an object");
  return { scaleDown: num(t, "scaleDown"), scaleUp: num(t, "scaleUp") };
}
const sum = (xs: unknown[]): number => xs.reduce<number>((a, b) => a + Number(b), 0);

/** A handler computes `got` for every key of `expected` it understands; unknown keys => unsupported. */
type Handler = (inputs: Obj, expected: Obj, test: string) => Obj;

interface Family {
  name: string;
  match: (file: string, test: string, inputs: Obj) => boolean;
  run: Handler;
}

const testBase = (test: string): string => test.split("/")[0].split(" (")[0].trim();

const families: Family[] = [
  {
    name: "horizontal_test.go reconcileAutoscaler (behavior=nil)",
    match: (f, t, i) =>
      f.endsWith("horizontal_test.go") &&
      /^Test(ScaleUp|ScaleDown|Tolerance)\w*CMExternal$|^TestScaleDownToZeroCMExternal$|^TestZeroReplicas$|^TestTooFewReplicas$|^TestTooManyReplicas$/.test(testBase(t)) &&
      "specReplicas" in i,
    run: (i) => {
      const cfg = { ...defaultHpaConfig(num(i, "minReplicas"), num(i, "maxReplicas")), scaleUpLimitFactor: TEST_SCALE_UP_LIMIT_FACTOR };
      const spec = num(i, "specReplicas");
      const status = optNum(i, "statusReplicas") ?? spec;
      const metrics: MetricReading[] = [];
      if (i.metric !== undefined) {
        if (!isObj(i.metric)) throw new Unsupported("metric is not an object");
        if (i.metric.type !== "External") throw new Unsupported(`metric type ${String(i.metric.type)} is not modelled by reconcile (External only)`);
        const tt = i.metric.target;
        if (tt !== "Value" && tt !== "AverageValue") throw new Unsupported(`metric target ${String(tt)}`);
        metrics.push({ ok: true, targetType: tt, target: num(i.metric, "target_milli") / 1000, value: sum(arr(i, "metric_value_milli")) / 1000 });
      }
      const state = {
        recommendations: i.recommendations === undefined ? null : toRecs(arr(i, "recommendations")),
        scaleUpEvents: [],
        scaleDownEvents: [],
      };
      const r = reconcile(cfg, state, { now: NOW, specReplicas: spec, statusReplicas: status, readyReplicas: optNum(i, "readyPods") ?? status, metrics });
      return {
        desiredReplicas: r.desired,
        scaleUpdated: r.rescale,
        AbleToScaleReason: r.ableToScaleReason,
        conditions: {
          AbleToScale: `True/${r.rescale ? "SucceededRescale" : r.scalingActiveReason === "ScalingDisabled" ? "SucceededGetScale" : r.ableToScaleReason}`,
          ScalingActive: `${r.scalingActiveReason === "ValidMetricFound" ? "True" : "False"}/${r.scalingActiveReason}`,
        },
      };
    },
  },
  {
    name: "horizontal_test.go TestConvertDesiredReplicasWithRules",
    match: (f, t) => f.endsWith("horizontal_test.go") && testBase(t) === "TestConvertDesiredReplicasWithRules",
    run: (i) => {
      const r = convertDesiredReplicasWithRules(
        num(i, "currentReplicas"),
        num(i, "desiredReplicas"),
        num(i, "hpaMinReplicas"),
        num(i, "hpaMaxReplicas"),
        TEST_SCALE_UP_LIMIT_FACTOR,
        4,
      );
      return { replicas: r.replicas, condition: r.condition };
    },
  },
  {
    name: "horizontal_test.go TestNormalizeDesiredReplicas (legacy stabilizeRecommendation)",
    match: (f, t) => f.endsWith("horizontal_test.go") && testBase(t) === "TestNormalizeDesiredReplicas",
    run: (i) => {
      const s = stabilizeRecommendation(toRecs(arr(i, "recommendations_[value,age_s]")), num(i, "prenormalizedDesiredReplicas"), NOW, num(i, "downscaleStabilisationWindow_s"));
      return { stabilizedReplicas: s.stabilized, recommendationLogLength: s.recommendations.length };
    },
  },
  {
    name: "horizontal_test.go TestNormalizeDesiredReplicasWithBehavior (stabilizeRecommendationWithBehaviors)",
    match: (f, t) => f.endsWith("horizontal_test.go") && testBase(t) === "TestNormalizeDesiredReplicasWithBehavior",
    run: (i) => {
      const s = stabilizeRecommendationWithBehaviors(toRecs(arr(i, "recommendations_[value,age_s]")), {
        desired: num(i, "prenormalizedDesiredReplicas"),
        current: num(i, "currentReplicas"),
        upWindowSeconds: num(i, "scaleUpStabilizationWindowSeconds"),
        downWindowSeconds: num(i, "scaleDownStabilizationWindowSeconds"),
        now: NOW,
      });
      return { stabilizedReplicas: s.stabilized, storedRecommendations: s.recommendations.map((r) => r.replicas) };
    },
  },
  {
    name: "horizontal_test.go TestScalingWithRules (convertDesiredReplicasWithBehaviorRate)",
    match: (f, t) => f.endsWith("horizontal_test.go") && testBase(t) === "TestScalingWithRules",
    run: (i) => {
      const b: HpaBehavior = { scaleUp: toRules(i.scaleUpRules), scaleDown: toRules(i.scaleDownRules) };
      const rules = resolveBehavior(b);
      const r = convertDesiredReplicasWithBehaviorRate({
        currentReplicas: num(i, "currentReplicas"),
        desiredReplicas: num(i, "prenormalizedDesiredReplicas"),
        minReplicas: num(i, "specMinReplicas"),
        maxReplicas: num(i, "specMaxReplicas"),
        scaleUp: rules.scaleUp,
        scaleDown: rules.scaleDown,
        scaleUpEvents: i["scaleUpEvents_[replicaChange,age_s]"] === undefined ? [] : toEvents(arr(i, "scaleUpEvents_[replicaChange,age_s]")),
        scaleDownEvents: i["scaleDownEvents_[replicaChange,age_s]"] === undefined ? [] : toEvents(arr(i, "scaleDownEvents_[replicaChange,age_s]")),
        now: NOW,
      });
      return { replicas: r.replicas, condition: r.condition };
    },
  },
  {
    name: "horizontal_test.go TestCalculateScale{Up,Down}Limit*",
    match: (f, t) => f.endsWith("horizontal_test.go") && (testBase(t) === "TestCalculateScaleUpLimitWithScalingRules" || testBase(t) === "TestCalculateScaleDownLimitWithBehaviors"),
    run: (i, _e, test) => {
      const rules = { selectPolicy: i.selectPolicy as HpaScalingRules["selectPolicy"], policies: arr(i, "policies") as HpaScalingRules["policies"] };
      const up = toEvents(arr(i, "scaleUpEvents"));
      const down = toEvents(arr(i, "scaleDownEvents"));
      const current = num(i, "currentReplicas");
      return {
        limit:
          testBase(test) === "TestCalculateScaleUpLimitWithScalingRules"
            ? calculateScaleUpLimitWithScalingRules(current, up, down, rules, NOW)
            : calculateScaleDownLimitWithBehaviors(current, up, down, rules, NOW),
      };
    },
  },
  {
    name: "horizontal_test.go TestStoreScaleEvents (both directions)",
    match: (f, t) => f.endsWith("horizontal_test.go") && testBase(t) === "TestStoreScaleEvents",
    run: (i) => {
      const events = toEvents(arr(i, "previousEvents_[replicaChange,age_s]"));
      const rules = i.behaviorRules === null ? null : toRules(i.behaviorRules);
      const behavior: HpaBehavior | null = rules === null ? null : { scaleUp: rules, scaleDown: rules };
      const change = num(i, "newEventReplicaChange");
      const before = getReplicasChangePerPeriod(60, events, NOW);
      const up = storeScaleEvent(behavior, { scaleUpEvents: events, scaleDownEvents: [] }, 10, 10 + change, NOW).scaleUpEvents;
      const down = storeScaleEvent(behavior, { scaleUpEvents: [], scaleDownEvents: events }, 10 + change, 10, NOW).scaleDownEvents;
      const fmt = (es: ScaleEvent[]) => es.map((e) => [e.replicaChange, e.outdated]);
      const upF = fmt(up);
      const downF = fmt(down);
      return {
        getReplicasChangePerPeriod_60s_before_store: before,
        "eventsAfterStore_[replicaChange,outdated]": JSON.stringify(upF) === JSON.stringify(downF) ? upF : { scaleUp: upF, scaleDown: downF },
      };
    },
  },
  {
    name: "replica_calculator_test.go (External, plain Resource/Pods ratios)",
    match: (f, t) => f.endsWith("replica_calculator_test.go") && testBase(t).startsWith("TestReplicaCalc"),
    run: (i) => {
      const current = num(i, "currentReplicas");
      const tol = tolerancesOf(i);
      const mt = String(i.metricType);
      const readiness = i.podReadiness === undefined ? null : arr(i, "podReadiness");
      const ready = readiness === null ? current : readiness.filter((x) => x === "True").length;
      if (mt === "External Value" || mt === "External AverageValue") {
        const tt: MetricTargetType = mt === "External Value" ? "Value" : "AverageValue";
        const target = tt === "Value" ? num(i, "target_milli") : num(i, "perPodTarget_milli");
        const p = externalMetricProposal(tt, target, sum(arr(i, "metric_milli")), { specReplicas: current, statusReplicas: current, readyReplicas: ready }, tol);
        if (!p.ok) return { replicas: `error: ${p.reason}` };
        return tt === "Value" ? { replicas: p.replicas, usage_milli: p.usageMilli } : { replicas: p.replicas, usage_milli_per_pod: p.currentMilli };
      }
      if (mt === "Resource cpu Utilization") {
        if (readiness !== null) throw new Unsupported("unready pods for Resource metrics (GetResourceReplicas heuristics) are not modelled");
        const ratio = num(i, "observedUtilization_pct") / num(i, "targetUtilization_pct");
        return { replicas: plainUsageRatioProposal(current, current, ratio, tol) };
      }
      if (mt === "Pods AverageValue") {
        if (readiness !== null) throw new Unsupported("unready pods for Pods metrics (calcPlainMetricReplicas heuristics) are not modelled");
        const values = arr(i, "metric_milli").map(Number);
        if (values.length !== current) throw new Unsupported("missing pods for Pods metrics are not modelled");
        const u = podsMetricUsageRatio(values, num(i, "target_milli"));
        return { replicas: plainUsageRatioProposal(current, values.length, u.ratio, tol), usage_milli: u.usageMilli };
      }
      throw new Unsupported(`metricType "${mt}" is not modelled`);
    },
  },
  {
    name: "scale_scaledobjects_test.go RequestScale",
    match: (f) => f.endsWith("scale_scaledobjects_test.go"),
    run: (i) => {
      const current = num(i, "currentReplicas");
      const so: ScaledObjectConfig = {
        ...defaultScaledObjectConfig(),
        minReplicaCount: num(i, "minReplicaCount"),
        idleReplicaCount: optNum(i, "idleReplicaCount") ?? null,
      };
      const ann = i.annotation === undefined ? null : String(i.annotation);
      if (ann !== null) {
        // "key=value", read as the loader reads the ScaledObject's annotations.
        const eq = ann.indexOf("=");
        if (eq < 0) throw new Unsupported(`annotation ${ann}`);
        Object.assign(so, pauseAnnotations({ [ann.slice(0, eq)]: ann.slice(eq + 1) }, "vector"));
      }
      const isActive = i.isActive === true;
      // LastActiveTime nil and creationTimestamp zero (the Go zero time: long before now).
      const r = requestScale(so, { lastActiveTime: null, creationTime: -1e9 }, { now: NOW, currentReplicas: current, isActive, isError: false });
      const replicas = r.replicas ?? current;
      const activeNow = r.condition === "ScalerActive";
      return {
        replicas,
        ActiveCondition: activeNow ? "True/ScalerActive" : "False",
        PausedCondition: r.condition === "ScaledObjectPaused",
        LastActiveTimeSet: r.state.lastActiveTime !== null,
        event: r.replicas === null ? null : `${activeNow ? "KEDAScaleTargetActivated" : "KEDAScaleTargetDeactivated"} 'from ${current} to ${r.replicas}'`,
      };
    },
  },
  {
    name: "fallback_test.go GetMetricsWithFallback",
    match: (f) => f.endsWith("fallback_test.go"),
    run: (i) => {
      if (!isObj(i.fallback)) throw new Unsupported("fallback is not an object");
      const beh = String(i.fallback.behavior ?? "static").replace("(default)", "");
      const fb: FallbackConfig = { failureThreshold: num(i.fallback, "failureThreshold"), replicas: num(i.fallback, "replicas"), behavior: beh as FallbackConfig["behavior"] };
      const prior = num(i, "priorFailures");
      const h: MetricHealth = { numberOfFailures: prior, status: prior > 0 ? "Failing" : "Happy" };
      const ok = i.scalerError === false;
      const current = optNum(i, "currentReplicas") ?? 0;
      const out = getMetricWithFallback(fb, h, ok ? { ok: true, value: 0 } : { ok: false }, num(i, "targetAverageValue"), "AverageValue", current, current);
      return { metricValue: out.outcome.ok ? out.outcome.value : `error: ${out.outcome.reason}`, healthAfter: out.health };
    },
  },
  // What a cluster admits (issue 14, deviation 5): sim/scenario/keda-validation.ts. A vector may
  // carry inputs.kedaVersion (the release whose test it was transcribed from).
  {
    name: "scaledobject_types_test.go TestCheckFallbackValid",
    match: (f, t) => f.endsWith("scaledobject_types_test.go") && testBase(t) === "TestCheckFallbackValid",
    run: (i, e) => errorOutcome(checkFallbackValid(specOf(i), versionOf(i)), e),
  },
  {
    name: "scaledobject_types_test.go TestCheckReplicaCountBoundsAreValid",
    match: (f, t) => f.endsWith("scaledobject_types_test.go") && testBase(t) === "TestCheckReplicaCountBoundsAreValid",
    run: (i, e) => {
      const spec = specOf(i);
      const so: ScaledObjectConfig = {
        ...defaultScaledObjectConfig(),
        minReplicaCount: optNum(spec, "minReplicaCount") ?? 0,
        maxReplicaCount: optNum(spec, "maxReplicaCount") ?? KEDA_DEFAULTS.maxReplicaCount,
        idleReplicaCount: optNum(spec, "idleReplicaCount") ?? null,
      };
      return errorOutcome(replicaCountBoundsError(so, spec)?.expected ?? null, e);
    },
  },
  {
    name: "scaledobject_types_test.go TestNeedToBePausedByAnnotation / TestGetPausedReplicaCount",
    match: (f, t) => f.endsWith("scaledobject_types_test.go") && (testBase(t) === "TestNeedToBePausedByAnnotation" || testBase(t) === "TestGetPausedReplicaCount"),
    run: (i) => {
      const annotations = i.annotations === null || i.annotations === undefined ? {} : i.annotations;
      if (!isObj(annotations)) throw new Unsupported("annotations is not an object");
      try {
        const p = pauseAnnotations(annotations, "vector");
        return { paused: isPaused(p), pausedReplicaCount: p.pausedReplicas ?? null, error: false };
      } catch (err) {
        if (err instanceof AnnotationError) return { paused: null, pausedReplicaCount: null, error: true };
        throw err;
      }
    },
  },
  {
    name: "scaledobject_controller_test.go (the HPA KEDA creates for paused-scale-in/out)",
    match: (f) => f.endsWith("controllers/keda/scaledobject_controller_test.go"),
    run: (i) => {
      const annotations = isObj(i.annotations) ? i.annotations : {};
      const b = hpaBehaviorForScaledObject(null, pauseAnnotations(annotations, "vector"), versionOf(i));
      return { scaleDownSelectPolicy: b?.scaleDown?.selectPolicy ?? null, scaleUpSelectPolicy: b?.scaleUp?.selectPolicy ?? null };
    },
  },
  {
    name: "scaletriggers_types_test.go TestValidateTriggers",
    match: (f, t) => f.endsWith("scaletriggers_types_test.go") && testBase(t) === "TestValidateTriggers",
    run: (i) => ({ errorMessage: validateTriggers(arr(i, "triggers"))?.message ?? "" }),
  },
  {
    name: "kafka_scaler_test.go TestGetNextFactor",
    match: (f, t) => f.endsWith("kafka_scaler_test.go") && testBase(t) === "TestGetNextFactor",
    run: (i) => ({ factor: getNextFactor(num(i, "totalLag"), num(i, "totalTopicPartitions"), num(i, "lagThreshold")) }),
  },
  // ScaledJob (issue 16): sim/decisions/scaled-job.ts, one handler per upstream test.
  {
    name: "ScaledJob arithmetic (scale_jobs_test.go, scale_handler_test.go TestGetScaledJobState*, scaledjob/metrics_test.go, scaledjob_types_test.go)",
    match: (f, t) =>
      f.endsWith("pkg/scaling/executor/scale_jobs_test.go") ||
      f.endsWith("pkg/scaling/scaledjob/metrics_test.go") ||
      f.endsWith("scaledjob_types_test.go") ||
      (f.endsWith("pkg/scaling/scale_handler_test.go") && testBase(t).startsWith("TestGetScaledJobState")),
    run: (i, e, test) => scaledJobVector(i, e, testBase(test)),
  },
  {
    name: "rabbitmq_scaler_test.go (through the rabbitmq trigger)",
    match: (f) => f.endsWith("rabbitmq_scaler_test.go"),
    run: (i) => {
      let mode = String(i.mode);
      let value = i.value === undefined ? undefined : num(i, "value");
      const m = /^(\w+)\(value=([0-9.]+)\)$/.exec(mode);
      if (m) {
        mode = m[1];
        value = Number(m[2]);
      }
      const metadata: Record<string, string> = { queueName: "q", mode, protocol: String(i.protocol), activationValue: String(num(i, "activationValue")) };
      if (value !== undefined) metadata.value = String(value);
      const trig = parseTrigger({ type: "rabbitmq", metadata }, 0, "vector");
      const messages = num(i, "messages");
      const unacked = optNum(i, "messages_unacknowledged") ?? 0;
      const reading = trig.read({ ready: messages - unacked, inFlight: unacked, prefetched: 0, publishRate: optNum(i, "publishRate") ?? 0, deliverRate: optNum(i, "deliverGetRate") ?? 0 });
      return { metric_milli: Math.round(reading.value * 1000), isActive: reading.active };
    },
  },
];

/** A ScaledJob spec's scaling fields from a vector's inputs (minReplicaCount, maxReplicaCount, scalingStrategy). */
function scaledJobScalingOf(i: Obj): ScaledJobScaling {
  const ss = i.scalingStrategy === undefined ? {} : i.scalingStrategy;
  if (!isObj(ss)) throw new Unsupported("scalingStrategy is not an object");
  return {
    ...defaultScaledJobScaling(),
    minReplicaCount: optNum(i, "minReplicaCount") ?? null,
    maxReplicaCount: optNum(i, "maxReplicaCount") ?? null,
    strategy: typeof ss.strategy === "string" ? ss.strategy : "",
    customScalingQueueLengthDeduction: optNum(ss, "customScalingQueueLengthDeduction") ?? null,
    customScalingRunningJobPercentage: typeof ss.customScalingRunningJobPercentage === "string" ? ss.customScalingRunningJobPercentage : "",
    pendingPodConditions: i.pendingPodConditions === undefined ? [] : arr(i, "pendingPodConditions").map(String),
    multipleScalersCalculation: typeof i.multipleScalersCalculation === "string" ? i.multipleScalersCalculation : "",
  };
}

function scaledJobVector(i: Obj, e: Obj, test: string): Obj {
  const cfg = scaledJobScalingOf(i);
  if ("selectedStrategy" in e) return { selectedStrategy: `executor.${newScalingStrategy(cfg).kind}ScalingStrategy` };
  if (test === "TestGetPendingJobCount" || test === "TestAreAllPendingPodConditionsFulfilledBugScenario") {
    // The mock client lists one Job (no conditions: unfinished) and these pods for it.
    const pods = arr(i, "pods") as PodShape[];
    const jobs: JobShape[] = [{ conditions: [], pods }];
    return { pendingJobCount: getPendingJobCount(jobs, cfg.pendingPodConditions) };
  }
  if (test.startsWith("TestCleanUp")) {
    const list = arr(i, "jobs_[name,completionTime,condition]").map((j) => {
      if (!Array.isArray(j) || j.length !== 3) throw new Unsupported("job entry is not [name, completionTime, condition]");
      return { name: String(j[0]), completionTime: Date.parse(String(j[1])), conditions: [{ type: String(j[2]), status: "True" as const }] };
    });
    const del = jobsToDeleteByHistoryLimit(list, optNum(i, "successfulJobsHistoryLimit") ?? null, optNum(i, "failedJobsHistoryLimit") ?? null);
    return { deleted: del.map((k) => list[k].name).sort() };
  }
  if (test.startsWith("TestRunningJobCount")) {
    const [effectiveMaxScale, scaleTo] = getScalingDecision(cfg, num(i, "runningJobCount"), num(i, "scaleTo"), num(i, "maxScale"), num(i, "pendingJobCount"));
    return { effectiveMaxScale, scaleTo };
  }
  if (test.startsWith("TestGetScaledJobState")) {
    // Each mock scaler: one External metric (its queue length) with target averageValue; getScaledJobMetrics → IsScaledJobActive.
    const maxRc = scaledJobMaxReplicaCount(cfg);
    const scalers = arr(i, "scalers").map((x) => {
      if (!isObj(x)) throw new Unsupported("scaler is not an object");
      const q = calculateQueueLengthAndMaxValue([num(x, "queueLength")], [num(x, "averageValue")], maxRc);
      return { queueLength: q.queueLength, maxValue: q.maxValue, isActive: x.isActive === true };
    });
    const a = isScaledJobActive(scalers, cfg.multipleScalersCalculation, scaledJobMinReplicaCount(cfg), maxRc);
    return { isActive: a.isActive, queueLength: a.queueLength, maxValue: a.maxScale };
  }
  if (test === "TestTargetAverageValue") return { targetAverageValue: getTargetAverageValue(arr(i, "averageValues").map(Number)) };
  if (test === "TestScaledJob") return { MaxReplicaCount: scaledJobMaxReplicaCount(cfg), MinReplicaCount: scaledJobMinReplicaCount(cfg) };
  if ("maxScale" in i) {
    const [effectiveMaxScale, scaleTo] = getEffectiveMaxScale(newScalingStrategy(cfg), num(i, "maxScale"), num(i, "runningJobCount"), num(i, "pendingJobCount"), num(i, "maxReplicaCount"), num(i, "scaleTo"));
    return { effectiveMaxScale, scaleTo };
  }
  throw new Unsupported(`no ScaledJob handler for ${test}`);
}

/** inputs.spec as an object (a ScaledObject spec as written). */
function specOf(i: Obj): Obj {
  if (!isObj(i.spec)) throw new Unsupported("inputs.spec is not an object");
  return i.spec;
}
/** inputs.kedaVersion, else the newest modelled. */
const versionOf = (i: Obj): string => (typeof i.kedaVersion === "string" ? i.kedaVersion : NEWEST_KEDA_VERSION);
/**
 * Upstream's check of a validation error: expectedError, and that the message contains
 * errorContains. The outcome reports the expected substring when it is contained (else the whole
 * message), so an equal comparison is the upstream test's assertion.
 */
function errorOutcome(err: string | null, expected: unknown): Obj {
  const want = isObj(expected) && typeof expected.errorContains === "string" ? expected.errorContains : null;
  return { expectedError: err !== null, errorContains: err === null ? null : want !== null && err.includes(want) ? want : err };
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, k) => equal(x, b[k]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal(a[k], b[k]));
  }
  return false;
}

function replayOne(v: unknown, index: number): VectorResult {
  if (!isObj(v)) return { index, source: "?", status: "unsupported", why: "vector is not an object" };
  const source = typeof v.source === "string" ? v.source : "?";
  try {
    if (!isObj(v.inputs) || !isObj(v.expected)) return { index, source, status: "unsupported", why: "vector has no inputs/expected objects" };
    const [fileRaw, testRaw] = source.split(" :: ");
    const file = (fileRaw ?? "").trim();
    const test = (testRaw ?? "").trim();
    const fam = families.find((f) => f.match(file, test, v.inputs as Obj));
    if (!fam) return { index, source, status: "unsupported", why: `no replay handler for "${test || source}"` };
    const expected = v.expected;
    const got = fam.run(v.inputs, expected, test);
    const checked: Obj = {};
    const unknown: string[] = [];
    for (const k of Object.keys(expected)) {
      if (Object.prototype.hasOwnProperty.call(got, k)) checked[k] = got[k];
      else unknown.push(k);
    }
    if (unknown.length > 0) return { index, source, status: "unsupported", expected, got: checked, why: `expected field(s) not modelled: ${unknown.join(", ")}` };
    return equal(expected, checked) ? { index, source, status: "pass", expected, got: checked } : { index, source, status: "fail", expected, got: checked };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { index, source, status: "unsupported", why: e instanceof Unsupported ? msg : `replay error: ${msg}` };
  }
}

export function replayVectors(json: unknown): VectorResult[] {
  const list = isObj(json) && Array.isArray(json.vectors) ? json.vectors : Array.isArray(json) ? json : null;
  if (list === null) return [{ index: 0, source: "?", status: "unsupported", why: 'expected {"vectors": [...]} or a list of vectors' }];
  return list.map((v, k) => replayOne(v, k));
}

export function formatVectorReport(results: VectorResult[]): string {
  const lines: string[] = [];
  let p = 0;
  let f = 0;
  let s = 0;
  for (const r of results) {
    if (r.status === "pass") {
      p++;
      lines.push(`PASS  #${r.index} ${r.source}`);
    } else if (r.status === "fail") {
      f++;
      lines.push(`FAIL  #${r.index} ${r.source}: expected ${JSON.stringify(r.expected)} got ${JSON.stringify(r.got)}`);
    } else {
      s++;
      lines.push(`SKIP  #${r.index} ${r.source}: ${r.why ?? "unsupported"}`);
    }
  }
  lines.push(`${p} passed, ${f} failed, ${s} skipped`);
  return lines.join("\n");
}

/**
 * Upstream behaviour that the decision functions deliberately do NOT model (a vector exercising it
 * is reported unsupported with one of these reasons). For the README.
 */
export function unsupportedFamilies(): { family: string; reason: string }[] {
  return [
    {
      family: "Resource / Pods / ContainerResource metrics with missing or unready pods",
      reason:
        "GetResourceReplicas / calcPlainMetricReplicas treat missing pods as 0 or target and unready pods as 0, and refuse a direction flip; KEDA queue triggers are External metrics, so only the all-pods-ready ratio (plainUsageRatioProposal) is modelled",
    },
    { family: "CPU initialization period / initial readiness delay", reason: "apply only to CPU Resource metrics" },
    { family: "Object metrics", reason: "KEDA never creates them" },
    {
      family: "HPAScaleToZero (alpha) re-activation from 0",
      reason: "KEDA owns 0<->1; reconcile() reports ScalingDisabled at spec 0 whenever minReplicas != 0 (the ScaledToZero condition path is not modelled)",
    },
    {
      family: "Kafka trigger",
      reason:
        "only the pure lag arithmetic (getNextFactor in sim/decisions/kafka.ts) is transcribed as vectors; the trigger (sim/triggers/kafka.ts: getTotalLag, the partition cap) has its own unit tests and reads the topology model's partitioned log; vectors that need a Kafka client are not replayed",
    },
    { family: "scalingModifiers / fallback behavior scalingModifiers", reason: "composite metrics are not modelled" },
    {
      family: "ScaledJob conditions, events and the Job objects KEDA writes",
      reason:
        "only the arithmetic is modelled (sim/decisions/scaled-job.ts): the Ready/Active conditions and isError of getScaledJobState, the events, generateJobs' labels and annotations (TestCreateJobs, TestGenerateJobs) are not vectors",
    },
    {
      family: "paused-replicas annotation, force-activation via annotation timing, HPA status/condition objects, events",
      reason: "only the decision (replicas, condition reason, LastActiveTime) is modelled, not the Kubernetes objects",
    },
  ];
}
