import { describe, expect, it } from "vitest";
import { parseTrigger, supportedTriggerTypes } from "./index.js";
import { goQueryEscape, kedaMetricValue, normalizeString } from "./types.js";
import { configError } from "./test-helpers.js";

describe("parseTrigger", () => {
  it("lists the supported types", () => {
    expect([...supportedTriggerTypes].sort()).toEqual(["aws-sqs-queue", "azure-queue", "azure-servicebus", "kafka", "nats-jetstream", "rabbitmq", "redis-streams"]);
  });

  it("rejects an unknown type with the supported list", () => {
    const e = configError(() => parseTrigger({ type: "aws-cloudwatch", metadata: {} }, 2, "spec.triggers[2]"));
    expect(e.path).toBe("spec.triggers[2].type");
    expect(e.expected).toMatch(/azure-servicebus/);
    expect(e.expected).toMatch(/rabbitmq/);
    expect(e.message).toMatch(/^spec\.triggers\[2\]\.type: /);
  });

  it("does not treat inherited object keys as trigger types", () => {
    expect(configError(() => parseTrigger({ type: "toString", metadata: {} }, 0, "t")).path).toBe("t.type");
  });

  it.each([
    [null, "spec.triggers[0]"],
    [{ metadata: {} }, "spec.triggers[0].type"],
    [{ type: "rabbitmq" }, "spec.triggers[0].metadata"],
    [{ type: "rabbitmq", metadata: "queueName=jobs" }, "spec.triggers[0].metadata"],
    [{ type: "rabbitmq", metadata: { queueName: "j" }, metricType: "Utilization" }, "spec.triggers[0].metricType"],
    [{ type: "rabbitmq", metadata: { queueName: "j" }, metricType: "Average" }, "spec.triggers[0].metricType"],
    [{ type: "rabbitmq", metadata: { queueName: "j" }, useCachedMetrics: "yes" }, "spec.triggers[0].useCachedMetrics"],
    [{ type: "rabbitmq", metadata: { queueName: "j" }, metadta: {} }, "spec.triggers[0].metadta"],
    [{ type: "rabbitmq", metadata: { queueName: ["a"] } }, "spec.triggers[0].metadata.queueName"],
  ])("rejects %j at %s", (raw, path) => {
    expect(configError(() => parseTrigger(raw, 0, "spec.triggers[0]")).path).toBe(path);
  });

  it("reads metricType, useCachedMetrics, name and authenticationRef", () => {
    const t = parseTrigger(
      { type: "rabbitmq", name: "jobs", metricType: "Value", useCachedMetrics: true, authenticationRef: { name: "auth" }, metadata: { queueName: "j" } },
      3,
      "spec.triggers[3]",
    );
    expect(t).toMatchObject({ index: 3, targetType: "Value", useCachedMetrics: true, metricName: "s3-rabbitmq-j" });
  });
});

describe("shared helpers", () => {
  it("kedaMetricValue: milli rounding, NaN/Inf/negative => 0", () => {
    expect(kedaMetricValue(1.23456)).toBe(1.235);
    expect(kedaMetricValue(-2)).toBe(0);
    expect(kedaMetricValue(Number.NaN)).toBe(0);
    expect(kedaMetricValue(Number.POSITIVE_INFINITY)).toBe(0);
  });
  it("normalizeString and goQueryEscape mirror KEDA / Go", () => {
    expect(normalizeString("a/b.c:d%e(f)")).toBe("a-b-c-d-e-f-");
    expect(goQueryEscape("a b/c~d*é")).toBe("a+b%2Fc~d%2A%C3%A9");
  });
});
