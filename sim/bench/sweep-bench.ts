// Item 7 of `npm run bench` (issue 18): runs per second of a what-if sweep of the seed burst,
// 1 000 configurations × 10 seeds, on 1 worker thread and on one per core, interleaved in one
// invocation so that both see the same machine. Also checks that both give the same figures.
import { createHash } from "node:crypto";
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
