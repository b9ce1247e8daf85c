// npm run sim -- sweep <scenario.yaml> --vary <path>=<values> ... [--seeds N] [--workers N] [--price P] [--out DIR]
//
// The cross product of the varied fields, each configuration under N seeds (seed index i runs the
// scenario's seed + i: phases and random draws differ per seed, and every configuration sees the
// same seeds). Writes DIR/sweep.csv (every figure: mean, sd, min, max over seeds), DIR/sweep.md,
// DIR/sweep.json, DIR/pareto.png (cost vs p95, Pareto front) and, with two or more varied fields,
// DIR/heatmap-p95.png and DIR/heatmap-cost.png over the first two.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { renderHeatmap, renderPareto, type HeatCell, type ParetoPoint } from "../../reports/whatif-charts.js";
import { versionsSentence } from "../../reports/report.js";
import { checkAssignment, loadBase, type Assignment, type WhatIfBase } from "./base.js";
import { aggregate, costOf, costUnit, goalMet, seedsMeetingAll, valueOf, type Agg, type CostModel, type Goal } from "./goals.js";
import { METRIC_INDEX, METRICS, type MetricName } from "./metrics.js";
import { shortName, unitOfPath, WhatIfInputError, type Json, type VarySpec } from "./paths.js";
import { defaultWorkers, WhatIfPool, type PoolOutcome } from "./pool.js";
import { interruptible, progressReporter, type Progress } from "./progress.js";

export interface SweepOptions {
  file: string;
  vary: VarySpec[];
  seeds: number;
  workers: number;
  cost: CostModel;
  goals: Goal[];
  outDir: string | null;
  charts: boolean;
  /** Refuse sweeps larger than this many runs (a typo must not start a day of work). */
  maxRuns: number;
  /** Share of seeds on which the goals must hold (advise's evidence rule; shown in sweep tables). */
  confidence: number;
}

export interface SweepRow {
  /** 0 = the scenario as written; 1.. = the grid in order. */
  index: number;
  assignments: Assignment[];
  label: string;
  status: "ok" | "invalid" | "not run";
  error: string | null;
  /** Per-seed figures (seed index order). */
  rows: Float64Array[];
  agg: Agg[] | null;
  cost: Agg | null;
  front: boolean;
  goalSeeds: number | null;
}

export interface SweepResult {
  base: WhatIfBase;
  rows: SweepRow[];
  aborted: boolean;
  runs: number;
  wallMs: number;
  workers: number;
  files: string[];
}

export const fmtValue = (v: Json): string => (typeof v === "string" ? v : JSON.stringify(v));
export const labelOf = (as: readonly Assignment[]): string => (as.length === 0 ? "(as written)" : as.map((a) => `${a.path.text}=${fmtValue(a.value)}`).join(", "));

/** Every combination of the varied values, first field slowest (grid order). */
export function crossProduct(vary: readonly VarySpec[]): Assignment[][] {
  let out: Assignment[][] = [[]];
  for (const v of vary) {
    const next: Assignment[][] = [];
    for (const prefix of out) for (const value of v.values) next.push([...prefix, { path: v.path, value }]);
    out = next;
  }
  return out;
}

/** Validate each varied value on its own against the scenario (exit-2 errors name the path and what exists there). */
export function checkVary(base: WhatIfBase, vary: readonly VarySpec[]): void {
  const seen = new Set<string>();
  for (const v of vary) {
    const key = `${v.path.target}:${JSON.stringify(v.path.segments)}`;
    if (seen.has(key)) throw new WhatIfInputError(`--vary ${v.path.text}: the same field is varied twice; give all its values in one --vary`);
    seen.add(key);
    for (const value of v.values) checkAssignment(base, { path: v.path, value });
  }
}

/** Configurations not dominated in (mean cost, mean p95): nothing else is at least as cheap and as fast and better in one. */
export function paretoFront(points: ReadonlyArray<{ cost: number; p95: number }>): boolean[] {
  return points.map((p, i) => {
    if (!Number.isFinite(p.cost) || !Number.isFinite(p.p95)) return false;
    return !points.some((q, j) => j !== i && Number.isFinite(q.cost) && Number.isFinite(q.p95) && q.cost <= p.cost && q.p95 <= p.p95 && (q.cost < p.cost || q.p95 < p.p95));
  });
}

/** Run a set of configurations (index 0 = as written) on the pool and assemble the rows. */
export async function runConfigs(
  pool: WhatIfPool,
  configs: readonly Assignment[][],
  seeds: number,
  progress: Progress,
  label: string,
  cost: CostModel,
  goals: readonly Goal[],
): Promise<{ rows: SweepRow[]; outcome: PoolOutcome }> {
  const seedIndexes = Array.from({ length: seeds }, (_, i) => i);
  const jobs = configs.map((assignments, key) => ({ key, assignments, seedIndexes }));
  progress.stage(label, jobs.length * seeds);
  const outcome = await pool.run(jobs, (d) => progress.update(d));
  progress.stop();
  const rows = configs.map((assignments, index): SweepRow => {
    const err = outcome.errors.get(index) ?? null;
    const figs = outcome.figures.get(index);
    const ok = !err && figs !== undefined;
    const agg = ok ? aggregate(figs) : null;
    const costAgg = ok ? aggregateCost(figs, cost) : null;
    return {
      index,
      assignments,
      label: labelOf(assignments),
      status: err ? "invalid" : ok ? "ok" : "not run",
      error: err,
      rows: ok ? figs : [],
      agg,
      cost: costAgg,
      front: false,
      goalSeeds: ok && goals.length ? seedsMeetingAll(figs, goals, cost) : null,
    };
  });
  const front = paretoFront(rows.map((r) => ({ cost: r.cost?.mean ?? NaN, p95: r.agg?.[METRIC_INDEX.p95].mean ?? NaN })));
  rows.forEach((r, i) => (r.front = front[i]));
  return { rows, outcome };
}

function aggregateCost(rows: readonly Float64Array[], c: CostModel): Agg {
  // cost is a multiple of replica-seconds: aggregate it the same way
  const xs = rows.map((r) => costOf(r, c));
  const one = xs.map((x) => Float64Array.of(...METRICS.map((m) => (m === "replicaSeconds" ? x : 0))));
  return aggregate(one)[METRIC_INDEX.replicaSeconds];
}

// ---------------------------------------------------------------- output

const num = (x: number, d = 1): string => (Number.isNaN(x) ? "" : !Number.isFinite(x) ? "∞" : x.toFixed(d));
const csvNum = (x: number): string => (Number.isNaN(x) ? "" : x === Infinity ? "inf" : x === -Infinity ? "-inf" : String(Math.round(x * 1e6) / 1e6));
const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);


export function sweepCsv(rows: readonly SweepRow[], vary: readonly VarySpec[], cost: CostModel, goals: readonly Goal[], seeds: number): string {
  const head = ["config", ...vary.map((v) => v.path.text), "status", "seeds"];
  for (const m of METRICS) head.push(`${m}_mean`, `${m}_sd`, `${m}_min`, `${m}_max`);
  head.push("cost_mean", "cost_sd", "cost_min", "cost_max", "pareto");
  if (goals.length) head.push("goal_seeds_met");
  head.push("error");
  const lines = [head.map(csvCell).join(",")];
  for (const r of rows) {
    const vals = vary.map((v) => {
      const a = r.assignments.find((x) => x.path.text === v.path.text);
      return a ? fmtValue(a.value) : "(as written)";
    });
    const cells = [String(r.index), ...vals, r.status, String(r.rows.length || (r.status === "ok" ? seeds : 0))];
    for (let k = 0; k < METRICS.length; k++) {
      const a = r.agg?.[k];
      cells.push(...(a ? [a.mean, a.sd, a.min, a.max].map(csvNum) : ["", "", "", ""]));
    }
    cells.push(...(r.cost ? [r.cost.mean, r.cost.sd, r.cost.min, r.cost.max].map(csvNum) : ["", "", "", ""]));
    cells.push(r.front ? "yes" : "");
    if (goals.length) cells.push(r.goalSeeds === null ? "" : String(r.goalSeeds));
    cells.push(r.error ?? "");
    void cost;
    lines.push(cells.map(csvCell).join(","));
  }
  return lines.join("\n") + "\n";
}

export function sweepMarkdown(res: { base: WhatIfBase; rows: readonly SweepRow[]; aborted: boolean; runs: number; wallMs: number; workers: number }, o: SweepOptions, maxRows = 200): string {
  const L: string[] = [];
  const sc = res.base.scenario;
  L.push(`# Sweep of ${sc.name}`);
  L.push("");
  L.push(`Scenario \`${res.base.displayFile}\`; ${o.vary.length} varied field${o.vary.length === 1 ? "" : "s"}; ${res.rows.length - 1} configurations plus the scenario as written; ${o.seeds} seeds each (seed ${sc.seed} + 0..${o.seeds - 1}); ${res.runs} runs in ${(res.wallMs / 1000).toFixed(1)} s on ${res.workers} worker${res.workers === 1 ? "" : "s"}.${versionsSentence(sc.scaledObject)}`);
  if (res.aborted) L.push("", "**Interrupted (Ctrl-C): configurations marked \"not run\" did not finish all their seeds.**");
  L.push("");
  for (const v of o.vary) L.push(`- \`${v.path.text}\` (${v.path.target === "scenario" ? "scenario" : "ScaledObject " + v.path.segments.join(".").replace(/\.(\d+)/g, "[$1]")}): ${v.values.map(fmtValue).join(", ")}`);
  L.push("");
  L.push(`Figures are means over the seeds (p95 also ± its standard deviation; max wait is the largest over the seeds). Latency is arrival → completion over every message produced (a message not completed counts as infinitely late, shown ∞). Cost: ${costUnit(o.cost)}. Pareto: no other configuration is both cheaper and has a lower mean p95.`);
  if (o.goals.length) L.push(`Goals: ${o.goals.map((g) => `\`${g.text}\``).join(", ")}; the column says on how many seeds all of them held (≥ ${Math.ceil(o.confidence * o.seeds)} of ${o.seeds} is ≥ ${Math.round(o.confidence * 100)} %).`);
  L.push("");
  const head = ["#", "configuration", "p50 (s)", "p95 (s)", "p99 (s)", "max wait (s)", "replica·s", "cost", "cold starts", "interrupted", "flaps", "peak", "Pareto"];
  if (o.goals.length) head.push("goals met");
  L.push(`| ${head.join(" | ")} |`);
  L.push(`| ${head.map((h, i) => (i <= 1 ? "---" : "---:")).join(" | ")} |`);
  const shown = res.rows.length <= maxRows ? res.rows : res.rows.filter((r) => r.index === 0 || r.front || r.index <= maxRows);
  for (const r of shown) {
    const a = r.agg;
    const g = (m: MetricName) => (a ? a[METRIC_INDEX[m]] : null);
    const cells =
      r.status !== "ok" || !a
        ? [String(r.index), r.label, r.status === "invalid" ? `invalid: ${r.error}` : "not run", "", "", "", "", "", "", "", "", "", ""]
        : [
            String(r.index),
            r.index === 0 ? "**as written**" : r.label,
            num(g("p50")!.mean),
            `${num(g("p95")!.mean)} ± ${num(g("p95")!.sd)}`,
            num(g("p99")!.mean),
            num(g("maxWait")!.max),
            num(g("replicaSeconds")!.mean, 0),
            num(r.cost!.mean, 3),
            num(g("coldStarts")!.mean, 2),
            num(g("interrupted")!.mean, 2),
            num(g("flaps")!.mean, 2),
            num(g("peak")!.mean, 1),
            r.front ? "yes" : "",
          ];
    if (o.goals.length) cells.push(r.goalSeeds === null ? "" : `${r.goalSeeds}/${o.seeds}`);
    L.push(`| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
  }
  if (shown.length < res.rows.length) L.push("", `(${res.rows.length - shown.length} more rows in sweep.csv)`);
  L.push("");
  return L.join("\n");
}

const withUnit = (v: VarySpec) => (unitOfPath(v.path) ? `${v.path.text} (${unitOfPath(v.path)})` : v.path.text);

async function sweepCharts(res: { base: WhatIfBase; rows: readonly SweepRow[] }, o: SweepOptions, dir: string): Promise<string[]> {
  const files: string[] = [];
  const ok = res.rows.filter((r) => r.status === "ok" && r.agg);
  const short = (r: SweepRow) => (r.index === 0 ? "as written" : r.assignments.map((a) => `${shortName(a.path)}=${fmtValue(a.value)}`).join(", "));
  const points: ParetoPoint[] = ok.map((r) => ({ p95: r.agg![METRIC_INDEX.p95].mean, cost: r.cost!.mean, label: short(r), front: r.front, baseline: r.index === 0 }));
  const costLabel = o.cost.pricePerReplicaHour === null ? "cost per run: replica-hours (mean over seeds)" : `cost per run: replica-hours × ${o.cost.pricePerReplicaHour} (mean over seeds)`;
  files.push(
    await renderPareto(points, { title: `Cost vs latency p95 — ${res.base.scenario.name}`, subtitle: `${ok.length} configurations × ${o.seeds} seeds; varied: ${o.vary.map((v) => v.path.text).join(", ")}`, costLabel }, join(dir, "pareto.png")),
  );
  if (o.vary.length >= 2) {
    const [vx, vy, ...rest] = o.vary;
    // Other varied fields at their first listed value (named in the subtitle).
    const fixed = rest.map((v) => ({ text: v.path.text, value: v.values[0] }));
    const pick = (xv: Json, yv: Json) =>
      res.rows.find(
        (r) =>
          r.index > 0 &&
          r.assignments[0] &&
          JSON.stringify(r.assignments[0].value) === JSON.stringify(xv) &&
          JSON.stringify(r.assignments[1].value) === JSON.stringify(yv) &&
          fixed.every((f, k) => JSON.stringify(r.assignments[k + 2].value) === JSON.stringify(f.value)),
      );
    const xLabels = vx.values.map(fmtValue);
    const yLabels = vy.values.map(fmtValue);
    const fixedText = fixed.length ? `; ${fixed.map((f) => `${f.text}=${fmtValue(f.value)}`).join(", ")}` : "";
    for (const [what, title, fmt, get] of [
      ["p95", "latency p95, mean over seeds (s)", (v: number) => v.toFixed(1), (r: SweepRow) => r.agg![METRIC_INDEX.p95].mean],
      ["cost", o.cost.pricePerReplicaHour === null ? "replica-hours per run (mean)" : `cost per run (mean, × ${o.cost.pricePerReplicaHour} per replica-hour)`, (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(3)), (r: SweepRow) => r.cost!.mean],
    ] as const) {
      const cells: HeatCell[] = [];
      for (const yv of vy.values) for (const xv of vx.values) {
        const r = pick(xv, yv);
        cells.push({ x: fmtValue(xv), y: fmtValue(yv), v: r && r.status === "ok" && r.agg ? get(r) : null });
      }
      files.push(
        await renderHeatmap(
          cells,
          { title: `${what === "p95" ? "Latency p95" : "Cost"} over ${vx.path.text} × ${vy.path.text}`, subtitle: `${res.base.scenario.name}, ${o.seeds} seeds per cell${fixedText}; grey: invalid combination`, xTitle: withUnit(vx), yTitle: withUnit(vy), xLabels, yLabels, valueTitle: title, format: fmt },
          join(dir, `heatmap-${what}.png`),
        ),
      );
    }
  }
  return files;
}

/** The whole sweep: validate, run, write outputs. */
export async function runSweep(o: SweepOptions, log: (s: string) => void = (s) => process.stdout.write(s + "\n"), progress: Progress = progressReporter()): Promise<SweepResult> {
  const base = loadBase(o.file);
  if (o.vary.length === 0) throw new WhatIfInputError("sweep: give at least one --vary <path>=<values>, e.g. --vary cooldownPeriod=30,60,120,300");
  // Count before building: the grid of two 10 000-value fields is 10^8 combinations, which would run out
  // of memory before --max-runs could refuse it.
  const configs = o.vary.reduce((n, v) => n * v.values.length, 1);
  const runs = (configs + 1) * o.seeds;
  if (runs > o.maxRuns) {
    throw new WhatIfInputError(`sweep: ${configs.toLocaleString("en-US")} configurations × ${o.seeds} seeds = ${runs.toLocaleString("en-US")} runs, more than --max-runs ${o.maxRuns.toLocaleString("en-US")}; vary fewer values or raise --max-runs`);
  }
  checkVary(base, o.vary);
  const grid = crossProduct(o.vary);
  for (const w of base.scenario.warnings) log(`kedasim: warning: ${w}`);
  log(`sweep ${base.scenario.name}: ${grid.length} configurations (+ the scenario as written) × ${o.seeds} seeds = ${runs} runs on ${o.workers} worker${o.workers === 1 ? "" : "s"}`);
  const pool = await WhatIfPool.start(o.file, o.workers);
  const uninstall = interruptible(pool, () => progress.stop());
  let result;
  try {
    result = await runConfigs(pool, [[], ...grid], o.seeds, progress, "sweep", o.cost, o.goals);
  } finally {
    uninstall();
    await pool.close();
  }
  const { rows, outcome } = result;
  if (!outcome.aborted && rows.length > 1 && rows.slice(1).every((r) => r.status === "invalid")) {
    throw new WhatIfInputError(`sweep: every configuration is invalid, e.g. ${rows[1].label}: ${rows[1].error}`);
  }
  const res: SweepResult = { base, rows, aborted: outcome.aborted, runs: outcome.runs, wallMs: outcome.wallMs, workers: pool.size, files: [] };
  if (o.outDir) {
    mkdirSync(o.outDir, { recursive: true });
    const csv = join(o.outDir, "sweep.csv");
    writeFileSync(csv, sweepCsv(rows, o.vary, o.cost, o.goals, o.seeds));
    const md = join(o.outDir, "sweep.md");
    writeFileSync(md, sweepMarkdown(res, o));
    const json = join(o.outDir, "sweep.json");
    writeFileSync(json, JSON.stringify(sweepJson(res, o), null, 2) + "\n");
    res.files.push(csv, md, json);
    if (o.charts && rows.some((r) => r.status === "ok")) res.files.push(...(await sweepCharts(res, o, o.outDir)));
  }
  log(summaryLines(res, o).join("\n"));
  if (o.outDir) log(`   → ${res.files.map((f) => relative(process.cwd(), f) || f).join(", ")}`);
  return res;
}

function sweepJson(res: SweepResult, o: SweepOptions) {
  return {
    scenario: res.base.scenario.name,
    file: res.base.displayFile,
    seeds: o.seeds,
    seedOf: `scenario seed (${res.base.scenario.seed}) + seed index`,
    workers: res.workers,
    runs: res.runs,
    wallS: res.wallMs / 1000,
    aborted: res.aborted,
    cost: { pricePerReplicaHour: o.cost.pricePerReplicaHour, unit: costUnit(o.cost) },
    goals: o.goals.map((g) => g.text),
    vary: o.vary.map((v) => ({ path: v.path.text, target: v.path.target, values: v.values })),
    configs: res.rows.map((r) => ({
      index: r.index,
      label: r.label,
      assignments: r.assignments.map((a) => ({ path: a.path.text, value: a.value })),
      status: r.status,
      error: r.error,
      pareto: r.front,
      goalSeedsMet: r.goalSeeds,
      cost: r.cost,
      figures: r.agg ? Object.fromEntries(METRICS.map((m, k) => [m, r.agg![k]])) : null,
    })),
  };
}

/** What the terminal shows: the baseline, the Pareto front (cheapest first), and the counts. */
export function summaryLines(res: { rows: readonly SweepRow[]; aborted: boolean; runs: number; wallMs: number; workers: number }, o: SweepOptions): string[] {
  const L: string[] = [];
  const line = (r: SweepRow) => {
    const a = r.agg!;
    const goal = r.goalSeeds === null ? "" : `, goals ${r.goalSeeds}/${o.seeds}${o.goals.length && r.goalSeeds >= Math.ceil(o.confidence * o.seeds) ? " ✓" : ""}`;
    return `p95 ${num(a[METRIC_INDEX.p95].mean)} ± ${num(a[METRIC_INDEX.p95].sd)} s, max wait ${num(a[METRIC_INDEX.maxWait].max)} s, ${num(a[METRIC_INDEX.replicaSeconds].mean, 0)} replica·s, cost ${num(r.cost!.mean, 3)}, cold starts ${num(a[METRIC_INDEX.coldStarts].mean, 2)}, interrupted ${num(a[METRIC_INDEX.interrupted].mean, 2)}, flaps ${num(a[METRIC_INDEX.flaps].mean, 2)}${goal}`;
  };
  const base = res.rows[0];
  if (base?.status === "ok") L.push(`   as written: ${line(base)}`);
  const front = res.rows.filter((r) => r.front && r.index > 0).sort((a, b) => a.cost!.mean - b.cost!.mean);
  L.push(`   Pareto front (${front.length} of ${res.rows.length - 1}; cheapest first):`);
  for (const r of front.slice(0, 15)) L.push(`     #${r.index} ${r.label}: ${line(r)}`);
  if (front.length > 15) L.push(`     … ${front.length - 15} more in sweep.md`);
  const invalid = res.rows.filter((r) => r.status === "invalid");
  if (invalid.length) L.push(`   ${invalid.length} invalid combination${invalid.length === 1 ? "" : "s"} (e.g. #${invalid[0].index} ${invalid[0].label}: ${invalid[0].error})`);
  const notRun = res.rows.filter((r) => r.status === "not run");
  if (notRun.length) L.push(`   ${notRun.length} configuration${notRun.length === 1 ? "" : "s"} not run (interrupted)`);
  L.push(`   ${res.runs} runs in ${(res.wallMs / 1000).toFixed(1)} s (${(res.runs / Math.max(1e-9, res.wallMs / 1000)).toFixed(0)} runs/s) on ${res.workers} worker${res.workers === 1 ? "" : "s"}${res.aborted ? " — interrupted" : ""}`);
  return L;
}

export { defaultWorkers, goalMet, valueOf };
