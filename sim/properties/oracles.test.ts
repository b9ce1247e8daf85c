// Exact oracles (oracles-and-anchors.md §1, values in /work/shared/reference/oracles.json).
//
// 1. Fixed replicas (minReplicaCount = maxReplicaCount = c, c pods running at t = 0), Poisson
//    arrivals, deterministic 5 s service: the mean wait is compared with the exact M/D/c value,
//    and the probability of waiting with P(N ≥ c) (PASTA). 2. Exponential service: Erlang C.
//    Statistics: R independent seeds; in each run the first WARMUP seconds of arrivals are
//    discarded and the rest is split by arrival time into batches of BATCH_H hours (long against
//    the queue's relaxation time, so batch means are practically uncorrelated); the R·B batch
//    means give a Student-t 99 % confidence interval, which must contain the exact value. Its
//    half-width must also be small (≤ MAX_HALF of the exact value: default budget ±3 % for M/D/c,
//    ±6 % for M/M/c whose waits vary more; KEDASIM_DEEP=1 runs 10× longer and requires ±1.5 % /
//    ±2.5 %), so the test cannot pass by being vague. Seeds are fixed: the test is deterministic.
// 3. Burst of N with fixed c and deterministic D: makespan = ⌈N/s⌉·D exactly and the k-th message
//    (production order) starts exactly ⌊k/s⌋·D after the burst, so the mean wait is exact —
//    a property over N, replicas, concurrency, prefetch, D, burst time and broker, with
//    s = replicas × min(concurrency, prefetch) servers.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fixedReplicaScenario, quarter, resolveRaw } from "./arbitraries.js";
import { DEEP, timeout } from "./budget.js";
import { checkProperty } from "./replay.js";
import { Simulation } from "../model/simulation.js";
import { simulate } from "../run.js";
import { normalQuantile } from "../rng.js";
import { doneOf } from "./checks.js";

/** Student-t quantile (Cornish–Fisher expansion around the normal quantile; |error| < 1e-4 for ν ≥ 10). */
export function studentT(p: number, nu: number): number {
  const z = normalQuantile(p);
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return z + (z3 + z) / (4 * nu) + (5 * z5 + 16 * z3 + 3 * z) / (96 * nu ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * nu ** 3);
}

interface QueueRun {
  lambda: number;
  service: number | { dist: "exponential"; mean: number };
  c: number;
}

/** Batch means of the wait and of P(wait > 0) over R seeds. */
function batchMeans(q: QueueRun, seeds: number[], hours: number, warmupS: number, batchH: number) {
  const T = warmupS + hours * 3600;
  const batches = Math.floor(hours / batchH);
  const waits: number[] = [];
  const pwaits: number[] = [];
  for (const seed of seeds) {
    const raw = fixedReplicaScenario("mdc", { replicas: q.c, broker: "azure-servicebus" }, {
      seed,
      producers: [{ type: "poisson", ratePerSecond: q.lambda, until: T }],
      consumer: { processingTime: q.service },
      sampleIntervalSeconds: 3600,
      maxDurationSeconds: T + 86400,
    });
    const sim = new Simulation(resolveRaw(raw), { perMessage: true });
    const sum = new Float64Array(batches);
    const waited = new Float64Array(batches);
    const n = new Float64Array(batches);
    sim.bus.on("record", (r) => {
      if (r.type !== "done" || r.arrivedAt < warmupS) return;
      const b = Math.floor((r.arrivedAt - warmupS) / (batchH * 3600));
      if (b >= batches) return;
      const w = r.startedAt - r.arrivedAt;
      sum[b] += w;
      if (w > 0) waited[b]++;
      n[b]++;
    });
    const res = sim.run();
    expect(res.summary.messages.completed).toBe(res.summary.messages.produced);
    for (let b = 0; b < batches; b++) {
      waits.push(sum[b] / n[b]);
      pwaits.push(waited[b] / n[b]);
    }
  }
  return { waits, pwaits };
}

function ci99(xs: number[]): { mean: number; half: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, half: (studentT(0.995, n - 1) * sd) / Math.sqrt(n) };
}

// Budget: default R seeds × 20 h (R = 10, or 16 at ρ = 0.9 where waits vary most: ~3 s of CPU);
// deep: 10× the hours.
const seeds = (n: number) => Array.from({ length: n }, (_, i) => 1000 + i);
const HOURS = DEEP ? 200 : 24;
const WARMUP_S = 1800;
const BATCH_H = DEEP ? 20 : 4;

function statOracle(name: string, q: QueueRun, nSeeds: number, exact: { Wq: number; Pwait?: number }, maxHalf: number) {
  const SEEDS = seeds(nSeeds);
  const { waits, pwaits } = batchMeans(q, SEEDS, HOURS, WARMUP_S, BATCH_H);
  const w = ci99(waits);
  console.log(
    `oracle ${name}: ${SEEDS.length} seeds × ${HOURS} h, ${waits.length} batch means: Wq = ${w.mean.toFixed(4)} ± ${w.half.toFixed(4)} (99 % CI, ±${((100 * w.half) / exact.Wq).toFixed(2)} %), exact ${exact.Wq}`,
  );
  expect(Math.abs(w.mean - exact.Wq), `exact Wq ${exact.Wq} outside the 99 % CI ${w.mean} ± ${w.half}`).toBeLessThanOrEqual(w.half);
  expect(w.half / exact.Wq, "CI too wide to be meaningful").toBeLessThanOrEqual(maxHalf);
  if (exact.Pwait !== undefined) {
    const p = ci99(pwaits);
    console.log(`oracle ${name}: P(wait) = ${p.mean.toFixed(4)} ± ${p.half.toFixed(4)}, exact ${exact.Pwait}`);
    expect(Math.abs(p.mean - exact.Pwait), `exact P(wait) ${exact.Pwait} outside the 99 % CI ${p.mean} ± ${p.half}`).toBeLessThanOrEqual(p.half);
  }
}

describe("statistical oracles (fixed replicas, Poisson arrivals)", () => {
  it("M/D/10, D = 5 s, λ = 1.8/s (ρ = 0.9): Wq = 1.72291 s, P(wait) = 0.64686", () => {
    statOracle("M/D/10 rho=0.9", { lambda: 1.8, service: 5, c: 10 }, 16, { Wq: 1.7229102518982709, Pwait: 0.6468612839324027 }, DEEP ? 0.015 : 0.03);
  }, timeout(20_000));

  it("M/D/10, D = 5 s, λ = 1.6/s (ρ = 0.8): Wq = 0.54914 s, P(wait) = 0.38472", () => {
    statOracle("M/D/10 rho=0.8", { lambda: 1.6, service: 5, c: 10 }, 8, { Wq: 0.5491389485630114, Pwait: 0.3847173933220952 }, DEEP ? 0.015 : 0.03);
  }, timeout(20_000));

  it("M/M/10, mean 5 s, λ = 1.6/s (ρ = 0.8): Erlang C Wq = 1.02295 s, P(wait) = 0.40918", () => {
    statOracle("M/M/10 rho=0.8", { lambda: 1.6, service: { dist: "exponential", mean: 5 }, c: 10 }, 8, { Wq: 1.0229503769911092, Pwait: 0.4091801507964436 }, DEEP ? 0.025 : 0.06);
  }, timeout(20_000));
});

interface BurstCase {
  N: number;
  replicas: number;
  concurrency: number;
  prefetchLess: number;
  D: number;
  at: number;
  broker: "azure-servicebus" | "rabbitmq";
  seed: number;
}

describe("burst with fixed replicas (exact)", () => {
  it("makespan = ⌈N/s⌉·D exactly; message k starts ⌊k/s⌋·D after the burst; mean wait exact", () => {
    const arb: fc.Arbitrary<BurstCase> = fc.record({
      N: fc.integer({ min: 1, max: 200 }),
      replicas: fc.integer({ min: 1, max: 10 }),
      concurrency: fc.integer({ min: 1, max: 3 }),
      prefetchLess: fc.integer({ min: 0, max: 2 }),
      D: quarter(10),
      at: quarter(100),
      broker: fc.constantFrom("azure-servicebus" as const, "rabbitmq" as const),
      seed: fc.integer({ min: 0, max: 999 }),
    });
    const toRaw = (v: BurstCase) =>
      fixedReplicaScenario("burst", { replicas: v.replicas, broker: v.broker, concurrency: v.concurrency, prefetch: Math.max(1, v.concurrency - v.prefetchLess) }, {
        seed: v.seed,
        producers: [{ type: "burst", at: v.at, count: v.N }],
        consumer: { processingTime: v.D },
      });
    checkProperty(
      "burst makespan and waits",
      arb,
      (v) => {
        const s = v.replicas * Math.min(v.concurrency, Math.max(1, v.concurrency - v.prefetchLess));
        const out = simulate(resolveRaw(toRaw(v)), { perMessage: true });
        const makespan = Math.ceil(v.N / s) * v.D;
        if (out.summary.drainTimeS !== makespan) throw new Error(`makespan ${out.summary.drainTimeS} != ⌈${v.N}/${s}⌉·${v.D} = ${makespan}`);
        let total = 0;
        for (const d of doneOf(out.records)) {
          const expected = Math.floor(d.id / s) * v.D;
          if (d.arrivedAt !== v.at || d.startedAt - d.arrivedAt !== expected) throw new Error(`message ${d.id} waited ${d.startedAt - d.arrivedAt}, expected ⌊${d.id}/${s}⌋·${v.D} = ${expected}`);
          total += expected;
        }
        // The summary rounds to 1e-6 (round6); the waits are multiples of 0.25 s, so total / N is
        // the same float the simulator computes, and the rounded values must be identical.
        const mean = out.summary.latencyS.wait.mean;
        const exact = Math.round((total / v.N) * 1e6) / 1e6;
        if (mean !== exact) throw new Error(`mean wait ${mean} != exact ${total / v.N} (rounded ${exact})`);
      },
      {
        numRuns: 100,
        perMessage: true,
        scenarioOf: toRaw,
        // The §1.3 table: N=100, c=10 → 50 s, mean wait 22.5 s; N=7, c=10 → 5 s, 0 s.
        examples: [
          { N: 100, replicas: 10, concurrency: 1, prefetchLess: 0, D: 5, at: 0, broker: "azure-servicebus", seed: 1 },
          { N: 7, replicas: 10, concurrency: 1, prefetchLess: 0, D: 5, at: 0, broker: "rabbitmq", seed: 1 },
        ],
      },
    );
  }, timeout(30_000));
});
