// The single-queue model with broker redis-streams (Dapr's pubsub.redis on one consumer group,
// components-contrib v1.9.7 pubsub/redis/redis.go): the Service Bus peek-lock path with processingTimeout as
// the lock, never renewed, never dead-lettered; QueueSnapshot.streamLength and .reclaimable for the scaler.
import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { loadScenario, resolveScenario, ScenarioError, type Scenario } from "../scenario/load.js";
import { simulate } from "../run.js";
import { parseTrigger } from "../triggers/index.js";
import { thrown } from "../triggers/test-helpers.js";
import type { MessageEventRecord, ScaleRecord, SampleRecord, TraceRecord } from "../trace.js";

const SCENARIOS = resolve(import.meta.dirname, "../../fixtures/scenarios");
const TRAP = resolve(SCENARIOS, "redis-streams-stream-length.yaml");

const redisScaledObject = (metadata: Record<string, string> = { consumerGroup: "consumer" }, spec: Record<string, unknown> = {}) => ({
  apiVersion: "keda.sh/v1alpha1",
  kind: "ScaledObject",
  metadata: { name: "c" },
  spec: {
    scaleTargetRef: { name: "consumer" },
    minReplicaCount: 0,
    maxReplicaCount: 2,
    ...spec,
    triggers: [{ type: "redis-streams", metadata: { address: "redis:6379", stream: "jobs", ...metadata } }],
  },
});

function scenario(raw: Record<string, unknown>): Scenario {
  return resolveScenario({ name: "redis", keda: { pollPhaseSeconds: 1 }, hpa: { syncPhaseSeconds: 2 }, manifests: [redisScaledObject()], ...raw }, SCENARIOS, "inline-test.yaml");
}

/** An inline pubsub.redis component with the given metadata. */
const component = (meta: Record<string, string>) => ({
  apiVersion: "dapr.io/v1alpha1",
  kind: "Component",
  metadata: { name: "jobs" },
  spec: { type: "pubsub.redis", version: "v1", metadata: [{ name: "redisHost", value: "redis:6379" }, ...Object.entries(meta).map(([name, value]) => ({ name, value }))] },
});

const messages = (rs: TraceRecord[], event: string) => rs.filter((r): r is MessageEventRecord => r.type === "message" && r.event === event);
const scales = (rs: TraceRecord[]) => rs.filter((r): r is ScaleRecord => r.type === "scale");
const samples = (rs: TraceRecord[]) => rs.filter((r): r is SampleRecord => r.type === "sample");
const one = { producers: [{ type: "burst", count: 1 }] };

describe("broker redis-streams: defaults and the pubsub.redis component", () => {
  it("a redis-streams trigger picks the broker: processingTimeout 60 s, no renewal, no dead-letter, 10 workers + a 100-deep channel", () => {
    const s = scenario(one);
    expect(s.queue).toEqual({ broker: "redis-streams", lockDuration: 60, lockRenewal: 0, maxDeliveryCount: Infinity, prefetch: 110, statsInterval: 0, maxStreamLength: Infinity });
    expect(s.consumer.concurrency).toBe(10);
  });

  it("a pubsub.redis component picks it whatever the trigger, and sets processingTimeout (ms or Go duration), concurrency, queueDepth, maxLenApprox", () => {
    const sbTrigger = { ...redisScaledObject(), spec: { scaleTargetRef: { name: "consumer" }, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q" } }] } };
    const s = scenario({ ...one, manifests: [component({ consumerID: "c", processingTimeout: "1m30s", concurrency: "2", queueDepth: "3", maxLenApprox: "1000" }), sbTrigger] });
    expect(s.daprComponent).toEqual({ name: "jobs", type: "pubsub.redis" });
    expect(s.queue).toMatchObject({ broker: "redis-streams", lockDuration: 90, prefetch: 5, maxStreamLength: 1000 });
    expect(s.consumer.concurrency).toBe(2);
    expect(scenario({ ...one, manifests: [component({ processingTimeout: "45000" }), redisScaledObject()] }).queue.lockDuration).toBe(45);
    // the shipped component: one worker, a channel of one
    expect(loadScenario(TRAP).queue).toMatchObject({ lockDuration: 60, prefetch: 2 });
  });

  it.each([
    [{ broker: "redis-streams", lockRenewalSeconds: 20 }, "queue.lockRenewalSeconds", /never resets a pending entry's idle time/],
    [{ broker: "redis-streams", maxDeliveryCount: 5 }, "queue.maxDeliveryCount", /no dead-letter/],
  ])("rejects queue %j at %s", (queue, path, expected) => {
    const e = thrown(ScenarioError, () => scenario({ ...one, queue }));
    expect(e.path).toBe(path);
    expect(e.expected).toMatch(expected);
    expect(e.file).toBe("inline-test.yaml");
  });

  it.each([
    [{ processingTimeout: "soon" }, "processingTimeout", /a duration such as "30s"/],
    [{ redeliverInterval: "0" }, "redeliverInterval", /turns redelivery off/],
    [{ processingTimeout: "0s" }, "processingTimeout", /turns redelivery off/],
    [{ concurrency: "-1" }, "concurrency", /whole number|>= 0/],
    [{ concurrency: "0" }, "concurrency", /workers > 0/],
    [{ queueDepth: "deep" }, "queueDepth", /whole number/],
  ])("rejects component metadata %j at spec.metadata[name=%s]", (meta, key, expected) => {
    const e = thrown(ScenarioError, () => scenario({ ...one, manifests: [component(meta), redisScaledObject()] }));
    expect(e.file).toBe("inline-test.yaml");
    expect(e.path).toBe(`manifests[0]: spec.metadata[name=${key}]`);
    expect(e.expected).toMatch(expected);
  });
});

describe("scenario kedaVersion reaches the trigger's parser", () => {
  it("kedaVersion 2.16.1 with lagCount and no activationLagCount: the ScaledObject's field is named", () => {
    const e = thrown(ScenarioError, () => scenario({ ...one, kedaVersion: "2.16.1", manifests: [redisScaledObject({ consumerGroup: "consumer", lagCount: "5" })] }));
    expect(e.path).toBe("manifests[0].spec.triggers[0].metadata.activationLagCount");
    expect(e.expected).toMatch(/keda#6478/);
    expect(scenario({ ...one, manifests: [redisScaledObject({ consumerGroup: "consumer", lagCount: "5" })] }).scaledObject.triggers[0].activationThreshold).toBe(0);
  });
});

describe("broker redis-streams: processingTimeout is never extended", () => {
  // One 75 s job on two Ready pods: Dapr's handler context times out at processingTimeout (no XACK), and the
  // reclaim loop XCLAIMs the entry once it has been idle that long; the model puts it back at exactly 60 s.
  const run = (queue: Record<string, unknown>, processingTime = 75) =>
    simulate(scenario({ ...one, queue, consumer: { processingTime, initialReplicas: 2, concurrency: 1 }, manifests: [redisScaledObject(undefined, { minReplicaCount: 2 })], duration: 200 }));

  it("a job longer than processingTimeout is claimed again every 60 s by the free pod, and never acknowledged", () => {
    const out = run({ prefetch: 1 });
    expect(out.summary.messages).toMatchObject({ produced: 1, completed: 0, deadLettered: 0, lost: 0 });
    // pod A 0–75, pod B from 60 (A's run still going), A again from 120, B from 180
    expect(messages(out.records, "redelivered").map((r) => r.t)).toEqual([60, 120, 180]);
    const abandoned = messages(out.records, "abandoned");
    expect(abandoned.map((r) => r.t)).toEqual([60, 120, 180]);
    expect(abandoned.every((r) => r.reason === "processingTimeout expired while processing")).toBe(true);
  });

  it("processingTimeout longer than the job: processed once", () => {
    expect(run({ prefetch: 1, lockDurationSeconds: 90 }).summary.messages).toMatchObject({ completed: 1, redelivered: 0, duplicates: 0 });
  });
});

describe("broker redis-streams: what the scaler reads from the model", () => {
  it("XLEN: entries ever published (acknowledged entries stay), capped by maxLenApprox", () => {
    const run = (manifests: unknown[]) =>
      simulate(scenario({ producers: [{ type: "burst", count: 7 }], consumer: { processingTime: 1, initialReplicas: 1 }, manifests, duration: 120 }));
    const lengthSO = redisScaledObject({ streamLength: "2" }, { minReplicaCount: 1 });
    const out = run([lengthSO]);
    expect(out.summary.messages).toMatchObject({ produced: 7, completed: 7 });
    const last = samples(out.records).at(-1)!;
    expect(last.queued + last.inFlight).toBe(0);
    expect(last.metric).toBe(7);
    expect(samples(run([component({ maxLenApprox: "3" }), lengthSO]).records).at(-1)!.metric).toBe(3);
  });

  // One 50 s job (under processingTimeout). In the lag mode the pod that took it is scaled away (lag reads 0 once
  // the entry is delivered) and SIGKILLed after its 5 s grace. The entry stays in the group's PEL; 60 s after
  // its delivery it could be claimed again — by a pod, and there is none.
  const stuck = (metadata: Record<string, string>) =>
    simulate(
      scenario({
        ...one,
        consumer: { processingTime: 50, initialReplicas: 1, terminationGracePeriodSeconds: 5 },
        manifests: [redisScaledObject({ consumerGroup: "consumer", ...metadata }, { maxReplicaCount: 1, cooldownPeriod: 10, pollingInterval: 5 })],
        duration: 600,
      }),
    );

  it("lagCount: a killed pod's entry is pending, not lag — KEDA never scales up for it again", () => {
    const out = stuck({ lagCount: "1" });
    expect(messages(out.records, "abandoned").map((r) => r.reason)).toEqual(["SIGKILL at the end of terminationGracePeriodSeconds"]);
    expect(out.summary.messages).toMatchObject({ produced: 1, completed: 0, redelivered: 0, lost: 0 });
    expect(scales(out.records).filter((e) => e.from === 0)).toHaveLength(0);
    // back in the broker after the lapse, yet not lag: the reading stays 0 for the rest of the run
    const after = samples(out.records).filter((s) => s.t >= 60);
    expect(after.every((s) => s.queued === 1 && s.metric === 0 && s.desired === 0)).toBe(true);
  });

  it("pendingEntriesCount: the entry being processed counts, so the pod is kept until it is done", () => {
    const out = stuck({ pendingEntriesCount: "1" });
    expect(out.summary.messages).toMatchObject({ produced: 1, completed: 1, redelivered: 0, lost: 0 });
    expect(messages(out.records, "abandoned")).toHaveLength(0);
    const done = samples(out.records).find((s) => s.completed === 1)!;
    expect(scales(out.records).filter((e) => e.to === 0).every((e) => e.t >= done.t)).toBe(true);
  });

  it("a pod killed with an entry: it stays pending (the trigger reads 1) and is claimed again 60 s after its delivery", () => {
    const out = simulate(
      scenario({
        ...one,
        consumer: { processingTime: 20, initialReplicas: 1, faults: { kills: [{ at: 5 }] } },
        manifests: [redisScaledObject({ consumerGroup: "consumer", pendingEntriesCount: "1" }, { minReplicaCount: 1, maxReplicaCount: 1 })],
        duration: 200,
      }),
    );
    const again = messages(out.records, "redelivered");
    expect(again).toHaveLength(1);
    expect(again[0].t).toBe(60);
    expect(samples(out.records).filter((s) => s.t > 5 && s.t < 60).every((s) => s.metric === 1)).toBe(true);
    expect(out.summary.messages).toMatchObject({ completed: 1, lost: 0 });
  });
});

describe("the shipped scenario redis-streams-stream-length", () => {
  const trap = loadScenario(TRAP);
  const withMetadata = (metadata: Record<string, string>): Scenario => {
    const trigger = parseTrigger({ type: "redis-streams", metadata: { address: "redis:6379", stream: "jobs", ...metadata } }, 0, "spec.triggers[0]");
    return { ...trap, scaledObject: { ...trap.scaledObject, triggers: [trigger] } };
  };

  it("streamLength: everything is done in under two minutes, yet XLEN stays 20 and 10 pods stay until the end", () => {
    const out = simulate(trap);
    expect(out.summary.messages).toMatchObject({ produced: 20, completed: 20, redelivered: 0, lost: 0 });
    const ss = samples(out.records);
    const done = ss.find((s) => s.completed === 20)!;
    expect(done.t).toBeLessThan(120);
    expect(ss.filter((s) => s.t >= done.t).every((s) => s.metric === 20 && s.desired === 10)).toBe(true);
    expect(scales(out.records).filter((e) => e.to < e.from)).toHaveLength(0);
  });

  it("lagCount with the group: the same work, then scaled to zero — a tenth of the replica-seconds", () => {
    const length = simulate(trap);
    const lag = simulate(withMetadata({ consumerGroup: "consumer", lagCount: "2" }));
    expect(lag.summary.messages).toMatchObject({ completed: 20, lost: 0 });
    expect(samples(lag.records).at(-1)!.desired).toBe(0);
    expect(lag.summary.replicas.replicaSeconds * 10).toBeLessThan(length.summary.replicas.replicaSeconds);
  });

  it("pendingEntriesCount with the group: nothing is ever delivered with no pod running, so it reads 0 and never scales from zero", () => {
    const out = simulate(withMetadata({ consumerGroup: "consumer", pendingEntriesCount: "2" }));
    expect(out.summary.messages).toMatchObject({ produced: 20, completed: 0 });
    expect(scales(out.records)).toHaveLength(0);
    expect(samples(out.records).every((s) => s.metric === 0)).toBe(true);
  });
});
