// The topology model: producers and tracking sources → channels (work queues, topics with subscriptions,
// partitioned logs) → stages (apps), each a Deployment with fixed replicas or scaled by its own ScaledObject
// and the HPA KEDA creates for it. Stages may forward what they processed to further channels and confirm
// chunks to a source.
//
// Each stage is a Deployment (../model/deployment.ts, as the single-queue model's): its pods' lifecycle
// (pending/starting/ready/terminating/gone, kills and crashes), the ReplicaSet's deletion order, its KEDA poll
// and HPA sync, with the same event priorities; every decision is the pure functions of ../decisions and
// ../triggers. This file holds the stages' broker rules (BrokerRules) and the per-message path.
//
// Broker semantics (see schema.ts for the user-facing summary):
// - rabbitmq queue (Dapr bindings/pubsub.rabbitmq, dapr-local.md §3.4): round-robin delivery to consumers
//   with free prefetch; ack after the handler; a consumer's unacked deliveries are requeued at once (at the
//   head) when its connection drops. Fanout exchange per topic, one queue per subscription.
// - nats-core queue group (at-most-once; nats-server delivers each message to one random member of the
//   queue group, no persistence): a message goes at once to a random subscriber that is listening, or is
//   dropped when none is; whatever a crashed subscriber held is lost.
// - jetstream (pubsub.jetstream, §3.4): messages persist in the stream; the durable consumer delivers to a
//   random free member within maxAckPending; ack after the handler; a delivery not acked within ackWait
//   is redelivered — also while the first receiver is still working on it (that run then finishes a
//   duplicate).
// - log (Kafka, bindings.kafka §3.2; sarama consumer group): producers pick a partition; each group assigns
//   partitions to its live members (range strategy: members in join order, contiguous ranges), one sequential
//   loop per assigned partition, so at most one message per partition is in process and replicas beyond the
//   partition count are idle. Offsets are marked after a successful handler call and committed every
//   autoCommitInterval (sarama default 1 s) and when a member leaves; a crashed member's partitions stall
//   until its session times out, then the group rebalances (eager: every member stops, in-flight handlers
//   finish, rebalanceDelay) and the new owner resumes from the committed offset (at-least-once: what was
//   processed after the last commit is processed again — a duplicate). A group without committed offset
//   starts at the newest offset (Dapr initialOffset default), skipping what was produced before.
//   Handler errors: skipped (offset marked anyway) unless consumeRetryEnabled, which retries every
//   consumeRetryInterval and blocks the partition.
import { EventEmitter } from "eventemitter3";
import { Environment } from "../engine.js";
import { sampler, stream, type Sampler, type Stream, type Uniform } from "../rng.js";
import { ArrivalSource } from "../model/arrivals.js";
import { LatencyRecorder } from "../model/latency.js";
import { removeFromRoundRobin } from "../model/messages.js";
import { SimulationLimitError, runInChunks } from "../model/limits.js";
import { Deployment, PRIORITY, type BrokerRules, type Change, type Pod as DeploymentPod } from "../model/deployment.js";
import { abandonedRecord, latencyBucket, round6, simHeader, simSummary, type SampleRecord, type StageSummary, type Summary, type TraceHeader, type TraceRecord, type TraceStage } from "../trace.js";
import { scalingOf, type MetricSource } from "../model/autoscaler.js";
import { readsSampledStats } from "../triggers/rabbitmq.js";
import { HPA_CONTROLLER_DEFAULTS } from "../decisions/hpa.js";
import { KEDA_DEFAULTS } from "../decisions/keda.js";
import type { KafkaSettings } from "../triggers/kafka.js";
import type { QueueSnapshot, Trigger } from "../triggers/types.js";
import type { ChannelSpec, InboxSpec, LogConsumeSpec, SourceSpec, StageSpec, TopologyScenario } from "./load.js";
import { RESERVED_STAGE_NAME } from "./schema.js";

const TOK = 1048576; // 2^20

const enum CS {
  Ready = 0,
  Buffered = 1,
  Processing = 2,
  Done = 3,
  Orphaned = 4, // held by a pod that died; JetStream: waits for ack-wait expiry
}

/** One message in one queue, or one log entry being processed. */
interface Copy {
  uid: number;
  pid: number; // payload identity (same across queues, resends and redeliveries)
  enqueuedAt: number;
  deliveries: number;
  dseq: number; // bumps on every delivery/requeue: stale ack-wait events are recognised by it
  run: number; // bumps on every processing start/abort: stale completions are recognised by it
  state: CS;
  holder: Pod | null;
  heldBy: Stage | null; // stage whose unacked count includes this copy
  inbox: Inbox | null;
  phantom: boolean; // not the message's current delivery any more (redelivered, or settled by another delivery)
  js: JsMsg | null; // JetStream: the deliveries of one stream message share this
  startedAt: number;
  group: Group | null;
  partition: number;
  offset: number;
}

/** One JetStream message with several outstanding deliveries (after ack-wait expiries). */
interface JsMsg {
  acked: boolean;
  current: Copy; // the delivery the server tracks now
}

interface Member {
  id: number;
  pod: Pod;
  state: "alive" | "left" | "dead";
}

/** A stage's pod: the Deployment's pod plus what it holds of the broker's messages or the log. */
interface Pod extends DeploymentPod {
  stage: Stage;
  processing: number; // runs in progress (incl. phantoms; a log pod: one per partition in process)
  running: Copy[];
  buffered: Copy[];
  unacked: number; // running + buffered (the prefetch window)
  inConsumers: boolean;
  member: Member | null;
}

interface Stage {
  i: number;
  spec: StageSpec;
  name: string;
  /** The stage's Deployment: its pods, replica counts, scale events, KEDA and the HPA. */
  dep: Deployment<Pod>;
  busyPods: number;
  peakBusy: number;
  inbox: Inbox | null;
  group: Group | null;
  service: Sampler;
  errU: Uniform;
  received: number;
  completed: number; // acked (queues) / first completions of an offset (logs)
  processed: number; // every finished handler run that produced a result (incl. duplicates)
  redelivered: number;
  lost: number;
  duplicates: number;
  unacked: number; // copies delivered to this stage and not settled (incl. orphaned), excl. phantoms
  done: Uint8Array; // pid → processed at this stage at least once
  soj: LatencyRecorder;
  lat: SampleHist;
  sink: boolean;
  publishTo: ChannelRt[];
  confirmTo: SourceRt | null;
  rebalances: number;
}

interface Inbox {
  i: number;
  spec: InboxSpec;
  ready: Deque<Copy>;
  readyFresh: number; // ready copies never delivered (JetStream num_pending)
  consumers: Pod[];
  rr: number;
  stages: Stage[];
  rng: Uniform;
  enqueued: number;
  acked: number;
  lost: number;
  unacked: number; // delivered, not settled, not phantom (incl. orphaned)
  delivered: number;
  stats: QueueSnapshot;
  statsPrev: { t: number; produced: number; delivered: number };
  rateWindow: { t: number; produced: number; delivered: number };
  statsIdle: boolean;
  pollingInterval: number;
}

interface LogRt {
  spec: Extract<ChannelSpec, { kind: "log" }>;
  pids: Int32Array[]; // per partition: pid at each offset
  latest: number[];
  groups: Group[];
  rr: number;
  rng: Uniform;
  appended: number;
}

interface Group {
  i: number;
  log: LogRt;
  spec: LogConsumeSpec;
  stage: Stage;
  committed: number[]; // -1: none
  marked: number[]; // -1: none
  position: number[]; // next offset to fetch; -1: not assigned yet
  owner: Array<Member | null>;
  inProcess: Array<Copy | null>;
  status: Uint8Array[]; // per partition, per offset: 0 pending, 1 completed, 2 skipped
  deliveries: Int32Array[];
  members: Member[];
  rebalancing: boolean;
  rebalanceStartedAt: number;
  completedUnique: number;
  skipped: number;
  inFlight: number;
}

type ChannelRt = { kind: "queue"; name: string; inbox: Inbox } | { kind: "topic"; name: string; subs: Inbox[] } | { kind: "log"; name: string; log: LogRt };

interface SourceRt {
  i: number;
  spec: SourceSpec;
  target: ChannelRt;
  started: boolean;
  chunkPid: Int32Array; // -1: never sent
  confirmed: Uint8Array;
  sendSeq: Int32Array;
  unconfirmed: number[]; // ordered (the app's packageIds)
  nextNew: number;
  due: number[];
  sent: number;
  resent: number;
  confirmedCount: number;
  duplicateConfirmations: number;
  pumping: boolean;
  rng: Uniform;
}

interface SampleHist {
  counts: Float64Array;
  touched: Int32Array;
  n: number;
}

class Deque<T> {
  private buf: Array<T | undefined>;
  private head = 0;
  length = 0;
  constructor(cap = 64) {
    this.buf = new Array<T | undefined>(cap);
  }
  private grow(): void {
    const nb = new Array<T | undefined>(this.buf.length * 2);
    for (let i = 0; i < this.length; i++) nb[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = nb;
    this.head = 0;
  }
  pushBack(x: T): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) % this.buf.length] = x;
    this.length++;
  }
  pushFront(x: T): void {
    if (this.length === this.buf.length) this.grow();
    this.head = (this.head - 1 + this.buf.length) % this.buf.length;
    this.buf[this.head] = x;
    this.length++;
  }
  /** Remove one element (linear; used when a pending redelivery is settled by an older delivery's ack). */
  remove(x: T): boolean {
    for (let i = 0; i < this.length; i++) {
      const k = (this.head + i) % this.buf.length;
      if (this.buf[k] !== x) continue;
      for (let j = i; j > 0; j--) this.buf[(this.head + j) % this.buf.length] = this.buf[(this.head + j - 1) % this.buf.length];
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) % this.buf.length;
      this.length--;
      return true;
    }
    return false;
  }
  popFront(): T {
    const x = this.buf[this.head] as T;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.length--;
    return x;
  }
}

function newHist(): SampleHist {
  return { counts: new Float64Array(2048), touched: new Int32Array(256), n: 0 };
}

function histAdd(h: SampleHist, b: number): void {
  if (b >= h.counts.length) {
    const c = new Float64Array(Math.max(b + 1, h.counts.length * 2));
    c.set(h.counts);
    h.counts = c;
  }
  if (h.counts[b]++ === 0) {
    if (h.n === h.touched.length) {
      const tt = new Int32Array(h.n * 2);
      tt.set(h.touched);
      h.touched = tt;
    }
    h.touched[h.n++] = b;
  }
}

function histTake(h: SampleHist): Array<[number, number]> | undefined {
  if (h.n === 0) return undefined;
  const touched = h.touched.subarray(0, h.n).sort();
  const out: Array<[number, number]> = [];
  for (let k = 0; k < touched.length; k++) {
    const b = touched[k];
    out.push([b, h.counts[b]]);
    h.counts[b] = 0;
  }
  h.n = 0;
  return out;
}

function growU8(a: Uint8Array, need: number): Uint8Array {
  if (need <= a.length) return a;
  const b = new Uint8Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function growI32(a: Int32Array, need: number): Int32Array {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}


export interface TopologyOptions {
  /** One "done" record per completed message (per stage). */
  perMessage?: boolean;
  onProgress?: (fraction: number) => void;
}

export interface TopologyResult {
  header: TraceHeader;
  summary: Summary;
  events: number;
}

/** Counters of one queue (or subscription) — conservation: enqueued = acked + lost + ready + unacked. */
export interface InboxReport {
  id: string;
  broker: string;
  delivery: string;
  enqueued: number;
  acked: number;
  lost: number;
  ready: number;
  unacked: number;
  delivered: number;
}

/** Counters of one consumer group on a log — appended = completedUnique + skipped + pending. */
export interface GroupReport {
  log: string;
  group: string;
  stage: string;
  partitions: number;
  appended: number;
  completedUnique: number;
  skipped: number;
  pending: number;
  committed: Array<number | null>;
  latest: number[];
}

export interface SourceReport {
  source: string;
  chunks: number;
  sent: number;
  resent: number;
  confirmed: number;
  duplicateConfirmations: number;
}

export class TopologySimulation {
  readonly env = new Environment(4096);
  readonly bus = new EventEmitter<{ record: [TraceRecord] }>();
  private s: TopologyScenario;
  private opts: TopologyOptions;

  private stages: Stage[] = [];
  private inboxes: Inbox[] = [];
  private logs: LogRt[] = [];
  private groups: Group[] = [];
  private channels = new Map<string, ChannelRt>();
  private sources: SourceRt[] = [];

  private copies = new Map<number, Copy>();
  private nextCopyUid = 0;
  private nextMemberId = 0;
  private members = new Map<number, Member>();

  // payloads
  private originAt = new Float64Array(1024);
  private payloads = 0;
  private firstArrivalAt = -1;
  private lastSinkAt = -1;
  private sinkCompletions = 0;
  private e2e = new LatencyRecorder();
  private e2eWait = new LatencyRecorder();
  private e2eService = new LatencyRecorder();
  private e2eHist = newHist();
  private droppedNoQueue = 0;

  // totals
  private peakTotal = 0;

  // producers
  private arrivalsU: Stream[];
  private arrivals: ArrivalSource[] = [];
  private producersActive = 0;

  private K: Record<string, number> = {};
  private end = Infinity;
  private settledSince = -1;
  private maxPolling: number = KEDA_DEFAULTS.pollingInterval;

  constructor(scenario: TopologyScenario, opts: TopologyOptions = {}) {
    this.s = scenario;
    this.opts = opts;
    const seed = scenario.seed;
    this.arrivalsU = scenario.producers.map((_, i) => stream(seed, `arrivals-${i}`));
    // channels
    for (const c of scenario.channels) {
      if (c.kind === "log") {
        const log: LogRt = {
          spec: c,
          pids: Array.from({ length: c.partitions }, () => new Int32Array(64)),
          latest: new Array<number>(c.partitions).fill(0),
          groups: [],
          rr: 0,
          rng: stream(seed, `partitioner:${c.name}`),
          appended: 0,
        };
        this.logs.push(log);
        this.channels.set(c.name, { kind: "log", name: c.name, log });
      } else {
        const mk = (spec: InboxSpec): Inbox => {
          const ib: Inbox = {
            i: this.inboxes.length,
            spec,
            ready: new Deque<Copy>(),
            readyFresh: 0,
            consumers: [],
            rr: 0,
            stages: [],
            rng: stream(seed, `members:${spec.id}`),
            enqueued: 0,
            acked: 0,
            lost: 0,
            unacked: 0,
            delivered: 0,
            stats: { ready: 0, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0 },
            statsPrev: { t: 0, produced: 0, delivered: 0 },
            rateWindow: { t: 0, produced: 0, delivered: 0 },
            statsIdle: false,
            pollingInterval: KEDA_DEFAULTS.pollingInterval,
          };
          this.inboxes.push(ib);
          return ib;
        };
        if (c.kind === "queue") this.channels.set(c.name, { kind: "queue", name: c.name, inbox: mk(c.inbox) });
        else this.channels.set(c.name, { kind: "topic", name: c.name, subs: c.subscriptions.map(mk) });
      }
    }
    // sources
    scenario.sources.forEach((src, i) => {
      this.sources.push({
        i,
        spec: src,
        target: this.channels.get(src.to)!,
        started: false,
        chunkPid: new Int32Array(src.chunks).fill(-1),
        confirmed: new Uint8Array(src.chunks),
        sendSeq: new Int32Array(src.chunks),
        unconfirmed: Array.from({ length: src.chunks }, (_, k) => k),
        nextNew: 0,
        due: [],
        sent: 0,
        resent: 0,
        confirmedCount: 0,
        duplicateConfirmations: 0,
        pumping: false,
        rng: stream(seed, `pick:${src.name}`),
      });
    });
    // stages
    // One pod uid sequence for every stage's Deployment (pod names are <deployment>-<uid>, unique in the run).
    const host = { env: this.env, bus: this.bus, podUids: { next: 0 }, podCreated: () => this.trackPeakTotal() };
    scenario.stages.forEach((sp, i) => {
      const sc = sp.scaling;
      // What the stage's triggers read (its queue or log); `st` is read when KEDA first polls.
      const source: MetricSource = { snapshotFor: (trigger, _i, t) => this.snapshotFor(st, trigger, t) };
      const dep = new Deployment<Pod>(
        host,
        {
          name: sp.deployment,
          stage: sp.name,
          initialReplicas: sp.initialReplicas,
          schedulingDelay: sampler(sp.schedulingDelay, stream(seed, `scheduling:${sp.name}`)),
          startupDelay: sampler(sp.startupDelay, stream(seed, `startup:${sp.name}`)),
          terminationGracePeriodSeconds: sp.terminationGracePeriodSeconds,
          gracefulShutdown: sp.gracefulShutdown,
          crashRatePerHour: sp.crashRatePerHour,
          crashU: stream(seed, `crash:${sp.name}`),
          kills: sp.kills,
          crashes: sp.crashes,
          scaling: sc ? { scaledObject: sc.scaledObject, keda: sc.keda, hpa: sc.hpa, scalerErrors: sp.scalerErrors, source } : null,
        },
        this.brokerRules(() => st),
      );
      const st: Stage = {
        i,
        spec: sp,
        name: sp.name,
        dep,
        busyPods: 0,
        peakBusy: 0,
        inbox: null,
        group: null,
        service: sampler(sp.processingTime, stream(seed, `service:${sp.name}`)),
        errU: stream(seed, `errors:${sp.name}`),
        received: 0,
        completed: 0,
        processed: 0,
        redelivered: 0,
        lost: 0,
        duplicates: 0,
        unacked: 0,
        done: new Uint8Array(1024),
        soj: new LatencyRecorder(),
        lat: newHist(),
        sink: sp.publishes.length === 0,
        publishTo: sp.publishes.map((n) => this.channels.get(n)!),
        confirmTo: sp.confirms === null ? null : this.sources.find((x) => x.spec.name === sp.confirms)!,
        rebalances: 0,
      };
      const c = sp.consumes;
      if (c?.kind === "queue") {
        const ib = this.inboxes.find((x) => x.spec.id === c.inbox)!;
        st.inbox = ib;
        ib.stages.push(st);
        if (sc && ib.stages.length === 1) ib.pollingInterval = sc.scaledObject.pollingInterval;
      } else if (c?.kind === "log") {
        const log = this.logs.find((x) => x.spec.name === c.channel)!;
        const P = log.spec.partitions;
        const g: Group = {
          i: this.groups.length,
          log,
          spec: c,
          stage: st,
          committed: new Array<number>(P).fill(-1),
          marked: new Array<number>(P).fill(-1),
          position: new Array<number>(P).fill(-1),
          owner: new Array<Member | null>(P).fill(null),
          inProcess: new Array<Copy | null>(P).fill(null),
          status: Array.from({ length: P }, () => new Uint8Array(64)),
          deliveries: Array.from({ length: P }, () => new Int32Array(64)),
          members: [],
          rebalancing: false,
          rebalanceStartedAt: 0,
          completedUnique: 0,
          skipped: 0,
          inFlight: 0,
        };
        this.groups.push(g);
        log.groups.push(g);
        st.group = g;
      }
      this.stages.push(st);
    });
    const polls = this.stages.filter((st) => st.spec.scaling).map((st) => st.spec.scaling!.scaledObject.pollingInterval);
    this.maxPolling = polls.length > 0 ? Math.max(...polls) : KEDA_DEFAULTS.pollingInterval;
    this.registerKinds();
  }

  // ---------------------------------------------------------------- setup
  private registerKinds(): void {
    const e = this.env;
    this.K.complete = e.kind("complete", PRIORITY.complete, () => this.onComplete(e.arg, e.now));
    this.K.ackWait = e.kind("ack-wait", PRIORITY.lock, () => this.onAckWait(e.arg, e.now));
    this.K.arrival = e.kind("arrival", PRIORITY.arrival, () => this.onArrival(e.arg, e.now));
    this.K.sourceStart = e.kind("source-start", PRIORITY.arrival, () => this.onSourceStart(e.arg, e.now));
    this.K.resend = e.kind("resend-due", PRIORITY.arrival, () => this.onResendDue(e.arg, e.now));
    this.K.rebalance = e.kind("rebalance", PRIORITY.pod, () => this.tryFinishRebalance(this.groups[e.arg], e.now));
    this.K.session = e.kind("session-expiry", PRIORITY.fault, () => this.onSessionExpiry(e.arg, e.now));
    this.K.stats = e.kind("stats", PRIORITY.stats, () => this.onStats(e.arg, e.now));
    this.K.commit = e.kind("auto-commit", PRIORITY.stats, () => this.onAutoCommit(e.arg, e.now));
    this.K.sample = e.kind("sample", PRIORITY.sample, () => this.onSample(e.now));
  }

  /** What a stage's pods do with its queue or log, for the stage's Deployment (../model/deployment.ts). */
  private brokerRules(stage: () => Stage): BrokerRules<Pod> {
    return {
      newPod: (uid, name, t) => ({
        uid,
        name,
        stage: stage(),
        phase: "Pending",
        createdAt: t,
        readyAt: -1,
        token: 0,
        processing: 0,
        running: [],
        buffered: [],
        unacked: 0,
        inConsumers: false,
        member: null,
      }),
      podReady: (pod, t) => {
        const st = pod.stage;
        if (st.inbox) {
          st.inbox.consumers.push(pod);
          pod.inConsumers = true;
        } else if (st.group) this.joinGroup(pod, t);
      },
      // No new deliveries; a live group member sends LeaveGroup (a dead one was released already).
      podUnready: (pod, t) => {
        this.removeConsumer(pod);
        if (pod.member?.state === "alive") this.leaveGroup(pod, t);
      },
      releasePod: (pod, t, why) => this.releaseHeld(pod, t, why),
      podExits: (pod, t) => {
        if (pod.buffered.length > 0) this.releaseBuffered(pod, t);
        if (pod.member?.state === "alive") this.leaveGroup(pod, t);
      },
      podIdle: (pod) => pod.processing === 0,
      afterPodChange: (t, what) => this.afterLifecycle(stage(), t, what),
    };
  }

  /** After a pod lifecycle change of a stage: deliver to its consumers; a waiting group rebalance may finish. */
  private afterLifecycle(st: Stage, t: number, what: Change): void {
    if (what !== "exited" && st.inbox) this.dispatch(st.inbox, t);
    if (what !== "consumers" && st.group?.rebalancing) this.tryFinishRebalance(st.group, t);
  }

  private describeConsumes(sp: StageSpec): string | null {
    const c = sp.consumes;
    if (!c) return null;
    if (c.kind === "log") {
      const log = this.logs.find((x) => x.spec.name === c.channel)!;
      return `log ${c.channel} (${log.spec.partitions} partition${log.spec.partitions === 1 ? "" : "s"}), group ${c.group}`;
    }
    const ib = this.inboxes.find((x) => x.spec.id === c.inbox)!;
    const kind = this.channels.get(c.channel)!.kind;
    const what = kind === "topic" ? `topic ${c.channel}, subscription queue ${ib.spec.name}` : `queue ${c.channel}`;
    return `${what} (${ib.spec.broker}, ${ib.spec.delivery})`;
  }

  header(): TraceHeader {
    const stages: TraceStage[] = this.stages.map((st) => {
      const out: TraceStage = {
        name: st.name,
        deployment: st.spec.deployment,
        consumes: this.describeConsumes(st.spec),
        publishes: st.spec.publishes,
        scaling: st.spec.scaling ? scalingOf(st.spec.scaling.scaledObject, st.spec.scaling.hpa) : null,
      };
      if (st.group) out.partitions = st.group.log.spec.partitions;
      if (st.spec.confirms !== null) out.confirms = st.spec.confirms;
      const kafka = (st.spec.scaling?.scaledObject.triggers[0] as { kafka?: KafkaSettings } | undefined)?.kafka;
      if (kafka) out.kafka = { lagThreshold: kafka.lagThreshold, allowIdleConsumers: kafka.allowIdleConsumers };
      return out;
    });
    const firstScaled = this.stages.find((st) => st.spec.scaling);
    const fixed = this.stages[0];
    const scaling: TraceHeader["scaling"] = firstScaled
      ? scalingOf(firstScaled.spec.scaling!.scaledObject, firstScaled.spec.scaling!.hpa)
      : {
          minReplicaCount: fixed.spec.initialReplicas,
          maxReplicaCount: fixed.spec.initialReplicas,
          idleReplicaCount: null,
          target: 0,
          targetType: "AverageValue",
          triggerType: "none",
          metricDescription: "fixed replicas (no ScaledObject)",
          pollingInterval: KEDA_DEFAULTS.pollingInterval,
          cooldownPeriod: KEDA_DEFAULTS.cooldownPeriod,
          hpaSyncPeriod: HPA_CONTROLLER_DEFAULTS.syncPeriodSeconds,
          behavior: "legacy",
        };
    const header = simHeader(this.s.name, this.s.seed, scaling, {
      ...(this.s.description ? { description: this.s.description } : {}),
      topology: true,
      scalingDescribesStage: firstScaled ? firstScaled.name : null,
      channels: this.s.channels.map((c) =>
        c.kind === "log"
          ? { name: c.name, kind: c.kind, partitions: c.partitions, partitioner: c.partitioner }
          : c.kind === "queue"
            ? { name: c.name, kind: c.kind, broker: c.inbox.broker, delivery: c.inbox.delivery }
            : { name: c.name, kind: c.kind, subscriptions: c.subscriptions.map((x) => ({ name: x.name, broker: x.broker, delivery: x.delivery })) },
      ),
      sources: this.s.sources.map((x) => ({ name: x.name, to: x.to, objects: x.objects, chunks: x.chunks, chunkSize: x.chunkSize, pacing: x.pacing, resend: x.resend })),
      phases: Object.fromEntries(
        this.stages.filter((st) => st.spec.scaling).map((st) => [st.name, { kedaPollPhaseS: round6(st.spec.scaling!.keda.pollPhase), hpaSyncPhaseS: round6(st.spec.scaling!.hpa.syncPhase), drawnFromSeed: st.spec.scaling!.drawn }]),
      ),
    });
    header.stages = stages;
    return header;
  }

  run(): TopologyResult {
    const s = this.s;
    const e = this.env;
    const header = this.header();
    for (const st of this.stages) st.dep.start();
    // Initial members of a consumer group are assigned at once (the group existed before t = 0).
    for (const g of this.groups) {
      if (g.members.length === 0) continue;
      g.rebalancing = false;
      this.assign(g, 0);
    }
    s.producers.forEach((_, i) => this.startProducer(i));
    this.sources.forEach((src, i) => e.schedule(src.spec.at, this.K.sourceStart, i));
    for (const st of this.stages) st.dep.scheduleFaults();
    for (const st of this.stages) st.dep.startLoops();
    for (const ib of this.inboxes) if (ib.spec.broker === "rabbitmq" && ib.spec.statsInterval > 0 && this.inboxReadByHttp(ib)) e.schedule(0, this.K.stats, ib.i);
    for (const g of this.groups) e.schedule(g.spec.autoCommitInterval, this.K.commit, g.i);
    e.schedule(0, this.K.sample, 0);
    this.end = s.duration ?? s.maxDuration;
    runInChunks(e, s, this.opts.onProgress, () => this.settledSince >= 0);
    for (const st of this.stages) st.dep.counts.account(e.now);
    return { header, summary: this.summary(), events: e.processed };
  }

  private inboxReadByHttp(ib: Inbox): boolean {
    return ib.stages.some((st) => st.spec.scaling?.scaledObject.triggers.some((t) => t.type === "rabbitmq" && t.protocol === "http"));
  }

  private emit(r: TraceRecord): void {
    this.bus.emit("record", r);
  }

  // ---------------------------------------------------------------- producers (ArrivalSource, as in ../model/simulation.ts)
  private startProducer(i: number): void {
    const src = new ArrivalSource(this.s.producers[i].producer, this.arrivalsU[i], this.s.duration, this.s.limits.maxEvents);
    this.arrivals[i] = src;
    if (src.first() !== null) this.scheduleArrival(i);
  }

  /** Schedule producer i's next arrival, at its source's nextArrival. */
  private scheduleArrival(i: number): void {
    this.producersActive++;
    this.env.schedule(this.arrivals[i].nextArrival, this.K.arrival, i);
  }

  private onArrival(i: number, t: number): void {
    this.producersActive--;
    const ch = this.channels.get(this.s.producers[i].to)!;
    const src = this.arrivals[i];
    const count = src.fire(); // the arrival this source scheduled for t
    for (let k = 0; k < count; k++) this.publish(ch, this.newPayload(t), t);
    if (src.nextArrival !== Infinity) this.scheduleArrival(i);
  }

  private newPayload(t: number): number {
    if (this.payloads >= this.s.limits.maxMessages) {
      throw new SimulationLimitError("limits.maxMessages", `stopped at t=${round6(t)} s: more than limits.maxMessages (${this.s.limits.maxMessages}) messages produced`);
    }
    if (this.firstArrivalAt < 0) this.firstArrivalAt = t;
    const pid = this.payloads++;
    if (pid >= this.originAt.length) {
      const a = new Float64Array(this.originAt.length * 2);
      a.set(this.originAt);
      this.originAt = a;
    }
    this.originAt[pid] = t;
    return pid;
  }

  // ---------------------------------------------------------------- sources (seed 003's fetcher)
  private onSourceStart(i: number, t: number): void {
    const src = this.sources[i];
    src.started = true;
    this.pumpSource(src, t);
  }

  /** Is a consumer of the source's queue listening (free to take a chunk right now)? */
  private listening(src: SourceRt): boolean {
    if (src.target.kind !== "queue") return true;
    const ib = src.target.inbox;
    if (ib.ready.length > 0) return false;
    if (ib.spec.maxAckPending > 0 && ib.unacked >= ib.spec.maxAckPending) return false;
    // The seed's mapper answers "im_listening" only while it is free (it unsubscribes while busy).
    for (const pod of ib.consumers) {
      const pf = pod.stage.spec.prefetch;
      if (pod.unacked < (pf === 0 ? 1 : pf)) return true;
    }
    return false;
  }

  private sourceDone(src: SourceRt): boolean {
    if (!src.started) return false;
    if (src.spec.resend.policy === "none") return src.nextNew >= src.spec.chunks;
    return src.confirmedCount >= src.spec.chunks;
  }

  private pumpSource(src: SourceRt, t: number): void {
    if (!src.started || src.pumping) return;
    src.pumping = true;
    try {
      const pol = src.spec.resend.policy;
      if (src.spec.pacing === "immediate") {
        if (src.target.kind === "queue" && src.nextNew === 0 && !this.anyConsumer(src.target.inbox)) return; // waits for a listener first
        while (src.nextNew < src.spec.chunks) this.sendChunk(src, src.nextNew++, t);
        while (src.due.length > 0) {
          const c = src.due.shift()!;
          if (!src.confirmed[c]) this.sendChunk(src, c, t);
        }
        return;
      }
      for (let guard = 0; guard < 10_000_000; guard++) {
        if (!this.listening(src)) return;
        let c = -1;
        if (pol === "random-unconfirmed") {
          if (src.unconfirmed.length === 0) return;
          c = src.unconfirmed[Math.floor(src.rng() * src.unconfirmed.length)];
        } else {
          while (src.due.length > 0 && c < 0) {
            const d = src.due.shift()!;
            if (!src.confirmed[d]) c = d;
          }
          if (c < 0) {
            if (src.nextNew >= src.spec.chunks) return;
            c = src.nextNew++;
          }
        }
        this.sendChunk(src, c, t);
      }
    } finally {
      src.pumping = false;
    }
  }

  private anyConsumer(ib: Inbox): boolean {
    return ib.consumers.length > 0;
  }

  private sendChunk(src: SourceRt, c: number, t: number): void {
    let pid = src.chunkPid[c];
    if (pid < 0) {
      pid = this.newPayload(t);
      src.chunkPid[c] = pid;
      this.pidToChunk.set(pid, c);
      src.sent++;
    } else {
      src.resent++;
      this.emit({ type: "message", t, event: "redelivered", id: pid, stage: src.spec.name, reason: `chunk ${c} resent by ${src.spec.name} (not confirmed)` });
    }
    const seq = ++src.sendSeq[c];
    if (src.spec.resend.policy === "timeout") {
      this.env.schedule(t + src.spec.resend.afterSeconds, this.K.resend, (src.i * 16777216 + c) * 65536 + (seq & 65535));
    }
    this.publish(src.target, pid, t);
  }

  private onResendDue(arg: number, t: number): void {
    const seq = arg % 65536;
    const rest = (arg - seq) / 65536;
    const c = rest % 16777216;
    const src = this.sources[(rest - c) / 16777216];
    if (src.confirmed[c] || (src.sendSeq[c] & 65535) !== seq) return;
    src.due.push(c);
    this.pumpSource(src, t);
  }

  private confirm(src: SourceRt, pid: number): void {
    // chunk of this pid: pids of a source are allocated on first send; find by scan of the small map
    const c = this.chunkOf(src, pid);
    if (c < 0) return;
    if (src.confirmed[c]) {
      src.duplicateConfirmations++;
      return;
    }
    src.confirmed[c] = 1;
    src.confirmedCount++;
    const k = src.unconfirmed.indexOf(c);
    if (k >= 0) src.unconfirmed.splice(k, 1);
  }

  private pidToChunk = new Map<number, number>();
  private chunkOf(src: SourceRt, pid: number): number {
    const c = this.pidToChunk.get(pid);
    return c === undefined || src.chunkPid[c] !== pid ? -1 : c;
  }

  // ---------------------------------------------------------------- channels
  private publish(ch: ChannelRt, pid: number, t: number): void {
    if (ch.kind === "queue") this.enqueue(ch.inbox, pid, t);
    else if (ch.kind === "topic") for (const ib of ch.subs) this.enqueue(ib, pid, t);
    else this.append(ch.log, pid, t);
  }

  private newCopy(pid: number, t: number, inbox: Inbox | null): Copy {
    const c: Copy = {
      uid: this.nextCopyUid++,
      pid,
      enqueuedAt: t,
      deliveries: 0,
      dseq: 0,
      run: 0,
      state: CS.Ready,
      holder: null,
      heldBy: null,
      inbox,
      phantom: false,
      js: null,
      startedAt: -1,
      group: null,
      partition: -1,
      offset: -1,
    };
    this.copies.set(c.uid, c);
    return c;
  }

  private enqueue(ib: Inbox, pid: number, t: number): void {
    ib.enqueued++;
    const copy = this.newCopy(pid, t, ib);
    if (ib.spec.broker === "nats-core") {
      // Core NATS: delivered at once to one random member of the queue group that is listening, else dropped.
      const eligible = ib.consumers.filter((p) => this.hasCapacity(p));
      if (eligible.length === 0) {
        this.loseCopy(copy, t, ib.stages[0] ?? null, "no subscriber listening (core NATS drops it)");
        return;
      }
      const pod = eligible[Math.floor(ib.rng() * eligible.length)];
      this.deliver(pod, copy, t);
      return;
    }
    ib.ready.pushBack(copy);
    ib.readyFresh++;
    this.dispatch(ib, t);
  }

  private hasCapacity(pod: Pod): boolean {
    const pf = pod.stage.spec.prefetch;
    return pf === 0 || pod.unacked < pf;
  }

  /** Deliver ready copies to consumers: round-robin (RabbitMQ) or a random free member (JetStream). */
  private dispatch(ib: Inbox, t: number): void {
    const consumers = ib.consumers;
    if (consumers.length === 0) return;
    while (ib.ready.length > 0) {
      if (ib.spec.maxAckPending > 0 && ib.unacked >= ib.spec.maxAckPending) return;
      let chosen: Pod | null = null;
      if (ib.spec.broker === "jetstream") {
        let n = 0;
        for (const p of consumers) if (this.hasCapacity(p)) n++;
        if (n === 0) return;
        let k = Math.floor(ib.rng() * n);
        for (const p of consumers) {
          if (!this.hasCapacity(p)) continue;
          if (k-- === 0) {
            chosen = p;
            break;
          }
        }
      } else {
        for (let k = 0; k < consumers.length; k++) {
          const idx = (ib.rr + k) % consumers.length;
          const pod = consumers[idx];
          if (this.hasCapacity(pod)) {
            chosen = pod;
            ib.rr = (idx + 1) % consumers.length;
            break;
          }
        }
      }
      if (chosen === null) return;
      const copy = ib.ready.popFront();
      if (copy.deliveries === 0) ib.readyFresh--;
      this.deliver(chosen, copy, t);
    }
    this.afterDispatch(ib, t);
  }

  private afterDispatch(ib: Inbox, t: number): void {
    for (const src of this.sources) if (src.target.kind === "queue" && src.target.inbox === ib && !src.pumping) this.pumpSource(src, t);
  }

  private deliver(pod: Pod, copy: Copy, t: number): void {
    const ib = copy.inbox!;
    const st = pod.stage;
    copy.deliveries++;
    copy.dseq++;
    copy.holder = pod;
    copy.heldBy = st;
    ib.delivered++;
    ib.unacked++;
    st.unacked++;
    if (copy.deliveries === 1) st.received++;
    else {
      st.redelivered++;
      this.emit({ type: "message", t, event: "redelivered", id: copy.pid, pod: pod.name, stage: st.name });
    }
    pod.unacked++;
    if (ib.spec.broker === "jetstream") this.env.schedule(t + ib.spec.ackWait, this.K.ackWait, copy.uid * TOK + (copy.dseq % TOK));
    if (pod.processing < st.spec.concurrency) this.startProcessing(pod, copy, t);
    else {
      copy.state = CS.Buffered;
      pod.buffered.push(copy);
    }
  }

  private startProcessing(pod: Pod, copy: Copy, t: number): void {
    const st = pod.stage;
    copy.state = CS.Processing;
    copy.startedAt = t;
    copy.run++;
    pod.processing++;
    pod.running.push(copy);
    if (pod.processing === 1) {
      st.busyPods++;
      if (st.busyPods > st.peakBusy) st.peakBusy = st.busyPods;
    }
    const d = st.service();
    this.env.schedule(t + d, this.K.complete, copy.uid * TOK + (copy.run % TOK));
  }

  private onComplete(arg: number, t: number): void {
    const run = arg % TOK;
    const copy = this.copies.get((arg - run) / TOK);
    if (!copy || copy.state !== CS.Processing || copy.run % TOK !== run) return;
    const pod = copy.holder!;
    const st = pod.stage;
    if (copy.group) {
      this.onLogComplete(copy, pod, t);
      return;
    }
    const ib = copy.inbox!;
    this.finishRun(pod, copy);
    const failed = st.spec.handlerErrorRate > 0 && st.errU() < st.spec.handlerErrorRate;
    if (copy.phantom) {
      const js = copy.js;
      if (failed) {
        // a failed run of a delivery the server no longer tracks: its nak changes nothing
      } else if (js && !js.acked) {
        // JetStream accepts the ack of an earlier delivery while the message is still pending: it settles the
        // message, and the newer delivery (waiting, or being worked on elsewhere) becomes the duplicate.
        js.acked = true;
        this.retire(js.current);
        ib.acked++;
        st.completed++;
        this.processedAt(st, copy, pod, t, true);
      } else {
        // The message was handed to someone else (ack wait expired) or settled already; the work is done anyway.
        this.processedAt(st, copy, pod, t, false, "finished after the broker had redelivered it (ack wait expired)");
      }
      this.releaseCopy(copy);
      this.afterPodFreed(pod, t);
      return;
    }
    if (failed) {
      // handler failed: nack → requeue (RabbitMQ: at the head; JetStream: Nak, redelivered), or gone (core NATS)
      st.unacked--;
      ib.unacked--;
      this.emit(abandonedRecord(t, copy.pid, pod.name, "handler error", copy.startedAt, st.name));
      if (ib.spec.delivery === "at-most-once") this.loseCopy(copy, t, st, "handler error (at-most-once: not redelivered)");
      else this.requeue(copy, t);
      this.afterPodFreed(pod, t);
      return;
    }
    st.unacked--;
    ib.unacked--;
    ib.acked++;
    st.completed++;
    if (copy.js) copy.js.acked = true;
    this.processedAt(st, copy, pod, t, true);
    this.releaseCopy(copy);
    this.afterPodFreed(pod, t);
  }

  /** A handler run finished with a result: duplicates, latency, forwarding, confirmation. */
  private processedAt(st: Stage, copy: Copy, pod: Pod, t: number, acked: boolean, dupReason = "processed again (already processed at this stage)"): void {
    st.processed++;
    const pid = copy.pid;
    st.done = growU8(st.done, pid + 1);
    const first = st.done[pid] === 0;
    if (first) st.done[pid] = 1;
    else {
      st.duplicates++;
      this.emit({ type: "message", t, event: "duplicate", id: pid, pod: pod.name, stage: st.name, reason: dupReason });
    }
    if (acked) {
      const soj = t - copy.enqueuedAt;
      const b = latencyBucket(soj);
      st.soj.addWithBucket(soj, b);
      histAdd(st.lat, b);
    }
    if (this.opts.perMessage) {
      this.emit({ type: "done", t, id: pid, arrivedAt: copy.enqueuedAt, startedAt: copy.startedAt, pod: pod.name, deliveries: copy.deliveries, stage: st.name });
    }
    if (st.sink && first) {
      const e2e = t - this.originAt[pid];
      const b = latencyBucket(e2e);
      this.e2e.addWithBucket(e2e, b);
      this.e2eService.add(t - copy.startedAt);
      this.e2eWait.add(e2e - (t - copy.startedAt));
      histAdd(this.e2eHist, b);
      this.sinkCompletions++;
      this.lastSinkAt = t;
    }
    for (const ch of st.publishTo) this.publish(ch, pid, t);
    if (st.confirmTo) this.confirm(st.confirmTo, pid);
  }

  private finishRun(pod: Pod, copy: Copy): void {
    pod.processing--;
    const i = pod.running.indexOf(copy);
    if (i >= 0) pod.running.splice(i, 1);
    if (pod.processing === 0) pod.stage.busyPods--;
    pod.unacked--;
  }

  private releaseCopy(copy: Copy): void {
    copy.state = CS.Done;
    copy.holder = null;
    copy.heldBy = null;
    this.copies.delete(copy.uid);
  }

  private afterPodFreed(pod: Pod, t: number): void {
    if (pod.buffered.length > 0 && pod.phase !== "Gone") {
      const next = pod.buffered.shift()!;
      this.startProcessing(pod, next, t);
    }
    if (pod.phase === "Terminating" && pod.processing === 0) pod.stage.dep.gone(pod, t, "exited after finishing in-flight work");
    const ib = pod.stage.inbox;
    if (ib) this.dispatch(ib, t);
  }

  private requeue(copy: Copy, t: number): void {
    const ib = copy.inbox!;
    copy.holder = null;
    copy.heldBy = null;
    copy.dseq++;
    copy.state = CS.Ready;
    // RabbitMQ puts a requeued message back at its original position when it can (the head, here).
    ib.ready.pushFront(copy);
  }

  private loseCopy(copy: Copy, t: number, st: Stage | null, why: string): void {
    const ib = copy.inbox;
    if (ib) ib.lost++;
    if (st) st.lost++;
    else this.droppedNoQueue++;
    this.emit({ type: "message", t, event: "lost", id: copy.pid, ...(copy.holder ? { pod: copy.holder.name } : {}), ...(st ? { stage: st.name } : {}), reason: why });
    this.releaseCopy(copy);
  }

  /** JetStream: a delivery was not acknowledged within ackWait: the server redelivers it. */
  private onAckWait(arg: number, t: number): void {
    const dseq = arg % TOK;
    const copy = this.copies.get((arg - dseq) / TOK);
    if (!copy || copy.dseq % TOK !== dseq || copy.phantom) return;
    const ib = copy.inbox!;
    if (copy.state === CS.Orphaned) {
      ib.unacked--;
      copy.heldBy!.unacked--;
      this.requeue(copy, t);
      this.dispatch(ib, t);
      return;
    }
    if (copy.state !== CS.Processing && copy.state !== CS.Buffered) return;
    // The receiver keeps its copy (it will finish a duplicate); the stream hands a new delivery out.
    const st = copy.heldBy!;
    ib.unacked--;
    st.unacked--;
    copy.phantom = true;
    const why = `ack wait (${ib.spec.ackWait} s) expired while the pod still held it`;
    this.emit(abandonedRecord(t, copy.pid, copy.holder!.name, why, copy.state === CS.Processing ? copy.startedAt : undefined, st.name));
    const again = this.newCopy(copy.pid, copy.enqueuedAt, ib);
    again.deliveries = copy.deliveries;
    again.dseq = copy.dseq + 1;
    if (!copy.js) copy.js = { acked: false, current: copy };
    again.js = copy.js;
    copy.js.current = again;
    ib.ready.pushFront(again);
    this.dispatch(ib, t);
  }

  /** The current delivery of a JetStream message that an older delivery just settled. */
  private retire(c: Copy): void {
    const ib = c.inbox!;
    if (c.phantom || c.state === CS.Done) return;
    if (c.state === CS.Ready) {
      ib.ready.remove(c);
      if (c.deliveries === 0) ib.readyFresh--;
      this.releaseCopy(c);
      return;
    }
    ib.unacked--;
    c.heldBy!.unacked--;
    if (c.state === CS.Orphaned) this.releaseCopy(c);
    else c.phantom = true; // its run finishes a duplicate
  }

  /**
   * A pod stops holding its messages (killed, crashed, or exited at SIGTERM). RabbitMQ requeues every
   * unacked delivery at once; JetStream redelivers after ackWait; core NATS: they are lost. A log member
   * dies: its in-process entries will be fetched again by the partition's next owner.
   */
  private releaseHeld(pod: Pod, t: number, why: string): void {
    const st = pod.stage;
    const held = [...pod.running, ...pod.buffered];
    const running = pod.running.length; // held[0, running) were being processed
    if (pod.processing > 0) st.busyPods--;
    pod.processing = 0;
    pod.unacked = 0;
    pod.running = [];
    pod.buffered = [];
    if (pod.member) this.memberDied(pod, t);
    for (let k = 0; k < held.length; k++) {
      const copy = held[k];
      copy.run++;
      if (copy.group) {
        const g = copy.group;
        g.inProcess[copy.partition] = null;
        g.inFlight--;
        this.emit({ type: "message", t, event: "abandoned", id: copy.pid, pod: pod.name, stage: st.name, reason: `${why}; offset ${copy.offset} of partition ${copy.partition} not committed` });
        this.releaseCopy(copy);
        continue;
      }
      if (copy.phantom) {
        this.releaseCopy(copy);
        continue;
      }
      this.abandonQueueCopy(copy, pod, t, why, k < running);
    }
  }

  /**
   * A queue delivery `pod` held is abandoned (the pod died or exited without finishing it): RabbitMQ
   * requeues it at once, JetStream redelivers it after ackWait (orphaned until then), core NATS loses it.
   */
  private abandonQueueCopy(copy: Copy, pod: Pod, t: number, why: string, wasRunning: boolean): void {
    const st = pod.stage;
    const ib = copy.inbox!;
    this.emit(abandonedRecord(t, copy.pid, pod.name, why, wasRunning ? copy.startedAt : undefined, st.name));
    if (ib.spec.broker === "nats-core") {
      ib.unacked--;
      st.unacked--;
      this.loseCopy(copy, t, st, `${why} (core NATS: at-most-once)`);
    } else if (ib.spec.broker === "rabbitmq") {
      ib.unacked--;
      st.unacked--;
      this.requeue(copy, t);
    } else {
      copy.state = CS.Orphaned;
      copy.holder = null;
    }
  }

  // ---------------------------------------------------------------- logs (Kafka)
  private append(log: LogRt, pid: number, t: number): void {
    const P = log.spec.partitions;
    const p = log.spec.partitioner === "round-robin" ? log.rr++ % P : Math.floor(log.rng() * P);
    const off = log.latest[p];
    log.pids[p] = growI32(log.pids[p], off + 1);
    log.pids[p][off] = pid;
    log.latest[p] = off + 1;
    log.appended++;
    for (const g of log.groups) {
      g.status[p] = growU8(g.status[p], off + 1);
      g.deliveries[p] = growI32(g.deliveries[p], off + 1);
      this.pumpPartition(g, p, t);
    }
    void t;
  }

  private pumpPartition(g: Group, p: number, t: number): void {
    if (g.rebalancing) return;
    const m = g.owner[p];
    if (!m || m.state !== "alive" || m.pod.phase !== "Ready") return;
    if (g.inProcess[p] !== null) return;
    const pos = g.position[p];
    if (pos < 0 || pos >= g.log.latest[p]) return;
    const pod = m.pod;
    const st = g.stage;
    // one loop per partition, but at most `concurrency` handler calls at once per pod (app-max-concurrency)
    if (pod.processing >= st.spec.concurrency) return;
    const copy = this.newCopy(g.log.pids[p][pos], t, null);
    copy.group = g;
    copy.partition = p;
    copy.offset = pos;
    copy.enqueuedAt = t; // per-stage latency of a log entry: fetched → processed
    copy.holder = pod;
    copy.heldBy = st;
    const d = ++g.deliveries[p][pos];
    copy.deliveries = d;
    if (d === 1) st.received++;
    else {
      st.redelivered++;
      this.emit({ type: "message", t, event: "redelivered", id: copy.pid, pod: pod.name, stage: st.name, reason: `offset ${pos} of partition ${p} fetched again` });
    }
    g.inProcess[p] = copy;
    g.inFlight++;
    pod.unacked++;
    this.startProcessing(pod, copy, t);
  }

  private onLogComplete(copy: Copy, pod: Pod, t: number): void {
    const g = copy.group!;
    const st = g.stage;
    const p = copy.partition;
    const off = copy.offset;
    this.finishRun(pod, copy);
    if (st.spec.handlerErrorRate > 0 && st.errU() < st.spec.handlerErrorRate) {
      if (g.spec.consumeRetryEnabled) {
        // retried with backoff on the same partition loop: the partition is blocked meanwhile
        pod.processing++;
        pod.running.push(copy);
        pod.unacked++;
        if (pod.processing === 1) st.busyPods++;
        copy.run++;
        this.env.schedule(t + g.spec.consumeRetryInterval + st.service(), this.K.complete, copy.uid * TOK + (copy.run % TOK));
        copy.startedAt = t + g.spec.consumeRetryInterval;
        return;
      }
      // consumeRetryEnabled false: logged, and the next message's offset is marked — this one is skipped.
      g.inProcess[p] = null;
      g.inFlight--;
      if (g.status[p][off] === 0) {
        g.status[p][off] = 2;
        g.skipped++;
        st.lost++;
        this.emit({ type: "message", t, event: "lost", id: copy.pid, pod: pod.name, stage: st.name, reason: `handler error skipped (consumeRetryEnabled false), offset ${off} of partition ${p}` });
      }
      g.marked[p] = off + 1;
      g.position[p] = off + 1;
      this.releaseCopy(copy);
      this.afterLogRun(g, pod, p, t);
      return;
    }
    g.inProcess[p] = null;
    g.inFlight--;
    if (g.status[p][off] !== 1) {
      if (g.status[p][off] === 2) {
        g.skipped--;
        st.lost--;
      }
      g.status[p][off] = 1;
      g.completedUnique++;
      st.completed++;
      const soj = t - copy.enqueuedAt;
      const b = latencyBucket(soj);
      st.soj.addWithBucket(soj, b);
      histAdd(st.lat, b);
    }
    this.processedAt(st, copy, pod, t, false, `offset ${off} of partition ${p} processed again (not committed before its consumer died)`);
    g.marked[p] = off + 1;
    g.position[p] = off + 1;
    this.releaseCopy(copy);
    this.afterLogRun(g, pod, p, t);
  }

  private afterLogRun(g: Group, pod: Pod, p: number, t: number): void {
    if (pod.phase === "Terminating" && pod.processing === 0) pod.stage.dep.gone(pod, t, "exited after finishing in-flight work");
    if (g.rebalancing) {
      this.tryFinishRebalance(g, t);
      return;
    }
    // the freed handler slot goes to the pod's next partition with a message waiting (cyclic, fair)
    const P = g.owner.length;
    const m = g.owner[p];
    for (let k = 1; k <= P; k++) {
      const q = (p + k) % P;
      if (g.owner[q] === m) this.pumpPartition(g, q, t);
    }
  }

  private joinGroup(pod: Pod, t: number): void {
    const g = pod.stage.group!;
    const m: Member = { id: this.nextMemberId++, pod, state: "alive" };
    this.members.set(m.id, m);
    pod.member = m;
    g.members.push(m);
    this.requestRebalance(g, t);
  }

  /** A member leaves the group (SIGTERM: the consumer closes and sends LeaveGroup). */
  private leaveGroup(pod: Pod, t: number): void {
    const m = pod.member;
    if (!m) return;
    const g = pod.stage.group!;
    m.state = "left";
    pod.member = null;
    g.members = g.members.filter((x) => x !== m);
    this.requestRebalance(g, t);
  }

  /** A member's process died: it keeps its partitions (stalled) until its session times out. */
  private memberDied(pod: Pod, t: number): void {
    const m = pod.member!;
    const g = pod.stage.group!;
    m.state = "dead";
    pod.member = null;
    this.env.schedule(t + g.spec.sessionTimeout, this.K.session, m.id);
  }

  private onSessionExpiry(id: number, t: number): void {
    const m = this.members.get(id);
    if (!m) return;
    const g = m.pod.stage.group!;
    this.members.delete(id);
    if (!g.members.includes(m)) return;
    g.members = g.members.filter((x) => x !== m);
    if (g.rebalancing) this.tryFinishRebalance(g, t);
    else this.requestRebalance(g, t);
  }

  private requestRebalance(g: Group, t: number): void {
    if (g.rebalancing) return;
    g.rebalancing = true;
    g.rebalanceStartedAt = t;
    this.env.schedule(t + g.spec.rebalanceDelay, this.K.rebalance, g.i);
  }

  private tryFinishRebalance(g: Group, t: number): void {
    if (!g.rebalancing) return;
    if (t < g.rebalanceStartedAt + g.spec.rebalanceDelay - 1e-9) return;
    // every live member must have stopped (in-flight handlers finished), dead ones must have been evicted
    if (g.members.some((m) => m.state === "dead")) return;
    for (let p = 0; p < g.inProcess.length; p++) if (g.inProcess[p] !== null) return;
    g.rebalancing = false;
    g.stage.rebalances++;
    this.assign(g, t);
  }

  /** Commit what live members marked, then assign partitions (range strategy) to the live members. */
  private assign(g: Group, t: number): void {
    const P = g.log.spec.partitions;
    for (let p = 0; p < P; p++) {
      const o = g.owner[p];
      if (o && o.state !== "dead" && g.marked[p] > g.committed[p]) g.committed[p] = g.marked[p];
    }
    const live = g.members.filter((m) => m.state === "alive" && m.pod.phase === "Ready");
    const n = live.length;
    for (let p = 0; p < P; p++) {
      g.owner[p] = null;
      g.marked[p] = g.committed[p];
    }
    if (n > 0) {
      const per = Math.floor(P / n);
      const extra = P % n;
      let p = 0;
      for (let k = 0; k < n; k++) {
        const cnt = per + (k < extra ? 1 : 0);
        for (let j = 0; j < cnt; j++) g.owner[p++] = live[k];
      }
    }
    for (let p = 0; p < P; p++) {
      if (!g.owner[p]) continue;
      if (g.committed[p] >= 0) g.position[p] = g.committed[p];
      else if (g.spec.initialOffset === "oldest") g.position[p] = 0;
      else {
        // no committed offset, initialOffset newest: start at the end; what is there now is never consumed
        const latest = g.log.latest[p];
        const from = Math.max(0, g.position[p]);
        for (let off = from; off < latest; off++) {
          if (g.status[p][off] === 0) {
            g.status[p][off] = 2;
            g.skipped++;
            g.stage.lost++;
            this.emit({ type: "message", t, event: "lost", id: g.log.pids[p][off], stage: g.stage.name, reason: `produced before group ${g.spec.group} had a committed offset on partition ${p} (initialOffset newest)` });
          }
        }
        g.position[p] = latest;
      }
    }
    for (let p = 0; p < P; p++) this.pumpPartition(g, p, t);
  }

  private onAutoCommit(gi: number, t: number): void {
    const g = this.groups[gi];
    for (let p = 0; p < g.committed.length; p++) {
      const o = g.owner[p];
      if (o && o.state !== "dead" && g.marked[p] > g.committed[p]) g.committed[p] = g.marked[p];
    }
    if (!(this.settledSince >= 0 && this.s.duration === null)) this.env.schedule(t + g.spec.autoCommitInterval, this.K.commit, gi);
  }

  private groupPending(g: Group): number {
    return g.log.appended - g.completedUnique - g.skipped;
  }

  private groupSnapshot(g: Group): QueueSnapshot {
    const P = g.log.spec.partitions;
    const partitions: Array<{ latest: number; committed: number | null }> = [];
    let ready = 0;
    for (let p = 0; p < P; p++) {
      const latest = g.log.latest[p];
      partitions.push({ latest, committed: g.committed[p] >= 0 ? g.committed[p] : null });
      const pos = g.position[p] >= 0 ? g.position[p] : Math.max(0, g.committed[p]);
      ready += Math.max(0, latest - pos - (g.inProcess[p] ? 1 : 0));
    }
    return { ready, inFlight: g.inFlight, prefetched: 0, publishRate: 0, deliverRate: 0, partitions };
  }

  // ---------------------------------------------------------------- pods (the lifecycle is the Deployment's: ../model/deployment.ts)
  private trackPeakTotal(): void {
    let n = 0;
    for (const st of this.stages) n += st.dep.counts.nonTerminating;
    if (n > this.peakTotal) this.peakTotal = n;
  }

  private removeConsumer(pod: Pod): void {
    if (!pod.inConsumers) return;
    const ib = pod.stage.inbox!;
    ib.rr = removeFromRoundRobin(ib.consumers, ib.rr, pod);
    pod.inConsumers = false;
  }

  /** A pod exits with prefetched (not started) deliveries: they go back (or are lost) like on a crash. */
  private releaseBuffered(pod: Pod, t: number): void {
    const held = pod.buffered;
    pod.buffered = [];
    for (const copy of held) {
      pod.unacked--;
      if (copy.phantom) {
        this.releaseCopy(copy);
        continue;
      }
      this.abandonQueueCopy(copy, pod, t, "pod exited with prefetched messages", false);
    }
  }

  // ---------------------------------------------------------------- metrics
  private liveSnapshot(ib: Inbox, t: number): QueueSnapshot {
    const w = Math.max(1e-9, t - ib.rateWindow.t);
    let inFlight = 0;
    let prefetched = 0;
    for (const pod of ib.consumers) {
      for (const c of pod.running) if (!c.phantom) inFlight++;
      for (const c of pod.buffered) if (!c.phantom) prefetched++;
    }
    // orphaned (JetStream, held by a dead pod) and pods that stopped consuming still count as unacked
    const other = ib.unacked - inFlight - prefetched;
    return {
      ready: ib.ready.length,
      inFlight: inFlight + Math.max(0, other),
      prefetched,
      publishRate: t > ib.rateWindow.t ? (ib.enqueued - ib.rateWindow.produced) / w : 0,
      deliverRate: t > ib.rateWindow.t ? (ib.delivered - ib.rateWindow.delivered) / w : 0,
      numPending: ib.readyFresh,
      numAckPending: ib.unacked + (ib.ready.length - ib.readyFresh),
    };
  }

  private onStats(i: number, t: number): void {
    const ib = this.inboxes[i];
    const dt = t - ib.statsPrev.t;
    const live = this.liveSnapshot(ib, t);
    ib.stats = {
      ready: live.ready,
      inFlight: live.inFlight,
      prefetched: live.prefetched,
      publishRate: dt > 0 ? (ib.enqueued - ib.statsPrev.produced) / dt : 0,
      deliverRate: dt > 0 ? (ib.delivered - ib.statsPrev.delivered) / dt : 0,
    };
    ib.statsPrev = { t, produced: ib.enqueued, delivered: ib.delivered };
    if (!this.isSettled()) this.env.schedule(t + ib.spec.statsInterval, this.K.stats, i);
    else ib.statsIdle = true;
  }

  private snapshotFor(st: Stage, trig: Trigger, t: number): QueueSnapshot {
    if (st.group) return this.groupSnapshot(st.group);
    const ib = st.inbox!;
    if (readsSampledStats(trig, ib.spec)) return ib.stats;
    return this.liveSnapshot(ib, t);
  }

  private currentMetric(st: Stage, t: number): number {
    const sc = st.spec.scaling;
    if (sc) {
      const trig = sc.scaledObject.triggers[0];
      return trig.read(this.snapshotFor(st, trig, t)).value;
    }
    if (st.group) {
      const snap = this.groupSnapshot(st.group);
      return snap.ready + snap.inFlight;
    }
    if (st.inbox) return st.inbox.ready.length + st.inbox.unacked;
    return 0;
  }

  // ---------------------------------------------------------------- samples & end
  private isSettled(): boolean {
    if (this.producersActive > 0) return false;
    for (const src of this.sources) if (!this.sourceDone(src)) return false;
    for (const ib of this.inboxes) if (ib.stages.length > 0 && (ib.ready.length > 0 || ib.unacked > 0)) return false;
    for (const g of this.groups) if (this.groupPending(g) > 0 || g.inFlight > 0 || g.rebalancing) return false;
    for (const st of this.stages) {
      if (st.busyPods > 0 || !st.dep.atRest()) return false;
    }
    return true;
  }

  private stageQueued(st: Stage): number {
    if (st.group) return this.groupPending(st.group) - st.group.inFlight;
    return st.inbox ? st.inbox.ready.length : 0;
  }

  private stageInFlight(st: Stage): number {
    if (st.group) return st.group.inFlight;
    return st.unacked;
  }

  private stageProduced(st: Stage): number {
    if (st.group) return st.group.log.appended;
    return st.inbox ? st.inbox.enqueued : 0;
  }

  private onSample(t: number): void {
    // The end-to-end sample: new payloads, completions at a last stage, and the stages' counts summed.
    const e2e: SampleRecord = { type: "sample", t, metric: 0, queued: 0, inFlight: 0, produced: this.payloads, completed: this.sinkCompletions, deadLettered: 0, redelivered: 0, lost: this.droppedNoQueue, desired: 0, current: 0, ready: 0, terminating: 0, busy: 0 };
    for (const st of this.stages) {
      const c = st.dep.counts;
      c.account(t);
      const lat = histTake(st.lat);
      const rec: SampleRecord = {
        type: "sample",
        t,
        metric: this.currentMetric(st, t),
        queued: this.stageQueued(st),
        inFlight: this.stageInFlight(st),
        produced: this.stageProduced(st),
        completed: st.completed,
        deadLettered: 0,
        redelivered: st.redelivered,
        lost: st.lost,
        desired: st.dep.specReplicas,
        current: c.nonTerminating,
        ready: c.readyCount,
        terminating: c.terminatingCount,
        busy: st.busyPods,
      };
      if (lat) rec.lat = lat;
      rec.stage = st.name;
      this.emit(rec);
      // A queue that several stages consume is counted once, at its first consumer.
      if (!st.inbox || st.inbox.stages[0] === st) e2e.queued += rec.queued;
      e2e.inFlight += rec.inFlight;
      e2e.lost += rec.lost;
      e2e.redelivered += rec.redelivered;
      e2e.desired += rec.desired;
      e2e.current += rec.current;
      e2e.ready += rec.ready;
      e2e.terminating += rec.terminating;
      e2e.busy += rec.busy;
    }
    for (const src of this.sources) e2e.redelivered += src.resent;
    e2e.metric = e2e.queued + e2e.inFlight;
    const lat = histTake(this.e2eHist);
    if (lat) e2e.lat = lat;
    e2e.stage = RESERVED_STAGE_NAME;
    this.emit(e2e);
    for (const ib of this.inboxes) {
      if (t - ib.rateWindow.t >= ib.pollingInterval) ib.rateWindow = { t, produced: ib.enqueued, delivered: ib.delivered };
    }
    if (this.s.duration === null) {
      if (this.isSettled()) {
        if (this.settledSince < 0) this.settledSince = t;
        if (t - this.settledSince >= this.maxPolling) {
          this.env.stop();
          return;
        }
      } else this.settledSince = -1;
    }
    for (const ib of this.inboxes) {
      if (ib.statsIdle && !this.isSettled()) {
        ib.statsIdle = false;
        this.env.schedule(t, this.K.stats, ib.i);
      }
    }
    const next = t + this.s.sampleInterval;
    if (next <= this.end) this.env.schedule(next, this.K.sample, 0);
  }

  // ---------------------------------------------------------------- reports for tests and summary
  inboxReports(): InboxReport[] {
    return this.inboxes.map((ib) => ({
      id: ib.spec.id,
      broker: ib.spec.broker,
      delivery: ib.spec.delivery,
      enqueued: ib.enqueued,
      acked: ib.acked,
      lost: ib.lost,
      ready: ib.ready.length,
      unacked: ib.unacked,
      delivered: ib.delivered,
    }));
  }

  groupReports(): GroupReport[] {
    return this.groups.map((g) => ({
      log: g.log.spec.name,
      group: g.spec.group,
      stage: g.stage.name,
      partitions: g.log.spec.partitions,
      appended: g.log.appended,
      completedUnique: g.completedUnique,
      skipped: g.skipped,
      pending: this.groupPending(g),
      committed: g.committed.map((c) => (c >= 0 ? c : null)),
      latest: [...g.log.latest],
    }));
  }

  sourceReports(): SourceReport[] {
    return this.sources.map((src) => ({
      source: src.spec.name,
      chunks: src.spec.chunks,
      sent: src.sent,
      resent: src.resent,
      confirmed: src.confirmedCount,
      duplicateConfirmations: src.duplicateConfirmations,
    }));
  }

  /** Distinct payloads a stage processed at least once. */
  uniqueProcessed(stage: string): number {
    const st = this.stages.find((x) => x.name === stage)!;
    let n = 0;
    for (let i = 0; i < st.done.length; i++) n += st.done[i];
    return n;
  }

  summary(): Summary {
    const stages: StageSummary[] = this.stages.map((st) => ({
      stage: st.name,
      deployment: st.spec.deployment,
      messages: {
        received: st.received,
        completed: st.completed,
        redelivered: st.redelivered,
        lost: st.lost,
        duplicates: st.duplicates,
        stillInStage: st.group ? this.groupPending(st.group) : st.inbox && st.inbox.stages[0] === st ? st.inbox.ready.length + st.inbox.unacked : st.unacked,
      },
      latencyS: st.soj.stats(),
      replicas: { peak: st.dep.peak, replicaSeconds: round6(st.dep.counts.replicaSeconds), readyReplicaSeconds: round6(st.dep.counts.readyReplicaSeconds), peakBusy: st.peakBusy },
      scaleEvents: st.dep.scaleEvents.length,
      notes: {
        processed: st.processed,
        uniqueProcessed: this.uniqueProcessed(st.name),
        peakDesired: st.dep.peakDesired,
        peakReady: st.dep.peakReady,
        firstReplicaReadyS: st.dep.counts.firstReadyAt === null ? null : round6(st.dep.counts.firstReadyAt),
        hpaSyncs: st.dep.autoscaler?.hpaSyncs ?? 0,
        ...(st.group ? { rebalances: st.rebalances, partitions: st.group.log.spec.partitions, group: st.group.spec.group } : {}),
      },
    }));
    let replicaSeconds = 0;
    let readyReplicaSeconds = 0;
    let firstReady: number | null = null;
    let lost = this.droppedNoQueue;
    let redelivered = 0;
    let duplicates = 0;
    for (const st of this.stages) {
      replicaSeconds += st.dep.counts.replicaSeconds;
      readyReplicaSeconds += st.dep.counts.readyReplicaSeconds;
      if (st.dep.counts.firstReadyAt !== null && (firstReady === null || st.dep.counts.firstReadyAt < firstReady)) firstReady = st.dep.counts.firstReadyAt;
      lost += st.lost;
      redelivered += st.redelivered;
      duplicates += st.duplicates;
    }
    for (const src of this.sources) redelivered += src.resent;
    const scaleEvents = this.stages.flatMap((st) => st.dep.scaleEvents).sort((a, b) => a.t - b.t);
    const e2e = this.e2e.stats();
    return simSummary(this.s.name, this.s.seed, this.env.now, {
      messages: { produced: this.payloads, completed: this.sinkCompletions, deadLettered: 0, redelivered, lost, duplicates },
      drainTimeS: this.firstArrivalAt >= 0 && this.lastSinkAt >= 0 ? round6(this.lastSinkAt - this.firstArrivalAt) : null,
      latencyS: { ...e2e, wait: this.e2eWait.stats(), service: this.e2eService.stats() },
      replicas: { peak: this.peakTotal, replicaSeconds: round6(replicaSeconds), readyReplicaSeconds: round6(readyReplicaSeconds) },
      firstReplicaReadyS: firstReady === null ? null : round6(firstReady),
      scaleEvents,
      notes: {
        events: this.env.processed,
        endedBy: this.s.duration !== null ? "duration" : this.settledSince >= 0 ? "settled" : "maxDurationSeconds",
        latency: "end-to-end: first publication of a payload → its first completion at a sink stage (a stage that publishes nothing); wait/service split at the sink's processing",
        sinks: this.stages.filter((st) => st.sink).map((st) => st.name),
        inboxes: this.inboxReports(),
        groups: this.groupReports().map(({ committed: _c, latest: _l, ...g }) => g),
        sources: this.sourceReports(),
        droppedNoQueue: this.droppedNoQueue,
      },
      stages,
    });
  }
}
