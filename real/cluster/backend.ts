// The real-cluster backend: the consumer Deployment, its ReplicaSet, the scheduler, the HPA
// controller and KEDA are the real ones (the local plane of real/cluster/plane.ts, or a user's
// cluster through --kubeconfig); the pods run on kedasim's node agent as daprd + app pairs. This
// file applies the run's objects, watches Deployment, pods, Events and the ScaledObject, turns what
// it sees into the same trace records real-local writes (pod phases, scale events attributed to
// KEDA or the HPA, keda-poll and hpa-sync records from the controllers' own logs on the local
// plane), and cleans up: everything of the run lives in namespace kedasim-<runId> and on node
// kedasim-node-<runId>, both deleted at the end (also after an error or Ctrl-C).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { resolveBehavior } from "../../sim/decisions/hpa.js";
import { faultVictims } from "../../sim/model/fault-victims.js";
import { round6 } from "../../sim/trace.js";
import type { Scenario } from "../../sim/scenario/load.js";
import type { Actor, PodPhase } from "../../sim/trace.js";
import type { BackendContext, ReplicaCounts, ScalingBackend } from "../backend.js";
import { RealEnvError } from "../env.js";
import { RealInterrupted } from "../errors.js";
import type { StartupSample } from "../replicas.js";
import { EXTERNAL_METRICS_APISERVICE, VERSIONS } from "./components.js";
import { readPlane } from "./daemons.js";
import { Kube, apiMessage, loadKubeConfig, statusOf, waitFor, type Obj } from "./kube.js";
import { clusterObjects, scalePeriod, type ClusterObjects, type ScaledPeriod } from "./manifests.js";
import { NodeAgent } from "./node-agent.js";
import { KedaReadClassifier, LogFollower, parseHpaLine, parseKedaLine, type ClassifiedRead, type HpaLogLine } from "./observe.js";
import { DEFAULT_HPA_FLAGS, ensurePlane, planeStatus, type HpaFlags } from "./plane.js";
import { stateDir } from "./components.js";

export interface ClusterBackendOptions {
  /** A user's kubeconfig; null = the local plane of `npm run cluster:setup`. */
  kubeconfig: string | null;
}

interface PodRow {
  name: string;
  seq: number;
  phase: PodPhase;
  createdAt: number;
  createdWall: number;
  readyAt: number;
}

interface ScaleChange {
  perf: number;
  from: number;
  to: number;
}

interface ScaleCause {
  perf: number;
  actor: Actor;
  from: number | null;
  to: number;
  reason: string;
  /** Came from a controller log line (µs time) rather than an Event (whole seconds). */
  precise: boolean;
  used: boolean;
}

/** The HPA flags a scenario needs at time scale k (controller-manager flags take Go durations, so ms resolution). */
export function hpaFlagsFor(s: Scenario, k: number): { flags: HpaFlags; periods: ScaledPeriod[] } {
  const sync = scalePeriod("controller-manager --horizontal-pod-autoscaler-sync-period", s.hpa.syncPeriod, k, false, 0.001);
  const stab = scalePeriod("controller-manager --horizontal-pod-autoscaler-downscale-stabilization", s.hpa.downscaleStabilization, k, false);
  const cpuInit = scalePeriod("controller-manager --horizontal-pod-autoscaler-cpu-initialization-period", DEFAULT_HPA_FLAGS.cpuInitializationPeriodS, k, false);
  const ready = scalePeriod("controller-manager --horizontal-pod-autoscaler-initial-readiness-delay", DEFAULT_HPA_FLAGS.initialReadinessDelayS, k, false);
  return {
    flags: { syncPeriodS: sync.appliedWallS, downscaleStabilizationS: stab.appliedWallS, tolerance: s.hpa.tolerance, cpuInitializationPeriodS: cpuInit.appliedWallS, initialReadinessDelayS: ready.appliedWallS },
    periods: [sync, stab],
  };
}

export class ClusterBackend implements ScalingBackend {
  readonly source = "real-cluster" as const;
  private ctx!: BackendContext;
  private kube!: Kube;
  private agent: NodeAgent | null = null;
  private ns = "";
  private nodeName = "";
  private objs!: ClusterObjects;
  private periods: ScaledPeriod[] = [];
  private hpaFlags: HpaFlags | null = null;
  private readonly rows = new Map<string, PodRow>();
  private seq = 0;
  private desired = 0;
  private peakN = 0;
  private started = false;
  readonly startups: StartupSample[] = [];
  private informers: Array<k8s.Informer<k8s.KubernetesObject>> = [];
  private followers: LogFollower[] = [];
  private classifier: KedaReadClassifier | null = null;
  private pendingChanges: ScaleChange[] = [];
  private causes: ScaleCause[] = [];
  private seenEvents = new Map<string, number>();
  private attributionTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private soTimer: NodeJS.Timeout | null = null;
  private soCreatedT: number | null = null;
  private pollTimes: number[] = [];
  /** When KEDA's first scale took effect (its executor's write), scenario seconds. */
  private firstKedaScaleT: number | null = null;
  private syncTimes: number[] = [];
  private hpaReads: ClassifiedRead[] = [];
  private lastActiveTime: number | null = null;
  private pendingSync: HpaLogLine | null = null;
  private notesList: string[] = [];
  private createdObjects = false;
  private cleanedUp = false;

  constructor(private o: ClusterBackendOptions) {}

  private say(l: string): void {
    this.ctx.progress(`[t=${this.ctx.now().toFixed(1)}s] ${l}`);
  }

  private tOf(perfMs: number): number {
    return this.started ? Math.max(0, this.ctx.scenarioAt(perfMs)) : 0;
  }

  private tOfEpoch(epochMs: number): number {
    return this.tOf(epochMs - performance.timeOrigin);
  }

  /** The cluster can do this run: API reachable, KEDA's CRD, the external metrics API, Dapr's Component CRD. */
  async preflight(): Promise<void> {
    const local = this.o.kubeconfig === null;
    let kubeconfig = this.o.kubeconfig;
    if (local) {
      const st = await planeStatus();
      if (!st.ok) throw new RealEnvError(`the local control plane is not running:\n  ${st.problems.join("\n  ")}`);
      kubeconfig = st.kubeconfig;
    }
    try {
      this.kube = new Kube(loadKubeConfig(kubeconfig!));
    } catch (e) {
      throw new RealEnvError(`cannot read kubeconfig ${kubeconfig}: ${(e as Error).message}`);
    }
    const kube = this.kube;
    try {
      await kube.core.listNamespace({ limit: 1 });
    } catch (e) {
      throw new RealEnvError(`Kubernetes API at ${kube.server} is not reachable: ${apiMessage(e)}${local ? " (npm run cluster:setup)" : ""}`);
    }
    for (const [what, apiVersion, kind, name] of [
      ["KEDA's ScaledObject CRD", "apiextensions.k8s.io/v1", "CustomResourceDefinition", "scaledobjects.keda.sh"],
      ["Dapr's Component CRD", "apiextensions.k8s.io/v1", "CustomResourceDefinition", "components.dapr.io"],
      [`the external metrics APIService (KEDA's metrics adapter)`, "apiregistration.k8s.io/v1", "APIService", EXTERNAL_METRICS_APISERVICE],
    ] as const) {
      const obj = await kube.read<Obj & { status?: { conditions?: Array<{ type: string; status: string; message?: string }> } }>(apiVersion, kind, name).catch((e: unknown) => {
        throw new RealEnvError(`cannot read ${kind} ${name} at ${kube.server}: ${apiMessage(e)}`);
      });
      if (!obj) throw new RealEnvError(`${what} (${kind} ${name}) is not installed in the cluster at ${kube.server}${local ? " (npm run cluster:setup)" : " (install KEDA and Dapr first)"}`);
      if (kind === "APIService") {
        const c = obj.status?.conditions?.find((x) => x.type === "Available");
        if (c?.status !== "True") throw new RealEnvError(`${what} is not Available: ${c?.message ?? "no condition"}${local ? " (npm run cluster:setup)" : ""}`);
      }
    }
  }

  async prepare(ctx: BackendContext): Promise<void> {
    this.ctx = ctx;
    const s = ctx.scenario;
    const k = ctx.timeScale;
    const local = this.o.kubeconfig === null;
    if (!this.kube) await this.preflight();
    const kube = this.kube;
    // ---- the controller-manager's HPA periods × k (local plane: restart it with them) ----
    const hf = hpaFlagsFor(s, k);
    if (local) {
      this.hpaFlags = hf.flags;
      this.periods.push(...hf.periods);
      ctx.progress(`local plane: kube-controller-manager with --horizontal-pod-autoscaler-sync-period=${hf.flags.syncPeriodS}s --horizontal-pod-autoscaler-downscale-stabilization=${hf.flags.downscaleStabilizationS}s (scenario × ${k})`);
      await ensurePlane({ hpa: hf.flags, say: (l) => ctx.progress(`plane: ${l}`) }).catch((e: Error) => {
        throw new RealEnvError(e.message);
      });
    } else if (k !== 1) {
      this.notesList.push(`time scale ${k} against a user's cluster: its controller-manager's HPA sync period and downscale stabilization are not scaled (the cluster's own flags apply); scenario-second readings of HPA timing are distorted by 1/k`);
    }
    // ---- names and objects ----
    this.ns = `kedasim-${ctx.runId}`;
    this.nodeName = `kedasim-node-${ctx.runId}`;
    const urls = ctx.brokerUrls;
    this.objs = clusterObjects(s, k, {
      namespace: this.ns,
      nodeName: this.nodeName,
      runId: ctx.runId,
      jobsQueue: ctx.jobsQueue,
      resultsQueue: ctx.resultsQueue,
      amqpUrl: urls.componentAmqp,
      reportAmqpUrl: urls.amqp,
      mgmtUrl: urls.mgmt,
      mgmtUser: urls.mgmtUser,
      mgmtPassword: urls.mgmtPassword,
    });
    this.periods.push(...this.objs.periods);
    this.notesList.push(...this.objs.notes);
    this.createdObjects = true;
    try {
      await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: this.ns, labels: { "kedasim.io/run": ctx.runId } } });
      // The ServiceAccount admission plugin refuses pods until the namespace's "default" account exists.
      await waitFor(`ServiceAccount ${this.ns}/default`, 30_000, async () => ((await kube.read("v1", "ServiceAccount", "default", this.ns)) ? true : { notYet: "not created yet by the serviceaccount controller" }));
      for (const c of this.objs.components) await kube.apply(c as Obj);
    } catch (e) {
      throw new RealEnvError(`cannot create the run's namespace and Dapr Components: ${e instanceof Error && !("code" in e) ? e.message : apiMessage(e)}`);
    }
    // ---- the node ----
    const workDir = join(ctx.runDir, "node");
    mkdirSync(workDir, { recursive: true });
    this.agent = new NodeAgent({
      kube,
      nodeName: this.nodeName,
      namespace: this.ns,
      registry: ctx.registry,
      daprd: ctx.daprd,
      runId: ctx.runId,
      logDir: ctx.logDir,
      workDir,
      startTimeoutMs: 30_000,
      timeScale: k,
      hooks: {
        onPhase: (pod, phase, wallMs, reason) => this.onAgentPhase(pod, phase, wallMs, reason),
        onFatal: ctx.onFatal,
        progress: (l) => this.say(l),
      },
    });
    await this.agent.start().catch((e: Error) => {
      throw new RealEnvError(e.message);
    });
    ctx.progress(`node ${this.nodeName} registered (node agent: pods of namespace ${this.ns} run as daprd + app pairs)`);
    await this.startWatches();
    if (local) this.followLogs();
    try {
      await kube.apply(this.objs.deployment as Obj);
    } catch (e) {
      throw new RealEnvError(`cannot apply the Deployment: ${apiMessage(e)}`);
    }
    const initial = s.consumer.initialReplicas;
    if (initial > 0) {
      ctx.progress(`waiting for the ${initial} initial replica(s) to be Ready (they exist before the ScaledObject)`);
      await Promise.race([
        waitFor(`${initial} initial replicas Ready`, 60_000, async () => (this.counts().ready >= initial ? true : { notYet: `${this.counts().ready} ready` })),
        ctx.interrupted,
      ]).catch((e: Error) => {
        throw e instanceof RealInterrupted ? e : new RealEnvError(`an initial replica did not start: ${e.message}`);
      });
    }
  }

  /** t0: the ScaledObject appears at createdAt + pollPhase — KEDA polls at once on creation (scale_handler.go startScaleLoop). */
  start(): void {
    this.started = true;
    const s = this.ctx.scenario;
    const at = s.keda.createdAt + s.keda.pollPhase;
    const delay = Math.max(0, this.ctx.wallAt(at) - performance.now());
    this.soTimer = setTimeout(() => {
      this.soTimer = null;
      this.soCreatedT = this.ctx.now();
      this.say(`creating ScaledObject ${this.ns}/${s.scaledObject.name} (KEDA polls on creation, then every ${this.objs.scaledObject.spec && (this.objs.scaledObject.spec as { pollingInterval: number }).pollingInterval} s wall)`);
      this.kube.apply(this.objs.scaledObject as Obj).catch((e: unknown) => this.ctx.onFatal(new RealEnvError(`cannot create the ScaledObject: ${apiMessage(e)}`)));
    }, delay);
    this.attributionTimer = setInterval(() => this.attribute(false), 200);
  }

  // ---- watches ----

  private async startWatches(): Promise<void> {
    const kube = this.kube;
    const ns = this.ns;
    const pods = k8s.makeInformer<k8s.V1Pod>(kube.kc, `/api/v1/namespaces/${ns}/pods`, () => kube.core.listNamespacedPod({ namespace: ns }));
    pods.on("add", (p) => this.onPodSeen(p));
    pods.on("update", (p) => this.onPodSeen(p));
    pods.on("delete", (p) => this.toPhase(p.metadata?.name ?? "", "Gone", performance.now(), "deleted from the API"));
    const deps = k8s.makeInformer<k8s.V1Deployment>(kube.kc, `/apis/apps/v1/namespaces/${ns}/deployments`, () => kube.apps.listNamespacedDeployment({ namespace: ns }));
    const onDep = (d: k8s.V1Deployment) => {
      if (d.metadata?.name !== this.ctx.scenario.consumer.deploymentName) return;
      const to = d.spec?.replicas ?? 0;
      if (to !== this.desired) {
        const from = this.desired;
        this.desired = to;
        if (this.started) this.pendingChanges.push({ perf: performance.now(), from, to });
      }
    };
    deps.on("add", onDep);
    deps.on("update", onDep);
    const events = k8s.makeInformer<k8s.CoreV1Event>(kube.kc, `/api/v1/namespaces/${ns}/events`, () => kube.core.listNamespacedEvent({ namespace: ns }));
    events.on("add", (e) => this.onEvent(e));
    events.on("update", (e) => this.onEvent(e));
    const sos = k8s.makeInformer<Obj>(kube.kc, `/apis/keda.sh/v1alpha1/namespaces/${ns}/scaledobjects`, async () => (await kube.custom.listNamespacedCustomObject({ group: "keda.sh", version: "v1alpha1", namespace: ns, plural: "scaledobjects" })) as k8s.KubernetesListObject<Obj>);
    const onSo = (so: Obj) => {
      const lat = (so.status as { lastActiveTime?: string | Date } | undefined)?.lastActiveTime;
      // metav1.Time: whole seconds on the wire.
      if (lat) this.lastActiveTime = round6(this.tOfEpoch(new Date(lat).getTime()));
    };
    sos.on("add", onSo);
    sos.on("update", onSo);
    for (const inf of [pods, deps, events, sos] as Array<k8s.Informer<k8s.KubernetesObject>>) {
      inf.on("error", (e: unknown) => {
        if (this.cleanedUp) return;
        this.say(`watch error (${apiMessage(e)}); restarting the watch`);
        // Checked again when the timer fires: a restart after cleanup would watch a deleted namespace
        // and keep the process alive.
        const t = setTimeout(() => {
          if (!this.cleanedUp) void inf.start().catch(() => undefined);
        }, 500);
        t.unref();
      });
      this.informers.push(inf);
    }
    await Promise.all(this.informers.map((i) => i.start()));
  }

  private onPodSeen(p: k8s.V1Pod): void {
    const name = p.metadata?.name;
    if (!name) return;
    const now = performance.now();
    let row = this.rows.get(name);
    if (!row) {
      if (p.metadata?.deletionTimestamp) return;
      row = { name, seq: this.seq++, phase: "Pending", createdAt: this.tOf(now), createdWall: now, readyAt: -1 };
      this.rows.set(name, row);
      if (this.started) this.ctx.emit({ type: "pod", t: this.tOf(now), pod: name, phase: "Pending", reason: "created by the ReplicaSet controller" });
      const c = this.counts().current;
      if (c > this.peakN) this.peakN = c;
    }
    if (p.metadata?.deletionTimestamp) this.toPhase(name, "Terminating", now, `deleted (grace ${p.metadata.deletionGracePeriodSeconds ?? "?"} s wall)`);
  }

  private onAgentPhase(pod: string, phase: "Starting" | "Ready" | "Terminating" | "Gone", wallMs: number, reason: string): void {
    this.toPhase(pod, phase, wallMs, reason);
  }

  private toPhase(name: string, phase: PodPhase, wallMs: number, reason: string): void {
    const row = this.rows.get(name);
    if (!row || row.phase === "Gone") return;
    const order: Record<PodPhase, number> = { Pending: 0, Starting: 1, Ready: 2, Terminating: 3, Gone: 4 };
    // A restart goes Ready → Starting; otherwise phases only move forward.
    if (order[phase] <= order[row.phase] && !(phase === "Starting" && row.phase === "Ready")) return;
    if (row.phase === "Terminating" && phase !== "Gone") return;
    row.phase = phase;
    const t = this.tOf(wallMs);
    if (phase === "Ready" && row.readyAt < 0) {
      row.readyAt = t;
      const wall = wallMs - row.createdWall;
      const startupS = wall / 1000 / this.ctx.timeScale;
      this.startups.push({ pod: name, createdAtS: row.createdAt, readyAtS: t, startupS, startupWallMs: wall });
      reason = this.started ? `ready after ${startupS.toFixed(1)} s (${Math.round(wall)} ms wall): ${reason}` : "existed before the ScaledObject";
      if (this.started) this.say(`${name} ready: startup ${Math.round(wall)} ms wall = ${startupS.toFixed(1)} s scenario`);
    }
    if (this.started || phase === "Ready") this.ctx.emit({ type: "pod", t, pod: name, phase, reason });
    if (phase === "Gone") {
      this.rows.delete(name);
      if (this.started) this.ctx.ledger().podGone(name, t, reason);
    }
  }

  // ---- who changed spec.replicas ----

  private onEvent(e: k8s.CoreV1Event): void {
    const uid = e.metadata?.uid ?? "";
    const count = e.count ?? 1;
    if ((this.seenEvents.get(uid) ?? 0) >= count) return;
    this.seenEvents.set(uid, count);
    const msg = e.message ?? "";
    const perf = performance.now();
    if (e.reason === "KEDAScaleTargetActivated" || e.reason === "KEDAScaleTargetDeactivated") {
      // pkg/scaling/executor/scale_scaledobjects.go: "Scaled <kind> ns/name from 0 to 1, triggered by …" / "Deactivated … from 5 to 0"
      const m = /from (\d+) to (\d+)/.exec(msg);
      if (m) this.causes.push({ perf, actor: "keda", from: Number(m[1]), to: Number(m[2]), reason: `${e.reason}: ${msg}`, precise: false, used: false });
    } else if (e.reason === "SuccessfulRescale") {
      // horizontal.go reconcileAutoscaler: "New size: %d; reason: %s"
      const m = /New size: (\d+); reason: (.*)$/.exec(msg);
      if (m) this.causes.push({ perf, actor: "hpa", from: null, to: Number(m[1]), reason: `SuccessfulRescale: ${m[2]}`, precise: false, used: false });
    }
  }

  /** Match observed spec.replicas changes with their cause, in order; unmatched after 5 s wall: inferred. */
  private attribute(force: boolean): void {
    const now = performance.now();
    while (this.pendingChanges.length) {
      const ch = this.pendingChanges[0];
      const cause = this.causes.find((c) => !c.used && c.to === ch.to && (c.from === null || c.from === ch.from) && Math.abs(c.perf - ch.perf) < 10_000);
      if (!cause && !force && now - ch.perf < 5000) return;
      this.pendingChanges.shift();
      let actor: Actor;
      let reason: string;
      let perf = ch.perf;
      if (cause) {
        cause.used = true;
        actor = cause.actor;
        reason = cause.reason;
        if (cause.precise && cause.perf <= ch.perf) perf = cause.perf;
      } else {
        const so = this.ctx.scenario.scaledObject;
        const rest = so.idleReplicaCount ?? so.minReplicaCount;
        actor = ch.from === 0 || ch.to === rest || (so.idleReplicaCount !== null && ch.from === so.idleReplicaCount) ? "keda" : "hpa";
        reason = `no Event seen for ${ch.from} → ${ch.to}; inferred ${actor === "keda" ? "KEDA (activation / deactivation)" : "the HPA"}`;
      }
      const t = this.tOf(perf);
      if (actor === "keda" && this.firstKedaScaleT === null) this.firstKedaScaleT = t;
      this.ctx.onScale(t, actor, ch.from, ch.to, reason);
    }
  }

  // ---- the controllers' logs (local plane) ----

  private followLogs(): void {
    const plane = readPlane(stateDir());
    const kcm = plane.daemons["kube-controller-manager"];
    const op = plane.daemons["keda-operator"];
    const soKey = `${this.ns}/${this.ctx.scenario.scaledObject.name}`;
    const target = `${this.ns}/${this.ctx.scenario.consumer.deploymentName}`;
    this.classifier = new KedaReadClassifier(soKey, (r) => this.onKedaRead(r));
    if (op) {
      const f = new LogFollower(op.log, (line) => {
        const l = parseKedaLine(line);
        if (!l) return;
        this.classifier!.feed(l);
        if (l.kind === "scaled" && l.scaledObject.endsWith(`/${this.ctx.scenario.scaledObject.name}`) && l.scaledObject.startsWith(`${this.ns}/`) && l.to !== undefined) {
          this.causes.push({ perf: l.epochMs - performance.timeOrigin, actor: "keda", from: l.from ?? null, to: l.to, reason: `KEDA executor: ${l.from} → ${l.to} (${l.to === 0 || l.to === (this.ctx.scenario.scaledObject.idleReplicaCount ?? this.ctx.scenario.scaledObject.minReplicaCount) ? "triggers inactive for cooldownPeriod" : "triggers active"})`, precise: true, used: false });
        }
      });
      f.start();
      this.followers.push(f);
    }
    if (kcm) {
      const f = new LogFollower(kcm.log, (line) => {
        const l = parseHpaLine(line);
        if (!l) return;
        if (l.target !== null && l.target !== target && l.hpa === null) return;
        if (l.hpa !== null && !l.hpa.startsWith(`${this.ns}/`)) return;
        this.onHpaLine(l);
      });
      f.start();
      this.followers.push(f);
    }
    this.flushTimer = setInterval(() => this.classifier?.flush(Date.now()), 500);
  }

  private onKedaRead(r: ClassifiedRead): void {
    if (r.by === "hpa") {
      this.hpaReads.push(r);
      return;
    }
    const t = this.tOfEpoch(r.epochMs);
    this.pollTimes.push(t);
    const active = r.activity === true && r.error === null;
    this.ctx.emit({ type: "keda-poll", t, metric: r.error ? null : r.value, active, error: r.error !== null, lastActiveTime: this.lastActiveTime, condition: r.error ? "TriggerError" : active ? "ScalerActive" : "ScalerNotActive" });
  }

  private onHpaLine(l: HpaLogLine): void {
    if (l.kind === "proposing") {
      this.pendingSync = l;
      return;
    }
    const t = this.tOfEpoch(l.epochMs);
    this.syncTimes.push(t);
    // The value the HPA got: KEDA's read for this sync (through the adapter), just before.
    const read = [...this.hpaReads].reverse().find((r) => r.epochMs <= l.epochMs + 50 && l.epochMs - r.epochMs < 2000);
    const raw = this.pendingSync && l.epochMs - this.pendingSync.epochMs < 2000 ? this.pendingSync.desired : null;
    this.pendingSync = null;
    // "Decided not to scale" logs the unchanged count; "Successfully rescaled" the count it changed.
    const spec = l.kind === "rescaled" ? (l.current ?? this.desired) : (l.desired ?? this.desired);
    const desired = l.desired ?? spec;
    if (l.kind === "rescaled") this.causes.push({ perf: l.epochMs - performance.timeOrigin, actor: "hpa", from: l.current, to: desired, reason: `HPA: ${l.reason ?? "rescaled"}`, precise: true, used: false });
    this.ctx.emit({
      type: "hpa-sync",
      t,
      metric: read ? read.value : null,
      specReplicas: spec,
      statusReplicas: this.counts().current,
      raw,
      desired,
      condition: l.kind === "rescaled" ? "SucceededRescale" : spec === 0 ? "ScalingDisabled" : "ReadyForNewScale",
    });
  }

  // ---- the interface ----

  counts(): ReplicaCounts {
    let current = 0;
    let ready = 0;
    let terminating = 0;
    for (const r of this.rows.values()) {
      if (r.phase === "Terminating") terminating++;
      else if (r.phase !== "Gone") current++;
      if (r.phase === "Ready") ready++;
    }
    return { desired: this.desired, current, ready, terminating, total: this.rows.size };
  }

  get peak(): number {
    return this.peakN;
  }

  kill(count: number, t: number): string[] {
    const victims = faultVictims([...this.rows.values()].map((r) => ({ ...r, uid: r.seq })), count);
    for (const v of victims) {
      this.agent?.kill(v.name);
      this.toPhase(v.name, "Gone", this.ctx.wallAt(t), "SIGKILL (fault injection): processes killed, pod force-deleted");
    }
    return victims.map((v) => v.name);
  }

  podAlive(pod: string): boolean {
    const r = this.rows.get(pod);
    return r !== undefined && r.phase !== "Gone";
  }

  hpaSyncs(): number {
    return this.syncTimes.length;
  }

  async stop(quick: boolean): Promise<void> {
    if (this.soTimer) clearTimeout(this.soTimer);
    for (const f of this.followers) f.stop();
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.classifier?.flush(Date.now(), true);
    if (this.attributionTimer) clearInterval(this.attributionTimer);
    this.attribute(true);
    await this.cleanup(quick);
  }

  /** Delete the ScaledObject (KEDA removes its HPA), stop every pod, delete the namespace and the node. */
  private async cleanup(quick: boolean): Promise<void> {
    if (this.cleanedUp || !this.createdObjects) return;
    this.cleanedUp = true;
    const kube = this.kube;
    const s = this.ctx.scenario;
    await kube.remove("keda.sh/v1alpha1", "ScaledObject", s.scaledObject.name, this.ns).catch(() => undefined);
    const graceMs = quick ? 2000 : Math.max(2000, this.ctx.wallScenario.consumer.terminationGracePeriodSeconds * 1000 + 1000);
    await this.agent?.stop(graceMs);
    for (const inf of this.informers) await inf.stop().catch(() => undefined);
    // Nobody runs the pods any more: remove them at once, then the namespace and the node.
    try {
      const pods = await kube.core.listNamespacedPod({ namespace: this.ns });
      await Promise.all(pods.items.map((p) => kube.core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: this.ns, gracePeriodSeconds: 0 }).catch(() => undefined)));
    } catch {
      /* namespace may be gone */
    }
    await kube.remove("v1", "Namespace", this.ns).catch((e: unknown) => {
      if (statusOf(e) !== 404) this.ctx.progress(`cannot delete namespace ${this.ns}: ${apiMessage(e)}`);
    });
    await this.agent?.deregister();
  }

  /** The local plane's pinned releases (components.ts); unknown for a user's kubeconfig. */
  get upstreamVersions(): { keda: string; kubernetes: string } | null {
    return this.o.kubeconfig === null ? { keda: VERSIONS.keda.replace(/^v/, ""), kubernetes: VERSIONS.kubernetes.replace(/^v/, "") } : null;
  }

  notes(): Record<string, unknown> {
    const k = this.ctx?.timeScale ?? 1;
    return {
      cluster: {
        server: this.kube?.server ?? null,
        plane: this.o.kubeconfig === null ? "local (npm run cluster:setup)" : `kubeconfig ${this.o.kubeconfig}`,
        versions: this.o.kubeconfig === null ? { kubernetes: VERSIONS.kubernetes, etcd: VERSIONS.etcd, keda: VERSIONS.keda } : null,
        namespace: this.ns,
        node: this.nodeName,
        hpaFlags: this.hpaFlags,
        scaledObjectCreatedAtS: this.soCreatedT === null ? null : round6(this.soCreatedT),
        firstKedaPollS: this.pollTimes.length ? round6(this.pollTimes[0]) : null,
        firstHpaSyncS: this.syncTimes.length ? round6(this.syncTimes[0]) : null,
        kedaPolls: this.pollTimes.length,
        hpaSyncs: this.syncTimes.length,
        timeScaledPeriods: this.periods,
        // What cannot scale: KEDA keeps lastActiveTime as a metav1.Time (whole wall seconds), so the
        // cooldown clock has a granularity of 1/k scenario seconds; int32 fields are rounded above.
        lastActiveTimeGranularityS: round6(1 / k),
        notes: this.notesList,
        agentWarnings: this.agent ? [...this.agent.warnings] : [],
      },
    };
  }

  /** The comparison simulation with what the plane actually ran: rounded periods, measured phases and drift, 1 s wall granularity. */
  simOverrides(s: Scenario): { scenario: Scenario; why: string[] } {
    const k = this.ctx.timeScale;
    const why: string[] = [];
    const eff = (field: string, dflt: number) => {
      const p = this.periods.find((x) => x.field === field);
      return p ? round6(p.appliedWallS / k) : dflt;
    };
    const so = { ...s.scaledObject };
    // The comparison simulation follows the releases that ran, not the scenario's kedaVersion /
    // kubernetesVersion (versions.ts branches on them).
    const ran = this.upstreamVersions;
    if (ran && (so.kedaVersion !== ran.keda || so.kubernetesVersion !== ran.kubernetes)) {
      why.push(`kedaVersion ${ran.keda}, kubernetesVersion ${ran.kubernetes}: the releases the plane runs (the scenario asked for ${so.kedaVersion ?? "the default"} / ${so.kubernetesVersion ?? "the default"})`);
      so.kedaVersion = ran.keda;
      so.kubernetesVersion = ran.kubernetes;
    }
    so.pollingInterval = eff("ScaledObject spec.pollingInterval", so.pollingInterval);
    so.cooldownPeriod = eff("ScaledObject spec.cooldownPeriod", so.cooldownPeriod);
    so.initialCooldownPeriod = eff("ScaledObject spec.initialCooldownPeriod", so.initialCooldownPeriod);
    if (this.objs.behaviorWall) {
      const b = this.objs.behaviorWall;
      const back = (r: typeof b.scaleUp) => ({ ...r, stabilizationWindowSeconds: round6(r.stabilizationWindowSeconds / k), policies: r.policies.map((p) => ({ ...p, periodSeconds: round6(p.periodSeconds / k) })) });
      so.behavior = { scaleUp: back(b.scaleUp), scaleDown: back(b.scaleDown) };
    } else if (s.scaledObject.behavior) so.behavior = resolveBehavior(s.scaledObject.behavior, s.hpa.downscaleStabilization);
    // lastActiveTime is stored in whole wall seconds; t0 sits on a whole wall second (alignT0), so
    // the simulator's truncation to 1/k scenario seconds is the same clock.
    so.timeGranularitySeconds = round6(1 / k);
    why.push(`scaledObject.timeGranularitySeconds = 1/k = ${round6(1 / k)} s: KEDA's lastActiveTime has whole-second (wall) resolution`);
    const hpa = { ...s.hpa };
    hpa.syncPeriod = eff("controller-manager --horizontal-pod-autoscaler-sync-period", hpa.syncPeriod);
    hpa.downscaleStabilization = eff("controller-manager --horizontal-pod-autoscaler-downscale-stabilization", hpa.downscaleStabilization);
    const keda = { ...s.keda };
    if (this.pollTimes.length) {
      keda.createdAt = 0;
      const read = this.pollTimes[0];
      const eff = this.firstKedaScaleT;
      // The simulator's KEDA scales at the instant of its poll; the real one writes the scale a few
      // tens of ms wall after its read (executor → API). When the first poll scaled, its write is
      // the moment that matters: the HPA's first reconcile races it (KEDA creates both at once), and
      // an HPA that reads the Deployment before the write sees 0 replicas and waits a sync period.
      if (eff !== null && eff >= read && eff - read < 0.5 * so.pollingInterval) {
        keda.pollPhase = round6(eff);
        why.push(`keda.pollPhaseSeconds = ${keda.pollPhase} s: KEDA's first poll read the queue at ${round6(read)} s and its scale took effect at ${keda.pollPhase} s (the ScaledObject was created at ${round6(this.soCreatedT ?? 0)} s)`);
      } else {
        keda.pollPhase = round6(read);
        why.push(`keda.pollPhaseSeconds = ${keda.pollPhase} s: KEDA's first poll as measured (the ScaledObject was created at ${round6(this.soCreatedT ?? 0)} s)`);
      }
    }
    if (this.syncTimes.length) {
      hpa.syncPhase = round6(this.syncTimes[0]);
      why.push(`hpa.syncPhaseSeconds = ${hpa.syncPhase} s: the HPA's first reconcile as measured (KEDA creates the HPA; the controller reconciles it at once, then every sync period)`);
      if (this.syncTimes.length > 2) {
        const n = this.syncTimes.length - 1;
        const mean = (this.syncTimes[n] - this.syncTimes[0]) / n;
        hpa.drift = round6(Math.max(0, mean - hpa.syncPeriod));
        why.push(`hpa.driftSecondsPerSync = ${hpa.drift} s: measured mean interval ${round6(mean)} s − sync period ${hpa.syncPeriod} s (the controller re-queues after each reconcile)`);
      }
    }
    const grace = eff("Deployment spec.template.spec.terminationGracePeriodSeconds", s.consumer.terminationGracePeriodSeconds);
    for (const p of this.periods) if (p.distortionS !== 0) why.push(`${p.field}: scenario ${p.scenarioS} s × k = ${round6(p.wantedWallS)} s wall, applied ${p.appliedWallS} s = ${round6(p.appliedWallS / k)} s scenario (distortion ${p.distortionS > 0 ? "+" : ""}${p.distortionS} s)`);
    return { scenario: { ...s, scaledObject: so, hpa, keda, consumer: { ...s.consumer, terminationGracePeriodSeconds: grace } }, why };
  }

  /** Cluster runs start t0 on a whole wall second, so lastActiveTime's truncation has a known phase. */
  readonly alignT0 = true;
}
