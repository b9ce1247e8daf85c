// When messages arrive: one ArrivalSource per producer of a scenario, shared by the single-queue
// and the topology models. It knows nothing of the engine: the model asks for the first arrival
// time, and at each arrival asks how many messages to publish and when the next arrival is.
// Every draw inverts one uniform, and time-varying rates use thinning (Lewis & Shedler), so a
// time-scaled producer (times × k, rates ÷ k, k a power of two) gives exactly scaled times.
import type { Stream } from "../rng.js";
import type { Producer } from "../scenario/load.js";
import { SimulationLimitError } from "./limits.js";

/** Poisson arrival times computed per refill (see refillPoisson). */
const POISSON_BATCH = 64;

/** Thinning proposals allowed for one arrival: a bound on the work inside a single event. */
const MAX_PROPOSALS = 10_000_000;
const tooSteep = (t: number) =>
  new SimulationLimitError(
    "limits.maxEvents",
    `stopped at t=${t} s: the arrival rate schedule needed more than ${MAX_PROPOSALS.toLocaleString("en-US")} thinning proposals for one arrival (a rate near zero next to a huge peak)`,
  );
const tooManyProposals = (t: number, budget: number) =>
  new SimulationLimitError(
    "limits.maxEvents",
    `stopped at t=${t} s: the arrival rate schedule needed more than limits.maxEvents (${budget}) thinning proposals in total (each is a step of work like an event; a steep ramp is thinned at its peak rate)`,
  );

/** The piecewise-linear rate of a `rate` producer at time t (0 after the last point). */
function rateAt(pts: ReadonlyArray<readonly [number, number]>, t: number): number {
  for (let j = 1; j < pts.length; j++) {
    if (t <= pts[j][0]) {
      const [t0, r0] = pts[j - 1];
      const [t1, r1] = pts[j];
      return r0 + ((r1 - r0) * (t - t0)) / (t1 - t0);
    }
  }
  return 0;
}

export class ArrivalSource {
  private next = 0; // index of the next arrival (interval, times), or carried mass (deterministic rate)
  private remaining: number;
  private tNext: number;
  /** Poisson producers stop here: `until`, else the scenario's duration, else never. */
  private readonly until: number;

  /** Thinning proposals so far, over the whole run. */
  private proposalsTotal = 0;

  /**
   * `horizon`: Poisson producers without `until` stop here (the scenario's duration, if any).
   * `maxProposals`: thinning proposals allowed over the whole run (the scenario's limits.maxEvents):
   * each is a step of work like an event, and a steep ramp can need ~1000 per arrival, so a run
   * with a small event limit must not spend minutes inside its arrivals (found by the fuzzer, #12).
   */
  constructor(
    private readonly p: Producer,
    private readonly u: Stream,
    horizon: number | null,
    private readonly maxProposals = Infinity,
  ) {
    this.remaining = p.type === "interval" ? p.count : p.type === "poisson" ? (p.count ?? Infinity) : 0;
    this.tNext = p.type === "rate" ? p.points[0][0] : p.type === "sine" ? p.from : 0;
    this.until = (p.type === "poisson" ? p.until : null) ?? horizon ?? Infinity;
  }

  /** Time of the first arrival, or null if this producer never publishes. Sets nextArrival. */
  first(): number | null {
    const t = this.firstTime();
    this.nextArrival = t ?? Infinity;
    return t;
  }

  private firstTime(): number | null {
    const p = this.p;
    switch (p.type) {
      case "burst":
        return p.count > 0 ? p.at : null;
      case "interval":
        return p.count > 0 ? p.at : null;
      case "poisson": {
        this.nextArrival = p.from;
        this.advancePoisson();
        return this.nextArrival === Infinity ? null : this.nextArrival;
      }
      case "rate":
      case "sine":
        return this.thinned();
      case "times":
        return p.times.length > 0 ? p.times[0] : null;
    }
  }

  /**
   * When the next arrival is (after first() or fire()): a time, or Infinity when this producer is
   * done. A field that only ever holds numbers, not part of fire()'s result: fire() runs once per
   * message, and an object or a boxed number per call showed in the profile (see engine.ts).
   */
  nextArrival = Infinity;

  /**
   * The arrival at nextArrival happens: how many messages to publish now; moves nextArrival on.
   * (No time argument: the caller fires each arrival at the time this source gave it.)
   */
  fire(): number {
    const p = this.p;
    switch (p.type) {
      case "poisson":
        this.remaining--;
        this.advancePoisson();
        return 1;
      case "burst":
        this.nextArrival = Infinity;
        return p.count;
      case "interval":
        this.remaining--;
        this.next++;
        this.nextArrival = this.remaining > 0 ? p.at + this.next * p.intervalSeconds : Infinity;
        return 1;
      case "rate":
      case "sine":
        this.nextArrival = this.thinned() ?? Infinity;
        return 1;
      case "times":
        this.next++;
        this.nextArrival = this.next < p.times.length ? p.times[this.next] : Infinity;
        return 1;
    }
  }

  // Poisson arrival times, computed POISSON_BATCH at a time from the stream's draws taken in bulk
  // (u.fill): per message only a load, no call returning a boxed double. The times are the same
  // numbers in the same order as one draw per arrival would give: the stream is this source's own.
  private pTimes: Float64Array | null = null;
  private pDraws: Float64Array | null = null;
  private pNext = POISSON_BATCH;

  /** nextArrival := the next Poisson arrival after it, or Infinity when there is none. In place: no double crosses the call. */
  private advancePoisson(): void {
    if (this.remaining <= 0) {
      this.nextArrival = Infinity;
      return;
    }
    if (this.pNext === POISSON_BATCH) this.refillPoisson();
    this.nextArrival = this.pTimes![this.pNext++];
  }

  /** The next POISSON_BATCH arrival times after nextArrival (Infinity from `until` on). */
  private refillPoisson(): void {
    const p = this.p as Extract<Producer, { type: "poisson" }>;
    if (this.pTimes === null) {
      this.pTimes = new Float64Array(POISSON_BATCH);
      this.pDraws = new Float64Array(POISSON_BATCH);
    }
    const times = this.pTimes;
    const draws = this.pDraws!;
    const u = this.u;
    u.fill(draws);
    const rate = p.ratePerSecond;
    const until = this.until;
    let t = this.nextArrival;
    for (let k = 0; k < POISSON_BATCH; k++) {
      if (t !== Infinity) {
        t = t - Math.log(1 - draws[k]) / rate;
        if (t >= until) t = Infinity;
      }
      times[k] = t;
    }
    this.pNext = 0;
  }

  /** Next arrival of a time-varying rate: thinning, or even spacing of the integrated rate if deterministic. */
  private thinned(): number | null {
    const p = this.p;
    const u = this.u;
    if (p.type === "rate") {
      const pts = p.points;
      const last = pts[pts.length - 1][0];
      if (p.deterministic) {
        // An arrival each time the integrated rate crosses a whole number. The step is a power-of-two
        // fraction of the schedule's span, so a time-scaled schedule integrates to exactly scaled times.
        let t = this.tNext;
        let acc = this.next; // fractional mass carried
        const dt = (last - pts[0][0]) / 1048576;
        while (t < last) {
          const r = rateAt(pts, t + dt / 2);
          if (acc + r * dt >= 1) {
            const tt = t + ((1 - acc) / (r || 1)) * 1;
            this.tNext = tt;
            this.next = 0;
            return tt;
          }
          acc += r * dt;
          t += dt;
        }
        return null;
      }
      // Thin each linear segment with its own maximum rate (Lewis & Shedler; Poisson arrivals are
      // memoryless, so a proposal past a segment's end restarts at that end). With one global
      // maximum a steep spike would cost ~peak × (length of the quiet stretches) proposals.
      let t = this.tNext;
      let proposals = 0;
      for (let j = 1; j < pts.length; j++) {
        const [t0, r0] = pts[j - 1];
        const [t1, r1] = pts[j];
        if (t >= t1) continue;
        if (t < t0) t = t0;
        const lmax = Math.max(r0, r1);
        if (lmax <= 0) {
          t = t1;
          continue;
        }
        for (;;) {
          if (++proposals > MAX_PROPOSALS) throw tooSteep(t);
          if (++this.proposalsTotal > this.maxProposals) throw tooManyProposals(t, this.maxProposals);
          const cand = t - Math.log(1 - u()) / lmax;
          if (cand >= t1) {
            t = t1;
            break;
          }
          t = cand;
          if (u() * lmax <= r0 + ((r1 - r0) * (t - t0)) / (t1 - t0)) {
            this.tNext = t;
            return t;
          }
        }
      }
      this.tNext = last;
      return null;
    }
    if (p.type === "sine") {
      const lmax = p.meanPerSecond + p.amplitudePerSecond;
      let t = this.tNext;
      let proposals = 0;
      for (;;) {
        if (++proposals > MAX_PROPOSALS) throw tooSteep(t);
        if (++this.proposalsTotal > this.maxProposals) throw tooManyProposals(t, this.maxProposals);
        t -= Math.log(1 - u()) / lmax;
        if (t >= p.until) return null;
        const r = p.meanPerSecond + p.amplitudePerSecond * Math.sin((2 * Math.PI * (t - p.phaseSeconds)) / p.periodSeconds);
        if (u() * lmax <= r) break;
      }
      this.tNext = t;
      return t;
    }
    return null;
  }
}
