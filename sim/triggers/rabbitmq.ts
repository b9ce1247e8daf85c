// rabbitmq trigger.
// Source (read, not copied): kedacore/keda pkg/scalers/rabbitmq_scaler.go
//   rabbitMQMetadata (keda tags), Validate (protocol auto from the host scheme, http-only options),
//   validateTrigger (mode/value/queueLength defaults), getQueueStatus (AMQP QueueDeclarePassive =
//   ready only; HTTP `messages` = ready + unacked, or `messages_ready` with excludeUnacknowledged),
//   GetMetricSpecForScaling (metric name), GetMetricsAndActivity (per-mode value and activity).
// Spec: /work/shared/reference/keda-hpa-semantics.md B.5.

import { isTriggerActive } from "../decisions/keda.js";
import { goQueryEscape, kedaMetricValue, MetadataReader, normalizeString, type QueueSnapshot, type Trigger, type TriggerCommon } from "./types.js";

export const RABBITMQ_METADATA_KEYS = [
  "host",
  "hostFromEnv",
  "protocol",
  "queueName",
  "mode",
  "value",
  "activationValue",
  "queueLength", // deprecated: use mode + value
  "vhostName",
  "useRegex",
  "excludeUnacknowledged",
  "pageSize",
  "operation",
  "timeout",
  "unsafeSsl",
  "usernameFromEnv",
  "passwordFromEnv",
] as const;

export const RABBITMQ_MODES = ["QueueLength", "MessageRate", "DeliverGetRate", "PublishedToDeliveredRatio", "ExpectedQueueConsumptionTime"] as const;
export type RabbitMode = (typeof RABBITMQ_MODES)[number];
const HTTP_ONLY_MODES: readonly RabbitMode[] = ["MessageRate", "DeliverGetRate", "PublishedToDeliveredRatio", "ExpectedQueueConsumptionTime"];
export const DEFAULT_RABBITMQ_QUEUE_LENGTH = 20;

export interface RabbitSettings {
  protocol: "amqp" | "http";
  mode: RabbitMode;
  value: number;
  activationValue: number;
  excludeUnacknowledged: boolean;
  queueName: string;
}

/** The numbers the scaler gets from the broker (getQueueStatus). */
/**
 * Does this trigger read the management API's sampled statistics rather than the live queue? The
 * HTTP protocol on a RabbitMQ queue whose statistics are sampled (statsInterval > 0, RabbitMQ's
 * collect_statistics_interval); otherwise it reads live values (AMQP passive declare, or live stats).
 */
export function readsSampledStats(trigger: Pick<Trigger, "type" | "protocol">, queue: { broker: string; statsInterval: number }): boolean {
  return trigger.type === "rabbitmq" && trigger.protocol === "http" && queue.broker === "rabbitmq" && queue.statsInterval > 0;
}

export function rabbitQueueStatus(s: Pick<RabbitSettings, "protocol" | "excludeUnacknowledged">, q: QueueSnapshot): { messages: number; publishRate: number; deliverGetRate: number } {
  if (s.protocol === "http") {
    const unacked = q.inFlight + q.prefetched;
    return {
      messages: s.excludeUnacknowledged ? q.ready : q.ready + unacked,
      publishRate: q.publishRate,
      deliverGetRate: q.deliverRate,
    };
  }
  // AMQP QueueDeclarePassive: message count = ready only; no rates.
  return { messages: q.ready, publishRate: 0, deliverGetRate: 0 };
}

/** GetMetricsAndActivity for one mode: raw metric value (before milli rounding) and activity. */
export function rabbitMetric(mode: RabbitMode, activationValue: number, st: { messages: number; publishRate: number; deliverGetRate: number }): { value: number; active: boolean } {
  const { messages, publishRate, deliverGetRate } = st;
  switch (mode) {
    case "QueueLength":
      return { value: messages, active: isTriggerActive(messages, activationValue) };
    case "MessageRate":
      return { value: publishRate, active: publishRate > activationValue || messages > activationValue };
    case "DeliverGetRate":
      return { value: deliverGetRate, active: deliverGetRate > activationValue };
    case "PublishedToDeliveredRatio": {
      let ratio = 0;
      if (publishRate > 0 && deliverGetRate === 0) ratio = activationValue;
      else if (publishRate > 0 && deliverGetRate > 0) ratio = publishRate / deliverGetRate;
      return { value: ratio, active: ratio > activationValue || (publishRate > 0 && deliverGetRate === 0) };
    }
    case "ExpectedQueueConsumptionTime": {
      let eta: number;
      if (messages === 0) eta = 0;
      else if (deliverGetRate === 0) eta = activationValue;
      else eta = (publishRate - deliverGetRate) / deliverGetRate + messages / deliverGetRate;
      return { value: eta, active: eta > activationValue || (deliverGetRate === 0 && messages > 0) };
    }
  }
}

function describe(s: RabbitSettings): string {
  const q = `RabbitMQ queue "${s.queueName}"`;
  const counted =
    s.protocol === "amqp"
      ? "over AMQP (QueueDeclarePassive): ready messages only — unacked messages (being processed or sitting in a consumer's prefetch buffer) are NOT counted"
      : s.excludeUnacknowledged
        ? "via the management API with excludeUnacknowledged: messages_ready only — unacked messages are NOT counted"
        : "via the management API: messages = ready + unacknowledged (being processed + in consumers' prefetch buffers)";
  const sampled = s.protocol === "http" ? "; management API stats are sampled by RabbitMQ (typically every 5 s)" : "";
  switch (s.mode) {
    case "QueueLength":
      return `${q}, queue length ${counted}${sampled}`;
    case "MessageRate":
      return `${q}, publish rate in msgs/s (message_stats.publish_details.rate); active if the rate > ${s.activationValue} or messages (${counted}) > ${s.activationValue}${sampled}`;
    case "DeliverGetRate":
      return `${q}, deliver/get rate in msgs/s (message_stats.deliver_get_details.rate)${sampled}`;
    case "PublishedToDeliveredRatio":
      return `${q}, publish rate / deliver rate (activationValue when nothing is delivered)${sampled}`;
    case "ExpectedQueueConsumptionTime":
      return `${q}, expected seconds to drain: (publish - deliver)/deliver + messages/deliver, messages ${counted}${sampled}`;
  }
}

export function parseRabbitMq(metadata: unknown, c: TriggerCommon): Trigger {
  const md: MetadataReader = new MetadataReader(metadata, `${c.path}.metadata`, "rabbitmq", RABBITMQ_METADATA_KEYS);

  const queueName = md.str("queueName");
  if (!queueName) md.fail("queueName", "the name of the queue (required)");

  let protocol = md.oneOf("protocol", ["amqp", "http", "auto"] as const, "auto");
  const pageSize = md.int("pageSize", { default: 100 }) as number;
  if (pageSize < 1) md.fail("pageSize", "a whole number >= 1");
  const operation = md.oneOf("operation", ["sum", "avg", "max"] as const, "sum");
  md.bool("unsafeSsl");
  md.str("vhostName");
  md.str("usernameFromEnv");
  md.str("passwordFromEnv");

  if (protocol === "auto") {
    const host = md.str("host");
    if (host === undefined) {
      protocol = "amqp";
      md.warnings.push(
        `${c.path}.metadata.protocol: "auto" decides from the host URL scheme, and no host is given in metadata (it may come from hostFromEnv or a TriggerAuthentication); assuming amqp — set protocol explicitly to be sure`,
      );
    } else {
      const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(host);
      const scheme = m ? m[1].toLowerCase() : "";
      if (scheme === "amqp" || scheme === "amqps") protocol = "amqp";
      else if (scheme === "http" || scheme === "https") protocol = "http";
      else md.fail("host", `a URL starting with amqp://, amqps://, http:// or https:// (protocol is "auto"), got scheme "${scheme}"`);
    }
  }
  const proto: "amqp" | "http" = protocol as "amqp" | "http";

  const useRegex = md.bool("useRegex");
  if (useRegex && proto !== "http") md.fail("useRegex", 'useRegex "true" only with the HTTP protocol');
  const excludeUnacknowledged = md.bool("excludeUnacknowledged");
  if (excludeUnacknowledged && proto !== "http") md.fail("excludeUnacknowledged", 'excludeUnacknowledged "true" only with the HTTP protocol (AMQP already counts ready messages only)');
  if (useRegex) md.warnings.push(`${c.path}.metadata.useRegex: the simulator models one queue, so operation "${operation}" over matching queues equals that queue's count`);

  // validateTrigger
  const queueLength = md.float("queueLength", { default: 0 }) as number;
  const modeRaw = md.str("mode");
  const value0 = md.float("value", { default: 0 }) as number;
  let mode: RabbitMode;
  let value: number;
  if (queueLength === 0 && modeRaw === undefined && value0 === 0) {
    mode = "QueueLength";
    value = DEFAULT_RABBITMQ_QUEUE_LENGTH;
  } else if (queueLength !== 0) {
    if (modeRaw !== undefined || value0 !== 0) md.fail("queueLength", 'either the deprecated "queueLength" or "mode" + "value", not both');
    mode = "QueueLength";
    value = queueLength;
    md.warnings.push(`${c.path}.metadata.queueLength: deprecated; use mode: QueueLength and value: '${queueLength}'`);
  } else {
    if (modeRaw === undefined) md.fail("mode", `one of ${RABBITMQ_MODES.join(", ")} (required when value is set)`);
    if (value0 === 0) md.fail("value", "a number > 0 (required when mode is set)");
    if (!(RABBITMQ_MODES as readonly string[]).includes(modeRaw)) md.fail("mode", `one of ${RABBITMQ_MODES.join(", ")}, got "${modeRaw}"`);
    mode = modeRaw as RabbitMode;
    value = value0;
    if (HTTP_ONLY_MODES.includes(mode) && proto !== "http") md.fail("mode", `QueueLength with the ${proto} protocol (mode ${mode} needs protocol http)`);
  }
  if (!(value > 0)) md.fail(queueLength !== 0 ? "queueLength" : "value", `a number > 0 (the HPA target), got ${value}`);
  const timeout = md.durationSeconds("timeout");
  if (timeout !== undefined && timeout !== 0 && proto === "amqp") md.fail("timeout", "no timeout with the AMQP protocol (AMQP doesn't support custom timeouts)");
  const activationValue = md.float("activationValue", { default: 0 }) as number;

  const settings: RabbitSettings = { protocol: proto, mode, value, activationValue, excludeUnacknowledged, queueName: queueName as string };
  const metricName = `s${c.index}-${normalizeString(`rabbitmq-${goQueryEscape(settings.queueName)}`)}`;
  return {
    type: "rabbitmq",
    protocol: proto,
    index: c.index,
    metricName,
    targetType: c.targetType,
    target: value,
    activationThreshold: activationValue,
    useCachedMetrics: c.useCachedMetrics,
    description: describe(settings),
    warnings: md.warnings,
    read(q: QueueSnapshot) {
      const r = rabbitMetric(mode, activationValue, rabbitQueueStatus(settings, q));
      return { value: kedaMetricValue(r.value), active: r.active };
    },
  };
}
