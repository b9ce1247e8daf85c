#!/usr/bin/env node
// npm run bench [-- --smoke] [--out DIR]
//
// Issue 6: simulator speed and memory. Measures, each repeated and reported as median/min/max:
//   1. event-queue micro benchmark (hold model on Environment) at heap sizes 16, 1 024, 100 000
//   2. M/D/10 (λ = 1.8/s, D = 5 s, 10 fixed replicas), 480 simulated hours, normal scenario path
//   3. the same model in SimPy (installed from PyPI into a venv), interleaved runs; kedasim/SimPy
//   4. the seed burst scenario for 1 000 seeds: wall time per run, runs per second
//   5. seed 003's pipeline (topology model, issue 5): wall time per run; "not available" if that model cannot be loaded
//   6. a steady 10 000 000-message run with trace.jsonl + summary.json written: wall time, peak RSS
//   7. a what-if sweep of the seed burst (issue 18), 1 000 configurations × 10 seeds, on 1 worker thread and on
//      one per core, interleaved: runs/s, the speed-up, and whether both gave the same figures
// Writes DIR/results.json and DIR/bench.png (DIR: reports/bench, or reports/bench/smoke with --smoke).
//
// --smoke: tiny sizes, one repetition, every code path (SimPy too when python3 is there; if SimPy
// cannot be installed the item is reported as skipped with the reason). CI runs this; the full
// numbers live in the README. Full mode fails (exit 1) if SimPy cannot be installed or the M/D/10
// mean wait misses the exact value by more than 3 %. Targets that are not met do not fail the run:
// this is a measurement, not a test.
import { INLINE_BUDGET_FLAG } from "../jit.js"; // first: V8 inlining budget for the hot path (see sim/jit.ts)
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { renderBenchPng } from "./chart.js";
import { benchSummaryMarkdown } from "./summary.js";
import { allCores, cpuParallelism, sweepBenchRun, type SweepBenchRun } from "./sweep-bench.js";
import {
  MD10_EXACT_WQ,
  REPO_ROOT,
  bigRun,
  bigRunInChild,
  burstBatch,
  ensureSimpy,
  heapHold,
  pipelineRuns,
  type PipelineRun,
  machine,
  runMd10,
  runMd10Child,
  runSimpy,
  stat,
  type BigRun,
  type Md10Run,
  type SimpyRun,
  type Stat,
} from "./lib.js";

export interface BenchConfig {
  mode: "full" | "smoke";
  heap: { sizes: number[]; pairs: (size: number) => number; reps: number };
  md10: { hours: number; simpyHours: number; reps: number };
  burst: { seeds: number; reps: number };
  pipeline: { reps: number };
  steady: { messages: number; reps: number };
  /** Item 7: what-if sweep of the seed burst (configurations × seeds), repeated with 1 worker and all cores. */
  sweep: { configs: number; seeds: number; reps: number; workers?: number };
  /** false: do not look for SimPy at all (tests; item 3 is then reported as skipped). */
  simpy?: boolean;
}

export const FULL: BenchConfig = {
  mode: "full",
  heap: { sizes: [16, 1024, 100_000], pairs: (n) => (n >= 100_000 ? 3_000_000 : 5_000_000), reps: 5 },
  md10: { hours: 480, simpyHours: 48, reps: 5 },
  burst: { seeds: 1000, reps: 3 },
  pipeline: { reps: 10 },
  steady: { messages: 10_000_000, reps: 3 },
  sweep: { configs: 1000, seeds: 10, reps: 3 },
};

export const SMOKE: BenchConfig = {
  mode: "smoke",
  heap: { sizes: [16, 1024, 100_000], pairs: () => 200_000, reps: 1 },
  md10: { hours: 2, simpyHours: 0.5, reps: 1 },
  burst: { seeds: 20, reps: 1 },
  pipeline: { reps: 1 },
  steady: { messages: 50_000, reps: 1 },
  sweep: { configs: 27, seeds: 2, reps: 1 },
};

export const TARGETS = {
  md10EventsPerS: 10_000_000,
  simpyRatio: 40,
  pipelineS: 1,
  steadyPeakRssMB: 300,
  /** Item 7, on 2 cores: runs/s with all cores, and all cores ÷ 1 worker. */
  sweepRunsPerS: 5000,
  sweepSpeedup: 1.8,
};

const M = (x: number) => `${(x / 1e6).toFixed(2)} M`;
const st = (s: Stat, f: (x: number) => string) => `median ${f(s.median)}  (min ${f(s.min)}, max ${f(s.max)}, n=${s.n})`;
const met = (ok: boolean | null) => (ok === null ? "n/a" : ok ? "MET" : "NOT MET");

export async function runBench(cfg: BenchConfig, outDir: string, log: (s: string) => void = (s) => process.stdout.write(s + "\n")) {
  const mach = machine();
  const started = new Date().toISOString();
  log(`kedasim bench (${cfg.mode}) — ${mach.cpuModel}, ${mach.cores} cores, Node ${mach.node}, ${mach.platform}/${mach.arch}, load ${mach.loadAverage1m}`);
  if (mach.brokersRunning.length > 0) {
    log(`   note: ${mach.brokersRunning.join(", ")} running (real mode's brokers): they take CPU even when idle and lower these figures; stop them with \`bash real/setup.sh --stop\``);
  }
  let sanityOk = true;
  // SimPy first: full mode must fail before spending minutes on the other items.
  const simpy = cfg.simpy === false ? { error: "disabled by the caller" } : ensureSimpy((s) => log(`   [simpy] ${s}`));
  let simpySkipped: string | null = null;
  if ("error" in simpy) {
    if (cfg.mode === "full") throw new Error(`SimPy is required for the full benchmark: ${simpy.error}`);
    simpySkipped = simpy.error;
    log(`   [simpy] skipped: ${simpy.error}`);
  }

  // ---- 1. event queue
  log("\n1. Event queue, hold model (Environment.step + schedule from the handler)");
  const heap = cfg.heap.sizes.map((size) => {
    const runs: number[] = [];
    for (let r = 0; r < cfg.heap.reps; r++) runs.push(heapHold(size, cfg.heap.pairs(size)));
    const s = stat(runs);
    log(`   heap ${String(size).padStart(7)}: ${st(s, M)} pairs/s`);
    return { heapSize: size, pairs: cfg.heap.pairs(size), pairsPerS: s, runs };
  });

  // ---- 2 + 3. M/D/10 in kedasim and SimPy, interleaved
  log(`\n2. M/D/10 (λ = 1.8/s, D = 5 s, 10 fixed replicas), ${cfg.md10.hours} simulated hours per run, normal scenario path`);
  const kRuns: Md10Run[] = [];
  const kRecRuns: Md10Run[] = [];
  const sRuns: SimpyRun[] = [];
  for (let r = 0; r < cfg.md10.reps; r++) {
    const k = runMd10Child(cfg.md10.hours, r + 1, "run");
    kRuns.push(k);
    log(`   kedasim run ${r + 1}: ${M(k.eventsPerS)} events/s, ${k.simHoursPerWallS.toFixed(0)} sim h per wall s, ${k.wallS.toFixed(3)} s, ${k.events} events, mean wait ${k.meanWaitS.toFixed(4)} s`);
    if ("python" in simpy) {
      const s = runSimpy(simpy.python, cfg.md10.simpyHours, r + 1);
      sRuns.push(s);
      log(`   SimPy   run ${r + 1}: ${M(s.model_events / s.wall_s)} events/s (arrivals + departures), ${(s.simpy_events / s.wall_s / 1e6).toFixed(2)} M SimPy heap events/s, ${s.wall_s.toFixed(3)} s, mean wait ${s.mean_wait_s.toFixed(4)} s`);
    }
    const kr = runMd10Child(cfg.md10.hours, r + 1, "simulate");
    kRecRuns.push(kr);
    log(`   kedasim run ${r + 1}, simulate() keeping the ${cfg.md10.hours} h trace in memory: ${M(kr.eventsPerS)} events/s, ${kr.wallS.toFixed(3)} s`);
  }
  const kEv = stat(kRuns.map((k) => k.eventsPerS));
  const kHours = stat(kRuns.map((k) => k.simHoursPerWallS));
  const kWall = stat(kRuns.map((k) => k.wallS));
  const kCpu = stat(kRuns.map((k) => k.eventsPerCpuS));
  const kRec = stat(kRecRuns.map((k) => k.eventsPerS));
  const meanWait = kRuns.reduce((a, k) => a + k.meanWaitS * k.messages, 0) / kRuns.reduce((a, k) => a + k.messages, 0);
  const waitErr = (meanWait - MD10_EXACT_WQ) / MD10_EXACT_WQ;
  const waitChecked = cfg.mode === "full";
  if (waitChecked && Math.abs(waitErr) > 0.03) sanityOk = false;
  log(`   events/s:            ${st(kEv, M)}   target ≥ 10 M: ${met(kEv.median >= TARGETS.md10EventsPerS)}`);
  log(`   sim hours / wall s:  ${st(kHours, (x) => x.toFixed(0))}`);
  log(`   events per CPU s:    ${st(kCpu, M)}   (CPU time: less sensitive to other load on the machine)`);
  log(`   with simulate():     ${st(kRec, M)} events/s (trace records kept in memory)`);
  log(`   mean wait ${meanWait.toFixed(4)} s vs exact ${MD10_EXACT_WQ} s (${(waitErr * 100).toFixed(2)} %)${waitChecked ? (Math.abs(waitErr) <= 0.03 ? " — sanity ok (±3 %)" : " — SANITY FAILED (more than 3 % off)") : " — not checked at smoke horizon"}`);
  let simpyStats: { eventsPerS: Stat; eventsPerCpuS: Stat; heapEventsPerS: Stat; simHoursPerWallS: Stat; meanWaitS: number } | null = null;
  let ratio: number | null = null;
  let cpuRatio: number | null = null;
  let hoursRatio: number | null = null;
  log("\n3. The same model in SimPy (simpy.Resource(capacity=10), one process per customer)");
  if (sRuns.length > 0) {
    simpyStats = {
      eventsPerS: stat(sRuns.map((s) => s.model_events / s.wall_s)),
      eventsPerCpuS: stat(sRuns.map((s) => s.model_events / s.cpu_s)),
      heapEventsPerS: stat(sRuns.map((s) => s.simpy_events / s.wall_s)),
      simHoursPerWallS: stat(sRuns.map((s) => s.hours / s.wall_s)),
      meanWaitS: sRuns.reduce((a, s) => a + s.mean_wait_s * s.messages, 0) / sRuns.reduce((a, s) => a + s.messages, 0),
    };
    ratio = kEv.median / simpyStats.eventsPerS.median;
    hoursRatio = kHours.median / simpyStats.simHoursPerWallS.median;
    cpuRatio = kCpu.median / simpyStats.eventsPerCpuS.median;
    log(`   SimPy ${sRuns[0].simpy_version}, ${cfg.md10.simpyHours} simulated hours per run`);
    log(`   events/s (arrivals + departures): ${st(simpyStats.eventsPerS, M)}`);
    log(`   SimPy heap events/s (env._eid):   ${st(simpyStats.heapEventsPerS, M)}`);
    log(`   events per CPU s:                 ${st(simpyStats.eventsPerCpuS, M)}`);
    log(`   kedasim / SimPy: ${ratio.toFixed(1)}× events/s, ${hoursRatio.toFixed(1)}× simulated hours per wall second, ${cpuRatio.toFixed(1)}× events per CPU s   target ≥ 40×: ${met(ratio >= TARGETS.simpyRatio)}`);
  } else log(`   skipped: ${simpySkipped}`);

  // ---- 4. seed burst
  log(`\n4. Seed burst (fixtures/scenarios/seed-000-burst-50.yaml), seeds 1..${cfg.burst.seeds}, in memory`);
  const batches = [];
  for (let r = 0; r < cfg.burst.reps; r++) {
    const b = burstBatch(cfg.burst.seeds);
    batches.push(b);
    log(`   batch ${r + 1}: ${b.runsPerS.toFixed(0)} runs/s with scenario resolution (${b.totalS.toFixed(2)} s for ${b.seeds} seeds; resolveScenario ${b.resolveMs.toFixed(2)} ms per seed), ${b.simulateRunsPerS.toFixed(0)} runs/s of simulate() alone, median run ${stat(b.runMs).median.toFixed(3)} ms`);
  }
  const allRunMs = batches.flatMap((b) => b.runMs);
  const runMs = stat(allRunMs);
  const sortedMs = [...allRunMs].sort((a, b) => a - b);
  const pctMs = (p: number) => sortedMs[Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1)];
  const runMsPercentiles = { p90: pctMs(90), p95: pctMs(95), p99: pctMs(99) };
  const runsPerS = stat(batches.map((b) => b.runsPerS));
  const simRunsPerS = stat(batches.map((b) => b.simulateRunsPerS));
  const resolveMs = stat(batches.map((b) => b.resolveMs));
  log(`   wall time per run (simulate):     ${st(runMs, (x) => x.toFixed(3) + " ms")}`);
  log(`   runs/s, simulate() alone:         ${st(simRunsPerS, (x) => x.toFixed(0))}`);
  log(`   runs/s, with resolveScenario:     ${st(runsPerS, (x) => x.toFixed(0))}`);
  log(`   resolveScenario per seed:         ${st(resolveMs, (x) => x.toFixed(2) + " ms")}`);

  // ---- 5. pipeline
  log(`\n5. Seed 003 pipeline (fixtures/scenarios/seed-003-nats-at-most-once.yaml: 100 000 objects, chunks of 100, 10 mappers), topology model, in memory`);
  let pipeline: PipelineRun[] = [];
  let pipelineReason: string | null = null;
  try {
    pipeline = await pipelineRuns(cfg.pipeline.reps);
  } catch (e) {
    pipelineReason = `not available: needs the topology model (issue 5) — ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
  }
  const pipeMs = pipeline.length > 0 ? stat(pipeline.map((p) => p.wallMs)) : null;
  if (pipeMs) {
    const p = pipeline[0];
    log(`   ${p.chunksCompleted} chunks saved, ${p.events} events, ${p.simulatedSeconds} simulated s per run`);
    log(`   wall time:  ${st(pipeMs, (x) => x.toFixed(1) + " ms")}   target < 1 s: ${met(pipeMs.median < TARGETS.pipelineS * 1000)}`);
  } else log(`   ${pipelineReason}`);

  // ---- 6. steady 10^7 messages
  log(`\n6. Steady run, ${cfg.steady.messages.toLocaleString("en-US")} messages, trace.jsonl + summary.json written (charts skipped), child process`);
  const bigRuns: BigRun[] = [];
  for (let r = 0; r < cfg.steady.reps; r++) {
    const b = bigRun(cfg.steady.messages);
    bigRuns.push(b);
    log(`   run ${r + 1}: ${b.wallS.toFixed(2)} s, peak RSS ${b.peakRssMB.toFixed(0)} MB, ${M(b.eventsPerS)} events/s, trace ${(b.traceBytes / 1e6).toFixed(1)} MB / ${b.traceLines} lines`);
  }
  const bigWall = stat(bigRuns.map((b) => b.wallS));
  const bigRss = stat(bigRuns.map((b) => b.peakRssMB));
  log(`   wall time:  ${st(bigWall, (x) => x.toFixed(2) + " s")}`);
  log(`   peak RSS:   ${st(bigRss, (x) => x.toFixed(0) + " MB")}   target < 300 MB: ${met(bigRss.max < TARGETS.steadyPeakRssMB)}`);

  // ---- 7. what-if sweep on 1 worker and on all cores, interleaved
  const cores = cfg.sweep.workers ?? allCores();
  log(`\n7. What-if sweep of the seed burst: ${cfg.sweep.configs} configurations × ${cfg.sweep.seeds} seeds (npm run sim -- sweep's pool), 1 worker vs ${cores} workers, interleaved`);
  const sweep1: SweepBenchRun[] = [];
  const sweepN: SweepBenchRun[] = [];
  const control: Array<{ oneThreadS: number; allThreadsS: number; speedup: number }> = [];
  for (let r = 0; r < cfg.sweep.reps; r++) {
    for (const [w, list] of [[1, sweep1], [cores, sweepN]] as const) {
      const b = await sweepBenchRun(cfg.sweep.configs, cfg.sweep.seeds, w);
      list.push(b);
      log(`   run ${r + 1}, ${b.workers} worker${b.workers === 1 ? " " : "s"}: ${b.runsPerS.toFixed(0)} runs/s (${b.runs} runs in ${b.wallS.toFixed(2)} s; workers started in ${b.startupS.toFixed(2)} s)`);
    }
    // Control, between the repetitions: the parallelism a plain CPU loop gets from the machine right now.
    const c = await cpuParallelism(cores, cfg.mode === "smoke" ? 2e6 : 2e8);
    control.push(c);
    log(`   control ${r + 1}: a plain CPU loop on ${cores} threads runs ${c.speedup.toFixed(2)}× as fast as on 1 (${c.oneThreadS.toFixed(2)} s vs ${c.allThreadsS.toFixed(2)} s for ${cores}× the work)`);
  }
  const controlSpeedup = stat(control.map((c) => c.speedup));
  const sweepRps1 = stat(sweep1.map((b) => b.runsPerS));
  const sweepRpsN = stat(sweepN.map((b) => b.runsPerS));
  const speedup = sweepRpsN.median / sweepRps1.median;
  const sameFigures = new Set([...sweep1, ...sweepN].map((b) => b.digest)).size === 1;
  if (!sameFigures) sanityOk = false;
  log(`   runs/s, 1 worker:        ${st(sweepRps1, (x) => x.toFixed(0))}`);
  log(`   runs/s, ${cores} workers:       ${st(sweepRpsN, (x) => x.toFixed(0))}   target ≥ ${TARGETS.sweepRunsPerS}: ${met(sweepRpsN.median >= TARGETS.sweepRunsPerS)}`);
  log(`   speed-up (ratio of medians): ${speedup.toFixed(2)}×   target ≥ ${TARGETS.sweepSpeedup}×: ${met(speedup >= TARGETS.sweepSpeedup)}`);
  log(`   control speed-up of a plain CPU loop: ${st(controlSpeedup, (x) => x.toFixed(2) + "×")} (the most the sweep could get here)`);
  log(`   same figures for every worker count (sha256 of all runs' figures): ${sameFigures ? "yes" : "NO — a sweep's results depend on the worker count"}`);

  const results = {
    issue: 6,
    mode: cfg.mode,
    startedAt: started,
    finishedAt: new Date().toISOString(),
    machine: mach,
    // Set by sim/jit.ts in every process that runs the simulator (npm run sim, this bench, its children).
    v8Flags: [INLINE_BUDGET_FLAG],
    // Other work on the machine depresses every figure: the 1-minute load average at start and end.
    loadAverage1m: { start: mach.loadAverage1m, end: machine().loadAverage1m },
    items: [
      {
        id: 1,
        name: "event-queue micro benchmark (hold model)",
        method: "Environment with one event kind; the heap is filled with `heapSize` events, then each pair is Environment.step() (pop the earliest, run its handler) and, from the handler, Environment.schedule(now + Exp(1)) (push). Handler dispatch is included. Increments come from a precomputed table.",
        unit: "push+pop pairs per wall second",
        results: heap,
      },
      {
        id: 2,
        name: "M/D/10, normal scenario path",
        scenario: "sim/bench/scenarios/md10.yaml (Poisson 1.8/s, D = 5 s, ScaledObject min = max = 10, initialReplicas 10, sampleIntervalSeconds 60)",
        method: "each run in a fresh Node process (node --import tsx), like each SimPy run in a fresh Python: YAML → resolveScenario, then new Simulation(scenario).run() (the model's normal run: every trace record is built and emitted on the bus; none is kept). eventsPerSWithRecordsInMemory: the same through simulate(), which collects the ~200 000 records of a 480 h run in memory. events = Environment.processed (arrivals, completions, KEDA polls, HPA syncs, samples); wall time around the run only; seeds 1..n",
        simulatedHours: cfg.md10.hours,
        eventsPerS: kEv,
        eventsPerCpuS: kCpu,
        eventsPerSWithRecordsInMemory: kRec,
        simHoursPerWallS: kHours,
        wallS: kWall,
        meanWaitS: { measured: meanWait, exact: MD10_EXACT_WQ, relativeError: waitErr, checked: waitChecked, ok: !waitChecked || Math.abs(waitErr) <= 0.03 },
        target: { eventsPerS: TARGETS.md10EventsPerS, met: kEv.median >= TARGETS.md10EventsPerS },
        runs: kRuns,
        runsWithRecordsInMemory: kRecRuns,
      },
      {
        id: 3,
        name: "M/D/10 in SimPy, interleaved with item 2",
        status: sRuns.length > 0 ? "ok" : "skipped",
        reason: simpySkipped,
        script: "sim/bench/md10_simpy.py",
        method:
          "SimPy events are counted as kedasim counts its own: one arrival and one departure per message (model_events = arrivals + completions). SimPy itself schedules about 6 heap events per message (Timeout, Initialize, Request, Release, process end, ...), reported as heapEventsPerS. SimPy runs a shorter horizon (events/s and simulated hours per wall second are rates, so horizons need not match). Ratio = median kedasim events/s ÷ median SimPy events/s.",
        simulatedHours: cfg.md10.simpyHours,
        simpy: simpyStats,
        ratio: { eventsPerS: ratio, simHoursPerWallS: hoursRatio, eventsPerCpuS: cpuRatio },
        target: { ratio: TARGETS.simpyRatio, met: ratio === null ? null : ratio >= TARGETS.simpyRatio },
        runs: sRuns,
      },
      {
        id: 4,
        name: "seed burst scenario, many seeds",
        scenario: "fixtures/scenarios/seed-000-burst-50.yaml",
        method: "for seed 1..n: resolveScenario (phases are drawn from the seed) + simulate() in memory, no files; per-run time is simulate() alone, runs/s includes resolution",
        seeds: cfg.burst.seeds,
        runMs,
        runMsPercentiles,
        runsPerS,
        simulateRunsPerS: simRunsPerS,
        resolveMsPerSeed: resolveMs,
        batches: batches.map((b) => ({ seeds: b.seeds, totalS: b.totalS, runsPerS: b.runsPerS, simulateRunsPerS: b.simulateRunsPerS, resolveMs: b.resolveMs, events: b.events })),
      },
      {
        id: 5,
        name: "seed 003 pipeline (100 000 objects, chunks of 100, 10 mappers)",
        status: pipeMs ? "ok" : "not available",
        reason: pipelineReason,
        scenario: "fixtures/scenarios/seed-003-nats-at-most-once.yaml (fetcher → 10 mappers → saver over core NATS, 6 mapper crashes, resend after 60 s)",
        method: "loadTopology (not timed) + simulateTopology() in memory (records kept); wall time of the simulation",
        wallMs: pipeMs,
        target: { seconds: TARGETS.pipelineS, met: pipeMs ? pipeMs.median < TARGETS.pipelineS * 1000 : null },
        runs: pipeline,
      },
      {
        id: 6,
        name: "steady 10 000 000-message run with the default outputs",
        scenario: "sim/bench/scenarios/steady-10m.yaml (Poisson 18/s, D = 5 s, 100 fixed replicas, sampleIntervalSeconds 60)",
        method: "fresh Node process (node --import tsx) running simulateToDir(keepRecords: false): trace.jsonl + summary.json into a temp dir (deleted afterwards); charts skipped for this run (they would need the records in memory). Peak RSS = process.resourceUsage().maxRSS of that process.",
        messages: cfg.steady.messages,
        wallS: bigWall,
        peakRssMB: bigRss,
        target: { peakRssMB: TARGETS.steadyPeakRssMB, met: bigRss.max < TARGETS.steadyPeakRssMB },
        runs: bigRuns,
      },
      {
        id: 7,
        name: "what-if sweep of the seed burst on worker threads (issue 18)",
        scenario: "fixtures/scenarios/seed-000-burst-50.yaml",
        method: `WhatIfPool (npm run sim -- sweep's pool) over ${cfg.sweep.configs} configurations (cooldownPeriod × maxReplicaCount × pollingInterval) × ${cfg.sweep.seeds} seeds: each run resolves its configuration for seed = scenario seed + seed index (resolveScenario) and runs simulate() in memory, the worker reads its figures from the Summary and the Trace. Wall time of the sweep only (workers started beforehand; startup reported apart). 1 worker and ${cores} workers alternate, each repetition in the same invocation. sameFigures: sha256 of every run's figures is equal for all runs.`,
        configs: cfg.sweep.configs,
        seeds: cfg.sweep.seeds,
        workersAll: cores,
        runsPerS1: sweepRps1,
        runsPerSAll: sweepRpsN,
        speedup,
        controlSpeedup,
        control,
        sameFigures,
        target: { runsPerS: TARGETS.sweepRunsPerS, speedup: TARGETS.sweepSpeedup, met: { runsPerS: sweepRpsN.median >= TARGETS.sweepRunsPerS, speedup: speedup >= TARGETS.sweepSpeedup } },
        runs: { oneWorker: sweep1, allCores: sweepN },
      },
    ],
  };

  mkdirSync(outDir, { recursive: true });
  const jsonFile = join(outDir, "results.json");
  writeFileSync(jsonFile, JSON.stringify(results, null, 2) + "\n");
  const summaryFile = join(outDir, "summary.md");
  writeFileSync(summaryFile, benchSummaryMarkdown(results));
  const pngFile = join(outDir, "bench.png");
  await renderBenchPng(
    {
      title: `kedasim benchmark (${cfg.mode === "smoke" ? "SMOKE: tiny sizes, not representative" : "npm run bench"})`,
      subtitle:
        `${mach.cpuModel}, ${mach.cores} cores, Node ${mach.node}, load average ${results.loadAverage1m.start} → ${results.loadAverage1m.end} — ` +
        (pipeMs
          ? `5 · seed 003 pipeline (1 000 chunks, 10 mappers): ${pipeMs.median.toFixed(1)} ms per run (min ${pipeMs.min.toFixed(1)}, max ${pipeMs.max.toFixed(1)}; target < 1 s)`
          : `item 5 (seed 003 pipeline) ${pipelineReason}`),
      heap: heap.map((h) => ({ size: h.heapSize, pairsPerS: h.pairsPerS })),
      md10: { kedasim: kEv, simpy: simpyStats?.eventsPerS ?? null, simpySkipped, targetEventsPerS: TARGETS.md10EventsPerS, ratio },
      burst: { runMs: allRunMs, seeds: cfg.burst.seeds, batches: cfg.burst.reps, runsPerS, simulateRunsPerS: simRunsPerS },
      steady: { messages: cfg.steady.messages, peakRssMB: bigRss, wallS: bigWall, limitMB: TARGETS.steadyPeakRssMB },
    },
    pngFile,
  );
  log(`\nwrote ${[jsonFile, summaryFile, pngFile].map((f) => relative(process.cwd(), f) || f).join(", ")}`);
  return { results, sanityOk };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      smoke: { type: "boolean", default: false },
      out: { type: "string" },
      "child-steady": { type: "string" },
      "child-md10": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write("npm run bench [-- --smoke] [--out DIR]\n  full: reports/bench/results.json + bench.png (several minutes)\n  --smoke: tiny sizes, one repetition, < 60 s (reports/bench/smoke/)\n");
    return;
  }
  if (values["child-md10"] !== undefined) {
    // Internal: one M/D/10 run of item 2 in a fresh process.
    const mode = positionals[1] === "simulate" ? "simulate" : "run";
    process.stdout.write(JSON.stringify(runMd10(Number(values["child-md10"]), Number(positionals[0]), mode)) + "\n");
    return;
  }
  if (values["child-steady"] !== undefined) {
    // Internal: item 6 runs in its own process so that its peak RSS is its own.
    const r = bigRunInChild(Number(values["child-steady"]), positionals[0]);
    process.stdout.write(JSON.stringify(r) + "\n");
    return;
  }
  const cfg = values.smoke ? SMOKE : FULL;
  const out = resolve(values.out ?? join(REPO_ROOT, "reports/bench", values.smoke ? "smoke" : ""));
  const t0 = performance.now();
  const { sanityOk } = await runBench(cfg, out);
  process.stdout.write(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (!sanityOk) {
    process.stderr.write("kedasim bench: a sanity check failed (the M/D/10 mean wait is more than 3 % off the exact value, or item 7's figures depend on the worker count)\n");
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((e: unknown) => {
    process.stderr.write(`kedasim bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
