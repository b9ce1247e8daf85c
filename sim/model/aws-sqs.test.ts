// The single-queue model with broker aws-sqs: the Service Bus peek-lock path with the queue's
// VisibilityTimeout as the lock, no renewal (Dapr's bindings.aws.sqs never calls ChangeMessageVisibility,
// components-contrib v1.9.7 bindings/aws/sqs/sqs.go Read) and the redrive policy's maxReceiveCount as
// maxDeliveryCount (default: no redrive policy).
import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { loadScenario, resolveScenario, ScenarioError, type Scenario } from "../scenario/load.js";
import { simulate } from "../run.js";
import { parseTrigger } from "../triggers/index.js";
import type { MessageEventRecord, ScaleRecord, SampleRecord, TraceRecord } from "../trace.js";

const SCENARIOS = resolve(import.meta.dirname, "../../fixtures/scenarios");
const TRAP = resolve(SCENARIOS, "aws-sqs-scale-on-in-flight-false.yaml");

const sqsScaledObject = (metadata: Record<string, string> = {}, spec: Record<string, unknown> = {}) => ({
  apiVersion: "keda.sh/v1alpha1",
  kind: "ScaledObject",
  metadata: { name: "c" },
  spec: {
    scaleTargetRef: { name: "consumer" },
    minReplicaCount: 0,
    maxReplicaCount: 2,
    ...spec,
    triggers: [{ type: "aws-sqs-queue", authenticationRef: { name: "aws" }, metadata: { queueURL: "https://sqs.eu-west-1.amazonaws.com/1/jobs", awsRegion: "eu-west-1", ...metadata } }],
  },
});

function scenario(raw: Record<string, unknown>): Scenario {
  return resolveScenario({ name: "sqs", keda: { pollPhaseSeconds: 1 }, hpa: { syncPhaseSeconds: 2 }, manifests: [sqsScaledObject()], ...raw }, SCENARIOS, "inline-test.yaml");
}

const messages = (rs: TraceRecord[], event: string) => rs.filter((r): r is MessageEventRecord => r.type === "message" && r.event === event);
const scales = (rs: TraceRecord[]) => rs.filter((r): r is ScaleRecord => r.type === "scale");
const samples = (rs: TraceRecord[]) => rs.filter((r): r is SampleRecord => r.type === "sample");

describe("broker aws-sqs: defaults", () => {
  it("an aws-sqs-queue trigger picks broker aws-sqs: visibility timeout 30 s, no renewal, no redrive policy, one message per receive", () => {
    const s = scenario({ producers: [{ type: "burst", count: 1 }] });
    expect(s.queue).toEqual({ broker: "aws-sqs", lockDuration: 30, lockRenewal: 0, maxDeliveryCount: Infinity, prefetch: 1, statsInterval: 0 });
    expect(s.consumer.concurrency).toBe(1);
  });

  it("a bindings.aws.sqs component picks aws-sqs too, whatever the trigger", () => {
    const s = scenario({
      producers: [{ type: "burst", count: 1 }],
      manifests: ["../manifests/aws-sqs/component.yaml", { ...sqsScaledObject(), spec: { scaleTargetRef: { name: "consumer" }, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q" } }] } }],
    });
    expect(s.daprComponent).toEqual({ name: "jobs", type: "bindings.aws.sqs" });
    expect(s.queue.broker).toBe("aws-sqs");
  });

  it.each([
    [{ broker: "aws-sqs", lockRenewalSeconds: 20 }, "queue.lockRenewalSeconds", /never extends/],
    [{ broker: "aws-sqs", maxDeliveryCount: 1001 }, "queue.maxDeliveryCount", /maxReceiveCount between 1 and 1000/],
    [{ broker: "aws-sqs", lockDurationSeconds: 43201 }, "queue.lockDurationSeconds", /VisibilityTimeout between 0 and 43200/],
    [{ broker: "aws-sqs", lockDurationSeconds: 0 }, "queue.lockDurationSeconds", /.+/],
    [{ broker: "sqs" }, "queue.broker", /aws-sqs/],
  ])("rejects queue %j at %s", (queue, path, expected) => {
    let err: unknown;
    try {
      scenario({ producers: [{ type: "burst", count: 1 }], queue });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).path).toBe(path);
    expect((err as ScenarioError).expected).toMatch(expected);
    expect((err as ScenarioError).file).toBe("inline-test.yaml");
  });

  it("lockRenewalSeconds 0 is accepted (it is what the binding does); the Service Bus defaults are unchanged", () => {
    expect(scenario({ producers: [{ type: "burst", count: 1 }], queue: { lockRenewalSeconds: 0 } }).queue.lockRenewal).toBe(0);
    const sb = scenario({ producers: [{ type: "burst", count: 1 }], queue: { broker: "azure-servicebus" } });
    expect(sb.queue).toMatchObject({ lockDuration: 60, lockRenewal: 20, maxDeliveryCount: 10 });
  });
});

describe("broker aws-sqs: the visibility timeout is never extended", () => {
  // One 45 s job, two Ready pods, the default 30 s visibility timeout: at t = 30 the message is visible
  // again and the second pod receives it while the first is still working. Every receipt lapses before its
  // job ends, so every DeleteMessage carries a stale receipt handle — AWS: "the request will succeed, but
  // the message might not be deleted"; the model, like Service Bus' MessageLockLost, does not delete it.
  const run = (queue: Record<string, unknown>) =>
    simulate(scenario({ producers: [{ type: "burst", count: 1 }], queue, consumer: { processingTime: 45, initialReplicas: 2 }, manifests: [sqsScaledObject({}, { minReplicaCount: 2 })], duration: 200 }));

  it("SQS: a job longer than the visibility timeout is received again every 30 s and its work done over and over", () => {
    const out = run({});
    // Receipts at 0, 30, ..., 180 (the pods alternate); runs end at 45, 75, ..., 195: six runs, five of them duplicates.
    expect(out.summary.messages).toMatchObject({ produced: 1, completed: 0, redelivered: 6, duplicates: 5, deadLettered: 0, lost: 0 });
    expect(messages(out.records, "redelivered").map((r) => r.t)).toEqual([30, 60, 90, 120, 150, 180]);
    const abandoned = messages(out.records, "abandoned");
    expect(abandoned.map((r) => r.t)).toEqual([30, 60, 90, 120, 150, 180]);
    expect(abandoned.every((r) => r.reason === "visibility timeout expired while processing")).toBe(true);
  });

  it("the same job on Service Bus (lock renewed every 20 s by its binding) is delivered once", () => {
    const out = run({ broker: "azure-servicebus", lockDurationSeconds: 30 });
    expect(out.summary.messages).toMatchObject({ completed: 1, redelivered: 0, duplicates: 0 });
  });

  it("a visibility timeout longer than the job: delivered once", () => {
    const out = run({ lockDurationSeconds: 60 });
    expect(out.summary.messages).toMatchObject({ completed: 1, redelivered: 0, duplicates: 0 });
  });
});

describe("broker aws-sqs: redrive policy", () => {
  const run = (queue: Record<string, unknown>) =>
    simulate(scenario({ producers: [{ type: "burst", count: 1 }], queue, consumer: { processingTime: 90, initialReplicas: 2 }, manifests: [sqsScaledObject({}, { minReplicaCount: 2 })], duration: 400 }));

  it("maxReceiveCount 2: the second lapse moves the message to the dead-letter queue", () => {
    const out = run({ maxDeliveryCount: 2 });
    expect(out.summary.messages).toMatchObject({ produced: 1, completed: 0, deadLettered: 1, redelivered: 1, lost: 0 });
    const dl = messages(out.records, "dead-lettered");
    expect(dl).toHaveLength(1);
    expect(dl[0].t).toBe(60);
    expect(dl[0].reason).toBe("visibility timeout expired; ReceiveCount 2 reached maxReceiveCount");
  });

  it("no redrive policy (the SQS default): received again and again, never dead-lettered", () => {
    const out = run({});
    expect(out.summary.messages).toMatchObject({ completed: 0, deadLettered: 0, lost: 0 });
    // A pod goes on working after its receipt lapsed (the binding cannot tell), so the visible message waits
    // for a free pod: received at 0 (A), 30 (B), 90 (A, free again), 120 (B), 180, 210, 270, 300, 360, 390.
    expect(messages(out.records, "redelivered").map((r) => r.t)).toEqual([30, 90, 120, 180, 210, 270, 300, 360, 390]);
  });
});

describe("broker aws-sqs: a killed pod's message", () => {
  it("stays invisible until the visibility timeout after its receipt, then is received again (RabbitMQ: at once)", () => {
    const mk = (queue: Record<string, unknown>, trigger: Record<string, unknown>) =>
      simulate(
        scenario({
          producers: [{ type: "burst", count: 1 }],
          queue,
          consumer: { processingTime: 20, initialReplicas: 2, faults: { kills: [{ at: 5, count: 2 }] } },
          manifests: [{ ...sqsScaledObject({}, { minReplicaCount: 2 }), spec: { ...sqsScaledObject({}, { minReplicaCount: 2 }).spec, triggers: [trigger] } }],
          duration: 120,
        }),
      );
    const sqsTrigger = sqsScaledObject().spec.triggers[0];
    const sqs = mk({ lockDurationSeconds: 40 }, sqsTrigger);
    const again = messages(sqs.records, "redelivered");
    expect(again).toHaveLength(1);
    expect(again[0].t).toBeGreaterThanOrEqual(40); // received at 0, visible again at 40 (replacement pods are Ready by then)
    expect(again[0].t).toBeLessThan(41);
    expect(sqs.summary.messages).toMatchObject({ completed: 1, lost: 0 });
    const rabbit = mk({}, { type: "rabbitmq", metadata: { queueName: "q", protocol: "amqp", mode: "QueueLength", value: "5" } });
    expect(messages(rabbit.records, "redelivered")[0].t).toBeLessThan(10);
  });
});

describe("the shipped scenario aws-sqs-scale-on-in-flight-false (keda#1663)", () => {
  const trap = loadScenario(TRAP);
  // The same scenario with the trigger's default scaleOnInFlight ("true"): the file's metadata without it.
  const asDefault = (): Scenario => {
    const metadata = { queueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/kedasim-jobs", awsRegion: "eu-west-1", queueLength: "2" };
    const trigger = parseTrigger({ type: "aws-sqs-queue", authenticationRef: { name: "keda-aws-credentials" }, metadata }, 0, "spec.triggers[0]");
    return { ...trap, scaledObject: { ...trap.scaledObject, triggers: [trigger] } };
  };

  it("reads only visible messages: KEDA scales to zero while pods are busy, their work is cut and received again", () => {
    expect(trap.scaledObject.triggers[0].read({ ready: 0, inFlight: 10, prefetched: 0, publishRate: 0, deliverRate: 0 }).value).toBe(0);
    const out = simulate(trap);
    const ss = samples(out.records);
    const toZeroWhileBusy = scales(out.records).filter((e) => e.actor === "keda" && e.to === 0 && (ss.find((s) => s.t >= e.t)?.busy ?? 0) > 0);
    expect(toZeroWhileBusy.length).toBeGreaterThanOrEqual(1);
    const cut = messages(out.records, "abandoned");
    expect(cut.length).toBe(3);
    expect(cut.every((r) => r.reason === "SIGKILL at the end of terminationGracePeriodSeconds")).toBe(true);
    expect(out.summary.messages).toMatchObject({ produced: 20, completed: 20, redelivered: 3, deadLettered: 0, lost: 0 });
    // Received again only once the 120 s visibility timeout after the receipt has passed.
    for (const r of messages(out.records, "redelivered")) {
      const cutOf = cut.find((c) => c.id === r.id && c.t <= r.t)!;
      expect(r.t).toBeGreaterThanOrEqual(cutOf.startedAt! + 120);
    }
    expect(scales(out.records).filter((e) => e.from === 0).length).toBe(3); // three cold starts
  });

  it("the default (in-flight messages counted) keeps the pods until the work is done: nothing cut, one cold start, shorter drain", () => {
    const cutRun = simulate(trap);
    const out = simulate(asDefault());
    expect(out.summary.messages).toMatchObject({ completed: 20, redelivered: 0, duplicates: 0, lost: 0 });
    expect(messages(out.records, "abandoned")).toHaveLength(0);
    expect(scales(out.records).filter((e) => e.from === 0).length).toBe(1);
    const lastDone = samples(out.records).find((s) => s.completed === 20)!.t;
    const toZero = scales(out.records).filter((e) => e.to === 0);
    expect(toZero.every((e) => e.t >= lastDone)).toBe(true);
    expect(out.summary.drainTimeS!).toBeLessThan(cutRun.summary.drainTimeS!);
    expect(out.summary.latencyS.p95!).toBeLessThan(cutRun.summary.latencyS.p95!);
  });
});
