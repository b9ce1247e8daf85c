// redis-streams trigger.
// Source (read, not copied): kedacore/keda pkg/scalers/redis_streams_scaler.go at tag v2.20.2 (the newest
// tag stored; `git diff v2.20.2 8b4f083c` on main, Aug 2026, changes only two `for` loops to `range`
// (go fix, #8055), no behaviour, so taken as KEDA 2.21.0's):
//   redisStreamsMetadata (keda tags: stream required, consumerGroup optional, pendingEntriesCount default 5,
//   streamLength default 5, lagCount optional, activationLagCount default 0, databaseIndex, enableTLS; the
//   connection from redis_scaler.go redisConnectionInfo: address;addresses or host;hosts + port;ports from
//   triggerMetadata / resolvedEnv / authParams),
//   redisStreamsMetadata.Validate (validateRedisAddress first: host and port joined, else an address is
//   required; then SetEnableTLS; then the stream name. The mode: a consumerGroup → lagCount != 0 picks the
//   lag mode, else pendingEntriesCount; no consumerGroup → streamLength, whatever else is set),
//   createEntriesCountFn (pending: XPENDING's summary Count for the group; stream length: XLEN; lag: the
//   group's Lag from XINFO GROUPS on Redis 7+, XLEN when the group does not exist yet),
//   GetMetricSpecForScaling (metric name "redis-streams-<stream>", target = the chosen mode's value),
//   GetMetricsAndActivity (active: count > activationLagCount, strict, in every mode).
// KEDA 2.16.0–2.16.1 refused activationLagCount 0 in the lag mode, so the strict rule needed 2 messages to
// activate (keda#6478); #6481 (2.17.0) made 0 the default again. With activationLagCount "1" it still takes 2.
// Upstream test vectors (redis_streams_scaler_test.go): TestParseRedisClusterStreamsMetadata's modes
// (stream only → streamLength 5; stream + consumerGroup → pendingEntriesCount 5; streamLength +
// pendingEntriesCount without a group → streamLength; streamLength + lagCount + group → lag),
// TestRedisStreamsGetMetricSpecForScaling (s0- / s1-redis-streams-my-stream), TestActivityCount (lag 0
// inactive, lag 4 active with activationLagCount 3), TestParseRedisStreamsMetadataForInvalidCases.

import { isTriggerActive } from "../decisions/keda.js";
import { kedaRedisLagActivationRule, NEWEST_KEDA_VERSION } from "../decisions/versions.js";
import { kedaMetricValue, MetadataReader, normalizeString, type QueueSnapshot, type Trigger, type TriggerCommon } from "./types.js";

export const REDIS_STREAMS_METADATA_KEYS = [
  "stream",
  "consumerGroup",
  "pendingEntriesCount",
  "streamLength",
  "lagCount",
  "activationLagCount",
  "databaseIndex",
  "enableTLS",
  "unsafeSsl",
  // redisConnectionInfo (redis_scaler.go): each name also as <name>FromEnv (resolvedEnv)
  ...["address", "addresses", "host", "hosts", "port", "ports", "username", "password"].flatMap((k) => [k, `${k}FromEnv`]),
] as const;

export const DEFAULT_PENDING_ENTRIES_COUNT = 5;
export const DEFAULT_STREAM_LENGTH = 5;

/** Which count the scaler reads (createEntriesCountFn's scale factor). */
export type RedisStreamsMode = "pendingEntriesCount" | "streamLength" | "lagCount";

/**
 * The count each mode reads from a snapshot of the stream and its one consumer group (Dapr's consumerID).
 * - pendingEntriesCount: XPENDING summary Count = entries delivered to the group and not XACKed: being
 *   processed, in a pod's buffer (Dapr reads queueDepth at a time), held by a dead pod, or lapsed and not yet
 *   reclaimed. Never-delivered entries are not pending: with no consumer running it stays 0.
 * - streamLength: XLEN, entries appended minus trimmed; acknowledged entries stay in the stream.
 * - lagCount: the group's lag = entries never delivered to the group (a lapsed entry was read: not lag).
 */
export function redisStreamsCount(mode: RedisStreamsMode, q: QueueSnapshot): number {
  const reclaimable = q.reclaimable ?? 0;
  switch (mode) {
    case "pendingEntriesCount":
      return q.inFlight + q.prefetched + reclaimable;
    case "streamLength":
      return q.streamLength ?? q.ready + q.inFlight + q.prefetched;
    case "lagCount":
      return q.ready - reclaimable;
  }
}

export function parseRedisStreams(metadata: unknown, c: TriggerCommon): Trigger {
  const md: MetadataReader = new MetadataReader(metadata, `${c.path}.metadata`, "redis-streams", REDIS_STREAMS_METADATA_KEYS);
  const given = (key: string): string | undefined => md.given(key); // trimmed, "" = absent (configParamValue)
  const either = (key: string): boolean => given(key) !== undefined || given(`${key}FromEnv`) !== undefined;

  // All three targets are parsed (junk in an unused one is still an error upstream), only the chosen one is used.
  const pendingTarget = md.int("pendingEntriesCount", { default: DEFAULT_PENDING_ENTRIES_COUNT }) as number;
  const lengthTarget = md.int("streamLength", { default: DEFAULT_STREAM_LENGTH }) as number;
  const lagTarget = md.int("lagCount", { default: 0 }) as number;
  const activation = md.int("activationLagCount", { default: 0 }) as number;
  md.int("databaseIndex");
  md.bool("unsafeSsl");
  md.bool("enableTLS");

  // validateRedisAddress: host and port (both, as many of each) joined into addresses; else an address.
  const hasHost = either("host") || either("hosts");
  const hasPort = either("port") || either("ports");
  const hasAddress = either("address") || either("addresses");
  if (!hasAddress && !(hasHost && hasPort)) {
    if (!c.authenticationRef) {
      const missing = hasHost ? "port" : hasPort ? "host" : "address";
      md.fail(missing, `the Redis server: address (or addressFromEnv) "host:port", or host and port together, or an authenticationRef whose TriggerAuthentication gives them (KEDA: no addresses or hosts given)`);
    }
    md.warnings.push(`${c.path}.metadata: no address, or host and port; assumed to come from the TriggerAuthentication (KEDA fails if it does not)`);
  }
  for (const k of ["address", "host", "port", "username", "password"]) {
    if (given(`${k}FromEnv`) !== undefined && given(k) === undefined) {
      md.warnings.push(`${c.path}.metadata.${k}FromEnv: the simulator cannot read the container's environment variable "${given(`${k}FromEnv`)}"; assumed set`);
    }
  }

  const stream = given("stream");
  if (stream === undefined) md.fail("stream", 'the name of the Redis stream (required; KEDA: missing redis stream name)');
  const group = given("consumerGroup");

  // Validate: the consumer group decides; lagCount (non-zero) beats pendingEntriesCount; streamLength only without a group.
  let mode: RedisStreamsMode;
  let target: number;
  if (group !== undefined) {
    if (lagTarget !== 0) [mode, target] = ["lagCount", lagTarget];
    else [mode, target] = ["pendingEntriesCount", pendingTarget];
    if (md.has("streamLength")) md.warnings.push(`${c.path}.metadata.streamLength: ignored, consumerGroup is set and KEDA then reads ${mode === "lagCount" ? "the group's lag (lagCount)" : "XPENDING (pendingEntriesCount)"}`);
    if (mode === "lagCount" && md.has("pendingEntriesCount")) md.warnings.push(`${c.path}.metadata.pendingEntriesCount: ignored, lagCount is set and KEDA then reads the group's lag`);
  } else {
    [mode, target] = ["streamLength", lengthTarget];
    for (const k of ["pendingEntriesCount", "lagCount"]) {
      if (md.has(k)) md.warnings.push(`${c.path}.metadata.${k}: ignored, there is no consumerGroup, so KEDA reads the stream's length (XLEN, streamLength ${lengthTarget})`);
    }
  }
  if (!(target > 0)) md.fail(mode, `a whole number > 0 (the HPA's target per replica), got ${target}`);
  if (mode === "lagCount") {
    const rule = kedaRedisLagActivationRule(c.kedaVersion);
    const v = c.kedaVersion ?? NEWEST_KEDA_VERSION;
    if (rule === "required" && !md.has("activationLagCount")) md.fail("activationLagCount", `a value with lagCount on KEDA ${v} (before 2.17 KEDA fails: activationLagCount required for Redis lag)`);
    if (rule === "nonZero" && activation === 0) md.fail("activationLagCount", `a value other than 0 with lagCount on KEDA ${v} (2.16 fails: activationLagCount required for Redis lag; so activation needs 2 entries, keda#6478 — fixed in 2.17)`);
  }
  if (activation >= 1) {
    md.warnings.push(`${c.path}.metadata.activationLagCount: activation is strict (count > ${activation}), so ${activation + 1} entries are needed to activate (keda#6478)`);
  }

  const counted: Record<RedisStreamsMode, string> = {
    pendingEntriesCount: `XPENDING of group "${group}": entries delivered to a consumer and not yet XACKed (being processed, buffered by daprd, held by a dead pod). Entries not yet delivered are not counted: with no consumer running it reads 0, so it cannot scale from zero`,
    streamLength: "XLEN: every entry still in the stream. Dapr XACKs and never XDELs, so processed entries stay and the count only grows (unless maxLenApprox trims): it never returns to 0 and never scales to zero",
    lagCount: `the lag of group "${group}" (XINFO GROUPS, Redis 7+): entries not yet delivered to the group. Entries read into daprd's buffer or being processed are not counted, so busy pods can be scaled away`,
  };
  return {
    type: "redis-streams",
    index: c.index,
    metricName: `s${c.index}-${normalizeString(`redis-streams-${stream}`)}`,
    targetType: c.targetType,
    target,
    activationThreshold: activation,
    useCachedMetrics: c.useCachedMetrics,
    description: `Redis stream "${stream}" (${mode}): ${counted[mode]}.`,
    warnings: md.warnings,
    read(q: QueueSnapshot) {
      const n = redisStreamsCount(mode, q);
      return { value: kedaMetricValue(n), active: isTriggerActive(n, activation) };
    },
  };
}
