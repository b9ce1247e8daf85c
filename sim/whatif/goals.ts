// Statistics over seeds, goals ('p95<=60s') and what to minimize, for sweeps and searches.
import { METRIC_INDEX, METRICS, type MetricName } from "./metrics.js";
import { WhatIfInputError } from "./paths.js";

export interface Agg {
  mean: number;
  sd: number;
  min: number;
  max: number;
}

/** Per metric (METRICS order): mean, sample standard deviation, min, max over the seeds' rows. */
export function aggregate(rows: readonly Float64Array[]): Agg[] {
  return METRICS.map((_, k) => {
    const xs = rows.map((r) => r[k]);
    const n = xs.length;
    if (n === 0) return { mean: NaN, sd: NaN, min: NaN, max: NaN };
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const x of xs) {
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const mean = sum / n;
    let ss = 0;
    if (Number.isFinite(mean)) for (const x of xs) ss += (x - mean) ** 2;
    const sd = !Number.isFinite(mean) ? NaN : n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
    return { mean, sd, min, max };
  });
}

/** What a run costs: replica-hours × price per replica-hour (1 when no price is given: replica-hours). */
export interface CostModel {
  pricePerReplicaHour: number | null;
}

export const costOf = (row: Float64Array, c: CostModel): number => (row[METRIC_INDEX.replicaSeconds] / 3600) * (c.pricePerReplicaHour ?? 1);

export const costUnit = (c: CostModel): string => (c.pricePerReplicaHour === null ? "replica·h" : `× ${c.pricePerReplicaHour} per replica·h`);

/** Names a goal or --minimize may use: the run figures, plus `cost`. */
export type Objective = MetricName | "cost";

const ALIASES: Record<string, Objective> = {
  p50: "p50",
  p95: "p95",
  p99: "p99",
  mean: "meanLatency",
  meanlatency: "meanLatency",
  max: "maxLatency",
  maxlatency: "maxLatency",
  maxwait: "maxWait",
  drain: "drain",
  replicaseconds: "replicaSeconds",
  cost: "cost",
  peak: "peak",
  coldstarts: "coldStarts",
  interrupted: "interrupted",
  flaps: "flaps",
  unfinished: "unfinished",
  redelivered: "redelivered",
  deadlettered: "deadLettered",
  scaleevents: "scaleEvents",
};

const TIME: ReadonlySet<Objective> = new Set(["p50", "p95", "p99", "meanLatency", "maxLatency", "maxWait", "drain"]);

export function objectiveOf(name: string, where: string): Objective {
  const o = ALIASES[name.trim().toLowerCase()];
  if (!o) throw new WhatIfInputError(`${where}: unknown figure "${name}" (one of: ${[...new Set(Object.keys(ALIASES))].join(", ")})`);
  return o;
}

export function valueOf(row: Float64Array, o: Objective, c: CostModel): number {
  return o === "cost" ? costOf(row, c) : row[METRIC_INDEX[o]];
}

export interface Goal {
  text: string;
  metric: Objective;
  op: "<=" | "<" | ">=" | ">" | "==";
  /** Seconds for time figures. */
  bound: number;
}

/** Parse 'p95<=60s', 'maxWait<=2m', 'coldStarts<=1', 'interrupted==0'. */
export function parseGoal(text: string): Goal {
  const m = /^\s*([A-Za-z0-9]+)\s*(<=|>=|==|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!m) throw new WhatIfInputError(`--goal '${text}': expected <figure><op><number>[unit], e.g. 'p95<=60s', 'maxWait<=2m', 'coldStarts<=1'`);
  const metric = objectiveOf(m[1], `--goal '${text}'`);
  const unit = m[4];
  if (unit && !TIME.has(metric)) throw new WhatIfInputError(`--goal '${text}': ${m[1]} is a count, not a time; drop the unit "${unit}"`);
  const mult = unit === "ms" ? 0.001 : unit === "m" || unit === "min" ? 60 : unit === "h" ? 3600 : 1;
  return { text: text.trim(), metric, op: m[2] as Goal["op"], bound: Number(m[3]) * mult };
}

export function goalMet(g: Goal, v: number): boolean {
  if (Number.isNaN(v)) return false;
  switch (g.op) {
    case "<=":
      return v <= g.bound + 1e-9;
    case "<":
      return v < g.bound;
    case ">=":
      return v >= g.bound - 1e-9;
    case ">":
      return v > g.bound;
    case "==":
      return Math.abs(v - g.bound) <= 1e-9;
  }
}

/** How far a value misses a goal, relative to the bound (0 when met). */
export function shortfall(g: Goal, v: number): number {
  if (goalMet(g, v)) return 0;
  if (!Number.isFinite(v)) return 1e6;
  const scale = Math.max(Math.abs(g.bound), 1e-9);
  return Math.abs(v - g.bound) / scale;
}

/** Seeds (rows) on which every goal holds. */
export function seedsMeetingAll(rows: readonly Float64Array[], goals: readonly Goal[], c: CostModel): number {
  let n = 0;
  for (const r of rows) if (goals.every((g) => goalMet(g, valueOf(r, g.metric, c)))) n++;
  return n;
}
