import { describe, expect, it } from "vitest";
import {
  LAT_FAST_MAX,
  LAT_FAST_MIN,
  LAT_LOW,
  latencyBucket,
  latencyBucketExact,
  latencyBucketTabulated,
  latencyThresholds,
} from "./latency-bucket.js";
import * as trace from "./trace.js";

// Seeded uniform [0, 1) (mulberry32), local so the test does not depend on the simulator's streams.
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Doubles by bit pattern: step(x, k) is the double k ulps from x (x > 0, k may be negative).
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
function step(x: number, k: number): number {
  f64[0] = x;
  i64[0] += BigInt(k);
  return f64[0];
}

/** Inputs where fast and reference differ (Object.is, so -0 vs 0 counts), at most 10. */
function mismatches(xs: Iterable<number>): Array<[number, number, number]> {
  const bad: Array<[number, number, number]> = [];
  for (const x of xs) {
    const fast = latencyBucket(x);
    const exact = latencyBucketExact(x);
    if (!Object.is(fast, exact) && bad.length < 10) bad.push([x, fast, exact]);
  }
  return bad;
}

describe("latencyBucket (table lookup) equals latencyBucketExact (formula)", () => {
  it("trace.ts exports the fast path", () => {
    expect(trace.latencyBucket).toBe(latencyBucket);
    expect(trace.latencyBucketExact).toBe(latencyBucketExact);
  });

  // First, so the tables are built lazily, binade by binade, in the order random values hit them.
  it("2 million log-uniform doubles in [1e-4, 1e12]", () => {
    const u = uniform(1);
    const lo = Math.log(1e-4);
    const span = Math.log(1e12) - lo;
    const xs = new Float64Array(2_000_000);
    for (let i = 0; i < xs.length; i++) xs[i] = Math.exp(lo + span * u());
    expect(mismatches(xs)).toEqual([]);
    // The sample really reaches both ends of the range and many buckets.
    let min = Infinity;
    let max = 0;
    for (const x of xs) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect(min).toBeLessThan(1.1e-4);
    expect(max).toBeGreaterThan(0.9e12);
  });

  it("special values", () => {
    const specials = [
      0, -0, -1, -5, Number.NaN, Infinity, -Infinity, 5, 1e-300, Number.MIN_VALUE, Number.MAX_VALUE, 1e9,
      LAT_LOW, step(LAT_LOW, -1), step(LAT_LOW, 1), step(LAT_LOW, 2), step(LAT_LOW, 1000),
      LAT_FAST_MIN, step(LAT_FAST_MIN, -1), LAT_FAST_MAX, step(LAT_FAST_MAX, -1), step(LAT_FAST_MAX, 1),
    ];
    expect(mismatches(specials)).toEqual([]);
    expect(latencyBucket(Number.NaN)).toBe(0);
    expect(latencyBucket(Infinity)).toBe(Infinity);
    expect(latencyBucket(5)).toBe(856);
    // Just above 1 ms the formula gives -0 (ceil of -1e-9); the fast path keeps it.
    expect(Object.is(latencyBucket(step(LAT_LOW, 1)), -0)).toBe(true);
    expect(Object.is(latencyBucket(LAT_LOW), 0)).toBe(true);
  });

  it("every bucket threshold: T[b] is the first double of bucket b, and all agree within ±256 ulps of it", () => {
    const t = latencyThresholds();
    const last = t.length - 1;
    expect(last).toBeGreaterThan(3400);
    expect(t[last]).toBeGreaterThanOrEqual(LAT_FAST_MAX);
    expect(t[last - 1]).toBeLessThan(LAT_FAST_MAX);
    const bad: string[] = [];
    let checked = 0;
    for (let b = 1; b <= last; b++) {
      // The band around T[b] where a rounding error of Math.log could matter: the formula must be
      // b - 1 strictly below T[b] and b from T[b] on (so T[b] is exact and f is monotone here).
      for (let k = -256; k <= 256; k++) {
        const x = step(t[b], k);
        const exact = latencyBucketExact(x);
        const fast = latencyBucket(x);
        checked++;
        if (exact !== (k < 0 ? b - 1 : b) || !Object.is(fast, exact)) {
          if (bad.length < 10) bad.push(`b=${b} k=${k} x=${x} exact=${exact} fast=${fast}`);
        }
      }
    }
    expect(bad).toEqual([]);
    expect(checked).toBe(last * 513);
  });

  it("every table cell's first double and the double before it", () => {
    const xs: number[] = [];
    for (let e = Math.log2(LAT_FAST_MIN); e < Math.log2(LAT_FAST_MAX); e++) {
      for (let m = 0; m <= 128; m++) {
        const start = 2 ** e * (1 + m / 128);
        xs.push(start, step(start, -1), step(start, 1));
      }
    }
    expect(xs.length).toBe(50 * 129 * 3);
    expect(mismatches(xs)).toEqual([]);
  });

  it("the tables cover [1 ms, 1e9 s], so the simulator's latencies skip Math.log", () => {
    expect(LAT_FAST_MIN).toBeLessThanOrEqual(0.001);
    expect(LAT_FAST_MAX).toBeGreaterThanOrEqual(1e9);
    const u = uniform(2);
    let notTabulated = 0;
    for (let i = 0; i < 100_000; i++) {
      // Above the one cell around 1 ms that falls back (the formula's -0 just above 1 ms).
      const x = 0.00101 * Math.exp(Math.log(1e9 / 0.00101) * u());
      if (!latencyBucketTabulated(x)) notTabulated++;
    }
    expect(notTabulated).toBe(0);
    expect(latencyBucketTabulated(1e9)).toBe(true);
    expect(latencyBucketTabulated(0.00098)).toBe(true);
    expect(latencyBucketTabulated(step(LAT_LOW, 1))).toBe(false);
    for (const x of [0, -1, Number.NaN, Infinity, LAT_FAST_MAX, step(LAT_FAST_MIN, -1)]) {
      expect(latencyBucketTabulated(x)).toBe(false);
    }
  });
});
