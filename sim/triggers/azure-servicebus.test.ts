import { describe, expect, it } from "vitest";
import { parseTrigger } from "./index.js";
import { configError, snap } from "./test-helpers.js";

const sb = (metadata: unknown, extra: Record<string, unknown> = {}, apiVersion?: string) =>
  parseTrigger({ type: "azure-servicebus", metadata, ...extra }, 0, "spec.triggers[0]", apiVersion ? { apiVersion } : {});

describe("azure-servicebus trigger", () => {
  it("defaults: messageCount 5, activation 0, AverageValue, metric name s0-azure-servicebus-<queue>", () => {
    const t = sb({ queueName: "msgqueue" });
    expect(t).toMatchObject({
      type: "azure-servicebus",
      index: 0,
      metricName: "s0-azure-servicebus-msgqueue",
      targetType: "AverageValue",
      target: 5,
      activationThreshold: 0,
      useCachedMetrics: false,
    });
    expect(t.description).toMatch(/locked/);
    expect(t.warnings).toEqual([]);
  });

  it("counts active messages = ready + in flight (locked) + prefetched", () => {
    const t = sb({ queueName: "q", messageCount: "10" });
    expect(t.read(snap({ ready: 3, inFlight: 4, prefetched: 2 }))).toEqual({ value: 9, active: true });
    expect(t.read(snap())).toEqual({ value: 0, active: false });
    expect(t.target).toBe(10);
  });

  it("activation is strict: activationMessageCount 5 needs 6 messages", () => {
    const t = sb({ queueName: "q", activationMessageCount: "5" });
    expect(t.read(snap({ ready: 5 })).active).toBe(false);
    expect(t.read(snap({ ready: 5, inFlight: 1 })).active).toBe(true);
  });

  it("legacy queueLength (the keda.k8s.io/v1alpha1 seed) is read as the target, with a warning", () => {
    const t = sb({ queueName: "msgqueue", queueLength: "7" });
    expect(t.target).toBe(7);
    expect(t.warnings.join("\n")).toMatch(/pre-v2 name/);
    expect(sb({ queueName: "msgqueue", queueLength: "7" }, {}, "keda.k8s.io/v1alpha1").target).toBe(7);
  });

  it("with keda.sh/v1alpha1, queueLength is ignored like KEDA v2 does (target stays 5)", () => {
    const t = sb({ queueName: "msgqueue", queueLength: "7" }, {}, "keda.sh/v1alpha1");
    expect(t.target).toBe(5);
    expect(t.warnings.join("\n")).toMatch(/ignores "queueLength"/);
  });

  it("rejects messageCount together with queueLength", () => {
    const e = configError(() => sb({ queueName: "q", queueLength: "5", messageCount: "5" }));
    expect(e.path).toBe("spec.triggers[0].metadata.queueLength");
  });

  it("topic + subscription", () => {
    const t = sb({ topicName: "orders", subscriptionName: "billing" });
    expect(t.metricName).toBe("s0-azure-servicebus-orders");
    expect(t.description).toMatch(/orders\/billing/);
  });

  it("useRegex metric name and a warning", () => {
    const t = sb({ queueName: "orders-.*", useRegex: "true" });
    expect(t.metricName).toBe("s0-azure-servicebus-queue-regex");
    expect(t.warnings).toHaveLength(1);
  });

  it.each([
    [{}, "spec.triggers[0].metadata.queueName"],
    [{ queueName: "q", subscriptionName: "s" }, "spec.triggers[0].metadata.subscriptionName"],
    [{ queueName: "q", topicName: "t", subscriptionName: "s" }, "spec.triggers[0].metadata.subscriptionName"],
    [{ topicName: "t" }, "spec.triggers[0].metadata.subscriptionName"],
    [{ queueName: "q", messageCount: "five" }, "spec.triggers[0].metadata.messageCount"],
    [{ queueName: "q", messageCount: "2.5" }, "spec.triggers[0].metadata.messageCount"],
    [{ queueName: "q", messageCount: "0" }, "spec.triggers[0].metadata.messageCount"],
    [{ queueName: "q", operation: "median" }, "spec.triggers[0].metadata.operation"],
    [{ queueName: "q", useRegex: "yes" }, "spec.triggers[0].metadata.useRegex"],
    [{ queueName: "(", useRegex: "true" }, "spec.triggers[0].metadata.queueName"],
  ])("rejects %j at %s", (metadata, path) => {
    expect(configError(() => sb(metadata)).path).toBe(path);
  });

  it("rejects unknown metadata keys, naming the accepted ones", () => {
    const e = configError(() => sb({ queueName: "q", mesageCount: "5" }));
    expect(e.path).toBe("spec.triggers[0].metadata.mesageCount");
    expect(e.expected).toMatch(/messageCount/);
    expect(e.expected).toMatch(/activationMessageCount/);
  });

  it("accepts the documented connection/cloud keys and unquoted numbers (with a warning)", () => {
    const t = sb({ queueName: "q", connectionFromEnv: "SB", cloud: "AzurePublicCloud", namespace: "ns", messageCount: 5 });
    expect(t.target).toBe(5);
    expect(t.warnings.join("\n")).toMatch(/not a string/);
  });

  it("metricType Value is passed through", () => {
    expect(sb({ queueName: "q" }, { metricType: "Value" }).targetType).toBe("Value");
  });
});
