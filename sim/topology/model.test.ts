import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { join, resolve } from "node:path";
import { resolveScenario } from "../scenario/load.js";
import { simulate } from "../run.js";
import { fcSeed, runs, timeout } from "../properties/budget.js";
import type { CompletionRecord, MessageEventRecord, SampleRecord, TraceRecord } from "../trace.js";
import { benchSeed003, loadTopology, resolveTopology, seed003Scenario, simulateTopology, topologyTraceText, type TopologyRunOutput } from "./run.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SCENARIOS = join(ROOT, "fixtures/scenarios");
const fixture = (name: string) => loadTopology(join(SCENARIOS, `${name}.yaml`));

const dep = (name: string, replicas: number, grace = 30) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name }, spec: { replicas, template: { spec: { terminationGracePeriodSeconds: grace } } } });

function topo(raw: Record<string, unknown>) {
  return resolveTopology(raw, SCENARIOS, "inline-topology.yaml");
}

const samplesOf = (rs: TraceRecord[], stage: string) => rs.filter((r): r is SampleRecord => r.type === "sample" && r.stage === stage);
const events = (rs: TraceRecord[], ev: MessageEventRecord["event"], stage?: string) => rs.filter((r): r is MessageEventRecord => r.type === "message" && r.event === ev && (stage === undefined || r.stage === stage));
const stageSum = (o: TopologyRunOutput, name: string) => o.summary.stages!.find((s) => s.stage === name)!;
const unique = (o: TopologyRunOutput, name: string) => Number(stageSum(o, name).notes!.uniqueProcessed);

/** Conservation, checked on every sample of every stage that is the only consumer of its queue/log. */
function checkConservation(o: TopologyRunOutput, label: string): void {
  const shared = new Set<string>();
  const stages = o.header.stages!;
  const seen = new Map<string, number>();
  for (const st of stages) if (st.consumes) seen.set(st.consumes, (seen.get(st.consumes) ?? 0) + 1);
  for (const st of stages) if (st.consumes && seen.get(st.consumes)! > 1) shared.add(st.name);
  for (const st of stages) {
    if (!st.consumes || shared.has(st.name)) continue;
    for (const s of samplesOf(o.records, st.name)) {
      if (s.produced !== s.completed + s.lost + s.queued + s.inFlight) {
        throw new Error(`${label}: stage ${st.name} at t=${s.t}: produced ${s.produced} != completed ${s.completed} + lost ${s.lost} + queued ${s.queued} + inFlight ${s.inFlight}`);
      }
    }
  }
  for (const ib of o.inboxes) {
    if (ib.enqueued !== ib.acked + ib.lost + ib.ready + ib.unacked) throw new Error(`${label}: queue ${ib.id}: enqueued ${ib.enqueued} != acked ${ib.acked} + lost ${ib.lost} + ready ${ib.ready} + unacked ${ib.unacked}`);
  }
  for (const g of o.groups) {
    if (g.appended !== g.completedUnique + g.skipped + g.pending) throw new Error(`${label}: log ${g.log}/${g.group}: appended ${g.appended} != completed ${g.completedUnique} + skipped ${g.skipped} + pending ${g.pending}`);
  }
  // every loss is a trace event with a reason
  const lostEvents = events(o.records, "lost").length;
  if (lostEvents !== o.summary.messages.lost) throw new Error(`${label}: ${lostEvents} lost events but summary lost ${o.summary.messages.lost}`);
}

describe("seed 003: fetcher → mapper → saver", () => {
  for (const delivery of ["at-most-once", "at-least-once"] as const) {
    it(`${delivery}, no crashes: all 1 000 chunks saved exactly once, nothing lost, resent or duplicated`, () => {
      const o = simulateTopology(seed003Scenario({ delivery, crashes: false }));
      checkConservation(o, delivery);
      expect(o.sources[0]).toMatchObject({ chunks: 1000, sent: 1000, resent: 0, confirmed: 1000, duplicateConfirmations: 0 });
      const saver = stageSum(o, "saver");
      expect(saver.messages).toMatchObject({ received: 1000, completed: 1000, lost: 0, duplicates: 0, redelivered: 0 });
      expect(unique(o, "saver")).toBe(1000);
      expect(o.summary.messages).toMatchObject({ produced: 1000, completed: 1000, lost: 0, duplicates: 0, redelivered: 0 });
      // the handshake: a chunk only ever goes to a free mapper, so no mapper holds more than one
      expect(Math.max(...samplesOf(o.records, "mapper").map((s) => s.inFlight))).toBeLessThanOrEqual(10);
      expect(stageSum(o, "mapper").replicas.peakBusy).toBe(10);
    });
  }

  it("core NATS with crashes: each crash of a busy mapper loses its chunk (counted), the 60 s resend brings it back, every chunk is saved once", () => {
    const o = simulateTopology(fixture("seed-003-nats-at-most-once"));
    checkConservation(o, "nats");
    const mapper = stageSum(o, "mapper");
    const crashed = events(o.records, "abandoned", "mapper").filter((e) => /crashed/.test(e.reason ?? ""));
    expect(crashed.length).toBe(6); // 2 + 3 + 1 crashes, every mapper busy
    expect(mapper.messages.lost).toBe(crashed.length);
    // every loss is at the instant of a crash, by the crashed pod
    for (const l of events(o.records, "lost", "mapper")) expect(crashed.some((c) => c.t === l.t && c.pod === l.pod && c.id === l.id)).toBe(true);
    expect(o.sources[0].resent).toBe(mapper.messages.lost);
    expect(unique(o, "saver")).toBe(1000);
    expect(stageSum(o, "saver").messages.duplicates).toBe(0);
  });

  it("JetStream with the same crashes: nothing lost, the 6 chunks redelivered after ackWait, nothing resent", () => {
    const o = simulateTopology(fixture("seed-003-jetstream-at-least-once"));
    checkConservation(o, "jetstream");
    expect(o.summary.messages.lost).toBe(0);
    const mapper = stageSum(o, "mapper");
    expect(mapper.messages.redelivered).toBe(6);
    // the stream hands a chunk out again ackWait (30 s) after the delivery it replaces — the crash came ≤ 10 s
    // after that delivery — and a mapper takes it as soon as one is free (≤ 10 s later)
    for (const r of events(o.records, "redelivered", "mapper")) {
      const crash = o.records.find((x) => x.type === "message" && x.event === "abandoned" && x.id === r.id) as MessageEventRecord;
      expect(r.t - crash.t).toBeGreaterThanOrEqual(20 - 1e-9);
      expect(r.t - crash.t).toBeLessThanOrEqual(40 + 1e-9);
    }
    expect(o.sources[0].resent).toBe(0);
    expect(unique(o, "saver")).toBe(1000);
    expect(o.summary.messages.duplicates).toBe(0);
  });

  it("core NATS without resend: saved = 1 000 − lost", () => {
    const o = simulateTopology(fixture("seed-003-nats-at-most-once-no-resend"));
    checkConservation(o, "no-resend");
    const lost = stageSum(o, "mapper").messages.lost;
    expect(lost).toBeGreaterThan(0);
    expect(unique(o, "saver")).toBe(1000 - lost);
    expect(o.sources[0]).toMatchObject({ sent: 1000, resent: 0, confirmed: 1000 - lost });
  });

  it("the app's own loop (a random unconfirmed chunk per send): every chunk saved; duplicates = saved copies − 1 000 = sends − lost − 1 000", () => {
    const o = simulateTopology(fixture("seed-003-app9-random-resend"));
    checkConservation(o, "app9");
    const src = o.sources[0];
    const saver = stageSum(o, "saver");
    const lost = stageSum(o, "mapper").messages.lost;
    expect(unique(o, "saver")).toBe(1000);
    expect(saver.messages.completed).toBe(src.sent + src.resent - lost);
    expect(saver.messages.duplicates).toBe(saver.messages.completed - 1000);
    expect(saver.messages.duplicates).toBeGreaterThan(0);
    expect(src.duplicateConfirmations).toBe(saver.messages.duplicates);
  });

  it("the benchmark entry point runs the 100 000-object pipeline", () => {
    const b = benchSeed003();
    expect(b.sources[0]).toMatchObject({ chunks: 1000, confirmed: 1000 });
    expect(b.wallMs).toBeGreaterThan(0);
  });
});

describe("seed 002: Kafka partitions and the consumer group", () => {
  it("1 partition: never more than one busy consumer; KEDA's cap keeps desired ≤ 2 (P + 1 by integer division)", () => {
    const o = simulateTopology(fixture("seed-002-kafka-1-partition"));
    checkConservation(o, "1p");
    const ss = samplesOf(o.records, "bindings-nodeapp");
    expect(Math.max(...ss.map((s) => s.busy))).toBe(1);
    expect(Math.max(...ss.map((s) => s.desired))).toBeLessThanOrEqual(2);
    expect(Math.max(...ss.map((s) => s.metric))).toBeLessThanOrEqual(19);
    expect(o.summary.messages).toMatchObject({ produced: 600, completed: 600, lost: 0 });
    // one partition at 3 s per message: at most 1/3 msg/s, so the last of 600 is done ≥ 1 800 s after the first
    expect(o.summary.drainTimeS!).toBeGreaterThanOrEqual(600 * 3 - 1e-6);
  });

  it("1 partition with allowIdleConsumers: the HPA scales to 10, still one busy consumer, the same throughput", () => {
    const capped = simulateTopology(fixture("seed-002-kafka-1-partition"));
    const o = simulateTopology(fixture("seed-002-kafka-1-partition-idle-consumers"));
    checkConservation(o, "idle");
    const ss = samplesOf(o.records, "bindings-nodeapp");
    expect(Math.max(...ss.map((s) => s.ready))).toBe(10);
    expect(Math.max(...ss.map((s) => s.busy))).toBe(1);
    expect(o.summary.drainTimeS!).toBeGreaterThanOrEqual(1800 - 1e-6);
    expect(Math.abs(o.summary.drainTimeS! - capped.summary.drainTimeS!)).toBeLessThan(10);
  });

  it("6 partitions: several busy consumers, never more than 6, and the backlog drains far sooner", () => {
    const one = simulateTopology(fixture("seed-002-kafka-1-partition"));
    const o = simulateTopology(fixture("seed-002-kafka-6-partitions"));
    checkConservation(o, "6p");
    const ss = samplesOf(o.records, "bindings-nodeapp");
    const busy = Math.max(...ss.map((s) => s.busy));
    expect(busy).toBeGreaterThan(1);
    expect(busy).toBeLessThanOrEqual(6);
    expect(o.summary.drainTimeS!).toBeLessThan(one.summary.drainTimeS! / 1.5);
  });

  it("exact: a 1-partition log with constant service D never completes two messages less than D apart, whatever the replicas", () => {
    for (const replicas of [1, 3, 8]) {
      const D = 2;
      const o = simulateTopology(
        topo({
          name: "one-partition",
          channels: [{ name: "log", kind: "log", partitions: 1 }],
          producers: [{ type: "poisson", ratePerSecond: 2, count: 60, to: "log" }],
          stages: [{ name: "c", consumes: { channel: "log", initialOffset: "oldest" }, processingTime: D, concurrency: 4, manifests: [dep("c", replicas)] }],
        }),
        { perMessage: true },
      );
      checkConservation(o, `D=${D} R=${replicas}`);
      const done = o.records.filter((r): r is CompletionRecord => r.type === "done").map((r) => r.t);
      expect(done.length).toBe(60);
      for (let i = 1; i < done.length; i++) expect(done[i] - done[i - 1]).toBeGreaterThanOrEqual(D - 1e-9);
      expect(Math.max(...samplesOf(o.records, "c").map((s) => s.busy))).toBe(1);
    }
  });

  it("a group without committed offset starts at the newest offset: what was produced before is skipped and counted lost", () => {
    const o = simulateTopology(
      topo({
        name: "newest",
        channels: [{ name: "log", kind: "log", partitions: 2, partitioner: "round-robin" }],
        producers: [{ type: "burst", count: 10, at: 0, to: "log" }, { type: "burst", count: 6, at: 100, to: "log" }],
        stages: [{ name: "c", consumes: { channel: "log", rebalanceDelaySeconds: 3 }, processingTime: 1, initialReplicas: 0, manifests: [dep("c", 0)], faults: {} }],
        duration: 50,
      }),
    );
    // no consumer at all: nothing consumed, nothing skipped yet
    expect(o.groups[0]).toMatchObject({ appended: 10, skipped: 0, completedUnique: 0, pending: 10 });
    const o2 = simulateTopology(
      topo({
        name: "newest-join",
        channels: [{ name: "log", kind: "log", partitions: 2, partitioner: "round-robin" }],
        producers: [{ type: "burst", count: 10, at: 0, to: "log" }, { type: "burst", count: 6, at: 100, to: "log" }],
        stages: [
          {
            name: "c",
            consumes: { channel: "log", rebalanceDelaySeconds: 3 },
            processingTime: 1,
            manifests: [
              dep("c", 0),
              { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "s" }, spec: { scaleTargetRef: { name: "c" }, triggers: [{ type: "kafka", metadata: { bootstrapServers: "k", consumerGroup: "c", topic: "log" } }] } },
            ],
            keda: { pollPhaseSeconds: 5 },
            hpa: { syncPhaseSeconds: 1 },
          },
        ],
      }),
    );
    checkConservation(o2, "newest");
    // KEDA sees "no committed offset" (lag 1 per partition) and scales 0 → 1; the member joins and starts at the end
    expect(o2.groups[0]).toMatchObject({ appended: 16, skipped: 10, completedUnique: 6, pending: 0 });
    expect(events(o2.records, "lost", "c").every((e) => /initialOffset newest/.test(e.reason ?? ""))).toBe(true);
  });

  it("a crashed owner's processed-but-uncommitted messages are processed again (duplicates, counted), nothing is lost", () => {
    const o = simulateTopology(
      topo({
        name: "uncommitted",
        channels: [{ name: "log", kind: "log", partitions: 1 }],
        producers: [{ type: "interval", count: 200, intervalMilliseconds: 50, to: "log" }],
        stages: [{ name: "c", consumes: { channel: "log", initialOffset: "oldest", autoCommitIntervalSeconds: 1 }, processingTime: 0.04, manifests: [dep("c", 2)], faults: { kills: [{ at: 5.5, count: 1 }] } }],
      }),
    );
    checkConservation(o, "uncommitted");
    const st = stageSum(o, "c");
    expect(st.messages.lost).toBe(0);
    expect(st.messages.completed).toBe(200);
    expect(st.messages.duplicates).toBeGreaterThan(0);
    expect(events(o.records, "duplicate", "c").length).toBe(st.messages.duplicates);
    expect(st.messages.redelivered).toBeGreaterThanOrEqual(st.messages.duplicates);
  });

  it("handler errors: skipped (lost, counted) unless consumeRetryEnabled, which retries and loses nothing", () => {
    const mk = (retry: boolean) =>
      topo({
        name: `errors-${retry}`,
        channels: [{ name: "log", kind: "log", partitions: 3 }],
        producers: [{ type: "burst", count: 300, to: "log" }],
        stages: [{ name: "c", consumes: { channel: "log", initialOffset: "oldest", consumeRetryEnabled: retry }, processingTime: 0.1, handlerErrorRate: 0.2, concurrency: 3, manifests: [dep("c", 2)] }],
      });
    const skip = simulateTopology(mk(false));
    checkConservation(skip, "skip");
    expect(skip.groups[0].skipped).toBeGreaterThan(30);
    expect(stageSum(skip, "c").messages.lost).toBe(skip.groups[0].skipped);
    expect(stageSum(skip, "c").messages.completed + skip.groups[0].skipped).toBe(300);
    const retry = simulateTopology(mk(true));
    checkConservation(retry, "retry");
    expect(retry.summary.messages.lost).toBe(0);
    expect(stageSum(retry, "c").messages.completed).toBe(300);
  });
});

describe("seed 004: fanout vs work queue", () => {
  it("fanout: every subscriber app processes every message; each scales on its own queue", () => {
    const o = simulateTopology(fixture("seed-004-rabbitmq-fanout"));
    checkConservation(o, "fanout");
    const N = o.summary.messages.produced;
    expect(N).toBe(300);
    for (const s of ["commandsservice", "searchservice"]) {
      expect(stageSum(o, s).messages).toMatchObject({ received: N, completed: N, lost: 0, duplicates: 0 });
      expect(stageSum(o, s).scaleEvents).toBeGreaterThan(0);
    }
    expect(o.summary.messages.completed).toBe(2 * N);
    expect(o.inboxes.map((i) => i.enqueued)).toEqual([N, N]);
  });

  it("work queue: each message is processed by exactly one of the two apps", () => {
    const o = simulateTopology(fixture("seed-004-work-queue-contrast"));
    checkConservation(o, "work");
    const a = stageSum(o, "commandsservice").messages.completed;
    const b = stageSum(o, "searchservice").messages.completed;
    expect(a + b).toBe(300);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(o.inboxes).toHaveLength(1);
  });
});

describe("per-stage autoscaling is the single-queue model's", () => {
  const MANIFESTS = ["../manifests/rabbitmq/scaledobject-amqp.yaml", "../manifests/rabbitmq/component.yaml", "../manifests/rabbitmq/deployment.yaml"];
  for (const variant of [
    { name: "burst, AMQP", trigger: "../manifests/rabbitmq/scaledobject-amqp.yaml", producers: [{ type: "burst", count: 50 }], kills: [] as Array<{ at: number; count: number }> },
    { name: "Poisson, HTTP stats, a kill", trigger: "../manifests/rabbitmq/scaledobject-http.yaml", producers: [{ type: "poisson", ratePerSecond: 1.5, count: 200 }], kills: [{ at: 70, count: 2 }] },
  ]) {
    it(`one queue and one stage reproduce the single-queue trace (${variant.name})`, () => {
      const manifests = [variant.trigger, ...MANIFESTS.slice(1)];
      const single = simulate(
        resolveScenario(
          { name: "eq", seed: 11, producers: variant.producers, consumer: { processingTime: 5, startupDelay: 3, schedulingDelay: 1, initialReplicas: 0, faults: { kills: variant.kills } }, manifests, keda: { pollPhaseSeconds: 7.25 }, hpa: { syncPhaseSeconds: 3.5 } },
          SCENARIOS,
          "eq.yaml",
        ),
      );
      const t = simulateTopology(
        topo({
          name: "eq",
          seed: 11,
          channels: [{ name: "kedasim-jobs", kind: "queue", broker: "rabbitmq" }],
          producers: variant.producers.map((p) => ({ ...p, to: "kedasim-jobs" })),
          stages: [{ name: "consumer", consumes: { channel: "kedasim-jobs" }, processingTime: 5, startupDelay: 3, schedulingDelay: 1, initialReplicas: 0, faults: { kills: variant.kills }, manifests, keda: { pollPhaseSeconds: 7.25 }, hpa: { syncPhaseSeconds: 3.5 } }],
        }),
      );
      const strip = (rs: TraceRecord[], types: string[]) => rs.filter((r) => types.includes(r.type) && (r.stage === undefined || r.stage === "consumer")).map((r) => ({ ...r, stage: undefined }));
      const types = ["scale", "keda-poll", "hpa-sync", "pod", "message"];
      expect(strip(t.records, types)).toEqual(strip(single.records, types));
      const keys = ["t", "metric", "queued", "inFlight", "produced", "completed", "lost", "desired", "current", "ready", "terminating", "busy", "lat"] as const;
      const pick = (s: SampleRecord) => Object.fromEntries(keys.map((k) => [k, s[k]]));
      expect(samplesOf(t.records, "consumer").map(pick)).toEqual(single.records.filter((r): r is SampleRecord => r.type === "sample").map(pick));
      expect(single.records.filter((r) => r.type === "scale").length).toBeGreaterThan(2);
    });
  }
});

describe("trace", () => {
  it("is deterministic: same scenario + seed → identical bytes; another seed → different", () => {
    for (const name of ["seed-003-jetstream-keda", "seed-002-kafka-6-partitions"]) {
      const a = topologyTraceText(simulateTopology(fixture(name)));
      const b = topologyTraceText(simulateTopology(fixture(name)));
      expect(a).toBe(b);
      const c = topologyTraceText(simulateTopology(loadTopology(join(SCENARIOS, `${name}.yaml`), { seed: 99 })));
      expect(c).not.toBe(a);
    }
  });

  it("every record names its stage; the header lists the stages; times never decrease", () => {
    const o = simulateTopology(fixture("seed-003-jetstream-keda"));
    expect(o.header.stages!.map((s) => s.name)).toEqual(["mapper", "saver"]);
    expect(o.header.stages![0].scaling).toMatchObject({ triggerType: "nats-jetstream", target: 10 });
    expect(o.header.scaling.triggerType).toBe("nats-jetstream");
    const names = new Set(["mapper", "saver", "fetcher", "end-to-end"]);
    let last = 0;
    for (const r of o.records) {
      expect(names.has(r.stage ?? "")).toBe(true);
      expect(r.t).toBeGreaterThanOrEqual(last);
      last = r.t;
    }
    expect(o.summary.stages!.map((s) => s.stage)).toEqual(["mapper", "saver"]);
    expect(o.summary.latencyS.n).toBe(1000);
  });
});

// ---------------------------------------------------------------- properties

const SEED = fcSeed();

describe(`properties (fast-check seed ${SEED})`, () => {
  it(
    "Kafka: busy consumers ≤ partitions at every sample, at most one message per partition at a time, nothing lost with initialOffset oldest",
    () => {
      fc.assert(
        fc.property(
          fc.record({
            P: fc.integer({ min: 1, max: 8 }),
            replicas: fc.integer({ min: 0, max: 12 }),
            scaled: fc.boolean(),
            allowIdle: fc.boolean(),
            rate: fc.double({ min: 0.2, max: 4, noNaN: true }),
            count: fc.integer({ min: 5, max: 120 }),
            mean: fc.double({ min: 0.05, max: 3, noNaN: true }),
            concurrency: fc.integer({ min: 1, max: 4 }),
            kill: fc.option(fc.double({ min: 1, max: 60, noNaN: true }), { nil: undefined }),
            crash: fc.option(fc.double({ min: 1, max: 60, noNaN: true }), { nil: undefined }),
            seed: fc.integer({ min: 0, max: 1000 }),
          }),
          (p) => {
            const manifests: unknown[] = [dep("c", p.replicas)];
            if (p.scaled) {
              manifests.push({
                apiVersion: "keda.sh/v1alpha1",
                kind: "ScaledObject",
                metadata: { name: "s" },
                spec: { scaleTargetRef: { name: "c" }, minReplicaCount: 0, maxReplicaCount: 12, pollingInterval: 5, cooldownPeriod: 30, triggers: [{ type: "kafka", metadata: { bootstrapServers: "k", consumerGroup: "c", topic: "log", lagThreshold: "3", allowIdleConsumers: String(p.allowIdle) } }] },
              });
            }
            const o = simulateTopology(
              topo({
                name: "kafka-prop",
                seed: p.seed,
                channels: [{ name: "log", kind: "log", partitions: p.P }],
                producers: [{ type: "poisson", ratePerSecond: p.rate, count: p.count, to: "log" }],
                stages: [
                  {
                    name: "c",
                    consumes: { channel: "log", initialOffset: "oldest" },
                    processingTime: { dist: "exponential", mean: p.mean },
                    concurrency: p.concurrency,
                    startupDelay: 2,
                    manifests,
                    faults: { kills: p.kill === undefined ? [] : [{ at: p.kill, count: 1 }], crashes: p.crash === undefined ? [] : [{ at: p.crash, count: 1 }] },
                  },
                ],
                duration: 900,
              }),
            );
            checkConservation(o, "kafka property");
            for (const s of samplesOf(o.records, "c")) {
              if (s.busy > p.P) throw new Error(`t=${s.t}: ${s.busy} busy consumers > ${p.P} partitions`);
              if (s.inFlight > p.P) throw new Error(`t=${s.t}: ${s.inFlight} messages in process > ${p.P} partitions`);
            }
            expect(o.summary.messages.lost).toBe(0);
            const g = o.groups[0];
            expect(g.skipped).toBe(0);
            if (p.replicas > 0 || p.scaled) expect(g.pending).toBe(0);
          },
        ),
        { numRuns: runs(40), seed: SEED },
      );
    },
    timeout(60_000),
  );

  it(
    "queues: conservation per stage and per queue; at-least-once loses nothing; at-most-once loses only what crashed pods held, every loss counted",
    () => {
      const broker = fc.constantFrom("rabbitmq", "jetstream", "nats-core");
      fc.assert(
        fc.property(
          fc.record({
            b1: broker,
            b2: broker,
            two: fc.boolean(),
            r1: fc.integer({ min: 1, max: 5 }),
            r2: fc.integer({ min: 1, max: 3 }),
            prefetch: fc.integer({ min: 1, max: 3 }),
            concurrency: fc.integer({ min: 1, max: 2 }),
            mean: fc.double({ min: 0.1, max: 3, noNaN: true }),
            ackWait: fc.constantFrom(2, 30),
            count: fc.integer({ min: 1, max: 150 }),
            rate: fc.double({ min: 0.5, max: 6, noNaN: true }),
            crash1: fc.option(fc.double({ min: 0.5, max: 40, noNaN: true }), { nil: undefined }),
            kill2: fc.option(fc.double({ min: 0.5, max: 40, noNaN: true }), { nil: undefined }),
            scaled: fc.boolean(),
            graceful: fc.boolean(),
            seed: fc.integer({ min: 0, max: 1000 }),
          }),
          (p) => {
            // stage a autoscaled by its own ScaledObject (RabbitMQ or JetStream; core NATS has no KEDA scaler)
            const scaledA = p.scaled && p.b1 !== "nats-core";
            const soA = {
              apiVersion: "keda.sh/v1alpha1",
              kind: "ScaledObject",
              metadata: { name: "a" },
              spec: {
                scaleTargetRef: { name: "a" },
                minReplicaCount: 0,
                maxReplicaCount: 6,
                pollingInterval: 5,
                cooldownPeriod: 20,
                triggers: [p.b1 === "rabbitmq" ? { type: "rabbitmq", metadata: { host: "amqp://h", queueName: "q1", mode: "QueueLength", value: "3" } } : { type: "nats-jetstream", metadata: { account: "$G", natsServerMonitoringEndpoint: "n:8222", stream: "q1", consumer: "q1", lagThreshold: "3" } }],
              },
            };
            // core NATS subscribers buffer whatever arrives (prefetch 0) and a restarted or replaced pod is ready at
            // once (no startup delay): a message never finds "nobody listening", so a loss can only be what a crashed
            // or killed pod held
            const pf = (b: string) => (b === "nats-core" ? 0 : p.prefetch);
            const stages: unknown[] = [
              {
                name: "a",
                consumes: { channel: "q1" },
                processingTime: { dist: "exponential", mean: p.mean },
                prefetch: pf(p.b1),
                concurrency: p.concurrency,
                startupDelay: 0,
                publishes: p.two ? ["q2"] : [],
                gracefulShutdown: p.graceful,
                manifests: scaledA ? [dep("a", p.r1), soA] : [dep("a", p.r1)],
                faults: { crashes: p.crash1 === undefined ? [] : [{ at: p.crash1, count: 1 }] },
              },
            ];
            if (p.two) stages.push({ name: "b", consumes: { channel: "q2" }, processingTime: { dist: "exponential", mean: p.mean / 2 }, prefetch: pf(p.b2), startupDelay: 0, manifests: [dep("b", p.r2)], faults: { kills: p.kill2 === undefined ? [] : [{ at: p.kill2, count: 1 }] } });
            const ch = (name: string, b: string) => (b === "jetstream" ? { name, kind: "queue", broker: b, ackWaitSeconds: p.ackWait } : { name, kind: "queue", broker: b });
            const o = simulateTopology(
              topo({
                name: "queue-prop",
                seed: p.seed,
                channels: [ch("q1", p.b1), ...(p.two ? [ch("q2", p.b2)] : [])],
                producers: [{ type: "poisson", ratePerSecond: p.rate, count: p.count, to: "q1" }],
                stages,
                maxDurationSeconds: 5000,
              }),
            );
            checkConservation(o, "queue property");
            const faults: Record<string, boolean> = { a: p.crash1 !== undefined, b: p.kill2 !== undefined };
            for (const ib of o.inboxes) {
              const st = ib.id === "q1" ? "a" : "b";
              if (ib.delivery === "at-least-once" || !faults[st]) expect(ib.lost, `${ib.id} (${ib.broker}) lost`).toBe(0);
              // a loss is always by a pod that crashed or was killed at that instant
              for (const l of events(o.records, "lost", st)) {
                const cause = o.records.find((r) => r.type === "message" && r.event === "abandoned" && r.id === l.id && r.t === l.t && r.pod === l.pod);
                expect(cause, `loss of ${l.id} at ${l.t}`).toBeDefined();
              }
            }
            // drained: everything not lost reached the last stage, each duplicate is counted
            expect(o.summary.notes!.endedBy).toBe("settled");
            const last = p.two ? "b" : "a";
            const lostTotal = o.inboxes.reduce((n, i) => n + i.lost, 0);
            if (lostTotal === 0) expect(unique(o, last)).toBe(p.count);
            for (const s of o.summary.stages!) expect(Number(s.notes!.processed)).toBe(Number(s.notes!.uniqueProcessed) + s.messages.duplicates);
          },
        ),
        { numRuns: runs(40), seed: SEED },
      );
    },
    timeout(60_000),
  );

  it(
    "fanout: subscribers × messages completions, plus counted redeliveries",
    () => {
      fc.assert(
        fc.property(
          fc.record({
            S: fc.integer({ min: 1, max: 4 }),
            count: fc.integer({ min: 1, max: 80 }),
            replicas: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 }),
            kill: fc.option(fc.double({ min: 0.5, max: 30, noNaN: true }), { nil: undefined }),
            seed: fc.integer({ min: 0, max: 1000 }),
          }),
          (p) => {
            const subs = Array.from({ length: p.S }, (_, i) => ({ name: `app${i}-events` }));
            const o = simulateTopology(
              topo({
                name: "fanout-prop",
                seed: p.seed,
                channels: [{ name: "events", kind: "topic", subscriptions: subs }],
                producers: [{ type: "poisson", ratePerSecond: 3, count: p.count, to: "events" }],
                stages: subs.map((s, i) => ({
                  name: `app${i}`,
                  consumes: { channel: "events", subscription: s.name },
                  processingTime: { dist: "exponential", mean: 0.5 + i },
                  manifests: [dep(`app${i}`, p.replicas[i])],
                  faults: { kills: p.kill === undefined ? [] : [{ at: p.kill, count: 1 }] },
                })),
              }),
            );
            checkConservation(o, "fanout property");
            let completed = 0;
            let redelivered = 0;
            for (const s of o.summary.stages!) {
              expect(s.messages.completed).toBe(p.count);
              expect(s.messages.lost).toBe(0);
              completed += s.messages.completed;
              redelivered += s.messages.redelivered;
            }
            expect(completed).toBe(p.S * p.count);
            expect(events(o.records, "redelivered").length).toBe(redelivered);
            if (p.kill === undefined) expect(redelivered).toBe(0);
          },
        ),
        { numRuns: runs(25), seed: SEED },
      );
    },
    timeout(60_000),
  );
});

describe("replica-seconds (the single-queue model's ReplicaCounts)", () => {
  for (const name of ["seed-004-rabbitmq-fanout", "seed-002-kafka-1-partition", "seed-003-jetstream-keda"]) {
    it(`${name}: each stage's replica-seconds are its pods' lifetimes in the trace (creation to Gone, or to the end)`, () => {
      // As found-bugs #4 for the single-queue model: a pod counts from its creation. The topology's
      // own copy of the counting charged the time since the stage's last accounting to a new pod.
      const o = simulateTopology(fixture(name));
      for (const st of o.summary.stages!) {
        const born = new Map<string, number>();
        let lifetimes = 0;
        for (const r of o.records) {
          if (r.type !== "pod" || r.stage !== st.stage) continue;
          if (!born.has(r.pod)) born.set(r.pod, r.t);
          if (r.phase === "Gone") {
            lifetimes += r.t - born.get(r.pod)!;
            born.delete(r.pod);
          }
        }
        for (const t0 of born.values()) lifetimes += o.summary.simulatedSeconds - t0;
        expect(st.replicas.replicaSeconds, st.stage).toBeCloseTo(lifetimes, 4);
      }
    });
  }
});

describe("KEDA and the HPA on a stage (the single-queue model's Autoscaler)", () => {
  it("fallback with a Value target and 0 ready pods is an invalid metric for the HPA, not NaN", () => {
    // As found-bugs #2 for the single-queue model: scaler errors all along, fallback
    // {failureThreshold 1, replicas 3}, Value target; the 3 pods are killed at t=50 and take 60 s to
    // start again. Upstream doFallback fails ("readyReplicas is zero, cannot do fallback") and the
    // HPA holds. Before the stage used the shared Autoscaler its sync passed the NaN on: the metric
    // was NaN and the HPA scaled the stage 3 → 1.
    const so = {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "c" },
      spec: {
        scaleTargetRef: { name: "c" },
        minReplicaCount: 1,
        maxReplicaCount: 5,
        fallback: { failureThreshold: 1, replicas: 3 },
        advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } },
        triggers: [{ type: "rabbitmq", metricType: "Value", metadata: { host: "amqp://h", queueName: "q", mode: "QueueLength", value: "5" } }],
      },
    };
    const o = simulateTopology(
      topo({
        name: "fallback-nan",
        seed: 1,
        channels: [{ name: "q", kind: "queue", broker: "rabbitmq" }],
        producers: [{ type: "burst", count: 30, to: "q" }],
        stages: [{ name: "c", consumes: { channel: "q" }, processingTime: 5, startupDelay: 60, manifests: [dep("c", 3), so], faults: { scalerErrors: [{ from: 0, until: 200 }], kills: [{ at: 50, count: 3 }] } }],
        maxDurationSeconds: 100,
      }),
    );
    const syncs = o.records.filter((r) => r.type === "hpa-sync");
    expect(syncs.length).toBeGreaterThan(0);
    for (const r of syncs) expect(r.metric === null || Number.isFinite(r.metric), `hpa-sync at t=${r.t}: metric ${r.metric}`).toBe(true);
    expect(o.records.filter((r) => r.type === "scale" && r.actor === "hpa")).toEqual([]);
  });
});
