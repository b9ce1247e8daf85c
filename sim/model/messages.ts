import { SimulationLimitError } from "./limits.js";

// Message storage for the broker model. Memory grows with the number of messages *in the system*
// (waiting or in flight), never with the number produced: slots are recycled through a free list,
// and fields live in typed arrays (no object per message).

export class MessageStore {
  capacity: number;
  id: Float64Array; // global message number (0, 1, 2, ... in production order)
  arrivedAt: Float64Array;
  startedAt: Float64Array; // start of the current processing run
  endsAt: Float64Array; // scheduled end of the current processing run
  lastRenewalAt: Float64Array; // Service Bus lock: delivery or last renewal
  deliveries: Int32Array; // Service Bus DeliveryCount / RabbitMQ deliveries
  dseq: Int32Array; // bumps on every delivery: stale scheduled events are recognised by it
  holder: Int32Array; // pod uid holding the message, -1 when none
  state: Uint8Array; // see MsgState
  private free: Int32Array;
  private freeTop = 0;
  private used = 0;
  live = 0;

  constructor(initial = 1024) {
    this.capacity = initial;
    this.id = new Float64Array(initial);
    this.arrivedAt = new Float64Array(initial);
    this.startedAt = new Float64Array(initial);
    this.endsAt = new Float64Array(initial);
    this.lastRenewalAt = new Float64Array(initial);
    this.deliveries = new Int32Array(initial);
    this.dseq = new Int32Array(initial);
    this.holder = new Int32Array(initial);
    this.state = new Uint8Array(initial);
    this.free = new Int32Array(initial);
  }

  /** A slot for message `id`, arrived now; the caller sets arrivedAt[slot] (no double crosses this call). */
  alloc(id: number): number {
    let slot: number;
    if (this.freeTop > 0) slot = this.free[--this.freeTop];
    else {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    this.id[slot] = id;
    this.startedAt[slot] = -1;
    this.lastRenewalAt[slot] = -1;
    this.deliveries[slot] = 0;
    this.holder[slot] = -1;
    this.state[slot] = MsgState.Ready;
    this.live++;
    return slot;
  }

  release(slot: number): void {
    this.state[slot] = MsgState.Free;
    this.dseq[slot]++; // invalidates any pending event for this slot
    this.holder[slot] = -1;
    this.free[this.freeTop++] = slot;
    this.live--;
  }

  /** Token identifying one delivery of one slot (slot < 2^24). */
  token(slot: number): number {
    return this.dseq[slot] * 16777216 + slot;
  }

  // Tokens outgrow int32 after many deliveries of one slot, and `%` on a non-Smi number is a slow
  // fmod call: split with floor/multiply instead (exact for integers < 2^53, same results).
  static slotOf(token: number): number {
    return token - Math.floor(token / 16777216) * 16777216;
  }

  isCurrent(token: number): boolean {
    const q = Math.floor(token / 16777216);
    return q === this.dseq[token - q * 16777216];
  }

  private grow(): void {
    const cap = this.capacity * 2;
    if (cap > 16777216) {
      throw new SimulationLimitError("messages in the system", "more than 16,777,216 messages waiting or in flight at once (the broker model's capacity); the consumers cannot keep up with this arrival rate");
    }
    const g64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const g32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const g8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.id = g64(this.id);
    this.arrivedAt = g64(this.arrivedAt);
    this.startedAt = g64(this.startedAt);
    this.endsAt = g64(this.endsAt);
    this.lastRenewalAt = g64(this.lastRenewalAt);
    this.deliveries = g32(this.deliveries);
    this.dseq = g32(this.dseq);
    this.holder = g32(this.holder);
    this.state = g8(this.state);
    this.free = g32(this.free);
    this.capacity = cap;
  }
}

export const enum MsgState {
  Free = 0,
  Ready = 1, // in the broker, deliverable
  Buffered = 2, // delivered into a pod's prefetch buffer, not being processed
  Processing = 3,
  Orphaned = 4, // holder died; Service Bus: invisible until the lock expires
}

/** Double-ended ring buffer of slot numbers (the broker's FIFO). */
export class SlotDeque {
  private buf: Int32Array;
  private head = 0;
  length = 0;

  constructor(initial = 1024) {
    this.buf = new Int32Array(initial);
  }

  pushBack(x: number): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) & (this.buf.length - 1)] = x;
    this.length++;
  }

  pushFront(x: number): void {
    if (this.length === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = x;
    this.length++;
  }

  popFront(): number {
    const x = this.buf[this.head];
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.length--;
    return x;
  }

  private grow(): void {
    const n = this.buf.length;
    const b = new Int32Array(n * 2);
    for (let i = 0; i < this.length; i++) b[i] = this.buf[(this.head + i) & (n - 1)];
    this.buf = b;
    this.head = 0;
  }
}

/**
 * Remove `consumer` from a broker's round-robin list of consumers whose next turn is at index `rr`;
 * returns the new `rr`: the consumer that had the next turn keeps it (RabbitMQ's round robin over a
 * queue's consumers; both models).
 */
export function removeFromRoundRobin<T>(consumers: T[], rr: number, consumer: T): number {
  const i = consumers.indexOf(consumer);
  if (i < 0) return rr;
  consumers.splice(i, 1);
  if (rr > i) rr--;
  return rr >= consumers.length ? 0 : rr;
}
