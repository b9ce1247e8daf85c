import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { loadScenario } from "../scenario/load.js";
import { loadBase } from "./base.js";
import { simulate } from "../run.js";
import { isTopologyScenario } from "../topology/run.js";
import { readdirSync } from "node:fs";
import { crossProduct, paretoFront, runSweep } from "./sweep.js";
import { parseGoal } from "./goals.js";
import { parseVary } from "./paths.js";
import type { Progress } from "./progress.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SC = join(ROOT, "fixtures/scenarios");
const BURST = join(SC, "seed-000-burst-50.yaml");
const quiet: Progress = { stage() {}, update() {}, stop() {} };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe("sweep", () => {
  it("crosses the varied fields, first field slowest", () => {
    const g = crossProduct([parseVary("cooldownPeriod=30,60"), parseVary("pollingInterval=5..15:5")]);
    expect(g.map((c) => c.map((a) => a.value))).toEqual([
      [30, 5],
      [30, 10],
      [30, 15],
      [60, 5],
      [60, 10],
      [60, 15],
    ]);
  });

  it("refuses a grid over --max-runs before building it (two 10 000-value fields = 10^8 configurations)", async () => {
    const big = { file: BURST, vary: [parseVary("cooldownPeriod=1..10000"), parseVary("pollingInterval=1..10000")], seeds: 1, workers: 1, cost: { pricePerReplicaHour: null }, goals: [], outDir: null, charts: false, maxRuns: 5_000_000, confidence: 0.95 };
    await expect(runSweep(big, () => {}, quiet)).rejects.toThrow(/100,000,000 configurations × 1 seeds = 100,000,001 runs, more than --max-runs 5,000,000/);
  });

  it("marks the Pareto front: nothing else both cheaper and faster", () => {
    const f = paretoFront([
      { cost: 1, p95: 10 },
      { cost: 2, p95: 5 },
      { cost: 2, p95: 10 }, // dominated by the first
      { cost: 3, p95: 5 }, // dominated by the second
      { cost: 0.5, p95: Infinity }, // unbounded latency is never on the front
    ]);
    expect(f).toEqual([true, true, false, false, false]);
  });

  it("runs a grid with seeds, writes CSV/markdown/JSON and the charts, row 0 is the scenario as written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kedasim-sweep-"));
    try {
      const lines: string[] = [];
      const res = await runSweep(
        {
          file: BURST,
          vary: [parseVary("cooldownPeriod=30,300"), parseVary("triggers[0].metadata.queueLength=2..6:2"), parseVary("scaleTargetRef.minReplicaCount=0,20")],
          seeds: 3,
          workers: 2,
          cost: { pricePerReplicaHour: 0.5 },
          goals: [parseGoal("p95<=60s")],
          outDir: dir,
          charts: true,
          maxRuns: 1000,
          confidence: 0.95,
        },
        (s) => lines.push(s),
        quiet,
      );
      expect(res.rows).toHaveLength(1 + 2 * 3 * 2);
      // min 20 > max 10: those combinations are invalid, the others ran
      expect(res.rows.filter((r) => r.status === "invalid")).toHaveLength(6);
      expect(res.rows.filter((r) => r.status === "ok")).toHaveLength(7);
      // row 0 = the scenario as written: its p95 over seed index 0..2 is the mean of three plain runs
      const sc = loadScenario(BURST);
      const p95 = [0, 1, 2].map((i) => simulate({ ...loadScenario(BURST, { seed: sc.seed + i }) }).summary.latencyS.p95!);
      expect(res.rows[0].agg![1].mean).toBeCloseTo(p95.reduce((a, b) => a + b, 0) / 3, 9);
      // cost = replica-hours × price
      expect(res.rows[0].cost!.mean).toBeCloseTo((res.rows[0].agg![7].mean / 3600) * 0.5, 9);
      const csv = readFileSync(join(dir, "sweep.csv"), "utf8").trim().split("\n");
      expect(csv).toHaveLength(1 + 13);
      expect(csv[0]).toMatch(/^config,cooldownPeriod,triggers\[0\]\.metadata\.queueLength,scaleTargetRef\.minReplicaCount,status,seeds,p50_mean/);
      expect(csv[1]).toMatch(/^0,\(as written\),\(as written\),\(as written\),ok,3,/);
      const md = readFileSync(join(dir, "sweep.md"), "utf8");
      expect(md).toContain("| 0 | **as written** |");
      expect(md).toContain(`Behaviour of KEDA ${sc.scaledObject.kedaVersion} and Kubernetes ${sc.scaledObject.kubernetesVersion}.`);
      expect(md).toMatch(/invalid: spec\.scaleTargetRef\.maxReplicaCount|invalid: spec\.maxReplicaCount|invalid: .*must be >= minReplicaCount/);
      for (const f of ["pareto.png", "heatmap-p95.png", "heatmap-cost.png"]) expect(readFileSync(join(dir, f)).subarray(0, 8), f).toEqual(PNG);
      expect(JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8")).configs).toHaveLength(13);
      expect(lines.join("\n")).toMatch(/Pareto front \(\d+ of 12; cheapest first\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("CLI: bad paths and ranges exit 2 naming the path; a sweep runs on every shipped single-queue scenario", async () => {
    const run = (args: string[]) => spawnSync("npx", ["tsx", "sim/cli.ts", "sweep", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    const bad = run([BURST, "--vary", "cooldownPerod=30"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/cooldownPerod.*it may also have pollingInterval, cooldownPeriod/);
    expect(bad.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    const empty = run([BURST, "--vary", "triggers[0].metadata.queueLength=9..3"]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/queueLength=9\.\.3: empty range/);
    const none = run([BURST]);
    expect(none.status).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), "kedasim-sweep-all-"));
    try {
      const all = readdirSync(SC).filter((f) => f.endsWith(".yaml") && !isTopologyScenario(join(SC, f)));
      // A ScaledJob scenario: one clear line (sweep varies a ScaledObject's fields).
      const jobs = all.filter((f) => loadScenario(join(SC, f)).scaledJob !== undefined);
      expect(jobs).toEqual(["scaledjob-long-running.yaml"]);
      expect(() => loadBase(join(SC, jobs[0]))).toThrow(/a ScaledJob scenario; sweep and advise vary a ScaledObject's fields/);
      const files = all.filter((f) => !jobs.includes(f));
      expect(files.length).toBeGreaterThanOrEqual(10);
      for (const f of files) {
        const res = await runSweep(
          { file: join(SC, f), vary: [parseVary("cooldownPeriod=60,300")], seeds: f === "daily-sine.yaml" ? 1 : 2, workers: 2, cost: { pricePerReplicaHour: null }, goals: [], outDir: join(dir, f), charts: false, maxRuns: 100, confidence: 0.95 },
          () => {},
          quiet,
        );
        expect(res.rows.map((r) => r.status), f).toEqual(["ok", "ok", "ok"]);
        expect(readFileSync(join(dir, f, "sweep.csv"), "utf8").trim().split("\n"), f).toHaveLength(4);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
