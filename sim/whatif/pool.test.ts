import { describe, expect, it } from "vitest";
import { join, resolve } from "node:path";
import { loadBase } from "./base.js";
import { resolvePath } from "./paths.js";
import { WhatIfPool, type PoolJob } from "./pool.js";
import { runBatch } from "./worker.js";

const BURST = resolve(import.meta.dirname, "../../fixtures/scenarios/seed-000-burst-50.yaml");

const jobs: PoolJob[] = [0, 30, 120, 300].flatMap((cd, i) =>
  [3, 5, 8].map((q, j) => ({
    key: i * 3 + j,
    assignments: [
      { path: resolvePath("cooldownPeriod"), value: cd },
      { path: resolvePath("triggers[0].metadata.queueLength"), value: String(q) },
    ],
    seedIndexes: [0, 1, 2, 3, 4],
  })),
);

const flat = (m: Map<number, Float64Array[]>) => [...m.entries()].sort((a, b) => a[0] - b[0]).map(([k, rows]) => [k, rows.map((r) => [...r])]);

describe("what-if pool", () => {
  it("gives the same figures with 1 worker, 2 workers and in this thread", async () => {
    const base = loadBase(BURST);
    const inThread = new Map<number, Float64Array[]>();
    for (const j of jobs) {
      const r = runBatch(base, { id: 0, items: [j] });
      inThread.set(j.key, j.seedIndexes.map((_, i) => r.figures.subarray(i * (r.figures.length / j.seedIndexes.length), (i + 1) * (r.figures.length / j.seedIndexes.length))));
    }
    const outs = [];
    for (const n of [1, 2]) {
      const pool = await WhatIfPool.start(BURST, n);
      try {
        const seen: number[] = [];
        outs.push(await pool.run(jobs, (d) => seen.push(d)));
        expect(seen[seen.length - 1]).toBe(60);
      } finally {
        await pool.close();
      }
    }
    expect(outs[0].runs).toBe(60);
    expect(flat(outs[0].figures)).toEqual(flat(inThread));
    expect(flat(outs[1].figures)).toEqual(flat(inThread));
    // different configurations really differ (the test would pass vacuously otherwise)
    expect(flat(inThread)[0][1]).not.toEqual(flat(inThread)[11][1]);
  }, 60_000);

  it("reports an invalid configuration per job instead of failing the run", async () => {
    const pool = await WhatIfPool.start(BURST, 1);
    try {
      const out = await pool.run([
        { key: 7, assignments: [{ path: resolvePath("scaleTargetRef.minReplicaCount"), value: 20 }], seedIndexes: [0, 1] },
        { key: 8, assignments: [], seedIndexes: [0] },
      ]);
      expect(out.errors.get(7)).toMatch(/maxReplicaCount: MinReplicaCount=20 must be less than MaxReplicaCount=10 \(KEDA.s admission webhook, CheckReplicaCountBoundsAreValid\)/);
      expect(out.figures.get(8)).toHaveLength(1);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("abort() stops the workers and keeps only jobs whose every seed finished", async () => {
    const many: PoolJob[] = Array.from({ length: 400 }, (_, k) => ({ key: k, assignments: [{ path: resolvePath("cooldownPeriod"), value: k }], seedIndexes: [0, 1] }));
    const pool = await WhatIfPool.start(BURST, 2);
    let aborted = false;
    const out = await pool.run(many, (done) => {
      if (!aborted && done >= 40) {
        aborted = true;
        pool.abort();
      }
    });
    expect(out.aborted).toBe(true);
    expect(out.figures.size).toBeGreaterThan(0);
    expect(out.figures.size).toBeLessThan(400);
    for (const rows of out.figures.values()) expect(rows).toHaveLength(2);
    // a later run on an aborted pool does nothing
    expect((await pool.run(many.slice(0, 1))).aborted).toBe(true);
    void join;
  }, 60_000);
});
