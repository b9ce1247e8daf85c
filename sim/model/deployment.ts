// One Deployment and its pods, written once for every model: the single-queue model holds one
// (simulation.ts), the topology model one per stage (../topology/model.ts).
//
// It owns what Kubernetes and KEDA do to a Deployment: spec.replicas and the scale events that
// change it, the replica counts (replica-counts.ts), the ReplicaSet's reconcile and its scale-in
// order (replicaset.ts), the pod lifecycle (Pending → Starting → Ready → Terminating → Gone, with
// kills, crashes and the termination grace period), and its ScaledObject's KEDA poll and HPA sync
// loops (autoscaler.ts), all as engine events with the fixed priorities below.
//
// What a pod does with messages is the model's: it supplies its broker rules (BrokerRules) — what a
// pod does when it becomes Ready and when it stops being Ready, how it releases the work it holds
// when it dies or exits, whether it is idle — like the MetricSource it supplies for the triggers.
// The per-message path (dispatch, completion, the message store) stays in the models.
import type { Environment } from "../engine.js";
import type { Sampler, Uniform } from "../rng.js";
import type { Scenario } from "../scenario/load.js";
import { isPaused } from "../decisions/keda.js";
import { scaleRecords, type Actor, type PodPhase, type PodRecord, type Summary, type TraceRecord } from "../trace.js";
import { Autoscaler, type MetricSource, type ScalerErrorWindow } from "./autoscaler.js";
import { faultVictims } from "./fault-victims.js";
import { SimulationLimitError } from "./limits.js";
import { ReplicaCounts } from "./replica-counts.js";
import { podsToDelete } from "./replicaset.js";

/**
 * Event priorities, for every model: at one instant, lower runs first. Completions free capacity
 * before arrivals are dispatched; pod transitions, then faults; KEDA acts before the HPA (spec C:
 * "if an HPA sync lands before KEDA's update at the same instant, it sees spec 0" — we pick KEDA
 * first and say so); samples see the settled state.
 */
export const PRIORITY = {
  /** Message completions (and runs that lost their message). */
  complete: 0,
  /** Service Bus lock expiry, JetStream ack-wait expiry. */
  lock: 1,
  /** Producers, source starts and resends. */
  arrival: 2,
  /** Pod lifecycle, consumer-group rebalances. */
  pod: 3,
  /** Kills, crashes, consumer-group session expiry. */
  fault: 4,
  /** RabbitMQ management statistics, Kafka auto-commit. */
  stats: 5,
  keda: 6,
  hpa: 7,
  sample: 9,
} as const;

/** What every model's pod has; a model's own Pod type adds its broker state. */
export interface Pod {
  uid: number;
  name: string;
  phase: PodPhase;
  createdAt: number;
  /** When it last became Ready; -1 while never Ready. */
  readyAt: number;
  /** Bumps on every phase change: a lifecycle event scheduled before it is stale. */
  token: number;
}

/** What happened, for BrokerRules.afterPodChange. */
export type Change =
  /** A pod became Ready, or spec.replicas changed: deliver what waits. */
  | "consumers"
  /** Pods let go of their work (killed, crashed, SIGKILL, SIGTERM without graceful shutdown): deliver it again. */
  | "released"
  /** A terminating pod exited at once because it was idle. */
  | "exited";

/** The model's broker rules for the pods of one Deployment (what the Deployment cannot know). */
export interface BrokerRules<P extends Pod> {
  /** The model's pod object, with every field it will ever have (one shape for the optimiser). */
  newPod(uid: number, name: string, t: number): P;
  /** The pod became Ready: it starts taking work (joins the queue's consumers, or the consumer group). */
  podReady(pod: P, t: number): void;
  /** The pod is no longer Ready (it crashed, is terminating, or is gone): no new deliveries; a group member leaves its group. */
  podUnready(pod: P, t: number): void;
  /** Its process died (kill, crash, SIGKILL after the grace period, SIGTERM without graceful shutdown): all it held goes back to the broker, or is lost. */
  releasePod(pod: P, t: number, why: string): void;
  /** It exits (Gone): prefetched deliveries it never started go back. */
  podExits(pod: P, t: number): void;
  /** No message in process: a terminating idle pod exits at once. */
  podIdle(pod: P): boolean;
  /** After a lifecycle change: deliver, finish waiting rebalances (see Change). */
  afterPodChange(t: number, what: Change): void;
}

/**
 * The model around its Deployments: its engine, the bus its trace records go out on, and the pod
 * uids it hands out. Plain fields, no callbacks (but podCreated): a short run should not pay for
 * closures it creates per run.
 */
export interface DeploymentHost {
  readonly env: Environment;
  readonly bus: { emit(event: "record", record: TraceRecord): unknown };
  /** The next pod uid, shared by the model's Deployments (a pod's name is `<deployment>-<uid>`); default: this Deployment's own, from 0. */
  readonly podUids?: { next: number };
  /** After every pod creation (the topology's run-wide peak). */
  podCreated?(): void;
}

/** A Deployment as the model's scenario describes it. */
export interface DeploymentSpec {
  /** The Deployment's name: pods are `<name>-<uid>`. */
  name: string;
  /** Topology: the stage written into every record. */
  stage?: string;
  /** Replicas before the ScaledObject takes over (pods Ready at t = 0); without one, fixed. */
  initialReplicas: number;
  schedulingDelay: Sampler;
  startupDelay: Sampler;
  terminationGracePeriodSeconds: number;
  /** false: SIGTERM ends the process at once (no grace period for in-flight work). */
  gracefulShutdown: boolean;
  crashRatePerHour: number;
  /** The stream a pod's time to its next random crash is drawn from. */
  crashU: Uniform;
  /** Pods deleted (SIGKILL) at `at`; the ReplicaSet replaces them. */
  kills: ReadonlyArray<{ at: number; count: number }>;
  /** Container crashes at `at` (busy pods first); the pods restart in place. */
  crashes: ReadonlyArray<{ at: number; count: number }>;
  /** The ScaledObject (null: fixed replicas) and where its triggers read. */
  scaling: { scaledObject: Scenario["scaledObject"]; keda: Scenario["keda"]; hpa: Scenario["hpa"]; scalerErrors: readonly ScalerErrorWindow[]; source: MetricSource } | null;
}

// Lifecycle events of one pod: arg encodes (uid, token, code) as (uid * 2^20 + token mod 2^20) * 4 + code.
const POD_PENDING_DONE = 0;
const POD_STARTING_DONE = 1;
const POD_GRACE_END = 2;
const POD_CRASH = 3;
const TOKENS = 1048576; // 2^20

/**
 * Replicas once everything is drained and scaled in: idleReplicaCount or minReplicaCount; paused,
 * paused-replicas (or the replicas it had); no ScaledObject: the initial replicas. Shared with real
 * mode's settle test.
 */
export function restReplicasOf(so: Pick<Scenario["scaledObject"], "paused" | "pausedReplicas" | "idleReplicaCount" | "minReplicaCount"> | null, initialReplicas: number): number {
  if (so && isPaused(so)) return so.pausedReplicas ?? initialReplicas;
  return so ? (so.idleReplicaCount ?? so.minReplicaCount) : initialReplicas;
}

export class Deployment<P extends Pod> {
  /** spec.replicas (what KEDA or the HPA last set). */
  specReplicas = 0;
  /** status.replicas, readyReplicas, terminating pods and the replica-seconds. */
  readonly counts = new ReplicaCounts();
  /** Live pods (not Gone), in creation order. */
  readonly pods = new Map<number, P>();
  /** The same pods by uid, for the models' per-message lookups (a Map.get per completion showed in the profile). */
  readonly podByUid: Array<P | undefined> = [];
  /** Peaks of status.replicas, readyReplicas and spec.replicas. */
  peak = 0;
  peakReady = 0;
  peakDesired = 0;
  readonly scaleEvents: Summary["scaleEvents"] = [];
  /** KEDA's poll and the HPA's sync (null: fixed replicas). */
  readonly autoscaler: Autoscaler | null;

  private readonly env: Environment;
  private readonly bus: DeploymentHost["bus"];
  private readonly podUids: { next: number };
  private readonly source: MetricSource | null;
  private readonly kPod: number;
  private readonly kKill: number;
  private readonly kCrash: number;
  private readonly kKeda: number;
  private readonly kHpa: number;

  constructor(
    private readonly host: DeploymentHost,
    readonly spec: DeploymentSpec,
    private readonly rules: BrokerRules<P>,
  ) {
    const e = (this.env = host.env);
    this.bus = host.bus;
    this.podUids = host.podUids ?? { next: 0 };
    const sc = spec.scaling;
    this.autoscaler = sc ? new Autoscaler(sc.scaledObject, sc.keda, sc.hpa, { scalerErrors: sc.scalerErrors, stage: spec.stage }) : null;
    this.source = sc ? sc.source : null;
    // Kinds for what this Deployment has only: a short run (one property-test case, one seed of the
    // burst benchmark) should not pay for handlers and lanes it never uses.
    this.kPod = e.kind("pod", PRIORITY.pod, () => this.onPodEvent(e.arg, e.now));
    this.kKill = spec.kills.length > 0 ? e.kind("kill", PRIORITY.fault, () => this.onKill(e.arg, e.now)) : -1;
    this.kCrash = spec.crashes.length > 0 ? e.kind("crash", PRIORITY.fault, () => this.onCrashInjection(e.arg, e.now)) : -1;
    this.kKeda = sc ? e.kind("keda-poll", PRIORITY.keda, () => this.onKedaPoll(e.now)) : -1;
    this.kHpa = sc ? e.kind("hpa-sync", PRIORITY.hpa, () => this.onHpaSync(e.now)) : -1;
  }

  // ---------------------------------------------------------------- run

  /** t = 0: the Deployment as it was before the ScaledObject, its pods already Ready. */
  start(): void {
    this.specReplicas = this.spec.initialReplicas;
    this.peakDesired = this.specReplicas;
    for (let i = 0; i < this.spec.initialReplicas; i++) this.createPod(0, true);
  }

  /** Schedule the scenario's kills and crash injections. */
  scheduleFaults(): void {
    this.spec.kills.forEach((k, i) => this.env.schedule(k.at, this.kKill, i));
    this.spec.crashes.forEach((k, i) => this.env.schedule(k.at, this.kCrash, i));
  }

  /** Schedule the first KEDA poll and HPA sync (nothing without a ScaledObject). */
  startLoops(): void {
    const a = this.autoscaler;
    if (!a) return;
    if (a.paused) {
      // Paused from the start: the controller's reconcile at creation (handlePause) is the one
      // KEDA event; no HPA exists.
      this.env.schedule(a.createdAt, this.kKeda, 0);
      return;
    }
    this.env.schedule(a.firstPollAt, this.kKeda, 0);
    this.env.schedule(a.firstSyncAt, this.kHpa, 0);
  }

  /** Replicas once everything is drained and scaled in: idleReplicaCount or minReplicaCount (fixed: the initial replicas). */
  get restReplicas(): number {
    return restReplicasOf(this.spec.scaling?.scaledObject ?? null, this.spec.initialReplicas);
  }

  /** At rest: spec.replicas is the rest count and exactly that many pods run, none terminating. */
  atRest(): boolean {
    const c = this.counts;
    return c.terminatingCount === 0 && this.specReplicas === this.restReplicas && c.nonTerminating === this.specReplicas && this.pods.size === c.nonTerminating;
  }

  // ---------------------------------------------------------------- records

  private podRecord(pod: P, t: number, phase: PodPhase, reason: string): void {
    const r: PodRecord = { type: "pod", t, pod: pod.name, phase, reason };
    if (this.spec.stage !== undefined) r.stage = this.spec.stage;
    this.bus.emit("record", r);
  }

  // ---------------------------------------------------------------- scaling

  /** spec.replicas changes (KEDA or the HPA): a scale event, then the ReplicaSet reconciles. */
  setSpec(to: number, t: number, actor: Actor, reason: string): void {
    const from = this.specReplicas;
    if (to === from) return;
    this.specReplicas = to;
    if (to > this.peakDesired) this.peakDesired = to;
    const { record, event } = scaleRecords(t, actor, from, to, reason, this.spec.stage);
    this.scaleEvents.push(event);
    this.bus.emit("record", record);
    this.reconcile(t);
    this.rules.afterPodChange(t, "consumers");
  }

  /** ReplicaSet reconcile: create or delete pods until status.replicas == spec.replicas. */
  private reconcile(t: number): void {
    while (this.counts.nonTerminating < this.specReplicas) this.createPod(t);
    if (this.counts.nonTerminating > this.specReplicas) {
      // The ReplicaSet's deletion order (replicaset.ts): busy or not plays no role (user-pain A).
      for (const pod of podsToDelete(this.pods.values(), this.counts.nonTerminating - this.specReplicas)) {
        this.terminate(pod, t, `scale-in to ${this.specReplicas}`);
      }
    }
  }

  private onKedaPoll(t: number): void {
    const a = this.autoscaler!;
    const d = a.kedaPoll(t, this.source!, this.specReplicas, this.counts.readyCount);
    this.bus.emit("record", d.record);
    if (a.paused) {
      // controllers/keda/scaledobject_controller.go handlePause: the scale loop is stopped and the
      // HPA deleted (startLoops scheduled no sync); scaleTargetToPausedCount sets paused-replicas.
      const n = a.scaledObject.pausedReplicas;
      if (n !== undefined && n !== this.specReplicas) this.setSpec(n, t, "keda", `paused: autoscaling.keda.sh/paused-replicas ${n} (scaleTargetToPausedCount)`);
      return;
    }
    if (d.to !== null) this.setSpec(d.to, t, "keda", d.reason);
    this.env.schedule(a.nextPollAt(t), this.kKeda, 0);
  }

  private onHpaSync(t: number): void {
    const a = this.autoscaler!;
    const d = a.hpaSync(t, this.source!, this.specReplicas, this.counts.nonTerminating, this.counts.readyCount);
    this.bus.emit("record", d.record);
    if (d.to !== null) this.setSpec(d.to, t, "hpa", d.reason);
    this.env.schedule(a.nextSyncAt(t), this.kHpa, 0);
  }

  // ---------------------------------------------------------------- pods

  private createPod(t: number, alreadyReady = false): void {
    const uid = this.podUids.next++;
    if (uid >= TOKENS) throw new SimulationLimitError("limits.maxReplicas", `more than ${TOKENS} pods created`);
    const pod = this.rules.newPod(uid, `${this.spec.name}-${uid}`, t);
    this.pods.set(uid, pod);
    this.podByUid[uid] = pod;
    this.counts.move(null, "Pending", t);
    if (this.counts.nonTerminating > this.peak) this.peak = this.counts.nonTerminating;
    this.host.podCreated?.();
    if (alreadyReady) {
      this.setPhase(pod, "Ready", t, "existed before the ScaledObject");
      return;
    }
    this.setPhase(pod, "Pending", t, "created by the ReplicaSet");
    this.schedulePod(pod, POD_PENDING_DONE, t + this.spec.schedulingDelay());
  }

  private schedulePod(pod: P, code: number, at: number): void {
    this.env.schedule(at, this.kPod, (pod.uid * TOKENS + (pod.token & (TOKENS - 1))) * 4 + code);
  }

  private onPodEvent(arg: number, t: number): void {
    const code = arg % 4;
    const rest = (arg - code) / 4;
    const token = rest % TOKENS;
    const pod = this.pods.get((rest - token) / TOKENS);
    if (!pod || (pod.token & (TOKENS - 1)) !== token) return; // stale
    switch (code) {
      case POD_PENDING_DONE:
        if (pod.phase !== "Pending") return;
        this.setPhase(pod, "Starting", t, "scheduled; containers starting");
        this.schedulePod(pod, POD_STARTING_DONE, t + this.spec.startupDelay());
        return;
      case POD_STARTING_DONE:
        if (pod.phase !== "Starting") return;
        this.setPhase(pod, "Ready", t, "ready; consuming");
        this.rules.afterPodChange(t, "consumers");
        return;
      case POD_GRACE_END:
        if (pod.phase !== "Terminating") return;
        this.rules.releasePod(pod, t, "SIGKILL at the end of terminationGracePeriodSeconds");
        this.gone(pod, t, "killed after the grace period");
        this.rules.afterPodChange(t, "released"); // RabbitMQ requeued what it held: a Ready pod with room takes it now
        return;
      case POD_CRASH:
        if (pod.phase !== "Ready" && pod.phase !== "Starting") return;
        this.crash(pod, t, "container crashed");
        return;
    }
  }

  private setPhase(pod: P, phase: PodPhase, t: number, reason: string): void {
    const was = pod.phase;
    this.counts.move(was, phase, t);
    if (was === "Ready" && phase !== "Ready") this.rules.podUnready(pod, t);
    const becameReady = phase === "Ready" && was !== "Ready";
    if (becameReady) {
      pod.readyAt = t;
      if (this.counts.readyCount > this.peakReady) this.peakReady = this.counts.readyCount;
    }
    pod.phase = phase;
    pod.token++;
    this.podRecord(pod, t, phase, reason);
    if (becameReady) this.rules.podReady(pod, t);
    if (phase === "Ready" || phase === "Starting") this.scheduleCrash(pod, t);
  }

  /** A Ready pod's next random crash (crashRatePerHour: exponential time to failure). */
  private scheduleCrash(pod: P, t: number): void {
    const rate = this.spec.crashRatePerHour;
    if (rate <= 0 || pod.phase !== "Ready") return;
    const dt = (-Math.log(1 - this.spec.crashU()) / rate) * 3600;
    this.schedulePod(pod, POD_CRASH, t + dt);
  }

  /** The container crashes: what it held is released, and it restarts in place (Starting again). */
  private crash(pod: P, t: number, why: string): void {
    this.rules.releasePod(pod, t, why);
    this.setPhase(pod, "Starting", t, `${why}; restarting`);
    this.schedulePod(pod, POD_STARTING_DONE, t + this.spec.startupDelay());
    this.rules.afterPodChange(t, "released");
  }

  /** The pod is gone: it releases what it still holds unstarted, and leaves the counts. */
  gone(pod: P, t: number, reason: string): void {
    if (pod.phase === "Gone") return;
    this.rules.podExits(pod, t);
    this.counts.move(pod.phase, "Gone", t);
    if (pod.phase === "Ready") this.rules.podUnready(pod, t);
    pod.phase = "Gone";
    pod.token++;
    this.pods.delete(pod.uid);
    this.podByUid[pod.uid] = undefined;
    this.podRecord(pod, t, "Gone", reason);
  }

  /**
   * SIGTERM (scale-in): no new deliveries. With graceful shutdown the in-flight work gets
   * terminationGracePeriodSeconds (an idle pod exits at once); without, the process ends at once
   * and what it held is released like on a crash (a group member does not say goodbye).
   */
  private terminate(pod: P, t: number, reason: string): void {
    const wasReady = pod.phase === "Ready";
    this.counts.move(pod.phase, "Terminating", t);
    pod.phase = "Terminating";
    pod.token++;
    this.podRecord(pod, t, "Terminating", reason);
    if (!this.spec.gracefulShutdown) {
      this.rules.releasePod(pod, t, "SIGTERM (no graceful shutdown)");
      if (wasReady) this.rules.podUnready(pod, t);
      this.gone(pod, t, "exited at SIGTERM");
      this.rules.afterPodChange(t, "released");
      return;
    }
    if (wasReady) this.rules.podUnready(pod, t);
    if (this.rules.podIdle(pod)) {
      this.gone(pod, t, "exited at once (idle)");
      this.rules.afterPodChange(t, "exited");
      return;
    }
    this.schedulePod(pod, POD_GRACE_END, t + this.spec.terminationGracePeriodSeconds);
  }

  /** Fault injection: SIGKILL `count` pods (fault-victims.ts order); the ReplicaSet replaces them. */
  private onKill(i: number, t: number): void {
    for (const pod of faultVictims(this.pods.values(), this.spec.kills[i].count)) {
      this.rules.releasePod(pod, t, "pod killed (fault injection)");
      this.gone(pod, t, "SIGKILL (fault injection)");
    }
    this.reconcile(t);
    this.rules.afterPodChange(t, "released");
  }

  /** Fault injection: `count` containers crash (busy pods first) and restart in place. */
  private onCrashInjection(i: number, t: number): void {
    for (const pod of faultVictims(this.pods.values(), this.spec.crashes[i].count, (p) => !this.rules.podIdle(p))) {
      if (pod.phase !== "Ready" && pod.phase !== "Starting") continue;
      this.crash(pod, t, "container crashed (fault injection)");
    }
  }
}
