// Seed 004 for real: a publisher sidecar publishes every "Platform_Published" event to a topic through
// pubsub.rabbitmq (a fanout exchange named after the topic); each subscriber app (its own app-id =
// consumerID) gets its own durable queue `{consumerID}-{topic}` bound to that exchange and reads it
// with prefetchCount 1 (concurrency single): every subscriber receives every message. The work-queue
// contrast (seed-004-work-queue-contrast.yaml: both stages consume ONE queue) gives both apps the same
// consumerID, so they share one queue and each message is processed exactly once in total.
// Checked against the broker: the exchange is a fanout, one queue per subscription, consumers' prefetch
// is 1, and after every consumer is gone each queue is empty (nothing lost, nothing left unacked).
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import amqp from "amqplib";
import { brokerUrls } from "../env.js";
import { Collector, daprPost, sleep, StageRunner, waitUntil, type RunningPod, type StageDef, type TopologyRunOptions } from "./stages.js";
import { epochNow, newRecorder, procEnv, writeTopologyTrace } from "./trace.js";

export interface FanoutRunOptions extends TopologyRunOptions {
  messages?: number;
  /** Replicas per subscriber stage (fixed). */
  replicas: number;
  /** SIGKILL one busy pod of this stage once this many messages were published (at-least-once redelivery). */
  crash?: { stage: string; afterMessages: number };
  prefetch?: number;
}

export interface FanoutStageResult {
  queue: string;
  distinctFinished: number;
  completions: number;
  redeliveries: number;
  duplicates: number;
  lost: number[];
  podsThatWorked: number;
  maxBusyPods: number;
  brokerConsumers: number;
  brokerPrefetch: number[];
  queueMessagesAfterStop: number | null;
}

export interface FanoutRunResult {
  scenario: string;
  runId: string;
  mode: "fanout" | "work-queue";
  topic: string;
  exchangeType: string | null;
  queues: string[];
  published: number;
  publishErrors: number;
  crashed: { pod: string; inFlight: number[] } | null;
  stages: Record<string, FanoutStageResult>;
  /** Σ distinct completions over the stages (fanout: subscribers × messages; work queue: messages). */
  totalDistinct: number;
  totalCompletions: number;
  startupMs: number[];
  wallMs: number;
  drainScenarioS: number;
}

/** Seeded exponential inter-arrival times (mulberry32). */
function poissonGaps(n: number, rate: number, seed: number): number[] {
  let a = seed >>> 0 || 1;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => -Math.log(1 - rnd()) / rate);
}

async function mgmt<T>(path: string): Promise<T | null> {
  const u = brokerUrls();
  try {
    const r = await fetch(`${u.mgmt}/api${path}`, { headers: { authorization: "Basic " + Buffer.from(`${u.mgmtUser}:${u.mgmtPassword}`).toString("base64") }, signal: AbortSignal.timeout(3000) });
    return r.ok ? ((await r.json()) as T) : null;
  } catch {
    return null;
  }
}

/** `rabbitmqctl list_consumers` (live): queue and per-consumer prefetch of every consumer; [] if unavailable. */
function listConsumers(): Promise<Array<{ queue_name: string; prefetch_count: number }>> {
  return new Promise((resolve) => {
    execFile("rabbitmqctl", ["-q", "list_consumers", "--formatter", "json", "queue_name", "prefetch_count"], { timeout: 15_000 }, (err, out) => {
      if (err) return resolve([]);
      try {
        resolve(JSON.parse(out) as Array<{ queue_name: string; prefetch_count: number }>);
      } catch {
        resolve([]);
      }
    });
  });
}

export async function runFanout(o: FanoutRunOptions): Promise<FanoutRunResult> {
  const s = o.scenario;
  const ch = s.channels.find((c) => c.kind === "topic" || c.kind === "queue");
  if (!ch) throw new Error(`${s.name}: no topic or queue channel`);
  const mode: FanoutRunResult["mode"] = ch.kind === "topic" ? "fanout" : "work-queue";
  const prod = s.producers.find((p) => p.to === ch.name)?.producer;
  if (!prod || (prod.type !== "poisson" && prod.type !== "interval")) throw new Error(`${s.name}: real mode needs a poisson or interval producer on ${ch.name}`);
  const n = Math.min(prod.count ?? 100, o.messages ?? prod.count ?? 100);
  const gapsS = prod.type === "poisson" ? poissonGaps(n, prod.ratePerSecond, s.seed) : Array.from({ length: n }, () => prod.intervalSeconds);
  const stages = s.stages.filter((st) => st.consumes?.channel === ch.name);
  const runId = `f${Date.now().toString(36)}${process.pid.toString(36)}`;
  const topic = `kedasim-${runId}-${ch.name}`;
  const u = brokerUrls();
  const prefetch = String(o.prefetch ?? 1);
  const psMeta = (consumerID?: string) => ({
    connectionString: u.componentAmqp,
    durable: "true",
    deletedWhenUnused: "false",
    requeueInFailure: "true",
    prefetchCount: prefetch,
    concurrency: "single",
    exchangeKind: "fanout",
    ...(consumerID ? { consumerID } : {}),
  });
  // fanout: consumerID = the stage's own app id → queue "<appId>-<topic>"; work queue: one shared consumerID
  const sharedConsumer = `${runId}-${ch.name}`;
  const appIdOf = (stage: string) => `${runId}-${stage}`;
  const queueOf = (stage: string) => (mode === "fanout" ? `${appIdOf(stage)}-${topic}` : `${sharedConsumer}-${topic}`);
  const defs = new Map<string, StageDef>([["producer", { name: "producer", appId: `${runId}-platformservice`, role: "producer", components: [{ name: "pubsub", type: "pubsub.rabbitmq", metadata: psMeta() }], env: { TOPO_MODE: "none" } }]]);
  for (const st of stages) {
    defs.set(st.name, {
      name: st.name,
      appId: appIdOf(st.name),
      role: "consumer",
      components: [{ name: "pubsub", type: "pubsub.rabbitmq", metadata: psMeta(mode === "work-queue" ? sharedConsumer : undefined) }],
      env: { TOPO_MODE: "pubsub", TOPO_PUBSUB: "pubsub", TOPO_TOPIC: topic, ...procEnv(st.processingTime, o.k, s.seed) },
      blockShutdownSeconds: 3,
    });
  }
  mkdirSync(o.outDir, { recursive: true });
  const t0wall = performance.now();
  const collector = new Collector();
  await collector.start();
  const rec = newRecorder(s, o.k, "rabbitmq", o.daprd);
  const runner = new StageRunner(runId, o.daprd, join(o.outDir, "work"), collector, defs);
  let publishErrors = 0;
  let crashed: FanoutRunResult["crashed"] = null;
  const brokerSeen: Record<string, { consumers: number; prefetch: number[] }> = {};
  let exchangeType: string | null = null;
  const afterStop: Record<string, number | null> = {};
  const queues = [...new Set(stages.map((st) => queueOf(st.name)))];
  try {
    const [pp] = await runner.add("producer", 1);
    rec.podsStarted(runner, "producer");
    for (const st of stages) {
      await runner.add(st.name, o.replicas);
      rec.podsStarted(runner, st.name);
    }
    await sleep(1000);
    // the broker's view: one queue per subscription, prefetch on every consumer
    // (rabbitmqctl is live; the management API's consumer details lag by a stats interval)
    const consumers = await listConsumers();
    for (const q of queues) {
      const mine = consumers.filter((c) => c.queue_name === q);
      brokerSeen[q] = { consumers: mine.length, prefetch: mine.map((c) => c.prefetch_count) };
    }
    exchangeType = (await mgmt<{ type: string }>(`/exchanges/%2f/${encodeURIComponent(topic)}`))?.type ?? null;
    rec.start();
    const tStart = performance.now();
    let due = 0;
    for (let i = 0; i < n; i++) {
      due += gapsS[i]! * 1000 * o.k;
      const wait = tStart + due - performance.now();
      if (wait > 0) await sleep(wait);
      const at = epochNow();
      for (const st of stages) rec.produced(st.name, i, at);
      const code = await daprPost(pp!.pair.ports.daprHttp, `/v1.0/publish/pubsub/${topic}`, { id: i, Event: "Platform_Published", Name: `platform-${i}` });
      if (code >= 300) publishErrors++;
      if (o.crash && i + 1 === o.crash.afterMessages) {
        const cs = o.crash.stage;
        await waitUntil(() => runner.list(cs).some((p) => (collector.ledger(cs).inFlight.get(p.name)?.size ?? 0) > 0), 5000, 5);
        const victim: RunningPod | undefined = runner.list(cs).find((p) => (collector.ledger(cs).inFlight.get(p.name)?.size ?? 0) > 0) ?? runner.list(cs)[0];
        if (victim) {
          const held = await runner.crash(cs, victim);
          rec.podGone(cs, victim.name, "crash");
          for (const id of held) rec.events.push({ t: epochNow(), stage: cs, event: "redelivered", id, pod: victim.name });
          crashed = { pod: victim.name, inFlight: held };
        }
      }
    }
    const expectedDistinct = mode === "fanout" ? n * stages.length : n;
    const distinct = () => (mode === "fanout" ? stages.reduce((a, st) => a + collector.ledger(st.name).distinctFinished, 0) : new Set(stages.flatMap((st) => [...collector.ledger(st.name).finished.keys()])).size);
    await waitUntil(() => distinct() >= expectedDistinct, o.timeoutMs ?? 120_000, 100);
    await sleep(300);
  } finally {
    await runner.stopAll();
    await collector.close();
    // after every consumer is gone, unacked deliveries are back in their queues: the queues must be empty
    const conn = await amqp.connect(u.amqp).catch(() => null);
    if (conn) {
      for (const q of queues) {
        const ch2 = await conn.createChannel();
        ch2.on("error", () => undefined);
        afterStop[q] = await ch2.checkQueue(q).then((x) => x.messageCount, () => null);
        await ch2.close().catch(() => undefined);
      }
      const ch3 = await conn.createChannel();
      ch3.on("error", () => undefined);
      for (const q of queues) await ch3.deleteQueue(q).catch(() => undefined);
      await ch3.deleteExchange(topic).catch(() => undefined);
      await conn.close().catch(() => undefined);
    }
  }
  const stagesOut: Record<string, FanoutStageResult> = {};
  const allFinished = new Set<number>();
  for (const st of stages) {
    const l = collector.ledger(st.name);
    for (const id of l.finished.keys()) allFinished.add(id);
    const lost: number[] = [];
    if (mode === "fanout") for (let i = 0; i < n; i++) if (!l.finished.has(i)) lost.push(i);
    const q = queueOf(st.name);
    stagesOut[st.name] = {
      queue: q,
      distinctFinished: l.distinctFinished,
      completions: l.completions,
      redeliveries: l.redeliveries,
      duplicates: l.duplicates,
      lost,
      podsThatWorked: l.podsThatWorked.size,
      maxBusyPods: l.maxBusyPods,
      brokerConsumers: brokerSeen[q]?.consumers ?? 0,
      brokerPrefetch: brokerSeen[q]?.prefetch ?? [],
      queueMessagesAfterStop: afterStop[q] ?? null,
    };
  }
  const result: FanoutRunResult = {
    scenario: s.name,
    runId,
    mode,
    topic,
    exchangeType,
    queues,
    published: n - publishErrors,
    publishErrors,
    crashed,
    stages: stagesOut,
    totalDistinct: mode === "fanout" ? Object.values(stagesOut).reduce((a, x) => a + x.distinctFinished, 0) : allFinished.size,
    totalCompletions: Object.values(stagesOut).reduce((a, x) => a + x.completions, 0),
    startupMs: runner.startupMs.map((x) => Math.round(x)),
    wallMs: Math.round(performance.now() - t0wall),
    drainScenarioS: rec.drainScenarioS(collector),
  };
  if (mode === "work-queue") {
    const lost: number[] = [];
    for (let i = 0; i < n; i++) if (!allFinished.has(i)) lost.push(i);
    for (const x of Object.values(stagesOut)) x.lost = lost;
  }
  writeTopologyTrace(o.outDir, rec, collector, result as unknown as Record<string, unknown>);
  return result;
}
