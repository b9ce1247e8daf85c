// A `kind: ScaledJob` (keda.sh/v1alpha1) manifest → the config of KEDA's ScaledJob loop
// (sim/decisions/scaled-job.ts). Not yet called by the loader (sim/scenario/load.ts will call
// parseScaledJob for a ScaledJob among the manifests, passing its manifestPath); errors are the
// loaders' ScenarioError, with the file and the field path. firstIssue comes from load.ts: used only
// inside parseScaledJob, so load.ts importing this module later is a harmless ESM cycle.
// Sources (read, not copied), kedacore/keda v2.20.2:
//   apis/keda/v1alpha1/scaledjob_types.go  ScaledJobSpec, ScalingStrategy, Rollout and their
//     +kubebuilder markers (pollingInterval ≥ 1, history limits ≥ 0, minReplicaCount ≥ 0,
//     maxReplicaCount ≥ 1, the strategy / multipleScalersCalculation / rollout enums, triggers ≥ 1);
//     config/crd/bases/keda.sh_scaledjobs.yaml (jobTargetRef and triggers required; no min ≤ max rule)
//   apis/keda/v1alpha1/scaledjob_webhook.go ValidateCreate → verifyTriggers → ValidateTriggers
//   controllers/keda/scaledjob_controller.go reconcileScaledJob (jobTargetRef required; metricType on
//     a trigger is refused, useCachedMetrics only warned about), deletePreviousVersionScaleJobs
//     (rolloutStrategy, deprecated, wins over rollout.strategy; anything but "gradual" is immediate;
//     propagationPolicy "foreground" else background), checkIfPaused (NeedToBePausedByAnnotation)
//   pkg/scaling/executor/scale_jobs.go generateJobs (restartPolicy "" → OnFailure), cleanUp (limits 100)
// and kubernetes/kubernetes pkg/apis/batch/v1/defaults.go SetDefaults_Job (parallelism and
// completions both unset → 1 and 1; parallelism unset → 1; backoffLimit unset → 6) and
// pkg/apis/batch/validation ValidateJobSpec (parallelism, completions, activeDeadlineSeconds,
// backoffLimit non-negative; a Job's restartPolicy Never or OnFailure).
import { z } from "zod";
import { ScenarioError } from "./error.js";
import { firstIssue } from "./load.js";
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from "./schema.js";
import { boolAnnotation } from "./annotations.js";
import { validateTriggers } from "./keda-validation.js";
import { parseTrigger } from "../triggers/index.js";
import type { Trigger } from "../triggers/types.js";
import {
  DEFAULT_JOBS_HISTORY_LIMIT,
  goParseFloat,
  MULTIPLE_SCALERS_CALCULATIONS,
  SCALING_STRATEGIES,
  scaledJobMaxReplicaCount,
  scaledJobMinReplicaCount,
  type ScaledJobScaling,
} from "../decisions/scaled-job.js";
import { KEDA_DEFAULTS } from "../decisions/keda.js";

const INT32_MAX = 2147483647;
const int32 = z.number().int().min(-INT32_MAX - 1).max(INT32_MAX);
const nonNegInt32 = (what: string) => z.number().int().min(0, `${what} must be >= 0`).max(INT32_MAX);
const crdMin = (n: number) => z.number().int().min(n, `must be >= ${n} (KEDA's CRD: +kubebuilder:validation:Minimum=${n})`).max(INT32_MAX);

/** batch/v1 JobSpec: the fields kedasim models are typed; the others are accepted and reported as not modelled. */
const NOT_MODELLED_JOB_FIELDS = [
  "backoffLimitPerIndex",
  "completionMode",
  "managedBy",
  "manualSelector",
  "maxFailedIndexes",
  "podFailurePolicy",
  "podReplacementPolicy",
  "selector",
  "successPolicy",
  "suspend",
  "ttlSecondsAfterFinished",
] as const;

const jobNonNeg = (field: string) => nonNegInt32(`${field} (the Job API's ValidateJobSpec: ValidateNonnegativeField; KEDA's Job create would fail)`);

export const jobTargetRefSchema = z.strictObject({
  parallelism: jobNonNeg("parallelism").optional(),
  completions: jobNonNeg("completions").optional(),
  activeDeadlineSeconds: z.number().int().min(0, "activeDeadlineSeconds must be >= 0 (the Job API's ValidateJobSpec)").optional(),
  backoffLimit: jobNonNeg("backoffLimit").optional(),
  template: z.looseObject({
    metadata: z.looseObject({}).optional(),
    spec: z.looseObject({
      terminationGracePeriodSeconds: z.number().int().nonnegative().optional(),
      restartPolicy: z.enum(["OnFailure", "Never"], "a Job's pod restartPolicy: OnFailure or Never (Always is rejected by the Job API; unset, KEDA's generateJobs sets OnFailure)").optional(),
    }),
  }),
  ...Object.fromEntries(NOT_MODELLED_JOB_FIELDS.map((k) => [k, z.unknown().optional()])),
});

export const scalingStrategySchema = z.strictObject({
  strategy: z.enum([...SCALING_STRATEGIES, ""]).optional(),
  customScalingQueueLengthDeduction: int32.optional(),
  // A string in the CRD; a YAML number is refused below with a hint to quote it.
  customScalingRunningJobPercentage: z.union([z.string(), z.number()]).optional(),
  pendingPodConditions: z.array(z.string()).optional(),
  multipleScalersCalculation: z.enum([...MULTIPLE_SCALERS_CALCULATIONS, ""]).optional(),
});

export const scaledJobSpecSchema = z.strictObject({
  jobTargetRef: jobTargetRefSchema,
  pollingInterval: crdMin(1).optional(),
  successfulJobsHistoryLimit: crdMin(0).optional(),
  failedJobsHistoryLimit: crdMin(0).optional(),
  rolloutStrategy: z.enum(["gradual", "immediate"]).optional(),
  rollout: z.strictObject({ strategy: z.enum(["gradual", "immediate"]).optional(), propagationPolicy: z.enum(["foreground", "background"]).optional() }).optional(),
  envSourceContainerName: z.string().optional(),
  minReplicaCount: crdMin(0).optional(),
  maxReplicaCount: crdMin(1).optional(),
  scalingStrategy: scalingStrategySchema.optional(),
  triggers: z.array(z.unknown()).min(1, "at least one trigger (KEDA's CRD: +kubebuilder:validation:MinItems=1)"),
});

export const scaledJobManifestSchema = z.looseObject({
  apiVersion: z.literal("keda.sh/v1alpha1", "keda.sh/v1alpha1 (ScaledJob exists only in KEDA v2's API group)"),
  kind: z.literal("ScaledJob"),
  metadata: z.looseObject({ name: z.string().optional(), annotations: z.record(z.string(), z.string()).optional() }).optional(),
  spec: z.unknown(),
});

/** What a ScaledJob's loop and its Jobs need, resolved (defaults filled). */
export interface ScaledJobConfig {
  name: string;
  apiVersion: "keda.sh/v1alpha1";
  /** The fields the scaling arithmetic reads, as written (sim/decisions/scaled-job.ts). */
  scaling: ScaledJobScaling;
  /** ScaledJob.MinReplicaCount() / MaxReplicaCount() (the latter is the room above min). */
  minReplicaCount: number;
  maxReplicaCount: number;
  pollingInterval: number;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
  /** deletePreviousVersionScaleJobs: what happens to running Jobs when the ScaledJob changes. */
  rollout: { strategy: "gradual" | "immediate"; propagationPolicy: "foreground" | "background" };
  /** The Job each poll creates (jobTargetRef, batch/v1 defaults applied). */
  job: {
    parallelism: number;
    /** null: unset with parallelism set (a work-queue Job: done when any pod succeeds and all have exited). */
    completions: number | null;
    activeDeadlineSeconds: number | null;
    backoffLimit: number;
    terminationGracePeriodSeconds: number;
    restartPolicy: "OnFailure" | "Never";
  };
  triggers: Trigger[];
  /** autoscaling.keda.sh/paused (NeedToBePausedByAnnotation: ParseBool, unparsable = true): the loop does not run. */
  paused: boolean;
  /** Accepted, but KEDA or the model treats it differently from what a reader might expect. */
  warnings: string[];
}

/**
 * Parse one ScaledJob manifest. `file` is the file named in errors; `at` turns a field path inside
 * the manifest ("spec.x") into the one to report — the loader's manifestPath ("manifests[1].spec.x"
 * for an inline manifest, "document 2: spec.x" in a multi-document file). Throws ScenarioError.
 */
export function parseScaledJob(doc: unknown, file: string, at: (path: string) => string = (p) => p): ScaledJobConfig {
  // firstIssue names the path inside what was parsed; `under` places it in the manifest.
  const issue = (err: z.ZodError, under: string) => {
    const e = firstIssue(err, file);
    return new ScenarioError(file, at(under && e.path ? `${under}.${e.path}` : under || e.path), e.expected);
  };
  const top = scaledJobManifestSchema.safeParse(doc);
  if (!top.success) throw issue(top.error, "");
  if (top.data.spec === undefined) throw new ScenarioError(file, at("spec"), "expected a ScaledJob spec with jobTargetRef and triggers (missing)");
  const rawSpec = top.data.spec as Record<string, unknown> | null;
  if (typeof rawSpec === "object" && rawSpec !== null && !Array.isArray(rawSpec) && rawSpec.jobTargetRef == null) {
    throw new ScenarioError(file, at("spec.jobTargetRef"), 'a batch/v1 JobSpec with a pod template (missing; KEDA\'s controller stops with "ScaledJob.spec.jobTargetRef not found")');
  }
  const r = scaledJobSpecSchema.safeParse(top.data.spec);
  if (!r.success) throw issue(r.error, "spec");
  const sp = r.data;
  const warnings: string[] = [];
  const warn = (p: string, text: string) => warnings.push(`${file}: ${at(p)}: ${text}`);

  // ---- scaling ----
  const ss = sp.scalingStrategy ?? {};
  const pctPath = "spec.scalingStrategy.customScalingRunningJobPercentage";
  if (typeof ss.customScalingRunningJobPercentage === "number") {
    const n = ss.customScalingRunningJobPercentage;
    throw new ScenarioError(file, at(pctPath), `a string such as "${n}" (the CRD types it as string, so the API server rejects the number ${n}; quote the number)`);
  }
  const scaling: ScaledJobScaling = {
    minReplicaCount: sp.minReplicaCount ?? null,
    maxReplicaCount: sp.maxReplicaCount ?? null,
    strategy: ss.strategy ?? "",
    customScalingQueueLengthDeduction: ss.customScalingQueueLengthDeduction ?? null,
    customScalingRunningJobPercentage: ss.customScalingRunningJobPercentage ?? "",
    pendingPodConditions: ss.pendingPodConditions ?? [],
    multipleScalersCalculation: ss.multipleScalersCalculation ?? "",
  };
  if (scaling.strategy === "custom") {
    const p = goParseFloat(scaling.customScalingRunningJobPercentage);
    if (p === null) {
      warn(pctPath, `${JSON.stringify(scaling.customScalingRunningJobPercentage)} is not a float (strconv.ParseFloat): KEDA's NewScalingStrategy falls back to the default strategy`);
    } else if (!Number.isFinite(p)) {
      throw new ScenarioError(file, at(pctPath), `a finite number (KEDA parses ${JSON.stringify(scaling.customScalingRunningJobPercentage)}, but its int64 arithmetic on it overflows; not modelled)`);
    }
  } else if (ss.customScalingQueueLengthDeduction !== undefined || ss.customScalingRunningJobPercentage !== undefined) {
    warn("spec.scalingStrategy", `customScalingQueueLengthDeduction / customScalingRunningJobPercentage are read only by strategy "custom" (this one is "${scaling.strategy || "default"}")`);
  }
  if (new Set(scaling.pendingPodConditions).size !== scaling.pendingPodConditions.length) {
    warn("spec.scalingStrategy.pendingPodConditions", "names a condition twice: KEDA's areAllPendingPodConditionsFulfilled then never holds, so every unfinished Job counts as pending");
  }
  if (scaling.minReplicaCount !== null && scaling.maxReplicaCount !== null && scaling.minReplicaCount > scaling.maxReplicaCount) {
    warn("spec.minReplicaCount", `exceeds maxReplicaCount (${scaling.maxReplicaCount}); the ScaledJob CRD has no min ≤ max rule, and KEDA then uses ${scaling.maxReplicaCount} for both MinReplicaCount() and MaxReplicaCount()`);
  } else if (scaling.minReplicaCount !== null && scaling.minReplicaCount > 0 && scaling.maxReplicaCount === null) {
    warn("spec.maxReplicaCount", `unset with minReplicaCount ${scaling.minReplicaCount}: KEDA's MaxReplicaCount() is then 100 above the minimum, not 100 in all`);
  }

  // ---- triggers: the webhook's ValidateTriggers, the controller's metricType refusal, parseTrigger ----
  const bad = validateTriggers(sp.triggers);
  if (bad) throw new ScenarioError(file, at(bad.index === null ? "spec.triggers" : `spec.triggers[${bad.index}]${bad.field ? `.${bad.field}` : ""}`), `${bad.message} (KEDA's ValidateTriggers)`);
  const triggers: Trigger[] = sp.triggers.map((t, i) => {
    const path = at(`spec.triggers[${i}]`);
    const o = (typeof t === "object" && t !== null ? t : {}) as { metricType?: unknown; useCachedMetrics?: unknown };
    if (o.metricType !== undefined && o.metricType !== null && o.metricType !== "") {
      throw new ScenarioError(file, `${path}.metricType`, "no metricType: KEDA's ScaledJob controller refuses it (\"metricType cannot be set in ScaledJob triggers\"); a ScaledJob uses the trigger's target as averageValue");
    }
    if (o.useCachedMetrics === true) warnings.push(`${file}: ${path}.useCachedMetrics: not supported for ScaledJobs (KEDA logs a warning and ignores it)`);
    try {
      return parseTrigger(t, i, path, { apiVersion: "keda.sh/v1alpha1" });
    } catch (e) {
      const te = e as { path?: string; expected?: string; message: string };
      throw new ScenarioError(file, te.path ?? path, te.expected ?? te.message);
    }
  });

  // ---- the Job ----
  const jt = sp.jobTargetRef;
  for (const k of NOT_MODELLED_JOB_FIELDS) {
    if ((jt as Record<string, unknown>)[k] !== undefined) warn(`spec.jobTargetRef.${k}`, "accepted, not modelled");
  }
  const parallelism = jt.parallelism ?? 1;
  const completions = jt.completions ?? (jt.parallelism === undefined ? 1 : null);
  const rolloutStrategy = sp.rolloutStrategy ?? sp.rollout?.strategy ?? "";
  if (sp.rolloutStrategy !== undefined) warn("spec.rolloutStrategy", "deprecated (kedacore/keda#3596): use rollout.strategy; it wins over rollout.strategy when both are set");

  const annotations = top.data.metadata?.annotations ?? {};
  return {
    name: top.data.metadata?.name ?? "scaledjob",
    apiVersion: "keda.sh/v1alpha1",
    scaling,
    minReplicaCount: scaledJobMinReplicaCount(scaling),
    maxReplicaCount: scaledJobMaxReplicaCount(scaling),
    pollingInterval: sp.pollingInterval ?? KEDA_DEFAULTS.pollingInterval,
    successfulJobsHistoryLimit: sp.successfulJobsHistoryLimit ?? DEFAULT_JOBS_HISTORY_LIMIT,
    failedJobsHistoryLimit: sp.failedJobsHistoryLimit ?? DEFAULT_JOBS_HISTORY_LIMIT,
    rollout: { strategy: rolloutStrategy === "gradual" ? "gradual" : "immediate", propagationPolicy: sp.rollout?.propagationPolicy === "foreground" ? "foreground" : "background" },
    job: {
      parallelism,
      completions,
      activeDeadlineSeconds: jt.activeDeadlineSeconds ?? null,
      backoffLimit: jt.backoffLimit ?? 6,
      terminationGracePeriodSeconds: jt.template.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
      restartPolicy: jt.template.spec.restartPolicy ?? "OnFailure",
    },
    triggers,
    paused: boolAnnotation(annotations, "autoscaling.keda.sh/paused"),
    warnings,
  };
}
