// Replica manager: the consumer Deployment's ReplicaSet, for real. Each replica is a daprd + consumer
// app pair (real/pair.ts). Phases: Pending (decided; processes being spawned) → Starting (spawned) →
// Ready (daprd's first healthy probe of the app: that is when its input binding starts consuming) →
// Terminating (SIGTERM to both; daprd blocks shutdown so the message in hand can finish) → Gone (both
// processes exited; SIGKILL at terminationGracePeriodSeconds × k). Scale-in picks pods like the
// ReplicaSet controller (same ranking as reconcileReplicaSet in sim/model/simulation.ts).
import type { Distribution } from "../sim/rng.js";
import type { PodPhase, TraceRecord } from "../sim/trace.js";
import { faultVictims } from "../sim/model/fault-victims.js";
import { podsToDelete } from "../sim/model/replicaset.js";
import { Pair } from "./pair.js";
import type { ChildRegistry } from "./procs.js";

export interface Pod {
  uid: number;
  name: string;
  phase: PodPhase;
  /** Scenario seconds. */
  createdAt: number;
  readyAt: number; // -1 while not ready
  createdWall: number; // performance.now()
  pair: Pair | null;
  spawning: Promise<Pair | null>;
  graceTimer: NodeJS.Timeout | null;
  killedAfterGrace: boolean;
  /** Wall ms from Pending to Ready (measured startup latency). */
  startupWallMs: number | null;
}

export interface ReplicaHooks {
  /** Scenario seconds now. */
  now(): number;
  emit(r: TraceRecord): void;
  /** A pod is gone: the harness releases the messages it held (RabbitMQ requeues them). */
  onPodGone(pod: Pod, t: number, reason: string): void;
  /** Something that makes the run meaningless (a sidecar that cannot start, a crashed app). */
  onFatal(err: Error): void;
  progress(line: string): void;
}

export interface ReplicaConfig {
  registry: ChildRegistry;
  daprd: string;
  runId: string;
  logDir: string;
  resourcesDir: string;
  appId: string;
  deploymentName: string;
  appScript: string;
  /** Processing time per message, wall seconds (the scenario's, × k). */
  processingWall: Distribution;
  seed: number;
  timeScale: number;
  /** terminationGracePeriodSeconds × k. */
  graceWallS: number;
  /** A replica not ready after this long is an error. */
  startTimeoutMs: number;
  /** More environment for every replica's app (where it reports its results). */
  appEnv: Record<string, string>;
}

export interface StartupSample {
  pod: string;
  createdAtS: number;
  readyAtS: number;
  /** Pending → Ready in scenario seconds (wall ÷ k). */
  startupS: number;
  startupWallMs: number;
}

export class ReplicaManager {
  specReplicas = 0;
  readonly pods = new Map<number, Pod>();
  peak = 0;
  readonly startups: StartupSample[] = [];
  private nextUid = 0;
  private stopped = false;

  constructor(
    private cfg: ReplicaConfig,
    private hooks: ReplicaHooks,
  ) {}

  get nonTerminating(): number {
    let n = 0;
    for (const p of this.pods.values()) if (p.phase === "Pending" || p.phase === "Starting" || p.phase === "Ready") n++;
    return n;
  }

  get readyCount(): number {
    let n = 0;
    for (const p of this.pods.values()) if (p.phase === "Ready") n++;
    return n;
  }

  get terminatingCount(): number {
    let n = 0;
    for (const p of this.pods.values()) if (p.phase === "Terminating") n++;
    return n;
  }

  byName(name: string): Pod | undefined {
    for (const p of this.pods.values()) if (p.name === name) return p;
    return undefined;
  }

  private setPhase(pod: Pod, phase: PodPhase, t: number, reason: string): void {
    pod.phase = phase;
    this.hooks.emit({ type: "pod", t, pod: pod.name, phase, reason });
  }

  /** spec.replicas changed: reconcile like the ReplicaSet controller. */
  setSpec(to: number, t: number): void {
    this.specReplicas = to;
    this.reconcile(t);
  }

  reconcile(t: number): void {
    if (this.stopped) return;
    while (this.nonTerminating < this.specReplicas) this.createPod(t);
    if (this.nonTerminating > this.specReplicas) {
      // The ReplicaSet's deletion order, the simulator's (sim/model/replicaset.ts): busy or not plays no role.
      for (const pod of podsToDelete(this.pods.values(), this.nonTerminating - this.specReplicas)) {
        this.terminate(pod, t, `scale-in to ${this.specReplicas}`);
      }
    }
  }

  /** Create a replica. `initial`: existed before the ScaledObject (started before t = 0). */
  createPod(t: number, initial = false): Pod {
    const uid = this.nextUid++;
    const name = `${this.cfg.deploymentName}-${uid}`;
    const pod: Pod = {
      uid,
      name,
      phase: "Pending",
      createdAt: t,
      readyAt: -1,
      createdWall: performance.now(),
      pair: null,
      spawning: Promise.resolve(null),
      graceTimer: null,
      killedAfterGrace: false,
      startupWallMs: null,
    };
    this.pods.set(uid, pod);
    if (this.nonTerminating > this.peak) this.peak = this.nonTerminating;
    if (!initial) this.setPhase(pod, "Pending", t, "created by the ReplicaSet");
    const c = this.cfg;
    pod.spawning = Pair.start({
      registry: c.registry,
      daprd: c.daprd,
      name,
      appId: c.appId,
      role: "consumer",
      resourcesDir: c.resourcesDir,
      logDir: c.logDir,
      runId: c.runId,
      appScript: c.appScript,
      appEnv: {
        KEDASIM_PROCESSING: JSON.stringify(c.processingWall),
        KEDASIM_SEED: String(c.seed),
        KEDASIM_JOBS_BINDING: "jobs",
        ...c.appEnv,
      },
      blockShutdownSeconds: c.graceWallS,
      gracefulShutdownSeconds: Math.max(1, c.graceWallS),
      onUnexpectedExit: (p, which) => {
        const child = which === "daprd" ? p.daprd : p.app;
        this.hooks.onFatal(new Error(p.failureText(which, child, "while it was running (not asked to stop)")));
      },
    }).then(
      (pair) => {
        pod.pair = pair;
        if (pod.phase === "Pending") {
          if (!initial) this.setPhase(pod, "Starting", this.hooks.now(), "daprd and app spawned");
          else pod.phase = "Starting";
        }
        pair.waitReady(c.startTimeoutMs).then(
          () => this.onReady(pod, initial),
          (e: Error) => {
            if (!pair.stopping && !this.stopped) this.hooks.onFatal(e);
          },
        );
        return pair;
      },
      (e: Error) => {
        this.hooks.onFatal(new Error(`cannot start replica ${name}: ${e.message}`));
        return null;
      },
    );
    return pod;
  }

  private onReady(pod: Pod, initial: boolean): void {
    if (pod.phase !== "Starting" || !pod.pair?.readyAt) return;
    const t = initial ? 0 : this.hooks.now();
    pod.readyAt = t;
    pod.startupWallMs = pod.pair.readyAt - pod.createdWall;
    const startupS = pod.startupWallMs / 1000 / this.cfg.timeScale;
    this.startups.push({ pod: pod.name, createdAtS: pod.createdAt, readyAtS: t, startupS, startupWallMs: pod.startupWallMs });
    this.setPhase(pod, "Ready", t, initial ? "existed before the ScaledObject" : `ready after ${startupS.toFixed(1)} s (${Math.round(pod.startupWallMs)} ms wall): daprd's first healthy app probe, bindings consuming`);
    if (!initial) this.hooks.progress(`${pod.name} ready: startup ${Math.round(pod.startupWallMs)} ms wall = ${startupS.toFixed(1)} s scenario`);
  }

  /** Wait until every replica that exists now is Ready (initial replicas before t = 0). */
  async waitAllReady(): Promise<void> {
    const pods = [...this.pods.values()];
    await Promise.all(pods.map(async (p) => {
      const pair = await p.spawning;
      if (pair) await pair.waitReady(this.cfg.startTimeoutMs);
    }));
  }

  /** Scale-in: SIGTERM now, SIGKILL after the grace period; Gone when both processes have exited. */
  terminate(pod: Pod, t: number, reason: string): void {
    if (pod.phase === "Terminating" || pod.phase === "Gone") return;
    this.setPhase(pod, "Terminating", t, reason);
    void pod.spawning.then((pair) => {
      if (!pair) {
        this.gone(pod, this.hooks.now(), "never started");
        return;
      }
      pair.terminate();
      pod.graceTimer = setTimeout(() => {
        if (pair.exited) return;
        pod.killedAfterGrace = true;
        pair.kill();
      }, this.cfg.graceWallS * 1000);
      void pair.whenExited().then(() => {
        if (pod.graceTimer) clearTimeout(pod.graceTimer);
        this.gone(pod, this.hooks.now(), pod.killedAfterGrace ? "SIGKILL at the end of terminationGracePeriodSeconds" : "exited after SIGTERM");
      });
    });
  }

  private gone(pod: Pod, t: number, reason: string): void {
    if (pod.phase === "Gone") return;
    this.setPhase(pod, "Gone", t, reason);
    this.pods.delete(pod.uid);
    this.hooks.onPodGone(pod, t, reason);
  }

  /** Fault injection: SIGKILL `count` pods (oldest Ready first, like the simulator), then the ReplicaSet replaces them. */
  kill(count: number, t: number): string[] {
    const victims = faultVictims(this.pods.values(), count);
    for (const pod of victims) {
      void pod.spawning.then((pair) => pair?.kill());
      pod.pair?.kill();
      this.gone(pod, t, "SIGKILL (fault injection)");
    }
    this.reconcile(t);
    return victims.map((p) => p.name);
  }

  /** End of run / interrupt: no more reconciling; terminate everything and wait (bounded). */
  async stopAll(graceMs: number): Promise<void> {
    this.stopped = true;
    const pairs = (await Promise.all([...this.pods.values()].map((p) => p.spawning))).filter((p): p is Pair => p !== null);
    for (const p of pairs) p.terminate();
    const all = Promise.all(pairs.map((p) => p.whenExited()));
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs));
    if ((await Promise.race([all, timeout])) === "timeout") {
      for (const p of pairs) if (!p.exited) p.kill();
      await Promise.race([all, new Promise((r) => setTimeout(r, 3000))]);
    }
    for (const pod of [...this.pods.values()]) {
      if (pod.graceTimer) clearTimeout(pod.graceTimer);
    }
  }
}
