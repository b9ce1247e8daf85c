import { describe, expect, it } from "vitest";
import { parseTrigger } from "./index.js";
import { kafkaPartitionLag, kafkaTotalLag, parsePartitionLimitation, type KafkaSettings } from "./kafka.js";
import type { QueueSnapshot } from "./types.js";
import { configError } from "./test-helpers.js";

const BASE = { bootstrapServers: "kafka:9092", consumerGroup: "group1", topic: "sample" };

function kafka(metadata: Record<string, unknown>) {
  return parseTrigger({ type: "kafka", metadata: { ...BASE, ...metadata } }, 0, "spec.triggers[0]");
}

function snap(partitions: Array<[number, number | null]>): QueueSnapshot {
  return { ready: 0, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0, partitions: partitions.map(([latest, committed]) => ({ latest, committed })) };
}

const settings = (o: Partial<KafkaSettings> = {}): KafkaSettings => ({
  topic: "sample",
  consumerGroup: "group1",
  lagThreshold: 10,
  activationLagThreshold: 0,
  offsetResetPolicy: "latest",
  allowIdleConsumers: false,
  scaleToZeroOnInvalidOffset: false,
  limitToPartitionsWithLag: false,
  ensureEvenDistributionOfPartitions: false,
  partitionLimitation: null,
  ...o,
});

describe("kafka trigger", () => {
  it("defaults: lagThreshold 10, activation 0, AverageValue; metric name s<i>-kafka-<topic>", () => {
    const t = kafka({});
    expect(t).toMatchObject({ type: "kafka", target: 10, activationThreshold: 0, targetType: "AverageValue", metricName: "s0-kafka-sample" });
    expect(parseTrigger({ type: "kafka", metadata: { bootstrapServers: "k:9092", consumerGroup: "g" } }, 2, "t").metricName).toBe("s2-kafka-g-topics");
  });

  it("lag = Σ (latest − committed) over partitions", () => {
    expect(kafka({}).read(snap([[10, 4], [3, 3], [7, 0]]))).toEqual({ value: 13, active: true });
    expect(kafka({}).read(snap([[5, 5]]))).toEqual({ value: 0, active: false });
  });

  it("no committed offset: latest policy counts 1 (0 with scaleToZeroOnInvalidOffset); earliest counts the whole partition", () => {
    expect(kafkaPartitionLag(settings(), { latest: 50, committed: null })).toBe(1);
    expect(kafkaPartitionLag(settings({ scaleToZeroOnInvalidOffset: true }), { latest: 50, committed: null })).toBe(0);
    expect(kafkaPartitionLag(settings({ offsetResetPolicy: "earliest" }), { latest: 50, committed: null })).toBe(50);
    expect(kafkaPartitionLag(settings({ offsetResetPolicy: "earliest", scaleToZeroOnInvalidOffset: true }), { latest: 50, committed: null })).toBe(0);
    // an empty topic with no committed offset still activates under the default policy (keda#2612)
    expect(kafka({}).read(snap([[0, null]]))).toEqual({ value: 1, active: true });
    expect(kafka({ scaleToZeroOnInvalidOffset: "true" }).read(snap([[0, null]]))).toEqual({ value: 0, active: false });
  });

  it("the partition cap: lag/threshold (integer division) > partitions ⇒ partitions × threshold", () => {
    const one = kafka({});
    expect(one.read(snap([[400, 0]])).value).toBe(10);
    // Go integer division: 19/10 = 1 is not > 1, so 19 passes uncapped (desired can reach P + 1)
    expect(one.read(snap([[19, 0]])).value).toBe(19);
    expect(one.read(snap([[20, 0]])).value).toBe(10);
    const six = kafka({});
    expect(six.read(snap([[100, 0], [100, 0], [100, 0], [0, 0], [0, 0], [0, 0]])).value).toBe(60);
  });

  it("activity uses the uncapped lag", () => {
    const t = kafka({ activationLagThreshold: "50" });
    expect(t.read(snap([[51, 0]]))).toEqual({ value: 10, active: true });
    expect(t.read(snap([[50, 0]]))).toEqual({ value: 10, active: false });
  });

  it("allowIdleConsumers lifts the cap; limitToPartitionsWithLag caps at partitions with lag; even distribution rounds up to a factor", () => {
    expect(kafka({ allowIdleConsumers: "true" }).read(snap([[400, 0]])).value).toBe(400);
    expect(kafka({ limitToPartitionsWithLag: "true" }).read(snap([[400, 0], [0, 0], [0, 0], [0, 0]])).value).toBe(10);
    // 12 partitions, lag 33 → smallest factor f with 10 f ≥ 33 is 4 → 40
    const parts: Array<[number, number | null]> = Array.from({ length: 12 }, (_, i) => [i < 3 ? 11 : 0, 0]);
    expect(kafka({ ensureEvenDistributionOfPartitions: "true" }).read(snap(parts)).value).toBe(40);
  });

  it("partitionLimitation counts only the listed partitions", () => {
    expect(parsePartitionLimitation("0,2, 4-6")).toEqual([0, 2, 4, 5, 6]);
    expect(parsePartitionLimitation("1-x")).toBeNull();
    const t = kafka({ partitionLimitation: "1" });
    expect(t.read(snap([[100, 0], [5, 0]])).value).toBe(5);
    expect(kafkaTotalLag(settings({ partitionLimitation: [0, 2] }), [{ latest: 3, committed: 0 }, { latest: 9, committed: 0 }, { latest: 4, committed: 0 }])).toMatchObject({ partitions: 2, activityLag: 7 });
  });

  it("a plain queue snapshot reads as one partition of everything not yet settled", () => {
    expect(kafka({}).read({ ready: 4, inFlight: 2, prefetched: 1, publishRate: 0, deliverRate: 0 })).toEqual({ value: 7, active: true });
  });

  it.each([
    [{ bootstrapServers: undefined }, "spec.triggers[0].metadata.bootstrapServers"],
    [{ consumerGroup: undefined }, "spec.triggers[0].metadata.consumerGroup"],
    [{ lagThreshold: "0" }, "spec.triggers[0].metadata.lagThreshold"],
    [{ lagThreshold: "2.5" }, "spec.triggers[0].metadata.lagThreshold"],
    [{ activationLagThreshold: "-1" }, "spec.triggers[0].metadata.activationLagThreshold"],
    [{ offsetResetPolicy: "oldest" }, "spec.triggers[0].metadata.offsetResetPolicy"],
    [{ allowIdleConsumers: "true", limitToPartitionsWithLag: "true" }, "spec.triggers[0].metadata.limitToPartitionsWithLag"],
    [{ limitToPartitionsWithLag: "true", ensureEvenDistributionOfPartitions: "true" }, "spec.triggers[0].metadata.ensureEvenDistributionOfPartitions"],
    [{ topic: undefined, limitToPartitionsWithLag: "true" }, "spec.triggers[0].metadata.topic"],
    [{ excludePersistentLag: "true" }, "spec.triggers[0].metadata.excludePersistentLag"],
    [{ partitionLimitation: "a-b" }, "spec.triggers[0].metadata.partitionLimitation"],
    [{ lagTreshold: "5" }, "spec.triggers[0].metadata.lagTreshold"],
  ])("rejects %j at %s", (md, path) => {
    const metadata: Record<string, unknown> = { ...BASE, ...md };
    for (const k of Object.keys(metadata)) if (metadata[k] === undefined) delete metadata[k];
    expect(configError(() => parseTrigger({ type: "kafka", metadata }, 0, "spec.triggers[0]")).path).toBe(path);
  });
});
