// The single-queue model: producer(s) → broker queue → consumer pods of one Deployment, scaled by
// one KEDA ScaledObject and the HPA KEDA creates for it. The Deployment (deployment.ts) owns the
// pods' lifecycle, the replica counts, KEDA's poll and the HPA's sync; this file holds the broker
// (Service Bus peek-lock, SQS and Azure Storage Queue visibility timeouts on the same path, RabbitMQ ack/requeue, prefetch), the consumers' broker rules (BrokerRules:
// where a dying pod releases its messages) and the per-message path. Every scaling *decision* is
// the pure functions in ../decisions and ../triggers.
import { EventEmitter } from "eventemitter3";
import { Environment } from "../engine.js";
import { sampler, stream, type Sampler, type Stream } from "../rng.js";
import { hasVisibilityTimeout, locksMessages, type Scenario } from "../scenario/load.js";
import { MessageStore, MsgState, SlotDeque, removeFromRoundRobin } from "./messages.js";
import { LatencyRecorder } from "./latency.js";
import { ArrivalSource } from "./arrivals.js";
import type { ReplicaCounts } from "./replica-counts.js";
import { Deployment, PRIORITY, type BrokerRules, type Change, type Pod as DeploymentPod, type PodSpec } from "./deployment.js";
import { ScaledJobController } from "./scaled-job.js";
import { abandonedRecord, latencyBucket, round6, simHeader, simSummary, type SampleRecord, type Summary, type TraceHeader, type TraceRecord } from "../trace.js";
import { scalingOf, type MetricSource } from "./autoscaler.js";
import type { QueueSnapshot, Trigger } from "../triggers/types.js";
import { readsSampledStats } from "../triggers/rabbitmq.js";

export { SimulationLimitError } from "./limits.js";
import { SimulationLimitError, runInChunks } from "./limits.js";

export interface SimOptions {
  /** Write one "done" record per completed message (off by default: the trace grows with time, not messages). */
  perMessage?: boolean;
  /** Called every ~1 % of simulated time (for progress bars). */
  onProgress?: (fraction: number) => void;
}

/** A consumer pod: the Deployment's pod plus what it holds of the broker's messages. */
interface Pod extends DeploymentPod {
  processing: number; // messages being processed
  bufferedSlots: number[]; // prefetched, not yet processing (slot numbers)
  // Slots being processed, in start order. An array, not a Set: concurrency is small (usually 1), so a
  // scan beats hashing on the per-message path, and iteration order is the same as the Set's was.
  processingSlots: number[];
  unacked: number; // processing + buffered
  inConsumers: boolean;
  phantoms: number; // runs still working on a message whose lock was lost
  phantomEpoch: number;
}

export interface SimResult {
  header: TraceHeader;
  summary: Summary;
  events: number;
}

export class Simulation implements BrokerRules<Pod> {
  // Initial capacities are small (they grow by doubling; slot and event order do not depend on
  // them): a short run, e.g. one property-test case, should not pay for zeroing large buffers.
  readonly env = new Environment(256);
  readonly bus = new EventEmitter<{ record: [TraceRecord]; progress: [number] }>();
  private s: Scenario;
  private opts: SimOptions;

  // broker
  private msgs = new MessageStore(256);
  private ready = new SlotDeque(256);
  private produced = 0;
  private completed = 0;
  private deadLettered = 0;
  private redelivered = 0;
  private duplicates = 0;
  /** Service Bus / SQS / Storage Queue messages locked by a pod that let go of them (killed/crashed): invisible until the lock expires. */
  private orphaned = 0;
  /** Messages with a run still going after their lock was lost: did the work already finish once? */
  private phantomWork = new Map<number, { done: boolean; outstanding: number; departed: boolean }>();
  private phantomRuns = new Map<number, { podUid: number; epoch: number; msgId: number }>();
  private phantomSeq = 0;
  private lost = 0;
  /** Of `ready`, the messages that were delivered before (lapsed or requeued): Redis still has them in the group's pending entries list. */
  private reclaimable = 0;
  private inFlight = 0; // processing
  private buffered = 0; // prefetched, not processing
  private lastDepartureAt = -1;
  private firstArrivalAt = -1;
  private deliveredTotal = 0;

  // pods: the consumer Deployment (lifecycle, replica counts, KEDA and the HPA), or the ScaledJob
  // (its poll and its Jobs, the same pod lifecycle), and its consumers
  readonly dep: Deployment<Pod> | ScaledJobController<Pod>;
  /** A ScaledJob's run: its controller (the same object as dep), and what a Job's pod does ("one": one message, then exit; "drain": until the queue is empty). */
  private readonly jobs: ScaledJobController<Pod> | null;
  private readonly jobConsumer: "one" | "drain";
  private consumers: Pod[] = []; // Ready, not terminating: can receive deliveries
  // True after a dispatch scan found no consumer with free capacity; cleared wherever capacity may
  // appear (a pod's unacked drops, a consumer joins or leaves). While set, dispatch() returns at once:
  // at high load every arrival would otherwise rescan all consumers for nothing. Clearing it more
  // often than needed is always safe (it only costs a rescan).
  private consumersFull = false;
  // The Deployment's pods by uid, for lookups on the per-message path (the same array as dep.podByUid).
  private readonly podByUid: Array<Pod | undefined>;
  /** The Deployment's replica counts (dep.counts). */
  private readonly counts: ReplicaCounts;
  private rr = 0;
  private busyPods = 0;

  // RabbitMQ management API statistics (sampled every statsInterval)
  private stats: QueueSnapshot = { ready: 0, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0 };
  private statsPrev = { t: 0, produced: 0, delivered: 0 };
  private rateWindow = { t: 0, produced: 0, delivered: 0 };

  // latency
  private sojourn = new LatencyRecorder();
  private wait = new LatencyRecorder();
  private service = new LatencyRecorder();
  // Sojourn histogram of the completions since the previous sample: counts indexed by bucket, plus
  // the buckets touched (no Map on the per-completion path). Reset by onSample.
  private sampleLatCounts = new Float64Array(0); // grown to the largest bucket seen
  private sampleLatTouched = new Int32Array(256);
  private sampleLatN = 0; // entries used in sampleLatTouched

  // randomness
  private serviceTime: Sampler;
  private arrivalsU: Stream[];

  // kinds
  private K: Record<string, number> = {};
  private arrivals: ArrivalSource[] = [];
  private producersActive = 0;
  private end = Infinity;
  private settledSince = -1;

  // Scenario constants read on the per-message path, copied once (a nested property chain per
  // message showed in the profile).
  private readonly prefetchLimit: number; // RabbitMQ prefetch; Infinity when 0 (unlimited)
  private readonly concurrency: number;
  private readonly maxMessages: number;
  private readonly perMessage: boolean;
  /** Service Bus without lock renewal, or SQS / Storage Queues (never extended): a run longer than the lock loses it (lock-expiry events). */
  private readonly locksLapse: boolean;
  private readonly lockDuration: number;
  /** Service Bus, SQS or Storage Queues: delivered messages are locked (hidden) and dead-lettered after maxDeliveryCount (Storage Queues: never). */
  private readonly peekLock: boolean;
  /** What the trace calls the lock and the delivery count (SQS, Storage Queues: visibility timeout; SQS: ReceiveCount / maxReceiveCount). */
  private readonly lockWord: string;
  private readonly countWords: [string, string];

  constructor(scenario: Scenario, opts: SimOptions = {}) {
    this.s = scenario;
    this.opts = opts;
    const seed = scenario.seed;
    this.serviceTime = sampler(scenario.consumer.processingTime, stream(seed, "service"));
    this.arrivalsU = scenario.producers.map((_, i) => stream(seed, `arrivals-${i}`));
    const c = scenario.consumer;
    /** What the autoscaler's triggers read: the broker's sampled statistics or the live queue. */
    const source: MetricSource = { snapshotFor: (trigger, _i, t) => this.snapshotFor(trigger, t) };
    const sj = scenario.scaledJob;
    this.jobConsumer = sj?.consumer ?? "one";
    // What the pod lifecycle needs (pods.ts PodSpec), for the Deployment's pods or the Jobs' pods.
    const host = { env: this.env, bus: this.bus };
    const pods: Omit<PodSpec, "name"> = {
      schedulingDelay: sampler(c.schedulingDelay, stream(seed, "scheduling")),
      startupDelay: sampler(c.startupDelay, stream(seed, "startup")),
      terminationGracePeriodSeconds: c.terminationGracePeriodSeconds,
      gracefulShutdown: true,
      crashRatePerHour: c.crashRatePerHour,
      crashU: stream(seed, "crash"),
      kills: c.kills,
      crashes: [],
    };
    this.jobs = sj ? new ScaledJobController<Pod>(host, { name: sj.name, ...pods, scaledJob: sj, keda: scenario.keda, source }, this) : null;
    this.dep =
      this.jobs ??
      new Deployment<Pod>(
        host,
        {
          name: c.deploymentName,
          initialReplicas: c.initialReplicas,
          ...pods,
          scaling: { scaledObject: scenario.scaledObject, keda: scenario.keda, hpa: scenario.hpa, scalerErrors: c.scalerErrors, source },
        },
        this,
      );
    this.podByUid = this.dep.podByUid;
    this.counts = this.dep.counts;
    // A Job's pod that takes one message holds one at a time (prefetch 1, concurrency 1).
    const one = sj !== undefined && this.jobConsumer === "one";
    this.prefetchLimit = one ? 1 : scenario.queue.prefetch === 0 ? Infinity : scenario.queue.prefetch;
    this.concurrency = one ? 1 : scenario.consumer.concurrency;
    this.maxMessages = scenario.limits.maxMessages;
    this.perMessage = opts.perMessage === true;
    this.peekLock = locksMessages(scenario.queue.broker);
    this.locksLapse = this.peekLock && scenario.queue.lockRenewal === 0;
    const b = scenario.queue.broker;
    this.lockWord = hasVisibilityTimeout(b) ? "visibility timeout" : b === "redis-streams" ? "processingTimeout" : "lock";
    // (a Storage Queue message is never dead-lettered: its maxDeliveryCount is always Infinity)
    this.countWords = b === "aws-sqs" ? ["ReceiveCount", "maxReceiveCount"] : ["DeliveryCount", "maxDeliveryCount"];
    this.lockDuration = scenario.queue.lockDuration;
    this.registerKinds();
  }

  // ---------------------------------------------------------------- setup
  private registerKinds(): void {
    const e = this.env;
    // The per-message kinds (complete, arrival) read env.now/env.arg themselves: a double passed
    // into a method the optimiser did not inline would be boxed (see engine.ts).
    this.K.complete = e.kind("complete", PRIORITY.complete, () => this.onComplete());
    this.K.lock = e.kind("lock-expiry", PRIORITY.lock, () => this.onLockExpiry(e.arg, e.now));
    this.K.arrival = e.kind("arrival", PRIORITY.arrival, () => this.onArrival());
    this.K.stats = e.kind("stats", PRIORITY.stats, () => this.onStats(e.now));
    this.K.sample = e.kind("sample", PRIORITY.sample, () => this.onSample(e.now));
  }

  // ---------------------------------------------------------------- broker rules of the Deployment's pods
  // (BrokerRules, deployment.ts). Methods, not closures: a short run (one seed of the burst
  // benchmark, one property-test case) should not pay for creating them.

  /** @internal A consumer pod, every field it will ever have (one shape for the optimiser). */
  newPod(uid: number, name: string, t: number): Pod {
    return { uid, name, phase: "Pending", createdAt: t, readyAt: -1, processing: 0, bufferedSlots: [], processingSlots: [], unacked: 0, token: 0, inConsumers: false, phantoms: 0, phantomEpoch: 0 };
  }

  /** @internal A pod became Ready: it is a consumer of the queue. */
  podReady(pod: Pod): void {
    this.consumers.push(pod);
    pod.inConsumers = true;
    this.consumersFull = false;
  }

  /** @internal A pod is no longer Ready: no new deliveries. */
  podUnready(pod: Pod): void {
    this.removeConsumer(pod);
  }

  /** @internal Its process died: what it held goes back (releaseHeld). */
  releasePod(pod: Pod, t: number, why: string): void {
    this.releaseHeld(pod, t, why);
  }

  /** @internal It exits: prefetched messages it never started go back. */
  podExits(pod: Pod, t: number): void {
    if (pod.bufferedSlots.length > 0) this.releaseHeld(pod, t, "pod exited with prefetched messages");
  }

  /** @internal */
  podIdle(pod: Pod): boolean {
    return pod.processing === 0;
  }

  /** @internal A consumer joined or left, or released work: deliver (an idle pod's exit frees nothing). */
  afterPodChange(t: number, what: Change): void {
    if (what !== "exited") this.dispatch();
    if (this.jobs !== null && what === "consumers") this.idleJobPodsExit(t);
  }

  /**
   * A Job's pod that is Ready and holds nothing after a dispatch found the queue empty: its process
   * exits 0 (Succeeded). Every Ready consumer with room would have been given a waiting message.
   */
  private idleJobPodsExit(t: number): void {
    for (const pod of this.consumers.slice()) {
      if (pod.unacked === 0 && pod.phase === "Ready") this.jobs!.podSucceeded(pod, t, this.jobConsumer === "one" ? "no message in the queue; exited 0" : "queue empty; exited 0");
    }
  }

  header(): TraceHeader {
    return simHeader(this.s.name, this.s.seed, scalingOf(this.s.scaledObject, this.s.hpa), {
      broker: this.s.queue.broker,
      prefetch: this.s.queue.prefetch,
      concurrency: this.s.consumer.concurrency,
      kedaPollPhaseS: round6(this.s.keda.pollPhase),
      hpaSyncPhaseS: round6(this.s.hpa.syncPhase),
      phasesDrawnFromSeed: this.s.drawn,
      terminationGracePeriodSeconds: this.s.consumer.terminationGracePeriodSeconds,
      // A ScaledJob's run: "scaling" above holds its triggers, pollingInterval and replica bounds; the
      // HPA and cooldown fields do not apply (no HPA exists for a ScaledJob).
      ...(this.s.scaledJob ? { scaledJob: this.scaledJobNote(this.s.scaledJob) } : {}),
    });
  }

  private scaledJobNote(sj: NonNullable<Scenario["scaledJob"]>): Record<string, unknown> {
    return {
      name: sj.name,
      strategy: sj.scaling.strategy || "default",
      consumer: sj.consumer,
      parallelism: sj.job.parallelism,
      completions: sj.job.completions,
      backoffLimit: sj.job.backoffLimit,
      activeDeadlineSeconds: sj.job.activeDeadlineSeconds,
      restartPolicy: sj.job.restartPolicy,
      hpaAndCooldown: "not applicable (a ScaledJob has no HPA)",
    };
  }


  run(): SimResult {
    const s = this.s;
    const e = this.env;
    const header = this.header();
    // Initial replicas (the Deployment as it was before the ScaledObject): pods already Ready.
    this.dep.start();
    // Producers
    s.producers.forEach((p, i) => this.startProducer(i));
    // Faults, then KEDA's and the HPA's loops
    this.dep.scheduleFaults();
    this.dep.startLoops();
    if (s.queue.broker === "rabbitmq" && s.queue.statsInterval > 0) e.schedule(0, this.K.stats, 0);
    e.schedule(0, this.K.sample, 0);
    this.end = s.duration ?? s.maxDuration;
    runInChunks(e, s, this.opts.onProgress, () => this.settledSince >= 0);
    this.counts.account(e.now);
    return { header, summary: this.summary(), events: e.processed };
  }

  // ---------------------------------------------------------------- trace
  private emit(r: TraceRecord): void {
    this.bus.emit("record", r);
  }

  // ---------------------------------------------------------------- producers
  private startProducer(i: number): void {
    const src = new ArrivalSource(this.s.producers[i], this.arrivalsU[i], this.s.duration, this.s.limits.maxEvents);
    this.arrivals[i] = src;
    if (src.first() !== null) this.scheduleArrival(i);
  }

  /** Schedule producer i's next arrival, at its source's nextArrival (read here: no double crosses the call). */
  private scheduleArrival(i: number): void {
    this.producersActive++;
    this.env.schedule(this.arrivals[i].nextArrival, this.K.arrival, i);
  }

  private onArrival(): void {
    const i = this.env.arg;
    this.producersActive--;
    const src = this.arrivals[i];
    const count = src.fire(); // the arrival this source scheduled for now
    for (let k = 0; k < count; k++) this.produce();
    if (src.nextArrival !== Infinity) this.scheduleArrival(i);
    this.dispatch();
  }

  private produce(): void {
    const t = this.env.now;
    if (this.produced >= this.maxMessages) {
      throw new SimulationLimitError("limits.maxMessages", `stopped at t=${round6(t)} s: more than limits.maxMessages (${this.s.limits.maxMessages}) messages produced`);
    }
    if (this.firstArrivalAt < 0) this.firstArrivalAt = t;
    const slot = this.msgs.alloc(this.produced++);
    this.msgs.arrivedAt[slot] = t;
    this.ready.pushBack(slot);
  }

  // ---------------------------------------------------------------- broker ↔ pods
  /** Deliver ready messages to Ready pods with free prefetch capacity, round-robin (RabbitMQ-like). */
  private dispatch(): void {
    const consumers = this.consumers;
    if (consumers.length === 0 || this.consumersFull) return;
    const limit = this.prefetchLimit;
    const conc = this.concurrency;
    while (this.ready.length > 0) {
      // Find the next consumer with capacity, starting at the round-robin pointer
      // (idx walks (rr + k) % n without a modulo per step).
      let chosen: Pod | null = null;
      const n = consumers.length;
      let idx = this.rr < n ? this.rr : this.rr % n;
      for (let k = 0; k < n; k++) {
        const pod = consumers[idx];
        if (pod.unacked < limit) {
          chosen = pod;
          this.rr = idx + 1 === n ? 0 : idx + 1;
          break;
        }
        if (++idx === n) idx = 0;
      }
      if (chosen === null) {
        this.consumersFull = true;
        return;
      }
      const slot = this.ready.popFront();
      this.deliver(chosen, slot, conc);
    }
  }

  private deliver(pod: Pod, slot: number, conc: number): void {
    const t = this.env.now;
    const m = this.msgs;
    m.deliveries[slot]++;
    m.dseq[slot]++;
    m.holder[slot] = pod.uid;
    m.lastRenewalAt[slot] = t;
    this.deliveredTotal++;
    if (m.deliveries[slot] > 1) {
      this.redelivered++;
      this.reclaimable--; // it was in `ready` after a lapse (Redis: XCLAIMed now)
      this.emit({ type: "message", t, event: "redelivered", id: m.id[slot], pod: pod.name });
    }
    pod.unacked++;
    if (pod.processing < conc) this.startProcessing(pod, slot);
    else {
      m.state[slot] = MsgState.Buffered;
      pod.bufferedSlots.push(slot);
      this.buffered++;
    }
  }

  private startProcessing(pod: Pod, slot: number): void {
    const t = this.env.now;
    const m = this.msgs;
    m.state[slot] = MsgState.Processing;
    m.startedAt[slot] = t;
    pod.processing++;
    pod.processingSlots.push(slot);
    if (pod.processing === 1) this.busyPods++;
    this.inFlight++;
    const d = this.serviceTime();
    const tok = m.token(slot);
    m.endsAt[slot] = t + d;
    this.env.schedule(t + d, this.K.complete, tok);
    // Service Bus: the lock lapses lockDuration after delivery unless the binding renews it; SQS: the
    // message becomes visible again VisibilityTimeout after it was received (Dapr's binding never extends it);
    // Storage Queues alike, with the visibility timeout of the Dequeue (Dapr 1.9: 30 s, never UpdateMessage'd).
    if (this.locksLapse && d > this.lockDuration) {
      this.env.schedule(t + this.lockDuration, this.K.lock, tok);
    }
  }

  private onComplete(): void {
    const tok = this.env.arg;
    const t = this.env.now;
    const m = this.msgs;
    const slot = MessageStore.slotOf(tok);
    if (!m.isCurrent(tok) || m.state[slot] !== MsgState.Processing) {
      // This processing run lost its message (lock expired and it was redelivered): the work
      // is done but the settle call fails — a duplicate.
      return;
    }
    const pod = this.podByUid[m.holder[slot]]!;
    this.finishRun(pod, slot);
    if (this.phantomWork.size > 0) this.departWithPhantoms(m.id[slot], true);
    const arrived = m.arrivedAt[slot];
    const soj = t - arrived;
    const svc = t - m.startedAt[slot];
    const b = latencyBucket(soj);
    this.sojourn.addWithBucket(soj, b);
    this.service.add(svc);
    this.wait.add(soj - svc);
    if (b >= this.sampleLatCounts.length) this.growSampleLatency(b);
    if (this.sampleLatCounts[b]++ === 0) this.touchSampleLatency(b);
    if (this.perMessage) this.emitDone(pod, slot);
    this.completed++;
    this.lastDepartureAt = t;
    m.release(slot);
    this.afterPodFreed(pod);
  }

  // Cold parts of onComplete(), kept out of it so that its hot part stays small enough for the
  // optimiser to inline what it calls (see engine.ts on boxed doubles).
  private growSampleLatency(b: number): void {
    const c = new Float64Array(Math.max(b + 257, this.sampleLatCounts.length * 2));
    c.set(this.sampleLatCounts);
    this.sampleLatCounts = c;
  }

  /** First completion in bucket b since the last sample: remember b for the sample's histogram. */
  private touchSampleLatency(b: number): void {
    if (this.sampleLatN === this.sampleLatTouched.length) {
      const tt = new Int32Array(this.sampleLatN * 2);
      tt.set(this.sampleLatTouched);
      this.sampleLatTouched = tt;
    }
    this.sampleLatTouched[this.sampleLatN++] = b;
  }

  /**
   * The sample's sojourn histogram, [bucket, count] in bucket order, and reset for the next sample.
   * Usually the touched buckets are a dense stretch (a minute of completions of similar latency):
   * then a scan of that stretch of the counts yields them in order without sorting. Sparse: sort.
   */
  private takeSampleLatency(): Array<[number, number]> {
    const n = this.sampleLatN;
    const touched = this.sampleLatTouched;
    const counts = this.sampleLatCounts;
    let lo = touched[0];
    let hi = lo;
    for (let k = 1; k < n; k++) {
      const b = touched[k];
      if (b < lo) lo = b;
      else if (b > hi) hi = b;
    }
    const lat: Array<[number, number]> = new Array(n);
    if (hi - lo < 4 * n + 64) {
      let k = 0;
      for (let b = lo; b <= hi; b++) {
        const c = counts[b];
        if (c !== 0) {
          lat[k++] = [b, c];
          counts[b] = 0;
        }
      }
    } else {
      const sorted = touched.subarray(0, n).sort(); // typed: numeric, no comparator
      for (let k = 0; k < n; k++) {
        const b = sorted[k];
        lat[k] = [b, counts[b]];
        counts[b] = 0;
      }
    }
    this.sampleLatN = 0;
    return lat;
  }

  private emitDone(pod: Pod, slot: number): void {
    const m = this.msgs;
    this.emit({ type: "done", t: this.env.now, id: m.id[slot], arrivedAt: m.arrivedAt[slot], startedAt: m.startedAt[slot], pod: pod.name, deliveries: m.deliveries[slot] });
  }

  /** Common bookkeeping when a processing run ends (completion or abandonment). */
  private finishRun(pod: Pod, slot: number): void {
    pod.processing--;
    // Remove `slot` keeping the order of the others (what Set.delete did); absent: no-op.
    const ps = pod.processingSlots;
    const i = ps.length === 1 ? (ps[0] === slot ? 0 : -1) : ps.indexOf(slot); // concurrency 1: no scan
    if (i >= 0) {
      for (let j = i + 1; j < ps.length; j++) ps[j - 1] = ps[j];
      ps.pop();
    }
    if (pod.processing === 0) this.busyPods--;
    pod.unacked--;
    this.consumersFull = false;
    this.inFlight--;
  }

  private afterPodFreed(pod: Pod): void {
    // Start a buffered message, if any.
    if (pod.bufferedSlots.length > 0 && pod.phase !== "Gone") {
      const next = pod.bufferedSlots.shift()!;
      this.buffered--;
      this.startProcessing(pod, next);
    }
    if (pod.phase === "Terminating" && pod.processing === 0) {
      this.dep.gone(pod, this.env.now, "exited after finishing in-flight work");
    }
    if (this.jobs !== null && pod.phase === "Ready" && pod.unacked === 0) {
      // A Job's pod: one message done and acked, it exits; drain: it exits when nothing is left.
      if (this.jobConsumer === "one") this.jobs.podSucceeded(pod, this.env.now, "processed its message, acked it and exited 0");
      else if (this.ready.length === 0) this.jobs.podSucceeded(pod, this.env.now, "queue empty; exited 0");
    }
    this.dispatch();
  }

  /** Service Bus lock / SQS or Storage Queue visibility timeout expired (no renewal, or its pod died): the message becomes visible again. */
  private onLockExpiry(tok: number, t: number): void {
    const m = this.msgs;
    const slot = MessageStore.slotOf(tok);
    if (!m.isCurrent(tok)) return;
    const st = m.state[slot];
    if (st === MsgState.Processing) {
      // The pod keeps working on it until its run ends (that work is a duplicate: the settle call
      // will fail with MessageLockLost); the broker hands the message to someone else.
      const pod = this.podByUid[m.holder[slot]]!;
      const endsAt = m.endsAt[slot];
      this.finishRun(pod, slot);
      this.emit(abandonedRecord(t, m.id[slot], pod.name, `${this.lockWord} expired while processing`, m.startedAt[slot]));
      const msgId = m.id[slot];
      this.requeueOrDeadLetter(slot, t, `${this.lockWord} expired`);
      this.occupyPhantom(pod, endsAt, msgId);
      this.dispatch();
    } else if (st === MsgState.Orphaned) {
      this.orphaned--;
      this.requeueOrDeadLetter(slot, t, `${this.lockWord} expired after its pod let go of it`);
      this.dispatch();
    }
  }

  private phantomKind = -1;
  /** Keep a pod busy until `endsAt` with a run whose message was taken away (lock expiry). */
  private occupyPhantom(pod: Pod, endsAt: number, msgId: number): void {
    if (this.phantomKind < 0) {
      this.phantomKind = this.env.kind("phantom-end", PRIORITY.complete, () => {
        const seq = this.env.arg;
        const run = this.phantomRuns.get(seq)!;
        this.phantomRuns.delete(seq);
        const w = this.phantomWork.get(run.msgId)!;
        w.outstanding--;
        const p = this.podByUid[run.podUid];
        const alive = p !== undefined && p.phase !== "Gone" && p.phantomEpoch === run.epoch;
        if (alive) {
          // The work of this run finished (its settle call fails: MessageLockLost). If the work had
          // already finished once for this message, this is a duplicate.
          if (w.done) this.duplicates++;
          else w.done = true;
        }
        if (w.outstanding === 0 && w.departed) this.phantomWork.delete(run.msgId);
        if (!alive) return;
        p.phantoms--;
        p.processing--;
        if (p.processing === 0) this.busyPods--;
        p.unacked--;
        this.consumersFull = false;
        this.afterPodFreed(p);
      });
    }
    const w = this.phantomWork.get(msgId) ?? { done: false, outstanding: 0, departed: false };
    w.outstanding++;
    this.phantomWork.set(msgId, w);
    const seq = this.phantomSeq++;
    this.phantomRuns.set(seq, { podUid: pod.uid, epoch: pod.phantomEpoch, msgId });
    pod.phantoms++;
    pod.processing++;
    if (pod.processing === 1) this.busyPods++;
    pod.unacked++;
    this.env.schedule(endsAt, this.phantomKind, seq);
  }

  /** A message that had lost-lock runs leaves the system (completed or dead-lettered). */
  private departWithPhantoms(msgId: number, completed: boolean): void {
    const w = this.phantomWork.get(msgId);
    if (!w) return;
    if (completed && w.done) this.duplicates++; // its work had already finished in a lost-lock run
    w.departed = true;
    if (w.outstanding === 0) this.phantomWork.delete(msgId);
  }

  private requeueOrDeadLetter(slot: number, t: number, why: string): void {
    const m = this.msgs;
    m.holder[slot] = -1;
    m.dseq[slot]++;
    if (this.peekLock && m.deliveries[slot] >= this.s.queue.maxDeliveryCount) {
      this.deadLettered++;
      if (this.phantomWork.size > 0) this.departWithPhantoms(m.id[slot], false);
      this.lastDepartureAt = t;
      this.emit({ type: "message", t, event: "dead-lettered", id: m.id[slot], reason: `${why}; ${this.countWords[0]} ${m.deliveries[slot]} reached ${this.countWords[1]}` });
      m.release(slot);
      return;
    }
    m.state[slot] = MsgState.Ready;
    this.reclaimable++;
    // RabbitMQ puts a requeued message back at its original position when it can (the head, here);
    // an expired Service Bus lock makes the message visible again — it is the oldest, so also the head.
    this.ready.pushFront(slot);
  }

  /**
   * A pod stops holding its messages (killed, crashed, or exited with buffered messages).
   * RabbitMQ requeues every unacked delivery when the connection drops; Service Bus messages stay
   * locked until lockDuration after the last renewal, SQS and Storage Queue messages invisible until the visibility timeout after receipt.
   */
  private releaseHeld(pod: Pod, t: number, why: string): void {
    const m = this.msgs;
    const slots = [...pod.processingSlots, ...pod.bufferedSlots];
    const running = pod.processingSlots.length; // slots[0, running) were being processed
    for (const slot of pod.processingSlots) {
      this.inFlight--;
      m.state[slot] = MsgState.Orphaned;
    }
    this.buffered -= pod.bufferedSlots.length;
    if (pod.processing > 0) this.busyPods--;
    pod.processing = 0;
    pod.unacked = 0;
    this.consumersFull = false;
    pod.phantoms = 0;
    pod.phantomEpoch++;
    pod.processingSlots.length = 0;
    pod.bufferedSlots = [];
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k];
      this.emit(abandonedRecord(t, m.id[slot], pod.name, why, k < running ? m.startedAt[slot] : undefined));
      if (this.s.queue.broker === "rabbitmq") {
        this.requeueOrDeadLetter(slot, t, why);
      } else {
        m.state[slot] = MsgState.Orphaned;
        this.orphaned++;
        m.holder[slot] = -1;
        const renew = this.s.queue.lockRenewal;
        const delivered = m.lastRenewalAt[slot];
        const lastRenewal = renew > 0 ? delivered + Math.floor((t - delivered) / renew) * renew : delivered;
        const expiry = Math.max(t, lastRenewal + this.s.queue.lockDuration);
        m.dseq[slot]++;
        this.env.schedule(expiry, this.K.lock, m.token(slot));
      }
    }
  }

  // ---------------------------------------------------------------- consumers
  private removeConsumer(pod: Pod): void {
    if (!pod.inConsumers) return;
    this.consumersFull = false;
    this.rr = removeFromRoundRobin(this.consumers, this.rr, pod);
    pod.inConsumers = false;
  }

  // ---------------------------------------------------------------- metrics
  private liveSnapshot(t: number): QueueSnapshot {
    const w = Math.max(1e-9, t - this.rateWindow.t);
    return {
      ready: this.ready.length,
      inFlight: this.inFlight + this.orphaned, // orphaned Service Bus locks still count as active (SQS: not visible; Storage Queues: in ApproximateMessagesCount)
      prefetched: this.buffered,
      delayed: 0, // producers send without DelaySeconds (not modelled)
      // Redis Streams: XLEN = entries ever XADDed (XACK never deletes), capped by maxLenApprox's trim.
      streamLength: Math.min(this.produced, this.s.queue.maxStreamLength ?? Infinity),
      reclaimable: this.reclaimable,
      publishRate: t > this.rateWindow.t ? (this.produced - this.rateWindow.produced) / w : 0,
      deliverRate: t > this.rateWindow.t ? (this.deliveredTotal - this.rateWindow.delivered) / w : 0,
    };
  }

  private onStats(t: number): void {
    // The management plugin samples queue stats every collect_statistics_interval (5 s);
    // KEDA's HTTP mode reads these, not live values.
    const dt = t - this.statsPrev.t;
    this.stats = {
      ready: this.ready.length,
      inFlight: this.inFlight + this.orphaned,
      prefetched: this.buffered,
      publishRate: dt > 0 ? (this.produced - this.statsPrev.produced) / dt : 0,
      deliverRate: dt > 0 ? (this.deliveredTotal - this.statsPrev.delivered) / dt : 0,
    };
    this.statsPrev = { t, produced: this.produced, delivered: this.deliveredTotal };
    if (!this.isSettled()) this.env.schedule(t + this.s.queue.statsInterval, this.K.stats, 0);
    else this.statsIdle = true;
  }
  private statsIdle = false;

  private snapshotFor(trigger: Trigger, t: number): QueueSnapshot {
    return readsSampledStats(trigger, this.s.queue) ? this.stats : this.liveSnapshot(t);
  }

  /** The number the first trigger would read now (for samples and charts). */
  private currentMetric(t: number): number {
    const trig = this.s.scaledObject.triggers[0];
    return trig.read(this.snapshotFor(trig, t)).value;
  }

  // ---------------------------------------------------------------- samples & end
  private producersDone(): boolean {
    return this.producersActive === 0;
  }

  private isSettled(): boolean {
    return this.producersDone() && this.msgs.live === 0 && this.dep.atRest();
  }

  private onSample(t: number): void {
    this.counts.account(t);
    const lat = this.sampleLatN > 0 ? this.takeSampleLatency() : undefined;
    const rec: SampleRecord = {
      type: "sample",
      t,
      metric: this.currentMetric(t),
      queued: this.ready.length,
      inFlight: this.inFlight + this.buffered + this.orphaned,
      produced: this.produced,
      completed: this.completed,
      deadLettered: this.deadLettered,
      redelivered: this.redelivered,
      lost: this.lost,
      desired: this.dep.specReplicas,
      current: this.counts.nonTerminating,
      ready: this.counts.readyCount,
      terminating: this.counts.terminatingCount,
      busy: this.busyPods,
    };
    // Appended last, as the former `...(lat ? { lat } : {})` did (same JSON key order), without an
    // object spread per sample.
    if (lat) rec.lat = lat;
    this.emit(rec);
    // Rates for MessageRate triggers in live mode: a trailing window of one polling interval.
    if (t - this.rateWindow.t >= this.s.scaledObject.pollingInterval) {
      this.rateWindow = { t, produced: this.produced, delivered: this.deliveredTotal };
    }
    if (this.s.duration === null) {
      if (this.isSettled()) {
        if (this.settledSince < 0) this.settledSince = t;
        // Keep one more polling interval of samples so the chart shows the quiet end.
        if (t - this.settledSince >= this.s.scaledObject.pollingInterval) {
          this.env.stop();
          return;
        }
      } else this.settledSince = -1;
    }
    if (this.statsIdle && !this.isSettled()) {
      this.statsIdle = false;
      this.env.schedule(t, this.K.stats, 0);
    }
    const next = t + this.s.sampleInterval;
    if (next <= this.end) this.env.schedule(next, this.K.sample, 0);
  }

  summary(): Summary {
    const soj = this.sojourn.stats();
    return simSummary(this.s.name, this.s.seed, this.env.now, {
      messages: {
        produced: this.produced,
        completed: this.completed,
        deadLettered: this.deadLettered,
        redelivered: this.redelivered,
        lost: this.lost,
        duplicates: this.duplicates,
      },
      drainTimeS: this.firstArrivalAt >= 0 && this.lastDepartureAt >= 0 ? round6(this.lastDepartureAt - this.firstArrivalAt) : null,
      latencyS: { ...soj, wait: this.wait.stats(), service: this.service.stats() },
      replicas: { peak: this.dep.peak, replicaSeconds: round6(this.counts.replicaSeconds), readyReplicaSeconds: round6(this.counts.readyReplicaSeconds) },
      firstReplicaReadyS: this.counts.firstReadyAt === null ? null : round6(this.counts.firstReadyAt),
      scaleEvents: this.dep.scaleEvents,
      notes: {
        events: this.env.processed,
        hpaSyncs: this.dep.autoscaler?.hpaSyncs ?? 0,
        stillInSystem: this.msgs.live,
        endedBy: this.s.duration !== null ? "duration" : this.settledSince >= 0 ? "settled" : "maxDurationSeconds",
      },
    });
  }
}
