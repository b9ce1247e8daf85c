// One Deployment, written once for every model: the single-queue model holds one
// (simulation.ts), the topology model one per stage (../topology/model.ts).
//
// It owns what Kubernetes and KEDA do to a Deployment: spec.replicas and the scale events that
// change it, the ReplicaSet's reconcile and its scale-in order (replicaset.ts), and its
// ScaledObject's KEDA poll and HPA sync loops (autoscaler.ts), all as engine events with the fixed
// priorities of pods.ts. Its pods' lifecycle (Pending → Starting → Ready → Terminating → Gone, with
// kills, crashes and the termination grace period, and the replica counts) is pods.ts's
// PodLifecycle, shared with a ScaledJob's Jobs (scaled-job.ts): a killed pod is replaced by the
// ReplicaSet (afterKills), a crashed container restarts in place (restartPolicy Always).
//
// What a pod does with messages is the model's: it supplies its broker rules (BrokerRules, pods.ts),
// like the MetricSource it supplies for the triggers. The per-message path (dispatch, completion,
// the message store) stays in the models.
import type { Scenario } from "../scenario/load.js";
import { isPaused } from "../decisions/keda.js";
import { scaleRecords, type Actor, type Summary } from "../trace.js";
import { Autoscaler, type MetricSource, type ScalerErrorWindow } from "./autoscaler.js";
import { podsToDelete } from "./replicaset.js";
import { PodLifecycle, PRIORITY, type BrokerRules, type Pod, type PodHost, type PodSpec } from "./pods.js";

export { PRIORITY, PodLifecycle, type BrokerRules, type Change, type Pod, type PodSpec } from "./pods.js";
/** The model around its Deployments (pods.ts PodHost). */
export type DeploymentHost = PodHost;

/** A Deployment as the model's scenario describes it. */
export interface DeploymentSpec extends PodSpec {
  /** Replicas before the ScaledObject takes over (pods Ready at t = 0); without one, fixed. */
  initialReplicas: number;
  /** The ScaledObject (null: fixed replicas) and where its triggers read. */
  scaling: { scaledObject: Scenario["scaledObject"]; keda: Scenario["keda"]; hpa: Scenario["hpa"]; scalerErrors: readonly ScalerErrorWindow[]; source: MetricSource } | null;
}

/**
 * Replicas once everything is drained and scaled in: idleReplicaCount or minReplicaCount; paused,
 * paused-replicas (or the replicas it had); no ScaledObject: the initial replicas. Shared with real
 * mode's settle test.
 */
export function restReplicasOf(so: Pick<Scenario["scaledObject"], "paused" | "pausedReplicas" | "idleReplicaCount" | "minReplicaCount"> | null, initialReplicas: number): number {
  if (so && isPaused(so)) return so.pausedReplicas ?? initialReplicas;
  return so ? (so.idleReplicaCount ?? so.minReplicaCount) : initialReplicas;
}

export class Deployment<P extends Pod> extends PodLifecycle<P, DeploymentSpec> {
  /** spec.replicas (what KEDA or the HPA last set). */
  specReplicas = 0;
  /** Peak of spec.replicas. */
  peakDesired = 0;
  readonly scaleEvents: Summary["scaleEvents"] = [];
  /** KEDA's poll and the HPA's sync (null: fixed replicas). */
  readonly autoscaler: Autoscaler | null;

  private readonly source: MetricSource | null;
  private readonly kKeda: number;
  private readonly kHpa: number;

  constructor(host: DeploymentHost, spec: DeploymentSpec, rules: BrokerRules<P>) {
    super(host, spec, rules);
    const e = this.env;
    const sc = spec.scaling;
    this.autoscaler = sc ? new Autoscaler(sc.scaledObject, sc.keda, sc.hpa, { scalerErrors: sc.scalerErrors, stage: spec.stage }) : null;
    this.source = sc ? sc.source : null;
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

  /** Killed pods: the ReplicaSet replaces them. */
  protected override afterKills(t: number): void {
    this.reconcile(t);
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
}
