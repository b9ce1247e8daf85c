// What happened to every message, from the apps' reports on the results queue: produced, received
// (by which pod), finished; redeliveries, duplicates, abandoned deliveries. Times are scenario seconds.
import { LatencyRecorder } from "../sim/model/latency.js";
import { latencyBucket, type MessageEventRecord } from "../sim/trace.js";
import type { ResultEvent } from "./apps/common.js";

interface Msg {
  producedAt: number;
  produced: boolean;
  receives: number;
  finishes: number;
  holder: string | null;
}

export class Ledger {
  private msgs = new Map<number, Msg>();
  /** pod name → ids it is working on. */
  private holds = new Map<string, Set<number>>();
  produced = 0;
  completed = 0;
  deadLettered = 0;
  redelivered = 0;
  duplicates = 0;
  abandoned = 0;
  firstArrivalAt = -1;
  lastDepartureAt = -1;
  readonly sojourn = new LatencyRecorder();
  readonly wait = new LatencyRecorder();
  readonly service = new LatencyRecorder();
  private sampleLat = new Map<number, number>();

  constructor(
    /** Epoch ms → scenario seconds. */
    private scen: (epochMs: number) => number,
    private emit: (r: MessageEventRecord) => void,
    /** Is this pod still alive (not Gone)? */
    private podAlive: (pod: string) => boolean,
  ) {}

  private msg(id: number, producedAtMs: number): Msg {
    let m = this.msgs.get(id);
    if (!m) {
      m = { producedAt: this.scen(producedAtMs), produced: false, receives: 0, finishes: 0, holder: null };
      this.msgs.set(id, m);
    }
    return m;
  }

  get inFlight(): number {
    let n = 0;
    for (const s of this.holds.values()) n += s.size;
    return n;
  }

  get busyPods(): number {
    let n = 0;
    for (const s of this.holds.values()) if (s.size > 0) n++;
    return n;
  }

  /** Messages produced and not yet completed or parked. */
  get live(): number {
    return this.produced - this.completed - this.deadLettered;
  }

  private release(pod: string, id: number): void {
    this.holds.get(pod)?.delete(id);
  }

  onEvent(ev: ResultEvent): void {
    switch (ev.event) {
      case "produced": {
        const m = this.msg(ev.id, ev.t);
        if (m.produced) return;
        m.produced = true;
        this.produced++;
        if (this.firstArrivalAt < 0 || m.producedAt < this.firstArrivalAt) this.firstArrivalAt = m.producedAt;
        return;
      }
      case "received": {
        const m = this.msg(ev.id, ev.producedAt);
        const t = this.scen(ev.t);
        m.receives++;
        if (m.receives > 1) {
          this.redelivered++;
          this.emit({ type: "message", t, event: "redelivered", id: ev.id, pod: ev.pod });
        }
        if (m.holder && m.holder !== ev.pod) this.release(m.holder, ev.id);
        if (!this.podAlive(ev.pod)) {
          // Its pod was already killed when the report arrived: the delivery is void (requeued).
          this.abandoned++;
          this.emit({ type: "message", t, event: "abandoned", id: ev.id, pod: ev.pod, reason: "pod gone" });
          m.holder = null;
          return;
        }
        m.holder = ev.pod;
        let h = this.holds.get(ev.pod);
        if (!h) this.holds.set(ev.pod, (h = new Set()));
        h.add(ev.id);
        return;
      }
      case "finished": {
        const m = this.msg(ev.id, ev.producedAt);
        const t = this.scen(ev.t);
        m.finishes++;
        if (m.holder === ev.pod) m.holder = null;
        this.release(ev.pod, ev.id);
        if (m.finishes > 1) {
          this.duplicates++;
          this.emit({ type: "message", t, event: "duplicate", id: ev.id, pod: ev.pod, reason: "processed again after a redelivery" });
          return;
        }
        this.completed++;
        const soj = t - m.producedAt;
        const svc = t - this.scen(ev.startedAt);
        this.sojourn.add(soj);
        this.service.add(svc);
        this.wait.add(soj - svc);
        const b = latencyBucket(soj);
        this.sampleLat.set(b, (this.sampleLat.get(b) ?? 0) + 1);
        if (t > this.lastDepartureAt) this.lastDepartureAt = t;
        return;
      }
      case "parked": {
        this.deadLettered++;
        const t = this.scen(ev.t);
        if (t > this.lastDepartureAt) this.lastDepartureAt = t;
        this.emit({ type: "message", t, event: "dead-lettered", id: -1, pod: ev.pod, reason: `parked by the consumer: ${ev.reason}` });
        return;
      }
    }
  }

  /** A pod is gone: whatever it held goes back to the queue (RabbitMQ requeues unacked deliveries). */
  podGone(pod: string, t: number, reason: string): void {
    const h = this.holds.get(pod);
    if (!h) return;
    for (const id of h) {
      this.abandoned++;
      const m = this.msgs.get(id);
      if (m && m.holder === pod) m.holder = null;
      this.emit({ type: "message", t, event: "abandoned", id, pod, reason });
    }
    this.holds.delete(pod);
  }

  /** Latency histogram of the completions since the last call. */
  takeSampleLatency(): Array<[number, number]> | undefined {
    if (this.sampleLat.size === 0) return undefined;
    const lat = [...this.sampleLat.entries()].sort((a, b) => a[0] - b[0]);
    this.sampleLat.clear();
    return lat;
  }

  /** Ids produced but never finished (for the end-of-run check). */
  unfinished(): number[] {
    const out: number[] = [];
    for (const [id, m] of this.msgs) if (m.produced && m.finishes === 0) out.push(id);
    return out.sort((a, b) => a - b);
  }
}
