// azure-queue trigger (Azure Storage Queues).
// Source (read, not copied): kedacore/keda pkg/scalers/azure_queue_scaler.go at tag v2.20.2 (the newest
// tag stored; `git diff v2.20.2 8b4f083c` on main, Aug 2026, is empty for it and its test, so taken as
// KEDA 2.21.0's):
//   azureQueueMetadata (keda tags: queueName required, queueLength default 5, activationQueueLength
//   default 0, connection from authParams / triggerMetadata / resolvedEnv (connectionFromEnv), accountName,
//   endpointSuffix, queueLengthStrategy enum all;visibleonly default all), parseAzureQueueMetadata (without
//   pod identity a connection is required; with azure-workload an accountName), GetMetricSpecForScaling
//   (metric name "azure-queue-<queueName>"), GetMetricsAndActivity (active: queuelen > activationQueueLength),
//   getMessageCount (visibleonly: PeekMessages of at most maxPeekMessages = 32; fewer than 32 peeked → that
//   number, else — and always for "all" — GetProperties' ApproximateMessagesCount).
//   pkg/scalers/azure/azure_storage.go ParseAzureStorageEndpointSuffix and azure_cloud_environment.go
//   ParseEnvironmentProperty (cloud "Private" needs endpointSuffix; otherwise endpointSuffix is ignored and
//   the cloud must be a known environment, cloud_config.go EnvironmentFromName, case-insensitive).
//   pkg/scalers/scalersconfig/typed_config.go configParamValue (values trimmed, "" = absent) and the enum
//   check (exact match after trimming: "VisibleOnly" is refused, so getMessageCount's ToLower never matters).
// Upstream test vectors (azure_queue_scaler_test.go TestAzQueueGetMessageCount: peek 10 / total 100 → all
// 100, visibleonly 10; peek 35 / total 100 → visibleonly 100; TestAzQueueGetMetricSpecForScaling:
// s0-azure-queue-sample, s1-azure-queue-sample_queue; TestAzQueueParseMetadata's error cases).
// Spec: /work/shared/reference/keda-hpa-semantics.md B.5 (azure-queue row).

import { isTriggerActive } from "../decisions/keda.js";
import { kedaMetricValue, MetadataReader, normalizeString, type QueueSnapshot, type Trigger, type TriggerCommon } from "./types.js";

export const AZURE_QUEUE_METADATA_KEYS = [
  "queueName",
  "queueLength",
  "activationQueueLength",
  "queueLengthStrategy",
  "connection", // the connection string itself (KEDA reads authParams, then triggerMetadata)
  "connectionFromEnv", // an environment variable of the scale target holding it
  "accountName", // pod identity azure-workload
  "cloud",
  "endpointSuffix",
] as const;

export const DEFAULT_AZURE_QUEUE_LENGTH = 5;
/** azure_queue_scaler.go maxPeekMessages: the most messages Peek Messages returns (the service's limit too). */
export const MAX_PEEK_MESSAGES = 32;

export type QueueLengthStrategy = "all" | "visibleonly";

/**
 * getMessageCount. ApproximateMessagesCount counts every message in the queue, visible or not: waiting
 * (ready), received and not yet deleted (being processed, in a receiver's buffer, or held by a receiver that
 * died until its visibility timeout lapses). "visibleonly" peeks at the visible ones only, but when the peek
 * comes back full (32) it cannot tell 32 from more and falls back to the approximate count — in-flight
 * messages included.
 */
export function azureQueueLength(strategy: QueueLengthStrategy, q: QueueSnapshot): number {
  const approximate = q.ready + q.inFlight + q.prefetched;
  if (strategy === "visibleonly") {
    const peeked = Math.min(q.ready, MAX_PEEK_MESSAGES);
    if (peeked < MAX_PEEK_MESSAGES) return peeked;
  }
  return approximate;
}

/** cloud_config.go environments (EnvironmentFromName upper-cases the name). */
const AZURE_ENVIRONMENTS = ["AZURECHINACLOUD", "AZUREGERMANCLOUD", "AZURECLOUD", "AZUREPUBLICCLOUD", "AZUREUSGOVERNMENT", "AZUREUSGOVERNMENTCLOUD"];

export function parseAzureQueue(metadata: unknown, c: TriggerCommon): Trigger {
  const md: MetadataReader = new MetadataReader(metadata, `${c.path}.metadata`, "azure-queue", AZURE_QUEUE_METADATA_KEYS);
  const given = (key: string): string | undefined => md.given(key); // trimmed, "" = absent (configParamValue)

  const queueName = given("queueName");
  if (queueName === undefined) md.fail("queueName", 'the storage queue\'s name (missing required parameter "queueName")');
  const target = md.int("queueLength", { default: DEFAULT_AZURE_QUEUE_LENGTH, positive: true }) as number;
  const activation = md.int("activationQueueLength", { default: 0 }) as number;
  const rawStrategy = given("queueLengthStrategy") ?? "all";
  if (rawStrategy !== "all" && rawStrategy !== "visibleonly") {
    md.fail("queueLengthStrategy", `one of "all", "visibleonly" (exactly, KEDA's enum check is case-sensitive), got "${md.str("queueLengthStrategy")}"`);
  }
  const strategy: QueueLengthStrategy = rawStrategy;

  // ParseAzureStorageEndpointSuffix: reads the raw values (not trimmed).
  const cloud = md.str("cloud");
  const endpointSuffix = md.str("endpointSuffix");
  if (cloud) {
    if (cloud.toLowerCase() === "private") {
      if (!endpointSuffix) md.fail("endpointSuffix", 'the storage endpoint suffix, e.g. "queue.core.private.cloud" (endpointSuffix must be provided for Private cloud type)');
    } else if (cloud.toUpperCase() === "AZURESTACKCLOUD") {
      md.warnings.push(`${c.path}.metadata.cloud: AzureStackCloud: KEDA reads the environment from the file named by AZURE_ENVIRONMENT_FILEPATH (not simulated)`);
    } else if (!AZURE_ENVIRONMENTS.includes(cloud.toUpperCase())) {
      md.fail("cloud", `AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud, AzureGermanCloud or Private (invalid cloud environment ${cloud})`);
    }
  }
  if (endpointSuffix && (!cloud || cloud.toLowerCase() !== "private")) {
    md.warnings.push(`${c.path}.metadata.endpointSuffix: ignored unless cloud is "Private" (KEDA takes the suffix from the cloud, default AzurePublicCloud)`);
  }

  // Credentials (parseAzureQueueMetadata). The pod identity provider lives in the TriggerAuthentication:
  // without an authenticationRef there is none, and a connection string is required.
  const connection = given("connection") ?? given("connectionFromEnv");
  if (!c.authenticationRef && connection === undefined) {
    md.fail("connection", "a connection string (connection, or connectionFromEnv naming an environment variable of the scale target), or an authenticationRef to a TriggerAuthentication with the connection or podIdentity azure-workload (no connection setting given)");
  }
  if (c.authenticationRef && connection === undefined && given("accountName") === undefined) {
    md.warnings.push(
      `${c.path}.metadata: no connection and no accountName; assumed the TriggerAuthentication supplies the connection (with podIdentity azure-workload KEDA needs accountName here and fails without it)`,
    );
  }

  const counted =
    strategy === "all"
      ? "ApproximateMessagesCount: every message in the queue, visible (waiting) or not (received and not yet deleted: being processed, buffered, or held by a dead receiver until its visibility timeout lapses)"
      : `visibleonly: the visible messages a peek returns (at most ${MAX_PEEK_MESSAGES}) — received messages still being processed are NOT counted, so busy pods can be scaled away; with ${MAX_PEEK_MESSAGES} or more visible it falls back to ApproximateMessagesCount (in-flight included)`;
  return {
    type: "azure-queue",
    index: c.index,
    metricName: `s${c.index}-${normalizeString(`azure-queue-${queueName}`)}`,
    targetType: c.targetType,
    target,
    activationThreshold: activation,
    useCachedMetrics: c.useCachedMetrics,
    description: `Azure Storage queue "${queueName}": ${counted}. The service's count is approximate (the simulator reads exact counts).`,
    warnings: md.warnings,
    read(q: QueueSnapshot) {
      const n = azureQueueLength(strategy, q);
      return { value: kedaMetricValue(n), active: isTriggerActive(n, activation) };
    },
  };
}
