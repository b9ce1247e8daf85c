// Seed 002 for real: the scenario's producer POSTs {"data":{"orderId":n},"operation":"create"} to its
// sidecar's output binding (bindings.kafka) every intervalSeconds × k; R consumer replicas (daprd +
// worker, input bindings.kafka, one consumer group) process each message for processingTime × k.
// Checked against the broker at the end: the group's committed offsets reach the log end on every
// partition (lag 0) and Σ log-end = produced; and against the ledger: no id lost, at most `partitions`
// pods busy at once.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createTopic, deleteTopic, describeGroup, groupMembers, KAFKA_BOOTSTRAP, type GroupPartition } from "./brokers.js";
import { Collector, daprPost, sleep, StageRunner, waitUntil, type StageDef, type TopologyRunOptions } from "./stages.js";
import { epochNow, procEnv, writeTopologyTrace, type RunRecorder, newRecorder } from "./trace.js";

export interface KafkaRunOptions extends TopologyRunOptions {
  /** Cap on the scenario's message count (time-scaled CI runs). */
  messages?: number;
  /** Consumer replicas (fixed for the run). */
  replicas: number;
  /** Override the topic's partition count. */
  partitions?: number;
  /** Wall ms between reads of the group's real offsets fed to the stage's KEDA kafka trigger (0 = off). */
  kedaReadEveryMs?: number;
}

/** The stage's KEDA kafka trigger applied to the real committed/log-end offsets at one instant. */
export interface KedaReading {
  t: number; // scenario seconds
  /** Σ (log end − committed) as the broker reports it (a partition without commit counts per the trigger). */
  rawLag: number;
  /** What the trigger hands to the HPA (lag capped at lagThreshold × partitions unless allowIdleConsumers). */
  metric: number;
  active: boolean;
  /** ceil(metric / lagThreshold) clamped to [1, maxReplicaCount]: the replicas KEDA + HPA would ask for. */
  desired: number;
}

export interface KafkaRunResult {
  scenario: string;
  runId: string;
  partitions: number;
  replicas: number;
  produced: number;
  publishErrors: number;
  completedDistinct: number;
  completions: number;
  redeliveries: number;
  duplicates: number;
  lost: number[];
  maxBusyPods: number;
  /** Group members the broker listed before the first message (should equal replicas). */
  membersAtStart: number;
  /** Times a partition was handed to another pod mid-run (rebalances); each may overlap the old owner's in-flight message. */
  ownershipChanges: number;
  /** Deliveries whose partition the sidecar reported (0 with daprd 1.9's bindings.kafka). */
  partitionsReported: number;
  /** The KEDA kafka trigger on the live offsets, every kedaReadEveryMs (empty when off or no ScaledObject). */
  keda: KedaReading[];
  /** Most messages in flight at once (one per active partition loop). */
  maxInFlight: number;
  podsThatWorked: string[];
  partitionsByPod: Record<string, number[]>;
  broker: { partitions: GroupPartition[]; logEndTotal: number; lagTotal: number | null };
  startupMs: number[];
  wallMs: number;
  drainScenarioS: number;
}

export async function runKafka(o: KafkaRunOptions): Promise<KafkaRunResult> {
  const s = o.scenario;
  const log = s.channels.find((c) => c.kind === "log");
  if (!log || log.kind !== "log") throw new Error(`${s.name}: no log channel (not a Kafka scenario)`);
  const stage = s.stages.find((st) => st.consumes?.kind === "log");
  if (!stage) throw new Error(`${s.name}: no stage consumes the log`);
  const prod = s.producers.find((p) => p.to === log.name)?.producer;
  if (!prod || prod.type !== "interval") throw new Error(`${s.name}: real mode needs an interval producer on ${log.name}`);
  const partitions = o.partitions ?? log.partitions;
  const n = Math.min(prod.count, o.messages ?? prod.count);
  const intervalMs = prod.intervalSeconds * 1000 * o.k;
  const runId = `k${Date.now().toString(36)}${process.pid.toString(36)}`;
  const topic = `kedasim-${runId}-${log.name}`;
  const group = `${runId}-${(stage.consumes as { group: string }).group}`;
  mkdirSync(o.outDir, { recursive: true });
  const t0wall = performance.now();

  await createTopic(topic, partitions);
  const collector = new Collector();
  await collector.start();
  // On one partition every delivery is from partition 0, whether or not the sidecar says so.
  if (partitions === 1) collector.ledger(stage.name).partitionWhenUnreported = 0;
  const kafkaMeta = { brokers: KAFKA_BOOTSTRAP, authType: "none", clientId: runId, version: "3.0.0" };
  const defs = new Map<string, StageDef>([
    ["producer", { name: "producer", appId: `${runId}-pythonapp`, role: "producer", components: [{ name: "sample-topic", type: "bindings.kafka", metadata: { ...kafkaMeta, publishTopic: topic, direction: "output" } }], env: { TOPO_MODE: "none" } }],
    [
      stage.name,
      {
        name: stage.name,
        appId: `${runId}-nodeapp`,
        role: "consumer",
        // initialOffset oldest: a fresh group per run, so "oldest" = everything of this run — no message
        // produced during a rebalance is skipped (the seed's `newest` would only matter for a pre-existing topic).
        components: [{ name: "sample", type: "bindings.kafka", metadata: { ...kafkaMeta, topics: topic, consumerGroup: group, initialOffset: "oldest", direction: "input", sessionTimeout: "10s", heartbeatInterval: "1s" } }],
        env: { TOPO_MODE: "binding", TOPO_BINDING: "sample", ...procEnv(stage.processingTime, o.k, s.seed) },
        blockShutdownSeconds: 2,
      },
    ],
  ]);
  const rec: RunRecorder = newRecorder(s, o.k, "kafka", o.daprd);
  const runner = new StageRunner(runId, o.daprd, join(o.outDir, "work"), collector, defs);
  let publishErrors = 0;
  let members = 0;
  const keda: KedaReading[] = [];
  let kedaDone = false;
  let kedaLoop: Promise<void> = Promise.resolve();
  let brokerRows: GroupPartition[] = [];
  try {
    const [pp] = await runner.add("producer", 1);
    rec.podsStarted(runner, "producer");
    await runner.add(stage.name, o.replicas);
    rec.podsStarted(runner, stage.name);
    // let the group settle before the first message: every replica a member (so no join-triggered
    // rebalance moves a partition mid-run), then a moment for the assignment to reach all members
    const t0m = performance.now();
    while ((members = await groupMembers(group)) < o.replicas && performance.now() - t0m < 30_000) await sleep(300);
    await sleep(1000);
    rec.start();
    kedaLoop = (async () => {
      const trig = stage.scaling?.scaledObject.triggers[0];
      const every = o.kedaReadEveryMs ?? 0;
      if (!trig || trig.type !== "kafka" || every <= 0) return;
      const so = stage.scaling!.scaledObject;
      while (!kedaDone) {
        const rows = await describeGroup(group).catch(() => [] as GroupPartition[]);
        // the tool reads the offsets at its end (after ~1–2 s of JVM start): stamp the reading then
        const at = epochNow();
        if (rows.length) {
          const parts = [...rows].sort((a, b) => a.partition - b.partition).map((r) => ({ latest: r.logEnd, committed: r.current }));
          const reading = trig.read({ ready: 0, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0, partitions: parts });
          const rawLag = parts.reduce((a, p) => a + (p.committed === null ? 1 : p.latest - p.committed), 0);
          const desired = Math.min(so.maxReplicaCount, Math.max(1, Math.ceil(reading.value / trig.target)));
          keda.push({ t: Math.round(rec.scen(at) * 10) / 10, rawLag, metric: reading.value, active: reading.active, desired });
        }
        await sleep(every);
      }
    })();
    const tStart = performance.now();
    for (let i = 0; i < n; i++) {
      const due = tStart + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      rec.produced(stage.name, i);
      const st = await daprPost(pp!.pair.ports.daprHttp, "/v1.0/bindings/sample-topic", { data: { orderId: i }, operation: "create" });
      if (st >= 300) publishErrors++;
    }
    const ledger = collector.ledger(stage.name);
    await waitUntil(() => ledger.distinctFinished >= n, o.timeoutMs ?? 120_000, 100);
    kedaDone = true;
    await kedaLoop;
    // commits are asynchronous (sarama auto-commit every 1 s): poll the broker until lag 0 or 20 s
    const end = performance.now() + 20_000;
    do {
      await sleep(1200);
      brokerRows = await describeGroup(group).catch(() => []);
    } while (performance.now() < end && !(brokerRows.length === partitions && brokerRows.every((r) => r.lag === 0)));
  } finally {
    kedaDone = true;
    await kedaLoop.catch(() => undefined);
    await runner.stopAll();
    await collector.close();
    await deleteTopic(topic).catch(() => undefined);
  }
  const ledger = collector.ledger(stage.name);
  const lost: number[] = [];
  for (let i = 0; i < n; i++) if (!ledger.finished.has(i)) lost.push(i);
  const partitionsByPod: Record<string, number[]> = {};
  for (const [p, set] of ledger.partitionsByPod) partitionsByPod[p] = [...set].sort((a, b) => a - b);
  const lagTotal = brokerRows.length ? brokerRows.reduce((a, r) => a + (r.lag ?? Number.NaN), 0) : null;
  const result: KafkaRunResult = {
    scenario: s.name,
    runId,
    partitions,
    replicas: o.replicas,
    produced: n - publishErrors,
    publishErrors,
    completedDistinct: ledger.distinctFinished,
    completions: ledger.completions,
    redeliveries: ledger.redeliveries,
    duplicates: ledger.duplicates,
    lost,
    maxBusyPods: ledger.maxBusyPods,
    membersAtStart: members,
    ownershipChanges: ledger.ownershipChanges,
    partitionsReported: ledger.partitionsReported,
    keda,
    maxInFlight: ledger.maxInFlight,
    podsThatWorked: [...ledger.podsThatWorked].sort(),
    partitionsByPod,
    broker: { partitions: brokerRows, logEndTotal: brokerRows.reduce((a, r) => a + r.logEnd, 0), lagTotal },
    startupMs: runner.startupMs.map((x) => Math.round(x)),
    wallMs: Math.round(performance.now() - t0wall),
    drainScenarioS: rec.drainScenarioS(collector),
  };
  writeTopologyTrace(o.outDir, rec, collector, result as unknown as Record<string, unknown>);
  return result;
}
