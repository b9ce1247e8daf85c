import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  areAllPendingPodConditionsFulfilled,
  calculateQueueLengthAndMaxValue,
  defaultScaledJobScaling,
  getEffectiveMaxScale,
  getPendingJobCount,
  getRunningJobCount,
  goParseFloat,
  isScaledJobActive,
  jobsToDeleteByHistoryLimit,
  newScalingStrategy,
  requestJobScale,
  scaledJobMaxReplicaCount,
  scaledJobMinReplicaCount,
  scaledJobPoll,
  type JobShape,
  type PodShape,
  type ScaledJobScaling,
} from "./scaled-job.js";

const cfg = (o: Partial<ScaledJobScaling> = {}): ScaledJobScaling => ({ ...defaultScaledJobScaling(), ...o });
const pod = (phase: PodShape["phase"], ...trueConditions: string[]): PodShape => ({ phase, conditions: trueConditions.map((type) => ({ type, status: "True" as const })) });
const job = (pods: PodShape[], finished?: "Complete" | "Failed"): JobShape => ({ conditions: finished ? [{ type: finished, status: "True" }] : [], pods });

describe("replica bounds (ScaledJob.MaxReplicaCount / MinReplicaCount)", () => {
  it("MaxReplicaCount is the room above min; defaults 100 and 0; min > max clamps both to max", () => {
    expect([scaledJobMaxReplicaCount({ minReplicaCount: null, maxReplicaCount: null }), scaledJobMinReplicaCount({ minReplicaCount: null, maxReplicaCount: null })]).toEqual([100, 0]);
    expect(scaledJobMaxReplicaCount({ minReplicaCount: 3, maxReplicaCount: 10 })).toBe(7);
    expect(scaledJobMaxReplicaCount({ minReplicaCount: 3, maxReplicaCount: null })).toBe(100);
    expect([scaledJobMaxReplicaCount({ minReplicaCount: 10, maxReplicaCount: 2 }), scaledJobMinReplicaCount({ minReplicaCount: 10, maxReplicaCount: 2 })]).toEqual([2, 2]);
  });
});

describe("metrics (scaledjob/metrics.go)", () => {
  it("queue length is summed, maxValue = queue / mean target, capped at MaxReplicaCount()", () => {
    expect(calculateQueueLengthAndMaxValue([7, 5], [4], 100)).toEqual({ queueLength: 12, maxValue: 3, targetAverageValue: 4 });
    expect(calculateQueueLengthAndMaxValue([50], [2], 10).maxValue).toBe(10);
    expect(calculateQueueLengthAndMaxValue([50], [null], 10).maxValue).toBe(0);
  });

  it("combines scalers: max picks the largest active queue, min skips zeros, avg/sum over active ones; ceil at the end", () => {
    const s = [
      { queueLength: 9, maxValue: 4.5, isActive: true },
      { queueLength: 0, maxValue: 0, isActive: true },
      { queueLength: 3, maxValue: 1.5, isActive: true },
      { queueLength: 40, maxValue: 20, isActive: false },
    ];
    expect(isScaledJobActive(s, "", 0, 100)).toEqual({ isActive: true, queueLength: 9, maxScale: 5, maxValue: 4.5 });
    expect(isScaledJobActive(s, "min", 0, 100)).toMatchObject({ queueLength: 3, maxScale: 2 });
    expect(isScaledJobActive(s, "avg", 0, 100)).toMatchObject({ queueLength: 4, maxScale: 2 });
    expect(isScaledJobActive(s, "sum", 0, 5)).toMatchObject({ queueLength: 12, maxScale: 5, maxValue: 5 });
  });

  it("is inactive when no scaler is active, unless minReplicaCount > 0; a max over zeros stays inactive", () => {
    const idle = [{ queueLength: 0, maxValue: 0, isActive: true }];
    expect(isScaledJobActive(idle, "max", 0, 100).isActive).toBe(false);
    expect(isScaledJobActive(idle, "sum", 0, 100).isActive).toBe(true);
    expect(isScaledJobActive([{ queueLength: 4, maxValue: 4, isActive: false }], "max", 1, 100)).toEqual({ isActive: true, queueLength: 0, maxScale: 0, maxValue: 0 });
  });
});

describe("running and pending Jobs (scale_jobs.go)", () => {
  const jobs = [job([pod("Running")]), job([pod("Pending")]), job([]), job([pod("Succeeded")], "Complete"), job([pod("Failed")], "Failed"), job([pod("Failed"), pod("Running")])];

  it("running = not Complete/Failed True; pending = unfinished with no pod Running or Succeeded", () => {
    expect(getRunningJobCount(jobs)).toBe(4);
    expect(getPendingJobCount(jobs, [])).toBe(2);
    expect(getRunningJobCount([{ conditions: [{ type: "Complete", status: "False" }, { type: "Suspended", status: "True" }], pods: [] }])).toBe(1);
  });

  it("pendingPodConditions: a Job stops being pending when one pod has all of them True", () => {
    const ready = job([pod("Running", "PodScheduled"), pod("Running", "PodScheduled", "Ready")]);
    const notReady = job([pod("Running", "PodScheduled")]);
    expect(getPendingJobCount([ready, notReady], ["Ready", "PodScheduled"])).toBe(1);
    expect(areAllPendingPodConditionsFulfilled([{ phase: "Running", conditions: [{ type: "Ready", status: "False" }] }], ["Ready"])).toBe(false);
    // Upstream compares distinct fulfilled conditions with the list's length: a duplicate never matches.
    expect(areAllPendingPodConditionsFulfilled([pod("Running", "Ready")], ["Ready", "Ready"])).toBe(false);
  });
});

describe("strategies (NewScalingStrategy, GetEffectiveMaxScale)", () => {
  it("custom needs a parsable percentage, else default; deduction unset is 0", () => {
    expect(newScalingStrategy(cfg({ strategy: "custom", customScalingRunningJobPercentage: "" }))).toEqual({ kind: "default" });
    expect(newScalingStrategy(cfg({ strategy: "custom", customScalingRunningJobPercentage: "0.25" }))).toEqual({ kind: "custom", deduction: 0, runningPercentage: 0.25 });
    expect(newScalingStrategy(cfg({ strategy: "bogus" }))).toEqual({ kind: "default" });
    expect(() => newScalingStrategy(cfg({ strategy: "custom", customScalingRunningJobPercentage: "NaN" }))).toThrow(/not finite/);
  });

  it("Go ParseFloat spellings", () => {
    expect(["1", "+.5", "1e-1", "0x1p-2", "0X1.8P1", "1_0", "1e400", "", " 1", "5%"].map(goParseFloat)).toEqual([1, 0.5, 0.1, 0.25, 3, null, null, null, null, null]);
    expect(goParseFloat("-Inf")).toBe(-Infinity);
  });

  it("each strategy's formula on one state", () => {
    // maxScale 10, running 6, pending 2, MaxReplicaCount 12
    expect(getEffectiveMaxScale({ kind: "default" }, 10, 6, 2, 12, 10)).toEqual([4, 10]);
    expect(getEffectiveMaxScale({ kind: "custom", deduction: 1, runningPercentage: 0.5 }, 10, 6, 2, 12, 10)).toEqual([6, 10]);
    expect(getEffectiveMaxScale({ kind: "custom", deduction: -5, runningPercentage: 0 }, 10, 6, 2, 12, 10)).toEqual([12, 10]);
    expect(getEffectiveMaxScale({ kind: "accurate" }, 10, 6, 2, 12, 10)).toEqual([6, 10]);
    expect(getEffectiveMaxScale({ kind: "accurate" }, 5, 6, 2, 12, 10)).toEqual([3, 10]);
    expect(getEffectiveMaxScale({ kind: "eager" }, 10, 6, 2, 12, 10)).toEqual([4, 12]);
    // int64(float64(3) * 0.5) truncates 1.5 to 1, and -1.5 to -1
    expect(getEffectiveMaxScale({ kind: "custom", deduction: 0, runningPercentage: -0.5 }, 4, 3, 0, 12, 4)).toEqual([5, 4]);
  });
});

describe("requestJobScale (RequestJobScale + createJobs)", () => {
  it("creates min(queue, effectiveMaxScale) with the arithmetic in the reason", () => {
    const d = requestJobScale(cfg({ strategy: "accurate", maxReplicaCount: 20 }), { isActive: true, queueLength: 23, maxScale: 20, runningJobCount: 4, pendingJobCount: 2 });
    expect(d).toMatchObject({ create: 16, effectiveMaxScale: 16, scaleTo: 23, strategy: "accurate" });
    expect(d.reason).toBe("queue 23, running 4, pending 2 → accurate: create 16 (maxScale 20 + 4 − pending 2 > max 20 ⇒ 20 − 4 = 16; min(queue 23, 16) = 16)");
  });

  it("default ignores pending Jobs; eager fills up to max whatever the queue", () => {
    const s = { isActive: true, queueLength: 3, maxScale: 3, runningJobCount: 2, pendingJobCount: 2 };
    expect(requestJobScale(cfg(), s).create).toBe(1);
    expect(requestJobScale(cfg({ strategy: "accurate" }), s).create).toBe(1);
    expect(requestJobScale(cfg({ strategy: "eager", maxReplicaCount: 10 }), s)).toMatchObject({ create: 3, scaleTo: 10 });
  });

  it("below minReplicaCount asks for the missing Jobs, the strategy skipped", () => {
    const d = requestJobScale(cfg({ minReplicaCount: 3, maxReplicaCount: 10 }), { isActive: true, queueLength: 0, maxScale: 0, runningJobCount: 1, pendingJobCount: 0 });
    expect(d).toMatchObject({ create: 2, strategy: "belowMin" });
    expect(d.reason).toBe("queue 0, running 1, pending 0 → belowMin: create 2 (running 1 < minReplicaCount 3 ⇒ 3 − 1 = 2)");
  });

  it("nothing when inactive or when the effective max is not positive", () => {
    expect(requestJobScale(cfg(), { isActive: false, queueLength: 5, maxScale: 5, runningJobCount: 0, pendingJobCount: 0 })).toMatchObject({ create: 0, reason: "queue 5, running 0, pending 0 → default: create 0 (not active)" });
    expect(requestJobScale(cfg(), { isActive: true, queueLength: 5, maxScale: 5, runningJobCount: 9, pendingJobCount: 0 })).toMatchObject({ create: 0, effectiveMaxScale: 0 });
  });

  it("custom can overshoot maxReplicaCount: min(…, MaxReplicaCount()) does not subtract the running Jobs", () => {
    const d = requestJobScale(cfg({ strategy: "custom", customScalingRunningJobPercentage: "0", maxReplicaCount: 10 }), { isActive: true, queueLength: 10, maxScale: 10, runningJobCount: 6, pendingJobCount: 0 });
    expect(d.create).toBe(10);
    expect(d.create + 6).toBeGreaterThan(10);
  });
});

describe("scaledJobPoll", () => {
  it("goes from readings and Jobs to a decision", () => {
    const jobs = [job([pod("Running")]), job([pod("Pending")]), job([pod("Succeeded")], "Complete")];
    const d = scaledJobPoll(cfg({ strategy: "accurate", maxReplicaCount: 10 }), [{ value: 7, active: true, target: 1 }], jobs);
    expect(d).toMatchObject({ runningJobCount: 2, pendingJobCount: 1, activity: { isActive: true, queueLength: 7, maxScale: 7 }, create: 6 });
  });
});

describe("jobsToDeleteByHistoryLimit (cleanUp)", () => {
  it("deletes the oldest finished Jobs of each kind beyond its limit; running Jobs are never deleted", () => {
    const j = (type: string | null, t: number) => ({ conditions: type ? [{ type, status: "True" as const }] : [], completionTime: t });
    const list = [j("Complete", 30), j("Complete", 10), j("Failed", 5), j(null, 0), j("Complete", 20), j("Failed", 1)];
    expect(jobsToDeleteByHistoryLimit(list, 1, 1)).toEqual([1, 4, 5]);
    expect(jobsToDeleteByHistoryLimit(list, null, null)).toEqual([]);
    expect(jobsToDeleteByHistoryLimit(list, 0, 5)).toEqual([1, 4, 0]);
  });
});

// ---- property: each strategy equals a direct transcription of scale_jobs.go --------------------
// Transcribed here from kedacore/keda v2.20.2 pkg/scaling/executor/scale_jobs.go (RequestJobScale,
// getScalingDecision, createJobs, the four GetEffectiveMaxScale) and scaledjob_types.go
// (MaxReplicaCount, MinReplicaCount), independently of scaled-job.ts.
function transcribed(
  spec: { min: number | null; max: number | null; strategy: string; ded: number | null; pct: number },
  active: boolean,
  queueLength: number,
  maxScale: number,
  running: number,
  pending: number,
): number {
  const minRC = spec.min === null ? 0 : spec.max !== null && spec.min > spec.max ? spec.max : spec.min;
  const maxRC = spec.max === null ? 100 : spec.min !== null && spec.min > spec.max ? spec.max : spec.max - minRC;
  let eff: number;
  let scaleTo = queueLength;
  if (running < minRC) {
    eff = scaleTo = minRC - running;
  } else {
    const r = running - minRC;
    if (spec.strategy === "custom") eff = Math.min(maxScale - (spec.ded ?? 0) - Math.trunc(r * spec.pct), maxRC);
    else if (spec.strategy === "accurate") eff = maxScale + r - pending > maxRC ? maxRC - r : maxScale - pending;
    else if (spec.strategy === "eager") [eff, scaleTo] = [Math.min(maxRC - r - pending, maxScale), maxRC];
    else eff = maxScale - r;
  }
  if (eff < 0) eff = 0;
  if (!active || eff <= 0) return 0;
  return scaleTo > eff ? eff : scaleTo;
}

const specArb = fc.record({
  min: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
  max: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }),
  strategy: fc.constantFrom("default", "custom", "accurate", "eager", ""),
  ded: fc.option(fc.integer({ min: -5, max: 10 }), { nil: null }),
  pct: fc.constantFrom(0, 0.25, 0.5, 1, 1.5, -0.5),
});
const stateArb = specArb.chain((spec) => {
  const c = cfg({ minReplicaCount: spec.min, maxReplicaCount: spec.max, strategy: spec.strategy, customScalingQueueLengthDeduction: spec.ded, customScalingRunningJobPercentage: String(spec.pct) });
  const maxRC = scaledJobMaxReplicaCount(c);
  return fc.record({
    spec: fc.constant(spec),
    c: fc.constant(c),
    active: fc.boolean(),
    queueLength: fc.integer({ min: 0, max: 200 }),
    // IsScaledJobActive caps maxValue at MaxReplicaCount() before ceil.
    maxScale: fc.integer({ min: 0, max: maxRC }),
    running: fc.integer({ min: 0, max: 80 }),
    pendingShare: fc.double({ min: 0, max: 1, noNaN: true }),
  });
});

describe("property: strategy arithmetic on random inputs", () => {
  it("equals the transcription, is never negative, never exceeds the queue (or the missing minimum)", () => {
    fc.assert(
      fc.property(stateArb, (s) => {
        const pending = Math.floor(s.running * s.pendingShare); // a pending Job is an unfinished one
        const d = requestJobScale(s.c, { isActive: s.active, queueLength: s.queueLength, maxScale: s.maxScale, runningJobCount: s.running, pendingJobCount: pending });
        expect(d.create).toBe(transcribed(s.spec, s.active, s.queueLength, s.maxScale, s.running, pending));
        expect(d.create).toBeGreaterThanOrEqual(0);
        expect(Number.isInteger(d.create)).toBe(true);
        const minRC = scaledJobMinReplicaCount(s.c);
        if (s.running < minRC) expect(d.create).toBe(s.active ? minRC - s.running : 0);
        else if (s.spec.strategy !== "eager") expect(d.create).toBeLessThanOrEqual(s.queueLength);
        expect(d.reason.startsWith(`queue ${s.queueLength}, running ${s.running}, pending ${pending} → `)).toBe(true);
        expect(d.reason).toContain(`: create ${d.create} (`);
      }),
      { numRuns: 3000 },
    );
  });

  it("default, accurate and eager never exceed maxReplicaCount − running (min ≤ max, max set); custom only MaxReplicaCount()", () => {
    fc.assert(
      fc.property(stateArb, (s) => {
        const pending = Math.floor(s.running * s.pendingShare);
        const d = requestJobScale(s.c, { isActive: s.active, queueLength: s.queueLength, maxScale: s.maxScale, runningJobCount: s.running, pendingJobCount: pending });
        const minRC = scaledJobMinReplicaCount(s.c);
        const maxRC = scaledJobMaxReplicaCount(s.c);
        if (newScalingStrategy(s.c).kind === "custom") {
          expect(d.create).toBeLessThanOrEqual(Math.max(maxRC, minRC - s.running));
        } else {
          // In general the bound is MinReplicaCount() + MaxReplicaCount(): spec max when min ≤ max and max is set,
          // 100 + min with max unset, 2 × max when min > max (both clamp to max).
          expect(d.create).toBeLessThanOrEqual(Math.max(0, minRC + maxRC - s.running));
          if (s.spec.max !== null && (s.spec.min ?? 0) <= s.spec.max) expect(d.create).toBeLessThanOrEqual(Math.max(0, s.spec.max - s.running));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("pending and running counts: pending ⊆ running on random Job lists", () => {
    const phase = fc.constantFrom("", "Pending", "Running", "Succeeded", "Failed", "Unknown") as fc.Arbitrary<PodShape["phase"]>;
    const cond = fc.record({ type: fc.constantFrom("Ready", "PodScheduled", "Initialized"), status: fc.constantFrom("True", "False", "Unknown") as fc.Arbitrary<"True" | "False" | "Unknown"> });
    const podArb = fc.record({ phase, conditions: fc.array(cond, { maxLength: 3 }) });
    const jobArb = fc.record({ conditions: fc.array(fc.record({ type: fc.constantFrom("Complete", "Failed", "Suspended"), status: fc.constantFrom("True", "False") as fc.Arbitrary<"True" | "False"> }), { maxLength: 2 }), pods: fc.array(podArb, { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(jobArb, { maxLength: 8 }), fc.subarray(["Ready", "PodScheduled"]), (jobs, ppc) => {
        const running = getRunningJobCount(jobs);
        const pending = getPendingJobCount(jobs, ppc);
        expect(pending).toBeLessThanOrEqual(running);
        // transcription: unfinished = no Complete/Failed True; pending = no pod qualifies
        const unfinished = jobs.filter((j) => !j.conditions.some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True"));
        const qualifies = (p: PodShape) => (ppc.length > 0 ? ppc.every((t) => p.conditions.some((c) => c.type === t && c.status === "True")) : p.phase === "Running" || p.phase === "Succeeded");
        expect(running).toBe(unfinished.length);
        expect(pending).toBe(unfinished.filter((j) => !j.pods.some(qualifies)).length);
      }),
      { numRuns: 1000 },
    );
  });
});
