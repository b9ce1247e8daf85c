// Real-mode topology integration tests: seeds 002 (Kafka), 003 (NATS JetStream pipeline) and 004
// (RabbitMQ fanout) against live daprd sidecars and live local brokers, running the seed scenario files
// time-scaled (k = 0.1) with capped message counts. They need `npm run real:setup` (daprd, RabbitMQ,
// Kafka, nats-server); without it they are skipped — and they FAIL when CI=true. One file, so the runs
// go one after the other (2 CPUs). Wall time ≈ 130 s.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTopology } from "../../sim/topology/load.js";
import { parseTrace } from "../../sim/trace.js";
import { SETUP_HINT } from "../env.js";
import { IN_CI, REPO, holdLiveTestLock } from "../test-helpers.js";
import { checkTopologyPrereqs, type TopologyPrereqs } from "./brokers.js";
import { runFanout } from "./fanout.js";
import { runKafka } from "./kafka.js";
import { runPipeline } from "./pipeline.js";
import { probeJetStream } from "./probe-jetstream.js";

const K = 0.1;
const SC = (f: string) => join(REPO, "fixtures/scenarios", f);
const tmp = mkdtempSync(join(tmpdir(), "kedasim-topo-test-"));
// One live test file at a time (real/test-helpers.ts).
holdLiveTestLock(() => rmSync(tmp, { recursive: true, force: true }));

const cache = new Map<string, Promise<TopologyPrereqs>>();
async function requireBroker(broker: "kafka" | "nats" | "rabbitmq", ctx: { skip: (note?: string) => never }): Promise<string> {
  if (!cache.has(broker)) cache.set(broker, checkTopologyPrereqs(broker));
  const p = await cache.get(broker)!;
  if (p.ok) return p.daprd!;
  const why = p.problems.join("; ");
  if (IN_CI) throw new Error(`real-mode ${broker} prerequisites missing in CI (CI=true): ${why}`);
  ctx.skip(`${SETUP_HINT}: ${why}`);
}

/** One line per run in the test log: the numbers behind the assertions. */
function report(what: string, r: object): void {
  const skip = new Set(["partitions", "startupMs", "queues", "topic", "runId"]);
  console.log(`[real-topology] ${what}: ${JSON.stringify(r, (k, v) => (skip.has(k) && k !== "" && Array.isArray(v) && v.length > 8 ? `[${v.length} items]` : v))}`);
}

function traceOk(dir: string, stages: string[]): void {
  const t = parseTrace(readFileSync(join(dir, "trace.jsonl"), "utf8"));
  expect(t.header.source).toBe("real-local");
  expect(t.header.stages?.map((x) => x.name)).toEqual(expect.arrayContaining(stages));
  for (const st of stages) expect(t.records.some((r) => r.type === "done" && r.stage === st)).toBe(true);
  expect(existsSync(join(dir, "result.json"))).toBe(true);
}

describe("seed 002 for real: Kafka (KRaft, Maven Central jars) + daprd bindings.kafka", () => {
  it("topic sample:1:1 — 3 replicas, one busy consumer; nothing lost; broker lag 0", async (ctx) => {
    const daprd = await requireBroker("kafka", ctx);
    const out = join(tmp, "kafka-1");
    const r = await runKafka({ scenario: loadTopology(SC("seed-002-kafka-1-partition.yaml")), daprd, outDir: out, k: K, messages: 40, replicas: 3, kedaReadEveryMs: 2000 });
    report("kafka 1 partition", r);
    expect(r.publishErrors).toBe(0);
    expect(r.lost).toEqual([]);
    expect(r.completedDistinct).toBe(40);
    // at-least-once: completions = messages + counted duplicates (a rebalance can replay uncommitted offsets)
    expect(r.completions).toBe(40 + r.duplicates);
    // never more busy consumers than partitions, however many replicas
    expect(r.membersAtStart).toBe(3);
    expect(r.maxInFlight).toBeLessThanOrEqual(1 + r.ownershipChanges);
    expect(r.maxBusyPods).toBeLessThanOrEqual(1 + r.ownershipChanges);
    expect(r.podsThatWorked.length).toBeLessThanOrEqual(1 + r.ownershipChanges);
    // the broker: committed offset = log end on the only partition
    expect(r.broker.partitions.length).toBe(1);
    expect(r.broker.logEndTotal).toBe(40);
    expect(r.broker.lagTotal).toBe(0);
    // the seed's ScaledObject on the REAL offsets: the lag grows to 20+, and the trigger caps it at
    // lagThreshold × partitions = 10 — but KEDA compares with Go integer division (lag / 10 > 1), so a lag of
    // 10–19 passes uncapped and KEDA + HPA may ask for 2 replicas; never more. Busy consumers stay 1 (above).
    expect(r.keda.length).toBeGreaterThan(2);
    expect(Math.max(...r.keda.map((x) => x.rawLag))).toBeGreaterThanOrEqual(20);
    for (const x of r.keda) {
      expect(x.metric).toBeLessThanOrEqual(19);
      if (x.rawLag >= 20) expect(x.metric).toBe(10);
    }
    expect(Math.max(...r.keda.map((x) => x.desired))).toBeLessThanOrEqual(2);
    traceOk(out, ["bindings-nodeapp"]);
  }, 150_000);

  it("sample:1:1 with allowIdleConsumers — KEDA asks for more replicas on the real lag, still one busy consumer", async (ctx) => {
    const daprd = await requireBroker("kafka", ctx);
    const r = await runKafka({ scenario: loadTopology(SC("seed-002-kafka-1-partition-idle-consumers.yaml")), daprd, outDir: join(tmp, "kafka-idle"), k: K, messages: 40, replicas: 3, kedaReadEveryMs: 2000 });
    report("kafka 1 partition, allowIdleConsumers", r);
    expect(Math.max(...r.keda.map((x) => x.desired))).toBeGreaterThan(1);
    expect(r.membersAtStart).toBe(3);
    // one busy consumer — except that a rebalance may hand the partition to another member while the old one
    // still finishes its message (sarama does not cancel Dapr's handler): each such handover is counted, and
    // the message replayed from the last commit is a counted duplicate
    expect(r.maxInFlight).toBeLessThanOrEqual(1 + r.ownershipChanges);
    expect(r.maxBusyPods).toBeLessThanOrEqual(1 + r.ownershipChanges);
    expect(r.lost).toEqual([]);
    expect(r.broker.lagTotal).toBe(0);
  }, 150_000);

  it("6 partitions — 4 replicas share the 6 partitions, ≤ 6 in flight, drains faster; nothing lost; broker lag 0", async (ctx) => {
    const daprd = await requireBroker("kafka", ctx);
    const out = join(tmp, "kafka-6");
    const r = await runKafka({ scenario: loadTopology(SC("seed-002-kafka-6-partitions.yaml")), daprd, outDir: out, k: K, messages: 40, replicas: 4 });
    report("kafka 6 partitions", r);
    expect(r.lost).toEqual([]);
    expect(r.completedDistinct).toBe(40);
    expect(r.completions).toBe(40 + r.duplicates);
    expect(r.membersAtStart).toBe(4);
    expect(r.maxInFlight).toBeLessThanOrEqual(6 + r.ownershipChanges);
    expect(r.maxBusyPods).toBeLessThanOrEqual(4);
    expect(r.maxBusyPods).toBeGreaterThan(1);
    // every partition is owned by exactly one pod (unless a counted rebalance handed one over) —
    // observable only where the sidecar tells the app the partition: daprd 1.9's bindings.kafka
    // passes the record's headers only, so there the ledger has no partitions to check.
    const owned = Object.values(r.partitionsByPod).flat();
    if (r.partitionsReported > 0) expect(owned.length).toBeGreaterThan(0);
    else expect(owned).toEqual([]);
    expect(owned.length - new Set(owned).size).toBeLessThanOrEqual(r.ownershipChanges);
    expect(r.broker.partitions.length).toBe(6);
    expect(r.broker.logEndTotal).toBe(40);
    expect(r.broker.lagTotal).toBe(0);
    // 40 × 3 s on one partition ≥ 120 s of scenario time; spread over ≥ 2 busy consumers it must be well below
    expect(r.drainScenarioS).toBeLessThan(100);
  }, 150_000);
});

describe("seed 003 for real: NATS JetStream (Debian nats-server) + daprd pubsub.jetstream", () => {
  it("two replicas share one durable + queue group (the §3.4 risk) and split the messages", async (ctx) => {
    await requireBroker("nats", ctx);
    const r = await probeJetStream({ messages: 40 });
    report("jetstream probe", r);
    expect(r.received).toBe(40);
    expect(Object.keys(r.receivedByPod).length).toBe(2);
    expect(r.consumers).toEqual(["workers"]);
    expect(r.daprdErrors.filter((e) => !/mdns/.test(e))).toEqual([]);
  }, 60_000);

  it("at-least-once (ackPolicy explicit) with mapper crashes: no send lost, every chunk saved, broker has nothing pending", async (ctx) => {
    const daprd = await requireBroker("nats", ctx);
    const out = join(tmp, "js-alo");
    const r = await runPipeline({ scenario: loadTopology(SC("seed-003-jetstream-at-least-once.yaml")), daprd, outDir: out, k: K, chunks: 60, mappers: 4 });
    report("jetstream at-least-once + crashes", r);
    expect(r.crashes.length).toBeGreaterThan(0);
    expect(r.lostSends).toBe(0);
    expect(r.unsavedChunks).toEqual([]);
    expect(r.savedChunks).toBe(60);
    // what the crashed mappers held came back by redelivery (counted); duplicates are counted, not hidden
    const held = r.crashes.reduce((a, c) => a + c.held.length, 0);
    expect(r.mapperRedeliveries).toBeGreaterThanOrEqual(held);
    expect(r.broker.mapper?.num_pending).toBe(0);
    expect(r.broker.mapper?.num_ack_pending).toBe(0);
    expect(r.broker.mapperStreamMessages).toBe(r.sends);
    traceOk(out, ["mapper", "saver"]);
  }, 150_000);

  it("at-most-once (ackPolicy none) loses nothing without crashes", async (ctx) => {
    const daprd = await requireBroker("nats", ctx);
    const r = await runPipeline({ scenario: loadTopology(SC("seed-003-nats-at-most-once.yaml")), daprd, outDir: join(tmp, "amo-0"), k: K, chunks: 40, mappers: 4, crashes: false });
    report("at-most-once, no crash", r);
    expect(r.crashes).toEqual([]);
    expect(r.lostSends).toBe(0);
    expect(r.resent).toBe(0);
    expect(r.savedChunks).toBe(40);
    expect(r.duplicateSaves).toBe(0);
  }, 150_000);

  it("at-most-once with mapper crashes: the loss is counted and the fetcher's resend saves every chunk", async (ctx) => {
    const daprd = await requireBroker("nats", ctx);
    const r = await runPipeline({ scenario: loadTopology(SC("seed-003-nats-at-most-once.yaml")), daprd, outDir: join(tmp, "amo-crash"), k: K, chunks: 60, mappers: 4 });
    report("at-most-once + crashes", r);
    const held = r.crashes.reduce((a, c) => a + c.held.length, 0);
    expect(held).toBeGreaterThan(0);
    // every chunk a crashed mapper held is lost (no redelivery), plus whatever sat in its sidecar's buffer
    expect(r.lostSends).toBeGreaterThanOrEqual(held);
    expect(r.mapperRedeliveries).toBe(0);
    expect(r.resent).toBeGreaterThanOrEqual(r.lostSends);
    expect(r.unsavedChunks).toEqual([]);
    expect(r.savedChunks).toBe(60);
  }, 150_000);
});

describe("seed 004 for real: RabbitMQ fanout via daprd pubsub.rabbitmq", () => {
  it("fanout: each subscriber app gets its own queue and every message; a crash adds counted redeliveries only", async (ctx) => {
    const daprd = await requireBroker("rabbitmq", ctx);
    const out = join(tmp, "fanout");
    const n = 60;
    const r = await runFanout({ scenario: loadTopology(SC("seed-004-rabbitmq-fanout.yaml")), daprd, outDir: out, k: K, messages: n, replicas: 2, crash: { stage: "commandsservice", afterMessages: 30 } });
    report("fanout", r);
    expect(r.exchangeType).toBe("fanout");
    expect(r.queues.length).toBe(2);
    expect(r.published).toBe(n);
    for (const [name, st] of Object.entries(r.stages)) {
      expect(st.lost, name).toEqual([]);
      expect(st.distinctFinished, name).toBe(n);
      expect(st.completions, name).toBe(n + st.duplicates);
      expect(st.brokerConsumers, name).toBe(2);
      expect(st.brokerPrefetch, name).toEqual([1, 1]);
      expect(st.queueMessagesAfterStop, name).toBe(0);
    }
    // subscribers × messages distinct completions
    expect(r.totalDistinct).toBe(2 * n);
    expect(r.totalCompletions).toBe(2 * n + Object.values(r.stages).reduce((a, s) => a + s.duplicates, 0));
    expect(r.crashed).not.toBeNull();
    expect(r.stages.commandsservice!.redeliveries).toBeGreaterThanOrEqual(r.crashed!.inFlight.length);
    traceOk(out, ["commandsservice", "searchservice"]);
  }, 150_000);

  it("work-queue contrast: both apps on one queue — each message processed once in total", async (ctx) => {
    const daprd = await requireBroker("rabbitmq", ctx);
    const n = 60;
    const r = await runFanout({ scenario: loadTopology(SC("seed-004-work-queue-contrast.yaml")), daprd, outDir: join(tmp, "workq"), k: K, messages: n, replicas: 1 });
    report("work queue", r);
    expect(r.mode).toBe("work-queue");
    expect(r.queues.length).toBe(1);
    expect(r.totalDistinct).toBe(n);
    expect(r.totalCompletions).toBe(n);
    const [a, b] = Object.values(r.stages);
    expect(a!.completions + b!.completions).toBe(n);
    expect(a!.completions).toBeGreaterThan(0);
    expect(b!.completions).toBeGreaterThan(0);
    expect(a!.queueMessagesAfterStop).toBe(0);
  }, 150_000);
});
