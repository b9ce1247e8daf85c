import { describe, expect, it } from "vitest";
import { parseTrigger } from "./index.js";
import { TriggerConfigError } from "./types.js";

const BASE = { natsServerMonitoringEndpoint: "nats:8222", account: "$G", stream: "mapper_data", consumer: "mapper-workers" };

function js(metadata: Record<string, unknown>) {
  return parseTrigger({ type: "nats-jetstream", metadata: { ...BASE, ...metadata } }, 1, "spec.triggers[1]");
}

describe("nats-jetstream trigger", () => {
  it("defaults: lagThreshold 10, activation 0; metric name s<i>-nats-jetstream-<stream>", () => {
    expect(js({})).toMatchObject({ type: "nats-jetstream", target: 10, activationThreshold: 0, metricName: "s1-nats-jetstream-mapper_data", warnings: [] });
  });

  it("lag = num_pending + num_ack_pending; active when > activationLagThreshold", () => {
    const t = js({ activationLagThreshold: "3" });
    expect(t.read({ ready: 99, inFlight: 99, prefetched: 0, publishRate: 0, deliverRate: 0, numPending: 2, numAckPending: 1 })).toEqual({ value: 3, active: false });
    expect(t.read({ ready: 0, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0, numPending: 2, numAckPending: 2 })).toEqual({ value: 4, active: true });
    // without JetStream fields: ready as pending, in flight + prefetched as ack pending
    expect(js({}).read({ ready: 5, inFlight: 2, prefetched: 1, publishRate: 0, deliverRate: 0 })).toEqual({ value: 8, active: true });
  });

  it("requires stream and consumer; warns (does not fail) when account or endpoint may come from a TriggerAuthentication", () => {
    const missing = (k: string) => {
      const md: Record<string, unknown> = { ...BASE };
      delete md[k];
      try {
        parseTrigger({ type: "nats-jetstream", metadata: md }, 0, "t");
      } catch (e) {
        return (e as TriggerConfigError).path;
      }
      return null;
    };
    expect(missing("stream")).toBe("t.metadata.stream");
    expect(missing("consumer")).toBe("t.metadata.consumer");
    expect(missing("account")).toBeNull();
    const t = parseTrigger({ type: "nats-jetstream", metadata: { stream: "s", consumer: "c" } }, 0, "t");
    expect(t.warnings.join("\n")).toMatch(/account/);
    expect(t.warnings.join("\n")).toMatch(/natsServerMonitoringEndpoint/);
    expect(() => js({ lagThreshold: "0" })).toThrow(TriggerConfigError);
    expect(() => js({ streams: "x" })).toThrow(/streams/);
  });
});
