// Random streams and distributions. One seedrandom stream per purpose (arrivals, service,
// startup, crashes, phases), derived from the scenario seed and the stream's name, so that
// changing one part of a scenario does not shift the random numbers of another.
// Every sampler uses inversion of a single uniform draw where it can: scaling a distribution's
// time parameters by k then scales every sample by exactly k (time-scale invariance).
import seedrandom from "seedrandom";

export type Uniform = () => number; // in [0, 1)

/**
 * What stream() makes: a Uniform that can also hand out many draws at once. `fill(out)` writes
 * the next out.length draws of the same sequence into `out`, for a caller that wants a batch (a
 * double returned from a call that is not inlined is boxed: see engine.ts).
 */
export type Stream = Uniform & { fill(out: Float64Array): void };

// 1 / d = 2^-(56 - k) for a draw whose 7 bytes were shifted right k = 0..3 times (a power of two: exact).
const SCALE = new Float64Array([2 ** -56, 2 ** -55, 2 ** -54, 2 ** -53]);

/**
 * seedrandom's ARC4 on a Uint8Array, continuing from a state seedrandom produced. fill() computes
 * seedrandom's `prng`, to the bit:
 *   n = g(6), d = 2^48, x = 0; while (n < 2^52) { n = (n + x) * 256; d *= 256; x = g(1) }
 *   while (n >= 2^53) { n /= 2; d /= 2; x >>>= 1 }  return (n + x) / d
 * Every step there is exact integer arithmetic on doubles, so computing the same n, x, d by other
 * exact means gives the identical result.
 */
class Arc4 {
  private readonly s: Uint8Array;
  private i: number;
  private j: number;

  constructor(state: { i: number; j: number; S: number[] }) {
    this.s = Uint8Array.from(state.S);
    this.i = state.i | 0;
    this.j = state.j | 0;
  }

  /** seedrandom's g(1): i += 1; j += S[i]; swap S[i], S[j]; output S[S[i] + S[j]], all mod 256. */
  private byte(): number {
    const s = this.s;
    const i = (this.i = (this.i + 1) & 255);
    const t = s[i];
    const j = (this.j = (this.j + t) & 255);
    const u = s[j];
    s[i] = u;
    s[j] = t;
    return s[(u + t) & 255];
  }

  /**
   * buf := the next buf.length doubles. The common case is written inline in the loop, and the loop
   * writes into the buffer rather than calling a double() that returns: a double returned from a
   * call that is not inlined is boxed (see engine.ts).
   */
  fill(buf: Float64Array): void {
    for (let k = 0; k < buf.length; k++) {
      // g(6) as two 24-bit halves: n = hi * 2^24 + lo < 2^48.
      const hi = (this.byte() << 16) | (this.byte() << 8) | this.byte();
      const lo = (this.byte() << 16) | (this.byte() << 8) | this.byte();
      // seedrandom's fill loop always runs once (n < 2^48 < 2^52): n = g(6) * 256, d = 2^56, x = 7th byte.
      const x = this.byte();
      if (hi >= 0x100000) {
        // g(6) >= 2^44 (15 draws in 16): n = g(6) * 256 >= 2^52, so no more bytes. The shift loop
        // halves n (< 2^56) k = 0..3 times, kk = bitLength(hi) - 21; the sum stays an exact integer < 2^53.
        const kk = 11 - Math.clz32(hi);
        buf[k] = ((hi * 0x1000000 + lo) * (256 >> kk) + (x >>> kk)) * SCALE[kk];
      } else buf[k] = this.small(hi, lo, x);
    }
  }

  /** g(6) < 2^44 (the draw is < 2^-4): seedrandom's loops verbatim (a further byte while g(6) < 2^36, 2^28, ...). */
  private small(hi: number, lo: number, x: number): number {
    let n = (hi * 0x1000000 + lo) * 256;
    let d = 72057594037927936; // 2^56
    while (n < 4503599627370496) {
      // 2^52
      n = (n + x) * 256;
      d *= 256;
      x = this.byte();
    }
    while (n >= 9007199254740992) {
      // 2^53
      n /= 2;
      d /= 2;
      x >>>= 1;
    }
    return (n + x) / d;
  }
}

/** Draws computed per refill of a stream's buffer. */
const BATCH = 64;

/**
 * The same doubles as seedrandom("kedasim:<seed>:<name>").double(), about 2–3× as fast. seedrandom
 * (v3) still does the key schedule and the RC4-drop[256]; we take its ARC4 state right after
 * construction and run ARC4 ourselves (seedrandom's arc4.g() is a generic loop over a plain array).
 * Draws are made BATCH at a time into a buffer, so the function a model calls per draw is tiny and
 * gets inlined: a double returned from a call that is not inlined is boxed (see engine.ts). The
 * sequence is the same — a stream is only ever read in order by its one owner.
 */
export function stream(seed: number, name: string): Stream {
  const s = new StreamState(seed, name);
  // An unnamed arrow and a method shorthand: tsx's keepNames names a function bound to a name
  // (`const f = () => ...`, `{ fill: () => ... }`) with a defineProperty call, for every stream of
  // every run.
  return Object.assign(() => s.draw(), {
    fill(out: Float64Array): void {
      s.fill(out);
    },
  });
}

/** One stream's ARC4 and its buffer of BATCH draws. */
class StreamState {
  // The key schedule (seedrandom's mixkey, ARC4 setup and its 256 dropped bytes) runs at the first
  // draw: many streams of a short run are never drawn from (a constant processing time, no crash
  // rate, a burst producer), and for a 50-message scenario that setup was ~10 % of the run.
  private arc4: Arc4 | null = null;
  private readonly buf = new Float64Array(BATCH);
  private next = BATCH;

  constructor(
    private readonly seed: number,
    private readonly name: string,
  ) {}

  draw(): number {
    return this.next < BATCH ? this.buf[this.next++] : this.refill();
  }

  /** The next out.length draws, in order, into out. */
  fill(out: Float64Array): void {
    const buf = this.buf;
    let k = 0;
    while (k < out.length) {
      if (this.next === BATCH) {
        this.refill();
        this.next = 0; // refill() handed out buf[0] as its return value; here it is copied below instead
      }
      const next = this.next;
      const n = Math.min(BATCH - next, out.length - k);
      for (let i = 0; i < n; i++) out[k + i] = buf[next + i];
      this.next = next + n;
      k += n;
    }
  }

  private refill(): number {
    if (this.arc4 === null) this.arc4 = new Arc4(seedrandom(`kedasim:${this.seed}:${this.name}`, { state: true }).state());
    this.arc4.fill(this.buf);
    this.next = 1;
    return this.buf[0];
  }
}

/** A duration distribution, in seconds. */
export type Distribution =
  | { dist: "constant"; value: number }
  | { dist: "exponential"; mean: number }
  | { dist: "lognormal"; mu: number; sigma: number; scale?: number } // ln(seconds / scale) ~ N(mu, sigma)
  | { dist: "uniform"; min: number; max: number }
  | { dist: "empirical"; values: number[] };

export type Sampler = () => number;

/** Inverse of the standard normal CDF (Acklam's rational approximation, |rel err| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pl) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export function sampler(d: Distribution, u: Uniform): Sampler {
  switch (d.dist) {
    case "constant": {
      const v = d.value;
      return () => v;
    }
    case "exponential": {
      const m = d.mean;
      // 1 - u is in (0, 1]: never log(0).
      return () => -m * Math.log(1 - u());
    }
    case "lognormal": {
      const { mu, sigma } = d;
      const scale = d.scale ?? 1;
      return () => scale * Math.exp(mu + sigma * normalQuantile(u()));
    }
    case "uniform": {
      const { min, max } = d;
      return () => min + (max - min) * u();
    }
    case "empirical": {
      const vs = d.values;
      return () => vs[Math.min(vs.length - 1, Math.floor(u() * vs.length))];
    }
  }
}

export function distributionMean(d: Distribution): number {
  switch (d.dist) {
    case "constant":
      return d.value;
    case "exponential":
      return d.mean;
    case "lognormal":
      return (d.scale ?? 1) * Math.exp(d.mu + (d.sigma * d.sigma) / 2);
    case "uniform":
      return (d.min + d.max) / 2;
    case "empirical":
      return d.values.reduce((a, b) => a + b, 0) / d.values.length;
  }
}

export function distributionMax(d: Distribution): number {
  switch (d.dist) {
    case "constant":
      return d.value;
    case "uniform":
      return d.max;
    case "empirical":
      return Math.max(...d.values);
    default:
      return Infinity;
  }
}

/** Multiply every time parameter of a distribution by k (exactly: lognormal gets a scale factor, not mu + ln k). */
export function scaleDistribution(d: Distribution, k: number): Distribution {
  switch (d.dist) {
    case "constant":
      return { dist: "constant", value: d.value * k };
    case "exponential":
      return { dist: "exponential", mean: d.mean * k };
    case "lognormal":
      return { dist: "lognormal", mu: d.mu, sigma: d.sigma, scale: (d.scale ?? 1) * k };
    case "uniform":
      return { dist: "uniform", min: d.min * k, max: d.max * k };
    case "empirical":
      return { dist: "empirical", values: d.values.map((v) => v * k) };
  }
}
