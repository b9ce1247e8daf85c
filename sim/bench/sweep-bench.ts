// Item 7 of `npm run bench` (issue 18): runs per second of a what-if sweep of the seed burst,
// 1 000 configurations × 10 seeds, on 1 worker thread and on one per core, interleaved in one
// invocation so that both see the same machine. Also checks that both give the same figures.
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { crossProduct } from "../whatif/sweep.js";
import { parseVary } from "../whatif/paths.js";
import { WhatIfPool, type PoolJob } from "../whatif/pool.js";
import { BURST_FILE } from "./lib.js";

export interface SweepBenchRun {
  workers: number;
  configs: number;
  seeds: number;
  runs: number;
  /** Wall time of the sweep itself (workers already started). */
  wallS: number;
  runsPerS: number;
  /** Starting the workers (tsx loader, scenario load), not included in wallS. */
  startupS: number;
  /** sha256 of every figure in (configuration, seed index) order: equal for every worker count. */
  digest: string;
}

/** The grid: cooldownPeriod × queueLength × pollingInterval, 10 values each (1 000 configurations at full size). */
export function sweepBenchJobs(configs: number, seeds: number): PoolJob[] {
  const side = Math.max(1, Math.round(Math.cbrt(configs)));
  const vals = (lo: number, step: number) => Array.from({ length: side }, (_, i) => lo + i * step).join(",");
  const grid = crossProduct([
    parseVary(`cooldownPeriod=${vals(0, 30)}`),
    parseVary(`scaleTargetRef.maxReplicaCount=${vals(5, 1)}`),
    parseVary(`pollingInterval=${vals(5, 5)}`),
  ]).slice(0, configs);
  const seedIndexes = Array.from({ length: seeds }, (_, i) => i);
  return grid.map((assignments, key) => ({ key, assignments, seedIndexes }));
}

export async function sweepBenchRun(configs: number, seeds: number, workers: number): Promise<SweepBenchRun> {
  const jobs = sweepBenchJobs(configs, seeds);
  const t0 = performance.now();
  const pool = await WhatIfPool.start(BURST_FILE, workers);
  const startupS = (performance.now() - t0) / 1000;
  try {
    const out = await pool.run(jobs);
    if (out.errors.size > 0) throw new Error(`sweep bench: ${out.errors.size} configurations failed, e.g. ${[...out.errors.values()][0]}`);
    const h = createHash("sha256");
    for (const j of jobs) for (const row of out.figures.get(j.key)!) h.update(new Uint8Array(row.buffer, row.byteOffset, row.byteLength));
    const wallS = out.wallMs / 1000;
    return { workers: pool.size, configs: jobs.length, seeds, runs: out.runs, wallS, runsPerS: out.runs / wallS, startupS, digest: h.digest("hex") };
  } finally {
    await pool.close();
  }
}

export const allCores = (): number => availableParallelism();

/**
 * The control for the speed-up: how much parallelism this machine gives right now. The same fixed
 * integer loop (no allocation, no simulator) on 1 thread and then on `threads` threads at once;
 * speed-up = threads × t(1) / t(threads). On an idle 2-core machine it is ~2; when other work takes
 * the cores it falls towards 1, and the sweep's speed-up cannot exceed it.
 */
export async function cpuParallelism(threads: number, iterations = 2e8): Promise<{ oneThreadS: number; allThreadsS: number; speedup: number }> {
  const code = `const { parentPort, workerData } = require("node:worker_threads"); let x = 1; for (let i = 0; i < workerData; i++) x = (x * 1103515245 + 12345) % 2147483647; parentPort.postMessage(x);`;
  const run = async (n: number) => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, () => new Promise((done, fail) => new Worker(code, { eval: true, workerData: iterations }).once("message", done).once("error", fail))));
    return (performance.now() - t0) / 1000;
  };
  const oneThreadS = await run(1);
  const allThreadsS = await run(threads);
  return { oneThreadS, allThreadsS, speedup: (threads * oneThreadS) / allThreadsS };
}
