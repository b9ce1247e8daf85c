// Streaming latency statistics: exact values while they fit under a cap (then exact percentiles),
// plus a 1 %-bucket histogram that always works (used beyond the cap, so 10^7-message runs stay
// within memory). Means are always exact (running sums).
//
// Performance (this is on the per-completion hot path, three recorders per message): while the
// values are kept, an observation is a store and two running sums; the histogram is built only when
// the cap is passed (from the kept values) and then updated per observation. It is a flat
// Float64Array of counts indexed by bucket number (no Map lookups or boxed entries), and the last
// value's bucket is memoised, so a repeated value (constant service time, zero wait) costs no
// lookup. Callers that already know the bucket pass it to addWithBucket().
import { latencyBucket, percentileFromBuckets, round6, type LatencyStats } from "../trace.js";

/** Values per chunk of exact storage (512 KB). */
const CHUNK = 65536;

export class LatencyRecorder {
  // Exact values, in chunks: the first grows by doubling up to CHUNK (short runs stay small), then
  // full chunks are kept and a new one started, so values are never copied again on the way to
  // the cap (copying on every doubling up to 10^6 values cost ~2 % of the M/D/10 benchmark).
  private values: Float64Array; // the chunk being filled
  private full: Float64Array[] = []; // earlier chunks, each CHUNK values
  private pos = 0; // values in `values`
  private n = 0;
  private sum = 0;
  private maxV = -Infinity;
  /** Bucket mode only: counts[b] = observations in bucket b; grown on demand to the largest bucket seen (5 s is bucket 856). */
  private counts = new Float64Array(0);
  private maxBucket = -1;
  private lastX = Number.NaN;
  private lastB = 0;
  private exact = true;

  constructor(private readonly cap = 1_000_000) {
    this.values = new Float64Array(Math.min(1024, cap));
  }

  add(x: number): void {
    // The bucket is only needed once the values are no longer kept (addWithBucket ignores it before).
    if (!this.exact && x !== this.lastX) {
      this.lastX = x;
      this.lastB = latencyBucket(x);
    }
    this.addWithBucket(x, this.lastB);
  }

  /**
   * add(x) when the caller has computed latencyBucket(x) already (b is not read while the exact
   * values are kept, and may be anything then). Only the common case is written
   * here (growing arrays and leaving exact mode are in cold methods), so the optimiser can inline
   * this into the per-completion code: a double passed into a call that is not inlined is boxed.
   */
  addWithBucket(x: number, b: number): void {
    ++this.n;
    this.sum += x;
    if (x > this.maxV) this.maxV = x;
    if (this.exact) {
      if (this.pos < this.values.length) this.values[this.pos++] = x;
      else this.spill(x);
      return;
    }
    this.tally(b);
  }

  /** One more observation in bucket b (bucket mode). */
  private tally(b: number): void {
    if (b >= this.counts.length) this.growCounts(b);
    this.counts[b]++;
    if (b > this.maxBucket) this.maxBucket = b;
  }

  /**
   * Exact mode and the chunk is full: grow it or start a new one; or, past the cap, switch to the
   * 1 % buckets. The histogram is only needed from then on, so it is built here from the values
   * kept so far (the same multiset as counting each one as it came), and the values are dropped.
   */
  private spill(x: number): void {
    if (this.n > this.cap) {
      this.exact = false;
      for (const c of this.full) this.countAll(c, c.length);
      this.countAll(this.values, this.pos);
      this.values = new Float64Array(0);
      this.full = [];
      this.pos = 0;
      this.tally(latencyBucket(x));
      return;
    }
    // Never more room than the cap allows: a value past the cap must land here, in spill().
    const len = this.values.length;
    if (len < CHUNK && this.full.length === 0) {
      const v = new Float64Array(Math.min(CHUNK, len * 2, this.cap));
      v.set(this.values);
      this.values = v;
    } else {
      this.full.push(this.values);
      this.values = new Float64Array(Math.min(CHUNK, this.cap - (this.n - 1)));
      this.pos = 0;
    }
    this.values[this.pos++] = x;
  }

  private countAll(values: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) this.tally(latencyBucket(values[i]));
  }

  /** All exact values, in arrival order. */
  private allValues(): Float64Array {
    const out = new Float64Array(this.n);
    let k = 0;
    for (const c of this.full) {
      out.set(c, k);
      k += c.length;
    }
    out.set(this.values.subarray(0, this.pos), k);
    return out;
  }

  private growCounts(b: number): void {
    const c = new Float64Array(Math.max(b + 257, this.counts.length * 2));
    c.set(this.counts);
    this.counts = c;
  }

  get count(): number {
    return this.n;
  }

  stats(): LatencyStats {
    if (this.n === 0) return { n: 0, mean: null, p50: null, p90: null, p95: null, p99: null, max: null, exact: true };
    // Module-level helpers, not closures: under tsx (keepNames) every closure is named with a
    // defineProperty call, which showed in short runs (three recorders, each asked once per run).
    if (this.exact) {
      const sorted = this.allValues().sort();
      const n = this.n;
      return { n, mean: round6(this.sum / n), p50: round6(nearestRank(sorted, n, 50)), p90: round6(nearestRank(sorted, n, 90)), p95: round6(nearestRank(sorted, n, 95)), p99: round6(nearestRank(sorted, n, 99)), max: round6(this.maxV), exact: true };
    }
    const pairs: Array<[number, number]> = [];
    for (let b = 0; b <= this.maxBucket; b++) if (this.counts[b] > 0) pairs.push([b, this.counts[b]]);
    const max = this.maxV;
    return { n: this.n, mean: round6(this.sum / this.n), p50: round6(Math.min(max, percentileFromBuckets(pairs, 50))), p90: round6(Math.min(max, percentileFromBuckets(pairs, 90))), p95: round6(Math.min(max, percentileFromBuckets(pairs, 95))), p99: round6(Math.min(max, percentileFromBuckets(pairs, 99))), max: round6(max), exact: false };
  }
}


/** Nearest-rank percentile: the smallest value with at least p % of the n observations at or below it. */
function nearestRank(sorted: Float64Array, n: number, p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * n) - 1)];
}
