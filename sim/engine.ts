// The discrete-event engine: one environment, one heap, step()/run(). It knows nothing of
// queues or KEDA. Models register *event kinds* (a handler plus a fixed priority) once, then
// schedule (time, kind, arg) triples. No closure is allocated per event: the heap lives in
// typed arrays and the handler is looked up by kind.
//
// Ordering (makes runs deterministic): time, then the kind's fixed priority (lower first),
// then insertion sequence. Same scenario + seed => same event order => byte-identical trace.
//
// The engine hands no floating-point number across a call (issue 6 profile): V8 passes arguments
// and return values as tagged values, so a double given to a call that the optimiser did not
// inline (a handler is never inlined: the call site sees every kind) is boxed into a fresh heap
// number. Hence handlers take no arguments and read the event's time and argument from `env.now`
// and `env.arg` (fields: stored unboxed), and schedule() is a front small enough to be inlined
// everywhere that parks its doubles in fields before calling push().
//
// Lanes (issue 6): most kinds schedule their events in time order — the next arrival of a source,
// completions of a constant service time, every periodic loop. An event not earlier than the last
// one of its kind still waiting is appended to that kind's FIFO lane (a ring buffer: O(1), no
// sifting); only an event that would jump ahead of its own kind goes to the binary heap. Each
// lane is sorted by (time, key) by construction (time non-decreasing, same priority, rising
// sequence), so the next event is the least of the heap's root and the heads of the non-empty
// lanes, compared on the same (time, priority, sequence) as before: the order of execution is
// exactly the heap-only engine's. In the M/D/10 benchmark the heap stays empty.

/** An event handler: reads `env.now` (its time) and `env.arg` (the number it was scheduled with). */
export type Handler = () => void;

const INITIAL_CAPACITY = 1024;
// Priority and sequence are packed into one float64 key: prio * 2^44 + seq.
// 2^44 ≈ 1.76e13 events per run before the packing would overflow; checked in schedule().
const SEQ_SPACE = 2 ** 44;
const MAX_PRIORITY = 255;

const NO_EVENTS = new Float64Array(0);

/** One kind's FIFO of in-order events: a ring buffer (capacity a power of two). */
class Lane {
  times: Float64Array;
  keys: Float64Array;
  args: Float64Array;
  head = 0;
  length = 0;
  mask: number;
  /** Time of the last event appended (valid while length > 0). */
  lastTime = 0;
  /** Time and key of the head event (valid while length > 0): read by every step's comparison. */
  headTime = 0;
  headKey = 0;
  /** Position in Environment.active while non-empty, else -1. */
  slot = -1;

  // No storage until the kind's first in-order event: a model registers kinds it may never use,
  // and a short run (one property-test case) should not pay for their buffers.
  constructor(readonly kind: number) {
    this.times = NO_EVENTS;
    this.keys = NO_EVENTS;
    this.args = NO_EVENTS;
    this.mask = -1;
  }

  grow(): void {
    const n = this.times.length;
    const cap = n === 0 ? 16 : n * 2;
    const t = new Float64Array(cap);
    const k = new Float64Array(cap);
    const a = new Float64Array(cap);
    for (let i = 0; i < this.length; i++) {
      const j = (this.head + i) & this.mask;
      t[i] = this.times[j];
      k[i] = this.keys[j];
      a[i] = this.args[j];
    }
    this.times = t;
    this.keys = k;
    this.args = a;
    this.head = 0;
    this.mask = cap - 1;
  }
}

export class Environment {
  /** Current virtual time (seconds). */
  now = 0;
  /** Events executed so far. */
  processed = 0;
  /** The argument of the event being executed (what schedule() was given for it). */
  arg = 0;
  // schedule()'s arguments on their way to push() (see the header comment).
  private nextTime = 0;
  private nextArg = 0;

  // The heap: events scheduled ahead of an earlier event of their own kind.
  private times: Float64Array;
  private keys: Float64Array;
  private kinds: Int32Array;
  private args: Float64Array;
  private size = 0;
  private seq = 0;
  private handlers: Handler[] = [];
  private priorities: number[] = [];
  private names: string[] = [];
  private lanes: Lane[] = [];
  /** The non-empty lanes, in no particular order (the comparison decides). */
  private active: Lane[] = [];
  private laneEvents = 0;
  private stopped = false;

  constructor(initialCapacity = INITIAL_CAPACITY) {
    const cap = Math.max(16, initialCapacity);
    this.times = new Float64Array(cap);
    this.keys = new Float64Array(cap);
    this.kinds = new Int32Array(cap);
    this.args = new Float64Array(cap);
  }

  /** Register an event kind. Lower priority runs first among events at the same instant. */
  kind(name: string, priority: number, handler: Handler): number {
    if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
      throw new RangeError(`priority of ${name} must be an integer in [0, ${MAX_PRIORITY}]`);
    }
    this.handlers.push(handler);
    this.priorities.push(priority);
    this.names.push(name);
    this.lanes.push(new Lane(this.handlers.length - 1));
    return this.handlers.length - 1;
  }

  kindName(kind: number): string {
    return this.names[kind];
  }

  /** Number of pending events. */
  get pending(): number {
    return this.size + this.laneEvents;
  }

  /**
   * Schedule `kind` at absolute time `t` (must not be in the past) with argument `arg`. Kept tiny
   * (under V8's always-inline size) so that no call site boxes `t` or `arg`.
   */
  schedule(t: number, kind: number, arg: number): void {
    this.nextTime = t;
    this.nextArg = arg;
    this.push(kind);
  }

  /** Schedule `kind` after `delay` seconds from now. */
  after(delay: number, kind: number, arg: number): void {
    this.schedule(this.now + delay, kind, arg);
  }

  private push(kind: number): void {
    const t = this.nextTime;
    if (!(t >= this.now)) {
      throw new RangeError(`cannot schedule ${this.names[kind] ?? kind} at ${t} < now ${this.now}`);
    }
    if (this.seq >= SEQ_SPACE) throw new RangeError("event sequence space exhausted");
    const key = this.priorities[kind] * SEQ_SPACE + this.seq++;
    const lane = this.lanes[kind];
    if (lane.length === 0 || t >= lane.lastTime) {
      // In order for its kind: append to the lane.
      if (lane.length === lane.times.length) lane.grow();
      const j = (lane.head + lane.length) & lane.mask;
      lane.times[j] = t;
      lane.keys[j] = key;
      lane.args[j] = this.nextArg;
      lane.lastTime = t;
      if (lane.length++ === 0) {
        lane.headTime = t;
        lane.headKey = key;
        lane.slot = this.active.length;
        this.active.push(lane);
      }
      this.laneEvents++;
      return;
    }
    this.heapPush(kind, t, key);
  }

  private heapPush(kind: number, t: number, key: number): void {
    const arg = this.nextArg;
    if (this.size === this.times.length) this.grow();
    // Sift up.
    let i = this.size++;
    const times = this.times;
    const keys = this.keys;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p];
      if (pt < t || (pt === t && keys[p] < key)) break;
      times[i] = pt;
      keys[i] = keys[p];
      this.kinds[i] = this.kinds[p];
      this.args[i] = this.args[p];
      i = p;
    }
    times[i] = t;
    keys[i] = key;
    this.kinds[i] = kind;
    this.args[i] = arg;
  }

  /** The non-empty lane whose head comes first, or null (no lane events). */
  private firstLane(): Lane | null {
    const active = this.active;
    const n = active.length;
    if (n === 0) return null;
    let best = active[0];
    let bt = best.headTime;
    for (let i = 1; i < n; i++) {
      const l = active[i];
      const lt = l.headTime;
      if (lt < bt || (lt === bt && l.headKey < best.headKey)) {
        best = l;
        bt = lt;
      }
    }
    return best;
  }

  /** Time of the next event, or Infinity. */
  peek(): number {
    const lane = this.firstLane();
    const lt = lane === null ? Infinity : lane.headTime;
    const ht = this.size > 0 ? this.times[0] : Infinity;
    return lt < ht ? lt : ht;
  }

  /** Execute the next event. Returns false when nothing is pending. */
  step(): boolean {
    return this.stepUntil(Infinity);
  }

  /**
   * Execute the next event if it is due at or before `until`; false when nothing is (the event
   * loop's one step: the next event is found once, not once to look and once to run).
   */
  private stepUntil(until: number): boolean {
    const lane = this.firstLane();
    if (lane !== null) {
      const t = lane.headTime;
      // The heap's root goes first if it is earlier, or at the same time with a lower key.
      if (this.size === 0 || t < this.times[0] || (t === this.times[0] && lane.headKey < this.keys[0])) {
        if (t > until) return false;
        const h = lane.head;
        const arg = lane.args[h];
        const next = (h + 1) & lane.mask;
        lane.head = next;
        this.laneEvents--;
        if (--lane.length === 0) this.deactivate(lane);
        else {
          lane.headTime = lane.times[next];
          lane.headKey = lane.keys[next];
        }
        this.now = t;
        this.arg = arg;
        this.processed++;
        this.handlers[lane.kind]();
        return true;
      }
    } else if (this.size === 0) return false;
    if (this.times[0] > until) return false;
    this.heapStep();
    return true;
  }

  private deactivate(lane: Lane): void {
    const active = this.active;
    const last = active.pop()!;
    if (last !== lane) {
      active[lane.slot] = last;
      last.slot = lane.slot;
    }
    lane.slot = -1;
  }

  /** Pop the heap's root and run it. */
  private heapStep(): void {
    const times = this.times;
    const keys = this.keys;
    const kinds = this.kinds;
    const args = this.args;
    const t = times[0];
    const kind = kinds[0];
    const arg = args[0];
    // Pop: move the last element to the root and sift down.
    const n = --this.size;
    if (n > 0) {
      const lt = times[n];
      const lk = keys[n];
      const lkind = kinds[n];
      const larg = args[n];
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        const r = c + 1;
        if (r < n && (times[r] < times[c] || (times[r] === times[c] && keys[r] < keys[c]))) c = r;
        const ct = times[c];
        if (lt < ct || (lt === ct && lk < keys[c])) break;
        times[i] = ct;
        keys[i] = keys[c];
        kinds[i] = kinds[c];
        args[i] = args[c];
        i = c;
      }
      times[i] = lt;
      keys[i] = lk;
      kinds[i] = lkind;
      args[i] = larg;
    }
    this.now = t;
    this.arg = arg;
    this.processed++;
    this.handlers[kind]();
  }

  /**
   * Run until nothing is pending, `until` is reached (events at exactly `until` are executed),
   * stop() is called, or `maxSteps` events were executed. Returns the number of events executed.
   */
  run(until = Infinity, maxSteps = Infinity): number {
    const start = this.processed;
    const stopAt = start + maxSteps;
    this.stopped = false;
    while (!this.stopped) {
      // A step budget lets callers bound a run whose events do not advance time (e.g. a
      // sub-nanosecond period): run() returns with the budget spent and the clock short of `until`.
      if (this.processed >= stopAt) {
        if (this.peek() <= until) return this.processed - start;
        break;
      }
      if (!this.stepUntil(until)) break;
    }
    if (!this.stopped && until !== Infinity && this.now < until) this.now = until;
    return this.processed - start;
  }

  /** Ask run() to return after the current event. */
  stop(): void {
    this.stopped = true;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const t = new Float64Array(cap);
    t.set(this.times);
    this.times = t;
    const k = new Float64Array(cap);
    k.set(this.keys);
    this.keys = k;
    const kd = new Int32Array(cap);
    kd.set(this.kinds);
    this.kinds = kd;
    const a = new Float64Array(cap);
    a.set(this.args);
    this.args = a;
  }
}
