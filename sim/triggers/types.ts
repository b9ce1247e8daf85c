// One interface for every KEDA trigger the simulator models, like KEDA's pkg/scalers/*_scaler.go
// (each scaler parses its metadata, exposes one External metric spec, and answers
// GetMetricsAndActivity). Here a trigger is pure: it reads a snapshot of the queue.

import type { MetricTargetType } from "../decisions/hpa.js";

export interface QueueSnapshot {
  ready: number; // waiting in the broker, deliverable
  inFlight: number; // delivered and being processed by a pod (locked / unacked)
  prefetched: number; // delivered to a pod's prefetch buffer, unacked, not yet being processed
  publishRate: number; // msgs/s published recently (for rate modes; the simulator will supply a value)
  deliverRate: number; // msgs/s delivered recently
  /**
   * Partitioned logs (kafka trigger): per partition, the latest offset (high watermark: next offset to be
   * written) and the consumer group's committed offset (null: the group has no committed offset for it).
   * Absent for plain queues.
   */
  partitions?: Array<{ latest: number; committed: number | null }>;
  /** JetStream consumer: messages not yet delivered (num_pending). */
  numPending?: number;
  /** JetStream consumer: delivered and not yet acknowledged (num_ack_pending). */
  numAckPending?: number;
  /** SQS: messages sent with a delay (DelaySeconds) and not yet visible (ApproximateNumberOfMessagesDelayed); absent = 0. */
  delayed?: number;
  /**
   * Redis Streams: entries in the stream (XLEN) = entries ever appended (XADD) minus those trimmed (Dapr's
   * maxLenApprox); XACK does not delete, so this never falls back as messages are processed. Absent: the
   * messages still held by the broker (ready + inFlight + prefetched).
   */
  streamLength?: number;
  /**
   * Redis Streams: of `ready`, the messages delivered before whose processingTimeout has lapsed (a killed
   * pod's, or a run that outlived it) and that no consumer has XCLAIMed yet. They are still in the
   * consumer group's pending entries list (XPENDING) and no longer in its lag. Absent = 0.
   */
  reclaimable?: number;
}

export interface TriggerReading {
  /** Metric value as KEDA hands it to the HPA (GenerateMetricInMili: milli-rounded, NaN/Inf/negative => 0). */
  value: number;
  /** value > activation threshold (per-scaler rule). */
  active: boolean;
}

export interface Trigger {
  type: string; // "azure-servicebus" | "rabbitmq" | "kafka" | "nats-jetstream" | "aws-sqs-queue" | "azure-queue" | "redis-streams"
  index: number; // position in spec.triggers
  metricName: string; // e.g. "s0-azure-servicebus-msgqueue"
  targetType: MetricTargetType;
  target: number; // e.g. 5
  activationThreshold: number;
  useCachedMetrics: boolean;
  description: string; // what is counted, in users' words
  /** Things that parsed but that a user should know (legacy names, unquoted numbers, assumptions). */
  warnings: string[];
  /** rabbitmq only: how the scaler reads the queue (amqp = live passive declare, http = sampled management API). */
  protocol?: "amqp" | "http";
  read(q: QueueSnapshot): TriggerReading; // pure
}

/** What every trigger's parser gets besides its metadata: the trigger-level fields of spec.triggers[index]. */
export interface TriggerCommon {
  index: number;
  /** The element's path, e.g. "spec.triggers[0]" (error messages name it). */
  path: string;
  targetType: MetricTargetType;
  useCachedMetrics: boolean;
  /** apiVersion of the ScaledObject, when known: decides what the legacy `queueLength` key means. */
  apiVersion?: string;
  /** The trigger names a TriggerAuthentication (authenticationRef): parameters may come from there. */
  authenticationRef?: boolean;
  /** The scenario's kedaVersion, when known (a scaler's parsing rules may differ by release). */
  kedaVersion?: string;
}

export class TriggerConfigError extends Error {
  constructor(
    public path: string,
    public expected: string,
    message?: string,
  ) {
    super(message ?? `${path}: ${expected}`);
    this.name = "TriggerConfigError";
  }
}

/** pkg/scalers/scaler.go quantityFromFloat64 / GenerateMetricInMili: "%.3f" quantity; NaN, ±Inf, negative => 0. */
export function kedaMetricValue(v: number): number {
  if (!Number.isFinite(v) || v < 0) return 0;
  return Math.round(v * 1000) / 1000;
}

// ---------------------------------------------------------------------------------------------
// Shared metadata parsing (KEDA pkg/scalers/scalersconfig/typed_config.go semantics:
// metadata is map[string]string; numbers are parsed with json.Unmarshal, bools with
// strconv.ParseBool, durations with time.ParseDuration or as milliseconds).

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const JSON_INT = /^-?(0|[1-9]\d*)$/;
const GO_BOOL_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const GO_BOOL_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads one trigger's `metadata` map. Stricter than KEDA on one point, on purpose: a key the
 * scaler does not know is an error here (KEDA ignores it silently, and only warns when
 * KEDA_CHECK_UNEXPECTED_SCALERS_PARAMS is set), because in a simulator a typo such as
 * `queuLength` would otherwise silently fall back to a default.
 */
export class MetadataReader {
  readonly warnings: string[] = [];
  private readonly md: Record<string, unknown>;

  constructor(
    raw: unknown,
    readonly path: string, // e.g. "spec.triggers[0].metadata"
    readonly triggerType: string,
    readonly acceptedKeys: readonly string[],
  ) {
    if (!isPlainObject(raw)) throw new TriggerConfigError(path, `an object of ${triggerType} metadata (keys: ${acceptedKeys.join(", ")})`);
    this.md = raw;
    for (const k of Object.keys(raw)) {
      if (!acceptedKeys.includes(k)) {
        throw new TriggerConfigError(
          `${path}.${k}`,
          `a metadata key the ${triggerType} scaler accepts (one of: ${acceptedKeys.join(", ")}); KEDA itself would silently ignore "${k}"`,
        );
      }
    }
  }

  /** typed_config.go configParamValue: the value trimmed, and an empty one counts as absent (undefined). */
  given(key: string): string | undefined {
    const v = this.str(key)?.trim();
    return v ? v : undefined;
  }

  has(key: string): boolean {
    return this.str(key) !== undefined;
  }

  /** Raw string value; numbers/booleans are accepted (with a warning: a real cluster needs quoted strings). */
  str(key: string): string | undefined {
    const v = this.md[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") {
      const w = `${this.path}.${key}: ${JSON.stringify(v)} is not a string; trigger metadata is map[string]string, so a real cluster rejects it unless quoted ('${String(v)}')`;
      if (!this.warnings.includes(w)) this.warnings.push(w);
      return String(v);
    }
    throw new TriggerConfigError(`${this.path}.${key}`, `a string, got ${Array.isArray(v) ? "a list" : typeof v}`);
  }

  float(key: string, opts: { default?: number; positive?: boolean; nonNegative?: boolean } = {}): number | undefined {
    const s = this.str(key);
    if (s === undefined) return opts.default;
    const t = s.trim();
    if (!JSON_NUMBER.test(t)) throw new TriggerConfigError(`${this.path}.${key}`, `a number such as "5" or "2.5", got "${s}"`);
    const n = Number(t);
    this.check(key, n, opts);
    return n;
  }

  int(key: string, opts: { default?: number; positive?: boolean; nonNegative?: boolean } = {}): number | undefined {
    const s = this.str(key);
    if (s === undefined) return opts.default;
    const t = s.trim();
    if (!JSON_INT.test(t)) throw new TriggerConfigError(`${this.path}.${key}`, `a whole number such as "5", got "${s}"`);
    const n = Number(t);
    this.check(key, n, opts);
    return n;
  }

  bool(key: string, def = false): boolean {
    const s = this.str(key);
    if (s === undefined) return def;
    if (GO_BOOL_TRUE.has(s)) return true;
    if (GO_BOOL_FALSE.has(s)) return false;
    throw new TriggerConfigError(`${this.path}.${key}`, `"true" or "false", got "${s}"`);
  }

  oneOf<T extends string>(key: string, values: readonly T[], def: T): T {
    const s = this.str(key);
    if (s === undefined) return def;
    if (!(values as readonly string[]).includes(s)) throw new TriggerConfigError(`${this.path}.${key}`, `one of ${values.map((v) => `"${v}"`).join(", ")}, got "${s}"`);
    return s as T;
  }

  /** Go time.ParseDuration string ("30s", "1m30s") or a number of milliseconds; seconds out. */
  durationSeconds(key: string): number | undefined {
    const s = this.str(key);
    if (s === undefined) return undefined;
    const t = s.trim();
    if (JSON_INT.test(t)) {
      const ms = Number(t);
      if (ms < 0) throw new TriggerConfigError(`${this.path}.${key}`, `a non-negative duration, got "${s}"`);
      return ms / 1000;
    }
    if (!GO_DURATION.test(t)) throw new TriggerConfigError(`${this.path}.${key}`, `a duration such as "30s" or "5m", or a number of milliseconds, got "${s}"`);
    const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
    let total = 0;
    for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]];
    return total;
  }

  fail(key: string, expected: string): never {
    throw new TriggerConfigError(`${this.path}.${key}`, expected);
  }

  private check(key: string, n: number, opts: { positive?: boolean; nonNegative?: boolean }): void {
    if (opts.positive && !(n > 0)) throw new TriggerConfigError(`${this.path}.${key}`, `a number > 0, got ${n}`);
    if (opts.nonNegative && !(n >= 0)) throw new TriggerConfigError(`${this.path}.${key}`, `a number >= 0, got ${n}`);
  }
}

/** pkg/util NormalizeString: / . : % ( ) => "-". */
export function normalizeString(s: string): string {
  return s.replace(/[/.:%()]/g, "-");
}

/** Go url.QueryEscape (space => "+", unreserved A-Za-z0-9-_.~ kept, everything else %XX per UTF-8 byte). */
export function goQueryEscape(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}
