// aws-sqs-queue trigger.
// Source (read, not copied): kedacore/keda pkg/scalers/aws_sqs_queue_scaler.go at tag v2.20.2 (the newest
// tag stored; unchanged on main at 8b4f083c, Aug 2026, so taken as KEDA 2.21.0's):
//   awsSqsQueueMetadata (keda tags: queueLength default 5, activationQueueLength default 0, queueURL
//   required from triggerMetadata or resolvedEnv (queueURLFromEnv), awsRegion required from triggerMetadata
//   or authParams, awsEndpoint, scaleOnInFlight default true, scaleOnDelayed default false, identityOwner),
//   parseAwsSqsQueueMetadata (the attribute list ApproximateNumberOfMessages [+ NotVisible] [+ Delayed];
//   queueName = the third segment of the URL path, or the whole value when url.ParseRequestURI rejects it),
//   GetMetricSpecForScaling (metric name "aws-sqs-<queueName>"), GetMetricsAndActivity (active:
//   queuelen > activationQueueLength), processQueueLengthFromSqsQueueAttributesOutput (sum of the attributes).
//   pkg/scalers/aws/aws_common.go GetAwsAuthorization (which credentials it needs when there is no pod identity).
//   pkg/scalers/scalersconfig/typed_config.go configParamValue (values are trimmed; "" counts as absent).
// Upstream test vectors (aws_sqs_queue_scaler_test.go, TestAWSSQSScalerGetMetrics): visible 200, not
// visible 100, delayed 50 read as 200 / 300 / 350 depending on scaleOnInFlight and scaleOnDelayed.
// Spec: /work/shared/reference/keda-hpa-semantics.md B.5 (aws-sqs-queue row); user pain keda#1663.

import { isTriggerActive } from "../decisions/keda.js";
import { kedaMetricValue, MetadataReader, normalizeString, type QueueSnapshot, type Trigger, type TriggerCommon } from "./types.js";

export const AWS_SQS_QUEUE_METADATA_KEYS = [
  "queueURL",
  "queueURLFromEnv",
  "queueLength",
  "activationQueueLength",
  "awsRegion",
  "awsEndpoint",
  "scaleOnInFlight",
  "scaleOnDelayed",
  "identityOwner",
  // credentials in metadata (GetAwsAuthorization's fallback when no TriggerAuthentication supplies them)
  "awsAccessKeyID",
  "awsAccessKeyIDFromEnv",
  "awsSecretAccessKeyFromEnv",
] as const;

export const DEFAULT_SQS_QUEUE_LENGTH = 5;

export interface SqsSettings {
  scaleOnInFlight: boolean;
  scaleOnDelayed: boolean;
}

/**
 * getAwsSqsQueueLength: the sum of the queue attributes the scaler asks GetQueueAttributes for.
 * ApproximateNumberOfMessages = visible (ready); ApproximateNumberOfMessagesNotVisible = received and
 * neither deleted nor returned by an expired visibility timeout (being processed, in a receiver's
 * buffer, or held by a receiver that died); ApproximateNumberOfMessagesDelayed = not yet visible
 * because of DelaySeconds (QueueSnapshot.delayed; absent = 0).
 */
export function sqsQueueLength(s: SqsSettings, q: QueueSnapshot): number {
  let n = q.ready;
  if (s.scaleOnInFlight) n += q.inFlight + q.prefetched;
  if (s.scaleOnDelayed) n += q.delayed ?? 0;
  return n;
}

/**
 * The queue name KEDA derives from queueURL (parseAwsSqsQueueMetadata), following Go's
 * url.ParseRequestURI: a value that is neither an absolute URL nor an absolute path is taken as the
 * queue name itself; otherwise the unescaped path must be "/<account>/<name>". Returns null where KEDA
 * fails with "cannot get queueName from queueURL".
 */
export function sqsQueueName(queueURL: string): string | null {
  let rest: string;
  if (queueURL.startsWith("/")) rest = queueURL;
  else {
    // Go getScheme: [A-Za-z][A-Za-z0-9+.-]* then ':'; ':' first is an error; any other character ends the scan (no scheme).
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(queueURL);
    if (!m) return queueURL; // ParseRequestURI fails: the value is the queue name
    rest = queueURL.slice(m[0].length);
  }
  const q = rest.indexOf("?");
  if (q >= 0) rest = rest.slice(0, q);
  let path: string;
  if (rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    path = slash < 0 ? "" : rest.slice(slash);
  } else if (rest.startsWith("/")) path = rest;
  else path = ""; // opaque ("scheme:x"): no path
  try {
    path = decodeURIComponent(path);
  } catch {
    return queueURL; // an invalid %-escape: ParseRequestURI fails, the value is the queue name
  }
  const parts = path.split("/");
  if (parts.length !== 3 || parts[2].length === 0) return null;
  return parts[2];
}

export function parseAwsSqsQueue(metadata: unknown, c: TriggerCommon): Trigger {
  const md: MetadataReader = new MetadataReader(metadata, `${c.path}.metadata`, "aws-sqs-queue", AWS_SQS_QUEUE_METADATA_KEYS);
  const given = (key: string): string | undefined => md.given(key); // trimmed, "" = absent (configParamValue)

  const target = md.int("queueLength", { default: DEFAULT_SQS_QUEUE_LENGTH, positive: true }) as number;
  const activation = md.int("activationQueueLength", { default: 0 }) as number;
  const scaleOnInFlight = md.bool("scaleOnInFlight", true);
  const scaleOnDelayed = md.bool("scaleOnDelayed", false);
  md.str("awsEndpoint");

  // queueURL: triggerMetadata first, then the container's environment named by queueURLFromEnv.
  const queueURL = given("queueURL");
  const fromEnv = given("queueURLFromEnv");
  let queueName: string;
  if (queueURL !== undefined) {
    const name = sqsQueueName(queueURL);
    if (name === null) md.fail("queueURL", `a queue URL such as "https://sqs.eu-west-1.amazonaws.com/<account>/<queue>" or a queue name (cannot get queueName from queueURL "${queueURL}")`);
    queueName = name;
    if (fromEnv !== undefined) md.warnings.push(`${c.path}.metadata.queueURLFromEnv: ignored, queueURL is set and KEDA reads it first`);
  } else if (fromEnv !== undefined) {
    queueName = fromEnv;
    md.warnings.push(
      `${c.path}.metadata.queueURLFromEnv: the simulator cannot read the container's environment variable "${fromEnv}"; assumed to hold the queue's URL (KEDA fails if it is unset or empty), the metric is named after the variable`,
    );
  } else {
    md.fail("queueURL", 'the queue URL (required), or queueURLFromEnv naming an environment variable of the scale target that holds it (missing required parameter "queueURL")');
  }

  // awsRegion: triggerMetadata, then the TriggerAuthentication's parameters.
  const region = given("awsRegion");
  if (region === undefined) {
    if (!c.authenticationRef) md.fail("awsRegion", 'the queue\'s AWS region, e.g. "eu-west-1" (required; KEDA also reads it from a TriggerAuthentication, and this trigger has no authenticationRef)');
    md.warnings.push(`${c.path}.metadata.awsRegion: not in the metadata; assumed to come from the TriggerAuthentication (KEDA fails if it does not)`);
  }

  // Credentials (GetAwsAuthorization): without a TriggerAuthentication (pod identity or keys) KEDA needs
  // identityOwner "operator", or awsAccessKeyID / awsAccessKeyIDFromEnv and awsSecretAccessKeyFromEnv in metadata.
  const owner = given("identityOwner");
  if (!c.authenticationRef && owner !== "operator") {
    if (given("awsAccessKeyID") === undefined && given("awsAccessKeyIDFromEnv") === undefined) {
      md.fail("identityOwner", '"operator" (use the KEDA operator\'s own AWS identity), an authenticationRef to a TriggerAuthentication, or awsAccessKeyID / awsAccessKeyIDFromEnv with awsSecretAccessKeyFromEnv (KEDA: awsAccessKeyID not found)');
    }
    if (given("awsSecretAccessKeyFromEnv") === undefined) md.fail("awsSecretAccessKeyFromEnv", "the environment variable holding the secret access key, together with awsAccessKeyID (KEDA: awsSecretAccessKey not found)");
  }

  const settings: SqsSettings = { scaleOnInFlight, scaleOnDelayed };
  const counted = [
    "ApproximateNumberOfMessages (visible: waiting to be received)",
    scaleOnInFlight
      ? "+ ApproximateNumberOfMessagesNotVisible (received, not yet deleted: being processed, or held by a dead receiver until the visibility timeout lapses)"
      : "— in-flight (received, not visible) messages are NOT counted (scaleOnInFlight: false), so pods still working can be scaled away",
    scaleOnDelayed ? "+ ApproximateNumberOfMessagesDelayed" : "",
  ]
    .filter(Boolean)
    .join(" ");
  return {
    type: "aws-sqs-queue",
    index: c.index,
    metricName: `s${c.index}-${normalizeString(`aws-sqs-${queueName}`)}`,
    targetType: c.targetType,
    target,
    activationThreshold: activation,
    useCachedMetrics: c.useCachedMetrics,
    description: `AWS SQS queue "${queueName}": ${counted}. The attributes are approximate and, on AWS, eventually consistent (the simulator reads exact counts).`,
    warnings: md.warnings,
    read(q: QueueSnapshot) {
      const n = sqsQueueLength(settings, q);
      return { value: kedaMetricValue(n), active: isTriggerActive(n, activation) };
    },
  };
}
