import { describe, expect, it } from "vitest";
import { parseTrigger } from "./index.js";
import { redisStreamsCount } from "./redis-streams.js";
import { configError, snap } from "./test-helpers.js";

// Upstream: kedacore/keda pkg/scalers/redis_streams_scaler_test.go at v2.20.2.
const rs = (metadata: unknown, extra: Record<string, unknown> = {}, index = 0) => parseTrigger({ type: "redis-streams", metadata, ...extra }, index, `spec.triggers[${index}]`);
const hostPort = { host: "a", port: "1" };

describe("redis-streams trigger", () => {
  // TestParseRedisClusterStreamsMetadata rows, by which scale factor they end up with.
  it.each([
    ["stream is provided", { stream: "my-stream" }, "streamLength", 5],
    ["stream, consumerGroup is provided", { stream: "my-stream", consumerGroup: "consumer1" }, "pendingEntriesCount", 5],
    ["address is defined in auth params (lag)", { stream: "my-stream", lagCount: "6", activationLagCount: "3", consumerGroup: "consumer1" }, "lagCount", 6],
    ["zero activation lag count with lag count is allowed", { stream: "my-stream", lagCount: "7", activationLagCount: "0", consumerGroup: "consumer1" }, "lagCount", 7],
    ["streamLength passed", { stream: "my-stream", streamLength: "15" }, "streamLength", 15],
    ["streamLength, lagCount and consumerGroup passed", { stream: "my-stream", streamLength: "15", lagCount: "70", activationLagCount: "3", consumerGroup: "consumer1" }, "lagCount", 70],
    ["streamLength, pendingEntriesCount and consumerGroup passed", { stream: "my-stream", streamLength: "15", pendingEntriesCount: "5", consumerGroup: "consumer1" }, "pendingEntriesCount", 5],
    ["streamLength and pendingEntriesCount passed", { stream: "my-stream", streamLength: "15", pendingEntriesCount: "30" }, "streamLength", 15],
  ])("upstream %s: mode %s, target %d", (_name, md, mode, target) => {
    const t = rs({ ...hostPort, ...md });
    expect(t.target).toBe(target);
    expect(t.description).toContain(`(${mode})`);
    // the mode decides what is read: pending 2+1, lag 4, stream length 40
    const q = snap({ ready: 4, inFlight: 2, prefetched: 1, streamLength: 40 });
    expect(t.read(q).value).toBe({ pendingEntriesCount: 3, lagCount: 4, streamLength: 40 }[mode as string]);
  });

  it("lagCount \"0\" with a consumerGroup is the pendingEntriesCount mode (Validate: TargetLag != 0 picks lag)", () => {
    const t = rs({ ...hostPort, stream: "s", consumerGroup: "g", lagCount: "0", pendingEntriesCount: "3" });
    expect(t.target).toBe(3);
    expect(t.description).toContain("(pendingEntriesCount)");
  });

  it("ignored targets are warned about: streamLength with a group, pendingEntriesCount / lagCount without one", () => {
    expect(rs({ ...hostPort, stream: "s", consumerGroup: "g", streamLength: "15" }).warnings).toEqual([
      "spec.triggers[0].metadata.streamLength: ignored, consumerGroup is set and KEDA then reads XPENDING (pendingEntriesCount)",
    ]);
    const w = rs({ ...hostPort, stream: "s", lagCount: "5" }).warnings;
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^spec\.triggers\[0\]\.metadata\.lagCount: ignored, there is no consumerGroup/);
  });

  it("TestRedisStreamsGetMetricSpecForScaling: s0-redis-streams-my-stream, s1-redis-streams-my-stream", () => {
    const md = { stream: "my-stream", consumerGroup: "my-stream-consumer-group", pendingEntriesCount: "5", address: "REDIS_SERVICE", password: "REDIS_PASSWORD", databaseIndex: "0", enableTLS: "true" };
    expect(rs(md).metricName).toBe("s0-redis-streams-my-stream");
    expect(rs(md, {}, 1).metricName).toBe("s1-redis-streams-my-stream");
    expect(rs({ ...hostPort, stream: "orders.v1" }).metricName).toBe("s0-redis-streams-orders-v1");
  });

  it("TestActivityCount: lag 0 is inactive, lag 4 is active with activationLagCount 3 (strict: 3 is not)", () => {
    const t = rs({ ...hostPort, stream: "my-stream", lagCount: "7", activationLagCount: "3", consumerGroup: "consumer1" });
    expect(t.activationThreshold).toBe(3);
    expect(t.read(snap({ ready: 0 }))).toEqual({ value: 0, active: false });
    expect(t.read(snap({ ready: 4 }))).toEqual({ value: 4, active: true });
    expect(t.read(snap({ ready: 3 })).active).toBe(false);
  });

  it("keda#6478: activationLagCount 1 needs 2 entries (warned); the default 0 activates on one", () => {
    const one = rs({ ...hostPort, stream: "s", consumerGroup: "g", lagCount: "5", activationLagCount: "1" });
    expect(one.read(snap({ ready: 1 })).active).toBe(false);
    expect(one.read(snap({ ready: 2 })).active).toBe(true);
    expect(one.warnings.join("\n")).toMatch(/2 entries are needed to activate \(keda#6478\)/);
    const def = rs({ ...hostPort, stream: "s", consumerGroup: "g", lagCount: "5" });
    expect(def.activationThreshold).toBe(0);
    expect(def.warnings).toEqual([]);
    expect(def.read(snap({ ready: 1 })).active).toBe(true);
  });

  it("KEDA 2.16 refused activationLagCount 0 with lagCount (the cause of keda#6478); before 2.16 it had to be given; 2.17+ default 0", () => {
    const lag = { ...hostPort, stream: "s", consumerGroup: "g", lagCount: "5" };
    const at = (kedaVersion: string, md: Record<string, string>) => parseTrigger({ type: "redis-streams", metadata: md }, 0, "spec.triggers[0]", { kedaVersion });
    for (const md of [lag, { ...lag, activationLagCount: "0" }]) {
      const e = configError(() => at("2.16.1", md));
      expect(e.path).toBe("spec.triggers[0].metadata.activationLagCount");
      expect(e.expected).toMatch(/KEDA 2\.16\.1 .*keda#6478/);
    }
    // so on 2.16 the least one can write is "1", and one entry does not activate
    const sixteen = at("2.16.0", { ...lag, activationLagCount: "1" });
    expect(sixteen.read(snap({ ready: 1 })).active).toBe(false);
    expect(sixteen.read(snap({ ready: 2 })).active).toBe(true);
    expect(configError(() => at("2.15.1", lag)).expected).toMatch(/before 2\.17/);
    expect(at("2.15.1", { ...lag, activationLagCount: "0" }).read(snap({ ready: 1 })).active).toBe(true);
    expect(at("2.17.0", lag).read(snap({ ready: 1 })).active).toBe(true);
    // only the lag mode has the rule
    expect(at("2.16.1", { ...hostPort, stream: "s", consumerGroup: "g" }).activationThreshold).toBe(0);
  });

  it("activationLagCount applies to every mode, not only the lag", () => {
    const pending = rs({ ...hostPort, stream: "s", consumerGroup: "g", activationLagCount: "2" });
    expect(pending.read(snap({ inFlight: 2 })).active).toBe(false);
    expect(pending.read(snap({ inFlight: 3 })).active).toBe(true);
    const length = rs({ ...hostPort, stream: "s", activationLagCount: "2" });
    expect(length.read(snap({ streamLength: 3 })).active).toBe(true);
  });

  it("what each mode reads: pending = delivered and not acked (incl. lapsed, unclaimed); lag = never delivered; XLEN = appended − trimmed", () => {
    const q = snap({ ready: 10, inFlight: 3, prefetched: 4, reclaimable: 2, streamLength: 1000 });
    expect(redisStreamsCount("pendingEntriesCount", q)).toBe(3 + 4 + 2);
    expect(redisStreamsCount("lagCount", q)).toBe(10 - 2);
    expect(redisStreamsCount("streamLength", q)).toBe(1000);
    // no pod has read anything: all of it is lag, none of it pending (cannot scale from zero)
    const idle = snap({ ready: 7, streamLength: 7 });
    expect(rs({ ...hostPort, stream: "s", consumerGroup: "g" }).read(idle)).toEqual({ value: 0, active: false });
    expect(rs({ ...hostPort, stream: "s", consumerGroup: "g", lagCount: "5" }).read(idle)).toEqual({ value: 7, active: true });
    // everything processed: the stream still holds every entry
    const done = snap({ streamLength: 50 });
    expect(rs({ ...hostPort, stream: "s" }).read(done)).toEqual({ value: 50, active: true });
    expect(rs({ ...hostPort, stream: "s", consumerGroup: "g" }).read(done).active).toBe(false);
    // a snapshot without streamLength: what the broker still holds
    expect(redisStreamsCount("streamLength", snap({ ready: 1, inFlight: 2, prefetched: 3 }))).toBe(6);
  });

  // TestParseRedisStreamsMetadataForInvalidCases (every row errors), with the field path.
  it.each([
    ["missing address as well as host/port", { stream: "my-stream", pendingEntriesCount: "5", lagCount: "5", consumerGroup: "g" }, "address"],
    ["host present but missing port", { stream: "my-stream", pendingEntriesCount: "5", lagCount: "5", consumerGroup: "g", host: "REDIS_HOST" }, "port"],
    ["port present but missing host", { stream: "my-stream", pendingEntriesCount: "5", lagCount: "5", consumerGroup: "g", port: "REDIS_PORT" }, "host"],
    ["missing stream", { pendingEntriesCount: "5", consumerGroup: "g", address: "REDIS_HOST" }, "stream"],
    ["invalid lag", { stream: "my-stream", consumerGroup: "g", pendingEntriesCount: "5", lagCount: "junk", ...hostPort }, "lagCount"],
    ["invalid pendingEntriesCount", { stream: "my-stream", consumerGroup: "g", pendingEntriesCount: "junk", ...hostPort }, "pendingEntriesCount"],
    ["invalid streamLength", { stream: "my-stream", streamLength: "junk", ...hostPort }, "streamLength"],
    ["invalid databaseIndex", { stream: "my-stream", consumerGroup: "g", address: "x:1", databaseIndex: "junk" }, "databaseIndex"],
    ["invalid enableTLS", { stream: "my-stream", consumerGroup: "g", address: "x:1", enableTLS: "no" }, "enableTLS"],
    ["a blank stream", { stream: "  ", address: "x:1" }, "stream"],
    ["a zero target in the chosen mode", { stream: "s", consumerGroup: "g", pendingEntriesCount: "0", address: "x:1" }, "pendingEntriesCount"],
    ["an unknown key", { stream: "s", address: "x:1", pendingEntries: "5" }, "pendingEntries"],
  ])("%s → error at metadata.%s", (_name, md, key) => {
    const e = configError(() => rs(md));
    expect(e.path).toBe(`spec.triggers[0].metadata.${key}`);
    expect(e.expected.length).toBeGreaterThan(10);
  });

  it("the address may come from a TriggerAuthentication (warned); FromEnv variants are accepted", () => {
    const t = rs({ stream: "s", consumerGroup: "g" }, { authenticationRef: { name: "keda-redis" } });
    expect(t.warnings).toEqual(["spec.triggers[0].metadata: no address, or host and port; assumed to come from the TriggerAuthentication (KEDA fails if it does not)"]);
    const env = rs({ stream: "s", consumerGroup: "g", addressFromEnv: "REDIS_SERVICE", passwordFromEnv: "REDIS_PASSWORD" });
    expect(env.warnings).toHaveLength(2);
    expect(env.warnings[0]).toMatch(/addressFromEnv: the simulator cannot read/);
    expect(rs({ stream: "s", hostsFromEnv: "H", portsFromEnv: "P" }).target).toBe(5);
  });
});
