// Scenario file schema (zod). Unknown fields are errors everywhere in our own format, so a
// typo ("cooldownPeriode") fails loudly instead of silently running the default.
import { z } from "zod";
import { HPA_CONTROLLER_DEFAULTS } from "../decisions/hpa.js";
import { parseVersion } from "../decisions/versions.js";

/** "2.19.0" or "v1.33.1" (major.minor[.patch]). */
const versionString = z.string().refine((v) => parseVersion(v) !== null, { message: 'expected a version such as "2.19.0"' });

const nonNeg = z.number().finite().nonnegative();
const pos = z.number().finite().positive();
const count = z.number().int().nonnegative();

export const distributionSchema = z.union([
  nonNeg.describe("a constant number of seconds"),
  z.strictObject({ dist: z.literal("constant"), value: nonNeg }),
  z.strictObject({ dist: z.literal("exponential"), mean: pos }),
  z.strictObject({ dist: z.literal("lognormal"), mu: z.number().finite(), sigma: nonNeg }),
  z.strictObject({ dist: z.literal("uniform"), min: nonNeg, max: nonNeg }).refine((d) => d.max >= d.min, {
    message: "max must be >= min",
  }),
  z.strictObject({ dist: z.literal("empirical"), values: z.array(nonNeg).min(1) }),
]);
export type DistributionInput = z.infer<typeof distributionSchema>;

export const producerSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("burst"),
    at: nonNeg.default(0),
    count: count,
  }),
  // Exactly the body of the seed's POST /MessageProducer: {count, intervalMilliseconds}.
  z.strictObject({
    type: z.literal("interval"),
    at: nonNeg.default(0),
    count: count,
    intervalMilliseconds: nonNeg,
  }),
  z.strictObject({
    type: z.literal("poisson"),
    ratePerSecond: pos,
    from: nonNeg.default(0),
    until: pos.optional(),
    count: count.optional(),
  }),
  // Piecewise-linear rate schedule [[t, ratePerSecond], ...] (ramps, spikes); Poisson arrivals by thinning.
  // deterministic: true spaces arrivals evenly by the integrated rate instead.
  z.strictObject({
    type: z.literal("rate"),
    points: z.array(z.tuple([nonNeg, nonNeg])).min(2),
    deterministic: z.boolean().default(false),
  }),
  // Daily (or any period) sine: rate(t) = mean + amplitude * sin(2π (t - phase) / period).
  z.strictObject({
    type: z.literal("sine"),
    meanPerSecond: pos,
    amplitudePerSecond: nonNeg,
    periodSeconds: pos.default(86400),
    phaseSeconds: nonNeg.default(0),
    from: nonNeg.default(0),
    until: pos,
  }),
  // Replay arrival times (seconds) from a CSV file: one number per line, or a column by name.
  z.strictObject({
    type: z.literal("csv"),
    file: z.string().min(1),
    column: z.string().optional(),
    offsetSeconds: nonNeg.default(0),
  }),
  // Replay a rate series exported from Prometheus (the JSON of a query_range call), rates × scale
  // (sim/scenario/replay.ts). Several series are summed unless `series` picks one.
  z.strictObject({
    type: z.literal("prometheus"),
    file: z.string().min(1),
    series: z.number().int().nonnegative().optional(),
    scale: pos.default(1),
    offsetSeconds: nonNeg.default(0),
    deterministic: z.boolean().default(false),
  }),
  // Replay a rate series from a CSV of timestamp,rate (seconds, milliseconds or ISO 8601 dates), rates × scale.
  z.strictObject({
    type: z.literal("rate-csv"),
    file: z.string().min(1),
    timeColumn: z.string().optional(),
    rateColumn: z.string().optional(),
    timeUnit: z.enum(["s", "ms"]).default("s"),
    scale: pos.default(1),
    offsetSeconds: nonNeg.default(0),
    deterministic: z.boolean().default(false),
  }),
]);
export type ProducerInput = z.infer<typeof producerSchema>;

export const queueSchema = z.strictObject({
  /**
   * Which broker semantics: Service Bus peek-lock, RabbitMQ ack/nack, AWS SQS or Azure Storage Queues (the
   * peek-lock path with the visibility timeout as the lock and no renewal), Redis Streams (Dapr's pubsub.redis on a
   * consumer group: the same path with processingTimeout as the lock). Default: from the Dapr component, else the trigger.
   */
  broker: z.enum(["azure-servicebus", "rabbitmq", "aws-sqs", "azure-storage-queue", "redis-streams"]).optional(),
  /**
   * Service Bus: lock duration of a delivered message (server default 60 s). SQS: the queue's VisibilityTimeout
   * (default 30 s). Azure Storage Queues: the visibility timeout of each receive (default 30 s, the one Dapr 1.9's binding uses).
   * Redis Streams: Dapr's processingTimeout (default: the pubsub.redis component's, else 60 s).
   */
  lockDurationSeconds: pos.optional(),
  /** Dapr's Service Bus binding renews locks every lockRenewalInSec (20) while the handler runs; 0 = never. SQS, Azure Storage Queues, Redis Streams: always 0. */
  lockRenewalSeconds: nonNeg.optional(),
  /**
   * Service Bus: deliveries before dead-lettering (server default 10). SQS: the redrive policy's maxReceiveCount
   * (1–1000; default: no redrive policy, never). Azure Storage Queues, Redis Streams: not settable (no dead-lettering: redelivered forever).
   */
  maxDeliveryCount: z.number().int().positive().optional(),
  /** Max unsettled deliveries per pod: RabbitMQ prefetchCount (0 = unlimited), Service Bus maxActiveMessages, SQS / Azure Storage Queues messages per receive (Dapr: 1), Redis Streams concurrency + queueDepth (Dapr: 10 + 100). */
  prefetch: count.optional(),
  /** RabbitMQ management API statistics interval (collect_statistics_interval, 5 s); 0 = live. */
  managementStatsIntervalSeconds: nonNeg.default(5),
});

export const faultsSchema = z.strictObject({
  kills: z.array(z.strictObject({ at: nonNeg, count: z.number().int().positive().default(1) })).default([]),
  crashRatePerHour: nonNeg.default(0),
  /** Windows in which every scaler query fails (exercises fallback). */
  scalerErrors: z.array(z.strictObject({ from: nonNeg, until: nonNeg })).default([]),
});

export const consumerSchema = z.strictObject({
  processingTime: distributionSchema.default(5),
  /** Messages one pod works on at once (the seed's consumer: 1). Default from the Dapr component, else 1. */
  concurrency: z.number().int().positive().optional(),
  /** Pending: replica requested → pod scheduled. */
  schedulingDelay: distributionSchema.default(0),
  /** Starting: containers start, daprd loads components, app becomes ready. */
  startupDelay: distributionSchema.default(0),
  /** Default from the Deployment manifest, else Kubernetes' 30 s. */
  terminationGracePeriodSeconds: nonNeg.optional(),
  /** Replicas of the Deployment before the ScaledObject takes over (default from the Deployment, else 0). */
  initialReplicas: count.optional(),
  /** With a ScaledJob: a Job's pod takes one message and exits ("one", the default), or drains the queue and exits ("drain"). */
  jobConsumer: z.enum(["one", "drain"]).optional(),
  faults: faultsSchema.default({ kills: [], crashRatePerHour: 0, scalerErrors: [] }),
});

export const hpaSchema = z.strictObject({
  syncPeriodSeconds: pos.default(HPA_CONTROLLER_DEFAULTS.syncPeriodSeconds),
  /** Time of the first HPA sync in [0, syncPeriod). Default: drawn from the seed. */
  syncPhaseSeconds: nonNeg.optional(),
  /** Extra seconds added to every period (the controller re-queues 15 s after the *end* of a sync). */
  driftSecondsPerSync: nonNeg.default(0),
  tolerance: nonNeg.default(HPA_CONTROLLER_DEFAULTS.tolerance),
  downscaleStabilizationSeconds: nonNeg.default(HPA_CONTROLLER_DEFAULTS.downscaleStabilizationSeconds),
  /** The HPAConfigurableTolerance feature gate. Default: its default in kubernetesVersion (on from 1.35). */
  configurableTolerance: z.boolean().optional(),
});

export const kedaSchema = z.strictObject({
  /** Time of the first KEDA poll in [0, pollingInterval). Default: drawn from the seed. */
  pollPhaseSeconds: nonNeg.optional(),
  /** When the ScaledObject was created (initialCooldownPeriod counts from here). */
  createdAt: nonNeg.default(0),
  /**
   * How long the scalers take to answer a poll. KEDA reads its clock (LastActiveTime, the cooldown
   * test) after querying them, so this much after the poll tick. Default 0.01 s.
   */
  scalerQueryLatencySeconds: nonNeg.max(5, "must be at most 5 s (KEDA's clock reading after the scalers answered; a slower scaler is a fault, see consumer.faults.scalerErrors)").default(0.01),
});

/** A manifest: a path (relative to the scenario file; multi-document YAML allowed) or an inline object. */
export const manifestRefSchema = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

export const scenarioSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' or '-' (it names the output folder)"),
  description: z.string().optional(),
  seed: z.number().int().nonnegative().default(1),
  /** Simulated seconds. Default: until everything is drained and scaled in, capped by maxDurationSeconds. */
  duration: pos.optional(),
  maxDurationSeconds: pos.default(7 * 86400),
  sampleIntervalSeconds: z.number().finite().min(0.001, "must be at least 0.001 s (1 ms)").default(1),
  /** Optional: without producers nothing arrives (an idle scenario: scale-in, pause, fault behaviour). */
  producers: z.array(producerSchema).default([]),
  queue: queueSchema.default({ managementStatsIntervalSeconds: 5 }),
  consumer: consumerSchema.default({
    processingTime: 5,
    schedulingDelay: 0,
    startupDelay: 0,
    faults: { kills: [], crashRatePerHour: 0, scalerErrors: [] },
  }),
  /** The user's own manifests: a KEDA ScaledObject (required), optionally a Dapr Component and the Deployment. */
  manifests: z.array(manifestRefSchema).min(1),
  hpa: hpaSchema.default({
    syncPeriodSeconds: HPA_CONTROLLER_DEFAULTS.syncPeriodSeconds,
    driftSecondsPerSync: 0,
    tolerance: HPA_CONTROLLER_DEFAULTS.tolerance,
    downscaleStabilizationSeconds: HPA_CONTROLLER_DEFAULTS.downscaleStabilizationSeconds,
  }),
  keda: kedaSchema.default({ createdAt: 0, scalerQueryLatencySeconds: 0.01 }),
  /** Upstream releases whose behaviour to follow (sim/decisions/versions.ts; default: the newest modelled). */
  kedaVersion: versionString.optional(),
  kubernetesVersion: versionString.optional(),
  /** Safety limits: a run that would exceed them stops early with an error naming the limit. */
  limits: z
    .strictObject({
      maxMessages: z.number().int().positive().default(50_000_000),
      maxReplicas: z.number().int().positive().default(10_000),
      maxEvents: z.number().int().positive().default(2_000_000_000),
      /** Trace records the run may write (samples + KEDA polls + HPA syncs, estimated up front). */
      maxTraceRecords: z.number().int().positive().default(20_000_000),
    })
    .default({ maxMessages: 50_000_000, maxReplicas: 10_000, maxEvents: 2_000_000_000, maxTraceRecords: 20_000_000 }),
});
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioParsed = z.infer<typeof scenarioSchema>;

// ---- Kubernetes manifests we read (only the fields that matter; unknown spec fields are errors) ----

const scaledObjectTrigger = z.strictObject({
  type: z.string(),
  name: z.string().optional(),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  metricType: z.enum(["AverageValue", "Value", "Utilization"]).optional(),
  useCachedMetrics: z.boolean().optional(),
  authenticationRef: z.record(z.string(), z.unknown()).optional(),
});

const hpaPolicy = z.strictObject({ type: z.enum(["Pods", "Percent"]), value: z.number().int().positive(), periodSeconds: z.number().int().positive().max(1800) });
const hpaRules = z.strictObject({
  stabilizationWindowSeconds: z.number().int().min(0).max(3600).optional(),
  selectPolicy: z.enum(["Max", "Min", "Disabled"]).optional(),
  policies: z.array(hpaPolicy).optional(),
  tolerance: z.union([z.number().nonnegative(), z.string().regex(/^[0-9]+(\.[0-9]+)?m?$/, "a Kubernetes quantity such as 0.05 or 50m")]).optional(),
});

const fallback = z.strictObject({
  // CRD: both +kubebuilder:validation:Minimum=0 (failureThreshold 0: the first failure falls back).
  failureThreshold: z.number().int().nonnegative(),
  replicas: z.number().int().nonnegative(),
  // scalingModifiers is in the CRD's enum; keda-validation.ts refuses it (no formula is modelled).
  behavior: z.enum(["static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower", "scalingModifiers"]).default("static"),
});

export const scaledObjectSpecV2 = z.strictObject({
  scaleTargetRef: z.strictObject({
    name: z.string().min(1, "a Deployment name (KEDA's CRD: +kubebuilder:validation:MinLength=1)"),
    kind: z.string().optional(),
    apiVersion: z.string().optional(),
    envSourceContainerName: z.string().optional(),
  }),
  pollingInterval: z.number().int().min(1).optional(),
  cooldownPeriod: z.number().int().nonnegative().optional(),
  initialCooldownPeriod: z.number().int().nonnegative().optional(),
  idleReplicaCount: z.number().int().nonnegative().optional(),
  minReplicaCount: z.number().int().nonnegative().optional(),
  maxReplicaCount: z.number().int().nonnegative().optional(),
  fallback: fallback.optional(),
  advanced: z
    .strictObject({
      restoreToOriginalReplicaCount: z.boolean().optional(),
      horizontalPodAutoscalerConfig: z
        .strictObject({
          name: z.string().optional(),
          behavior: z.strictObject({ scaleUp: hpaRules.optional(), scaleDown: hpaRules.optional() }).optional(),
        })
        .optional(),
      scalingModifiers: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  triggers: z.array(scaledObjectTrigger).min(1),
});

// keda.k8s.io/v1alpha1 (KEDA v1), the shape seed 000 uses. The seed writes min/maxReplicaCount
// under scaleTargetRef; KEDA v1 read them from spec, but the seed's `kubectl get hpa` shows
// MAXPODS 10, so we accept both places (spec wins) and say so in the README.
export const scaledObjectSpecV1 = z.strictObject({
  scaleTargetRef: z.strictObject({
    deploymentName: z.string(),
    containerName: z.string().optional(),
    minReplicaCount: z.number().int().nonnegative().optional(),
    maxReplicaCount: z.number().int().nonnegative().optional(),
  }),
  pollingInterval: z.number().int().min(1).optional(),
  cooldownPeriod: z.number().int().nonnegative().optional(),
  minReplicaCount: z.number().int().nonnegative().optional(),
  maxReplicaCount: z.number().int().nonnegative().optional(),
  triggers: z.array(scaledObjectTrigger).min(1),
});

export const objectMeta = z.looseObject({ name: z.string().optional(), annotations: z.record(z.string(), z.string()).optional() });

export const daprComponent = z.looseObject({
  apiVersion: z.string(),
  kind: z.literal("Component"),
  metadata: objectMeta,
  spec: z.looseObject({
    type: z.string(),
    version: z.string().optional(),
    metadata: z
      .array(z.looseObject({ name: z.string(), value: z.union([z.string(), z.number(), z.boolean()]).optional() }))
      .default([]),
  }),
});

/** A pod's terminationGracePeriodSeconds when neither the scenario nor the Deployment sets it (Kubernetes DefaultTerminationGracePeriodSeconds). */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;

export const deployment = z.looseObject({
  apiVersion: z.string(),
  kind: z.literal("Deployment"),
  metadata: objectMeta,
  spec: z.looseObject({
    replicas: z.number().int().nonnegative().optional(),
    template: z.looseObject({
      spec: z.looseObject({
        terminationGracePeriodSeconds: z.number().int().nonnegative().optional(),
      }),
    }),
  }),
});
