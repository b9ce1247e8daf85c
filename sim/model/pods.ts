// The pod lifecycle, written once for every owner of pods: a Deployment's ReplicaSet
// (deployment.ts) and a ScaledJob's Jobs (scaled-job.ts), in every model (the single-queue model,
// the topology stages).
//
// A pod goes Pending → Starting → Ready → Terminating → Gone: scheduling and start-up delays, random
// container crashes, fault-injected kills and crashes, SIGTERM with the termination grace period
// and SIGKILL at its end. What replaces a pod (the ReplicaSet, or a Job's controller) is the owner's:
// it overrides the hooks (afterKills, containerDied, podGone). What a pod does with messages is the
// model's (BrokerRules).
import type { Environment } from "../engine.js";
import type { Sampler, Uniform } from "../rng.js";
import type { PodPhase, PodRecord, TraceRecord } from "../trace.js";
import { faultVictims } from "./fault-victims.js";
import { SimulationLimitError } from "./limits.js";
import { ReplicaCounts } from "./replica-counts.js";

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
  /** A Job's pod: the Job's name (written into its pod records); a Deployment's pod has none. */
  job?: string;
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
 * The model around its Deployments (and ScaledJobs): its engine, the bus its trace records go out on, and the pod
 * uids it hands out. Plain fields, no callbacks (but podCreated): a short run should not pay for
 * closures it creates per run.
 */
export interface PodHost {
  readonly env: Environment;
  readonly bus: { emit(event: "record", record: TraceRecord): unknown };
  /** The next pod uid, shared by the model's Deployments (a pod's name is `<deployment>-<uid>`); default: this Deployment's own, from 0. */
  readonly podUids?: { next: number };
  /** After every pod creation (the topology's run-wide peak). */
  podCreated?(): void;
}

/** What the pod lifecycle needs of its owner's spec (a Deployment's, a ScaledJob's job template). */
export interface PodSpec {
  /** The owner's name: pods are `<name>-<uid>` unless the owner names them. */
  name: string;
  /** Topology: the stage written into every record. */
  stage?: string;
  schedulingDelay: Sampler;
  startupDelay: Sampler;
  terminationGracePeriodSeconds: number;
  /** false: SIGTERM ends the process at once (no grace period for in-flight work). */
  gracefulShutdown: boolean;
  crashRatePerHour: number;
  /** The stream a pod's time to its next random crash is drawn from. */
  crashU: Uniform;
  /** Pods deleted (SIGKILL) at `at`; the owner replaces them (afterKills). */
  kills: ReadonlyArray<{ at: number; count: number }>;
  /** Container crashes at `at` (busy pods first); what follows is the owner's (containerDied). */
  crashes: ReadonlyArray<{ at: number; count: number }>;
}

// Lifecycle events of one pod: arg encodes (uid, token, code) as (uid * 2^20 + token mod 2^20) * 4 + code.
const POD_PENDING_DONE = 0;
const POD_STARTING_DONE = 1;
const POD_GRACE_END = 2;
const POD_CRASH = 3;
const TOKENS = 1048576; // 2^20


export class PodLifecycle<P extends Pod, S extends PodSpec = PodSpec> {
  /** status.replicas, readyReplicas, terminating pods and the replica-seconds. */
  readonly counts = new ReplicaCounts();
  /** Live pods (not Gone), in creation order. */
  readonly pods = new Map<number, P>();
  /** The same pods by uid, for the models' per-message lookups (a Map.get per completion showed in the profile). */
  readonly podByUid: Array<P | undefined> = [];
  /** Peaks of status.replicas and readyReplicas. */
  peak = 0;
  peakReady = 0;

  protected readonly env: Environment;
  protected readonly bus: PodHost["bus"];
  private readonly podUids: { next: number };
  private readonly kPod: number;
  private readonly kKill: number;
  private readonly kCrash: number;

  constructor(
    protected readonly host: PodHost,
    readonly spec: S,
    protected readonly rules: BrokerRules<P>,
  ) {
    const e = (this.env = host.env);
    this.bus = host.bus;
    this.podUids = host.podUids ?? { next: 0 };
    // Kinds for what this owner has only: a short run (one property-test case, one seed of the
    // burst benchmark) should not pay for handlers and lanes it never uses.
    this.kPod = e.kind("pod", PRIORITY.pod, () => this.onPodEvent(e.arg, e.now));
    this.kKill = spec.kills.length > 0 ? e.kind("kill", PRIORITY.fault, () => this.onKill(e.arg, e.now)) : -1;
    this.kCrash = spec.crashes.length > 0 ? e.kind("crash", PRIORITY.fault, () => this.onCrashInjection(e.arg, e.now)) : -1;
  }

  /** Schedule the scenario's kills and crash injections. */
  scheduleFaults(): void {
    this.spec.kills.forEach((k, i) => this.env.schedule(k.at, this.kKill, i));
    this.spec.crashes.forEach((k, i) => this.env.schedule(k.at, this.kCrash, i));
  }

  // ---------------------------------------------------------------- hooks of the owner

  /** After fault-injected kills: the owner replaces the pods (a ReplicaSet reconciles). */
  protected afterKills(_t: number): void {}

  /** The container died (crash): default restartPolicy Always/OnFailure, it restarts in place. */
  protected containerDied(pod: P, t: number, why: string): void {
    this.restartInPlace(pod, t, why);
  }

  /** A pod has become Gone (whatever the cause). */
  protected podGone(_pod: P, _t: number): void {}

  // ---------------------------------------------------------------- records

  private podRecord(pod: P, t: number, phase: PodPhase, reason: string): void {
    const r: PodRecord = { type: "pod", t, pod: pod.name, phase, reason };
    if (this.spec.stage !== undefined) r.stage = this.spec.stage;
    if (pod.job !== undefined) r.job = pod.job;
    this.bus.emit("record", r);
  }

  // ---------------------------------------------------------------- pods

  /** A new pod (Pending; alreadyReady: Ready at once, it existed before the autoscaler); `job`: the Job it belongs to, `<job>-<uid>`. */
  protected createPod(t: number, alreadyReady = false, reason = "created by the ReplicaSet", job?: string): P {
    const uid = this.podUids.next++;
    if (uid >= TOKENS) throw new SimulationLimitError("limits.maxReplicas", `more than ${TOKENS} pods created`);
    const pod = this.rules.newPod(uid, `${job ?? this.spec.name}-${uid}`, t);
    if (job !== undefined) pod.job = job;
    this.pods.set(uid, pod);
    this.podByUid[uid] = pod;
    this.counts.move(null, "Pending", t);
    if (this.counts.nonTerminating > this.peak) this.peak = this.counts.nonTerminating;
    this.host.podCreated?.();
    if (alreadyReady) {
      this.setPhase(pod, "Ready", t, "existed before the ScaledObject");
      return pod;
    }
    this.setPhase(pod, "Pending", t, reason);
    this.schedulePod(pod, POD_PENDING_DONE, t + this.spec.schedulingDelay());
    return pod;
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
        this.containerDied(pod, t, "container crashed");
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

  /** The container crashed: what it held is released, and it restarts in place (Starting again). */
  protected restartInPlace(pod: P, t: number, why: string): void {
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
    this.podGone(pod, t);
  }

  /**
   * SIGTERM (scale-in): no new deliveries. With graceful shutdown the in-flight work gets
   * terminationGracePeriodSeconds (an idle pod exits at once); without, the process ends at once
   * and what it held is released like on a crash (a group member does not say goodbye).
   */
  protected terminate(pod: P, t: number, reason: string): void {
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

  /** Fault injection: SIGKILL `count` pods (fault-victims.ts order); the owner replaces them (afterKills). */
  private onKill(i: number, t: number): void {
    for (const pod of faultVictims(this.pods.values(), this.spec.kills[i].count)) {
      this.rules.releasePod(pod, t, "pod killed (fault injection)");
      this.gone(pod, t, "SIGKILL (fault injection)");
    }
    this.afterKills(t);
    this.rules.afterPodChange(t, "released");
  }

  /** Fault injection: `count` containers crash (busy pods first); containerDied (default: restart in place). */
  private onCrashInjection(i: number, t: number): void {
    for (const pod of faultVictims(this.pods.values(), this.spec.crashes[i].count, (p) => !this.rules.podIdle(p))) {
      if (pod.phase !== "Ready" && pod.phase !== "Starting") continue;
      this.containerDied(pod, t, "container crashed (fault injection)");
    }
  }
}
