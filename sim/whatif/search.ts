// The search behind `advise`: successive halving over a broad candidate set, then coordinate descent
// from the best, then simplification (changes that buy less than 1 % are undone). Deterministic:
// candidates come from the scenario's seed (a seeded stream), and every decision is a function of
// per-run figures that do not depend on the worker count. See README "advise: how the search works".
import { stream } from "../rng.js";
import { goalMet, shortfall, valueOf, type CostModel, type Goal, type Objective } from "./goals.js";
import type { Knob } from "./knobs.js";

/** A configuration: one value index per knob. */
export type Config = number[];
export const keyOf = (c: Config): string => c.join(",");

/** Runs configurations on seed indexes 0..seeds-1 (reusing what it already ran); null rows = invalid configuration. */
export interface Evaluator {
  evaluate(configs: readonly Config[], seeds: number, stage: string): Promise<Map<string, Float64Array[] | null>>;
  /** New runs made so far. */
  readonly runs: number;
  /** true after Ctrl-C: stop searching, report what is known. */
  readonly aborted: boolean;
}

export interface Score {
  config: Config;
  key: string;
  seeds: number;
  /** Seeds on which every goal held. */
  met: number;
  feasible: boolean;
  /** Mean of the figure to minimize over the seeds (Infinity when invalid). */
  objective: number;
  /** Mean relative shortfall from the goals (0 when met on every seed). */
  violation: number;
  /** Knobs changed from the user's values. */
  changed: number;
  invalid: boolean;
}

export interface SearchOptions {
  goals: readonly Goal[];
  minimize: Objective;
  cost: CostModel;
  seeds: number;
  confidence: number;
  /** At most this many new runs (the evidence for the final answer is always run). */
  budget: number;
  /** Seed of the candidate sampler (the scenario's seed). */
  rngSeed: number;
}

export interface SearchLog {
  stage: string;
  candidates: number;
  seeds: number;
  kept: number;
  bestKey: string;
}

export interface SearchResult {
  best: Score;
  baseline: Score;
  /** Every configuration scored at the final seed count. */
  finalists: Score[];
  log: SearchLog[];
  runs: number;
  budgetHit: boolean;
  aborted: boolean;
}

export function score(config: Config, rows: Float64Array[] | null, knobs: readonly Knob[], o: SearchOptions): Score {
  const changed = config.reduce((n, v, i) => n + (v !== knobs[i].current ? 1 : 0), 0);
  const key = keyOf(config);
  if (!rows || rows.length === 0) return { config, key, seeds: 0, met: 0, feasible: false, objective: Infinity, violation: Infinity, changed, invalid: true };
  let met = 0;
  let viol = 0;
  let obj = 0;
  for (const r of rows) {
    let all = true;
    for (const g of o.goals) {
      const v = valueOf(r, g.metric, o.cost);
      if (!goalMet(g, v)) all = false;
      viol += shortfall(g, v);
    }
    if (all) met++;
    obj += valueOf(r, o.minimize, o.cost);
  }
  const n = rows.length;
  return { config, key, seeds: n, met, feasible: met >= Math.ceil(o.confidence * n - 1e-9), objective: obj / n, violation: viol / n, changed, invalid: false };
}

/** Better first: feasible by objective (then fewer changes), then infeasible by seeds met, shortfall, objective. Ties by key: a total order. */
export function compareScores(a: Score, b: Score): number {
  if (a.feasible !== b.feasible) return a.feasible ? -1 : 1;
  if (a.feasible) {
    if (a.objective !== b.objective) return a.objective < b.objective ? -1 : 1;
    if (a.changed !== b.changed) return a.changed - b.changed;
  } else {
    if (a.invalid !== b.invalid) return a.invalid ? 1 : -1;
    const ra = a.seeds ? a.met / a.seeds : 0;
    const rb = b.seeds ? b.met / b.seeds : 0;
    if (ra !== rb) return rb - ra;
    if (a.violation !== b.violation) return a.violation < b.violation ? -1 : 1;
    if (a.objective !== b.objective) return a.objective < b.objective ? -1 : 1;
    if (a.changed !== b.changed) return a.changed - b.changed;
  }
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Seed counts of the halving rounds: 4, 12, then the full count (fewer when --seeds is small). */
export function seedSchedule(seeds: number): number[] {
  return [...new Set([Math.min(4, seeds), Math.min(12, seeds), seeds])];
}

/** Runs a halving over N candidates costs, roughly (each round keeps a third; seeds are reused). */
export function halvingRuns(n: number, seeds: number): number {
  const sch = seedSchedule(seeds);
  let runs = 0;
  let alive = n;
  let prev = 0;
  for (const s of sch) {
    runs += alive * (s - prev);
    prev = s;
    alive = Math.max(Math.min(alive, 8), Math.ceil(alive / 3));
  }
  return runs;
}

/** The broad first round: the user's config, every single-knob change, and a seeded random sample of the full grid. */
export function candidates(knobs: readonly Knob[], randomCount: number, rngSeed: number): Config[] {
  const base = knobs.map((k) => k.current);
  const out: Config[] = [base];
  const seen = new Set([keyOf(base)]);
  const add = (c: Config) => {
    const k = keyOf(c);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(c);
    }
  };
  knobs.forEach((k, i) => k.values.forEach((_, v) => add(base.map((x, j) => (j === i ? v : x)))));
  const space = knobs.reduce((n, k) => n * k.values.length, 1);
  const want = Math.max(0, Math.min(randomCount, space - out.length));
  const target = out.length + want;
  const u = stream(rngSeed, "advise-candidates");
  for (let tries = 0; out.length < target && tries < want * 20; tries++) {
    add(knobs.map((k) => Math.floor(u() * k.values.length)));
  }
  return out;
}

export async function search(knobs: readonly Knob[], ev: Evaluator, o: SearchOptions): Promise<SearchResult> {
  const log: SearchLog[] = [];
  const base = knobs.map((k) => k.current);
  const S = o.seeds;
  const valuesTotal = knobs.reduce((n, k) => n + k.values.length, 0);
  // Reserve runs for two passes of coordinate descent and the simplification at full seeds.
  const reserve = 2 * valuesTotal * S + (knobs.length + 2) * S;
  const single = 1 + valuesTotal - knobs.length;
  let n0 = single;
  while (halvingRuns(n0 + 50, S) <= o.budget - reserve && n0 < single + 4000) n0 += 50;
  const pool = candidates(knobs, n0 - single, o.rngSeed);
  let alive = pool;
  let budgetHit = false;
  const scores = new Map<string, Score>();
  let lastSeeds = 0;
  for (const s of seedSchedule(S)) {
    if (ev.aborted) break;
    const res = await ev.evaluate(alive, s, `advise: ${alive.length} candidates × ${s} seeds`);
    const ranked = alive.map((c) => score(c, res.get(keyOf(c)) ?? null, knobs, o)).sort(compareScores);
    for (const sc of ranked) scores.set(sc.key, sc);
    const keep = s === S ? ranked.length : Math.max(Math.min(ranked.length, 8), Math.ceil(ranked.length / 3));
    log.push({ stage: `halving`, candidates: ranked.length, seeds: s, kept: keep, bestKey: ranked[0]?.key ?? "" });
    alive = ranked.slice(0, keep).map((x) => x.config);
    // The user's own configuration always goes on (its evidence is part of the answer).
    if (!alive.some((c) => keyOf(c) === keyOf(base))) alive.push(base);
    lastSeeds = s;
  }
  const full = async (cs: Config[], stage: string): Promise<Score[]> => {
    const res = await ev.evaluate(cs, S, stage);
    return cs.map((c) => {
      const sc = score(c, res.get(keyOf(c)) ?? null, knobs, o);
      scores.set(sc.key, sc);
      return sc;
    });
  };
  const finalOf = (c: Config) => scores.get(keyOf(c));
  let best = [...scores.values()].filter((x) => x.seeds === S).sort(compareScores)[0] ?? (await full([base], "advise: the scenario as written"))[0];
  void lastSeeds;
  // Coordinate descent: one knob at a time, every value, the others fixed at the best so far.
  for (let pass = 0; pass < 3 && !ev.aborted; pass++) {
    let improved = false;
    for (let i = 0; i < knobs.length && !ev.aborted; i++) {
      if (ev.runs >= o.budget) {
        budgetHit = true;
        break;
      }
      const cs = knobs[i].values.map((_, v) => best.config.map((x, j) => (j === i ? v : x)));
      const ranked = (await full(cs, `advise: refine ${knobs[i].path.text}`)).sort(compareScores);
      if (compareScores(ranked[0], best) < 0) {
        best = ranked[0];
        improved = true;
      }
    }
    log.push({ stage: `coordinate descent, pass ${pass + 1}`, candidates: valuesTotal, seeds: S, kept: 1, bestKey: best.key });
    if (!improved || budgetHit) break;
  }
  // Simplify: undo each change that buys less than 1 % of the objective while the goals still hold.
  if (best.feasible && !ev.aborted) {
    for (let i = 0; i < knobs.length; i++) {
      if (best.config[i] === knobs[i].current) continue;
      const trial = best.config.map((x, j) => (j === i ? knobs[i].current : x));
      const [t] = await full([trial], `advise: simplify ${knobs[i].path.text}`);
      if (t.feasible && t.objective <= best.objective * 1.01 + 1e-12) best = t;
    }
    log.push({ stage: "simplify (undo changes worth < 1 %)", candidates: 0, seeds: S, kept: 1, bestKey: best.key });
  }
  const baseline = finalOf(base)?.seeds === S ? finalOf(base)! : (await full([base], "advise: the scenario as written"))[0];
  const finalists = [...scores.values()].filter((x) => x.seeds === S).sort(compareScores);
  return { best, baseline, finalists, log, runs: ev.runs, budgetHit, aborted: ev.aborted };
}
