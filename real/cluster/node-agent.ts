// kedasim's node agent: a kubelet for pods that are real mode's daprd + app pairs. It registers a
// Node, keeps its Lease fresh, and runs every pod the scheduler binds to it as one Pair
// (real/pair.ts): the Dapr annotations become daprd flags, the container image names one of
// kedasim's apps (kedasim/consumer, kedasim/producer), the namespace's Dapr Components go into the
// sidecar's resources path. It reports the pod's phase, conditions and container statuses like a
// kubelet (Ready = daprd's app health: its first healthy probe, when the input bindings start),
// honours the grace period on deletion (SIGTERM to both processes, SIGKILL when it ends, then the
// final delete with grace 0 — what pkg/kubelet/status/status_manager.go does once the containers
// have stopped), and restarts crashed pods (restartPolicy Always, with the kubelet's doubling
// back-off). Which pods exist is decided by the real ReplicaSet controller and scheduler.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { stringify } from "yaml";
import { APPS_DIR, Pair } from "../pair.js";
import type { ChildRegistry } from "../procs.js";
import { Kube, apiMessage, statusOf } from "./kube.js";

/** The annotations of the Dapr sidecar injector this agent understands (docs.dapr.io "arguments and annotations"). */
export const DAPR_ANNOTATIONS = {
  enabled: "dapr.io/enabled",
  appId: "dapr.io/app-id",
  appPort: "dapr.io/app-port",
  appProtocol: "dapr.io/app-protocol",
  enableAppHealthCheck: "dapr.io/enable-app-health-check",
  appHealthCheckPath: "dapr.io/app-health-check-path",
  appHealthProbeInterval: "dapr.io/app-health-probe-interval",
  appHealthThreshold: "dapr.io/app-health-threshold",
  gracefulShutdownSeconds: "dapr.io/graceful-shutdown-seconds",
  logLevel: "dapr.io/log-level",
} as const;

export class PodSpecError extends Error {
  constructor(
    public pod: string,
    message: string,
  ) {
    super(`pod ${pod}: ${message}`);
    this.name = "PodSpecError";
  }
}

/** What the agent runs for a pod, derived from its spec alone (pure; unit-tested). */
export interface PodPlan {
  app: "consumer" | "producer";
  appScript: string;
  appId: string;
  /** Health-checked readiness (daprd's app health) — role "consumer" of real/pair.ts. */
  healthCheck: boolean;
  env: Record<string, string>;
  /** spec.terminationGracePeriodSeconds (Kubernetes' default 30). */
  graceSeconds: number;
  gracefulShutdownSeconds: number;
  containerName: string;
  image: string;
  warnings: string[];
}

const IMAGE_RE = /^(?:[\w.-]+(?::\d+)?\/)?kedasim\/(consumer|producer)(?::[\w.-]+)?$/;

export function planPod(pod: k8s.V1Pod): PodPlan {
  const name = pod.metadata?.name ?? "?";
  const ann = pod.metadata?.annotations ?? {};
  const containers = pod.spec?.containers ?? [];
  const warnings: string[] = [];
  if (ann[DAPR_ANNOTATIONS.enabled] !== "true") throw new PodSpecError(name, `this node runs Dapr apps only: metadata.annotations["${DAPR_ANNOTATIONS.enabled}"] must be "true"`);
  // A cluster's Dapr injector may have added its daprd container already; the agent runs daprd itself.
  const apps = containers.filter((c) => c.name !== "daprd");
  if (apps.length !== 1) throw new PodSpecError(name, `expected exactly one app container (besides an injected daprd), found ${apps.length}`);
  const c = apps[0];
  const m = IMAGE_RE.exec(c.image ?? "");
  if (!m) throw new PodSpecError(name, `spec.containers[0].image "${c.image ?? ""}" is not one of kedasim's apps (kedasim/consumer, kedasim/producer)`);
  const app = m[1] as PodPlan["app"];
  const appId = ann[DAPR_ANNOTATIONS.appId] || name;
  const protocol = ann[DAPR_ANNOTATIONS.appProtocol];
  if (protocol && protocol !== "http") throw new PodSpecError(name, `${DAPR_ANNOTATIONS.appProtocol} "${protocol}": kedasim's apps speak http`);
  const healthAnn = ann[DAPR_ANNOTATIONS.enableAppHealthCheck];
  // kedasim's consumer is only useful with health-checked readiness (bindings start on the first
  // healthy probe); the harness sets the annotation, a pod without it gets daprd's readiness instead.
  const healthCheck = healthAnn === "true";
  const path = ann[DAPR_ANNOTATIONS.appHealthCheckPath];
  if (healthCheck && path && path !== "/healthz") throw new PodSpecError(name, `${DAPR_ANNOTATIONS.appHealthCheckPath} "${path}": kedasim's apps answer health probes on /healthz`);
  for (const [k, v] of [[DAPR_ANNOTATIONS.appHealthProbeInterval, "1"], [DAPR_ANNOTATIONS.appHealthThreshold, "1"]] as const) {
    if (ann[k] !== undefined && ann[k] !== v) warnings.push(`${k} "${ann[k]}" is not applied: real mode probes every 1 s with threshold 1 (real/daprd-flags.ts)`);
  }
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom) warnings.push(`env ${e.name}: valueFrom is not supported by the kedasim node; left out`);
  }
  const graceSeconds = pod.spec?.terminationGracePeriodSeconds ?? 30;
  const gs = Number(ann[DAPR_ANNOTATIONS.gracefulShutdownSeconds]);
  return {
    app,
    appScript: join(APPS_DIR, `${app}.ts`),
    appId,
    healthCheck,
    env,
    graceSeconds,
    gracefulShutdownSeconds: Number.isFinite(gs) && gs > 0 ? gs : Math.max(1, graceSeconds),
    containerName: c.name,
    image: c.image ?? "",
    warnings,
  };
}

/** A Dapr Component as the sidecar reads it from its resources path. */
export function componentFile(obj: { apiVersion?: string; kind?: string; metadata?: { name?: string }; spec?: unknown; scopes?: string[] }): string {
  return stringify({ apiVersion: obj.apiVersion ?? "dapr.io/v1alpha1", kind: "Component", metadata: { name: obj.metadata?.name }, spec: obj.spec, ...(obj.scopes ? { scopes: obj.scopes } : {}) });
}

/** Components that apply to an app id: no scopes, or scopes naming it (Dapr's scoping rule). */
export function componentsFor<T extends { scopes?: string[] }>(all: T[], appId: string): T[] {
  return all.filter((c) => !c.scopes || c.scopes.length === 0 || c.scopes.includes(appId));
}

export type AgentPodPhase = "Starting" | "Ready" | "Terminating" | "Gone";

export interface AgentHooks {
  /** A pod's processes were spawned / it became Ready / processes stopped (wall ms = performance.now()). */
  onPhase(pod: string, phase: AgentPodPhase, wallMs: number, reason: string): void;
  /** Something that makes the run meaningless (a sidecar that cannot start, a pod we cannot run). */
  onFatal(err: Error): void;
  progress(line: string): void;
}

export interface AgentOptions {
  kube: Kube;
  nodeName: string;
  /** Pods of this namespace only (the run's). */
  namespace: string;
  registry: ChildRegistry;
  daprd: string;
  runId: string;
  logDir: string;
  workDir: string;
  /** Wall seconds a pod may take to become Ready before it is an error. */
  startTimeoutMs: number;
  /** Multiplies the kubelet's crash back-off (10 s doubling to 300 s), like every other period of a time-scaled run. */
  timeScale: number;
  hooks: AgentHooks;
}

interface RunningPod {
  uid: string;
  name: string;
  plan: PodPlan;
  pair: Pair | null;
  starting: Promise<void>;
  state: "starting" | "running" | "ready" | "terminating" | "restarting" | "gone";
  restarts: number;
  startedAt: Date;
  readyAt: Date | null;
  graceTimer: NodeJS.Timeout | null;
  restartTimer: NodeJS.Timeout | null;
  killedAfterGrace: boolean;
  lastTermination: { exitCode: number; reason: string; finishedAt: Date } | null;
}

const LEASE_SECONDS = 40;

export class NodeAgent {
  readonly pods = new Map<string, RunningPod>();
  private informer: k8s.Informer<k8s.V1Pod> | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private statusChain = new Map<string, Promise<void>>();
  readonly warnings = new Set<string>();

  constructor(private o: AgentOptions) {}

  get nodeName(): string {
    return this.o.nodeName;
  }

  /** The taint that keeps every other pod off this node; the run's pods tolerate it. */
  static taint(runId: string): k8s.V1Taint {
    return { key: "kedasim.io/run", value: runId, effect: "NoSchedule" };
  }

  private nodeConditions(now: Date): k8s.V1NodeCondition[] {
    const c = (type: string, status: string, reason: string, message: string): k8s.V1NodeCondition => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now });
    return [
      c("Ready", "True", "KubeletReady", "kedasim node agent is posting ready status"),
      c("MemoryPressure", "False", "KubeletHasSufficientMemory", "kedasim node agent has sufficient memory available"),
      c("DiskPressure", "False", "KubeletHasNoDiskPressure", "kedasim node agent has no disk pressure"),
      c("PIDPressure", "False", "KubeletHasSufficientPID", "kedasim node agent has sufficient PID available"),
    ];
  }

  /** Register the Node (Ready), start the Lease heartbeat and the pod watch. */
  async start(): Promise<void> {
    const { kube, nodeName } = this.o;
    const now = new Date();
    const node: k8s.V1Node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: nodeName, labels: { "kubernetes.io/hostname": nodeName, "kubernetes.io/os": "linux", "kedasim.io/run": this.o.runId, "type": "kedasim" } },
      spec: { taints: [NodeAgent.taint(this.o.runId)] },
    };
    try {
      await kube.core.createNode({ body: node });
    } catch (e) {
      if (statusOf(e) !== 409) throw new Error(`cannot register Node ${nodeName}: ${apiMessage(e)}`);
    }
    await this.postNodeStatus(now);
    await this.renewLease();
    this.leaseTimer = setInterval(() => void this.renewLease().catch((e) => this.o.hooks.progress(`node lease: ${apiMessage(e)}`)), 10_000);
    this.statusTimer = setInterval(() => void this.postNodeStatus(new Date()).catch((e) => this.o.hooks.progress(`node status: ${apiMessage(e)}`)), 60_000);
    const ns = this.o.namespace;
    this.informer = k8s.makeInformer<k8s.V1Pod>(kube.kc, `/api/v1/namespaces/${ns}/pods`, () => kube.core.listNamespacedPod({ namespace: ns }));
    const onPod = (p: k8s.V1Pod) => {
      if (p.spec?.nodeName === nodeName) this.reconcile(p);
    };
    this.informer.on("add", onPod);
    this.informer.on("update", onPod);
    this.informer.on("delete", (p) => {
      const r = p.metadata?.uid ? this.pods.get(p.metadata.uid) : undefined;
      if (r && r.state !== "gone" && r.state !== "terminating") this.terminate(r, 0, "pod deleted from the API");
    });
    this.informer.on("error", (e: unknown) => {
      if (this.stopped) return;
      this.o.hooks.progress(`pod watch error (${apiMessage(e)}); restarting it`);
      const t = setTimeout(() => {
        if (!this.stopped) void this.informer?.start().catch(() => undefined);
      }, 1000);
      t.unref();
    });
    await this.informer.start();
  }

  private async postNodeStatus(now: Date): Promise<void> {
    const status: k8s.V1NodeStatus = {
      capacity: { cpu: "2", memory: "24Gi", pods: "110", "ephemeral-storage": "80Gi" },
      allocatable: { cpu: "2", memory: "24Gi", pods: "110", "ephemeral-storage": "80Gi" },
      conditions: this.nodeConditions(now),
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }, { type: "Hostname", address: this.o.nodeName }],
      nodeInfo: { architecture: "amd64", bootID: "", containerRuntimeVersion: "kedasim://processes", kernelVersion: "", kubeProxyVersion: "", kubeletVersion: "kedasim-node-agent", machineID: "", operatingSystem: "linux", osImage: "kedasim", systemUUID: "" },
    };
    await this.o.kube.core.patchNodeStatus({ name: this.o.nodeName, body: { status } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
  }

  /** kube-node-lease/<node>: what the node lifecycle controller reads to keep the node Ready. */
  private async renewLease(): Promise<void> {
    const { kube, nodeName } = this.o;
    const body: k8s.V1Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: nodeName, namespace: "kube-node-lease" },
      spec: { holderIdentity: nodeName, leaseDurationSeconds: LEASE_SECONDS, renewTime: new k8s.V1MicroTime() },
    };
    try {
      await kube.coordination.replaceNamespacedLease({ name: nodeName, namespace: "kube-node-lease", body: { ...body, metadata: { ...body.metadata, resourceVersion: (await kube.coordination.readNamespacedLease({ name: nodeName, namespace: "kube-node-lease" })).metadata?.resourceVersion } } });
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
      await kube.coordination.createNamespacedLease({ namespace: "kube-node-lease", body });
    }
  }

  private reconcile(p: k8s.V1Pod): void {
    if (this.stopped) return;
    const uid = p.metadata?.uid;
    if (!uid) return;
    const r = this.pods.get(uid);
    if (p.metadata?.deletionTimestamp) {
      if (r && r.state !== "terminating" && r.state !== "gone") {
        this.terminate(r, p.metadata.deletionGracePeriodSeconds ?? r.plan.graceSeconds, "deletion requested");
      } else if (!r) void this.finalDelete(p.metadata.name!, uid);
      return;
    }
    if (r) return;
    if (p.status?.phase === "Succeeded" || p.status?.phase === "Failed") return;
    let plan: PodPlan;
    try {
      plan = planPod(p);
    } catch (e) {
      void this.failPod(p, (e as Error).message);
      return;
    }
    for (const w of plan.warnings) {
      if (!this.warnings.has(w)) {
        this.warnings.add(w);
        this.o.hooks.progress(`warning: ${w}`);
      }
    }
    const rp: RunningPod = {
      uid,
      name: p.metadata!.name!,
      plan,
      pair: null,
      starting: Promise.resolve(),
      state: "starting",
      restarts: 0,
      startedAt: new Date(),
      readyAt: null,
      graceTimer: null,
      restartTimer: null,
      killedAfterGrace: false,
      lastTermination: null,
    };
    this.pods.set(uid, rp);
    rp.starting = this.run(rp);
  }

  /** The pod's Dapr Components (namespace-wide, filtered by scopes) into a fresh resources dir. */
  private async writeResources(rp: RunningPod): Promise<string> {
    const dir = join(this.o.workDir, rp.name, `resources-${rp.restarts}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const list = (await this.o.kube.custom.listNamespacedCustomObject({ group: "dapr.io", version: "v1alpha1", namespace: this.o.namespace, plural: "components" })) as { items: Array<{ metadata?: { name?: string }; scopes?: string[]; spec?: unknown; apiVersion?: string }> };
    for (const c of componentsFor(list.items, rp.plan.appId)) writeFileSync(join(dir, `${c.metadata?.name}.yaml`), componentFile(c));
    return dir;
  }

  private async run(rp: RunningPod): Promise<void> {
    await this.patchStatus(rp, "Pending");
    let resources: string;
    try {
      resources = await this.writeResources(rp);
    } catch (e) {
      this.o.hooks.onFatal(new Error(`pod ${rp.name}: cannot read the namespace's Dapr Components: ${apiMessage(e)}`));
      return;
    }
    if (rp.state !== "starting" && rp.state !== "restarting") return;
    const logDir = this.o.logDir;
    const pair = await Pair.start({
      registry: this.o.registry,
      daprd: this.o.daprd,
      name: rp.restarts ? `${rp.name}.restart-${rp.restarts}` : rp.name,
      appId: rp.plan.appId,
      role: rp.plan.healthCheck ? "consumer" : "producer",
      resourcesDir: resources,
      logDir,
      runId: this.o.runId,
      appScript: rp.plan.appScript,
      // The app reports under the pod's name (KEDASIM_POD), also after a restart.
      appEnv: { ...rp.plan.env, KEDASIM_POD: rp.name },
      blockShutdownSeconds: rp.plan.graceSeconds,
      gracefulShutdownSeconds: rp.plan.gracefulShutdownSeconds,
      onUnexpectedExit: (p, which) => this.onCrash(rp, p, which),
    }).catch((e: Error) => {
      this.o.hooks.onFatal(new Error(`pod ${rp.name}: cannot start daprd + app: ${e.message}`));
      return null;
    });
    if (!pair) return;
    rp.pair = pair;
    const now = rp.state as RunningPod["state"]; // may have changed while spawning
    if (now === "terminating" || now === "gone" || this.stopped) {
      pair.kill();
      return;
    }
    rp.state = "running";
    this.o.hooks.onPhase(rp.name, "Starting", pair.spawnedAt, rp.restarts ? `restart ${rp.restarts}: daprd and app spawned` : "daprd and app spawned");
    await this.patchStatus(rp, "Running");
    pair.waitReady(this.o.startTimeoutMs).then(
      () => {
        if (rp.state !== "running" || rp.pair !== pair) return;
        rp.state = "ready";
        rp.readyAt = new Date();
        this.o.hooks.onPhase(rp.name, "Ready", pair.readyAt ?? performance.now(), rp.plan.healthCheck ? "daprd's first healthy app probe, bindings consuming" : "daprd initialized and the app listening");
        void this.patchStatus(rp, "Running");
      },
      (e: Error) => {
        if (!pair.stopping && !this.stopped && rp.pair === pair) this.o.hooks.onFatal(e);
      },
    );
  }

  /** restartPolicy Always: the kubelet restarts a crashed container, at once the first time, then after 10 s, 20 s, … 300 s. */
  private onCrash(rp: RunningPod, p: Pair, which: "daprd" | "app"): void {
    if (rp.state === "terminating" || rp.state === "gone" || this.stopped || rp.pair !== p) return;
    const child = which === "daprd" ? p.daprd : p.app;
    rp.lastTermination = { exitCode: child.exitCode ?? 137, reason: child.exitSignal ? `Killed by ${child.exitSignal}` : "Error", finishedAt: new Date() };
    rp.state = "restarting";
    rp.readyAt = null;
    p.kill();
    const delayS = rp.restarts === 0 ? 0 : Math.min(300, 10 * 2 ** (rp.restarts - 1)) * this.o.timeScale;
    rp.restarts++;
    this.o.hooks.progress(`${rp.name}: ${which} ${child.describeExit()}; restart ${rp.restarts} in ${delayS.toFixed(1)} s wall`);
    this.o.hooks.onPhase(rp.name, "Starting", performance.now(), `${which} ${child.describeExit()}: restarting (restart ${rp.restarts})`);
    void this.patchStatus(rp, "Running");
    rp.restartTimer = setTimeout(() => {
      rp.restartTimer = null;
      if (rp.state === "restarting" && !this.stopped) void p.whenExited().then(() => (rp.starting = this.run(rp)));
    }, delayS * 1000);
  }

  /** Kubelet-style termination: SIGTERM now, SIGKILL when the grace period ends, final delete once both processes are gone. */
  private terminate(rp: RunningPod, graceS: number, reason: string): void {
    if (rp.state === "terminating" || rp.state === "gone") return;
    rp.state = "terminating";
    if (rp.restartTimer) clearTimeout(rp.restartTimer);
    const t0 = performance.now();
    this.o.hooks.onPhase(rp.name, "Terminating", t0, reason);
    void rp.starting.then(async () => {
      const pair = rp.pair;
      if (pair && !pair.exited) {
        pair.terminate();
        rp.graceTimer = setTimeout(() => {
          if (pair.exited) return;
          rp.killedAfterGrace = true;
          pair.kill();
        }, Math.max(0, graceS) * 1000);
        await pair.whenExited();
        if (rp.graceTimer) clearTimeout(rp.graceTimer);
      }
      rp.state = "gone";
      this.o.hooks.onPhase(rp.name, "Gone", performance.now(), rp.killedAfterGrace ? "SIGKILL at the end of the grace period" : pair ? "exited after SIGTERM" : "never started");
      await this.finalDelete(rp.name, rp.uid);
    });
  }

  private async finalDelete(name: string, uid: string): Promise<void> {
    try {
      await this.o.kube.core.deleteNamespacedPod({ name, namespace: this.o.namespace, gracePeriodSeconds: 0, body: { preconditions: { uid } } });
    } catch (e) {
      const s = statusOf(e);
      if (s !== 404 && s !== 409 && !this.stopped) this.o.hooks.progress(`final delete of pod ${name}: ${apiMessage(e)}`);
    }
  }

  /** Fault injection: SIGKILL the pod's processes and force-delete it (a node losing the pod); the ReplicaSet replaces it. */
  kill(name: string): boolean {
    const rp = [...this.pods.values()].find((p) => p.name === name && p.state !== "gone");
    if (!rp) return false;
    rp.state = "terminating";
    rp.pair?.kill();
    void rp.starting.then(async () => {
      rp.pair?.kill();
      await rp.pair?.whenExited();
      rp.state = "gone";
      this.o.hooks.onPhase(rp.name, "Gone", performance.now(), "SIGKILL (fault injection)");
    });
    void this.finalDelete(rp.name, rp.uid);
    return true;
  }

  private statusOf(rp: RunningPod, phase: "Pending" | "Running"): k8s.V1PodStatus {
    const now = new Date();
    const ready = rp.state === "ready";
    const running = rp.state === "running" || rp.state === "ready";
    const cond = (type: string, ok: boolean, reason?: string): k8s.V1PodCondition => ({ type, status: ok ? "True" : "False", lastTransitionTime: now, ...(reason && !ok ? { reason } : {}) });
    const state: k8s.V1ContainerState = running
      ? { running: { startedAt: rp.startedAt } }
      : rp.state === "restarting"
        ? { waiting: { reason: rp.restarts > 1 ? "CrashLoopBackOff" : "ContainerCreating", message: "restarting daprd + app" } }
        : { waiting: { reason: "ContainerCreating" } };
    const cs: k8s.V1ContainerStatus = {
      name: rp.plan.containerName,
      image: rp.plan.image,
      imageID: `kedasim://${rp.plan.app}`,
      ready,
      started: running,
      restartCount: rp.restarts,
      state,
      ...(rp.lastTermination ? { lastState: { terminated: { exitCode: rp.lastTermination.exitCode, reason: rp.lastTermination.reason, finishedAt: rp.lastTermination.finishedAt } } } : {}),
    };
    return {
      phase,
      hostIP: "127.0.0.1",
      hostIPs: [{ ip: "127.0.0.1" }],
      podIP: "127.0.0.1",
      podIPs: [{ ip: "127.0.0.1" }],
      startTime: rp.startedAt,
      conditions: [cond("PodReadyToStartContainers", true), cond("Initialized", true), cond("ContainersReady", ready, "ContainersNotReady"), cond("Ready", ready, "ContainersNotReady"), cond("PodScheduled", true)],
      containerStatuses: [cs],
    };
  }

  /** Status writes of one pod go out in order (the last one wins, like the kubelet's status manager). */
  private patchStatus(rp: RunningPod, phase: "Pending" | "Running"): Promise<void> {
    const prev = this.statusChain.get(rp.uid) ?? Promise.resolve();
    const next = prev.then(async () => {
      if (rp.state === "gone" || this.stopped) return;
      const status = this.statusOf(rp, phase);
      try {
        await this.o.kube.core.patchNamespacedPodStatus({ name: rp.name, namespace: this.o.namespace, body: { status } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch));
      } catch (e) {
        if (statusOf(e) !== 404 && !this.stopped) this.o.hooks.progress(`status of pod ${rp.name}: ${apiMessage(e)}`);
      }
    });
    this.statusChain.set(rp.uid, next);
    return next;
  }

  private async failPod(p: k8s.V1Pod, message: string): Promise<void> {
    this.o.hooks.onFatal(new Error(message));
    try {
      await this.o.kube.core.patchNamespacedPodStatus(
        { name: p.metadata!.name!, namespace: this.o.namespace, body: { status: { phase: "Failed", reason: "KedasimUnsupported", message } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      );
    } catch {
      /* reported through onFatal already */
    }
  }

  /** End of run: stop watching, terminate every pod's processes (bounded), deregister the Node. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    await this.informer?.stop().catch(() => undefined);
    const pairs = [...this.pods.values()].map((r) => r.pair).filter((p): p is Pair => p !== null && !p.exited);
    for (const r of this.pods.values()) {
      if (r.graceTimer) clearTimeout(r.graceTimer);
      if (r.restartTimer) clearTimeout(r.restartTimer);
    }
    for (const p of pairs) p.terminate();
    const all = Promise.all(pairs.map((p) => p.whenExited()));
    if ((await Promise.race([all.then(() => "ok"), new Promise((r) => setTimeout(() => r("timeout"), graceMs))])) === "timeout") {
      for (const p of pairs) if (!p.exited) p.kill();
      await Promise.race([all, new Promise((r) => setTimeout(r, 3000))]);
    }
    if (existsSync(this.o.workDir)) rmSync(this.o.workDir, { recursive: true, force: true });
  }

  async deregister(): Promise<void> {
    try {
      await this.o.kube.core.deleteNode({ name: this.o.nodeName });
      await this.o.kube.coordination.deleteNamespacedLease({ name: this.o.nodeName, namespace: "kube-node-lease" }).catch(() => undefined);
    } catch (e) {
      if (statusOf(e) !== 404) this.o.hooks.progress(`cannot delete Node ${this.o.nodeName}: ${apiMessage(e)}`);
    }
  }
}
