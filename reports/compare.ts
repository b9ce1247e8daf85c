// Sim-vs-real (or any run-vs-run) comparison: pure deltas from two traces + summaries, plus a writer that
// reads two output directories and writes deltas.json and the overlay charts.

import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseTrace, type Actor, type SampleRecord, type Summary } from "../sim/trace.js";
import { renderOverlay } from "./charts.js";
import {
  InputError,
  directionOf,
  onGrid,
  samplesOf,
  scaleRecordsOf,
  validateTrace,
  type Direction,
  type ScaleEvent,
  type Trace,
  maxOf,
} from "./derive.js";

export interface Run {
  trace: Trace;
  summary: Summary;
}

export interface ScalarDelta {
  a: number | null;
  b: number | null;
  /** (b − a) / a × 100; null when either is missing or a = 0 (0 when both are 0). */
  deltaPct: number | null;
  /** 100 − |Δ %| (PerfSim-style accuracy); null with deltaPct. */
  accuracyPct: number | null;
}

export interface TrajectoryDelta {
  rmse: number;
  maxAbs: number;
  /** Grid time of the first largest |Δ|. */
  maxAbsAt: number;
}

export interface EventPair {
  actor: Actor;
  direction: Direction;
  a: ScaleEvent;
  b: ScaleEvent;
  /** b.t − a.t (s). */
  dt: number;
}

export interface Deltas {
  a: { source: string; scenario: string; seed: number };
  b: { source: string; scenario: string; seed: number };
  drainTimeS: ScalarDelta;
  latencyP50S: ScalarDelta;
  latencyP95S: ScalarDelta;
  /** PerfSim reports 80–99 % accuracy; true when the p95 accuracy is >= 80 %. */
  p95WithinPerfSimBand: boolean | null;
  replicas: {
    gridStepS: number;
    /** Grid covers [0, gridEndS]: the union of both traces' sample ranges, last values held. */
    gridEndS: number;
    desired: TrajectoryDelta;
    ready: TrajectoryDelta;
  };
  scaleEvents: {
    pairs: EventPair[];
    unmatchedA: ScaleEvent[];
    unmatchedB: ScaleEvent[];
    maxAbsDtS: number | null;
    meanAbsDtS: number | null;
  };
}

export function scalarDelta(a: number | null | undefined, b: number | null | undefined): ScalarDelta {
  const av = a ?? null;
  const bv = b ?? null;
  let deltaPct: number | null = null;
  if (av !== null && bv !== null) {
    if (av === 0) deltaPct = bv === 0 ? 0 : null;
    else deltaPct = ((bv - av) / Math.abs(av)) * 100;
  }
  return { a: av, b: bv, deltaPct, accuracyPct: deltaPct === null ? null : 100 - Math.abs(deltaPct) };
}

/**
 * RMSE and max |Δ| of a sample field of two runs on a common grid t = 0, step, 2·step, … up to the later of the
 * two last sample times; each run holds its last value (and its first value before its first sample).
 */
export function trajectoryDelta(a: SampleRecord[], b: SampleRecord[], f: (s: SampleRecord) => number, step = 1): TrajectoryDelta & { gridEndS: number } {
  const end = Math.max(a.length ? a[a.length - 1].t : 0, b.length ? b[b.length - 1].t : 0);
  const ga = onGrid(a, f, 0, end, step);
  const gb = onGrid(b, f, 0, end, step);
  const n = Math.max(ga.length, gb.length);
  let sq = 0;
  let maxAbs = 0;
  let maxAbsAt = 0;
  for (let i = 0; i < n; i++) {
    const d = (gb[i] ?? 0) - (ga[i] ?? 0);
    sq += d * d;
    if (Math.abs(d) > maxAbs) {
      maxAbs = Math.abs(d);
      maxAbsAt = i * step;
    }
  }
  return { rmse: n > 0 ? Math.sqrt(sq / n) : 0, maxAbs, maxAbsAt, gridEndS: end };
}

/** One-to-one matching of scale events: within each (actor, direction), the i-th of a with the i-th of b. */
export function matchScaleEvents(a: ScaleEvent[], b: ScaleEvent[]): Deltas["scaleEvents"] {
  const key = (e: ScaleEvent) => `${e.actor}/${directionOf(e)}`;
  const groups = new Map<string, { a: ScaleEvent[]; b: ScaleEvent[] }>();
  for (const [list, side] of [
    [a, "a"],
    [b, "b"],
  ] as const) {
    for (const e of [...list].sort((x, y) => x.t - y.t)) {
      if (e.from === e.to) continue;
      const g = groups.get(key(e)) ?? { a: [], b: [] };
      g[side].push(e);
      groups.set(key(e), g);
    }
  }
  const pairs: EventPair[] = [];
  const unmatchedA: ScaleEvent[] = [];
  const unmatchedB: ScaleEvent[] = [];
  for (const g of groups.values()) {
    const n = Math.min(g.a.length, g.b.length);
    for (let i = 0; i < n; i++) {
      pairs.push({ actor: g.a[i].actor, direction: directionOf(g.a[i]), a: g.a[i], b: g.b[i], dt: g.b[i].t - g.a[i].t });
    }
    unmatchedA.push(...g.a.slice(n));
    unmatchedB.push(...g.b.slice(n));
  }
  pairs.sort((x, y) => x.a.t - y.a.t || x.b.t - y.b.t);
  unmatchedA.sort((x, y) => x.t - y.t);
  unmatchedB.sort((x, y) => x.t - y.t);
  const abs = pairs.map((p) => Math.abs(p.dt));
  return {
    pairs,
    unmatchedA,
    unmatchedB,
    maxAbsDtS: abs.length ? maxOf(abs, (x) => x) : null,
    meanAbsDtS: abs.length ? abs.reduce((x, y) => x + y, 0) / abs.length : null,
  };
}

function eventsOf(run: Run): ScaleEvent[] {
  const fromTrace = scaleRecordsOf(run.trace);
  return fromTrace.length > 0 ? fromTrace : run.summary.scaleEvents;
}

/** Deltas of run b against run a (b − a). Pure. */
export function compareRuns(a: Run, b: Run): Deltas {
  const sa = samplesOf(a.trace);
  const sb = samplesOf(b.trace);
  const desired = trajectoryDelta(sa, sb, (s) => s.desired);
  const ready = trajectoryDelta(sa, sb, (s) => s.ready);
  const p95 = scalarDelta(a.summary.latencyS.p95, b.summary.latencyS.p95);
  const id = (r: Run) => ({ source: r.trace.header.source, scenario: r.trace.header.scenario, seed: r.trace.header.seed });
  return {
    a: id(a),
    b: id(b),
    drainTimeS: scalarDelta(a.summary.drainTimeS, b.summary.drainTimeS),
    latencyP50S: scalarDelta(a.summary.latencyS.p50, b.summary.latencyS.p50),
    latencyP95S: p95,
    p95WithinPerfSimBand: p95.accuracyPct === null ? null : p95.accuracyPct >= 80,
    replicas: {
      gridStepS: 1,
      gridEndS: desired.gridEndS,
      desired: { rmse: desired.rmse, maxAbs: desired.maxAbs, maxAbsAt: desired.maxAbsAt },
      ready: { rmse: ready.rmse, maxAbs: ready.maxAbs, maxAbsAt: ready.maxAbsAt },
    },
    scaleEvents: matchScaleEvents(eventsOf(a), eventsOf(b)),
  };
}

// ---------------------------------------------------------------- reading output directories

/** Reads and validates `<dir>/trace.jsonl` and `<dir>/summary.json`. Throws InputError naming the file. */
export function readRun(dir: string): Run {
  if (!existsSync(dir)) throw new InputError(`${dir}: no such directory`);
  if (!statSync(dir).isDirectory()) throw new InputError(`${dir}: not a directory`);
  const traceFile = join(dir, "trace.jsonl");
  const summaryFile = join(dir, "summary.json");
  for (const f of [traceFile, summaryFile]) if (!existsSync(f)) throw new InputError(`${f}: file not found`);
  let trace: Trace;
  try {
    trace = parseTrace(readFileSync(traceFile, "utf8"), traceFile);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  validateTrace(trace, traceFile);
  let summary: Summary;
  try {
    summary = JSON.parse(readFileSync(summaryFile, "utf8")) as Summary;
  } catch {
    throw new InputError(`${summaryFile}: not valid JSON`);
  }
  if (typeof summary !== "object" || summary === null || typeof summary.latencyS !== "object" || summary.latencyS === null || !Array.isArray(summary.scaleEvents)) {
    throw new InputError(`${summaryFile}: not a kedasim summary (missing latencyS or scaleEvents)`);
  }
  return { trace, summary };
}

/** Legend labels for two runs: their sources, disambiguated by directory name when equal. */
export function labelsFor(a: Run, b: Run, dirA: string, dirB: string): [string, string] {
  const la = a.trace.header.source;
  const lb = b.trace.header.source;
  if (la !== lb) return [la, lb];
  const na = basename(resolve(dirA));
  const nb = basename(resolve(dirB));
  return na !== nb ? [`${la} (${na})`, `${lb} (${nb})`] : [`${la} A`, `${lb} B`];
}

/** Compares two output dirs: writes outDir/deltas.json and the overlay PNGs. */
export async function writeComparison(dirA: string, dirB: string, outDir: string): Promise<{ deltas: Deltas; files: string[] }> {
  const a = readRun(dirA);
  const b = readRun(dirB);
  const deltas = compareRuns(a, b);
  await mkdir(outDir, { recursive: true });
  const [la, lb] = labelsFor(a, b, dirA, dirB);
  const deltasFile = join(outDir, "deltas.json");
  await writeFile(deltasFile, JSON.stringify({ labels: { a: la, b: lb }, ...deltas }, null, 2) + "\n");
  const pngs = await renderOverlay({ label: la, trace: a.trace }, { label: lb, trace: b.trace }, outDir);
  return { deltas, files: [deltasFile, ...pngs] };
}
