import { describe, expect, it } from "vitest";
import { parseTrigger } from "./index.js";
import { rabbitMetric, readsSampledStats } from "./rabbitmq.js";
import { configError, snap } from "./test-helpers.js";

const rmq = (metadata: unknown) => parseTrigger({ type: "rabbitmq", metadata }, 1, "spec.triggers[1]");

describe("readsSampledStats: which triggers read RabbitMQ's sampled management statistics", () => {
  it("only the HTTP protocol, on a RabbitMQ queue whose statistics are sampled", () => {
    const http = rmq({ host: "http://guest:guest@localhost:15672/", queueName: "q" });
    const amqp = rmq({ host: "amqp://guest:guest@localhost:5672/", queueName: "q" });
    expect(http.protocol).toBe("http");
    expect(readsSampledStats(http, { broker: "rabbitmq", statsInterval: 5 })).toBe(true);
    expect(readsSampledStats(http, { broker: "rabbitmq", statsInterval: 0 })).toBe(false); // live statistics
    expect(readsSampledStats(amqp, { broker: "rabbitmq", statsInterval: 5 })).toBe(false); // passive declare: live
    expect(readsSampledStats(http, { broker: "azure-servicebus", statsInterval: 5 })).toBe(false);
    expect(readsSampledStats({ type: "azure-servicebus" }, { broker: "rabbitmq", statsInterval: 5 })).toBe(false);
  });
});

describe("rabbitmq trigger: protocol and what is counted", () => {
  const q = snap({ ready: 10, inFlight: 3, prefetched: 4 });

  it("AMQP counts ready messages only (unacked excluded)", () => {
    const t = rmq({ queueName: "jobs", host: "amqp://guest:guest@rabbit:5672/", mode: "QueueLength", value: "5" });
    expect(t.read(q)).toEqual({ value: 10, active: true });
    expect(t.description).toMatch(/AMQP.*ready messages only/);
  });

  it("HTTP counts ready + unacked (in flight + prefetched)", () => {
    const t = rmq({ queueName: "jobs", host: "http://guest:guest@rabbit:15672/", mode: "QueueLength", value: "5" });
    expect(t.read(q)).toEqual({ value: 17, active: true });
  });

  it("HTTP with excludeUnacknowledged counts ready only", () => {
    const t = rmq({ queueName: "jobs", protocol: "http", excludeUnacknowledged: "true", mode: "QueueLength", value: "5" });
    expect(t.read(q).value).toBe(10);
  });

  it("protocol auto without a host assumes amqp, with a warning", () => {
    const t = rmq({ queueName: "jobs", hostFromEnv: "RABBIT_HOST" });
    expect(t.read(q).value).toBe(10);
    expect(t.warnings.join("\n")).toMatch(/assuming amqp/);
  });

  it("explicit protocol wins over the host scheme; amqps/https are recognised", () => {
    expect(rmq({ queueName: "j", host: "amqps://rabbit" }).read(q).value).toBe(10);
    expect(rmq({ queueName: "j", host: "HTTPS://rabbit" }).read(q).value).toBe(17);
    expect(rmq({ queueName: "j", host: "amqp://rabbit", protocol: "http" }).read(q).value).toBe(17);
  });
});

describe("rabbitmq trigger: modes and targets", () => {
  it("nothing set => QueueLength with value 20", () => {
    const t = rmq({ queueName: "jobs" });
    expect(t).toMatchObject({ target: 20, activationThreshold: 0, metricName: "s1-rabbitmq-jobs" });
  });

  it("deprecated queueLength sets QueueLength mode, with a warning", () => {
    const t = rmq({ queueName: "jobs", queueLength: "7" });
    expect(t.target).toBe(7);
    expect(t.warnings.join("\n")).toMatch(/deprecated/);
  });

  it("MessageRate: value is the publish rate; active if rate > activation OR messages > activation", () => {
    const t = rmq({ queueName: "jobs", protocol: "http", mode: "MessageRate", value: "100" });
    expect(t.read(snap({ publishRate: 1.4 }))).toEqual({ value: 1.4, active: true });
    expect(t.read(snap({ ready: 1 }))).toEqual({ value: 0, active: true });
    expect(t.read(snap())).toEqual({ value: 0, active: false });
  });

  it("activationValue is strict and independent from the target", () => {
    const t = rmq({ queueName: "jobs", mode: "QueueLength", value: "5", activationValue: "3" });
    expect(t.read(snap({ ready: 3 }))).toEqual({ value: 3, active: false });
    expect(t.read(snap({ ready: 4 })).active).toBe(true);
  });

  it("DeliverGetRate, PublishedToDeliveredRatio, ExpectedQueueConsumptionTime (rabbitmq_scaler.go GetMetricsAndActivity)", () => {
    expect(rabbitMetric("DeliverGetRate", 0, { messages: 3, publishRate: 1, deliverGetRate: 2.5 })).toEqual({ value: 2.5, active: true });
    expect(rabbitMetric("PublishedToDeliveredRatio", 0.5, { messages: 0, publishRate: 3, deliverGetRate: 2 })).toEqual({ value: 1.5, active: true });
    expect(rabbitMetric("PublishedToDeliveredRatio", 0.5, { messages: 0, publishRate: 3, deliverGetRate: 0 })).toEqual({ value: 0.5, active: true });
    expect(rabbitMetric("ExpectedQueueConsumptionTime", 1, { messages: 10, publishRate: 3, deliverGetRate: 2 })).toEqual({ value: 5.5, active: true });
    expect(rabbitMetric("ExpectedQueueConsumptionTime", 1, { messages: 10, publishRate: 3, deliverGetRate: 0 })).toEqual({ value: 1, active: true });
    expect(rabbitMetric("ExpectedQueueConsumptionTime", 1, { messages: 0, publishRate: 0, deliverGetRate: 2 })).toEqual({ value: 0, active: false });
  });

  it("metric value goes through KEDA's milli rounding and negatives become 0", () => {
    const t = rmq({ queueName: "jobs", protocol: "http", mode: "ExpectedQueueConsumptionTime", value: "30" });
    expect(t.read(snap({ ready: 1, publishRate: 0, deliverRate: 3 })).value).toBe(0); // -1 + 1/3 < 0 => 0
    expect(t.read(snap({ ready: 3, publishRate: 1, deliverRate: 3 })).value).toBe(0.333); // -2/3 + 1
  });

  it("metric name query-escapes and normalizes the queue name", () => {
    expect(rmq({ queueName: "orders.v1/eu west" }).metricName).toBe("s1-rabbitmq-orders-v1-2Feu+west");
  });
});

describe("rabbitmq trigger: errors", () => {
  it.each([
    [{}, "queueName"],
    [{ queueName: "j", protocol: "mqtt" }, "protocol"],
    [{ queueName: "j", host: "redis://x" }, "host"],
    [{ queueName: "j", excludeUnacknowledged: "true" }, "excludeUnacknowledged"],
    [{ queueName: "j", host: "amqp://x", useRegex: "true" }, "useRegex"],
    [{ queueName: "j", queueLength: "5", mode: "QueueLength" }, "queueLength"],
    [{ queueName: "j", queueLength: "5", value: "5" }, "queueLength"],
    [{ queueName: "j", value: "5" }, "mode"],
    [{ queueName: "j", mode: "QueueLength" }, "value"],
    [{ queueName: "j", mode: "Backlog", value: "5" }, "mode"],
    [{ queueName: "j", mode: "MessageRate", value: "5" }, "mode"], // http-only mode with amqp
    [{ queueName: "j", mode: "QueueLength", value: "-5" }, "value"],
    [{ queueName: "j", protocol: "amqp", timeout: "5s" }, "timeout"],
    [{ queueName: "j", protocol: "http", timeout: "soon" }, "timeout"],
    [{ queueName: "j", pageSize: "0" }, "pageSize"],
    [{ queueName: "j", includeUnacked: "true" }, "includeUnacked"],
  ])("rejects %j at metadata.%s", (metadata, key) => {
    const e = configError(() => rmq(metadata));
    expect(e.path).toBe(`spec.triggers[1].metadata.${key}`);
    expect(e.expected.length).toBeGreaterThan(5);
  });

  it("accepts timeout with http (duration or milliseconds)", () => {
    expect(() => rmq({ queueName: "j", protocol: "http", timeout: "1m30s" })).not.toThrow();
    expect(() => rmq({ queueName: "j", protocol: "http", timeout: "1500" })).not.toThrow();
  });
});
