import { describe, expect, it } from "vitest";
import { parseTrigger } from "./index.js";
import { sqsQueueName } from "./aws-sqs-queue.js";
import { configError, snap } from "./test-helpers.js";

// The queue URL and region of the upstream tests (aws_sqs_queue_scaler_test.go testAWSSQSProperQueueURL).
const URL = "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ";
const AUTH = { authenticationRef: { name: "keda-aws" } };
const sqs = (metadata: unknown, extra: Record<string, unknown> = AUTH, index = 0) =>
  parseTrigger({ type: "aws-sqs-queue", metadata, ...extra }, index, `spec.triggers[${index}]`);
const base = { queueURL: URL, awsRegion: "eu-west-1" };

describe("aws-sqs-queue trigger", () => {
  it("defaults: queueLength 5, activationQueueLength 0, AverageValue, metric name s<i>-aws-sqs-<queue name from the URL>", () => {
    const t = sqs(base);
    expect(t).toMatchObject({ type: "aws-sqs-queue", index: 0, metricName: "s0-aws-sqs-DeleteArtifactQ", targetType: "AverageValue", target: 5, activationThreshold: 0, useCachedMetrics: false });
    expect(t.warnings).toEqual([]);
    // upstream awsSQSMetricIdentifiers: trigger index 1
    expect(sqs(base, AUTH, 1).metricName).toBe("s1-aws-sqs-DeleteArtifactQ");
    expect(t.description).toMatch(/ApproximateNumberOfMessagesNotVisible/);
  });

  // Upstream TestAWSSQSScalerGetMetrics: the mock returns visible 200, not visible 100, delayed 50.
  // The last row (in flight off, delayed on) is not in the upstream table; it follows from the same sum.
  it.each([
    [{ scaleOnInFlight: "false" }, 200],
    [{ scaleOnInFlight: "true" }, 300],
    [{ scaleOnDelayed: "false" }, 300],
    [{ scaleOnDelayed: "true" }, 350],
    [{ scaleOnInFlight: "false", scaleOnDelayed: "false" }, 200],
    [{ scaleOnInFlight: "true", scaleOnDelayed: "true" }, 350],
    [{ scaleOnInFlight: "false", scaleOnDelayed: "true" }, 250],
  ])("upstream vector %j: visible 200 + not visible 100 + delayed 50 reads %d", (flags, expected) => {
    const t = sqs({ ...base, queueLength: "1", ...flags });
    expect(t.read(snap({ ready: 200, inFlight: 100, delayed: 50 }))).toEqual({ value: expected, active: true });
  });

  it("not visible = being processed + received into a buffer (prefetched); a snapshot without delayed counts 0", () => {
    const t = sqs({ ...base, scaleOnDelayed: "true" });
    expect(t.read(snap({ ready: 3, inFlight: 4, prefetched: 2 })).value).toBe(9);
    const off = sqs({ ...base, scaleOnInFlight: "false" });
    expect(off.read(snap({ ready: 3, inFlight: 4, prefetched: 2 })).value).toBe(3);
    expect(off.description).toMatch(/NOT counted/);
  });

  it("scaleOnInFlight false: busy pods with nothing visible read 0 and are inactive (keda#1663)", () => {
    const t = sqs({ ...base, scaleOnInFlight: "false" });
    expect(t.read(snap({ inFlight: 10 }))).toEqual({ value: 0, active: false });
    expect(sqs(base).read(snap({ inFlight: 10 }))).toEqual({ value: 10, active: true });
  });

  it("activation is strict (queuelen > activationQueueLength): activationQueueLength 3 needs 4 messages", () => {
    const t = sqs({ ...base, activationQueueLength: "3" });
    expect(t.activationThreshold).toBe(3);
    expect(t.read(snap({ ready: 1, inFlight: 2 })).active).toBe(false);
    expect(t.read(snap({ ready: 2, inFlight: 2 })).active).toBe(true);
    expect(sqs(base).read(snap()).active).toBe(false);
    expect(sqs(base).read(snap({ ready: 1 })).active).toBe(true);
  });

  it("queueLength is the HPA target; metricType Value is kept", () => {
    const t = sqs({ ...base, queueLength: "20" }, { ...AUTH, metricType: "Value" });
    expect(t).toMatchObject({ target: 20, targetType: "Value" });
  });

  it("queue name: the third path segment of a URL, the value itself if it is not a URL", () => {
    expect(sqsQueueName(URL)).toBe("DeleteArtifactQ");
    expect(sqsQueueName("my-queue")).toBe("my-queue"); // upstream testAWSSimpleQueueURL
    expect(sqsQueueName("http://localhost:9324/000000000000/jobs?x=1")).toBe("jobs");
    expect(sqsQueueName("/000000000000/jobs")).toBe("jobs");
    expect(sqsQueueName("https://sqs.eu-west-1.amazonaws.com/account_id")).toBeNull(); // testAWSSQSImproperQueueURL1
    expect(sqsQueueName("https://sqs.eu-west-1.amazonaws.com")).toBeNull(); // testAWSSQSImproperQueueURL2
    expect(sqsQueueName("https://sqs.eu-west-1.amazonaws.com/a/b/c")).toBeNull();
    expect(sqs({ queueURL: "my-queue", awsRegion: "eu-west-1" }).metricName).toBe("s0-aws-sqs-my-queue");
  });

  it.each([
    [{}, "spec.triggers[0].metadata.queueURL"], // upstream "metadata empty"
    [{ queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id", awsRegion: "eu-west-1" }, "spec.triggers[0].metadata.queueURL"],
    [{ queueURL: "https://sqs.eu-west-1.amazonaws.com", awsRegion: "eu-west-1" }, "spec.triggers[0].metadata.queueURL"],
    [{ queueURL: "  ", awsRegion: "eu-west-1" }, "spec.triggers[0].metadata.queueURL"], // trimmed: "" is absent
    [{ queueURLFromEnv: "", awsRegion: "eu-west-1" }, "spec.triggers[0].metadata.queueURL"],
    [{ ...base, queueLength: "a" }, "spec.triggers[0].metadata.queueLength"], // upstream "invalid integer value for queueLength"
    [{ ...base, queueLength: "1.5" }, "spec.triggers[0].metadata.queueLength"], // int64
    [{ ...base, queueLength: "0" }, "spec.triggers[0].metadata.queueLength"], // an HPA target must be > 0
    [{ ...base, activationQueueLength: "a" }, "spec.triggers[0].metadata.activationQueueLength"],
    [{ ...base, scaleOnInFlight: "no" }, "spec.triggers[0].metadata.scaleOnInFlight"],
    [{ ...base, scaleOnDelayed: "yes" }, "spec.triggers[0].metadata.scaleOnDelayed"],
    [{ ...base, queueLenght: "5" }, "spec.triggers[0].metadata.queueLenght"],
  ])("rejects %j at %s", (metadata, path) => {
    const e = configError(() => sqs(metadata));
    expect(e.path).toBe(path);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
  });

  it("awsRegion: required in metadata without an authenticationRef (upstream 'empty region'); with one it may come from the TriggerAuthentication", () => {
    const e = configError(() => sqs({ queueURL: URL, awsRegion: "", identityOwner: "operator" }, {}));
    expect(e.path).toBe("spec.triggers[0].metadata.awsRegion");
    expect(e.expected).toMatch(/region/);
    const t = sqs({ queueURL: URL });
    expect(t.warnings.join("\n")).toMatch(/awsRegion: not in the metadata; assumed to come from the TriggerAuthentication/);
  });

  it("credentials without a TriggerAuthentication: identityOwner operator, or access key + secret from env (GetAwsAuthorization)", () => {
    expect(sqs({ ...base, identityOwner: "operator" }, {}).warnings).toEqual([]);
    expect(sqs({ ...base, awsAccessKeyID: "AKIA", awsSecretAccessKeyFromEnv: "AWS_SECRET" }, {}).warnings).toEqual([]);
    expect(configError(() => sqs(base, {})).path).toBe("spec.triggers[0].metadata.identityOwner");
    expect(configError(() => sqs({ ...base, identityOwner: "pod" }, {})).path).toBe("spec.triggers[0].metadata.identityOwner");
    expect(configError(() => sqs({ ...base, awsAccessKeyIDFromEnv: "AWS_KEY" }, {})).path).toBe("spec.triggers[0].metadata.awsSecretAccessKeyFromEnv");
  });

  it("queueURLFromEnv: accepted with a warning (the simulator has no container environment); queueURL wins when both are set", () => {
    const t = sqs({ queueURLFromEnv: "QUEUE_URL", awsRegion: "eu-west-1" });
    expect(t.metricName).toBe("s0-aws-sqs-QUEUE_URL");
    expect(t.warnings.join("\n")).toMatch(/cannot read the container's environment variable "QUEUE_URL"/);
    const both = sqs({ ...base, queueURLFromEnv: "QUEUE_URL" });
    expect(both.metricName).toBe("s0-aws-sqs-DeleteArtifactQ");
    expect(both.warnings.join("\n")).toMatch(/queueURLFromEnv: ignored/);
  });

  it("accepts an unquoted number with the usual warning (metadata is map[string]string)", () => {
    const t = sqs({ ...base, queueLength: 7 });
    expect(t.target).toBe(7);
    expect(t.warnings.join("\n")).toMatch(/queueLength: 7 is not a string/);
  });
});
