// The single-queue model with broker azure-storage-queue: the Service Bus peek-lock path with the visibility
// timeout of Dapr's receive as the lock — 30 s, never extended, and no dead-lettering: components-contrib
// v1.9.7 bindings/azure/storagequeues/storagequeues.go AzureQueueHelper.Read dequeues one message with a
// fixed 30 s visibility timeout, never calls UpdateMessage and never looks at DequeueCount.
import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { loadScenario, resolveScenario, ScenarioError, type Scenario } from "../scenario/load.js";
import { simulate } from "../run.js";
import { parseTrigger } from "../triggers/index.js";
import { thrown } from "../triggers/test-helpers.js";
import type { MessageEventRecord, ScaleRecord, TraceRecord } from "../trace.js";

const SCENARIOS = resolve(import.meta.dirname, "../../fixtures/scenarios");
const TRAP = resolve(SCENARIOS, "azure-queue-visibleonly.yaml");

const azqTrigger = (metadata: Record<string, string> = {}) => ({ type: "azure-queue", metadata: { queueName: "jobs", connectionFromEnv: "STORAGE", ...metadata } });
const azqScaledObject = (spec: Record<string, unknown> = {}, trigger: Record<string, unknown> = azqTrigger()) => ({
  apiVersion: "keda.sh/v1alpha1",
  kind: "ScaledObject",
  metadata: { name: "c" },
  spec: { scaleTargetRef: { name: "consumer" }, minReplicaCount: 0, maxReplicaCount: 2, ...spec, triggers: [trigger] },
});

function scenario(raw: Record<string, unknown>): Scenario {
  return resolveScenario({ name: "azq", keda: { pollPhaseSeconds: 1 }, hpa: { syncPhaseSeconds: 2 }, manifests: [azqScaledObject()], ...raw }, SCENARIOS, "inline-test.yaml");
}

const messages = (rs: TraceRecord[], event: string) => rs.filter((r): r is MessageEventRecord => r.type === "message" && r.event === event);
const scales = (rs: TraceRecord[]) => rs.filter((r): r is ScaleRecord => r.type === "scale");

const scenarioError = (f: () => unknown): ScenarioError => thrown(ScenarioError, f);

describe("broker azure-storage-queue: defaults", () => {
  it("an azure-queue trigger picks it: visibility timeout 30 s, no renewal, never dead-lettered, one message per receive", () => {
    const s = scenario({ producers: [{ type: "burst", count: 1 }] });
    expect(s.queue).toEqual({ broker: "azure-storage-queue", lockDuration: 30, lockRenewal: 0, maxDeliveryCount: Infinity, prefetch: 1, statsInterval: 0 });
    expect(s.consumer.concurrency).toBe(1);
    expect(s.warnings).toEqual([]);
  });

  it("a bindings.azure.storagequeues component picks it too, whatever the trigger", () => {
    const s = scenario({
      producers: [{ type: "burst", count: 1 }],
      manifests: ["../manifests/azure-storage-queue/component.yaml", azqScaledObject({}, { type: "azure-servicebus", metadata: { queueName: "q" } })],
    });
    expect(s.daprComponent).toEqual({ name: "jobs", type: "bindings.azure.storagequeues" });
    expect(s.queue.broker).toBe("azure-storage-queue");
  });

  it("a component's visibilityTimeout / pollingInterval: warned about, ignored (Dapr 1.9's binding has no such option)", () => {
    const comp = {
      apiVersion: "dapr.io/v1alpha1",
      kind: "Component",
      metadata: { name: "jobs" },
      spec: { type: "bindings.azure.storagequeues", version: "v1", metadata: [{ name: "queueName", value: "jobs" }, { name: "visibilityTimeout", value: "5m" }, { name: "pollingInterval", value: "1s" }] },
    };
    const s = scenario({ producers: [{ type: "burst", count: 1 }], manifests: [comp, azqScaledObject()] });
    expect(s.queue.lockDuration).toBe(30);
    expect(s.warnings).toHaveLength(2);
    expect(s.warnings[0]).toMatch(/^inline-test\.yaml: manifests\[0\]: spec\.metadata\[name=visibilityTimeout\]: ignored by Dapr 1\.9's bindings\.azure\.storagequeues/);
    expect(s.warnings[1]).toMatch(/spec\.metadata\[name=pollingInterval\]: ignored/);
  });

  it.each([
    [{ lockRenewalSeconds: 20 }, "queue.lockRenewalSeconds", /never extends .*UpdateMessage/],
    [{ maxDeliveryCount: 5 }, "queue.maxDeliveryCount", /no dead-lettering .*DequeueCount/],
    [{ lockDurationSeconds: 604801 }, "queue.lockDurationSeconds", /between 1 and 604800/],
    [{ lockDurationSeconds: 2.5 }, "queue.lockDurationSeconds", /whole seconds/],
    [{ broker: "azure-storagequeue" }, "queue.broker", /azure-storage-queue/],
  ])("rejects queue %j at %s", (queue, path, expected) => {
    const e = scenarioError(() => scenario({ producers: [{ type: "burst", count: 1 }], queue }));
    expect(e.path).toBe(path);
    expect(e.expected).toMatch(expected);
    expect(e.file).toBe("inline-test.yaml");
  });

  it("lockRenewalSeconds 0 and a longer visibility timeout (a newer daprd's visibilityTimeout) are accepted", () => {
    const s = scenario({ producers: [{ type: "burst", count: 1 }], queue: { lockRenewalSeconds: 0, lockDurationSeconds: 300 } });
    expect(s.queue).toMatchObject({ broker: "azure-storage-queue", lockDuration: 300, lockRenewal: 0 });
  });
});

describe("broker azure-storage-queue: a job longer than 30 s has no end", () => {
  // One 45 s job, two Ready pods: every receipt's visibility timeout lapses before its job ends, so the
  // message is visible again every 30 s and the other pod receives it; the late Delete carries the pop receipt
  // of a receive that has since been superseded, and the service refuses it.
  const run = (queue: Record<string, unknown>) =>
    simulate(scenario({ producers: [{ type: "burst", count: 1 }], queue, consumer: { processingTime: 45, initialReplicas: 2 }, manifests: [azqScaledObject({ minReplicaCount: 2 })], duration: 400 }));

  it("received again every 30 s, past any DequeueCount: no poison queue, no dead letter", () => {
    const out = run({});
    const again = messages(out.records, "redelivered").map((r) => r.t);
    expect(again).toEqual([30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330, 360, 390]);
    expect(out.summary.messages).toMatchObject({ produced: 1, completed: 0, redelivered: 13, deadLettered: 0, lost: 0 });
    const abandoned = messages(out.records, "abandoned");
    expect(abandoned).toHaveLength(13);
    expect(abandoned.every((r) => r.reason === "visibility timeout expired while processing")).toBe(true);
  });

  it("the same lapses on Service Bus (no renewal, lock 30 s) end at its maxDeliveryCount 10", () => {
    const out = run({ broker: "azure-servicebus", lockDurationSeconds: 30, lockRenewalSeconds: 0 });
    expect(out.summary.messages).toMatchObject({ completed: 0, deadLettered: 1, redelivered: 9 });
    expect(messages(out.records, "dead-lettered")[0].t).toBe(300);
  });

  it("a visibility timeout longer than the job (lockDurationSeconds 60): done once", () => {
    expect(run({ lockDurationSeconds: 60 }).summary.messages).toMatchObject({ completed: 1, redelivered: 0, duplicates: 0 });
  });
});

describe("broker azure-storage-queue: a killed pod's message", () => {
  it("stays invisible until 30 s after its receipt, then is received again", () => {
    const out = simulate(
      scenario({
        producers: [{ type: "burst", count: 1 }],
        consumer: { processingTime: 20, initialReplicas: 2, faults: { kills: [{ at: 5, count: 2 }] } },
        manifests: [azqScaledObject({ minReplicaCount: 2 })],
        duration: 120,
      }),
    );
    const again = messages(out.records, "redelivered");
    expect(again).toHaveLength(1);
    expect(again[0].t).toBe(30); // received at 0; the replacement pods are Ready long before
    expect(out.summary.messages).toMatchObject({ completed: 1, lost: 0 });
  });
});

describe("the shipped scenario azure-queue-visibleonly", () => {
  const trap = loadScenario(TRAP);
  // The same scenario with the trigger's default strategy ("all"): the file's metadata without it.
  const asDefault = (): Scenario => {
    const metadata = { queueName: "kedasim-jobs", accountName: "kedasimjobs", queueLength: "2" };
    const trigger = parseTrigger({ type: "azure-queue", authenticationRef: { name: "keda-azure-storage" }, metadata }, 0, "spec.triggers[0]");
    return { ...trap, scaledObject: { ...trap.scaledObject, triggers: [trigger] } };
  };

  it("visible messages only: KEDA scales to zero under busy pods, and one job is cut, received again and cut again until the end", () => {
    expect(trap.queue).toMatchObject({ broker: "azure-storage-queue", lockDuration: 30, maxDeliveryCount: Infinity });
    expect(trap.scaledObject.triggers[0].read({ ready: 0, inFlight: 10, prefetched: 0, publishRate: 0, deliverRate: 0 }).value).toBe(0);
    const out = simulate(trap);
    const cut = messages(out.records, "abandoned");
    expect(cut.every((r) => r.reason === "SIGKILL at the end of terminationGracePeriodSeconds")).toBe(true);
    expect(out.summary.messages).toMatchObject({ produced: 20, completed: 19, deadLettered: 0, lost: 0, duplicates: 0 });
    // Every cut message comes back, each time no earlier than 30 s after the receipt that was cut.
    const again = messages(out.records, "redelivered");
    expect(again.length).toBe(cut.length - 1); // the last cut is still invisible when the scenario stops
    for (const r of again) {
      const cutOf = cut.filter((c) => c.id === r.id && c.t <= r.t).at(-1)!;
      expect(r.t).toBeGreaterThanOrEqual(cutOf.startedAt! + 30);
    }
    // The one that never completes goes round for the whole 30 minutes: cut about every 35 s.
    const stuck = cut.filter((c) => c.id === cut.at(-1)!.id);
    expect(stuck.length).toBeGreaterThanOrEqual(45);
    expect(stuck.at(-1)!.t).toBeGreaterThan(1750);
    expect(scales(out.records).filter((e) => e.from === 0).length).toBeGreaterThanOrEqual(45); // KEDA 0 → 1 for nearly every return
  });

  it("the default (ApproximateMessagesCount, in flight included) keeps the pods until the work is done", () => {
    const cutRun = simulate(trap);
    const out = simulate(asDefault());
    expect(out.summary.messages).toMatchObject({ completed: 20, redelivered: 0, duplicates: 0, lost: 0 });
    expect(messages(out.records, "abandoned")).toHaveLength(0);
    expect(scales(out.records).filter((e) => e.from === 0).length).toBe(1);
    expect(out.summary.replicas.replicaSeconds).toBeLessThan(cutRun.summary.replicas.replicaSeconds / 2);
  });
});
