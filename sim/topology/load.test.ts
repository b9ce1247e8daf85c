import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { ScenarioError } from "../scenario/load.js";
import { isTopologyScenario, loadTopology, resolveTopology } from "./run.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SCENARIOS = join(ROOT, "fixtures/scenarios");

const dep = (name: string, replicas = 1) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name }, spec: { replicas, template: { spec: {} } } });

function base(o: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "t",
    channels: [{ name: "jobs", kind: "queue" }],
    producers: [{ type: "burst", count: 3, to: "jobs" }],
    stages: [{ name: "worker", consumes: { channel: "jobs" }, manifests: [dep("worker")] }],
    ...o,
  };
}

function err(raw: unknown): ScenarioError {
  try {
    resolveTopology(raw, SCENARIOS, "inline.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

describe("topology scenarios: loading", () => {
  it("tells topology scenarios (with stages) from single-queue ones", () => {
    expect(isTopologyScenario({ stages: [] })).toBe(true);
    expect(isTopologyScenario({ producers: [], manifests: [] })).toBe(false);
    expect(isTopologyScenario(join(SCENARIOS, "seed-003-nats-at-most-once.yaml"))).toBe(true);
    expect(isTopologyScenario(join(SCENARIOS, "seed-000-burst-50.yaml"))).toBe(false);
  });

  it("loads every shipped topology scenario, named after its file", () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith(".yaml") && isTopologyScenario(join(SCENARIOS, f)));
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) {
      const s = loadTopology(join(SCENARIOS, f));
      expect(s.name).toBe(f.replace(/\.yaml$/, ""));
      for (const c of s.compareWith) expect(isTopologyScenario(c)).toBe(true);
    }
  });

  it("seed 002: the Kafka component's consumerGroup and Dapr defaults (initialOffset newest, no retry, 10 s session); the kafka trigger through the single-queue resolver", () => {
    const s = loadTopology(join(SCENARIOS, "seed-002-kafka-1-partition.yaml"));
    expect(s.channels).toEqual([{ kind: "log", name: "sample", partitions: 1, partitioner: "random" }]);
    const st = s.stages[0];
    expect(st.deployment).toBe("bindings-nodeapp");
    expect(st.initialReplicas).toBe(1);
    expect(st.daprComponent).toEqual({ name: "sample-topic", type: "bindings.kafka" });
    expect(st.consumes).toEqual({ kind: "log", channel: "sample", group: "group1", initialOffset: "newest", autoCommitInterval: 1, sessionTimeout: 10, rebalanceDelay: 3, consumeRetryEnabled: false, consumeRetryInterval: 0.1 });
    expect(st.scaling!.scaledObject).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 10, pollingInterval: 30, cooldownPeriod: 300 });
    expect(st.scaling!.scaledObject.triggers[0]).toMatchObject({ type: "kafka", target: 10 });
    // phases drawn per stage from the seed, inside one period
    expect(st.scaling!.keda.pollPhase).toBeGreaterThanOrEqual(0);
    expect(st.scaling!.keda.pollPhase).toBeLessThan(30);
    expect(st.scaling!.drawn).toEqual({ pollPhase: true, syncPhase: true });
  });

  it("seed 003: the transcribed deployment.yaml gives 10 mappers and 1 saver; 100 000 objects in chunks of 100 = 1 000 chunks", () => {
    const s = loadTopology(join(SCENARIOS, "seed-003-nats-at-most-once.yaml"));
    expect(s.stages.map((x) => [x.name, x.deployment, x.initialReplicas, x.scaling])).toEqual([
      ["mapper", "mapper-dep", 10, null],
      ["saver", "saver-dep", 1, null],
    ]);
    expect(s.sources[0]).toMatchObject({ name: "fetcher", chunks: 1000, chunkSize: 100, pacing: "on-listening", resend: { policy: "timeout", afterSeconds: 60 } });
    expect(s.channels[0]).toMatchObject({ kind: "queue", inbox: { broker: "nats-core", delivery: "at-most-once" } });
    const js = loadTopology(join(SCENARIOS, "seed-003-jetstream-at-least-once.yaml"));
    expect(js.channels[0]).toMatchObject({ kind: "queue", inbox: { broker: "jetstream", delivery: "at-least-once", ackWait: 30, maxAckPending: 1000 } });
  });

  it("seed 004: one queue per subscription, the pubsub component's prefetchCount, one ScaledObject per subscriber", () => {
    const s = loadTopology(join(SCENARIOS, "seed-004-rabbitmq-fanout.yaml"));
    expect(s.channels[0]).toMatchObject({ kind: "topic", subscriptions: [{ id: "platforms/commandsservice-platforms" }, { id: "platforms/searchservice-platforms" }] });
    for (const st of s.stages) {
      expect(st.prefetch).toBe(1);
      expect(st.scaling!.scaledObject.triggers[0]).toMatchObject({ type: "rabbitmq", protocol: "http", target: 5 });
    }
  });

  it.each([
    [{ channels: [{ name: "jobs", kind: "queue", brokr: "x" }] }, "inline.yaml", "channels[0]", /brokr/],
    [{ producers: [{ type: "burst", count: 3, to: "nope" }] }, "inline.yaml", "producers[0].to", /channel name/],
    [{ stages: [{ name: "worker", consumes: { channel: "nope" } }] }, "inline.yaml", "stages[0].consumes.channel", /channel name/],
    [{ stages: [{ name: "end-to-end", consumes: { channel: "jobs" } }] }, "inline.yaml", "stages[0].name", /another name/],
    [{ stages: [{ name: "w", consumes: { channel: "jobs", group: "g" } }] }, "inline.yaml", "stages[0].consumes", /logs/],
    [{ channels: [{ name: "jobs", kind: "queue", broker: "nats-core", delivery: "at-least-once" }] }, "inline.yaml", "channels[0].delivery", /jetstream/],
    [{ channels: [{ name: "t", kind: "topic", subscriptions: [{ name: "a" }] }], producers: [{ type: "burst", count: 1, to: "t" }], stages: [{ name: "w", consumes: { channel: "t" } }] }, "inline.yaml", "stages[0].consumes.subscription", /subscriptions of topic "t"/],
    [{ stages: [{ name: "w", consumes: { channel: "jobs" }, confirms: "fetcher" }] }, "inline.yaml", "stages[0].confirms", /source name/],
    [{ sources: [{ name: "f", to: "jobs", objects: 10, resend: { policy: "timeout" } }] }, "inline.yaml", "sources[0].resend.afterSeconds", /required/],
    [{ sources: [{ name: "f", to: "jobs", objects: 10, resend: { policy: "timeout", afterSeconds: 5 } }] }, "inline.yaml", "sources[0].resend.policy", /confirms/],
  ])("rejects %j with file and field path", (patch, file, path, expected) => {
    const e = err(base(patch as Record<string, unknown>));
    expect(e.file).toBe(file);
    expect(e.path).toBe(path);
    expect(e.expected).toMatch(expected);
  });

  it("a trigger that reads another queue or group than the stage consumes is an error naming the manifest and field", () => {
    const so = (md: Record<string, string>, type = "kafka") => ({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "s" },
      spec: { scaleTargetRef: { name: "worker" }, triggers: [{ type, metadata: md }] },
    });
    const log = { channels: [{ name: "sample", kind: "log", partitions: 2 }], producers: [{ type: "burst", count: 1, to: "sample" }] };
    let e = err(base({ ...log, stages: [{ name: "worker", consumes: { channel: "sample", group: "g1" }, manifests: [dep("worker"), so({ bootstrapServers: "k", consumerGroup: "g2", topic: "sample" })] }] }));
    expect(e.path).toBe("stages[0].manifests[1]: spec.triggers[0].metadata.consumerGroup");
    expect(e.expected).toMatch(/"g1"/);
    e = err(base({ ...log, stages: [{ name: "worker", consumes: { channel: "sample" }, manifests: [dep("worker"), so({ bootstrapServers: "k", consumerGroup: "worker", topic: "other" })] }] }));
    expect(e.path).toMatch(/metadata\.topic$/);
    e = err(base({ stages: [{ name: "worker", consumes: { channel: "jobs" }, manifests: [dep("worker"), so({ queueName: "other", host: "amqp://h" }, "rabbitmq")] }] }));
    expect(e.path).toMatch(/metadata\.queueName$/);
    // errors inside a ScaledObject come back with the manifest's place
    e = err(base({ stages: [{ name: "worker", consumes: { channel: "jobs" }, manifests: [dep("worker"), so({ queueName: "jobs", host: "amqp://h", mode: "Bogus", value: "5" }, "rabbitmq")] }] }));
    expect(e.path).toBe("stages[0].manifests[1]: spec.triggers[0].metadata.mode");
  });

  it("a manifest file's errors name that file", () => {
    const e = err(base({ stages: [{ name: "worker", consumes: { channel: "jobs" }, manifests: ["../manifests/seed-003/deployment.yaml"] }] }));
    expect(e.path).toBe("stages[0].deployment");
    expect(e.expected).toMatch(/mapper-dep, fetcher-dep, saver-dep/);
  });
});
