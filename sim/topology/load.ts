// Topology scenario loading: YAML → validated, fully resolved TopologyScenario. Every problem becomes one
// ScenarioError naming the file, the field path and what was expected (same contract as the single-queue
// loader). Each stage's ScaledObject + Deployment go through the single-queue resolver
// (../scenario/load.ts resolveScenario), so a stage is scaled exactly as a single-queue consumer would be.
import { dirname, relative, resolve } from "node:path";
import { firstIssue, manifestDocs, parseYamlDocs, readCsvTimes, readText, resolveScenario, SCALED_JOB_NOT_MODELLED, ScenarioError, type Producer, type Scenario } from "../scenario/load.js";
import { daprComponent, deployment as deploymentSchema, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, type DistributionInput } from "../scenario/schema.js";
import { stream, type Distribution } from "../rng.js";
import type { Trigger } from "../triggers/types.js";
import type { KafkaSettings } from "../triggers/kafka.js";
import { RESERVED_STAGE_NAME, topologySchema, type TopologyParsed } from "./schema.js";

export type QueueBroker = "rabbitmq" | "nats-core" | "jetstream";
export type Delivery = "at-least-once" | "at-most-once";

/** One broker queue: a work queue, or one subscription of a topic. */
export interface InboxSpec {
  /** Unique id: the queue name for a work queue, "<topic>/<subscription>" for a subscription. */
  id: string;
  channel: string;
  /** Broker-side name (RabbitMQ queue, JetStream durable). */
  name: string;
  broker: QueueBroker;
  delivery: Delivery;
  /** jetstream: ack wait (s). */
  ackWait: number;
  /** jetstream: max ack pending over all subscribers (0 = unlimited). */
  maxAckPending: number;
  /** rabbitmq: management statistics interval (s), 0 = live. */
  statsInterval: number;
}

export type ChannelSpec =
  | { kind: "queue"; name: string; inbox: InboxSpec }
  | { kind: "topic"; name: string; subscriptions: InboxSpec[] }
  | { kind: "log"; name: string; partitions: number; partitioner: "random" | "round-robin" };

export interface LogConsumeSpec {
  kind: "log";
  channel: string;
  group: string;
  initialOffset: "newest" | "oldest";
  autoCommitInterval: number;
  sessionTimeout: number;
  rebalanceDelay: number;
  consumeRetryEnabled: boolean;
  consumeRetryInterval: number;
}

export interface QueueConsumeSpec {
  kind: "queue";
  channel: string;
  inbox: string; // InboxSpec.id
}

export interface StageScaling {
  scaledObject: Scenario["scaledObject"];
  hpa: Scenario["hpa"];
  keda: Scenario["keda"];
  drawn: { pollPhase: boolean; syncPhase: boolean };
}

export interface StageSpec {
  name: string;
  description: string;
  deployment: string;
  consumes: QueueConsumeSpec | LogConsumeSpec | null;
  processingTime: Distribution;
  concurrency: number;
  prefetch: number; // 0 = unlimited
  schedulingDelay: Distribution;
  startupDelay: Distribution;
  terminationGracePeriodSeconds: number;
  initialReplicas: number;
  gracefulShutdown: boolean;
  handlerErrorRate: number;
  kills: Array<{ at: number; count: number }>;
  crashes: Array<{ at: number; count: number }>;
  crashRatePerHour: number;
  scalerErrors: Array<{ from: number; until: number }>;
  publishes: string[];
  confirms: string | null;
  /** null: fixed replicas (no ScaledObject). */
  scaling: StageScaling | null;
  daprComponent: { name: string; type: string } | null;
}

export interface SourceSpec {
  name: string;
  to: string;
  objects: number;
  chunkSize: number;
  chunks: number;
  at: number;
  pacing: "on-listening" | "immediate";
  resend: { policy: "none" | "timeout" | "random-unconfirmed"; afterSeconds: number };
}

export interface TopologyScenario {
  kind: "topology";
  name: string;
  description: string;
  file: string;
  seed: number;
  duration: number | null;
  maxDuration: number;
  sampleInterval: number;
  channels: ChannelSpec[];
  producers: Array<{ to: string; producer: Producer }>;
  sources: SourceSpec[];
  stages: StageSpec[];
  /** Absolute paths of the scenarios to compare with. */
  compareWith: string[];
  limits: { maxMessages: number; maxReplicas: number; maxEvents: number };
  warnings: string[];
}

/** True when a parsed YAML document is a topology scenario (it has `stages`). */
export function isTopologyScenario(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) && "stages" in raw;
}

// ---------------------------------------------------------------- helpers

// zodPath, firstIssue, readText, parseYamlDocs and manifestDocs (cached manifest files) are the
// single-queue loader's (../scenario/load.ts).

interface ManifestDoc {
  doc: Record<string, unknown>;
  where: string; // "document 2" inside a multi-document file, "" for a single one, "stages[0].manifests[1]" inline
  file: string;
}

function collectManifests(refs: unknown[], baseDir: string, displayFile: string, prefix: string): ManifestDoc[] {
  const out: ManifestDoc[] = [];
  refs.forEach((ref, i) => {
    if (typeof ref === "string") {
      const abs = resolve(baseDir, ref);
      const shown = relative(process.cwd(), abs) || abs;
      const docs = manifestDocs(abs, displayFile, `${prefix}[${i}]`);
      docs.forEach((d, j) => {
        if (typeof d !== "object" || d === null || Array.isArray(d)) throw new ScenarioError(shown, `document ${j + 1}`, "expected a Kubernetes object");
        out.push({ doc: d as Record<string, unknown>, where: docs.length > 1 ? `document ${j + 1}` : "", file: shown });
      });
    } else {
      out.push({ doc: ref as Record<string, unknown>, where: `${prefix}[${i}]`, file: displayFile });
    }
  });
  return out;
}

function toDistribution(d: DistributionInput): Distribution {
  if (typeof d === "number") return { dist: "constant", value: d };
  return d as Distribution;
}

function num(v: string | undefined): number | null {
  if (v === undefined || v.trim() === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A Go duration ("30s", "1m30s", "100ms"); a bare number is read as `bareUnit` seconds. */
function durationOf(v: string | undefined, bareUnit: number): number | null {
  if (v === undefined || v.trim() === "") return null;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * bareUnit;
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(t)) return Number.NaN;
  const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]];
  return total;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "x");
}

// ---------------------------------------------------------------- loading

/** Load and validate a topology scenario file. Throws ScenarioError. */
export function loadTopology(file: string, overrides: { seed?: number } = {}): TopologyScenario {
  const displayFile = relative(process.cwd(), file) || file;
  const docs = parseYamlDocs(readText(file, displayFile, ""), displayFile);
  if (docs.length !== 1) throw new ScenarioError(displayFile, "", `expected exactly one YAML document, found ${docs.length}`);
  let raw = docs[0];
  if (overrides.seed !== undefined && typeof raw === "object" && raw !== null && !Array.isArray(raw)) raw = { ...raw, seed: overrides.seed };
  return resolveTopology(raw, dirname(resolve(file)), displayFile);
}

export function resolveTopology(raw: unknown, baseDir: string, displayFile: string): TopologyScenario {
  if (!isTopologyScenario(raw)) throw new ScenarioError(displayFile, "", "expected a mapping with name, channels, stages, ...");
  const parsed = topologySchema.safeParse(raw);
  if (!parsed.success) throw firstIssue(parsed.error, displayFile);
  const s = parsed.data;
  const fail = (path: string, expected: string): never => {
    throw new ScenarioError(displayFile, path, expected);
  };
  const warnings: string[] = [];

  // ---- channels ----
  const channels: ChannelSpec[] = [];
  const names = new Set<string>();
  const inboxes = new Map<string, InboxSpec>();
  s.channels.forEach((c, i) => {
    if (names.has(c.name)) fail(`channels[${i}].name`, `a unique channel name ("${c.name}" is used twice)`);
    names.add(c.name);
    if (c.kind === "log") {
      channels.push({ kind: "log", name: c.name, partitions: c.partitions, partitioner: c.partitioner });
      return;
    }
    const mk = (path: string, id: string, name: string, o: { delivery?: Delivery; ackWaitSeconds?: number; maxAckPending?: number; managementStatsIntervalSeconds?: number }): InboxSpec => {
      const broker = c.broker;
      const delivery: Delivery = o.delivery ?? (broker === "nats-core" ? "at-most-once" : "at-least-once");
      if (broker === "nats-core" && delivery !== "at-most-once") fail(`${path}.delivery`, `"at-most-once" (core NATS has no acknowledgements or persistence; use broker: jetstream for at-least-once)`);
      if (broker === "jetstream" && delivery !== "at-least-once") fail(`${path}.delivery`, `"at-least-once" for broker jetstream (for at-most-once use broker: nats-core)`);
      if (broker === "rabbitmq" && delivery !== "at-least-once") fail(`${path}.delivery`, `"at-least-once" for broker rabbitmq (Dapr's autoAck false; at-most-once is modelled with broker: nats-core)`);
      if (broker !== "jetstream" && (o.ackWaitSeconds !== undefined || o.maxAckPending !== undefined)) fail(`${path}.ackWaitSeconds`, "only with broker: jetstream");
      if (broker !== "rabbitmq" && o.managementStatsIntervalSeconds !== undefined) fail(`${path}.managementStatsIntervalSeconds`, "only with broker: rabbitmq");
      const spec: InboxSpec = {
        id,
        channel: c.name,
        name,
        broker,
        delivery,
        ackWait: o.ackWaitSeconds ?? 30,
        maxAckPending: o.maxAckPending ?? (broker === "jetstream" ? 1000 : 0),
        statsInterval: broker === "rabbitmq" ? (o.managementStatsIntervalSeconds ?? 5) : 0,
      };
      if (inboxes.has(id)) fail(path, `a unique queue ("${id}" is declared twice)`);
      inboxes.set(id, spec);
      return spec;
    };
    if (c.kind === "queue") channels.push({ kind: "queue", name: c.name, inbox: mk(`channels[${i}]`, c.name, c.queueName ?? c.name, c) });
    else {
      const subs = c.subscriptions.map((sub, j) => mk(`channels[${i}].subscriptions[${j}]`, `${c.name}/${sub.name}`, sub.name, sub));
      const seen = new Set<string>();
      c.subscriptions.forEach((sub, j) => {
        if (seen.has(sub.name)) fail(`channels[${i}].subscriptions[${j}].name`, `a unique subscription name ("${sub.name}" twice)`);
        seen.add(sub.name);
      });
      channels.push({ kind: "topic", name: c.name, subscriptions: subs });
    }
  });
  const channelOf = (name: string) => channels.find((c) => c.name === name);

  // ---- producers ----
  const producers: TopologyScenario["producers"] = s.producers.map((p, i) => {
    if (!channelOf(p.to)) fail(`producers[${i}].to`, `a channel name (one of: ${[...names].join(", ")}), got "${p.to}"`);
    return { to: p.to, producer: resolveProducer(p as Record<string, unknown> & { type: string }, i, s, baseDir, displayFile) };
  });

  // ---- stages ----
  const stageNames = new Set<string>();
  const sourceNames = new Set(s.sources.map((x) => x.name));
  const groupOwners = new Map<string, string>();
  const stages: StageSpec[] = s.stages.map((st, i) => {
    const at = `stages[${i}]`;
    if (st.name === RESERVED_STAGE_NAME) fail(`${at}.name`, `another name ("${RESERVED_STAGE_NAME}" names the whole pipeline in traces)`);
    if (stageNames.has(st.name)) fail(`${at}.name`, `a unique stage name ("${st.name}" is used twice)`);
    if (sourceNames.has(st.name)) fail(`${at}.name`, `a name not used by a source ("${st.name}")`);
    stageNames.add(st.name);
    for (const [j, ch] of st.publishes.entries()) if (!channelOf(ch)) fail(`${at}.publishes[${j}]`, `a channel name (one of: ${[...names].join(", ")}), got "${ch}"`);
    if (st.confirms !== undefined && !sourceNames.has(st.confirms)) fail(`${at}.confirms`, `a source name (one of: ${[...sourceNames].join(", ") || "none declared"}), got "${st.confirms}"`);

    // manifests: Deployment(s), optional ScaledObject, optional Dapr Component
    const docs = collectManifests(st.manifests, baseDir, displayFile, `${at}.manifests`);
    const kinds = (k: string) => docs.filter((d) => d.doc.kind === k);
    // Service, ConfigMap, ... ride along in real manifest files (the quickstarts' node.yaml has a Service): ignored.
    const IGNORED = ["Service", "ConfigMap", "Secret", "Ingress", "ServiceAccount", "ServiceMonitor"];
    const others = docs.filter((d) => !["ScaledObject", "Deployment", "Component", ...IGNORED].includes(String(d.doc.kind)));
    if (others.length > 0) {
      const o = others[0];
      throw new ScenarioError(o.file, [o.where, "kind"].filter(Boolean).join(": "), o.doc.kind === "ScaledJob" ? SCALED_JOB_NOT_MODELLED : `a Deployment, ScaledObject or Dapr Component, got "${String(o.doc.kind)}"`);
    }
    const sos = kinds("ScaledObject");
    if (sos.length > 1) fail(`${at}.manifests`, `at most one KEDA ScaledObject per stage, found ${sos.length}`);
    const comps = kinds("Component");
    if (comps.length > 1) fail(`${at}.manifests`, `at most one Dapr Component per stage, found ${comps.length}`);

    // Component settings
    let comp: StageSpec["daprComponent"] = null;
    const cm: Record<string, string> = {};
    if (comps.length === 1) {
      const c = comps[0];
      const r = daprComponent.safeParse(c.doc);
      if (!r.success) {
        const e = firstIssue(r.error, c.file);
        throw new ScenarioError(c.file, [c.where, e.path].filter(Boolean).join(": "), e.expected);
      }
      comp = { name: String(r.data.metadata.name ?? "component"), type: r.data.spec.type };
      for (const m of r.data.spec.metadata) if (m.value !== undefined) cm[m.name] = String(m.value);
      if (!/^(bindings|pubsub)\.(kafka|rabbitmq|jetstream)$/.test(comp.type) || comp.type === "bindings.jetstream") {
        throw new ScenarioError(c.file, [c.where, "spec.type"].filter(Boolean).join(": "), `bindings.kafka, pubsub.kafka, bindings.rabbitmq, pubsub.rabbitmq or pubsub.jetstream, got "${comp.type}"`);
      }
    }
    const compPath = comps.length === 1 ? `${comps[0].file}${comps[0].where ? ` (${comps[0].where})` : ""}` : "";
    const compDuration = (key: string, bareUnit: number): number | null => {
      const v = durationOf(cm[key], bareUnit);
      if (v !== null && !(v >= 0)) throw new ScenarioError(comps[0].file, `${comps[0].where ? comps[0].where + ": " : ""}spec.metadata.${key}`, `a duration such as "10s", got "${cm[key]}"`);
      return v;
    };

    // consumes
    let consumes: StageSpec["consumes"] = null;
    if (st.consumes) {
      const c = st.consumes;
      const ch = channelOf(c.channel);
      if (!ch) fail(`${at}.consumes.channel`, `a channel name (one of: ${[...names].join(", ")}), got "${c.channel}"`);
      if (ch!.kind === "log") {
        if (c.subscription !== undefined) fail(`${at}.consumes.subscription`, `nothing (log "${ch!.name}" has consumer groups, not subscriptions; use group)`);
        const compGroup = cm.consumerGroup;
        const group = c.group ?? compGroup ?? st.name;
        if (c.group !== undefined && compGroup !== undefined && compGroup !== c.group) fail(`${at}.consumes.group`, `the Dapr component's consumerGroup "${compGroup}" (${compPath}), got "${c.group}"`);
        const key = `${ch!.name}\u0000${group}`;
        if (groupOwners.has(key)) fail(`${at}.consumes.group`, `a group no other stage consumes ("${group}" on "${ch!.name}" is consumed by stage "${groupOwners.get(key)}"; one Deployment per consumer group)`);
        groupOwners.set(key, st.name);
        const topics = cm.topics;
        if (topics !== undefined && !topics.split(",").map((x) => x.trim()).includes(ch!.name)) {
          warnings.push(`${displayFile}: ${at}: the Dapr component's topics "${topics}" does not include the log "${ch!.name}" the stage consumes`);
        }
        const io = c.initialOffset ?? (cm.initialOffset !== undefined ? (cm.initialOffset.toLowerCase() === "oldest" ? "oldest" : cm.initialOffset.toLowerCase() === "newest" ? "newest" : null) : "newest");
        if (io === null) throw new ScenarioError(comps[0].file, "spec.metadata.initialOffset", `"newest" or "oldest", got "${cm.initialOffset}"`);
        const retry = c.consumeRetryEnabled ?? (cm.consumeRetryEnabled !== undefined ? cm.consumeRetryEnabled === "true" : false);
        consumes = {
          kind: "log",
          channel: ch!.name,
          group,
          initialOffset: io,
          autoCommitInterval: c.autoCommitIntervalSeconds ?? 1,
          sessionTimeout: c.sessionTimeoutSeconds ?? compDuration("sessionTimeout", 1) ?? 10,
          rebalanceDelay: c.rebalanceDelaySeconds ?? compDuration("heartbeatInterval", 1) ?? 3,
          consumeRetryEnabled: retry,
          // Dapr reads a bare number as milliseconds (metadata.go consumeRetryInterval)
          consumeRetryInterval: c.consumeRetryIntervalSeconds ?? compDuration("consumeRetryInterval", 0.001) ?? 0.1,
        };
      } else {
        if (c.group !== undefined || c.initialOffset !== undefined || c.autoCommitIntervalSeconds !== undefined || c.sessionTimeoutSeconds !== undefined || c.rebalanceDelaySeconds !== undefined || c.consumeRetryEnabled !== undefined || c.consumeRetryIntervalSeconds !== undefined) {
          fail(`${at}.consumes`, `only channel (and subscription) for a ${ch!.kind}; group, offsets and retries are for logs`);
        }
        let inbox: InboxSpec;
        if (ch!.kind === "topic") {
          if (c.subscription === undefined) fail(`${at}.consumes.subscription`, `one of the subscriptions of topic "${ch!.name}" (${ch!.subscriptions.map((x) => x.name).join(", ")})`);
          const sub = ch!.subscriptions.find((x) => x.name === c.subscription);
          if (!sub) fail(`${at}.consumes.subscription`, `one of the subscriptions of topic "${ch!.name}" (${ch!.subscriptions.map((x) => x.name).join(", ")}), got "${c.subscription}"`);
          inbox = sub!;
        } else {
          if (c.subscription !== undefined) fail(`${at}.consumes.subscription`, `nothing (queue "${ch!.name}" has no subscriptions)`);
          inbox = ch!.inbox;
        }
        // JetStream consumer settings may come from the subscriber's Dapr component.
        if (inbox.broker === "jetstream") {
          const aw = compDuration("ackWait", 1);
          if (aw !== null) inbox.ackWait = aw;
          const map = num(cm.maxAckPending);
          if (map !== null) inbox.maxAckPending = map;
        }
        consumes = { kind: "queue", channel: ch!.name, inbox: inbox.id };
      }
    }

    // scaling: run the single-queue resolver on the ScaledObject + Deployments
    const deps = kinds("Deployment");
    let scaling: StageScaling | null = null;
    let depName = st.deployment;
    let depReplicas: number | undefined;
    let grace: number | undefined;
    if (sos.length === 1) {
      const inline = [...sos, ...deps];
      const rawSingle: Record<string, unknown> = {
        name: safeName(`${s.name}-${st.name}`),
        seed: s.seed,
        manifests: inline.map((d) => d.doc),
        limits: s.limits,
        keda: { ...(st.keda ?? {}), pollPhaseSeconds: st.keda?.pollPhaseSeconds ?? 0 },
        hpa: { ...(st.hpa ?? {}), syncPhaseSeconds: st.hpa?.syncPhaseSeconds ?? 0 },
      };
      let single: Scenario;
      try {
        single = resolveScenario(rawSingle, baseDir, displayFile, { stage: true });
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        const m = /^manifests\[(\d+)\](?:\.|: )?(.*)$/.exec(e.path);
        if (e.file === displayFile && m) {
          const d = inline[Number(m[1])];
          throw new ScenarioError(d.file, [d.where, m[2]].filter(Boolean).join(": "), e.expected);
        }
        if (e.file === displayFile) throw new ScenarioError(displayFile, e.path ? `${at}.${e.path}` : at, e.expected);
        throw e;
      }
      // phases: drawn from the seed per stage unless given
      const phases = stream(s.seed, `phases:${st.name}`);
      const dp = phases();
      const ds = phases();
      const so = single.scaledObject;
      const pollPhase = st.keda?.pollPhaseSeconds ?? dp * so.pollingInterval;
      const syncPhase = st.hpa?.syncPhaseSeconds ?? ds * single.hpa.syncPeriod;
      scaling = {
        scaledObject: so,
        hpa: { ...single.hpa, syncPhase },
        keda: { ...single.keda, pollPhase },
        drawn: { pollPhase: st.keda?.pollPhaseSeconds === undefined, syncPhase: st.hpa?.syncPhaseSeconds === undefined },
      };
      const target = single.consumer.deploymentName;
      if (depName !== undefined && depName !== target) fail(`${at}.deployment`, `the ScaledObject's scaleTargetRef "${target}", got "${depName}"`);
      depName = target;
      for (const w of single.warnings) warnings.push(w);
      // The trigger must read what this stage consumes.
      so.triggers.forEach((trig, k) => checkTrigger(trig, k, st.name, consumes, channels, sos[0], warnings));
    }
    for (const d of deps) {
      const r = deploymentSchema.safeParse(d.doc);
      if (!r.success) {
        const e = firstIssue(r.error, d.file);
        throw new ScenarioError(d.file, [d.where, e.path].filter(Boolean).join(": "), e.expected);
      }
    }
    if (depName === undefined) {
      if (deps.length === 1) depName = String((deps[0].doc.metadata as { name?: unknown } | undefined)?.name ?? st.name);
      else if (deps.length === 0) depName = st.name;
      else fail(`${at}.deployment`, `which of the ${deps.length} Deployments in the manifests this stage is (${deps.map((d) => String((d.doc.metadata as { name?: unknown })?.name)).join(", ")})`);
    }
    const dep = deps.find((d) => (d.doc.metadata as { name?: unknown } | undefined)?.name === depName);
    if (dep) {
      const spec = dep.doc.spec as { replicas?: number; template?: { spec?: { terminationGracePeriodSeconds?: number } } };
      depReplicas = spec.replicas;
      grace = spec.template?.spec?.terminationGracePeriodSeconds;
    } else if (deps.length > 0 || st.deployment !== undefined) {
      if (deps.length > 0) fail(`${at}.deployment`, `the name of a Deployment in the manifests (${deps.map((d) => String((d.doc.metadata as { name?: unknown })?.name)).join(", ")}), got "${depName}"`);
    }

    // prefetch / concurrency: scenario > component > defaults
    const compPrefetch = num(cm.prefetchCount);
    let concurrency = st.concurrency;
    if (concurrency === undefined && comp?.type === "pubsub.jetstream" && (cm.concurrencyMode ?? "single") === "single") concurrency = 1;
    const initialReplicas = st.initialReplicas ?? depReplicas ?? 0;
    if (initialReplicas > s.limits.maxReplicas) fail(`${at}.initialReplicas`, `at most limits.maxReplicas (${s.limits.maxReplicas})`);
    const allFaults = [...st.faults.kills, ...st.faults.crashes];
    if (allFaults.length > 0 && !st.consumes && !st.confirms) warnings.push(`${displayFile}: ${at}: faults on a stage that consumes nothing have no effect on messages`);
    return {
      name: st.name,
      description: st.description ?? "",
      deployment: depName!,
      consumes,
      processingTime: toDistribution(st.processingTime),
      concurrency: concurrency ?? 1,
      prefetch: st.prefetch ?? compPrefetch ?? 1,
      schedulingDelay: toDistribution(st.schedulingDelay),
      startupDelay: toDistribution(st.startupDelay),
      terminationGracePeriodSeconds: st.terminationGracePeriodSeconds ?? grace ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
      initialReplicas,
      gracefulShutdown: st.gracefulShutdown,
      handlerErrorRate: st.handlerErrorRate,
      kills: st.faults.kills,
      crashes: st.faults.crashes,
      crashRatePerHour: st.faults.crashRatePerHour,
      scalerErrors: st.faults.scalerErrors,
      publishes: st.publishes,
      confirms: st.confirms ?? null,
      scaling,
      daprComponent: comp,
    };
  });

  // ---- sources ----
  const sources: SourceSpec[] = s.sources.map((src, i) => {
    const at = `sources[${i}]`;
    const ch = channelOf(src.to);
    if (!ch) fail(`${at}.to`, `a channel name (one of: ${[...names].join(", ")}), got "${src.to}"`);
    if (src.pacing === "on-listening" && ch!.kind !== "queue") fail(`${at}.pacing`, `"immediate" (on-listening needs a queue channel: listeners of "${src.to}", a ${ch!.kind})`);
    if (src.resend.policy === "timeout" && src.resend.afterSeconds === undefined) fail(`${at}.resend.afterSeconds`, "the seconds after which an unconfirmed chunk is resent (required with policy timeout)");
    if (src.resend.policy !== "timeout" && src.resend.afterSeconds !== undefined) fail(`${at}.resend.afterSeconds`, "nothing (only with policy timeout)");
    if (src.resend.policy !== "none" && !stages.some((st) => st.confirms === src.name)) {
      fail(`${at}.resend.policy`, `"none", or a stage with confirms: ${src.name} (without confirmations every chunk would be resent forever)`);
    }
    if (ch!.kind === "queue" && !stages.some((st) => st.consumes?.kind === "queue" && st.consumes.inbox === ch!.inbox.id) && src.pacing === "on-listening") {
      fail(`${at}.to`, `a queue some stage consumes (nobody would ever listen on "${src.to}")`);
    }
    const chunks = Math.ceil(src.objects / src.chunkSize);
    return { name: src.name, to: src.to, objects: src.objects, chunkSize: src.chunkSize, chunks, at: src.at, pacing: src.pacing, resend: { policy: src.resend.policy, afterSeconds: src.resend.afterSeconds ?? 0 } };
  });
  if (producers.length === 0 && sources.length === 0) fail("producers", "at least one producer or source (nothing would ever be published)");
  const expected = producers.reduce((n, { producer: p }) => n + (p.type === "burst" || p.type === "interval" ? p.count : p.type === "times" ? p.times.length : 0), 0) + sources.reduce((n, x) => n + x.chunks, 0);
  if (expected > s.limits.maxMessages) fail("producers", `${expected} messages exceed limits.maxMessages (${s.limits.maxMessages})`);

  // a queue nobody consumes is allowed (messages wait), but say so
  for (const inbox of inboxes.values()) {
    if (!stages.some((st) => st.consumes?.kind === "queue" && st.consumes.inbox === inbox.id)) warnings.push(`${displayFile}: queue "${inbox.id}" has no consuming stage: its messages wait forever`);
  }

  return {
    kind: "topology",
    name: s.name,
    description: s.description ?? "",
    file: displayFile,
    seed: s.seed,
    duration: s.duration ?? null,
    maxDuration: s.maxDurationSeconds,
    sampleInterval: s.sampleIntervalSeconds,
    channels,
    producers,
    sources,
    stages,
    compareWith: s.compareWith.map((f) => resolve(baseDir, f)),
    limits: s.limits,
    warnings,
  };
}

function resolveProducer(p: Record<string, unknown> & { type: string }, i: number, s: TopologyParsed, baseDir: string, displayFile: string): Producer {
  const at = `producers[${i}]`;
  switch (p.type) {
    case "burst":
      return { type: "burst", at: p.at as number, count: p.count as number };
    case "interval":
      return { type: "interval", at: p.at as number, count: p.count as number, intervalSeconds: (p.intervalMilliseconds as number) / 1000 };
    case "poisson":
      if (p.until === undefined && p.count === undefined && s.duration === undefined) throw new ScenarioError(displayFile, at, "a Poisson producer needs until or count (or the scenario a duration)");
      return { type: "poisson", ratePerSecond: p.ratePerSecond as number, from: p.from as number, until: (p.until as number | undefined) ?? null, count: (p.count as number | undefined) ?? null };
    case "rate": {
      const points = p.points as Array<[number, number]>;
      for (let j = 1; j < points.length; j++) if (points[j][0] <= points[j - 1][0]) throw new ScenarioError(displayFile, `${at}.points[${j}]`, "times must increase");
      return { type: "rate", points, deterministic: p.deterministic as boolean };
    }
    case "sine": {
      const q = p as unknown as Extract<Producer, { type: "sine" }>;
      if (q.amplitudePerSecond > q.meanPerSecond) throw new ScenarioError(displayFile, `${at}.amplitudePerSecond`, "must be <= meanPerSecond (a rate cannot go negative)");
      if (q.until <= q.from) throw new ScenarioError(displayFile, `${at}.until`, "must be > from");
      return { type: "sine", meanPerSecond: q.meanPerSecond, amplitudePerSecond: q.amplitudePerSecond, periodSeconds: q.periodSeconds, phaseSeconds: q.phaseSeconds, from: q.from, until: q.until };
    }
    case "csv": {
      // The single-queue loader's CSV reader (bounded: sim/scenario/bounded-input.ts).
      const times = readCsvTimes(resolve(baseDir, p.file as string), p.column as string | undefined, displayFile, `${at}.file`).map((t) => t + (p.offsetSeconds as number));
      return { type: "times", times, source: p.file as string };
    }
  }
  throw new ScenarioError(displayFile, `${at}.type`, `a producer type, got "${p.type}"`);
}

/** The trigger reads the queue/log the stage consumes: check the names it carries, when it carries any. */
function checkTrigger(trig: Trigger, k: number, stage: string, consumes: StageSpec["consumes"], channels: ChannelSpec[], so: ManifestDoc, warnings: string[]): void {
  const where = (p: string) => [so.where, `spec.triggers[${k}].metadata.${p}`].filter(Boolean).join(": ");
  const err = (p: string, expected: string): never => {
    throw new ScenarioError(so.file, where(p), expected);
  };
  if (consumes === null) err("", `a stage that consumes something (stage "${stage}" has no consumes, so its ${trig.type} trigger reads nothing)`);
  const c = consumes!;
  if (trig.type === "kafka") {
    if (c.kind !== "log") err("topic", `a stage consuming a log (stage "${stage}" consumes the ${channels.find((x) => x.name === c.channel)?.kind} "${c.channel}")`);
    const k2 = (trig as Trigger & { kafka: KafkaSettings }).kafka;
    const lc = c as LogConsumeSpec;
    if (k2.topic !== "" && !k2.topic.startsWith("$") && k2.topic !== lc.channel) err("topic", `"${lc.channel}" (the log stage "${stage}" consumes), got "${k2.topic}"`);
    if (!k2.consumerGroup.startsWith("$") && k2.consumerGroup !== lc.group) err("consumerGroup", `"${lc.group}" (the group stage "${stage}" consumes with), got "${k2.consumerGroup}"`);
    return;
  }
  if (c.kind === "log") err("", `a kafka trigger (stage "${stage}" consumes the log "${c.channel}"), got ${trig.type}`);
  const qc = c as QueueConsumeSpec;
  const inbox = channels.flatMap((ch) => (ch.kind === "queue" ? [ch.inbox] : ch.kind === "topic" ? ch.subscriptions : [])).find((x) => x.id === qc.inbox)!;
  if (trig.type === "rabbitmq") {
    const q = (trig.description.match(/RabbitMQ queue "([^"]*)"/) ?? [])[1];
    if (inbox.broker !== "rabbitmq") warnings.push(`${so.file}: rabbitmq trigger on stage "${stage}", whose queue "${inbox.id}" is ${inbox.broker}`);
    if (q !== undefined && q !== inbox.name) err("queueName", `"${inbox.name}" (the queue stage "${stage}" consumes), got "${q}"`);
  } else if (trig.type === "nats-jetstream") {
    const js = (trig as Trigger & { jetstream?: { stream: string; consumer: string } }).jetstream;
    if (inbox.broker !== "jetstream") err("stream", `a stage consuming a JetStream channel (queue "${inbox.id}" is ${inbox.broker})`);
    if (js && js.stream !== inbox.channel) err("stream", `"${inbox.channel}" (the stream stage "${stage}" consumes), got "${js.stream}"`);
    if (js && js.consumer !== inbox.name) err("consumer", `"${inbox.name}" (the durable consumer of "${inbox.id}"), got "${js.consumer}"`);
  } else {
    warnings.push(`${so.file}: ${trig.type} trigger on stage "${stage}" reads the queue "${inbox.id}" as if it were a ${trig.type} entity`);
  }
}
