// Topology scenario file schema (zod): stages (apps), channels between them, producers and tracking sources.
// Reuses the single-queue pieces (distributions, producer shapes, faults, hpa/keda sections, manifests) so a
// field means the same thing in both formats. Unknown fields are errors everywhere.
import { z } from "zod";
import { distributionSchema, hpaSchema, kedaSchema, manifestRefSchema, producerSchema } from "../scenario/schema.js";

const nonNeg = z.number().finite().nonnegative();
const pos = z.number().finite().positive();
const count = z.number().int().nonnegative();
/** Names of stages, channels and sources: they appear in file names, trace records and chart legends. */
const ident = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "letters, digits, '.', '_', ':' or '-'");

export const RESERVED_STAGE_NAME = "end-to-end";

/** Delivery guarantee of one queue (a work queue or one subscription of a topic). */
export const deliverySchema = z.enum(["at-least-once", "at-most-once"]);

/**
 * Broker semantics of a queue or topic:
 * - rabbitmq: ack after the handler; a consumer's unacked messages are requeued at once when it disconnects
 *   (at-least-once). With autoAck (at-most-once) a delivered message is gone from the broker.
 * - nats-core: core NATS queue group: no persistence; each message goes to one random subscriber that is
 *   listening, immediately; no subscriber => dropped; a crashed subscriber's messages are lost (at-most-once).
 * - jetstream: persisted stream + durable consumer shared by a queue group; ack after the handler; an
 *   unacknowledged delivery is redelivered ackWait after it was delivered (at-least-once).
 */
export const brokerSchema = z.enum(["rabbitmq", "nats-core", "jetstream"]);

const queueOptions = {
  delivery: deliverySchema.optional(),
  /** jetstream: AckWait of the consumer (server default 30 s). */
  ackWaitSeconds: pos.optional(),
  /** jetstream: MaxAckPending of the consumer (server default 1000; 0 = unlimited). */
  maxAckPending: count.optional(),
  /** rabbitmq: management API statistics interval seen by HTTP-mode KEDA triggers (5 s; 0 = live). */
  managementStatsIntervalSeconds: nonNeg.optional(),
};

export const subscriptionSchema = z.strictObject({
  /** Broker queue of this subscription (Dapr pubsub.rabbitmq: "{consumerID}-{topic}"; JetStream: the durable). */
  name: ident,
  ...queueOptions,
});

export const channelSchema = z.discriminatedUnion("kind", [
  // A work queue: every message goes to exactly one consumer.
  z.strictObject({
    kind: z.literal("queue"),
    name: ident,
    broker: brokerSchema.default("rabbitmq"),
    /** Broker-side name (RabbitMQ queue, JetStream durable consumer) when it differs from the channel name. */
    queueName: ident.optional(),
    ...queueOptions,
  }),
  // A topic with subscriptions (RabbitMQ fanout exchange, one queue per subscription): every subscription
  // gets every message; the consumers of one subscription compete for it.
  z.strictObject({
    kind: z.literal("topic"),
    name: ident,
    broker: brokerSchema.default("rabbitmq"),
    subscriptions: z.array(subscriptionSchema).min(1),
  }),
  // A partitioned log (Kafka topic): consumer groups, at most one consumer per partition.
  z.strictObject({
    kind: z.literal("log"),
    name: ident,
    partitions: z.number().int().positive().max(10_000),
    /** How producers pick a partition: random (sarama's hash partitioner with no key) or round-robin. */
    partitioner: z.enum(["random", "round-robin"]).default("random"),
  }),
]);
export type ChannelInput = z.input<typeof channelSchema>;

/** Producers: the single-queue shapes, plus the channel they publish to. */
const [pBurst, pInterval, pPoisson, pRate, pSine, pCsv] = producerSchema.options;
export const topologyProducerSchema = z.discriminatedUnion("type", [
  pBurst.extend({ to: ident }),
  pInterval.extend({ to: ident }),
  pPoisson.extend({ to: ident }),
  pRate.extend({ to: ident }),
  pSine.extend({ to: ident }),
  pCsv.extend({ to: ident }),
]);

/**
 * A tracking source: the seed-003 fetcher. Splits `objects` into chunks of `chunkSize`, sends them to a
 * queue, and keeps a record of the chunks not yet confirmed (a stage with `confirms: <source>` confirms).
 */
export const sourceSchema = z.strictObject({
  name: ident,
  to: ident,
  objects: z.number().int().positive(),
  chunkSize: z.number().int().positive().default(1),
  /** When the source starts. */
  at: nonNeg.default(0),
  /**
   * on-listening: one chunk per "a consumer is listening" answer (the seed's fetcher asks "anyone_listening"
   * and waits for "im_listening" before each send), so a chunk is sent only when a consumer is free to take it.
   * immediate: every chunk at `at`, once a consumer listens.
   */
  pacing: z.enum(["on-listening", "immediate"]).default("on-listening"),
  resend: z
    .strictObject({
      /**
       * none: send each chunk once. timeout: resend a chunk not confirmed `afterSeconds` after its last send.
       * random-unconfirmed: the seed app's loop — each send picks a random chunk among all unconfirmed ones
       * (including those still being processed).
       */
      policy: z.enum(["none", "timeout", "random-unconfirmed"]),
      afterSeconds: pos.optional(),
    })
    .default({ policy: "none" }),
});

const faultsSchema = z.strictObject({
  /** Pods deleted (SIGKILL), replaced by the ReplicaSet: the oldest Ready pods first. */
  kills: z.array(z.strictObject({ at: nonNeg, count: z.number().int().positive().default(1) })).default([]),
  /** Container crashes: the pod restarts in place (Starting, then Ready after startupDelay); busy pods first. */
  crashes: z.array(z.strictObject({ at: nonNeg, count: z.number().int().positive().default(1) })).default([]),
  crashRatePerHour: nonNeg.default(0),
  scalerErrors: z.array(z.strictObject({ from: nonNeg, until: nonNeg })).default([]),
});

export const consumesSchema = z.strictObject({
  channel: ident,
  /** topic: which subscription (queue) this stage consumes. */
  subscription: ident.optional(),
  /** log: consumer group (default: the Dapr component's consumerGroup, else the stage name). */
  group: ident.optional(),
  /** log: where a group without committed offset starts (Dapr `initialOffset`, default newest). */
  initialOffset: z.enum(["newest", "oldest"]).optional(),
  /** log: sarama Consumer.Offsets.AutoCommit.Interval (1 s). */
  autoCommitIntervalSeconds: pos.optional(),
  /** log: group session timeout: how long a crashed member keeps its partitions (Dapr `sessionTimeout`, 10 s). */
  sessionTimeoutSeconds: pos.optional(),
  /** log: time a rebalance takes once every member stopped (members learn of it at their next heartbeat, 3 s). */
  rebalanceDelaySeconds: nonNeg.optional(),
  /** log: Dapr `consumeRetryEnabled` (false: a handler error is logged and the message skipped). */
  consumeRetryEnabled: z.boolean().optional(),
  /** log: Dapr `consumeRetryInterval` (100 ms). */
  consumeRetryIntervalSeconds: pos.optional(),
});

export const stageSchema = z.strictObject({
  name: ident,
  description: z.string().optional(),
  /** The Deployment (in `manifests`) the stage runs as. Default: the ScaledObject's target, else the only Deployment. */
  deployment: z.string().optional(),
  consumes: consumesSchema.optional(),
  processingTime: distributionSchema.default(1),
  /** Messages one pod works on at once (queues; a log pod works one message per assigned partition). */
  concurrency: z.number().int().positive().optional(),
  /** Max unacknowledged deliveries per pod (RabbitMQ prefetchCount; 0 = unlimited). Default 1. */
  prefetch: count.optional(),
  schedulingDelay: distributionSchema.default(0),
  startupDelay: distributionSchema.default(0),
  terminationGracePeriodSeconds: nonNeg.optional(),
  /** Replicas at t=0 (default: the Deployment's spec.replicas, else 0). Without a ScaledObject, stays fixed. */
  initialReplicas: count.optional(),
  /** true: a terminating pod finishes its in-flight work (grace period); false: SIGTERM ends it at once. */
  gracefulShutdown: z.boolean().default(true),
  /** Probability that one handler call fails (queues: nack/requeue or lost; logs: skipped unless consumeRetryEnabled). */
  handlerErrorRate: z.number().min(0).max(1).default(0),
  faults: faultsSchema.default({ kills: [], crashes: [], crashRatePerHour: 0, scalerErrors: [] }),
  /** Channels every processed message is forwarded to. */
  publishes: z.array(ident).default([]),
  /** A source whose chunks this stage confirms when it has processed them (seed 003's saver → fetcher). */
  confirms: ident.optional(),
  /** The stage's manifests: its Deployment, optionally a KEDA ScaledObject and a Dapr Component. */
  manifests: z.array(manifestRefSchema).default([]),
  hpa: hpaSchema.optional(),
  keda: kedaSchema.optional(),
});

export const topologySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' or '-' (it names the output folder)"),
  description: z.string().optional(),
  seed: z.number().int().nonnegative().default(1),
  duration: pos.optional(),
  maxDurationSeconds: pos.default(7 * 86400),
  sampleIntervalSeconds: pos.default(1),
  channels: z.array(channelSchema).min(1),
  producers: z.array(topologyProducerSchema).default([]),
  sources: z.array(sourceSchema).default([]),
  stages: z.array(stageSchema).min(1),
  /** Other topology scenario files (relative to this one) to run too and tabulate side by side in the report. */
  compareWith: z.array(z.string().min(1)).default([]),
  limits: z
    .strictObject({
      maxMessages: z.number().int().positive().default(50_000_000),
      maxReplicas: z.number().int().positive().default(10_000),
      maxEvents: z.number().int().positive().default(2_000_000_000),
    })
    .default({ maxMessages: 50_000_000, maxReplicas: 10_000, maxEvents: 2_000_000_000 }),
});
export type TopologyInput = z.input<typeof topologySchema>;
export type TopologyParsed = z.infer<typeof topologySchema>;
