import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LatencyRecorder } from "./latency.js";
import { latencyBucket, percentileFromBuckets } from "../trace.js";

// A plain reference: every value in one array; exact nearest-rank percentiles while n <= cap, else
// the 1 % buckets (capped by the maximum). The recorder stores its exact values in chunks (and
// grows the first by doubling); what it reports must be exactly this.
function reference(xs: number[], cap: number) {
  const n = xs.length;
  if (n === 0) return { n: 0, mean: null, p50: null, p90: null, p95: null, p99: null, max: null, exact: true };
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  let sum = 0;
  let max = -Infinity;
  for (const x of xs) {
    sum += x;
    if (x > max) max = x;
  }
  if (n <= cap) {
    const sorted = [...xs].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * n) - 1)];
    return { n, mean: r(sum / n), p50: r(pct(50)), p90: r(pct(90)), p95: r(pct(95)), p99: r(pct(99)), max: r(max), exact: true };
  }
  const h = new Map<number, number>();
  for (const x of xs) h.set(latencyBucket(x), (h.get(latencyBucket(x)) ?? 0) + 1);
  const pairs = [...h].sort((a, b) => a[0] - b[0]);
  const pb = (p: number) => Math.min(max, percentileFromBuckets(pairs, p));
  return { n, mean: r(sum / n), p50: r(pb(50)), p90: r(pb(90)), p95: r(pb(95)), p99: r(pb(99)), max: r(max), exact: false };
}

describe("LatencyRecorder", () => {
  it("reports what one plain array of every value gives, for any cap — property", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }), // number of values (fast-check's arrays stay short: sized here)
        fc.integer({ min: 0, max: 5000 }), // cap
        fc.array(fc.oneof(fc.constant(0), fc.constant(5), fc.double({ min: 0, max: 1e4, noNaN: true, noDefaultInfinity: true })), { minLength: 1, maxLength: 50 }),
        fc.nat(),
        (count, cap, pool, seed) => {
          // Values drawn from a small pool (repeats, as with constant service times) by a fixed LCG.
          const xs: number[] = [];
          let s = seed >>> 0;
          for (let i = 0; i < count; i++) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            xs.push(pool[s % pool.length]);
          }
          const rec = new LatencyRecorder(cap);
          for (const x of xs) rec.add(x);
          expect(rec.stats()).toEqual(reference(xs, cap));
          expect(rec.count).toBe(xs.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps exact values across chunks (more than 65 536 values) up to the cap, and only up to it", () => {
    for (const [count, cap] of [
      [140_000, 1_000_000],
      [140_000, 140_000],
      [140_001, 140_000],
      [100_000, 70_000],
      [65_536, 65_536],
      [65_537, 65_536],
    ]) {
      const xs: number[] = [];
      let s = 7;
      for (let i = 0; i < count; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        xs.push((s % 100_000) / 1000);
      }
      const rec = new LatencyRecorder(cap);
      for (const x of xs) rec.add(x);
      expect(rec.stats(), `${count} values, cap ${cap}`).toEqual(reference(xs, cap));
    }
  });
});
