// Local scaler: KEDA's poll loop and the HPA's sync loop on wall-clock timers (every period × k),
// reading the live queue the way the scenario's rabbitmq trigger does and deciding with the
// simulator's Autoscaler (real/decide.ts): the same loop times, decisions and trace records.
// Decisions go to the replica manager.
import type { Scenario } from "../sim/scenario/load.js";
import type { Actor, TraceRecord } from "../sim/trace.js";
import type { QueueSnapshot, Trigger } from "../sim/triggers/types.js";
import type { Broker } from "./broker.js";
import { ScalingDecisions } from "./decide.js";
import type { ReplicaManager } from "./replicas.js";

export type ReadMode = "amqp" | "http";

/**
 * How a trigger reads the queue. rabbitmq: `protocol` "amqp" = AMQP passive declare (ready only,
 * live) or "http" = management API (sampled). What it counts (ready vs ready+unacked) is decided by
 * the trigger's own read(); we only choose the source.
 */
export function readModeOf(trig: Trigger): ReadMode {
  const p = (trig as Trigger & { protocol?: string }).protocol;
  if (p === "http" || p === "amqp") return p;
  return /management API/.test(trig.description) ? "http" : "amqp";
}

/** Live counts the harness knows itself (for AMQP mode, which only sees ready messages anyway). */
export interface LiveCounts {
  inFlight: number;
}

export class QueueReader {
  constructor(
    private broker: Broker,
    private queue: string,
    private timeScale: number,
    private live: () => LiveCounts,
  ) {}

  async snapshot(mode: ReadMode): Promise<QueueSnapshot> {
    if (mode === "http") {
      const m = await this.broker.mgmtQueue(this.queue);
      // Rates: the management API reports msgs per wall second; a scenario second is 1/k wall seconds.
      return {
        ready: m.messagesReady,
        inFlight: m.messagesUnacknowledged,
        prefetched: 0,
        publishRate: m.publishRate * this.timeScale,
        deliverRate: m.deliverGetRate * this.timeScale,
      };
    }
    const c = await this.broker.checkQueue(this.queue);
    return { ready: c.messageCount, inFlight: this.live().inFlight, prefetched: 0, publishRate: 0, deliverRate: 0 };
  }
}

export interface ScalerHooks {
  now(): number;
  /** Wall-clock ms (performance.now()) of scenario time t. */
  wallAt(t: number): number;
  emit(r: TraceRecord): void;
  onScale(t: number, actor: Actor, from: number, to: number, reason: string): void;
  progress(line: string): void;
}

export class LocalScaler {
  readonly decisions: ScalingDecisions;
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private modes: ReadMode[];

  constructor(
    s: Scenario,
    private reader: QueueReader,
    private replicas: ReplicaManager,
    private hooks: ScalerHooks,
  ) {
    this.decisions = new ScalingDecisions(s);
    this.modes = s.scaledObject.triggers.map(readModeOf);
  }

  start(): void {
    const a = this.decisions.autoscaler;
    this.at(a.firstPollAt, (t) => this.kedaLoop(t));
    this.at(a.firstSyncAt, (t) => this.hpaLoop(t));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Run fn at scenario time t (wall-clock timer); fn gets the scheduled time. */
  private at(t: number, fn: (scheduled: number) => void): void {
    if (this.stopped) return;
    const delay = Math.max(0, this.hooks.wallAt(t) - performance.now());
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) fn(t);
    }, delay);
    this.timers.add(timer);
  }

  /** KEDA and the HPA never decide at the same moment: decisions run one after the other. */
  private serial(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((e: unknown) => this.hooks.progress(`scaler error: ${e instanceof Error ? e.message : String(e)}`));
  }

  private async readAll(which: boolean[]): Promise<Array<QueueSnapshot | null | undefined>> {
    const cache = new Map<ReadMode, Promise<QueueSnapshot | null>>();
    return Promise.all(
      this.modes.map((mode, i) => {
        if (!which[i]) return undefined;
        let p = cache.get(mode);
        if (!p) {
          p = this.reader.snapshot(mode).catch(() => null);
          cache.set(mode, p);
        }
        return p;
      }),
    );
  }

  private kedaLoop(scheduled: number): void {
    this.at(this.decisions.autoscaler.nextPollAt(scheduled), (t) => this.kedaLoop(t));
    this.serial(async () => {
      const snaps = await this.readAll(this.modes.map(() => true));
      if (this.stopped) return;
      const t = this.hooks.now();
      const d = this.decisions.kedaPoll(t, snaps.map((x) => x ?? null), this.replicas.specReplicas);
      this.hooks.emit(d.record);
      if (d.to !== null) this.hooks.onScale(t, "keda", this.replicas.specReplicas, d.to, d.reason);
    });
  }

  private hpaLoop(scheduled: number): void {
    this.at(this.decisions.autoscaler.nextSyncAt(scheduled), (t) => this.hpaLoop(t));
    this.serial(async () => {
      const t0 = this.hooks.now();
      const snaps = await this.readAll(this.decisions.hpaNeedsRead(t0));
      if (this.stopped) return;
      const t = this.hooks.now();
      const d = this.decisions.hpaSync(t, snaps, {
        specReplicas: this.replicas.specReplicas,
        statusReplicas: this.replicas.nonTerminating,
        readyReplicas: this.replicas.readyCount,
      });
      this.hooks.emit(d.record);
      if (d.to !== null) this.hooks.onScale(t, "hpa", this.replicas.specReplicas, d.to, d.reason);
    });
  }
}
