// Scenario loading: YAML → validated, fully resolved Scenario (defaults filled, manifests read,
// phases drawn from the seed). Every problem becomes one ScenarioError naming the file, the field
// path and what was expected; the CLI prints it and exits 2.
import { statSync } from "node:fs";
import { dirname, resolve, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import {
  scenarioSchema,
  scaledObjectSpecV1,
  scaledObjectSpecV2,
  daprComponent,
  deployment,
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  type DistributionInput,
  type ScenarioParsed,
} from "./schema.js";
import { type Distribution, stream } from "../rng.js";
import { deepFreeze } from "../freeze.js";
import { parseTrigger } from "../triggers/index.js";
import { MetadataReader, TriggerConfigError, type Trigger } from "../triggers/types.js";
import { KEDA_DEFAULTS, type ScaledObjectConfig } from "../decisions/keda.js";
import { hpaConfigurableToleranceDefault, NEWEST_KEDA_VERSION, NEWEST_KUBERNETES_VERSION } from "../decisions/versions.js";
import type { FallbackConfig } from "../decisions/fallback.js";
import { scaledObjectAdmission } from "./keda-validation.js";
import { AnnotationError, pauseAnnotations } from "./annotations.js";
import { hpaBehaviorForScaledObject } from "../decisions/paused-behavior.js";
import type { HpaBehavior } from "../decisions/hpa.js";
import { readPrometheusRates, readRateCsv } from "./replay.js";
import { ScenarioError } from "./error.js";
import { parseScaledJob, type ScaledJobConfig } from "./scaled-job.js";
import { checkShape, checkYamlDepth, INPUT_LIMITS, readBoundedText, type InputKind } from "./bounded-input.js";

export { ScenarioError };

export type Producer =
  | { type: "burst"; at: number; count: number }
  | { type: "interval"; at: number; count: number; intervalSeconds: number }
  | { type: "poisson"; ratePerSecond: number; from: number; until: number | null; count: number | null }
  | { type: "rate"; points: Array<[number, number]>; deterministic: boolean }
  | { type: "sine"; meanPerSecond: number; amplitudePerSecond: number; periodSeconds: number; phaseSeconds: number; from: number; until: number }
  | { type: "times"; times: number[]; source: string };

/**
 * Broker semantics of the single queue. "aws-sqs" and "azure-storage-queue" are the peek-lock path of
 * "azure-servicebus" with the visibility timeout as the lock and no renewal; "redis-streams" (Dapr's
 * pubsub.redis on a consumer group) the same path with processingTimeout as the lock.
 */
export type Broker = "azure-servicebus" | "rabbitmq" | "aws-sqs" | "azure-storage-queue" | "redis-streams";

/** Does the broker hide a delivered message behind a lock (Service Bus peek-lock, SQS / Storage Queue visibility timeout) rather than RabbitMQ's unacked state? */
export function locksMessages(broker: Broker): boolean {
  return broker !== "rabbitmq";
}

/** Is the lock a visibility timeout set at receipt and never extended by the Dapr binding (SQS, Azure Storage Queues)? */
export function hasVisibilityTimeout(broker: Broker): boolean {
  return broker === "aws-sqs" || broker === "azure-storage-queue";
}

/** The broker a trigger type implies when neither the scenario nor a Dapr component names one. */
export function brokerOfTrigger(type: string): Broker {
  return type === "rabbitmq"
    ? "rabbitmq"
    : type === "aws-sqs-queue"
      ? "aws-sqs"
      : type === "azure-queue"
        ? "azure-storage-queue"
        : type === "redis-streams"
          ? "redis-streams"
          : "azure-servicebus";
}

/** The broker a Dapr component type implies. */
function brokerOfComponent(type: string): Broker {
  return type.includes("rabbitmq")
    ? "rabbitmq"
    : type === "bindings.aws.sqs"
      ? "aws-sqs"
      : type === "bindings.azure.storagequeues"
        ? "azure-storage-queue"
        : type === "pubsub.redis"
          ? "redis-streams"
          : "azure-servicebus";
}

export interface Scenario {
  name: string;
  description: string;
  file: string;
  seed: number;
  duration: number | null;
  maxDuration: number;
  sampleInterval: number;
  producers: Producer[];
  queue: {
    broker: Broker;
    lockDuration: number; // Service Bus LockDuration, SQS VisibilityTimeout, Storage Queue visibilitytimeout of a receive, Redis processingTimeout
    lockRenewal: number; // 0 = never renewed
    maxDeliveryCount: number; // Service Bus MaxDeliveryCount, SQS maxReceiveCount (Infinity: no redrive policy; Storage Queues: always)
    prefetch: number; // 0 = unlimited
    statsInterval: number; // RabbitMQ management API sampling, 0 = live
    /** Redis Streams only: Dapr's maxLenApprox (XADD MAXLEN ~), the most entries XLEN reads; Infinity = never trimmed. */
    maxStreamLength?: number;
  };
  consumer: {
    processingTime: Distribution;
    concurrency: number;
    schedulingDelay: Distribution;
    startupDelay: Distribution;
    terminationGracePeriodSeconds: number;
    initialReplicas: number;
    kills: Array<{ at: number; count: number }>;
    crashRatePerHour: number;
    scalerErrors: Array<{ from: number; until: number }>;
    deploymentName: string;
  };
  scaledObject: ScaledObjectConfig & {
    name: string;
    apiVersion: string;
    triggers: Trigger[];
    behavior: HpaBehavior | null;
  };
  hpa: {
    syncPeriod: number;
    syncPhase: number;
    drift: number;
    tolerance: number;
    downscaleStabilization: number;
    configurableTolerance: boolean;
  };
  /** scalerQueryLatency: seconds between a poll's tick and KEDA's clock reading after the scalers answered. */
  keda: { pollPhase: number; createdAt: number; scalerQueryLatency: number };
  /**
   * A ScaledJob instead of a ScaledObject (sim/model/scaled-job.ts: jobs as pods). Then
   * scaledObject carries the ScaledJob's name, triggers, pollingInterval and replica bounds (what
   * the trace header, samples and reports read); its cooldown, fallback and HPA fields are unused.
   * consumer: what a Job's pod does: "one" takes one message, processes and acks it, and exits
   * (the default); "drain" processes until the queue is empty, then exits.
   */
  scaledJob?: ScaledJobConfig & { consumer: "one" | "drain" };
  /** Which phases were drawn from the seed (reported in the trace header). */
  drawn: { pollPhase: boolean; syncPhase: boolean };
  daprComponent: { name: string; type: string } | null;
  limits: { maxMessages: number; maxReplicas: number; maxEvents: number; maxTraceRecords: number };
  /** Things that load but that real KEDA would treat differently (e.g. deprecated trigger keys). */
  warnings: string[];
}

export function zodPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (check the spelling)`;
    case "invalid_type":
      return `expected ${issue.expected}${"input" in issue && issue.input === undefined ? " (missing)" : ""}`;
    case "invalid_union": {
      // Prefer the branch whose errors went deepest: usually the intended shape.
      const errs = (issue as unknown as { errors?: z.core.$ZodIssue[][] }).errors;
      if (errs && errs.length) {
        const best = [...errs].sort((a, b) => (b[0]?.path.length ?? 0) - (a[0]?.path.length ?? 0))[0];
        if (best?.[0]) return `${zodPath(best[0].path) ? zodPath(best[0].path) + ": " : ""}${describeIssue(best[0])}`;
      }
      return issue.message;
    }
    default:
      return issue.message;
  }
}

export function firstIssue(err: z.ZodError, file: string, prefix = ""): ScenarioError {
  const issue = err.issues[0];
  let path = zodPath(issue.path);
  let expected = describeIssue(issue);
  if (issue.code === "invalid_union" && expected.includes(": ")) {
    // describeIssue prefixed a sub-path; merge it into the path.
    const idx = expected.indexOf(": ");
    const sub = expected.slice(0, idx);
    if (!sub.includes(" ")) {
      path = path ? `${path}${sub.startsWith("[") ? "" : "."}${sub}` : sub;
      expected = expected.slice(idx + 2);
    }
  }
  const full = prefix ? (path ? `${prefix}.${path}` : prefix) : path;
  return new ScenarioError(file, full, expected);
}

function toDistribution(d: DistributionInput): Distribution {
  if (typeof d === "number") return { dist: "constant", value: d };
  return d as Distribution;
}

/** A file's text, within the size (and, for CSV, line) limits of sim/scenario/bounded-input.ts. */
export function readText(file: string, displayFile: string, path: string, kind: InputKind = "document"): string {
  return readBoundedText(file, displayFile, path, kind);
}

/** The YAML documents of a text, as plain values; nesting, widths and aliases bounded (bounded-input.ts). */
export function parseYamlDocs(text: string, displayFile: string): unknown[] {
  checkYamlDepth(text, displayFile); // before the (recursive) parser sees it
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    if ("errors" in doc && doc.errors.length > 0) {
      const e = doc.errors[0];
      const line = e.linePos?.[0]?.line;
      throw new ScenarioError(displayFile, line ? `line ${line}` : "", `invalid YAML: ${e.message.split("\n")[0]}`);
    }
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: INPUT_LIMITS.yamlAliases });
    } catch (e) {
      // e.g. an alias bomb ("Excessive alias count"): refuse it like any other bad YAML.
      throw new ScenarioError(displayFile, "", `invalid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    checkShape(js, displayFile);
    if (js !== null && js !== undefined) out.push(js);
  }
  return out;
}

/** Arrival times (s) from one column of a CSV file (header optional), sorted. Shared with the topology loader. */
export function readCsvTimes(file: string, column: string | undefined, displayFile: string, path: string): number[] {
  const text = readText(file, displayFile, path, "csv");
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  let col = 0;
  let start = 0;
  const firstCells = (lines[0] ?? "").split(",").map((c) => c.trim());
  if (column !== undefined) {
    col = firstCells.indexOf(column);
    if (col < 0) throw new ScenarioError(displayFile, `${path.replace(/\.file$/, "")}.column`, `column "${column}" not in the CSV header (${firstCells.join(", ")})`);
    start = 1;
  } else if (firstCells.length && Number.isNaN(Number(firstCells[0]))) {
    start = 1; // a header line
  }
  const times: number[] = [];
  for (let i = start; i < lines.length; i++) {
    const cell = lines[i].split(",")[col]?.trim();
    const v = Number(cell);
    if (cell === undefined || cell === "" || !Number.isFinite(v) || v < 0) {
      throw new ScenarioError(relative(process.cwd(), file) || file, `line ${i + 1}`, `expected a non-negative number of seconds, got "${cell ?? ""}"`);
    }
    times.push(v);
  }
  times.sort((a, b) => a - b);
  return times;
}

interface ManifestDoc {
  doc: Record<string, unknown>;
  where: string; // for error paths
  file: string;
}

// Parsed manifest files by absolute path, reused while the file's size and mtime are unchanged.
// A property suite or the bench resolves the same scenario for thousands of seeds, and reading
// and parsing its manifest YAML was ~70 % of resolveScenario() (issue 6). Cached documents are
// deep-frozen, so a consumer that tried to modify one would fail loudly instead of corrupting the
// next scenario. Files that fail to read or parse are not cached (the error repeats).
const manifestCache = new Map<string, { mtimeMs: number; size: number; docs: unknown[] }>();

/** The YAML documents of a manifest file (cached, deep-frozen); errors name `displayFile` and `path`. */
export function manifestDocs(abs: string, displayFile: string, path: string): unknown[] {
  let stat: { mtimeMs: number; size: number } | null = null;
  try {
    stat = statSync(abs);
  } catch {
    // readText below reports the error with the file and field path.
  }
  const hit = manifestCache.get(abs);
  if (stat && hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.docs;
  const text = readText(abs, displayFile, path);
  const docs = deepFreeze(parseYamlDocs(text, relative(process.cwd(), abs) || abs));
  if (stat) manifestCache.set(abs, { mtimeMs: stat.mtimeMs, size: stat.size, docs });
  return docs;
}

/**
 * A scenario document's `manifests:` as one list in order: file references read (relative to
 * baseDir) and split into documents, inline ones as written; deep copies the caller may change.
 * `keep` selects documents. For the what-if base and the cluster run, which rewrite manifests.
 */
export function inlineManifests(raw: { manifests?: unknown }, baseDir: string, displayFile: string, keep: (d: unknown) => boolean = () => true): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const refs = Array.isArray(raw.manifests) ? raw.manifests : [];
  refs.forEach((ref, i) => {
    const docs = typeof ref === "string" ? manifestDocs(resolve(baseDir, ref), displayFile, `manifests[${i}]`) : [ref];
    for (const d of docs) if (keep(d)) out.push(structuredClone(d) as Record<string, unknown>);
  });
  return out;
}

function collectManifests(refs: ScenarioParsed["manifests"], baseDir: string, displayFile: string): ManifestDoc[] {
  const out: ManifestDoc[] = [];
  refs.forEach((ref, i) => {
    if (typeof ref === "string") {
      const abs = resolve(baseDir, ref);
      const docs = manifestDocs(abs, displayFile, `manifests[${i}]`);
      docs.forEach((d, j) => {
        if (typeof d !== "object" || d === null || Array.isArray(d)) {
          throw new ScenarioError(relative(process.cwd(), abs), `document ${j + 1}`, "expected a Kubernetes object");
        }
        out.push({ doc: d as Record<string, unknown>, where: docs.length > 1 ? `document ${j + 1}` : "", file: relative(process.cwd(), abs) || abs });
      });
    } else {
      out.push({ doc: ref as Record<string, unknown>, where: `manifests[${i}]`, file: displayFile });
    }
  });
  return out;
}

/** "manifests[0].spec.x" for an inline manifest, "document 3: spec.x" inside a multi-document file, else "spec.x". */
function manifestPath(m: ManifestDoc, p: string): string {
  return !m.where ? p : m.where.endsWith("]") ? `${m.where}.${p}` : `${m.where}: ${p}`;
}

/**
 * The options of a pubsub.redis component that the model uses (components-contrib v1.9.7 pubsub/redis/redis.go
 * parseRedisMetadata: durations as milliseconds or Go durations, counts as unsigned integers, the defaults
 * processingTimeout 60 s, redeliverInterval 15 s, queueDepth 100, concurrency 10; maxLenApprox unset = no trim).
 */
function redisStreamsOptions(meta: Record<string, string>, where: (k: string) => [string, string]): { processingTimeout: number; redeliverInterval: number; queueDepth: number; concurrency: number; maxLenApprox: number } {
  const md = new MetadataReader(meta, "spec.metadata", "pubsub.redis", Object.keys(meta));
  const read = <T>(k: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof TriggerConfigError) throw new ScenarioError(...where(k), e.expected);
      throw e;
    }
  };
  const given = (k: string): boolean => (meta[k] ?? "") !== "";
  const processingTimeout = given("processingTimeout") ? read("processingTimeout", () => md.durationSeconds("processingTimeout")!) : 60;
  const redeliverInterval = given("redeliverInterval") ? read("redeliverInterval", () => md.durationSeconds("redeliverInterval")!) : 15;
  const queueDepth = given("queueDepth") ? read("queueDepth", () => md.int("queueDepth", { nonNegative: true })!) : 100;
  const concurrency = given("concurrency") ? read("concurrency", () => md.int("concurrency", { nonNegative: true })!) : 10;
  const maxLenApprox = given("maxLenApprox") ? read("maxLenApprox", () => md.int("maxLenApprox")!) : 0;
  if (processingTimeout === 0 || redeliverInterval === 0) {
    const k = processingTimeout === 0 ? "processingTimeout" : "redeliverInterval";
    throw new ScenarioError(...where(k), "a duration > 0: with 0 Dapr turns redelivery off (reclaimPendingMessagesLoop returns), so a killed pod's entries stay pending for ever — not modelled");
  }
  if (concurrency === 0) throw new ScenarioError(...where("concurrency"), "a number of workers > 0 (with 0 daprd starts no worker and processes nothing)");
  return { processingTimeout, redeliverInterval, queueDepth, concurrency, maxLenApprox: maxLenApprox > 0 ? maxLenApprox : Infinity };
}

function num(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** The one line for a ScaledJob (single-queue and topology loaders). */
export const SCALED_JOB_NOT_MODELLED =
  "a ScaledJob is not modelled in a topology stage yet (issue #16: KEDA starts one Job per batch of messages instead of scaling a Deployment); a single-queue scenario simulates one, a stage a ScaledObject that scales a Deployment";
/** A ScaledJob beside the ScaledObject of a single-queue scenario: one scaler is simulated. */
export const SCALED_JOB_NOT_MODELLED_BESIDE = "a ScaledJob beside a ScaledObject is not simulated (a single-queue scenario has one scaler)";

/** The one line for a kafka trigger in a single-queue scenario. */
const KAFKA_AS_ONE_PARTITION =
  "kafka trigger in a single-queue scenario: the queue is read as ONE partition (lag = messages not yet acknowledged), so KEDA's partition cap (kafka_scaler.go getTotalLag: lag ÷ lagThreshold > partitions ⇒ lagThreshold × partitions) holds desired replicas at 1–2 unless allowIdleConsumers; for partitions, consumer groups and rebalances write a topology scenario with a `log` channel (README, \"Several apps\")";

const isK8sObject = (d: unknown): d is Record<string, unknown> & { apiVersion: string; kind: string } =>
  typeof d === "object" && d !== null && !Array.isArray(d) && typeof (d as { apiVersion?: unknown }).apiVersion === "string" && typeof (d as { kind?: unknown }).kind === "string";

/**
 * A Kubernetes manifest (documents with apiVersion + kind) given where a scenario was expected:
 * the error that says what it is and what to write instead, with a scenario to paste. Null for a
 * scenario (which can have neither field: unknown fields are errors).
 */
export function manifestGivenAsScenario(docs: unknown[], file: string, displayFile: string): ScenarioError | null {
  const objs = docs.filter(isK8sObject);
  if (objs.length === 0) return null;
  const rank = ["ScaledObject", "ScaledJob", "Deployment", "Component"];
  const main = [...objs].sort((a, b) => (rank.indexOf(a.kind) + 1 || 99) - (rank.indexOf(b.kind) + 1 || 99))[0];
  const what = `this is a ${main.kind} (${main.apiVersion})${objs.length > 1 ? ` among ${objs.length} Kubernetes objects (${objs.map((o) => o.kind).join(", ")})` : ""}, a Kubernetes manifest, not a scenario`;
  const ref = relative(process.cwd(), resolve(file)) || file;
  const rawName = String((main.metadata as { name?: unknown } | undefined)?.name ?? "my-scenario");
  const name = rawName.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "") || "my-scenario";
  const scaler = main.kind === "ScaledObject" || main.kind === "ScaledJob";
  const refs = scaler ? [`  - ${ref}`] : [`  - ${ref}`, "  - <your-scaledobject.yaml>     # the KEDA ScaledObject that scales it (required)"];
  const snippet = [
    `name: ${name}`,
    "producers:                        # optional; without it the scenario is idle",
    "  - {type: burst, count: 50}      # 50 messages at t = 0",
    "consumer:",
    "  processingTime: 5               # seconds per message",
    "manifests:",
    ...refs,
  ].join("\n");
  const lead = scaler ? "a scenario lists it under `manifests:`" : "a scenario lists it under `manifests:`, beside the KEDA ScaledObject that scales it";
  return new ScenarioError(displayFile, "", `${what}; ${lead} — e.g. save this as scenario.yaml in the current folder and run \`npm run sim -- scenario.yaml\`:\n\n${snippet}\n`);
}

/** Load and validate a scenario file. Throws ScenarioError. */
export function loadScenario(file: string, overrides: { seed?: number } = {}): Scenario {
  const displayFile = relative(process.cwd(), file) || file;
  const text = readText(file, displayFile, "");
  const docs = parseYamlDocs(text, displayFile);
  const manifest = manifestGivenAsScenario(docs, file, displayFile);
  if (manifest) throw manifest;
  if (docs.length !== 1) throw new ScenarioError(displayFile, "", `expected exactly one YAML document, found ${docs.length}`);
  let raw = docs[0];
  // --seed replaces the file's seed before resolving, so phases drawn from the seed follow it.
  if (overrides.seed !== undefined && typeof raw === "object" && raw !== null && !Array.isArray(raw)) raw = { ...raw, seed: overrides.seed };
  return resolveScenario(raw, dirname(resolve(file)), displayFile);
}

/**
 * Resolve a parsed scenario. `stage`: the topology loader resolves one stage's ScaledObject and
 * Deployments (sim/topology/load.ts); it matches Deployments itself and its kafka triggers read
 * partitioned logs, so the single-queue checks of those are skipped.
 */
export function resolveScenario(raw: unknown, baseDir: string, displayFile: string, opts: { stage?: boolean } = {}): Scenario {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ScenarioError(displayFile, "", "expected a mapping with name, manifests (and optionally producers, consumer, queue, ...)");
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) throw firstIssue(parsed.error, displayFile);
  const s = parsed.data;

  // ---- manifests ----
  const manifests = collectManifests(s.manifests, baseDir, displayFile);
  const warnings: string[] = [];
  const scaledObjects = manifests.filter((m) => m.doc.kind === "ScaledObject");
  const scaledJobs = manifests.filter((m) => m.doc.kind === "ScaledJob");
  const scaledJob = scaledJobs[0];
  // A single-queue scenario with a ScaledJob and no ScaledObject simulates the ScaledJob's Jobs
  // (sim/model/scaled-job.ts); the topology's stages and a ScaledJob beside a ScaledObject do not yet.
  let sj: ScaledJobConfig | null = null;
  if (scaledJob) {
    const at = manifestPath(scaledJob, "kind");
    if (scaledObjects.length === 0 && !opts.stage) {
      if (scaledJobs.length > 1) throw new ScenarioError(displayFile, "manifests", `expected exactly one KEDA ScaledJob among the manifests, found ${scaledJobs.length}`);
      sj = parseScaledJob(scaledJob.doc, scaledJob.file, (p) => manifestPath(scaledJob, p));
    } else if (scaledObjects.length === 0) throw new ScenarioError(scaledJob.file, at, SCALED_JOB_NOT_MODELLED);
    else warnings.push(`${scaledJob.file}: ${at}: ${SCALED_JOB_NOT_MODELLED_BESIDE}; ignored, the ScaledObject is simulated`);
  }
  if (!sj && scaledObjects.length !== 1) {
    throw new ScenarioError(displayFile, "manifests", `expected exactly one KEDA ScaledObject among the manifests, found ${scaledObjects.length}`);
  }
  const so = sj ? scaledJob! : scaledObjects[0];
  const soWhere = (p: string) => manifestPath(so, p);
  const apiVersion = String(so.doc.apiVersion ?? "");
  const soName = String((so.doc.metadata as { name?: string } | undefined)?.name ?? "scaledobject");
  let soCfg: Scenario["scaledObject"];
  let targetName: string;
  let rawTriggers: unknown[];
  if (sj) {
    // What the trace header, samples and reports read of "the scaler" (see Scenario.scaledJob).
    targetName = sj.name;
    rawTriggers = [];
    soCfg = {
      name: sj.name,
      apiVersion,
      minReplicaCount: sj.minReplicaCount,
      maxReplicaCount: sj.maxReplicaCount,
      idleReplicaCount: null,
      pollingInterval: sj.pollingInterval,
      cooldownPeriod: KEDA_DEFAULTS.cooldownPeriod,
      initialCooldownPeriod: 0,
      fallback: null,
      triggers: [...sj.triggers],
      behavior: null,
    };
  } else if (apiVersion === "keda.sh/v1alpha1") {
    const r = scaledObjectSpecV2.safeParse(so.doc.spec);
    if (!r.success) throw firstIssue(r.error, so.file, soWhere("spec"));
    const sp = r.data;
    targetName = sp.scaleTargetRef.name;
    rawTriggers = sp.triggers;
    const behavior = sp.advanced?.horizontalPodAutoscalerConfig?.behavior ?? null;
    soCfg = {
      name: soName,
      apiVersion,
      minReplicaCount: sp.minReplicaCount ?? KEDA_DEFAULTS.minReplicaCount,
      maxReplicaCount: sp.maxReplicaCount ?? KEDA_DEFAULTS.maxReplicaCount,
      idleReplicaCount: sp.idleReplicaCount ?? null,
      pollingInterval: sp.pollingInterval ?? KEDA_DEFAULTS.pollingInterval,
      cooldownPeriod: sp.cooldownPeriod ?? KEDA_DEFAULTS.cooldownPeriod,
      initialCooldownPeriod: sp.initialCooldownPeriod ?? KEDA_DEFAULTS.initialCooldownPeriod,
      // behavior scalingModifiers is refused by scaledObjectAdmission below, before anything runs.
      fallback: (sp.fallback as FallbackConfig | undefined) ?? null,
      triggers: [],
      behavior: behavior ? normalizeBehavior(behavior) : null,
    };
    const ann = (so.doc.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations ?? {};
    try {
      Object.assign(soCfg, pauseAnnotations(ann, soWhere("metadata.annotations")));
    } catch (e) {
      if (e instanceof AnnotationError) throw new ScenarioError(so.file, e.path, e.expected);
      throw e;
    }
    if (sp.advanced?.scalingModifiers) {
      throw new ScenarioError(so.file, soWhere("spec.advanced.scalingModifiers"), "scalingModifiers are not modelled yet (see README)");
    }
  } else if (apiVersion === "keda.k8s.io/v1alpha1") {
    const r = scaledObjectSpecV1.safeParse(so.doc.spec);
    if (!r.success) throw firstIssue(r.error, so.file, soWhere("spec"));
    const sp = r.data;
    targetName = sp.scaleTargetRef.deploymentName;
    rawTriggers = sp.triggers;
    soCfg = {
      name: soName,
      apiVersion,
      minReplicaCount: sp.minReplicaCount ?? sp.scaleTargetRef.minReplicaCount ?? KEDA_DEFAULTS.minReplicaCount,
      maxReplicaCount: sp.maxReplicaCount ?? sp.scaleTargetRef.maxReplicaCount ?? KEDA_DEFAULTS.maxReplicaCount,
      idleReplicaCount: null,
      pollingInterval: sp.pollingInterval ?? KEDA_DEFAULTS.pollingInterval,
      cooldownPeriod: sp.cooldownPeriod ?? KEDA_DEFAULTS.cooldownPeriod,
      initialCooldownPeriod: 0,
      fallback: null,
      triggers: [],
      behavior: null,
    };
  } else {
    throw new ScenarioError(so.file, soWhere("apiVersion"), `expected keda.sh/v1alpha1 or keda.k8s.io/v1alpha1, got "${apiVersion}"`);
  }
  // What `kubectl apply` would answer: the CRD schema, KEDA's webhook and controller checks.
  const admission = sj ? { rejection: null, warnings: [] } : scaledObjectAdmission({
    so: soCfg,
    spec: apiVersion === "keda.sh/v1alpha1" ? (so.doc.spec as Record<string, unknown>) : null,
    name: (so.doc.metadata as { name?: string } | undefined)?.name,
    kedaVersion: s.kedaVersion ?? NEWEST_KEDA_VERSION,
  });
  if (admission.rejection) throw new ScenarioError(so.file, soWhere(admission.rejection.path), admission.rejection.expected);
  if (!sj && soCfg.maxReplicaCount > s.limits.maxReplicas) {
    throw new ScenarioError(so.file, soWhere("spec.maxReplicaCount"), `${soCfg.maxReplicaCount} exceeds limits.maxReplicas (${s.limits.maxReplicas}); raise the limit in the scenario if you mean it`);
  }
  rawTriggers.forEach((t, i) => {
    try {
      soCfg.triggers.push(parseTrigger(t, i, soWhere(`spec.triggers[${i}]`), { apiVersion, kedaVersion: s.kedaVersion }));
    } catch (e) {
      const te = e as { path?: string; expected?: string; message: string };
      throw new ScenarioError(so.file, te.path ?? soWhere(`spec.triggers[${i}]`), te.expected ?? te.message);
    }
  });

  // ---- Dapr component (optional) ----
  const components = manifests.filter((m) => m.doc.kind === "Component");
  let comp: Scenario["daprComponent"] = null;
  const compMeta: Record<string, string> = {};
  let compWhere = (k: string): [string, string] => [displayFile, k];
  if (components.length > 1) {
    throw new ScenarioError(displayFile, "manifests", `expected at most one Dapr Component, found ${components.length}`);
  }
  if (components.length === 1) {
    const c = components[0];
    const r = daprComponent.safeParse(c.doc);
    if (!r.success) throw firstIssue(r.error, c.file, c.where);
    comp = { name: String(r.data.metadata.name ?? "component"), type: r.data.spec.type };
    for (const m of r.data.spec.metadata) if (m.value !== undefined) compMeta[m.name] = String(m.value);
    if (!/^(bindings\.(azure\.servicebusqueues|azure\.servicebus\.queues|rabbitmq|aws\.sqs|azure\.storagequeues)|pubsub\.redis)$/.test(comp.type)) {
      throw new ScenarioError(
        c.file,
        [c.where, "spec.type"].filter(Boolean).join(": "),
        `a single-queue scenario needs bindings.azure.servicebusqueues, bindings.rabbitmq, bindings.aws.sqs, bindings.azure.storagequeues or pubsub.redis, got "${comp.type}"`,
      );
    }
    compWhere = (k: string) => [c.file, [c.where, `spec.metadata[name=${k}]`].filter(Boolean).join(": ")];
    // components-contrib v1.9.7 bindings/azure/storagequeues parseMetadata reads only the account, key, queue,
    // endpoint, decodeBase64 and ttl: these later options are silently ignored by kedasim's daprd 1.9.
    if (comp.type === "bindings.azure.storagequeues") {
      for (const k of ["visibilityTimeout", "pollingInterval", "initialVisibilityDelay"]) {
        if (compMeta[k] !== undefined) {
          warnings.push(`${c.file}: ${[c.where, `spec.metadata[name=${k}]`].filter(Boolean).join(": ")}: ignored by Dapr 1.9's bindings.azure.storagequeues (components-contrib v1.9.7 reads no such option; it receives with a fixed 30 s visibility timeout and sleeps 10 s on an empty queue); set queue.lockDurationSeconds to model a newer daprd's visibilityTimeout`);
        }
      }
    }
  }

  // ---- Deployment (optional): the one the ScaledObject targets ----
  const deps = manifests.filter((m) => m.doc.kind === "Deployment");
  if (sj) {
    const d = deps[0];
    if (d) throw new ScenarioError(d.file, manifestPath(d, "kind"), "no Deployment beside a ScaledJob: its pods come from the ScaledJob's jobTargetRef (remove the Deployment from manifests)");
    const f = s.consumer;
    if (f.initialReplicas !== undefined) throw new ScenarioError(displayFile, "consumer.initialReplicas", "absent with a ScaledJob (it has no replicas before its first poll)");
    if (f.faults.scalerErrors.length > 0) throw new ScenarioError(displayFile, "consumer.faults.scalerErrors", "absent with a ScaledJob (scaler errors are not modelled for ScaledJobs yet)");
  } else if (s.consumer.jobConsumer !== undefined) {
    throw new ScenarioError(displayFile, "consumer.jobConsumer", "absent without a ScaledJob (it says what a Job's pod does)");
  }
  let grace: number | undefined;
  let depReplicas: number | undefined;
  const targetField = soWhere(apiVersion === "keda.sh/v1alpha1" ? "spec.scaleTargetRef.name" : "spec.scaleTargetRef.deploymentName");
  for (const d of deps) {
    const r = deployment.safeParse(d.doc);
    if (!r.success) throw firstIssue(r.error, d.file, d.where);
    if (r.data.metadata.name === targetName) {
      grace = r.data.spec.template.spec.terminationGracePeriodSeconds;
      depReplicas = r.data.spec.replicas;
    } else if (!opts.stage) {
      // A Deployment the ScaledObject does not scale would be ignored: its grace period and replicas
      // silently lost (usually a typo in one of the two names). KEDA scales only the object that
      // scaleTargetRef names, and refuses a ScaledObject whose target does not exist
      // (controllers/keda/scaledobject_controller.go reconcileScaledObject → checkTargetResourceIsScalable).
      const other = deps.some((x) => (x.doc.metadata as { name?: unknown } | undefined)?.name === targetName);
      throw new ScenarioError(
        d.file,
        manifestPath(d, "metadata.name"),
        `the ScaledObject's target "${targetName}" (${so.file}: ${targetField}), got Deployment "${r.data.metadata.name}"; ` +
          (other
            ? "a single-queue scenario simulates one consumer, the Deployment the ScaledObject scales: remove this one from manifests"
            : "rename one of the two so that they match (kedasim reads replicas and terminationGracePeriodSeconds from the target Deployment)"),
      );
    }
  }

  const initialReplicas = s.consumer.initialReplicas ?? depReplicas ?? 0;
  if (initialReplicas > s.limits.maxReplicas) {
    const where = s.consumer.initialReplicas !== undefined ? "consumer.initialReplicas" : "manifests (Deployment spec.replicas)";
    throw new ScenarioError(displayFile, where, `${initialReplicas} initial replicas exceed limits.maxReplicas (${s.limits.maxReplicas}); raise the limit in the scenario if you mean it`);
  }

  // ---- broker semantics: scenario > component > trigger ----
  const firstType = soCfg.triggers[0].type;
  const broker: Broker = s.queue.broker ?? (comp ? brokerOfComponent(comp.type) : undefined) ?? brokerOfTrigger(firstType);
  // Dapr defaults: Service Bus binding maxActiveMessages 1, maxConcurrentHandlers 1, lockRenewalInSec 20;
  // RabbitMQ binding prefetchCount 0 (= unlimited!) and one message at a time (dapr-local.md §3.1, §3.3).
  // SQS binding (components-contrib v1.9.7 bindings/aws/sqs/sqs.go Read): ReceiveMessage with
  // MaxNumberOfMessages 1 and WaitTimeSeconds 20, the handler called for one message at a time, the message
  // deleted when the handler succeeds — and never ChangeMessageVisibility: no renewal, no component knobs for it.
  // Storage Queue binding (components-contrib v1.9.7 bindings/azure/storagequeues/storagequeues.go
  // AzureQueueHelper.Read): Dequeue(1 message, visibility timeout 30 s — fixed, not a component option), the
  // handler called for it, Delete with its pop receipt when the handler succeeds; never UpdateMessage (no
  // renewal), never a look at DequeueCount (no poison queue: redelivered forever); one goroutine, one message at a time.
  // Redis Streams (components-contrib v1.9.7 pubsub/redis/redis.go parseRedisMetadata, Init, pollNewMessagesLoop,
  // reclaimPendingMessages): `concurrency` workers (default 10) take messages from a channel of `queueDepth`
  // (default 100) that XREADGROUP fills, queueDepth at a time; XACK when the handler succeeds (never XDEL);
  // every redeliverInterval (default 15 s) XPENDING + XCLAIM of the entries idle ≥ processingTimeout (default
  // 60 s), which the handler's context also times out at. No renewal, no delivery limit, no dead-letter.
  const redis = broker === "redis-streams" ? redisStreamsOptions(compMeta, compWhere) : null;
  const compPrefetch = broker === "rabbitmq" ? num(compMeta.prefetchCount) : broker === "azure-servicebus" ? num(compMeta.maxActiveMessages) : null;
  const compConcurrency = broker === "azure-servicebus" ? num(compMeta.maxConcurrentHandlers) : redis ? redis.concurrency : null;
  const concurrency = s.consumer.concurrency ?? (compConcurrency && compConcurrency > 0 ? compConcurrency : 1);
  // Redis: what a pod holds unacknowledged = its workers' messages + the channel (queueDepth).
  const prefetch = s.queue.prefetch ?? compPrefetch ?? (redis ? concurrency + redis.queueDepth : broker === "rabbitmq" ? (comp ? 0 : 1) : 1);
  let lockRenewal: number;
  let lockDuration: number;
  let maxDeliveryCount: number;
  if (redis) {
    if (s.queue.lockRenewalSeconds !== undefined && s.queue.lockRenewalSeconds !== 0) {
      throw new ScenarioError(displayFile, "queue.lockRenewalSeconds", "0 or absent for broker redis-streams: Dapr's pubsub.redis never resets a pending entry's idle time while the handler runs");
    }
    if (s.queue.maxDeliveryCount !== undefined) {
      throw new ScenarioError(displayFile, "queue.maxDeliveryCount", "absent for broker redis-streams: Dapr 1.9's pubsub.redis XCLAIMs an entry again after every processingTimeout and never counts deliveries (no dead-letter), so it is redelivered for ever");
    }
    lockRenewal = 0;
    lockDuration = s.queue.lockDurationSeconds ?? redis.processingTimeout;
    maxDeliveryCount = Infinity;
  } else if (hasVisibilityTimeout(broker)) {
    const sqs = broker === "aws-sqs";
    if (s.queue.lockRenewalSeconds !== undefined && s.queue.lockRenewalSeconds !== 0) {
      const why = sqs ? "Dapr's bindings.aws.sqs never extends a message's visibility timeout (no ChangeMessageVisibility call)" : "Dapr's bindings.azure.storagequeues never extends a message's visibility timeout (no UpdateMessage call)";
      throw new ScenarioError(displayFile, "queue.lockRenewalSeconds", `0 or absent for broker ${broker}: ${why}`);
    }
    lockRenewal = 0;
    // SQS VisibilityTimeout default 30 s (0 s – 12 h); Storage Queues: the binding's Dequeue asks for 30 s (the
    // service's default too; whole seconds, 1 s – 7 days).
    lockDuration = s.queue.lockDurationSeconds ?? 30;
    if (sqs && lockDuration > 43200) throw new ScenarioError(displayFile, "queue.lockDurationSeconds", `an SQS VisibilityTimeout between 0 and 43200 s (12 hours), got ${lockDuration}`);
    if (!sqs && (!Number.isInteger(lockDuration) || lockDuration > 604800)) {
      throw new ScenarioError(displayFile, "queue.lockDurationSeconds", `a Storage Queue visibility timeout in whole seconds between 1 and 604800 (7 days), got ${lockDuration}`);
    }
    if (sqs && s.queue.maxDeliveryCount !== undefined && s.queue.maxDeliveryCount > 1000) {
      throw new ScenarioError(displayFile, "queue.maxDeliveryCount", `an SQS redrive policy maxReceiveCount between 1 and 1000, got ${s.queue.maxDeliveryCount}`);
    }
    if (!sqs && s.queue.maxDeliveryCount !== undefined) {
      throw new ScenarioError(
        displayFile,
        "queue.maxDeliveryCount",
        "absent for broker azure-storage-queue: Azure Storage Queues have no dead-lettering and Dapr's binding never checks a message's DequeueCount (no poison queue), so a message is received again for ever",
      );
    }
    maxDeliveryCount = s.queue.maxDeliveryCount ?? Infinity; // no redrive policy / no poison queue: never dead-lettered
  } else {
    lockRenewal = s.queue.lockRenewalSeconds ?? num(compMeta.lockRenewalInSec) ?? 20;
    lockDuration = s.queue.lockDurationSeconds ?? 60;
    maxDeliveryCount = s.queue.maxDeliveryCount ?? 10;
  }

  // ---- producers ----
  const producers: Producer[] = s.producers.map((p, i): Producer => {
    switch (p.type) {
      case "burst":
        return { type: "burst", at: p.at, count: p.count };
      case "interval":
        return { type: "interval", at: p.at, count: p.count, intervalSeconds: p.intervalMilliseconds / 1000 };
      case "poisson":
        if (p.until === undefined && p.count === undefined && s.duration === undefined) {
          throw new ScenarioError(displayFile, `producers[${i}]`, "a Poisson producer needs until or count (or the scenario a duration)");
        }
        return { type: "poisson", ratePerSecond: p.ratePerSecond, from: p.from, until: p.until ?? null, count: p.count ?? null };
      case "rate": {
        for (let j = 1; j < p.points.length; j++) {
          if (p.points[j][0] <= p.points[j - 1][0]) {
            throw new ScenarioError(displayFile, `producers[${i}].points[${j}]`, "times must increase");
          }
        }
        return { type: "rate", points: p.points as Array<[number, number]>, deterministic: p.deterministic };
      }
      case "sine":
        if (p.amplitudePerSecond > p.meanPerSecond) {
          throw new ScenarioError(displayFile, `producers[${i}].amplitudePerSecond`, "must be <= meanPerSecond (a rate cannot go negative)");
        }
        if (p.until <= p.from) throw new ScenarioError(displayFile, `producers[${i}].until`, "must be > from");
        return { ...p };
      case "csv": {
        const abs = resolve(baseDir, p.file);
        const times = readCsvTimes(abs, p.column, displayFile, `producers[${i}].file`).map((t) => t + p.offsetSeconds);
        return { type: "times", times, source: p.file };
      }
      case "prometheus":
      case "rate-csv": {
        // A replayed rate series is a `rate` producer (sim/scenario/replay.ts).
        const abs = resolve(baseDir, p.file);
        const where = `producers[${i}].file`;
        const r = p.type === "prometheus" ? readPrometheusRates(abs, displayFile, where, p) : readRateCsv(abs, displayFile, where, p);
        return { type: "rate", points: r.points, deterministic: p.deterministic };
      }
    }
  });
  const expectedCount = producers.reduce((n, p) => n + (p.type === "burst" || p.type === "interval" ? p.count : p.type === "times" ? p.times.length : 0), 0);
  if (expectedCount > s.limits.maxMessages) {
    throw new ScenarioError(displayFile, "producers", `${expectedCount} messages exceed limits.maxMessages (${s.limits.maxMessages})`);
  }

  // ---- trace size: a 10-year run at one sample a second must not start at all ----
  const horizon = s.duration ?? s.maxDurationSeconds;
  const estRecords = horizon / s.sampleIntervalSeconds + horizon / s.hpa.syncPeriodSeconds + horizon / soCfg.pollingInterval;
  if (estRecords > s.limits.maxTraceRecords) {
    throw new ScenarioError(
      displayFile,
      s.duration !== undefined ? "duration" : "maxDurationSeconds",
      `${horizon} s would write ~${Math.round(estRecords).toLocaleString("en-US")} trace records (samples every ${s.sampleIntervalSeconds} s, HPA syncs, KEDA polls), more than limits.maxTraceRecords (${s.limits.maxTraceRecords.toLocaleString("en-US")}); raise sampleIntervalSeconds or the limit`,
    );
  }

  // ---- phases (default: drawn from the seed) ----
  const phaseRng = stream(s.seed, "phases");
  const drawPoll = phaseRng();
  const drawSync = phaseRng();
  // A given pollPhaseSeconds beyond one interval is allowed: polls happen at createdAt + phase + n × interval,
  // so it only delays the first poll.
  const pollPhase = s.keda.pollPhaseSeconds ?? drawPoll * soCfg.pollingInterval;
  const syncPhase = s.hpa.syncPhaseSeconds ?? drawSync * s.hpa.syncPeriodSeconds;

  return {
    name: s.name,
    description: s.description ?? "",
    file: displayFile,
    seed: s.seed,
    duration: s.duration ?? null,
    maxDuration: s.maxDurationSeconds,
    sampleInterval: s.sampleIntervalSeconds,
    producers,
    queue: {
      broker,
      lockDuration,
      lockRenewal,
      maxDeliveryCount,
      prefetch,
      statsInterval: broker === "rabbitmq" ? s.queue.managementStatsIntervalSeconds : 0,
      ...(redis ? { maxStreamLength: redis.maxLenApprox } : {}),
    },
    consumer: {
      processingTime: toDistribution(s.consumer.processingTime),
      concurrency,
      schedulingDelay: toDistribution(s.consumer.schedulingDelay),
      startupDelay: toDistribution(s.consumer.startupDelay),
      terminationGracePeriodSeconds: s.consumer.terminationGracePeriodSeconds ?? grace ?? sj?.job.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
      initialReplicas,
      kills: s.consumer.faults.kills,
      crashRatePerHour: s.consumer.faults.crashRatePerHour,
      scalerErrors: s.consumer.faults.scalerErrors,
      deploymentName: targetName,
    },
    scaledObject: {
      ...soCfg,
      behavior: hpaBehaviorForScaledObject(soCfg.behavior, soCfg, s.kedaVersion),
      kedaVersion: s.kedaVersion ?? NEWEST_KEDA_VERSION,
      kubernetesVersion: s.kubernetesVersion ?? NEWEST_KUBERNETES_VERSION,
    },
    hpa: {
      syncPeriod: s.hpa.syncPeriodSeconds,
      syncPhase,
      drift: s.hpa.driftSecondsPerSync,
      tolerance: s.hpa.tolerance,
      downscaleStabilization: s.hpa.downscaleStabilizationSeconds,
      configurableTolerance: s.hpa.configurableTolerance ?? hpaConfigurableToleranceDefault(s.kubernetesVersion),
    },
    keda: { pollPhase, createdAt: s.keda.createdAt, scalerQueryLatency: s.keda.scalerQueryLatencySeconds },
    ...(sj ? { scaledJob: { ...sj, consumer: s.consumer.jobConsumer ?? "one" } } : {}),
    drawn: { pollPhase: s.keda.pollPhaseSeconds === undefined, syncPhase: s.hpa.syncPhaseSeconds === undefined },
    daprComponent: comp,
    limits: s.limits,
    warnings: [
      ...warnings,
      ...(sj ? sj.warnings : []),
      ...admission.warnings.map((w) => `${so.file}: ${soWhere(w)}`),
      ...soCfg.triggers.flatMap((t) => t.warnings.map((w) => `${so.file}: ${w}`)),
      ...(opts.stage ? [] : soCfg.triggers.filter((t) => t.type === "kafka").map((t) => `${so.file}: ${soWhere(`spec.triggers[${t.index}]`)}: ${KAFKA_AS_ONE_PARTITION}`)),
    ],
  };
}

function normalizeBehavior(b: {
  scaleUp?: { stabilizationWindowSeconds?: number; selectPolicy?: "Max" | "Min" | "Disabled"; policies?: Array<{ type: "Pods" | "Percent"; value: number; periodSeconds: number }>; tolerance?: number | string };
  scaleDown?: { stabilizationWindowSeconds?: number; selectPolicy?: "Max" | "Min" | "Disabled"; policies?: Array<{ type: "Pods" | "Percent"; value: number; periodSeconds: number }>; tolerance?: number | string };
}): HpaBehavior {
  const side = (r: NonNullable<typeof b.scaleUp> | undefined) => {
    if (!r) return undefined;
    const out: Record<string, unknown> = {};
    if (r.stabilizationWindowSeconds !== undefined) out.stabilizationWindowSeconds = r.stabilizationWindowSeconds;
    if (r.selectPolicy !== undefined) out.selectPolicy = r.selectPolicy;
    if (r.policies !== undefined) out.policies = r.policies;
    if (r.tolerance !== undefined) out.tolerance = typeof r.tolerance === "string" ? parseQuantity(r.tolerance) : r.tolerance;
    return out;
  };
  const out: HpaBehavior = {};
  const up = side(b.scaleUp);
  const down = side(b.scaleDown);
  if (up) out.scaleUp = up;
  if (down) out.scaleDown = down;
  return out;
}

/** Kubernetes quantity for tolerance ("50m" = 0.05, "0.1"). */
function parseQuantity(q: string): number {
  const m = /^([0-9.]+)(m?)$/.exec(q.trim());
  if (!m) return Number.NaN;
  return Number(m[1]) / (m[2] === "m" ? 1000 : 1);
}
