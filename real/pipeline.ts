// The whole of `npm run real`: run the scenario for real, chart it, simulate the same scenario with
// the measured startup latency (and RabbitMQ's real stats interval), and compare the two.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderCharts } from "../reports/charts.js";
import { writeComparison, type Deltas } from "../reports/compare.js";
import { writeReport } from "../reports/report.js";
import { simulateToDir } from "../sim/run.js";
import type { Distribution } from "../sim/rng.js";
import type { Scenario } from "../sim/scenario/load.js";
import type { Summary } from "../sim/trace.js";
import { runReal, type RealResult } from "./harness.js";
import { readModeOf } from "./scaler.js";
import type { ScalingBackend } from "./backend.js";

export interface PipelineOptions {
  scenario: Scenario;
  timeScale: number;
  outDir: string;
  runId?: string;
  progress?: (line: string) => void;
  wallTimeoutS?: number;
  signal?: AbortSignal;
  /** Skip the simulator run and the comparison. */
  noCompare?: boolean;
  tuneBrokerStats?: boolean;
  /** Who scales and runs the replicas (default real-local). */
  backend?: ScalingBackend;
}

export interface PipelineResult {
  real: RealResult;
  sim: Summary | null;
  deltas: Deltas | null;
  files: string[];
  simInputs: SimInputs | null;
}

export interface SimInputs {
  startupDelay: Distribution;
  schedulingDelay: Distribution;
  managementStatsIntervalSeconds: number;
  why: string[];
}

/**
 * The scenario the comparison simulation runs: the same file, with the startup latency that real
 * mode measured (empirical distribution of the per-replica Pending → Ready times, scenario
 * seconds; no separate scheduling delay) and RabbitMQ's actual collect_statistics_interval ÷ k as
 * the management-API sampling interval.
 */
export function simScenarioFor(s0: Scenario, real: RealResult, k: number): { scenario: Scenario; inputs: SimInputs } {
  const why: string[] = [];
  // A backend that ran real controllers knows what they ran with (rounded periods, measured phases).
  let s = s0;
  if (real.backend?.simOverrides) {
    const o = real.backend.simOverrides(s0);
    s = o.scenario;
    why.push(...o.why);
  }
  const measured = real.startups.map((x) => Math.round(x.startupS * 1e6) / 1e6);
  const startupDelay: Distribution = measured.length > 0 ? { dist: "empirical", values: measured } : s.consumer.startupDelay;
  why.push(measured.length > 0 ? `consumer.startupDelay = the ${measured.length} measured startup latencies (empirical)` : "no replica started: consumer.startupDelay left as in the scenario");
  const schedulingDelay: Distribution = { dist: "constant", value: 0 };
  const usesMgmt = s.scaledObject.triggers.some((t) => readModeOf(t) === "http");
  const statsS = real.statsIntervalMs / 1000 / k;
  if (usesMgmt) why.push(`queue.managementStatsIntervalSeconds = the management API's refresh interval ${real.statsIntervalMs} ms (${real.statsTiming.source}) ÷ k ${k} = ${statsS} s`);
  // A scenario that never settles in the simulation (the AMQP busy-pod loop with slow startups)
  // would run to maxDurationSeconds (a week by default): compare over 3× the live run instead.
  let maxDuration = s.maxDuration;
  const liveEnd = real.summary?.simulatedSeconds ?? 0;
  if (s.duration === null && liveEnd > 0 && 3 * liveEnd < s.maxDuration) {
    maxDuration = Math.ceil(3 * liveEnd);
    why.push(`maxDurationSeconds = ${maxDuration} s: 3× the live run's ${liveEnd} s, so a simulation that never settles stops within the compared horizon`);
  }
  const scenario: Scenario = {
    ...s,
    maxDuration,
    queue: { ...s.queue, statsInterval: usesMgmt ? statsS : s.queue.statsInterval },
    consumer: { ...s.consumer, startupDelay, schedulingDelay },
  };
  return { scenario, inputs: { startupDelay, schedulingDelay, managementStatsIntervalSeconds: scenario.queue.statsInterval, why } };
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const say = o.progress ?? (() => undefined);
  const real = await runReal({ scenario: o.scenario, timeScale: o.timeScale, outDir: o.outDir, runId: o.runId, progress: say, wallTimeoutS: o.wallTimeoutS, signal: o.signal, tuneBrokerStats: o.tuneBrokerStats, backend: o.backend });
  const files: string[] = [join(o.outDir, "trace.jsonl"), join(o.outDir, "summary.json")];
  const trace = { header: real.header, records: real.records };
  const pngs = await renderCharts(trace, o.outDir);
  files.push(...pngs, writeReport(o.outDir, trace, real.summary, pngs));
  if (o.noCompare) return { real, sim: null, deltas: null, files, simInputs: null };

  const { scenario: simScenario, inputs } = simScenarioFor(o.scenario, real, o.timeScale);
  const simDir = join(o.outDir, "sim");
  const sim = simulateToDir(simScenario, simDir, { keepRecords: true });
  const simTrace = { header: sim.header, records: sim.records ?? [] };
  const simPngs = await renderCharts(simTrace, simDir);
  files.push(join(simDir, "trace.jsonl"), join(simDir, "summary.json"), ...simPngs, writeReport(simDir, simTrace, sim.summary, simPngs));
  const inputsFile = join(simDir, "inputs-from-real.json");
  writeFileSync(inputsFile, JSON.stringify(inputs, null, 2) + "\n");
  files.push(inputsFile);
  const cmp = await writeComparison(simDir, o.outDir, join(o.outDir, "compare"));
  files.push(...cmp.files);
  return { real, sim: sim.summary, deltas: cmp.deltas, files, simInputs: inputs };
}
