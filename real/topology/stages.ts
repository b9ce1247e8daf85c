// Topology real runs: stages of daprd + worker-app pairs (real/pair.ts), each with its own generated
// Dapr components, and a collector the worker apps report to (HTTP on 127.0.0.1). The collector is the
// per-stage ledger: received / finished per message id, in-flight per pod, the most pods busy at once,
// which partitions each pod was handed, redeliveries (a second `received` of an id in a stage).
import { createServer, type Server } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TopologyScenario } from "../../sim/topology/load.js";
import { Pair } from "../pair.js";
import { ChildRegistry } from "../procs.js";

export const WORKER = fileURLToPath(new URL("./apps/worker.ts", import.meta.url));

/** What every real topology run (fanout, kafka, pipeline) is given; each adds its own knobs. */
export interface TopologyRunOptions {
  scenario: TopologyScenario;
  /** The daprd binary. */
  daprd: string;
  outDir: string;
  /** Time scale: wall = scenario × k. */
  k: number;
  timeoutMs?: number;
}

export interface StageEvent {
  event: "received" | "finished" | "parked" | "forward-failed";
  stage: string;
  pod: string;
  id: number;
  t: number; // epoch ms
  partition?: number;
}

export class StageLedger {
  received = new Map<number, number>(); // id → deliveries
  finished = new Map<number, number>(); // id → completions
  inFlight = new Map<string, Set<number>>(); // pod → ids
  maxBusyPods = 0;
  busyPodsNow = 0;
  /** Most messages in flight at once over all pods (Kafka: concurrent partition loops). */
  maxInFlight = 0;
  partitionsByPod = new Map<string, Set<number>>();
  /** Kafka: the pod that last received from each partition, and how often a partition changed hands. */
  partitionOwner = new Map<number, string>();
  ownershipChanges = 0;
  /**
   * Kafka: the partition of a delivery whose sidecar did not say. daprd 1.9's bindings.kafka hands
   * the app only the record's headers (components-contrib v1.9.7 internal/component/kafka/consumer.go
   * `doCallback`), newer ones also its partition; on a one-partition topic it can only be 0.
   */
  partitionWhenUnreported: number | undefined = undefined;
  /** Kafka: deliveries whose partition the sidecar reported. */
  partitionsReported = 0;
  podsThatWorked = new Set<string>();
  parked = 0;
  forwardFailed = 0;
  firstReceivedAt = new Map<number, number>();
  lastFinishedAt = 0;

  on(e: StageEvent): void {
    if (e.event === "parked") {
      this.parked++;
      return;
    }
    if (e.event === "forward-failed") {
      this.forwardFailed++;
      this.inFlight.get(e.pod)?.delete(e.id);
      this.recountBusy();
      return;
    }
    const set = this.inFlight.get(e.pod) ?? new Set<number>();
    this.inFlight.set(e.pod, set);
    if (e.event === "received") {
      this.received.set(e.id, (this.received.get(e.id) ?? 0) + 1);
      if (!this.firstReceivedAt.has(e.id)) this.firstReceivedAt.set(e.id, e.t);
      set.add(e.id);
      this.podsThatWorked.add(e.pod);
      const reported = e.partition !== undefined && Number.isFinite(e.partition);
      if (reported) this.partitionsReported++;
      const partition = reported ? e.partition : this.partitionWhenUnreported;
      if (partition !== undefined) {
        const prev = this.partitionOwner.get(partition);
        if (prev !== undefined && prev !== e.pod) this.ownershipChanges++;
        this.partitionOwner.set(partition, e.pod);
        const ps = this.partitionsByPod.get(e.pod) ?? new Set<number>();
        ps.add(partition);
        this.partitionsByPod.set(e.pod, ps);
      }
    } else {
      this.finished.set(e.id, (this.finished.get(e.id) ?? 0) + 1);
      set.delete(e.id);
      this.lastFinishedAt = Math.max(this.lastFinishedAt, e.t);
    }
    this.recountBusy();
  }

  /** A pod was killed: what it held is no longer in flight there. Returns the ids it held. */
  dropPod(pod: string): number[] {
    const ids = [...(this.inFlight.get(pod) ?? [])];
    this.inFlight.delete(pod);
    this.recountBusy();
    return ids;
  }

  private recountBusy(): void {
    let n = 0;
    let m = 0;
    for (const s of this.inFlight.values()) {
      if (s.size > 0) n++;
      m += s.size;
    }
    this.maxInFlight = Math.max(this.maxInFlight, m);
    this.busyPodsNow = n;
    this.maxBusyPods = Math.max(this.maxBusyPods, n);
  }

  get completions(): number {
    let n = 0;
    for (const v of this.finished.values()) n += v;
    return n;
  }
  get deliveries(): number {
    let n = 0;
    for (const v of this.received.values()) n += v;
    return n;
  }
  get distinctFinished(): number {
    return this.finished.size;
  }
  /** Deliveries beyond the first of an id. */
  get redeliveries(): number {
    return this.deliveries - this.received.size;
  }
  /** Completions beyond the first of an id. */
  get duplicates(): number {
    return this.completions - this.finished.size;
  }
}

export class Collector {
  readonly ledgers = new Map<string, StageLedger>();
  readonly events: StageEvent[] = [];
  private server!: Server;
  url = "";
  private listeners: Array<(e: StageEvent) => void> = [];

  ledger(stage: string): StageLedger {
    let l = this.ledgers.get(stage);
    if (!l) this.ledgers.set(stage, (l = new StageLedger()));
    return l;
  }

  onEvent(f: (e: StageEvent) => void): void {
    this.listeners.push(f);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          const e = JSON.parse(Buffer.concat(chunks).toString("utf8")) as StageEvent;
          this.events.push(e);
          this.ledger(e.stage).on(e);
          for (const f of this.listeners) f(e);
        } catch {
          /* ignore garbage */
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

export interface Component {
  name: string;
  type: string; // bindings.kafka, pubsub.jetstream, pubsub.rabbitmq
  metadata: Record<string, string>;
}

export function componentYaml(c: Component): string {
  const meta = Object.entries(c.metadata)
    .map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`)
    .join("\n");
  return `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${c.name}\nspec:\n  type: ${c.type}\n  version: v1\n  metadata:\n${meta}\n`;
}

export interface StageDef {
  name: string;
  appId: string;
  role: "consumer" | "producer";
  components: Component[];
  /** TOPO_* environment for the worker (mode, binding, pubsub, topic, proc, forward ...). */
  env: Record<string, string>;
  blockShutdownSeconds?: number;
}

export interface RunningPod {
  stage: string;
  name: string;
  pair: Pair;
  readyMs: number; // wall ms from spawn to ready
}

/** Starts, scales and kills the pods of every stage of one run; stops everything at the end. */
export class StageRunner {
  readonly registry = new ChildRegistry();
  readonly pods = new Map<string, RunningPod[]>();
  private counter = new Map<string, number>();
  readonly startupMs: number[] = [];

  constructor(
    readonly runId: string,
    readonly daprd: string,
    readonly workDir: string,
    readonly collector: Collector,
    private defs: Map<string, StageDef>,
  ) {
    mkdirSync(join(workDir, "logs"), { recursive: true });
    for (const d of defs.values()) {
      const dir = join(workDir, "resources", d.name);
      mkdirSync(dir, { recursive: true });
      for (const c of d.components) writeFileSync(join(dir, `${c.name}.yaml`), componentYaml(c));
    }
  }

  list(stage: string): RunningPod[] {
    return this.pods.get(stage) ?? [];
  }

  /** Start n more pods of a stage and wait until they are ready (consumers: daprd saw a healthy app). */
  async add(stage: string, n: number, timeoutMs = 60_000): Promise<RunningPod[]> {
    const d = this.defs.get(stage);
    if (!d) throw new Error(`unknown stage ${stage}`);
    const started: Promise<RunningPod>[] = [];
    for (let i = 0; i < n; i++) {
      const k = (this.counter.get(stage) ?? 0) + 1;
      this.counter.set(stage, k);
      const name = `${stage}-${k}`;
      started.push(
        (async () => {
          const pair = await Pair.start({
            registry: this.registry,
            daprd: this.daprd,
            name,
            appId: d.appId,
            role: d.role,
            resourcesDir: join(this.workDir, "resources", d.name),
            logDir: join(this.workDir, "logs"),
            runId: this.runId,
            appScript: WORKER,
            appEnv: { TOPO_STAGE: stage, TOPO_COLLECTOR: this.collector.url, ...d.env },
            blockShutdownSeconds: d.blockShutdownSeconds,
            gracefulShutdownSeconds: 5,
          });
          await pair.waitReady(timeoutMs);
          const readyMs = (pair.readyAt ?? performance.now()) - pair.spawnedAt;
          this.startupMs.push(readyMs);
          const pod = { stage, name, pair, readyMs };
          this.pods.set(stage, [...this.list(stage), pod]);
          return pod;
        })(),
      );
    }
    return Promise.all(started);
  }

  /** SIGKILL a pod (a crash): returns the ids it had in flight per the collector. */
  async crash(stage: string, pod: RunningPod): Promise<number[]> {
    pod.pair.kill();
    await pod.pair.whenExited();
    this.pods.set(stage, this.list(stage).filter((p) => p !== pod));
    return this.collector.ledger(stage).dropPod(pod.name);
  }

  /** Graceful scale-in of one pod (SIGTERM to both, like the kubelet). */
  async remove(stage: string, pod: RunningPod, graceMs = 10_000): Promise<void> {
    pod.pair.terminate();
    const t = setTimeout(() => pod.pair.kill(), graceMs);
    await pod.pair.whenExited();
    clearTimeout(t);
    this.pods.set(stage, this.list(stage).filter((p) => p !== pod));
  }

  async stopAll(): Promise<void> {
    for (const s of this.pods.keys()) for (const p of this.list(s)) p.pair.stopping = true;
    await this.registry.stopAll(4000);
    this.pods.clear();
    this.registry.dispose();
  }
}

/** POST JSON to a sidecar's HTTP API; returns the status code. */
export async function daprPost(port: number, path: string, body: unknown): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await r.arrayBuffer();
  return r.status;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await cond()) return true;
    await sleep(stepMs);
  }
  return cond();
}
