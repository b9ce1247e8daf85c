// The real-local backend: the consumer Deployment's ReplicaSet is real/replicas.ts (one daprd +
// consumer app per replica) and the KEDA and HPA loops are real/scaler.ts, deciding with the
// simulator's own pure functions.
import { join } from "node:path";
import type { BackendContext, ReplicaCounts, ScalingBackend } from "./backend.js";
import { RealEnvError } from "./env.js";
import { RealInterrupted } from "./errors.js";
import { APPS_DIR } from "./pair.js";
import { ReplicaManager, type StartupSample } from "./replicas.js";
import { LocalScaler, QueueReader } from "./scaler.js";

export class LocalBackend implements ScalingBackend {
  readonly source = "real-local" as const;
  private replicas!: ReplicaManager;
  private scaler: LocalScaler | null = null;
  private ctx!: BackendContext;

  async prepare(ctx: BackendContext): Promise<void> {
    this.ctx = ctx;
    const s = ctx.scenario;
    const ws = ctx.wallScenario;
    this.replicas = new ReplicaManager(
      {
        registry: ctx.registry,
        daprd: ctx.daprd,
        runId: ctx.runId,
        logDir: ctx.logDir,
        resourcesDir: ctx.resources.consumerDir,
        appId: s.consumer.deploymentName,
        deploymentName: s.consumer.deploymentName,
        appScript: join(APPS_DIR, "consumer.ts"),
        processingWall: ws.consumer.processingTime,
        seed: s.seed,
        timeScale: ctx.timeScale,
        graceWallS: ws.consumer.terminationGracePeriodSeconds,
        startTimeoutMs: 30_000,
        appEnv: ctx.appEnv,
      },
      {
        now: ctx.now,
        emit: ctx.emit,
        onPodGone: (pod, t, reason) => ctx.ledger().podGone(pod.name, t, reason),
        onFatal: ctx.onFatal,
        progress: (l) => ctx.progress(`[t=${ctx.now().toFixed(1)}s] ${l}`),
      },
    );
    // Initial replicas (exist before the ScaledObject): Ready at t = 0.
    if (s.consumer.initialReplicas > 0) {
      this.replicas.specReplicas = s.consumer.initialReplicas;
      for (let i = 0; i < s.consumer.initialReplicas; i++) this.replicas.createPod(0, true);
      await Promise.race([this.replicas.waitAllReady(), ctx.interrupted]).catch((e: Error) => {
        throw e instanceof RealInterrupted ? e : new RealEnvError(`an initial replica did not start: ${e.message}`);
      });
    }
  }

  start(): void {
    const ctx = this.ctx;
    const ledger = ctx.ledger();
    const reader = new QueueReader(ctx.broker, ctx.jobsQueue, ctx.timeScale, () => ({ inFlight: ledger.inFlight }));
    this.scaler = new LocalScaler(ctx.scenario, reader, this.replicas, {
      now: ctx.now,
      wallAt: ctx.wallAt,
      emit: ctx.emit,
      onScale: (t, actor, from, to, reason) => {
        ctx.onScale(t, actor, from, to, reason);
        this.replicas.setSpec(to, t);
      },
      progress: ctx.progress,
    });
    this.scaler.start();
  }

  counts(): ReplicaCounts {
    const r = this.replicas;
    return { desired: r.specReplicas, current: r.nonTerminating, ready: r.readyCount, terminating: r.terminatingCount, total: r.pods.size };
  }

  get peak(): number {
    return this.replicas.peak;
  }

  get startups(): StartupSample[] {
    return this.replicas.startups;
  }

  kill(count: number, t: number): string[] {
    return this.replicas.kill(count, t);
  }

  podAlive(pod: string): boolean {
    const p = this.replicas.byName(pod);
    return p !== undefined && p.phase !== "Gone";
  }

  hpaSyncs(): number {
    return this.scaler?.decisions.hpaSyncs ?? 0;
  }

  async stop(quick: boolean): Promise<void> {
    this.scaler?.stop();
    if (!this.replicas) return;
    await this.replicas.stopAll(quick ? 2000 : Math.max(2000, this.ctx.wallScenario.consumer.terminationGracePeriodSeconds * 1000 + 1000));
  }

  notes(): Record<string, unknown> {
    return {};
  }
}
