import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ScenarioError } from "./load.js";
import { parseScaledJob } from "./scaled-job.js";
import { scaledJobPoll } from "../decisions/scaled-job.js";
import { snap } from "../triggers/test-helpers.js";

const FULL = `
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata:
  name: orders-job
  annotations: {autoscaling.keda.sh/paused: "yes"}
spec:
  jobTargetRef:
    parallelism: 2
    completions: 3
    activeDeadlineSeconds: 600
    backoffLimit: 4
    template:
      spec:
        terminationGracePeriodSeconds: 45
        restartPolicy: Never
        containers: [{name: app, image: consumer:1}]
  pollingInterval: 10
  minReplicaCount: 1
  maxReplicaCount: 20
  successfulJobsHistoryLimit: 5
  failedJobsHistoryLimit: 7
  rollout: {strategy: gradual, propagationPolicy: foreground}
  scalingStrategy:
    strategy: custom
    customScalingQueueLengthDeduction: 1
    customScalingRunningJobPercentage: "0.5"
    pendingPodConditions: [Ready, PodScheduled]
    multipleScalersCalculation: sum
  triggers:
  - type: azure-servicebus
    metadata: {queueName: orders, messageCount: "5"}
`;

const MIN = (spec: string, extra = "") => `
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
${extra}
spec:
  jobTargetRef:
    template: {spec: {containers: [{name: app}]}}
  triggers:
  - type: azure-servicebus
    metadata: {queueName: q}
${spec}
`;

/** The loader's manifestPath convention for a manifest at `where`. */
const pathAt = (where: string) => (p: string) => (!where ? p : where.endsWith("]") ? `${where}.${p}` : `${where}: ${p}`);

function errorOf(doc: unknown, where = ""): ScenarioError {
  try {
    parseScaledJob(doc, "m.yaml", pathAt(where));
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}
/** A minimal manifest with `patch` merged into its spec. */
const withSpec = (patch: Record<string, unknown>) => {
  const d = parse(MIN("")) as { spec: Record<string, unknown> };
  d.spec = { ...d.spec, ...patch };
  return d;
};

describe("parseScaledJob", () => {
  it("reads every modelled field", () => {
    const c = parseScaledJob(parse(FULL), "m.yaml");
    expect(c).toMatchObject({
      name: "orders-job",
      minReplicaCount: 1,
      maxReplicaCount: 19,
      pollingInterval: 10,
      successfulJobsHistoryLimit: 5,
      failedJobsHistoryLimit: 7,
      rollout: { strategy: "gradual", propagationPolicy: "foreground" },
      job: { parallelism: 2, completions: 3, activeDeadlineSeconds: 600, backoffLimit: 4, terminationGracePeriodSeconds: 45, restartPolicy: "Never" },
      paused: true,
      scaling: {
        minReplicaCount: 1,
        maxReplicaCount: 20,
        strategy: "custom",
        customScalingQueueLengthDeduction: 1,
        customScalingRunningJobPercentage: "0.5",
        pendingPodConditions: ["Ready", "PodScheduled"],
        multipleScalersCalculation: "sum",
      },
    });
    expect(c.triggers.map((t) => [t.type, t.target])).toEqual([["azure-servicebus", 5]]);
    expect(c.warnings).toEqual([]);
  });

  it("fills KEDA's and the Job API's defaults", () => {
    const c = parseScaledJob(parse(MIN("")), "m.yaml");
    expect(c).toMatchObject({
      minReplicaCount: 0,
      maxReplicaCount: 100,
      pollingInterval: 30,
      successfulJobsHistoryLimit: 100,
      failedJobsHistoryLimit: 100,
      rollout: { strategy: "immediate", propagationPolicy: "background" },
      job: { parallelism: 1, completions: 1, activeDeadlineSeconds: null, backoffLimit: 6, terminationGracePeriodSeconds: 30, restartPolicy: "OnFailure" },
      paused: false,
      scaling: { strategy: "", multipleScalersCalculation: "", pendingPodConditions: [], customScalingQueueLengthDeduction: null },
    });
    // parallelism set, completions unset: a work-queue Job (completions stays nil).
    expect(parseScaledJob(withSpec({ jobTargetRef: { parallelism: 3, template: { spec: {} } } }), "m.yaml").job.completions).toBeNull();
  });

  it("the deprecated rolloutStrategy wins over rollout.strategy, with a warning", () => {
    const c = parseScaledJob(withSpec({ rolloutStrategy: "gradual", rollout: { strategy: "immediate" } }), "m.yaml");
    expect(c.rollout.strategy).toBe("gradual");
    expect(c.warnings.join("\n")).toMatch(/m\.yaml: spec\.rolloutStrategy: deprecated/);
  });

  it("errors name the file, the field path and what was expected", () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [withSpec({ maxReplicaCounts: 5 }), "spec", /unknown field "maxReplicaCounts"/],
      [withSpec({ scalingStrategy: { strategy: "fastest" } }), "spec.scalingStrategy.strategy", /default|custom|accurate|eager/],
      [withSpec({ scalingStrategy: { strategy: "custom", customScalingRunningJobPercentage: 0.5 } }), "spec.scalingStrategy.customScalingRunningJobPercentage", /quote the number/],
      [withSpec({ scalingStrategy: { multipleScalersCalculation: "median" } }), "spec.scalingStrategy.multipleScalersCalculation", /max|min|avg|sum/],
      [withSpec({ maxReplicaCount: 0 }), "spec.maxReplicaCount", /must be >= 1 \(KEDA's CRD/],
      [withSpec({ pollingInterval: 0 }), "spec.pollingInterval", /must be >= 1 \(KEDA's CRD/],
      [withSpec({ jobTargetRef: { backoffLimit: -1, template: { spec: {} } } }), "spec.jobTargetRef.backoffLimit", /ValidateJobSpec/],
      [withSpec({ jobTargetRef: { template: { spec: { restartPolicy: "Always" } } } }), "spec.jobTargetRef.template.spec.restartPolicy", /OnFailure or Never/],
      [withSpec({ jobTargetRef: { template: { spec: {} }, parallelizm: 2 } }), "spec.jobTargetRef", /unknown field "parallelizm"/],
      [withSpec({ jobTargetRef: undefined }), "spec.jobTargetRef", /missing/],
      [withSpec({ triggers: [] }), "spec.triggers", /at least one trigger/],
      [withSpec({ triggers: [{ type: "azure-servicebus", metricType: "Value", metadata: { queueName: "q" } }] }), "spec.triggers[0].metricType", /metricType cannot be set in ScaledJob triggers/],
      [withSpec({ triggers: [{ type: "azure-servicebus", name: "a", metadata: { queueName: "q" } }, { type: "rabbitmq", name: "a", metadata: { queueName: "q" } }] }), "spec.triggers[1].name", /defined multiple times.*ValidateTriggers/],
      [withSpec({ triggers: [{ type: "sqs", metadata: {} }] }), "spec.triggers[0].type", /supported trigger type/],
      [withSpec({ triggers: [{ type: "azure-servicebus", metadata: { queueName: "q", mesageCount: "5" } }] }), "spec.triggers[0].metadata.mesageCount", /metadata key/],
      [withSpec({ scalingStrategy: { strategy: "custom", customScalingRunningJobPercentage: "Inf" } }), "spec.scalingStrategy.customScalingRunningJobPercentage", /finite number/],
      [{ ...withSpec({}), apiVersion: "keda.k8s.io/v1alpha1" }, "apiVersion", /keda\.sh\/v1alpha1/],
    ];
    for (const [doc, path, expected] of cases) {
      const e = errorOf(doc);
      expect({ file: e.file, path: e.path }).toEqual({ file: "m.yaml", path });
      expect(e.expected).toMatch(expected);
    }
  });

  it("prefixes paths like the loader: inline manifests and documents of a multi-document file", () => {
    expect(errorOf(withSpec({ pollingInterval: 0 }), "manifests[2]").path).toBe("manifests[2].spec.pollingInterval");
    expect(errorOf(withSpec({ triggers: [{ type: "azure-servicebus", metricType: "Value", metadata: { queueName: "q" } }] }), "document 2").path).toBe("document 2: spec.triggers[0].metricType");
    expect(errorOf({ ...withSpec({}), kind: "ScaledJobs" }, "manifests[0]")).toMatchObject({ path: "manifests[0].kind", expected: expect.stringMatching(/ScaledJob/) });
    expect(errorOf({ ...withSpec({}), spec: "none" }, "document 3").path).toBe("document 3: spec");
  });

  it("warns where KEDA accepts something that behaves unexpectedly", () => {
    const w = (patch: Record<string, unknown>) => parseScaledJob(withSpec(patch), "m.yaml").warnings.join("\n");
    expect(w({ scalingStrategy: { strategy: "custom", customScalingRunningJobPercentage: "half" } })).toMatch(/customScalingRunningJobPercentage: "half" is not a float.*falls back to the default/);
    expect(w({ scalingStrategy: { strategy: "accurate", customScalingQueueLengthDeduction: 2 } })).toMatch(/read only by strategy "custom"/);
    expect(w({ scalingStrategy: { pendingPodConditions: ["Ready", "Ready"] } })).toMatch(/names a condition twice/);
    expect(w({ minReplicaCount: 5, maxReplicaCount: 2 })).toMatch(/spec\.minReplicaCount: exceeds maxReplicaCount \(2\)/);
    expect(w({ minReplicaCount: 2 })).toMatch(/100 above the minimum/);
    expect(w({ jobTargetRef: { ttlSecondsAfterFinished: 60, template: { spec: {} } } })).toMatch(/spec\.jobTargetRef\.ttlSecondsAfterFinished: accepted, not modelled/);
    expect(w({ triggers: [{ type: "azure-servicebus", useCachedMetrics: true, metadata: { queueName: "q" } }] })).toMatch(/spec\.triggers\[0\]\.useCachedMetrics: not supported for ScaledJobs/);
  });

  it("feeds the decision functions: one poll from a parsed manifest", () => {
    const c = parseScaledJob(parse(MIN("  maxReplicaCount: 20\n  scalingStrategy: {strategy: accurate}")), "m.yaml");
    const t = c.triggers[0];
    const reading = t.read(snap({ ready: 23 }));
    const d = scaledJobPoll(c.scaling, [{ ...reading, target: t.target }], []);
    // 23 messages / messageCount 5 → maxScale ceil(4.6) = 5; no Jobs yet: create min(23, 5 − 0) = 5.
    expect(d).toMatchObject({ activity: { isActive: true, queueLength: 23, maxScale: 5 }, create: 5, strategy: "accurate" });
  });
});
