// Pure derivations from a Trace (header + records) used by the charts, the report and the comparison.
// Nothing here knows about the simulator or real mode: it reads only the Trace contract.

import {
  percentileFromBuckets,
  type Actor,
  type HpaSyncRecord,
  type KedaPollRecord,
  type SampleRecord,
  type ScaleRecord,
  type TraceHeader,
  type TraceRecord,
} from "../sim/trace.js";

export interface Trace {
  header: TraceHeader;
  records: TraceRecord[];
}

/** Bad input (missing file, unparsable or structurally invalid trace): the CLI reports it with exit code 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

export interface Point {
  x: number;
  y: number | null;
}

export const LATENCY_PERCENTILES = [50, 90, 95, 99] as const;

// ---------------------------------------------------------------- selection

/**
 * The largest of `init` and f(x) over `xs`, in a loop: `Math.max(...xs.map(f))` passes every value
 * as an argument and throws "Maximum call stack size exceeded" beyond ~10^5 values (a week of
 * 1 s samples has 6 × 10^5).
 */
export function maxOf<T>(xs: Iterable<T>, f: (x: T) => number, init = -Infinity): number {
  let m = init;
  for (const x of xs) {
    const v = f(x);
    if (v > m) m = v;
  }
  return m;
}

/** The smallest of `init` and f(x) over `xs`, in a loop (see maxOf). */
export function minOf<T>(xs: Iterable<T>, f: (x: T) => number, init = Infinity): number {
  let m = init;
  for (const x of xs) {
    const v = f(x);
    if (v < m) m = v;
  }
  return m;
}

export function samplesOf(trace: Trace): SampleRecord[] {
  return trace.records.filter((r): r is SampleRecord => r.type === "sample");
}

export function scaleRecordsOf(trace: Trace): ScaleRecord[] {
  return trace.records.filter((r): r is ScaleRecord => r.type === "scale");
}

export function kedaPollsOf(trace: Trace): KedaPollRecord[] {
  return trace.records.filter((r): r is KedaPollRecord => r.type === "keda-poll");
}

export function hpaSyncsOf(trace: Trace): HpaSyncRecord[] {
  return trace.records.filter((r): r is HpaSyncRecord => r.type === "hpa-sync");
}

/** Last scenario time seen in the trace (0 for a trace without records). */
export function traceEnd(trace: Trace): number {
  let end = 0;
  for (const r of trace.records) if (Number.isFinite(r.t) && r.t > end) end = r.t;
  return end;
}

/**
 * Structural check of a parsed trace, enough for the reports not to crash deep inside chart code.
 * Throws InputError naming `file`.
 */
export function validateTrace(trace: Trace, file = "trace.jsonl"): void {
  const h = trace.header as Partial<TraceHeader> | undefined;
  if (!h || h.type !== "header") throw new InputError(`${file}: missing header line`);
  const s = h.scaling as Partial<TraceHeader["scaling"]> | undefined;
  if (!s || typeof s !== "object") throw new InputError(`${file}: header has no "scaling" object`);
  for (const k of ["minReplicaCount", "maxReplicaCount", "target", "cooldownPeriod", "pollingInterval"] as const) {
    if (typeof s[k] !== "number") throw new InputError(`${file}: header.scaling.${k} is not a number`);
  }
  trace.records.forEach((r, i) => {
    if (typeof r.t !== "number" || !Number.isFinite(r.t)) {
      throw new InputError(`${file}:${i + 2}: record of type "${r.type}" has no numeric "t"`);
    }
    if (r.type === "sample") {
      for (const k of ["metric", "queued", "inFlight", "produced", "completed", "desired", "current", "ready", "terminating"] as const) {
        if (typeof r[k] !== "number") throw new InputError(`${file}:${i + 2}: sample field "${k}" is not a number`);
      }
    }
  });
  if (!trace.records.some((r) => r.type === "sample")) throw new InputError(`${file}: no "sample" records`);
}

// ---------------------------------------------------------------- series

/**
 * Value of a cumulative counter at time `at`: the last sample with t <= at, or 0 before the first
 * sample (counters are cumulative since t = 0).
 */
function counterAt(samples: SampleRecord[], times: number[], key: "produced" | "completed", at: number, hint: number): { v: number; idx: number } {
  let i = hint;
  while (i + 1 < samples.length && times[i + 1] <= at + 1e-9) i++;
  if (i < 0 || times[i] > at + 1e-9) return { v: 0, idx: i };
  return { v: samples[i][key], idx: i };
}

/**
 * Trailing-window average rate of a cumulative counter, at every sample time:
 * (v(t) - v(t - W)) / W, with v before the first sample taken as 0.
 */
export function slidingRate(samples: SampleRecord[], key: "produced" | "completed", windowS: number): Point[] {
  const times = samples.map((s) => s.t);
  const out: Point[] = [];
  let hint = -1;
  for (const s of samples) {
    const back = counterAt(samples, times, key, s.t - windowS, hint);
    hint = back.idx;
    out.push({ x: s.t, y: (s[key] - back.v) / windowS });
  }
  return out;
}

/**
 * Sojourn-time percentiles over a trailing window: at each sample time t, merge the `lat` histograms of
 * the samples with time in (t - W, t]. y is null where nothing completed in the window.
 */
export function slidingLatency(samples: SampleRecord[], windowS: number, percentiles: readonly number[] = LATENCY_PERCENTILES): Map<number, Point[]> {
  const out = new Map<number, Point[]>();
  for (const p of percentiles) out.set(p, []);
  const merged = new Map<number, number>();
  let lo = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    for (const [b, c] of s.lat ?? []) merged.set(b, (merged.get(b) ?? 0) + c);
    while (lo <= i && samples[lo].t <= s.t - windowS + 1e-9) {
      for (const [b, c] of samples[lo].lat ?? []) {
        const left = (merged.get(b) ?? 0) - c;
        if (left > 0) merged.set(b, left);
        else merged.delete(b);
      }
      lo++;
    }
    for (const p of percentiles) {
      const v = merged.size > 0 ? percentileFromBuckets(merged, p) : Number.NaN;
      out.get(p)!.push({ x: s.t, y: Number.isFinite(v) ? v : null });
    }
  }
  return out;
}

/** A sample field as points. */
export function seriesOf(samples: SampleRecord[], f: (s: SampleRecord) => number | null): Point[] {
  return samples.map((s) => ({ x: s.t, y: f(s) }));
}

/**
 * Lossless thinning of a step series: keeps the first point, every point whose value differs from the
 * previous one (and the point just before it, so interpolation between samples is unchanged), and the last.
 */
export function compressSteps(points: Point[]): Point[] {
  if (points.length <= 2) return points.slice();
  const keep = new Array<boolean>(points.length).fill(false);
  keep[0] = true;
  keep[points.length - 1] = true;
  for (let i = 1; i < points.length; i++) {
    if (points[i].y !== points[i - 1].y) {
      keep[i] = true;
      keep[i - 1] = true;
    }
  }
  return points.filter((_, i) => keep[i]);
}

/**
 * Min/max bucket decimation for continuous series with many points: keeps, per bucket, the points with the
 * smallest and largest y (in time order), so spikes survive. Returns the input when it is short enough.
 */
export function decimate(points: Point[], maxPoints = 3000): Point[] {
  if (points.length <= maxPoints) return points;
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = points.length / buckets;
  const out: Point[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.min(points.length, Math.floor((b + 1) * size));
    let iMin = -1;
    let iMax = -1;
    let hasNull = -1;
    for (let i = from; i < to; i++) {
      const y = points[i].y;
      if (y === null) {
        if (hasNull < 0) hasNull = i;
        continue;
      }
      if (iMin < 0 || y < (points[iMin].y as number)) iMin = i;
      if (iMax < 0 || y > (points[iMax].y as number)) iMax = i;
    }
    const idx = [...new Set([iMin, iMax, hasNull].filter((i) => i >= 0))].sort((a, c) => a - c);
    for (const i of idx) out.push(points[i]);
  }
  return out;
}

/**
 * Values of a sample field on a regular grid t = start, start + step, ..., <= end, holding the last value
 * (the last sample with time <= grid time); before the first sample, the first sample's value.
 */
export function onGrid(samples: SampleRecord[], f: (s: SampleRecord) => number, start: number, end: number, step = 1): number[] {
  const out: number[] = [];
  if (samples.length === 0) return out;
  let i = 0;
  const n = Math.floor((end - start) / step + 1e-9);
  for (let k = 0; k <= n; k++) {
    const t = start + k * step;
    while (i + 1 < samples.length && samples[i + 1].t <= t + 1e-9) i++;
    out.push(f(samples[i]));
  }
  return out;
}

// ---------------------------------------------------------------- scaling facts

export type Direction = "up" | "down";

export interface ScaleEvent {
  t: number;
  from: number;
  to: number;
  actor: Actor;
  reason: string;
}

export function directionOf(e: { from: number; to: number }): Direction {
  return e.to > e.from ? "up" : "down";
}

/** Number of direction changes (up→down or down→up) along the event sequence, ignoring no-op events. */
export function countFlaps(events: ReadonlyArray<{ from: number; to: number }>): number {
  let last: Direction | null = null;
  let flaps = 0;
  for (const e of events) {
    if (e.to === e.from) continue;
    const d = directionOf(e);
    if (last !== null && d !== last) flaps++;
    last = d;
  }
  return flaps;
}

/** First sample time at or after `from` when `pred` holds, or null. */
export function firstSampleTime(samples: SampleRecord[], from: number, pred: (s: SampleRecord) => boolean): number | null {
  for (const s of samples) if (s.t >= from - 1e-9 && pred(s)) return s.t;
  return null;
}

/**
 * For a scale-up to `to` at time t: seconds until `ready` first reaches `to` (decision → ready), or null when
 * it never does (superseded by a scale-down or the trace ended).
 */
export function timeToReady(samples: SampleRecord[], e: ScaleEvent): number | null {
  if (e.to <= e.from) return null;
  const t = firstSampleTime(samples, e.t, (s) => s.ready >= e.to);
  return t === null ? null : t - e.t;
}

/** Backlog = messages not yet settled (ready in the broker + in flight). */
export function backlogOf(s: SampleRecord): number {
  return s.queued + s.inFlight;
}

/**
 * Start of the final empty period of the backlog: the first sample time after which queued + inFlight stays 0
 * until the end of the trace, provided something was produced before it. Null when the trace ends non-empty
 * or nothing was ever produced.
 */
export function finalEmptyAt(samples: SampleRecord[]): number | null {
  if (samples.length === 0) return null;
  const last = samples[samples.length - 1];
  if (backlogOf(last) !== 0 || last.produced === 0) return null;
  let i = samples.length - 1;
  while (i > 0 && backlogOf(samples[i - 1]) === 0 && samples[i - 1].produced > 0) i--;
  return samples[i].t;
}

/** ∫ f dt over samples with t >= from (each sample's value held until the next sample). */
export function integrate(samples: SampleRecord[], f: (s: SampleRecord) => number, from = -Infinity): number {
  let sum = 0;
  for (let i = 0; i + 1 < samples.length; i++) {
    const a = samples[i];
    const b = samples[i + 1];
    const lo = Math.max(a.t, from);
    if (b.t > lo) sum += f(a) * (b.t - lo);
  }
  return sum;
}

/** The hpa-sync that produced a scale record (same instant, same resulting desired), if any. */
export function hpaSyncFor(syncs: HpaSyncRecord[], e: ScaleEvent): HpaSyncRecord | undefined {
  return syncs.find((h) => Math.abs(h.t - e.t) < 1e-6 && h.desired === e.to);
}

/** Last KEDA poll at or before t that found the trigger active. */
export function lastActivePollBefore(polls: KedaPollRecord[], t: number): KedaPollRecord | undefined {
  let found: KedaPollRecord | undefined;
  for (const p of polls) {
    if (p.t > t + 1e-9) break;
    if (p.active) found = p;
  }
  return found;
}

/**
 * Times at which KEDA's cooldown ran out: lastActiveTime + cooldownPeriod, for every run of inactive polls that
 * was not interrupted by an active poll before that time. Polls without lastActiveTime use the last active poll.
 */
export function cooldownDeadlines(polls: KedaPollRecord[], cooldownPeriod: number): number[] {
  const out: number[] = [];
  let lastActive: number | null = null;
  let pending: number | null = null;
  for (const p of polls) {
    if (p.error) continue;
    if (pending !== null && p.t >= pending - 1e-9) {
      out.push(pending);
      pending = null;
    }
    if (p.active) {
      lastActive = p.lastActiveTime ?? p.t;
      pending = null;
    } else if (pending === null && lastActive !== null) {
      const la = p.lastActiveTime ?? lastActive;
      const d = la + cooldownPeriod;
      if (!out.some((x) => Math.abs(x - d) < 1e-6)) pending = d;
    }
  }
  if (pending !== null) out.push(pending);
  return out;
}

/** Last HPA sync strictly before t whose raw proposal was >= value. */
export function lastHpaRawAtLeast(syncs: HpaSyncRecord[], value: number, before: number): HpaSyncRecord | undefined {
  let found: HpaSyncRecord | undefined;
  for (const h of syncs) {
    if (h.t >= before - 1e-9) break;
    if (h.raw !== null && h.raw >= value) found = h;
  }
  return found;
}

// ---------------------------------------------------------------- formatting

/** Seconds formatted for tables and prose: 3 decimals below 1 s, 2 below 10 s, 1 above. */
export function fmtS(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a < 1) return x.toFixed(3);
  if (a < 10) return x.toFixed(2);
  return x.toFixed(1);
}

/** Scenario time: 1 decimal, trailing ".0" dropped (t=30, t=44.5). */
export function fmtT(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  const r = Math.round(x * 10) / 10;
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

export function fmtPct(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return `${x >= 0 ? "+" : ""}${x.toFixed(1)} %`;
}
