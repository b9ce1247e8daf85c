// `npm run sim -- sweep ...` and `npm run sim -- advise ...`: argument parsing and exit codes.
// sim/cli.ts hands these two subcommands here before it parses its own options.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ScenarioError } from "../scenario/load.js";
import { SimulationLimitError } from "../model/simulation.js";
import { parseGoal, objectiveOf, type CostModel } from "./goals.js";
import { parseVary, WhatIfInputError, WhatIfInterrupted } from "./paths.js";
import { defaultWorkers } from "./pool.js";
import { runSweep } from "./sweep.js";
import { loadBase } from "./base.js";

export const SWEEP_HELP = `npm run sim -- sweep <scenario.yaml> --vary <path>=<values> [--vary ...] [options]

Runs the cross product of the varied fields, each configuration under N seeds, on worker threads.

  <path>    a field of the ScaledObject's spec (cooldownPeriod, pollingInterval, minReplicaCount,
            triggers[0].metadata.messageCount, advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds)
            or of the scenario (consumer.startupDelay, hpa.downscaleStabilizationSeconds, producers[0].scale);
            scaledObject.metadata... for the ScaledObject's metadata
  <values>  30,60,120,300 | 2..10 | 0..300:60 | [0, 10, {dist: uniform, min: 10, max: 30}] | null (= remove the field)

Options
  --seeds N        seeds per configuration (default 10): seed index i runs the scenario's seed + i
  --workers N      worker threads (default: one per core, here ${defaultWorkers()})
  --price P        price per replica-hour: cost = replica-hours × P (default: cost in replica-hours)
  --goal G         also count the seeds on which G holds, e.g. 'p95<=60s' (repeatable)
  --out DIR        output folder (default reports/out/<scenario-name>/sweep/)
  --no-charts      no PNGs
  --max-runs N     refuse larger sweeps (default 5000000)

Writes sweep.csv, sweep.md, sweep.json, pareto.png and (two or more varied fields) heatmap-p95.png,
heatmap-cost.png. Ctrl-C stops the workers and writes what finished. Exit 2 on bad input.`;

export const ADVISE_HELP = `npm run sim -- advise <scenario.yaml> --goal 'p95<=60s' [--goal ...] [options]

Searches the ScaledObject's own knobs for the cheapest configuration that meets every goal on at
least 95 % of the seeds, and explains the change from the traces.

Goals      p50|p95|p99|mean|max|maxWait|drain <op> <number>[ms|s|m|h], or counts:
           coldStarts, interrupted, flaps, peak, unfinished, replicaSeconds, cost (op: <= < >= > ==)
Options
  --minimize F     figure to minimize, mean over seeds (default cost)
  --price P        price per replica-hour (default: cost in replica-hours)
  --seeds N        seeds for the evidence and the last search round (default 40)
  --confidence X   share of seeds on which the goals must hold (default 0.95)
  --bound P=V      the values the search may give knob P (same syntax as sweep's --vary); repeatable
  --fix P          do not change knob P
  --budget N       at most this many runs for the search (default: from the scenario's size, see README)
  --workers N      worker threads (default: one per core, here ${defaultWorkers()})
  --out DIR        output folder (default reports/out/<scenario-name>/advise/)
  --no-charts      no PNGs

Knobs searched by default: the first trigger's target, pollingInterval, cooldownPeriod,
minReplicaCount, maxReplicaCount, and on keda.sh/v1alpha1 the HPA behavior (scale-down window,
scale-up and scale-down policies). Exit 0 when a configuration meets the goals, 1 when none within
the bounds does (the closest is reported), 2 on bad input, 130 when interrupted.`;

function fail(msg: string, code = 2): never {
  process.stderr.write(`kedasim: ${msg}\n`);
  process.exit(code);
}

function positiveInt(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`${name}: expected a whole number ≥ 1, got "${v}"`);
  return n;
}

function price(v: string | undefined): CostModel {
  if (v === undefined) return { pricePerReplicaHour: null };
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) fail(`--price: expected a price per replica-hour > 0, got "${v}"`);
  return { pricePerReplicaHour: n };
}

function scenarioFile(positionals: string[], cmd: string): string {
  const f = positionals[0];
  if (!f) fail(`${cmd}: expected a scenario file, e.g. npm run sim -- ${cmd} fixtures/scenarios/seed-000-burst-50.yaml ...`);
  if (positionals.length > 1) fail(`${cmd}: one scenario at a time (got ${positionals.join(", ")})`);
  if (!existsSync(f)) fail(`${f}: file not found`);
  if (statSync(f).isDirectory()) fail(`${f}: is a folder; give a scenario .yaml file`);
  return f;
}

/** Turn our input errors into exit 2 with one line; anything else goes up (internal error, exit 70). */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof WhatIfInterrupted) fail(e.message, 130);
    if (e instanceof WhatIfInputError) fail(e.message);
    if (e instanceof ScenarioError) fail(e.message);
    if (e instanceof SimulationLimitError) fail(`${e.message} (${e.limit})`);
    throw e;
  }
}

export async function whatIfMain(cmd: "sweep" | "advise", argv: string[]): Promise<void> {
  const common = {
    seeds: { type: "string" },
    workers: { type: "string" },
    price: { type: "string" },
    goal: { type: "string", multiple: true },
    out: { type: "string" },
    "no-charts": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  } as const;
  if (cmd === "sweep") {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...common, vary: { type: "string", multiple: true }, "max-runs": { type: "string" } } });
    } catch (e) {
      fail(`sweep: ${(e as Error).message}\n\n${SWEEP_HELP}`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(SWEEP_HELP + "\n");
      return;
    }
    const file = scenarioFile(positionals, "sweep");
    await guarded(async () => {
      const vary = (values.vary ?? []).map(parseVary);
      if (vary.length === 0) throw new WhatIfInputError(`sweep: give at least one --vary <path>=<values>, e.g. --vary cooldownPeriod=30,60,120,300\n\n${SWEEP_HELP}`);
      const goals = (values.goal ?? []).map(parseGoal);
      const name = loadBase(file).scenario.name;
      const res = await runSweep({
        file,
        vary,
        seeds: positiveInt(values.seeds, "--seeds", 10),
        workers: positiveInt(values.workers, "--workers", defaultWorkers()),
        cost: price(values.price),
        goals,
        outDir: values.out ?? join("reports/out", name, "sweep"),
        charts: !values["no-charts"],
        maxRuns: positiveInt(values["max-runs"], "--max-runs", 5_000_000),
        confidence: 0.95,
      });
      if (res.aborted) process.exitCode = 130;
    });
    return;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...common, minimize: { type: "string" }, confidence: { type: "string" }, bound: { type: "string", multiple: true }, fix: { type: "string", multiple: true }, budget: { type: "string" } },
    });
  } catch (e) {
    fail(`advise: ${(e as Error).message}\n\n${ADVISE_HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(ADVISE_HELP + "\n");
    return;
  }
  const file = scenarioFile(positionals, "advise");
  await guarded(async () => {
    const goals = (values.goal ?? []).map(parseGoal);
    if (goals.length === 0) throw new WhatIfInputError(`advise: give at least one --goal, e.g. --goal 'p95<=60s'\n\n${ADVISE_HELP}`);
    let confidence = 0.95;
    if (values.confidence !== undefined) {
      confidence = Number(values.confidence);
      if (!(confidence > 0 && confidence <= 1)) throw new WhatIfInputError(`--confidence: expected a share in (0, 1], e.g. 0.95, got "${values.confidence}"`);
    }
    const { runAdvise } = await import("./advise.js");
    const name = loadBase(file).scenario.name;
    const res = await runAdvise({
      file,
      goals,
      minimize: values.minimize === undefined ? "cost" : objectiveOf(values.minimize, "--minimize"),
      cost: price(values.price),
      seeds: positiveInt(values.seeds, "--seeds", 40),
      confidence,
      bounds: (values.bound ?? []).map(parseVary),
      fixed: values.fix ?? [],
      budget: values.budget === undefined ? null : positiveInt(values.budget, "--budget", 1),
      workers: positiveInt(values.workers, "--workers", defaultWorkers()),
      outDir: values.out ?? join("reports/out", name, "advise"),
      charts: !values["no-charts"],
    });
    if (res.aborted) process.exitCode = 130;
  });
}
