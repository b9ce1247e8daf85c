// azure-servicebus trigger.
// Source (read, not copied): kedacore/keda pkg/scalers/azure_servicebus_scaler.go
//   azureServiceBusMetadata (keda tags), Validate, GetMetricSpecForScaling, GetMetricsAndActivity;
//   rename of queueLength -> messageCount in PR #1138 (v2.0, no backward compatibility).
// Spec: /work/shared/reference/keda-hpa-semantics.md B.5.

import { isTriggerActive } from "../decisions/keda.js";
import { kedaMetricValue, MetadataReader, normalizeString, type QueueSnapshot, type Trigger, type TriggerCommon } from "./types.js";

export const AZURE_SERVICEBUS_METADATA_KEYS = [
  "queueName",
  "topicName",
  "subscriptionName",
  "namespace",
  "messageCount",
  "activationMessageCount",
  "queueLength", // pre-v2 name of messageCount (keda.k8s.io/v1alpha1)
  "connectionFromEnv",
  "connection", // keda.k8s.io/v1alpha1: name of the env var holding the connection string
  "useRegex",
  "operation",
  "cloud",
  "endpointSuffix",
] as const;

export const DEFAULT_MESSAGE_COUNT = 5;

export function parseAzureServiceBus(metadata: unknown, c: TriggerCommon): Trigger {
  const md: MetadataReader = new MetadataReader(metadata, `${c.path}.metadata`, "azure-servicebus", AZURE_SERVICEBUS_METADATA_KEYS);

  // Target: messageCount (int64, default 5). `queueLength` is the pre-v2 name.
  let target = md.int("messageCount", { default: DEFAULT_MESSAGE_COUNT, positive: true }) as number;
  if (md.has("queueLength")) {
    if (md.has("messageCount")) md.fail("queueLength", 'only one of "messageCount" and its pre-v2 name "queueLength"');
    const legacy = md.int("queueLength", { positive: true }) as number;
    if (c.apiVersion === "keda.sh/v1alpha1") {
      md.warnings.push(
        `${c.path}.metadata.queueLength: KEDA v2 (keda.sh/v1alpha1) ignores "queueLength" for azure-servicebus (renamed to "messageCount" in v2.0, PR #1138); the target is the default ${DEFAULT_MESSAGE_COUNT}, not ${legacy}`,
      );
    } else if (c.apiVersion === "keda.k8s.io/v1alpha1") {
      target = legacy; // the KEDA v1 name: nothing to warn about
    } else {
      target = legacy;
      md.warnings.push(
        `${c.path}.metadata.queueLength: pre-v2 name of "messageCount"; read as the target ${legacy}${c.apiVersion ? "" : " (note: KEDA v2 would ignore it and use the default 5)"}`,
      );
    }
  }
  const activation = md.int("activationMessageCount", { default: 0 }) as number;

  // Entity (Validate): queueName xor topicName+subscriptionName.
  const queueName = md.str("queueName") || undefined;
  const topicName = md.str("topicName") || undefined;
  const subscriptionName = md.str("subscriptionName") || undefined;
  const useRegex = md.bool("useRegex");
  const operation = md.oneOf("operation", ["sum", "max", "avg"] as const, "sum");
  if (queueName && subscriptionName) md.fail("subscriptionName", "no subscriptionName together with queueName (subscription name provided with queue name)");
  if (queueName && topicName) md.fail("topicName", "either queueName or topicName + subscriptionName, not both");
  if (topicName && !subscriptionName) md.fail("subscriptionName", "a subscriptionName together with topicName");
  if (!queueName && !topicName) md.fail("queueName", "queueName, or topicName + subscriptionName (no service bus entity type set)");
  if (useRegex) {
    const pattern = (queueName ?? subscriptionName) as string;
    try {
      new RegExp(pattern);
    } catch {
      md.fail(queueName ? "queueName" : "subscriptionName", `a valid regular expression (useRegex is "true"), got "${pattern}"`);
    }
    md.warnings.push(`${c.path}.metadata.useRegex: the simulator models one entity, so operation "${operation}" over matching entities equals that entity's count`);
  }

  const entityKind = queueName ? "queue" : "topic";
  const base = useRegex ? `${entityKind}-regex` : (queueName ?? (topicName as string));
  const metricName = `s${c.index}-${normalizeString(`azure-servicebus-${base}`)}`;
  const entity = queueName ? `queue "${queueName}"` : `subscription "${topicName}/${subscriptionName}"`;
  const description =
    `Azure Service Bus ${entity}: ActiveMessageCount = waiting + locked by a consumer (in flight) + locked in a receiver's prefetch buffer; ` +
    `dead-lettered, scheduled and transfer messages are not counted. Assumption: peek-locked messages stay "active" until completed ` +
    `(probable, not confirmed by Microsoft docs).`;

  return {
    type: "azure-servicebus",
    index: c.index,
    metricName,
    targetType: c.targetType,
    target,
    activationThreshold: activation,
    useCachedMetrics: c.useCachedMetrics,
    description,
    warnings: md.warnings,
    read(q: QueueSnapshot) {
      // GetMetricsAndActivity: metric = length (milli), active = length > activationMessageCount
      const length = q.ready + q.inFlight + q.prefetched;
      return { value: kedaMetricValue(length), active: isTriggerActive(length, activation) };
    },
  };
}
