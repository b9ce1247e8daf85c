// kafka trigger.
// Source (read, not copied): kedacore/keda pkg/scalers/kafka_scaler.go (main at 8b4f083c, Aug 2026)
//   kafkaMetadata (keda tags: lagThreshold 10, activationLagThreshold 0, offsetResetPolicy latest|earliest,
//   allowIdleConsumers, excludePersistentLag, scaleToZeroOnInvalidOffset, limitToPartitionsWithLag,
//   ensureEvenDistributionOfPartitions, partitionLimitation, fullMetadata), Validate (the forbidden
//   combinations), getLagForPartition (no committed offset: latest => 1, or 0 with
//   scaleToZeroOnInvalidOffset; earliest => the latest offset, or 0 with scaleToZeroOnInvalidOffset),
//   getTotalLag (Σ lag; the partition cap — see ../decisions/kafka.ts capTotalLag), GetMetricsAndActivity
//   (activity: uncapped lag > activationLagThreshold), GetMetricSpecForScaling (metric name).
// Spec: /work/shared/reference/keda-hpa-semantics.md B.5 (kafka row).
//
// The trigger reads QueueSnapshot.partitions (latest and committed offset per partition of the group). A
// snapshot without partitions (a plain queue) is read as one partition whose lag is every message not yet
// settled (ready + in flight + prefetched).

import { isTriggerActive } from "../decisions/keda.js";
import { capTotalLag } from "../decisions/kafka.js";
import { kedaMetricValue, MetadataReader, normalizeString, type QueueSnapshot, type Trigger, type TriggerCommon } from "./types.js";

export const KAFKA_METADATA_KEYS = [
  "bootstrapServers",
  "bootstrapServersFromEnv",
  "consumerGroup",
  "consumerGroupFromEnv",
  "topic",
  "topicFromEnv",
  "partitionLimitation",
  "lagThreshold",
  "activationLagThreshold",
  "offsetResetPolicy",
  "allowIdleConsumers",
  "excludePersistentLag",
  "scaleToZeroOnInvalidOffset",
  "limitToPartitionsWithLag",
  "ensureEvenDistributionOfPartitions",
  "fullMetadata",
  "version",
  "tls",
  "unsafeSsl",
  "sasl",
  "saslTokenProvider",
  "awsRegion",
] as const;

export const DEFAULT_KAFKA_LAG_THRESHOLD = 10;

export interface KafkaSettings {
  topic: string;
  consumerGroup: string;
  lagThreshold: number;
  activationLagThreshold: number;
  offsetResetPolicy: "latest" | "earliest";
  allowIdleConsumers: boolean;
  scaleToZeroOnInvalidOffset: boolean;
  limitToPartitionsWithLag: boolean;
  ensureEvenDistributionOfPartitions: boolean;
  /** partitionLimitation: the partition ids that count (null: all). */
  partitionLimitation: number[] | null;
}

/** getLagForPartition without excludePersistentLag. */
export function kafkaPartitionLag(s: Pick<KafkaSettings, "offsetResetPolicy" | "scaleToZeroOnInvalidOffset">, p: { latest: number; committed: number | null }): number {
  if (p.committed === null) {
    if (s.offsetResetPolicy === "latest") return s.scaleToZeroOnInvalidOffset ? 0 : 1;
    return s.scaleToZeroOnInvalidOffset ? 0 : p.latest;
  }
  return p.latest - p.committed;
}

/** getTotalLag + GetMetricsAndActivity: the metric value (capped lag) and the lag used for activity. */
export function kafkaTotalLag(s: KafkaSettings, partitions: ReadonlyArray<{ latest: number; committed: number | null }>): { value: number; activityLag: number; partitions: number; partitionsWithLag: number } {
  let total = 0;
  let n = 0;
  let withLag = 0;
  partitions.forEach((p, id) => {
    if (s.partitionLimitation !== null && !s.partitionLimitation.includes(id)) return;
    const lag = kafkaPartitionLag(s, p);
    total += lag;
    n++;
    if (lag > 0) withLag++;
  });
  const value = capTotalLag(total, n, withLag, {
    lagThreshold: s.lagThreshold,
    allowIdleConsumers: s.allowIdleConsumers,
    limitToPartitionsWithLag: s.limitToPartitionsWithLag,
    ensureEvenDistributionOfPartitions: s.ensureEvenDistributionOfPartitions,
  });
  return { value, activityLag: total, partitions: n, partitionsWithLag: withLag };
}

/** parsePartitionLimitation: "0,1,4-6" => [0, 1, 4, 5, 6]. */
export function parsePartitionLimitation(text: string): number[] | null {
  const out: number[] = [];
  for (const raw of text.split(",")) {
    const part = raw.trim();
    if (part.includes("-")) {
      const r = part.split("-");
      if (r.length !== 2) return null;
      const a = r[0].trim();
      const b = r[1].trim();
      if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return null;
      for (let i = Number(a); i <= Number(b); i++) out.push(i);
    } else {
      if (!/^\d+$/.test(part)) return null;
      out.push(Number(part));
    }
  }
  return out;
}

function describe(s: KafkaSettings): string {
  const cap = s.allowIdleConsumers && !s.limitToPartitionsWithLag && !s.ensureEvenDistributionOfPartitions
    ? "not capped (allowIdleConsumers): replicas beyond the partition count get no partition and stay idle"
    : s.limitToPartitionsWithLag
      ? "capped at lagThreshold × partitions with lag (limitToPartitionsWithLag)"
      : s.ensureEvenDistributionOfPartitions
        ? "rounded up to lagThreshold × a factor of the partition count, capped at lagThreshold × partitions"
        : "capped at lagThreshold × partitions (so desired replicas never exceed the partition count)";
  const invalid =
    s.offsetResetPolicy === "latest"
      ? `a partition without committed offset counts ${s.scaleToZeroOnInvalidOffset ? 0 : 1}`
      : `a partition without committed offset counts ${s.scaleToZeroOnInvalidOffset ? "0" : "its whole length (earliest)"}`;
  return `Kafka consumer lag of group "${s.consumerGroup}" on topic "${s.topic}": Σ over partitions of (latest offset − committed offset); ${invalid}; ${cap}`;
}

export function parseKafka(metadata: unknown, c: TriggerCommon): Trigger {
  const md: MetadataReader = new MetadataReader(metadata, `${c.path}.metadata`, "kafka", KAFKA_METADATA_KEYS);
  if (!md.has("bootstrapServers") && !md.has("bootstrapServersFromEnv")) md.fail("bootstrapServers", "the broker list (required; no bootstrapServers given)");
  const consumerGroup = md.str("consumerGroup") ?? (md.has("consumerGroupFromEnv") ? `$${md.str("consumerGroupFromEnv")}` : undefined);
  if (!consumerGroup) md.fail("consumerGroup", "the consumer group whose lag is read (required)");
  const topic = md.str("topic") ?? (md.has("topicFromEnv") ? `$${md.str("topicFromEnv")}` : "");
  const lagThreshold = md.int("lagThreshold", { default: DEFAULT_KAFKA_LAG_THRESHOLD }) as number;
  if (!(lagThreshold > 0)) md.fail("lagThreshold", `a positive whole number ("lagThreshold" must be positive number), got ${lagThreshold}`);
  const activationLagThreshold = md.int("activationLagThreshold", { default: 0 }) as number;
  if (activationLagThreshold < 0) md.fail("activationLagThreshold", `a non-negative whole number, got ${activationLagThreshold}`);
  const offsetResetPolicy = md.oneOf("offsetResetPolicy", ["latest", "earliest"] as const, "latest");
  const allowIdleConsumers = md.bool("allowIdleConsumers");
  const excludePersistentLag = md.bool("excludePersistentLag");
  if (excludePersistentLag) md.fail("excludePersistentLag", `"false" (excludePersistentLag needs the scaler's memory of the previous poll's offsets, which the simulator does not model yet)`);
  const scaleToZeroOnInvalidOffset = md.bool("scaleToZeroOnInvalidOffset");
  const limitToPartitionsWithLag = md.bool("limitToPartitionsWithLag");
  const ensureEvenDistributionOfPartitions = md.bool("ensureEvenDistributionOfPartitions");
  const fullMetadata = md.bool("fullMetadata", true);
  md.str("version");
  md.oneOf("tls", ["enable", "disable"] as const, "disable");
  md.bool("unsafeSsl");
  md.oneOf("sasl", ["none", "plaintext", "scram_sha256", "scram_sha512", "oauthbearer", "gssapi"] as const, "none");
  md.str("saslTokenProvider");
  md.str("awsRegion");
  let partitionLimitation: number[] | null = null;
  const pl = md.str("partitionLimitation");
  if (pl !== undefined && pl.trim() !== "") {
    partitionLimitation = parsePartitionLimitation(pl);
    if (partitionLimitation === null) md.fail("partitionLimitation", `a list of partition ids and ranges such as "0,1,4-6", got "${pl}"`);
  }
  if (topic === "") partitionLimitation = null;
  // Validate()
  if (allowIdleConsumers && limitToPartitionsWithLag) md.fail("limitToPartitionsWithLag", "not together with allowIdleConsumers (allowIdleConsumers and limitToPartitionsWithLag cannot be set simultaneously)");
  if (topic === "" && limitToPartitionsWithLag) md.fail("topic", "a topic (topic must be specified when using limitToPartitionsWithLag)");
  if (limitToPartitionsWithLag && ensureEvenDistributionOfPartitions) md.fail("ensureEvenDistributionOfPartitions", "not together with limitToPartitionsWithLag (they cannot be set simultaneously)");
  if (topic === "" && ensureEvenDistributionOfPartitions) md.fail("topic", "a topic (topic must be specified when using ensureEvenDistributionOfPartitions)");
  if (!fullMetadata && topic === "") md.fail("topic", "a topic (topic must be specified when fullMetadata is false)");
  if (topic === "") md.warnings.push(`${c.path}.metadata.topic: no topic: KEDA sums every topic the group has offsets for; the simulator reads the log the stage consumes`);

  const settings: KafkaSettings = {
    topic,
    consumerGroup: consumerGroup as string,
    lagThreshold,
    activationLagThreshold,
    offsetResetPolicy,
    allowIdleConsumers,
    scaleToZeroOnInvalidOffset,
    limitToPartitionsWithLag,
    ensureEvenDistributionOfPartitions,
    partitionLimitation,
  };
  const metricName = `s${c.index}-${normalizeString(topic !== "" ? `kafka-${topic}` : `kafka-${settings.consumerGroup}-topics`)}`;
  return {
    type: "kafka",
    index: c.index,
    metricName,
    targetType: c.targetType,
    target: lagThreshold,
    activationThreshold: activationLagThreshold,
    useCachedMetrics: c.useCachedMetrics,
    description: describe(settings),
    warnings: md.warnings,
    read(q: QueueSnapshot) {
      const parts = q.partitions ?? [{ latest: q.ready + q.inFlight + q.prefetched, committed: 0 }];
      const r = kafkaTotalLag(settings, parts);
      return { value: kedaMetricValue(r.value), active: isTriggerActive(r.activityLag, activationLagThreshold) };
    },
    kafka: settings,
  } as Trigger & { kafka: KafkaSettings };
}
