// fast-check arbitraries that generate WHOLE scenarios, as raw scenario objects in the shape of a
// scenario YAML file (what resolveScenario / loadScenario read), so a shrunk counterexample can be
// written out as a file and replayed with `npm run sim -- <file> --seed N`.
//
// Shrinking: every optional field is fc.option(…, {nil: undefined}) (shrinks to "absent" = the
// default), numbers are small integer ranges or constantFrom lists (shrink to the first value), and
// lists shrink to their minimum length. Times are integers or multiples of 0.25 s, so that sums of
// times are exact in binary floating point and multiplying them by a power of two is exact too.
import fc from "fast-check";
import { HPA_CONTROLLER_DEFAULTS } from "../decisions/hpa.js";
import { KEDA_DEFAULTS } from "../decisions/keda.js";
import { brokerOfTrigger, hasVisibilityTimeout, resolveScenario, type Broker, type Scenario } from "../scenario/load.js";

/** A raw scenario object (YAML shape). */
export type RawScenario = Record<string, unknown>;

export interface ScenarioArbOptions {
  /** Pod kills, crash rates and scaler-error windows (default true). */
  faults?: boolean;
  /**
   * Everything the simulator claims is exactly time-scale invariant (default true = allow all).
   * false leaves out what is not, by design: RabbitMQ rate modes (their target is a rate in msgs/s
   * and KEDA rounds metrics to milli-units, so a rate divided by k is not the same number).
   */
  rateModes?: boolean;
  /** Lognormal processing / startup times (default true). */
  lognormal?: boolean;
  /** `rate` producers with deterministic: true (default true). */
  deterministicRate?: boolean;
  /** Unbounded distributions (exponential, lognormal) for delays and processing (default true). */
  unbounded?: boolean;
  /** Upper bound of simulated seconds (maxDurationSeconds / duration). Default 7200. */
  maxSeconds?: number;
  /** One trigger only (default: one or two). */
  singleTrigger?: boolean;
  /** Activation thresholds 0 (default: random). */
  zeroActivation?: boolean;
  /** Never set `duration` (run until drained and scaled in, capped by maxDurationSeconds). */
  untilSettled?: boolean;
}

// ---------------------------------------------------------------------------------------------
// small building blocks

/** A multiple of 0.25 s in [0, max]. */
export const quarter = (max: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: Math.round(max * 4) }).map((q) => q / 4);

const opt = <T>(a: fc.Arbitrary<T>, freq = 2): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq });

/** Remove keys whose value is undefined (YAML-friendly, and "absent" means "default"). */
export function compact<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Seconds-valued distribution in the scenario syntax (number = constant). */
export function distributionArb(maxSeconds: number, o: { lognormal: boolean; unbounded: boolean }): fc.Arbitrary<unknown> {
  const parts: Array<fc.Arbitrary<unknown>> = [
    quarter(maxSeconds),
    quarter(maxSeconds).map((value) => ({ dist: "constant", value })),
    fc.tuple(quarter(maxSeconds), quarter(maxSeconds)).map(([a, b]) => ({ dist: "uniform", min: Math.min(a, b), max: Math.max(a, b) })),
    fc.array(quarter(maxSeconds), { minLength: 1, maxLength: 4 }).map((values) => ({ dist: "empirical", values })),
  ];
  if (o.unbounded) {
    parts.push(fc.integer({ min: 1, max: Math.max(1, Math.round(maxSeconds * 2)) }).map((q) => ({ dist: "exponential", mean: q / 4 })));
  }
  if (o.lognormal && o.unbounded) {
    parts.push(
      fc.record({ mu: fc.constantFrom(0, 0.5, 1, 1.5), sigma: fc.constantFrom(0, 0.25, 0.5) }).map(({ mu, sigma }) => ({ dist: "lognormal", mu, sigma })),
    );
  }
  return fc.oneof(...parts);
}

// ---------------------------------------------------------------------------------------------
// producers

export function producerArb(o: { deterministicRate: boolean }): fc.Arbitrary<Record<string, unknown>> {
  const burst = fc
    .record({ at: opt(quarter(600)), count: fc.integer({ min: 1, max: 60 }) })
    .map((p) => compact({ type: "burst", ...p }));
  const interval = fc
    .record({ at: opt(quarter(600)), count: fc.integer({ min: 1, max: 80 }), intervalMilliseconds: fc.integer({ min: 0, max: 40 }).map((n) => n * 250) })
    .map((p) => compact({ type: "interval", ...p }));
  const poisson = fc
    .record({
      ratePerSecond: fc.constantFrom(0.5, 0.1, 0.25, 1, 2),
      from: opt(quarter(300)),
      length: fc.integer({ min: 1, max: 600 }),
      count: opt(fc.integer({ min: 1, max: 150 })),
    })
    .map(({ ratePerSecond, from, length, count }) => compact({ type: "poisson", ratePerSecond, from, until: (from ?? 0) + length, count }));
  const rate = fc
    .record({
      gaps: fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 4 }),
      rates: fc.array(fc.integer({ min: 0, max: 4 }).map((q) => q / 4), { minLength: 5, maxLength: 5 }),
      start: opt(quarter(120)),
      deterministic: o.deterministicRate ? opt(fc.boolean()) : fc.constant(undefined),
    })
    .map(({ gaps, rates, start, deterministic }) => {
      let t = start ?? 0;
      const points: Array<[number, number]> = [[t, rates[0]]];
      gaps.forEach((g, i) => {
        t += g;
        points.push([t, rates[i + 1]]);
      });
      return compact({ type: "rate", points, deterministic });
    });
  const sine = fc
    .record({
      mean: fc.integer({ min: 1, max: 4 }).map((q) => q / 4),
      ampFrac: fc.integer({ min: 0, max: 4 }),
      periodSeconds: opt(fc.constantFrom(60, 120, 600)),
      phaseSeconds: opt(quarter(60)),
      from: opt(quarter(60)),
      length: fc.integer({ min: 1, max: 400 }),
    })
    .map(({ mean, ampFrac, periodSeconds, phaseSeconds, from, length }) =>
      compact({
        type: "sine",
        meanPerSecond: mean,
        amplitudePerSecond: (mean * ampFrac) / 4,
        periodSeconds,
        phaseSeconds,
        from,
        until: (from ?? 0) + length,
      }),
    );
  return fc.oneof(burst, interval, poisson, rate, sine);
}

// ---------------------------------------------------------------------------------------------
// the ScaledObject (keda.sh/v1alpha1, inline manifest)

export interface TriggerArbOptions {
  rateModes: boolean;
  /** Force activation thresholds to 0 (liveness domain). */
  zeroActivation?: boolean;
}

export function triggerArb(o: TriggerArbOptions): fc.Arbitrary<Record<string, unknown>> {
  const activation = o.zeroActivation ? fc.constant(undefined) : opt(fc.integer({ min: 0, max: 5 }).map(String), 3);
  const common = {
    metricType: opt(fc.constantFrom("AverageValue", "Value"), 4),
    useCachedMetrics: opt(fc.boolean(), 4),
  };
  const sb = fc
    .record({ messageCount: opt(fc.integer({ min: 1, max: 10 }).map(String)), activationMessageCount: activation, ...common })
    .map(({ messageCount, activationMessageCount, metricType, useCachedMetrics }) =>
      compact({
        type: "azure-servicebus",
        metricType,
        useCachedMetrics,
        metadata: compact({ queueName: "q", messageCount, activationMessageCount }),
      }),
    );
  const rabbitCount = fc
    .record({
      protocol: fc.constantFrom("amqp", "http"),
      value: opt(fc.integer({ min: 1, max: 10 }).map(String)),
      activationValue: activation,
      excludeUnacknowledged: fc.boolean(),
      ...common,
    })
    .map(({ protocol, value, activationValue, excludeUnacknowledged, metricType, useCachedMetrics }) =>
      compact({
        type: "rabbitmq",
        metricType,
        useCachedMetrics,
        metadata: compact({
          queueName: "q",
          protocol,
          mode: value !== undefined ? "QueueLength" : undefined,
          value,
          activationValue,
          excludeUnacknowledged: protocol === "http" && excludeUnacknowledged ? "true" : undefined,
        }),
      }),
    );
  const sqs = fc
    .record({
      queueLength: opt(fc.integer({ min: 1, max: 10 }).map(String)),
      activationQueueLength: activation,
      scaleOnInFlight: opt(fc.constantFrom("true", "false")),
      scaleOnDelayed: opt(fc.constantFrom("true", "false"), 4),
      auth: fc.boolean(),
      ...common,
    })
    .map(({ queueLength, activationQueueLength, scaleOnInFlight, scaleOnDelayed, auth, metricType, useCachedMetrics }) =>
      compact({
        type: "aws-sqs-queue",
        metricType,
        useCachedMetrics,
        authenticationRef: auth ? { name: "keda-aws" } : undefined,
        metadata: compact({
          queueURL: "https://sqs.eu-west-1.amazonaws.com/000000000000/q",
          awsRegion: "eu-west-1",
          identityOwner: auth ? undefined : "operator",
          queueLength,
          activationQueueLength,
          scaleOnInFlight,
          scaleOnDelayed,
        }),
      }),
    );
  const azureQueue = fc
    .record({
      queueLength: opt(fc.integer({ min: 1, max: 10 }).map(String)),
      activationQueueLength: activation,
      queueLengthStrategy: opt(fc.constantFrom("all", "visibleonly")),
      auth: fc.boolean(),
      ...common,
    })
    .map(({ queueLength, activationQueueLength, queueLengthStrategy, auth, metricType, useCachedMetrics }) =>
      compact({
        type: "azure-queue",
        metricType,
        useCachedMetrics,
        authenticationRef: auth ? { name: "keda-azure-storage" } : undefined,
        metadata: compact({ queueName: "q", connectionFromEnv: auth ? undefined : "STORAGE_CONNECTION", queueLength, activationQueueLength, queueLengthStrategy }),
      }),
    );
  // Redis Streams: the three modes (redis_streams_scaler.go Validate: a consumerGroup → lagCount if non-zero, else
  // pendingEntriesCount; no group → streamLength). The liveness domain (zeroActivation) keeps the lag mode only:
  // pendingEntriesCount cannot scale from zero (never-delivered entries are not pending) and streamLength never
  // scales to zero (XACK does not shorten the stream) — both by design, shown by the shipped scenario.
  const redisStreams = fc
    .record({
      mode: o.zeroActivation ? fc.constant("lagCount") : fc.constantFrom("pendingEntriesCount", "streamLength", "lagCount"),
      target: opt(fc.integer({ min: 1, max: 10 }).map(String)),
      activationLagCount: activation,
      auth: fc.boolean(),
      ...common,
    })
    .map(({ mode, target, activationLagCount, auth, metricType, useCachedMetrics }) =>
      compact({
        type: "redis-streams",
        metricType,
        useCachedMetrics,
        authenticationRef: auth ? { name: "keda-redis" } : undefined,
        metadata: compact({
          address: auth ? undefined : "redis:6379",
          stream: "q",
          consumerGroup: mode === "streamLength" ? undefined : "consumer",
          lagCount: mode === "lagCount" ? (target ?? "5") : undefined,
          pendingEntriesCount: mode === "pendingEntriesCount" ? target : undefined,
          streamLength: mode === "streamLength" ? target : undefined,
          activationLagCount,
        }),
      }),
    );
  const parts: Array<fc.Arbitrary<Record<string, unknown>>> = [sb, rabbitCount, sqs, azureQueue, redisStreams];
  if (o.rateModes) {
    parts.push(
      fc
        .record({
          mode: fc.constantFrom("MessageRate", "DeliverGetRate", "PublishedToDeliveredRatio", "ExpectedQueueConsumptionTime"),
          value: fc.integer({ min: 1, max: 8 }).map((q) => String(q / 4)),
          activationValue: o.zeroActivation ? fc.constant(undefined) : opt(fc.constantFrom("0", "0.5", "1")),
          ...common,
        })
        .map(({ mode, value, activationValue, metricType, useCachedMetrics }) =>
          compact({ type: "rabbitmq", metricType, useCachedMetrics, metadata: compact({ queueName: "q", protocol: "http", mode, value, activationValue }) }),
        ),
    );
  }
  return fc.oneof(...parts);
}

const policyArb = fc.record({
  type: fc.constantFrom("Pods", "Percent"),
  value: fc.constantFrom(1, 2, 4, 10, 50, 100, 200),
  periodSeconds: fc.constantFrom(15, 1, 5, 30, 60),
});

const rulesArb = fc
  .record({
    stabilizationWindowSeconds: opt(fc.constantFrom(0, 5, 15, 60, 300)),
    selectPolicy: opt(fc.constantFrom("Max", "Min", "Disabled"), 3),
    policies: opt(fc.array(policyArb, { minLength: 1, maxLength: 3 })),
    tolerance: opt(fc.constantFrom(0, 0.05, 0.25, "50m"), 4),
  })
  .map((r) => compact(r));

export const behaviorArb = fc
  .record({ scaleUp: opt(rulesArb), scaleDown: opt(rulesArb) })
  .map((b) => compact(b));

export interface ScaledObjectArbOptions extends TriggerArbOptions {
  faults: boolean;
  /** Single trigger only. */
  singleTrigger?: boolean;
}

export function scaledObjectArb(o: ScaledObjectArbOptions): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      min: fc.integer({ min: 0, max: 3 }),
      extra: fc.integer({ min: 0, max: 5 }),
      idle: opt(fc.integer({ min: 0, max: 2 }), 4),
      pollingInterval: opt(fc.constantFrom(1, 2, 5, 15, 30)),
      cooldownPeriod: opt(fc.constantFrom(0, 1, 10, 30, 60, 300)),
      initialCooldownPeriod: opt(fc.constantFrom(0, 30, 120), 4),
      fallback: o.faults
        ? opt(
            fc.record({
              failureThreshold: fc.integer({ min: 1, max: 3 }),
              replicas: fc.integer({ min: 0, max: 4 }),
              behavior: opt(fc.constantFrom("static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower")),
            }),
            4,
          )
        : fc.constant(undefined),
      behavior: opt(behaviorArb),
      triggers: fc.array(triggerArb(o), { minLength: 1, maxLength: o.singleTrigger ? 1 : 2 }),
    })
    .map(({ min, extra, idle, pollingInterval, cooldownPeriod, initialCooldownPeriod, fallback, behavior, triggers }) => ({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "so" },
      spec: compact({
        scaleTargetRef: { name: "consumer" },
        pollingInterval,
        cooldownPeriod,
        initialCooldownPeriod,
        // idleReplicaCount must be < minReplicaCount (KEDA's validation).
        idleReplicaCount: idle !== undefined && idle < min ? idle : undefined,
        minReplicaCount: min,
        maxReplicaCount: Math.max(1, min + extra),
        fallback: fallback ? compact(fallback) : undefined,
        advanced: behavior ? { horizontalPodAutoscalerConfig: { behavior } } : undefined,
        triggers,
      }),
    }));
}

// ---------------------------------------------------------------------------------------------
// whole scenarios

/** Polling interval of a raw ScaledObject (unset: KEDA's default). */
export function rawPollingInterval(raw: RawScenario): number {
  const so = (raw.manifests as Array<{ spec: { pollingInterval?: number } }>)[0];
  return so.spec.pollingInterval ?? KEDA_DEFAULTS.pollingInterval;
}

export function scenarioArb(options: ScenarioArbOptions = {}): fc.Arbitrary<RawScenario> {
  const o = {
    faults: options.faults ?? true,
    rateModes: options.rateModes ?? true,
    lognormal: options.lognormal ?? true,
    deterministicRate: options.deterministicRate ?? true,
    unbounded: options.unbounded ?? true,
    maxSeconds: options.maxSeconds ?? 7200,
    singleTrigger: options.singleTrigger ?? false,
    zeroActivation: options.zeroActivation ?? false,
  };
  const dist = (max: number) => distributionArb(max, o);
  const faults = o.faults
    ? opt(
        fc
          .record({
            kills: opt(fc.array(fc.record({ at: quarter(900), count: opt(fc.integer({ min: 1, max: 3 })) }).map((k) => compact(k)), { minLength: 1, maxLength: 2 })),
            crashRatePerHour: opt(fc.constantFrom(1, 10, 60)),
            scalerErrors: opt(
              fc.array(fc.record({ from: quarter(900), len: quarter(300) }).map(({ from, len }) => ({ from, until: from + len })), { minLength: 1, maxLength: 2 }),
            ),
          })
          .map((f) => compact(f)),
      )
    : fc.constant(undefined);
  return fc
    .record({
      seed: fc.integer({ min: 0, max: 999 }),
      duration: options.untilSettled ? fc.constant(undefined) : opt(fc.integer({ min: 1, max: Math.round(o.maxSeconds / 4) }).map((q) => q * 4), 3),
      producers: fc.array(producerArb(o), { minLength: 1, maxLength: 2 }),
      queue: opt(
        fc
          .record({
            broker: opt(fc.constantFrom("azure-servicebus", "rabbitmq", "aws-sqs", "azure-storage-queue", "redis-streams"), 4),
            lockDurationSeconds: opt(fc.constantFrom(60, 5, 10, 30)),
            lockRenewalSeconds: opt(fc.constantFrom(0, 5, 20)),
            maxDeliveryCount: opt(fc.integer({ min: 1, max: 10 })),
            prefetch: opt(fc.integer({ min: 0, max: 4 })),
            managementStatsIntervalSeconds: opt(fc.constantFrom(0, 1, 5)),
          })
          .map((q) => compact(q)),
      ),
      consumer: fc
        .record({
          processingTime: opt(dist(12), 5),
          concurrency: opt(fc.integer({ min: 1, max: 4 })),
          schedulingDelay: opt(dist(5)),
          startupDelay: opt(dist(30)),
          terminationGracePeriodSeconds: opt(fc.constantFrom(30, 0, 1, 5, 60)),
          initialReplicas: opt(fc.integer({ min: 0, max: 4 })),
          faults,
        })
        .map((c) => compact(c)),
      so: scaledObjectArb(o),
      hpa: opt(
        fc
          .record({
            syncPeriodSeconds: opt(fc.constantFrom(15, 5, 30)),
            syncPhaseQuarters: opt(fc.integer({ min: 0, max: 119 })),
            driftSecondsPerSync: opt(fc.constantFrom(0, 0.25, 0.5)),
            tolerance: opt(fc.constantFrom(0.1, 0, 0.05, 0.5)),
            downscaleStabilizationSeconds: opt(fc.constantFrom(300, 0, 15, 60)),
            configurableTolerance: opt(fc.boolean(), 4),
          })
          .map(({ syncPhaseQuarters, ...h }) => {
            const period = h.syncPeriodSeconds ?? HPA_CONTROLLER_DEFAULTS.syncPeriodSeconds;
            return compact({ ...h, syncPhaseSeconds: syncPhaseQuarters === undefined ? undefined : (syncPhaseQuarters % (period * 4)) / 4 });
          }),
      ),
      pollPhaseQuarters: opt(fc.integer({ min: 0, max: 119 }), 3),
    })
    .map(({ seed, duration, producers, queue, consumer, so, hpa, pollPhaseQuarters }) => {
      const poll = (so.spec as { pollingInterval?: number }).pollingInterval ?? KEDA_DEFAULTS.pollingInterval;
      // Dapr's SQS and Storage Queue bindings never extend visibility, and pubsub.redis never resets an entry's
      // idle time: a renewal interval is an input error there; Storage Queues and Redis Streams have no
      // dead-lettering, so a maxDeliveryCount is one too.
      const b = queue ? rawBroker({ queue, manifests: [so] }) : undefined;
      const q =
        queue && b && (hasVisibilityTimeout(b) || b === "redis-streams")
          ? compact({ ...queue, lockRenewalSeconds: queue.lockRenewalSeconds === 0 ? 0 : undefined, maxDeliveryCount: b === "aws-sqs" ? queue.maxDeliveryCount : undefined })
          : queue;
      return compact({
        name: "prop",
        seed,
        duration,
        maxDurationSeconds: duration === undefined ? o.maxSeconds : undefined,
        producers,
        queue: q && Object.keys(q).length ? q : undefined,
        consumer,
        manifests: [so],
        hpa: hpa && Object.keys(hpa).length ? hpa : undefined,
        keda: pollPhaseQuarters === undefined ? undefined : { pollPhaseSeconds: (pollPhaseQuarters % (poll * 4)) / 4 },
      });
    });
}

/**
 * The broker a generated raw scenario resolves to (sim/scenario/load.ts: the scenario's queue.broker, else
 * from the first trigger; generated scenarios have no Dapr component).
 */
export function rawBroker(raw: RawScenario): Broker {
  const b = (raw.queue as { broker?: Broker } | undefined)?.broker;
  if (b) return b;
  return brokerOfTrigger((raw.manifests as Array<{ spec: { triggers: Array<{ type: string }> } }>)[0].spec.triggers[0].type);
}

/** Resolve a generated raw scenario (inline manifests only: baseDir does not matter). */
export function resolveRaw(raw: RawScenario): Scenario {
  return resolveScenario(raw, process.cwd(), "generated.yaml");
}

// ---------------------------------------------------------------------------------------------
// fixed-replica queues (oracles)

export interface FixedQueue {
  replicas: number;
  broker: "azure-servicebus" | "rabbitmq";
  concurrency?: number;
  prefetch?: number;
}

/** Raw scenario with c replicas that never change (min = max = c, already running at t = 0). */
export function fixedReplicaScenario(name: string, q: FixedQueue, rest: RawScenario): RawScenario {
  const trigger =
    q.broker === "azure-servicebus"
      ? { type: "azure-servicebus", metadata: { queueName: "q", messageCount: "5" } }
      : { type: "rabbitmq", metadata: { queueName: "q", protocol: "amqp", mode: "QueueLength", value: "5" } };
  const { consumer, ...others } = rest as { consumer?: Record<string, unknown> };
  return compact({
    name,
    ...others,
    queue: compact({ prefetch: q.prefetch, ...((rest.queue as object) ?? {}) }),
    consumer: compact({ ...(consumer ?? {}), initialReplicas: q.replicas, concurrency: q.concurrency }),
    manifests: [
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "fixed" },
        spec: { scaleTargetRef: { name: "consumer" }, minReplicaCount: q.replicas, maxReplicaCount: q.replicas, triggers: [trigger] },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// the liveness domain

/** Largest value a bounded distribution (scenario syntax) can take; Infinity if unbounded. */
export function rawDistributionMax(d: unknown): number {
  if (d === undefined) return 0;
  if (typeof d === "number") return d;
  const x = d as { dist: string; value?: number; max?: number; values?: number[] };
  if (x.dist === "constant") return x.value!;
  if (x.dist === "uniform") return x.max!;
  if (x.dist === "empirical") return Math.max(...x.values!);
  return Infinity;
}

/** Time of the last possible arrival of a raw producer (all generated producers end). */
export function rawLastArrival(p: Record<string, unknown>): number {
  switch (p.type) {
    case "burst":
      return (p.at as number | undefined) ?? 0;
    case "interval":
      return ((p.at as number | undefined) ?? 0) + (((p.count as number) - 1) * (p.intervalMilliseconds as number)) / 1000;
    case "poisson":
    case "sine":
      return p.until as number;
    case "rate": {
      const pts = p.points as Array<[number, number]>;
      return pts[pts.length - 1][0];
    }
    default:
      return Infinity;
  }
}

/**
 * RabbitMQ scenarios where work is abandoned and requeued: kills, crash rates, scaler errors and
 * grace periods of 0–5 s (a scale-in SIGKILLs busy pods); prefetch ≤ concurrency (nothing is
 * buffered), run until settled.
 */
export function reworkScenarioArb(): fc.Arbitrary<RawScenario> {
  return fc
    .tuple(
      scenarioArb({ faults: true, rateModes: false, unbounded: false, lognormal: false, singleTrigger: true, untilSettled: true, maxSeconds: 7200 }),
      fc.constantFrom(0, 1, 5),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([raw, grace, conc, prefetchLess]) => {
      const consumer = { ...(raw.consumer as Record<string, unknown>), terminationGracePeriodSeconds: grace, concurrency: conc };
      const queue = { ...((raw.queue as Record<string, unknown> | undefined) ?? {}), broker: "rabbitmq", prefetch: Math.max(1, conc - prefetchLess) };
      return { ...raw, consumer, queue };
    });
}

/**
 * Scenarios in which every message must complete: no kills, crashes or scaler errors; bounded
 * processing/startup/scheduling times; no work is ever abandoned (grace ≥ the longest processing
 * time, prefetch ≤ concurrency so nothing is buffered, Service Bus locks renewed or long enough);
 * one count-based trigger with activation 0 (so any waiting message activates KEDA); max ≥ 1.
 * Runs until drained (no duration), capped at a day.
 */
export function livenessScenarioArb(): fc.Arbitrary<RawScenario> {
  return fc
    .tuple(
      scenarioArb({ faults: false, rateModes: false, unbounded: false, lognormal: false, singleTrigger: true, zeroActivation: true, untilSettled: true, maxSeconds: 86400 }),
      fc.constantFrom(0, 1, 30),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([raw, graceExtra, conc, prefetchLess]) => {
      const consumer = { ...(raw.consumer as Record<string, unknown>) };
      const dmax = rawDistributionMax(consumer.processingTime ?? 5);
      consumer.terminationGracePeriodSeconds = Math.ceil(dmax) + graceExtra;
      consumer.concurrency = conc;
      const queue = { ...((raw.queue as Record<string, unknown> | undefined) ?? {}) };
      queue.prefetch = Math.max(1, conc - prefetchLess);
      const broker = rawBroker({ ...raw, queue });
      const vt = hasVisibilityTimeout(broker); // SQS, Storage Queues: never renewed, default visibility timeout 30 s
      // (Redis Streams: processingTimeout 60 s, never renewed)
      if ((vt || broker === "redis-streams" || queue.lockRenewalSeconds === 0) && ((queue.lockDurationSeconds as number | undefined) ?? (vt ? 30 : 60)) < dmax) queue.lockDurationSeconds = 60;
      return { ...raw, consumer, queue };
    });
}
