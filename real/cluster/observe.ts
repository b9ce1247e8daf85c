// Reading what the real controllers did, from their own logs (local plane only; a user's cluster
// gives us the API objects and Events instead):
// - kube-controller-manager at --vmodule=horizontal=4 logs every HPA reconcile
//   (pkg/controller/podautoscaler/horizontal.go reconcileAutoscaler: "Proposing desired replicas",
//   then "Decided not to scale" or "Successfully rescaled");
// - the KEDA operator at debug logs every scaler read ("Getting metrics and activity from scaler",
//   pkg/scaling/scale_handler.go observeMetric). A read made for the HPA (GetScaledObjectMetrics,
//   through the adapter's gRPC call) is followed by the gRPC server's "Providing metrics"; a read of
//   the scale loop (checkScalers → getScalerState) is not. That tells polls from HPA reads.
import { closeSync, openSync, readSync, statSync } from "node:fs";

/** Follows a log file from its current end, line by line (polling: the daemons append to it). */
export class LogFollower {
  private pos: number;
  private partial = "";
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private file: string,
    private onLine: (line: string) => void,
  ) {
    this.pos = safeSize(file);
  }

  start(intervalMs = 100): void {
    this.timer = setInterval(() => this.poll(), intervalMs);
  }

  /** Read what is new now (also called once more on stop). */
  poll(): void {
    const size = safeSize(this.file);
    if (size < this.pos) this.pos = 0; // truncated / rotated
    if (size === this.pos) return;
    const fd = openSync(this.file, "r");
    try {
      const buf = Buffer.alloc(size - this.pos);
      readSync(fd, buf, 0, buf.length, this.pos);
      this.pos = size;
      const lines = (this.partial + buf.toString("utf8")).split("\n");
      this.partial = lines.pop() ?? "";
      for (const l of lines) if (l) this.onLine(l);
    } finally {
      closeSync(fd);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.poll();
  }
}

function safeSize(f: string): number {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
}

// ---- kube-controller-manager (klog text) ----

export interface HpaLogLine {
  epochMs: number;
  kind: "proposing" | "decided-not-to-scale" | "rescaled";
  /** "namespace/name" of the scale target (Deployment/ns/name → ns/name). */
  target: string | null;
  /** "namespace/name" of the HPA, where the line names it. */
  hpa: string | null;
  desired: number | null;
  current: number | null;
  reason: string | null;
}

/**
 * klog's header "I1202 04:33:08.822942   21872 horizontal.go:958] ..." in UTC (the plane's daemons
 * run with TZ=UTC); the year is not in the header: the one that puts the time nearest to `now`.
 */
export function klogTime(line: string, now = Date.now()): number | null {
  const m = /^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})/.exec(line);
  if (!m) return null;
  const y = new Date(now).getUTCFullYear();
  let best: number | null = null;
  for (const year of [y - 1, y, y + 1]) {
    const t = Date.UTC(year, Number(m[1]) - 1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) + Number(m[6]) / 1000;
    if (best === null || Math.abs(t - now) < Math.abs(best - now)) best = t;
  }
  return best;
}

function klogField(line: string, key: string): string | null {
  const m = new RegExp(`\\b${key}=("(?:[^"\\\\]|\\\\.)*"|\\S+)`).exec(line);
  if (!m) return null;
  const v = m[1];
  return v.startsWith('"') ? (JSON.parse(v) as string) : v;
}

export function parseHpaLine(line: string, now = Date.now()): HpaLogLine | null {
  if (!line.includes("horizontal.go:")) return null;
  let kind: HpaLogLine["kind"];
  if (line.includes('"Proposing desired replicas')) kind = "proposing";
  else if (line.includes('"Decided not to scale"')) kind = "decided-not-to-scale";
  else if (line.includes('"Successfully rescaled"')) kind = "rescaled";
  else return null;
  const epochMs = klogTime(line, now);
  if (epochMs === null) return null;
  const num = (k: string) => {
    const v = klogField(line, k);
    return v === null || !Number.isFinite(Number(v)) ? null : Number(v);
  };
  const st = klogField(line, "scaleTarget");
  return {
    epochMs,
    kind,
    target: st ? st.replace(/^[^/]+\//, "") : null,
    hpa: klogField(line, "HPA"),
    desired: num("desiredReplicas"),
    current: num("currentReplicas"),
    reason: klogField(line, "reason"),
  };
}

// ---- KEDA operator (zap JSON) ----

export interface KedaLogLine {
  epochMs: number;
  kind: "scaler-read" | "providing-metrics" | "scaler-active" | "scaled";
  /** "namespace/name" of the ScaledObject. */
  scaledObject: string;
  value: number | null;
  activity: boolean | null;
  error: string | null;
  from?: number;
  to?: number;
}

export function parseKedaLine(line: string): KedaLogLine | null {
  if (!line.startsWith("{")) return null;
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  const ts = typeof j.ts === "string" ? Date.parse(j.ts) + subMs(j.ts) : typeof j.ts === "number" ? j.ts * 1000 : NaN;
  if (!Number.isFinite(ts)) return null;
  const so = (ns: unknown, name: unknown) => `${String(ns)}/${String(name)}`;
  const msg = typeof j.msg === "string" ? j.msg : "";
  // pkg/scaling/executor/scale_scaledobjects.go: "...to ScaledObject minReplicaCount" / "... idleReplicaCount".
  const kind = msg.startsWith("Successfully set ScaleTarget replicas count to ScaledObject") ? "Successfully updated ScaleTarget" : msg;
  switch (kind) {
    case "Getting metrics and activity from scaler": {
      const metrics = (j.metrics ?? []) as Array<{ value?: string }>;
      const v = metrics.length ? metrics.reduce((a, m) => a + parseQuantity(m.value ?? "0"), 0) : null;
      return { epochMs: ts, kind: "scaler-read", scaledObject: so(j["scaledObject.Namespace"], j["scaledObject.Name"]), value: v, activity: typeof j.activity === "boolean" ? j.activity : null, error: j.scalerError ? String(typeof j.scalerError === "object" ? JSON.stringify(j.scalerError) : j.scalerError) : null };
    }
    case "Providing metrics":
      return { epochMs: ts, kind: "providing-metrics", scaledObject: so(j.scaledObjectNamespace, j.scaledObjectName), value: null, activity: null, error: null };
    case "Scaler for scaledObject is active":
      return { epochMs: ts, kind: "scaler-active", scaledObject: so(j["scaledObject.Namespace"], j["scaledObject.Name"]), value: null, activity: true, error: null };
    case "Successfully updated ScaleTarget":
      return { epochMs: ts, kind: "scaled", scaledObject: so(j["scaledObject.Namespace"], j["scaledobject.Name"] ?? j["scaledObject.Name"]), value: null, activity: null, error: null, from: Number(j["Original Replicas Count"]), to: Number(j["New Replicas Count"]) };
    default:
      return null;
  }
}

/** Date.parse keeps milliseconds only; RFC 3339 nano times carry more. */
function subMs(ts: string): number {
  const m = /\.\d{3}(\d+)Z$/.exec(ts);
  return m ? Number(`0.${m[1]}`) : 0;
}

/** Kubernetes quantity ("12", "1500m", "2k") → number. */
export function parseQuantity(q: string): number {
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([numkMGTPE]|[KMGTPE]i)?$/.exec(q.trim());
  if (!m) return Number.NaN;
  const mult: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6 };
  return Number(m[1]) * (m[2] ? mult[m[2]] : 1);
}

export interface ClassifiedRead {
  epochMs: number;
  value: number | null;
  activity: boolean | null;
  error: string | null;
  /** "poll": KEDA's scale loop; "hpa": a read the HPA's metric request caused. */
  by: "poll" | "hpa";
}

/**
 * Turns the operator's lines for one ScaledObject into classified reads: a read followed by
 * "Providing metrics" before the next read (and within 1 s) was for the HPA, otherwise for the
 * scale loop. Lines must be fed in log order; `flush(now)` settles a read nothing followed yet.
 */
export class KedaReadClassifier {
  private pending: KedaLogLine | null = null;

  constructor(
    private scaledObject: string,
    private out: (r: ClassifiedRead) => void,
  ) {}

  feed(l: KedaLogLine): void {
    if (l.scaledObject !== this.scaledObject) return;
    if (l.kind === "providing-metrics") {
      if (this.pending && l.epochMs - this.pending.epochMs <= 1000) this.emit(this.pending, "hpa");
      else if (this.pending) this.emit(this.pending, "poll");
      this.pending = null;
      return;
    }
    if (l.kind === "scaler-read") {
      if (this.pending) this.emit(this.pending, "poll");
      this.pending = l;
      return;
    }
    if (l.kind === "scaler-active" && this.pending) {
      // Only the scale loop's getScalerState logs this after its read.
      this.emit(this.pending, "poll");
      this.pending = null;
    }
  }

  flush(nowEpochMs: number, force = false): void {
    if (this.pending && (force || nowEpochMs - this.pending.epochMs > 1000)) {
      this.emit(this.pending, "poll");
      this.pending = null;
    }
  }

  private emit(l: KedaLogLine, by: ClassifiedRead["by"]): void {
    this.out({ epochMs: l.epochMs, value: l.value, activity: l.activity, error: l.error, by });
  }
}
