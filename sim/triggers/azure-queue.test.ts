import { describe, expect, it } from "vitest";
import { parseTrigger } from "./index.js";
import { configError, snap } from "./test-helpers.js";

// Metadata of the upstream tests (azure_queue_scaler_test.go testAzQueueMetadata).
const AUTH = { authenticationRef: { name: "keda-azure-storage" } };
const azq = (metadata: unknown, extra: Record<string, unknown> = {}, index = 0) =>
  parseTrigger({ type: "azure-queue", metadata, ...extra }, index, `spec.triggers[${index}]`);
const base = { connectionFromEnv: "CONNECTION", queueName: "sample" };

describe("azure-queue trigger", () => {
  it("defaults: queueLength 5, activationQueueLength 0, strategy all, AverageValue, metric name s<i>-azure-queue-<queueName>", () => {
    const t = azq(base);
    expect(t).toMatchObject({ type: "azure-queue", index: 0, metricName: "s0-azure-queue-sample", targetType: "AverageValue", target: 5, activationThreshold: 0, useCachedMetrics: false });
    expect(t.warnings).toEqual([]);
    expect(t.description).toMatch(/ApproximateMessagesCount/);
    // upstream azQueueMetricIdentifiers[1]: the azure-workload metadata at trigger index 1
    expect(azq({ accountName: "sample_acc", queueName: "sample_queue" }, AUTH, 1).metricName).toBe("s1-azure-queue-sample_queue");
  });

  // Upstream TestAzQueueGetMessageCount (peek / total): the model's snapshot has the visible messages in
  // `ready` and the rest of the total in inFlight + prefetched. Peek returns at most 32, so the upstream
  // mock's 35 is 35 visible messages of which the peek sees 32.
  it.each([
    [undefined, 10, 100, 100], // "default strategy (all)"
    ["all", 10, 100, 100], // "explicit all strategy"
    ["visibleonly", 10, 100, 10], // "visibleonly strategy with less than 32 messages"
    ["visibleonly", 35, 100, 100], // "visibleonly strategy with 32 or more messages"
  ])("upstream vector: strategy %s, %d visible of %d in the queue, reads %d", (strategy, visible, total, expected) => {
    const t = azq({ ...base, queueLength: "1", ...(strategy ? { queueLengthStrategy: strategy } : {}) });
    const q = snap({ ready: visible, inFlight: total - visible - 7, prefetched: 7 });
    expect(t.read(q)).toEqual({ value: expected, active: true });
  });

  it("visibleonly: the peek's cliff at 32 — 31 visible read 31, 32 visible read the whole approximate count", () => {
    const t = azq({ ...base, queueLengthStrategy: "visibleonly" });
    expect(t.read(snap({ ready: 31, inFlight: 40 })).value).toBe(31);
    expect(t.read(snap({ ready: 32, inFlight: 40 })).value).toBe(72);
    expect(t.read(snap({ ready: 32 })).value).toBe(32);
    expect(t.description).toMatch(/NOT counted/);
  });

  it("all counts received (invisible) messages; visibleonly with busy pods and nothing visible reads 0 and is inactive", () => {
    expect(azq(base).read(snap({ inFlight: 10, prefetched: 2 }))).toEqual({ value: 12, active: true });
    expect(azq({ ...base, queueLengthStrategy: "visibleonly" }).read(snap({ inFlight: 10, prefetched: 2 }))).toEqual({ value: 0, active: false });
  });

  it("activation is strict (queuelen > activationQueueLength): activationQueueLength 3 needs 4 messages", () => {
    const t = azq({ ...base, activationQueueLength: "3" });
    expect(t.activationThreshold).toBe(3);
    expect(t.read(snap({ ready: 1, inFlight: 2 })).active).toBe(false);
    expect(t.read(snap({ ready: 2, inFlight: 2 })).active).toBe(true);
    expect(azq(base).read(snap()).active).toBe(false);
    expect(azq(base).read(snap({ ready: 1 })).active).toBe(true);
  });

  it("queueLength is the HPA target; metricType Value is kept", () => {
    expect(azq({ ...base, queueLength: "20" }, { metricType: "Value" })).toMatchObject({ target: 20, targetType: "Value" });
  });

  it.each([
    [{}, "spec.triggers[0].metadata.queueName"], // upstream "nothing passed"
    [{ connectionFromEnv: "CONNECTION", queueName: "" }, "spec.triggers[0].metadata.queueName"], // "empty queueName"
    [{ connectionFromEnv: "CONNECTION", queueName: "  " }, "spec.triggers[0].metadata.queueName"], // trimmed: "" is absent
    [{ ...base, queueLength: "AA" }, "spec.triggers[0].metadata.queueLength"], // "improperly formed queueLength"
    [{ ...base, queueLength: "1", activationQueueLength: "AA" }, "spec.triggers[0].metadata.activationQueueLength"], // "improperly formed activationQueueLength"
    [{ ...base, queueLength: "0" }, "spec.triggers[0].metadata.queueLength"], // an HPA target must be > 0
    [{ ...base, queueLength: "2.5" }, "spec.triggers[0].metadata.queueLength"], // int64
    [{ ...base, queueLengthStrategy: "invalid" }, "spec.triggers[0].metadata.queueLengthStrategy"], // "invalid queueLengthStrategy"
    [{ ...base, queueLengthStrategy: "VisibleOnly" }, "spec.triggers[0].metadata.queueLengthStrategy"], // the enum check is exact
    [{ ...base, cloud: "InvalidCloud" }, "spec.triggers[0].metadata.cloud"], // "podIdentity azure-workload with invalid cloud"
    [{ ...base, cloud: "Private", endpointSuffix: "" }, "spec.triggers[0].metadata.endpointSuffix"], // "private cloud and no endpoint suffix"
    [{ queueName: "sample" }, "spec.triggers[0].metadata.connection"], // no pod identity: a connection is required
    [{ ...base, queueLenght: "5" }, "spec.triggers[0].metadata.queueLenght"],
  ])("rejects %j at %s", (metadata, path) => {
    const e = configError(() => azq(metadata));
    expect(e.path).toBe(path);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
  });

  it("accepts the upstream success cases: connection from env, from metadata, from a TriggerAuthentication; valid clouds", () => {
    expect(azq({ ...base, queueLength: "5", queueLengthStrategy: "all" }).target).toBe(5);
    expect(azq({ ...base, queueLengthStrategy: " visibleonly " }).read(snap({ inFlight: 3 })).value).toBe(0); // trimmed
    expect(azq({ queueName: "sample", connection: "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k" }).warnings).toEqual([]);
    expect(azq({ queueName: "sample", queueLength: "5" }, AUTH).warnings.join("\n")).toMatch(/assumed the TriggerAuthentication supplies the connection/); // "connection from authParams"
    expect(azq({ accountName: "sample_acc", queueName: "sample_queue", cloud: "AzurePublicCloud" }, AUTH).warnings).toEqual([]); // "with cloud"
    expect(azq({ ...base, cloud: "azureusgovernment" }).warnings).toEqual([]); // EnvironmentFromName upper-cases
    expect(azq({ ...base, cloud: "Private", endpointSuffix: "queue.core.private.cloud" }).warnings).toEqual([]); // "private cloud and endpoint suffix"
    const ignored = azq({ ...base, cloud: "", endpointSuffix: "ignored" }); // "endpoint suffix and no cloud"
    expect(ignored.warnings.join("\n")).toMatch(/endpointSuffix: ignored unless cloud is "Private"/);
  });

  it("accepts an unquoted number with the usual warning (metadata is map[string]string)", () => {
    const t = azq({ ...base, queueLength: 7 });
    expect(t.target).toBe(7);
    expect(t.warnings.join("\n")).toMatch(/queueLength: 7 is not a string/);
  });
});
