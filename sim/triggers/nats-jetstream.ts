// nats-jetstream trigger.
// Source (read, not copied): kedacore/keda pkg/scalers/nats_jetstream_scaler.go (main at 8b4f083c, Aug 2026)
//   natsJetStreamMetadata (keda tags: account/accountID, stream, consumer, lagThreshold 10,
//   activationLagThreshold 0, useHttps, natsServerMonitoringEndpoint), parseNATSJetStreamMetadata ("no account
//   name or id given"), getMaxMsgLag (num_pending + num_ack_pending of the named consumer),
//   GetMetricsAndActivity (activity: lag > activationLagThreshold), GetMetricSpecForScaling (metric name
//   "nats-jetstream-<stream>").
// Spec: /work/shared/reference/keda-hpa-semantics.md B.5 (nats-jetstream row).
//
// The trigger reads QueueSnapshot.numPending / numAckPending; without them (a plain queue snapshot) it reads
// ready as num_pending and in flight + prefetched as num_ack_pending.

import { isTriggerActive } from "../decisions/keda.js";
import { kedaMetricValue, MetadataReader, normalizeString, type QueueSnapshot, type Trigger, type TriggerCommon } from "./types.js";

export const NATS_JETSTREAM_METADATA_KEYS = [
  "account",
  "accountID",
  "stream",
  "consumer",
  "lagThreshold",
  "activationLagThreshold",
  "useHttps",
  "natsServerMonitoringEndpoint",
] as const;

export const DEFAULT_JETSTREAM_LAG_THRESHOLD = 10;

/** getMaxMsgLag: undelivered + delivered-but-unacknowledged. */
export function jetStreamLag(q: QueueSnapshot): number {
  const pending = q.numPending ?? q.ready;
  const ackPending = q.numAckPending ?? q.inFlight + q.prefetched;
  return pending + ackPending;
}

export function parseNatsJetStream(metadata: unknown, c: TriggerCommon): Trigger {
  const md: MetadataReader = new MetadataReader(metadata, `${c.path}.metadata`, "nats-jetstream", NATS_JETSTREAM_METADATA_KEYS);
  const stream = md.str("stream");
  if (!stream) md.fail("stream", "the stream name (required)");
  const consumer = md.str("consumer");
  if (!consumer) md.fail("consumer", "the durable consumer name (required)");
  const lagThreshold = md.int("lagThreshold", { default: DEFAULT_JETSTREAM_LAG_THRESHOLD }) as number;
  if (!(lagThreshold > 0)) md.fail("lagThreshold", `a positive whole number, got ${lagThreshold}`);
  const activationLagThreshold = md.int("activationLagThreshold", { default: 0 }) as number;
  md.bool("useHttps");
  // account/accountID and the monitoring endpoint may come from a TriggerAuthentication (order=authParams;triggerMetadata),
  // which the simulator does not read: only warn.
  if (!md.has("account") && !md.has("accountID")) {
    md.warnings.push(`${c.path}.metadata.account: KEDA needs account or accountID (in metadata or a TriggerAuthentication), else "no account name or id given"`);
  }
  if (!md.has("natsServerMonitoringEndpoint")) {
    md.warnings.push(`${c.path}.metadata.natsServerMonitoringEndpoint: KEDA needs the monitoring endpoint (nats-server -m 8222), in metadata or a TriggerAuthentication`);
  }
  const metricName = `s${c.index}-${normalizeString(`nats-jetstream-${stream}`)}`;
  return {
    type: "nats-jetstream",
    index: c.index,
    metricName,
    targetType: c.targetType,
    target: lagThreshold,
    activationThreshold: activationLagThreshold,
    useCachedMetrics: c.useCachedMetrics,
    description: `NATS JetStream consumer "${consumer}" on stream "${stream}": num_pending + num_ack_pending (undelivered + delivered but not yet acknowledged)`,
    warnings: md.warnings,
    read(q: QueueSnapshot) {
      const lag = jetStreamLag(q);
      return { value: kedaMetricValue(lag), active: isTriggerActive(lag, activationLagThreshold) };
    },
    jetstream: { stream: stream as string, consumer: consumer as string },
  } as Trigger & { jetstream: { stream: string; consumer: string } };
}
