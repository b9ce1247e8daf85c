// Latency histogram bucket of a value (re-exported by trace.ts, which describes the buckets).
//
// latencyBucketExact() is the definition traces have always been written with. latencyBucket() is on
// the per-message hot path, so it answers from tables instead of calling Math.log, and must return the
// very same number for every double (traces stay byte-identical):
// - The reference is monotone in x (x / L, Math.log, / LN_G, - 1e-9 and ceil all are), so bucket b >= 1
//   starts at one threshold double T[b] = min{x : exact(x) >= b}, found by bisection over the doubles
//   with the reference itself (computed at run time, never hard-coded: it follows this runtime's Math.log).
// - A cell of the lookup table is one binade's 1/128th (exponent + top 7 mantissa bits of the double),
//   a ratio of at most 2^(1/128) < 1.01, so it holds at most one threshold: its bucket is the number of
//   thresholds <= its start, plus one when x >= the next threshold.
// - Outside [LAT_FAST_MIN, LAT_FAST_MAX) (0, negatives, NaN, Infinity, subnormals, huge values), and in the
//   one cell around 1 ms where the reference returns -0 just above L, it falls back to the reference.
// - Tables are built per binade on first use (see buildBinade), not at module load.
// Monotonicity of Math.log (V8's fdlibm port, error < 1 ulp) is not promised by any spec. An error < 1 ulp of
// log (<= 2^-47 here) can only reorder values within ~±130 ulps of x around a threshold, and
// latency-bucket.test.ts checks every double within ±256 ulps of every T[b].

export const LAT_LOW = 0.001;
export const LAT_GROWTH = 1.01;
const LN_G = Math.log(LAT_GROWTH);

/** The reference definition of a latency's bucket (slow: one Math.log). */
export function latencyBucketExact(seconds: number): number {
  if (!(seconds > LAT_LOW)) return 0;
  return Math.ceil(Math.log(seconds / LAT_LOW) / LN_G - 1e-9);
}

// Table range in binades: [2^-10, 2^40) s, i.e. ~0.98 ms to ~35,000 years.
const E_MIN = -10;
const E_MAX = 40;
const MANT_BITS = 7;
const CELL_SHIFT = 20 - MANT_BITS; // high word = sign(1) exponent(11) mantissa(20)
const CELL0 = (1023 + E_MIN) << MANT_BITS; // (high word >>> CELL_SHIFT) of 2^E_MIN
const N_CELLS = (E_MAX - E_MIN) << MANT_BITS;
/** latencyBucket() answers from its tables for LAT_FAST_MIN <= seconds < LAT_FAST_MAX. */
export const LAT_FAST_MIN = 2 ** E_MIN;
export const LAT_FAST_MAX = 2 ** E_MAX;
const FALLBACK = 0xffff; // cell marker: not built yet, or use the reference

// Scratch double whose high 32 bits we read (index 1 on little-endian hosts).
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

// Built lazily, one binade at a time (~70 thresholds, ~0.1 ms), so a CLI start or a test that never
// records a latency pays nothing, and a run pays only for the binades its latencies fall into.
/** Last bucket whose threshold we may need: T[TOP] > LAT_FAST_MAX. */
const TOP = latencyBucketExact(LAT_FAST_MAX) + 1;
/** thresholds[b] = T[b] (1 <= b <= TOP), NaN until computed. */
const thresholds = new Float64Array(TOP + 1).fill(Number.NaN);
/** cellBucket[c] = bucket at the start of cell c (= number of thresholds <= its start), or FALLBACK. */
const cellBucket = new Uint16Array(N_CELLS).fill(FALLBACK);
const binadeBuilt = new Uint8Array(E_MAX - E_MIN);

/** Bucket of a latency in seconds: same value as latencyBucketExact() for every double, without Math.log. */
export function latencyBucket(seconds: number): number {
  scratch[0] = seconds;
  const c = (scratchWords[HI] >>> CELL_SHIFT) - CELL0;
  if (c >= 0 && c < N_CELLS) {
    const b = cellBucket[c];
    // + of the comparison, not ?: — V8 then emits no branch for this unpredictable test (4 vs 6 ns).
    if (b !== FALLBACK) return b + +(seconds >= thresholds[b + 1]);
  }
  return latencyBucketSlow(seconds);
}

// Kept out of latencyBucket() so that stays small enough to inline into its callers.
function latencyBucketSlow(seconds: number): number {
  scratch[0] = seconds;
  const c = (scratchWords[HI] >>> CELL_SHIFT) - CELL0;
  if (c >= 0 && c < N_CELLS && binadeBuilt[c >>> MANT_BITS] === 0) {
    buildBinade(c >>> MANT_BITS);
    return latencyBucket(seconds);
  }
  return latencyBucketExact(seconds);
}

/** Smallest double x with latencyBucketExact(x) >= b (b >= 1). */
function threshold(b: number): number {
  // Start from the analytic edge (within ~50 ulps of T), widen until lo < T <= hi holds, then bisect.
  const x0 = LAT_LOW * Math.exp((b - 1 + 1e-9) * LN_G);
  let w = x0 * 2 ** -45;
  let lo = x0 - w;
  while (latencyBucketExact(lo) >= b) lo = x0 - (w *= 16);
  w = x0 * 2 ** -45;
  let hi = x0 + w;
  while (latencyBucketExact(hi) < b) hi = x0 + (w *= 16);
  // lo + (hi - lo) / 2 lies strictly between lo and hi whenever some double does (hi - lo and the halving
  // are exact here), so the loop ends with hi = the double after lo.
  for (;;) {
    const mid = lo + (hi - lo) / 2;
    if (mid === lo || mid === hi) return hi;
    if (latencyBucketExact(mid) >= b) hi = mid;
    else lo = mid;
  }
}

function thresholdOf(b: number): number {
  let t = thresholds[b];
  if (t !== t) thresholds[b] = t = threshold(b);
  return t;
}

function buildBinade(k: number): void {
  const binade = 2 ** (E_MIN + k);
  const width = binade / (1 << MANT_BITS);
  let b = latencyBucketExact(binade); // = number of thresholds <= binade (monotone)
  for (let m = 0; m < 1 << MANT_BITS; m++) {
    const start = binade + m * width;
    const end = start + width; // exact: the next cell's start
    while (thresholdOf(b + 1) <= start) b++;
    // Bucket 0 above L can be -0 (ceil of a tiny negative): let the reference answer there.
    // Two thresholds in a cell cannot happen with G = 1.01, but would break the one comparison
    // (past TOP they cannot: T[TOP] > LAT_FAST_MAX >= end).
    const unsafe = (b === 0 && end > LAT_LOW) || (b + 2 <= TOP && thresholdOf(b + 2) < end);
    cellBucket[(k << MANT_BITS) + m] = unsafe ? FALLBACK : b;
  }
  binadeBuilt[k] = 1;
}

function buildAll(): void {
  for (let k = 0; k < E_MAX - E_MIN; k++) if (binadeBuilt[k] === 0) buildBinade(k);
}

/** All thresholds of the tabulated range: [b] = smallest double in bucket >= b, 1 <= b < length (for tests). */
export function latencyThresholds(): Float64Array {
  buildAll();
  return thresholds.slice();
}

/** Whether latencyBucket(seconds) answers from the tables, not the reference (for tests). */
export function latencyBucketTabulated(seconds: number): boolean {
  buildAll();
  scratch[0] = seconds;
  const c = (scratchWords[HI] >>> CELL_SHIFT) - CELL0;
  return c >= 0 && c < N_CELLS && cellBucket[c] !== FALLBACK;
}
