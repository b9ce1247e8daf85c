#!/usr/bin/env node
// npm run sim [-- <scenario.yaml>... [--out DIR] [--seed N] [--per-message] [--no-charts]]
// npm run sim -- vectors <file.json>
// npm run sim -- sweep|advise <scenario.yaml> ... (sim/whatif/cli.ts)
import "./jit.js"; // first: V8 inlining budget for the hot path (see sim/jit.ts)
import { readdirSync, existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { loadScenario, readText, ScenarioError, type Scenario } from "./scenario/load.js";
import { parseBoundedJson } from "./scenario/bounded-input.js";
import { simulateToDir } from "./run.js";
import { SimulationLimitError } from "./model/simulation.js";
import { replayVectors, formatVectorReport } from "./vectors.js";
import { renderCharts } from "../reports/charts.js";
import { writeReport } from "../reports/report.js";
import { renderTopologyCharts, writeTopologyReport, type TopologyRun } from "../reports/topology.js";
import type { Summary, TraceHeader, TraceRecord } from "./trace.js";
import { isTopologyScenario, loadTopology, runTopologyToDir, type TopologyScenario } from "./topology/run.js";

const HELP = `kedasim — simulate a queue consumer autoscaled by KEDA and the Kubernetes HPA

Usage
  npm run sim                                   run every scenario in fixtures/scenarios/
  npm run sim -- <scenario.yaml>... [options]   run the given scenario file(s)
  npm run sim -- vectors <file.json>            replay HPA/KEDA decision vectors through the
                                                pure decision functions (exit 1 on any failure)
  npm run sim -- sweep <scenario.yaml> --vary <path>=<values> ...
                                                what-if: every combination × N seeds (sweep --help)
  npm run sim -- advise <scenario.yaml> --goal 'p95<=60s' ...
                                                the cheapest ScaledObject that meets the goals (advise --help)

Options
  --out DIR        output folder (default reports/out/<scenario-name>/; with several scenarios,
                   DIR/<scenario-name>/)
  --seed N         override the scenario's seed (phases and random draws follow it)
  --per-message    also write one "done" record per completed message into trace.jsonl
  --no-charts      skip the PNG charts and report.md (trace.jsonl and summary.json only)
  -h, --help       this text

Outputs (per scenario)
  trace.jsonl   header, scale decisions, KEDA polls, HPA syncs, pod lifecycle, message events,
                and one sample per second (metric, queued, in-flight, replicas desired/current/ready)
  summary.json  messages produced/completed/dead-lettered/redelivered/lost, drain time,
                latency p50..max (also wait/service), peak replicas, replica-seconds, scale events
  metric.png replicas.png throughput.png latency.png, report.md

Exit codes: 0 ok, 1 vector failures, 2 bad input (the message names the file and field).`;

function fail(msg: string, code = 2): never {
  process.stderr.write(`kedasim: ${msg}\n`);
  process.exit(code);
}

function oneLine(s: Summary, wallMs: number): string {
  const m = s.messages;
  const p = (x: number | null) => (x === null ? "-" : x.toFixed(1));
  const steps = s.scaleEvents.map((e) => `${e.to}`);
  const events = steps.length === 0 ? "" : steps.length <= 10 ? steps.join("→") : `${steps.slice(0, 8).join("→")}→… (${steps.length} scale events)`;
  return (
    `${s.scenario.padEnd(28)} produced ${m.produced}, completed ${m.completed}, dead-lettered ${m.deadLettered}, lost ${m.lost}; ` +
    `drain ${p(s.drainTimeS)} s; p50/p95 ${p(s.latencyS.p50)}/${p(s.latencyS.p95)} s; peak ${s.replicas.peak}; ` +
    `${events ? `replicas ${s.scaleEvents[0].from}→${events}` : "no scale events"}; ${wallMs.toFixed(0)} ms`
  );
}

/** A finished run's outputs, as the reports read them. */
interface RunOutputs {
  kind: "queue" | "topology";
  header: TraceHeader;
  records: TraceRecord[];
  summary: Summary;
  /** Topology: the runs of the scenarios in `compareWith`. */
  compared: TopologyRun[];
  wallMs: number;
}

/** Charts and report.md of a run, from its trace and summary: the same way for both kinds of scenario. */
async function writeChartsAndReport(outDir: string, out: RunOutputs): Promise<void> {
  const trace = { header: out.header, records: out.records };
  if (out.kind === "topology") writeTopologyReport(outDir, trace, out.summary, await renderTopologyCharts(trace, outDir), out.compared);
  else writeReport(outDir, trace, out.summary, await renderCharts(trace, outDir));
}

function runQueue(sc: Scenario, outDir: string, flags: { perMessage: boolean; charts: boolean }, bar?: cliProgress.SingleBar): RunOutputs {
  const out = simulateToDir(sc, outDir, {
    perMessage: flags.perMessage,
    keepRecords: flags.charts,
    onProgress: bar ? (f) => bar.update(Math.round(f * 100)) : undefined,
  });
  return { kind: "queue", header: out.header, records: out.records ?? [], summary: out.summary, compared: [], wallMs: out.wallMs };
}

function runTopology(sc: TopologyScenario, outDir: string, flags: { perMessage: boolean; charts: boolean }): RunOutputs {
  const out = runTopologyToDir(sc, outDir, { perMessage: flags.perMessage, compare: flags.charts });
  return { kind: "topology", header: out.header, records: out.records, summary: out.summary, compared: out.compared, wallMs: out.wallMs };
}

async function main(): Promise<void> {
  const sub = process.argv[2];
  if (sub === "sweep" || sub === "advise") {
    const { whatIfMain } = await import("./whatif/cli.js");
    return whatIfMain(sub, process.argv.slice(3));
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        out: { type: "string" },
        seed: { type: "string" },
        "per-message": { type: "boolean", default: false },
        "no-charts": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return;
  }

  if (positionals[0] === "vectors") {
    const file = positionals[1];
    if (!file) fail("vectors: expected a JSON file, e.g. npm run sim -- vectors fixtures/vectors/hpa-vectors.json");
    let json: unknown;
    try {
      json = parseBoundedJson(readText(file, file, ""), file); // bounded like every input (bounded-input.ts)
    } catch (e) {
      if (e instanceof ScenarioError) fail(e.message);
      throw e;
    }
    const results = replayVectors(json);
    process.stdout.write(formatVectorReport(results) + "\n");
    process.exit(results.some((r) => r.status === "fail") ? 1 : 0);
  }

  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) fail(`--seed: expected a non-negative integer, got "${values.seed}"`);
  }

  let files = positionals;
  const defaultDir = resolve("fixtures/scenarios");
  if (files.length === 0) {
    if (!existsSync(defaultDir)) fail(`no scenario given and ${defaultDir} does not exist`);
    files = readdirSync(defaultDir)
      .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
      .sort()
      .map((f) => join("fixtures/scenarios", f));
  }
  for (const f of files) {
    if (!existsSync(f)) fail(`${f}: file not found`);
    if (statSync(f).isDirectory()) fail(`${f}: is a folder; give a scenario .yaml file`);
  }

  // Validate everything first: a typo in the 5th file should not cost the first four runs.
  // A file with `stages` is a topology scenario (several apps and channels); otherwise one queue.
  type Loaded = { kind: "queue"; sc: Scenario } | { kind: "topology"; sc: TopologyScenario };
  const scenarios: Loaded[] = [];
  for (const f of files) {
    try {
      scenarios.push(isTopologyScenario(f) ? { kind: "topology", sc: loadTopology(f, { seed }) } : { kind: "queue", sc: loadScenario(f, { seed }) });
    } catch (e) {
      if (e instanceof ScenarioError) fail(e.message);
      throw e;
    }
  }

  const tty = process.stdout.isTTY === true;
  const flags = { perMessage: values["per-message"] === true, charts: values["no-charts"] !== true };
  const many = scenarios.length > 1;
  if (many) process.stdout.write(`Running ${scenarios.length} scenarios from ${files.length === positionals.length ? "the command line" : "fixtures/scenarios/"}\n`);
  for (const loaded of scenarios) {
    const sc = loaded.sc;
    const outDir = values.out ? (many ? join(values.out, sc.name) : values.out) : join("reports/out", sc.name);
    if (loaded.kind === "queue") for (const w of loaded.sc.warnings) process.stderr.write(`kedasim: warning: ${w}\n`);
    let bar: cliProgress.SingleBar | undefined;
    if (tty && loaded.kind === "queue") {
      bar = new cliProgress.SingleBar({ format: `${sc.name.padEnd(28)} [{bar}] {percentage}%`, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
      bar.start(100, 0);
    }
    let out: RunOutputs;
    try {
      out = loaded.kind === "queue" ? runQueue(loaded.sc, outDir, flags, bar) : runTopology(loaded.sc, outDir, flags);
    } catch (e) {
      if (e instanceof SimulationLimitError) fail(`${loaded.sc.file}: ${e.message} (${e.limit})`);
      throw e;
    } finally {
      bar?.stop();
    }
    if (flags.charts) await writeChartsAndReport(outDir, out);
    process.stdout.write(`${oneLine(out.summary, out.wallMs)}\n   → ${outDir}/${flags.charts ? "report.md" : "summary.json"}\n`);
  }
}

main().catch((e: unknown) => {
  // Anything else is a bug in kedasim, not the user's input: say so briefly.
  const err = e as Error;
  process.stderr.write(`kedasim: internal error: ${err.message}\n${process.env.KEDASIM_DEBUG ? err.stack + "\n" : "(set KEDASIM_DEBUG=1 for the stack)\n"}`);
  process.exit(70);
});
