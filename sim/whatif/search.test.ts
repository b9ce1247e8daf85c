// The search on a synthetic problem with a known answer (no simulator): a fake evaluator whose
// "runs" are a formula of the configuration and the seed index.
import { describe, expect, it } from "vitest";
import { candidates, compareScores, keyOf, search, seedSchedule, type Config, type Evaluator } from "./search.js";
import { parseGoal } from "./goals.js";
import { METRIC_INDEX, METRICS } from "./metrics.js";
import { resolvePath } from "./paths.js";
import type { Knob } from "./knobs.js";

const knob = (name: string, n: number, current: number): Knob => ({ path: resolvePath(name), values: Array.from({ length: n }, (_, i) => i), current, defaultText: null });
const knobs = [knob("a", 8, 7), knob("b", 6, 0), knob("c", 5, 2)];

/** p95 falls with a and b, cost rises with a and b; c only adds cost. Seed noise ±1 s. */
function fake(): Evaluator & { calls: number } {
  let runs = 0;
  return {
    calls: 0,
    get runs() {
      return runs;
    },
    aborted: false,
    async evaluate(cs: readonly Config[], seeds: number) {
      this.calls++;
      const out = new Map<string, Float64Array[] | null>();
      for (const c of cs) {
        const rows = [];
        for (let s = 0; s < seeds; s++) {
          const r = new Float64Array(METRICS.length);
          r[METRIC_INDEX.p95] = 100 - 8 * c[0] - 5 * c[1] + ((s * 7919) % 3) - 1;
          r[METRIC_INDEX.replicaSeconds] = 3600 * (1 + c[0] * 2 + c[1] * 3 + c[2]);
          rows.push(r);
        }
        runs += seeds;
        out.set(keyOf(c), rows);
      }
      return out;
    },
  };
}

const opts = { goals: [parseGoal("p95<=60s")], minimize: "cost" as const, cost: { pricePerReplicaHour: null }, seeds: 20, confidence: 0.95, budget: 50_000, rngSeed: 7 };

describe("advise search", () => {
  it("finds the cheapest configuration that meets the goal on ≥ 95 % of seeds", async () => {
    // p95 = 100 − 8a − 5b + noise(−1..1) ≤ 60 on every seed needs 8a + 5b ≥ 41; cost 1 + 2a + 3b + c:
    // the cheapest is a = 6, b = 0 (8·6 = 48 ≥ 41, cost 13) … a = 5, b = 1 gives 45 ≥ 41, cost 14; c = 0.
    const r = await search(knobs, fake(), opts);
    expect(r.best.feasible).toBe(true);
    expect(r.best.config).toEqual([6, 0, 0]);
    expect(r.best.met).toBe(20);
    expect(r.baseline.config).toEqual([7, 0, 2]);
    expect(r.baseline.feasible).toBe(true);
    expect(r.best.objective).toBeLessThan(r.baseline.objective);
  });

  it("is deterministic, and says so when no configuration meets the goal (the closest is returned)", async () => {
    const a = await search(knobs, fake(), opts);
    const b = await search(knobs, fake(), opts);
    expect(a.best.key).toBe(b.best.key);
    expect(a.finalists.map((s) => s.key)).toEqual(b.finalists.map((s) => s.key));
    const hard = await search(knobs, fake(), { ...opts, goals: [parseGoal("p95<=10s")] });
    expect(hard.best.feasible).toBe(false);
    // the closest: the fastest corner
    expect(hard.best.config.slice(0, 2)).toEqual([7, 5]);
  });

  it("candidates: the user's config, every single change, then distinct random ones; seeds 4 → 12 → N", () => {
    const c = candidates(knobs, 30, 1);
    expect(c[0]).toEqual([7, 0, 2]);
    expect(new Set(c.map(keyOf)).size).toBe(c.length);
    expect(c.length).toBe(1 + (8 + 6 + 5 - 3) + 30);
    expect(seedSchedule(40)).toEqual([4, 12, 40]);
    expect(seedSchedule(3)).toEqual([3]);
    const s = (feasible: boolean, objective: number, met = 20) => ({ config: [], key: String(objective), seeds: 20, met, feasible, objective, violation: feasible ? 0 : 1, changed: 0, invalid: false });
    expect(compareScores(s(true, 5), s(false, 1))).toBeLessThan(0);
    expect(compareScores(s(false, 9, 18), s(false, 1, 10))).toBeLessThan(0);
  });
});
