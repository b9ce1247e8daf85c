// npm run sim -- advise <scenario.yaml> --goal 'p95<=60s' [--goal ...] [--minimize cost] ...
//
// Searches the ScaledObject's knobs (sim/whatif/knobs.ts) with sim/whatif/search.ts, then writes
// DIR/advice.md (the answer, the evidence, the why), DIR/recommended-scaledobject.yaml (paste-ready),
// DIR/scaledobject.diff, DIR/candidates.csv and the before/after overlay charts DIR/compare-*.png.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createTwoFilesPatch } from "diff";
import { stringify } from "yaml";
import { renderOverlay } from "../../reports/charts.js";
import { versionsSentence } from "../../reports/report.js";
import { simulate } from "../run.js";
import { applyAssignments, loadBase, resolveVariant, seedOf, variantOf, type Assignment, type WhatIfBase } from "./base.js";
import { aggregate, costOf, costUnit, type Agg, type CostModel, type Goal, type Objective } from "./goals.js";
import { defaultKnobs, valueText, withBounds, type Knob } from "./knobs.js";
import { METRIC_INDEX, METRIC_INFO, type MetricName } from "./metrics.js";
import { WhatIfInputError, WhatIfInterrupted, type VarySpec } from "./paths.js";
import { WhatIfPool } from "./pool.js";
import { interruptible, progressReporter, type Progress } from "./progress.js";
import { keyOf, search, type Config, type Evaluator, type Score, type SearchResult } from "./search.js";
import { explain, type Change } from "./why.js";
import { checkAssignment } from "./base.js";

export interface AdviseOptions {
  file: string;
  goals: Goal[];
  minimize: Objective;
  cost: CostModel;
  seeds: number;
  confidence: number;
  bounds: VarySpec[];
  fixed: string[];
  /** Runs the search may make; null = from the scenario's size (events per run). */
  budget: number | null;
  workers: number;
  outDir: string | null;
  charts: boolean;
}

export interface AdviseResult {
  base: WhatIfBase;
  knobs: Knob[];
  search: SearchResult;
  recommended: Assignment[];
  met: boolean;
  yaml: string;
  diff: string;
  why: string[];
  files: string[];
  aborted: boolean;
  wallMs: number;
  workers: number;
}

/** Simulation events the default search may spend (README: 6 to 150 s per shipped scenario on 2 shared cores). */
export const DEFAULT_EVENT_BUDGET = 60_000_000;
export const MAX_DEFAULT_RUNS = 60_000;

export const assignmentsOf = (knobs: readonly Knob[], c: Config): Assignment[] =>
  knobs.flatMap((k, i) => (c[i] === k.current ? [] : [{ path: k.path, value: k.values[c[i]] }]));

/** Evaluations through the worker pool, cached per (configuration, seed index). */
class PoolEvaluator implements Evaluator {
  private cache = new Map<string, Float64Array[] | null>();
  /** Why a configuration is invalid: the first failing run's message. */
  readonly errors = new Map<string, string>();
  runs = 0;
  constructor(
    private pool: WhatIfPool,
    private knobs: readonly Knob[],
    private progress: Progress,
  ) {}
  get aborted(): boolean {
    return this.pool.isAborted;
  }
  async evaluate(configs: readonly Config[], seeds: number, stage: string): Promise<Map<string, Float64Array[] | null>> {
    const jobs = [];
    const byKey = new Map<number, string>();
    let k = 0;
    for (const c of configs) {
      const key = keyOf(c);
      const have = this.cache.get(key);
      if (have === null) continue; // invalid: no need to run again
      const n = have ? have.length : 0;
      if (n >= seeds) continue;
      const seedIndexes = Array.from({ length: seeds - n }, (_, i) => n + i);
      byKey.set(k, key);
      jobs.push({ key: k++, assignments: assignmentsOf(this.knobs, c), seedIndexes });
    }
    if (jobs.length) {
      this.progress.stage(stage, jobs.reduce((n, j) => n + j.seedIndexes.length, 0));
      const out = await this.pool.run(jobs, (d) => this.progress.update(d));
      this.progress.stop();
      this.runs += out.runs;
      for (const [jk, key] of byKey) {
        if (out.errors.has(jk)) {
          this.cache.set(key, null);
          this.errors.set(key, out.errors.get(jk)!);
        }
        else {
          const rows = out.figures.get(jk);
          if (rows) this.cache.set(key, [...(this.cache.get(key) ?? []), ...rows]);
        }
      }
    }
    const res = new Map<string, Float64Array[] | null>();
    for (const c of configs) {
      const key = keyOf(c);
      const rows = this.cache.get(key);
      res.set(key, rows === null ? null : rows && rows.length >= seeds ? rows.slice(0, seeds) : rows && rows.length ? rows : null);
    }
    return res;
  }
  rowsOf(c: Config): Float64Array[] | null {
    return this.cache.get(keyOf(c)) ?? null;
  }
}

const num = (x: number, d = 1) => (Number.isNaN(x) ? "–" : !Number.isFinite(x) ? "∞" : x.toFixed(d));

function evidenceTable(knobsRows: Array<{ name: string; rows: Float64Array[]; score: Score }>, o: AdviseOptions): string[] {
  const figs: MetricName[] = ["p50", "p95", "p99", "maxWait", "replicaSeconds", "peak", "coldStarts", "interrupted", "flaps", "drain"];
  const head = ["", `goals met (of ${o.seeds} seeds)`, ...figs.map((f) => `${f}${METRIC_INFO[f].unit === "s" ? " (s)" : ""}`), `cost (${costUnit(o.cost)})`];
  const L = [`| ${head.join(" | ")} |`, `| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`];
  for (const r of knobsRows) {
    const agg: Agg[] = aggregate(r.rows);
    const cells = [r.name, `${r.score.met} (${((100 * r.score.met) / Math.max(1, r.score.seeds)).toFixed(0)} %)`];
    for (const f of figs) {
      const a = agg[METRIC_INDEX[f]];
      const d = f === "replicaSeconds" ? 0 : f === "coldStarts" || f === "interrupted" || f === "flaps" ? 2 : 1;
      cells.push(f === "maxWait" ? `${num(a.mean, d)} (max ${num(a.max, d)})` : `${num(a.mean, d)}${r.rows.length > 1 && Number.isFinite(a.sd) && a.sd > 0 ? ` ± ${num(a.sd, d)}` : ""}`);
    }
    const costs = r.rows.map((x) => costOf(x, o.cost));
    cells.push(num(costs.reduce((a, b) => a + b, 0) / Math.max(1, costs.length), 3));
    L.push(`| ${cells.join(" | ")} |`);
  }
  return L;
}

export async function runAdvise(o: AdviseOptions, log: (s: string) => void = (s) => process.stdout.write(s + "\n"), progress: Progress = progressReporter()): Promise<AdviseResult> {
  const t0 = performance.now();
  const base = loadBase(o.file);
  // A default value that this ScaledObject cannot take on its own (maxReplicaCount 2 below a
  // minReplicaCount of 3) is left out; a bad --bound value is the user's input error (exit 2).
  const defaults = defaultKnobs(base).map((k) => {
    const keep = k.values.map((v, i) => {
      if (i === k.current) return true;
      try {
        checkAssignment(base, { path: k.path, value: v });
        return true;
      } catch (e) {
        if (e instanceof WhatIfInputError) return false;
        throw e;
      }
    });
    return { ...k, values: k.values.filter((_, i) => keep[i]), current: keep.slice(0, k.current).filter(Boolean).length };
  });
  let knobs = withBounds(base, defaults, o.bounds, o.fixed);
  for (const b of o.bounds) for (const v of b.values) checkAssignment(base, { path: b.path, value: v });
  knobs = knobs.filter((k) => k.values.length > 1);
  if (knobs.length === 0) throw new WhatIfInputError("advise: no knob has more than one value to try (check --fix and --bound)");
  for (const w of base.scenario.warnings) log(`kedasim: warning: ${w}`);

  const pool = await WhatIfPool.start(o.file, o.workers);
  const uninstall = interruptible(pool, () => progress.stop());
  const ev = new PoolEvaluator(pool, knobs, progress);
  let result: SearchResult;
  let budget: number;
  try {
    // The baseline first: its size (events per run) sets the default budget, deterministically.
    const baseRows = await ev.evaluate([knobs.map((k) => k.current)], Math.min(4, o.seeds), "advise: the scenario as written");
    const rows0 = [...baseRows.values()][0];
    if (!rows0) {
      if (ev.aborted) throw new WhatIfInterrupted("advise: interrupted (Ctrl-C) while running the scenario as written; nothing to report");
      const why = ev.errors.get(keyOf(knobs.map((k) => k.current)));
      throw new WhatIfInputError(`advise: the scenario as written does not run${why ? `: ${why}` : ""}`);
    }
    const events = rows0.reduce((n, r) => n + r[METRIC_INDEX.events], 0) / rows0.length;
    budget = o.budget ?? Math.max(20 * o.seeds, Math.min(MAX_DEFAULT_RUNS, Math.floor(DEFAULT_EVENT_BUDGET / Math.max(1, events))));
    const space = knobs.reduce((n, k) => n * k.values.length, 1);
    log(
      `advise ${base.scenario.name}: ${knobs.length} knobs (${knobs.map((k) => `${k.path.text}: ${k.values.length}`).join(", ")}), ${space.toLocaleString("en-US")} combinations; ` +
        `goals ${o.goals.map((g) => g.text).join(", ")} on ≥ ${Math.round(o.confidence * 100)} % of ${o.seeds} seeds; minimize ${o.minimize}; budget ${budget.toLocaleString("en-US")} runs (~${events.toFixed(0)} events per run) on ${pool.size} worker${pool.size === 1 ? "" : "s"}`,
    );
    result = await search(knobs, ev, { goals: o.goals, minimize: o.minimize, cost: o.cost, seeds: o.seeds, confidence: o.confidence, budget, rngSeed: base.scenario.seed });
  } finally {
    uninstall();
    await pool.close();
  }
  const best = result.best;
  const recommended = assignmentsOf(knobs, best.config);
  const met = best.feasible;
  const { scaledObject: recSo } = applyAssignments(base, recommended);
  const yaml = stringify(recSo, { lineWidth: 0 });
  const origYaml = stringify(base.scaledObject, { lineWidth: 0 });
  const diff = createTwoFilesPatch("ScaledObject (as written)", "ScaledObject (recommended)", origYaml, yaml, "", "", { context: 3 });

  // Before/after runs on the scenario's own seed (seed index 0), kept for the WHY and the charts.
  const beforeSc = resolveVariant(base, variantOf(base, []), 0);
  const afterSc = resolveVariant(base, variantOf(base, recommended), 0);
  const before = simulate(beforeSc);
  const after = simulate(afterSc);
  const changes: Change[] = knobs.flatMap((k, i) => (best.config[i] === k.current ? [] : [{ path: k.path.text, from: valueText(k, k.current), to: valueText(k, best.config[i]) }]));
  const why = recommended.length ? explain({ header: before.header, records: before.records }, { header: after.header, records: after.records }, changes) : [];

  const evRows = (c: Config) => ev.rowsOf(c)?.slice(0, o.seeds) ?? [];
  const L: string[] = [];
  L.push(`# Advice for ${base.scenario.name}`);
  L.push("");
  L.push(`Scenario \`${base.displayFile}\`. Goals: ${o.goals.map((g) => `\`${g.text}\``).join(", ")} on at least ${Math.round(o.confidence * 100)} % of ${o.seeds} seeds (seeds ${base.scenario.seed}..${seedOf(base.scenario.seed, o.seeds - 1)}: KEDA/HPA phases and random draws differ per seed). Minimize: ${o.minimize === "cost" ? `cost (${costUnit(o.cost)}, mean over seeds)` : `${o.minimize} (mean over seeds)`}.${versionsSentence(base.scenario.scaledObject)}`);
  L.push("");
  if (result.aborted) L.push("**Interrupted (Ctrl-C): the search stopped early; this is the best found so far.**", "");
  if (!met) {
    L.push(`**No configuration within the bounds meets the goals on ${Math.round(o.confidence * 100)} % of the seeds.** The closest one meets them on ${best.met} of ${best.seeds} seeds${best.changed === 0 ? " (the ScaledObject as written)" : ""}; widen the bounds (--bound) or relax a goal.`, "");
  } else if (recommended.length === 0) {
    L.push(`**The ScaledObject as written is the best found**: it meets the goals on ${best.met} of ${best.seeds} seeds and no configuration in the bounds that meets them is cheaper (by more than 1 %).`, "");
  } else {
    L.push(`**Recommended** (${recommended.length} change${recommended.length === 1 ? "" : "s"}): ${changes.map((c) => `\`${c.path}\`: ${c.from} → ${c.to}`).join("; ")}.`, "");
  }
  L.push("## Evidence", "");
  L.push(...evidenceTable([
    { name: "as written", rows: evRows(knobs.map((k) => k.current)), score: result.baseline },
    ...(recommended.length ? [{ name: met ? "recommended" : "closest", rows: evRows(best.config), score: best }] : []),
  ], o));
  L.push("", "Latency is arrival → completion over every message produced (a message never completed counts as infinitely late). Means over seeds, ± the standard deviation.", "");
  if (why.length) {
    L.push("## Why", "");
    for (const w of why) L.push(`- ${w}`);
    L.push("");
  }
  L.push("## Recommended ScaledObject", "", "```yaml", yaml.trimEnd(), "```", "");
  // A --bound on a scenario path (the HPA controller's flags, the workload) can change what is not in
  // the ScaledObject: said here, or the paste-ready YAML and the diff would miss a recommended change.
  const outside = changes.filter((_, i) => recommended[i]?.path.target === "scenario");
  if (outside.length) {
    L.push("**Not in the ScaledObject** (set these where they live — the scenario, the HPA controller's flags, the Deployment):", "");
    for (const c of outside) L.push(`- \`${c.path}\`: ${c.from} → ${c.to}`);
    L.push("");
  }
  L.push("## Diff", "", "```diff", diff.trimEnd(), "```", "");
  if (o.charts) L.push("## Before vs after (seed " + base.scenario.seed + ")", "", "![replicas](compare-replicas.png)", "", "![backlog](compare-backlog.png)", "", "![latency](compare-latency.png)", "");
  L.push("## Search", "");
  L.push(`Knobs and the values tried:`, "");
  for (const k of knobs) L.push(`- \`${k.path.text}\`: ${k.values.map((_, i) => (i === k.current ? `**${valueText(k, i)}**` : valueText(k, i))).join(", ")}`);
  L.push("");
  for (const s of result.log) L.push(`- ${s.stage}: ${s.candidates ? `${s.candidates} candidates × ${s.seeds} seeds, kept ${s.kept}` : `${s.seeds} seeds`}`);
  const wallMs = performance.now() - t0;
  L.push("", `${result.runs.toLocaleString("en-US")} runs (budget ${budget!.toLocaleString("en-US")}${result.budgetHit ? ", reached" : ""}) in ${(wallMs / 1000).toFixed(1)} s on ${pool.size} worker${pool.size === 1 ? "" : "s"}. Every candidate scored on all ${o.seeds} seeds is in candidates.csv.`, "");
  const md = L.join("\n");

  const files: string[] = [];
  if (o.outDir) {
    mkdirSync(o.outDir, { recursive: true });
    const write = (name: string, text: string) => {
      const f = join(o.outDir!, name);
      writeFileSync(f, text);
      files.push(f);
    };
    write("advice.md", md);
    write("recommended-scaledobject.yaml", `# kedasim advise for ${base.scenario.name}: ${met ? "meets" : "does NOT meet"} ${o.goals.map((g) => g.text).join(", ")} on ${best.met}/${best.seeds} seeds\n${yaml}`);
    write("scaledobject.diff", diff);
    const head = ["rank", ...knobs.map((k) => k.path.text), "seeds", "goals_met", "feasible", `mean_${o.minimize}`, "changed"];
    const csv = [head.join(",")];
    result.finalists.forEach((s, r) => csv.push([String(r + 1), ...knobs.map((k, i) => JSON.stringify(valueText(k, s.config[i]))), String(s.seeds), String(s.met), s.feasible ? "yes" : "no", Number.isFinite(s.objective) ? String(Math.round(s.objective * 1e6) / 1e6) : "inf", String(s.changed)].join(",")));
    write("candidates.csv", csv.join("\n") + "\n");
    if (o.charts && recommended.length) {
      files.push(...(await renderOverlay({ label: "before (as written)", trace: { header: before.header, records: before.records } }, { label: met ? "after (recommended)" : "closest", trace: { header: after.header, records: after.records } }, o.outDir)));
    }
  }
  // The terminal: the answer, the evidence, the YAML, the diff and the why.
  const out: string[] = [];
  out.push(L.slice(4, L.indexOf("## Evidence")).filter((l) => l !== "").join("\n"));
  out.push("", ...evidenceTable([
    { name: "as written", rows: evRows(knobs.map((k) => k.current)), score: result.baseline },
    ...(recommended.length ? [{ name: met ? "recommended" : "closest", rows: evRows(best.config), score: best }] : []),
  ], o));
  if (why.length) out.push("", "Why:", ...why.map((w) => `  - ${w}`));
  out.push("", "Recommended ScaledObject (paste-ready):", "", yaml.trimEnd(), "", diff.trimEnd());
  out.push("", `${result.runs.toLocaleString("en-US")} runs in ${(wallMs / 1000).toFixed(1)} s on ${pool.size} worker${pool.size === 1 ? "" : "s"}${result.aborted ? " — interrupted" : ""}`);
  if (files.length) out.push(`   → ${files.map((f) => relative(process.cwd(), f) || f).join(", ")}`);
  log(out.join("\n"));
  if (!met && !result.aborted) process.exitCode = 1;
  return { base, knobs, search: result, recommended, met, yaml, diff, why, files, aborted: result.aborted, wallMs, workers: pool.size };
}
