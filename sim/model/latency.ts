// Streaming latency statistics: exact values while they fit under a cap (then exact percentiles),
// plus a 1 %-bucket histogram that always works (used beyond the cap, so 10^7-message runs stay
// within memory). Means are always exact (running sums).
import { latencyBucket, percentileFromBuckets, type LatencyStats } from "../trace.js";

export class LatencyRecorder {
  private values: Float64Array;
  private n = 0;
  private sum = 0;
  private maxV = -Infinity;
  private buckets = new Map<number, number>();
  private exact = true;

  constructor(private readonly cap = 1_000_000) {
    this.values = new Float64Array(Math.min(1024, cap));
  }

  add(x: number): void {
    this.n++;
    this.sum += x;
    if (x > this.maxV) this.maxV = x;
    const b = latencyBucket(x);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    if (this.exact) {
      if (this.n > this.cap) {
        this.exact = false;
        this.values = new Float64Array(0);
        return;
      }
      if (this.n > this.values.length) {
        const v = new Float64Array(Math.min(this.cap, this.values.length * 2));
        v.set(this.values);
        this.values = v;
      }
      this.values[this.n - 1] = x;
    }
  }

  get count(): number {
    return this.n;
  }

  stats(): LatencyStats {
    if (this.n === 0) return { n: 0, mean: null, p50: null, p90: null, p95: null, p99: null, max: null, exact: true };
    const r = (x: number) => Math.round(x * 1e6) / 1e6;
    if (this.exact) {
      const sorted = this.values.slice(0, this.n).sort();
      // Nearest-rank percentile: smallest value with at least p % of observations at or below it.
      const pct = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * this.n) - 1)];
      return { n: this.n, mean: r(this.sum / this.n), p50: r(pct(50)), p90: r(pct(90)), p95: r(pct(95)), p99: r(pct(99)), max: r(this.maxV), exact: true };
    }
    const pb = (p: number) => Math.min(this.maxV, percentileFromBuckets(this.buckets, p));
    return { n: this.n, mean: r(this.sum / this.n), p50: r(pb(50)), p90: r(pb(90)), p95: r(pb(95)), p99: r(pb(99)), max: r(this.maxV), exact: false };
  }
}
