// Trigger registry: parse one entry of ScaledObject spec.triggers into a pure Trigger.
// Trigger-level fields follow kedacore/keda apis/keda/v1alpha1/scaletriggers_types.go (ScaleTriggers:
// type, name, useCachedMetrics, metadata, authenticationRef, metricType) and
// pkg/scalers/scaler.go GetMetricTargetType (default AverageValue, Utilization rejected).

import type { MetricTargetType } from "../decisions/hpa.js";
import { parseAzureServiceBus } from "./azure-servicebus.js";
import { parseRabbitMq } from "./rabbitmq.js";
import { parseKafka } from "./kafka.js";
import { parseNatsJetStream } from "./nats-jetstream.js";
import { parseAwsSqsQueue } from "./aws-sqs-queue.js";
import { parseAzureQueue } from "./azure-queue.js";
import { parseRedisStreams } from "./redis-streams.js";
import { isPlainObject, TriggerConfigError, type Trigger, type TriggerCommon } from "./types.js";

type TriggerParser = (metadata: unknown, common: TriggerCommon) => Trigger;

const registry: Record<string, TriggerParser> = {
  "azure-servicebus": parseAzureServiceBus,
  rabbitmq: parseRabbitMq,
  kafka: parseKafka,
  "nats-jetstream": parseNatsJetStream,
  "aws-sqs-queue": parseAwsSqsQueue,
  "azure-queue": parseAzureQueue,
  "redis-streams": parseRedisStreams,
};

export const supportedTriggerTypes: string[] = Object.keys(registry);

const TRIGGER_FIELDS = ["type", "name", "metadata", "metricType", "useCachedMetrics", "authenticationRef"];

export interface ParseTriggerOptions {
  /** apiVersion of the ScaledObject ("keda.sh/v1alpha1" or "keda.k8s.io/v1alpha1"); changes what legacy metadata keys mean. */
  apiVersion?: string;
  /** The KEDA release whose scalers parse the metadata (scenario kedaVersion; default the newest modelled). */
  kedaVersion?: string;
}

/**
 * Parse `spec.triggers[index]`. `path` is that element's path, e.g. "spec.triggers[0]".
 * Throws TriggerConfigError with the offending field path and what was expected.
 */
export function parseTrigger(raw: unknown, index: number, path: string, opts: ParseTriggerOptions = {}): Trigger {
  if (!isPlainObject(raw)) throw new TriggerConfigError(path, `a trigger object with "type" and "metadata"`);
  for (const k of Object.keys(raw)) {
    if (!TRIGGER_FIELDS.includes(k)) throw new TriggerConfigError(`${path}.${k}`, `a trigger field (one of: ${TRIGGER_FIELDS.join(", ")})`);
  }
  const type = raw.type;
  if (typeof type !== "string" || type === "") throw new TriggerConfigError(`${path}.type`, `a trigger type (one of: ${supportedTriggerTypes.join(", ")})`);
  const parser = Object.prototype.hasOwnProperty.call(registry, type) ? registry[type] : undefined;
  if (!parser) throw new TriggerConfigError(`${path}.type`, `a supported trigger type (one of: ${supportedTriggerTypes.join(", ")}), got "${type}"`);

  let targetType: MetricTargetType = "AverageValue";
  const mt = raw.metricType;
  if (mt !== undefined && mt !== null && mt !== "") {
    if (mt === "Utilization") throw new TriggerConfigError(`${path}.metricType`, `"AverageValue" or "Value" (Utilization is not supported for external scalers)`);
    if (mt !== "AverageValue" && mt !== "Value") throw new TriggerConfigError(`${path}.metricType`, `"AverageValue" (default) or "Value", got ${JSON.stringify(mt)}`);
    targetType = mt;
  }
  let useCachedMetrics = false;
  const uc = raw.useCachedMetrics;
  if (uc !== undefined && uc !== null) {
    if (typeof uc !== "boolean") throw new TriggerConfigError(`${path}.useCachedMetrics`, `true or false, got ${JSON.stringify(uc)}`);
    useCachedMetrics = uc;
  }
  if (raw.name !== undefined && typeof raw.name !== "string") throw new TriggerConfigError(`${path}.name`, "a string");
  if (raw.metadata === undefined) throw new TriggerConfigError(`${path}.metadata`, `the ${type} trigger's metadata object`);

  const common: TriggerCommon = { index, path, targetType, useCachedMetrics };
  if (opts.apiVersion !== undefined) common.apiVersion = opts.apiVersion;
  if (opts.kedaVersion !== undefined) common.kedaVersion = opts.kedaVersion;
  if (raw.authenticationRef !== undefined && raw.authenticationRef !== null) common.authenticationRef = true;
  return parser(raw.metadata, common);
}

export type { Trigger, TriggerReading, QueueSnapshot } from "./types.js";
export { TriggerConfigError } from "./types.js";
