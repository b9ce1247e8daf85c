import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compareRuns, matchScaleEvents, scalarDelta, writeComparison } from "./compare.js";
import type { ScaleEvent } from "./derive.js";
import { header, sample, scale, summaryOf } from "./test-helpers/build.js";
import { synthRun, writeRunDir } from "./test-helpers/synth.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "kedasim-compare-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("compareRuns", () => {
  it("gives zero deltas for identical runs", () => {
    const run = synthRun({ serviceJitter: 0.3 });
    const d = compareRuns(run, structuredClone(run));
    expect(d.replicas.desired).toEqual({ rmse: 0, maxAbs: 0, maxAbsAt: 0 });
    expect(d.replicas.ready).toEqual({ rmse: 0, maxAbs: 0, maxAbsAt: 0 });
    expect(d.drainTimeS.deltaPct).toBe(0);
    expect(d.latencyP95S.deltaPct).toBe(0);
    expect(d.p95WithinPerfSimBand).toBe(true);
    expect(d.scaleEvents.unmatchedA).toEqual([]);
    expect(d.scaleEvents.unmatchedB).toEqual([]);
    expect(d.scaleEvents.pairs.every((p) => p.dt === 0)).toBe(true);
    expect(d.scaleEvents.pairs).toHaveLength(run.summary.scaleEvents.length);
  });

  it("computes the exact RMSE and max |Δ| on a 1 s grid over the union of durations, holding last values", () => {
    // a: desired 2 from t=0, 5 from t=1.5, 1 from t=3 (ends at 3) ; b: desired 2 throughout, until t=4
    // grid 0..4: a = [2, 2, 5, 1, 1], b = [2, 2, 2, 2, 2] → Δ = [0, 0, -3, 1, 1] → RMSE = sqrt(11/5), max |Δ| 3 at t=2
    const a = {
      trace: { header: header(), records: [sample(0, { desired: 2, ready: 0 }), sample(1.5, { desired: 5, ready: 1 }), sample(3, { desired: 1, ready: 1 })] },
      summary: summaryOf({ drainTimeS: 100 }),
    };
    const b = {
      trace: { header: header({ source: "real-local" }), records: [0, 1, 2, 3, 4].map((t) => sample(t, { desired: 2, ready: t >= 2 ? 2 : 0 })) },
      summary: summaryOf({ source: "real-local", drainTimeS: 110 }),
    };
    const d = compareRuns(a, b);
    expect(d.replicas.gridEndS).toBe(4);
    expect(d.replicas.desired.rmse).toBeCloseTo(Math.sqrt(11 / 5), 12);
    expect(d.replicas.desired.maxAbs).toBe(3);
    expect(d.replicas.desired.maxAbsAt).toBe(2);
    // ready: a = [0, 0, 1, 1, 1], b = [0, 0, 2, 2, 2] → Δ = [0, 0, 1, 1, 1] → RMSE sqrt(3/5)
    expect(d.replicas.ready.rmse).toBeCloseTo(Math.sqrt(3 / 5), 12);
    expect(d.replicas.ready.maxAbs).toBe(1);
    expect(d.drainTimeS.deltaPct).toBeCloseTo(10, 12);
    expect(d.drainTimeS.accuracyPct).toBeCloseTo(90, 12);
    expect(d.latencyP50S.deltaPct).toBeNull();
    expect(d.p95WithinPerfSimBand).toBeNull();
    expect(d.a.source).toBe("sim");
    expect(d.b.source).toBe("real-local");
  });

  it("scalarDelta handles missing and zero baselines", () => {
    expect(scalarDelta(null, 3).deltaPct).toBeNull();
    expect(scalarDelta(0, 0).deltaPct).toBe(0);
    expect(scalarDelta(0, 1).deltaPct).toBeNull();
    expect(scalarDelta(200, 150)).toEqual({ a: 200, b: 150, deltaPct: -25, accuracyPct: 75 });
  });
});

describe("matchScaleEvents", () => {
  const ev = (t: number, actor: "keda" | "hpa", from: number, to: number): ScaleEvent => ({ t, actor, from, to, reason: "" });

  it("pairs events one to one, in order, within each actor and direction", () => {
    const a = [ev(30, "keda", 0, 1), ev(44.5, "hpa", 1, 4), ev(59.5, "hpa", 4, 8), ev(74.5, "hpa", 8, 10), ev(359.5, "hpa", 10, 9), ev(390, "keda", 9, 0)];
    const b = [ev(12, "keda", 0, 1), ev(15, "hpa", 1, 4), ev(30, "hpa", 4, 8), ev(45, "hpa", 8, 10), ev(342, "keda", 10, 0)];
    const m = matchScaleEvents(a, b);
    expect(m.pairs.map((p) => [p.actor, p.direction, p.a.t, p.b.t, p.dt])).toEqual([
      ["keda", "up", 30, 12, -18],
      ["hpa", "up", 44.5, 15, -29.5],
      ["hpa", "up", 59.5, 30, -29.5],
      ["hpa", "up", 74.5, 45, -29.5],
      ["keda", "down", 390, 342, -48],
    ]);
    expect(m.unmatchedA).toEqual([a[4]]);
    expect(m.unmatchedB).toEqual([]);
    expect(m.maxAbsDtS).toBe(48);
    expect(m.meanAbsDtS).toBeCloseTo((18 + 29.5 * 3 + 48) / 5, 12);
  });

  it("reports extra events of b as unmatched and ignores no-op records", () => {
    const m = matchScaleEvents([ev(10, "hpa", 1, 2)], [ev(11, "hpa", 1, 2), ev(12, "hpa", 2, 3), ev(13, "hpa", 3, 3)]);
    expect(m.pairs).toHaveLength(1);
    expect(m.pairs[0].dt).toBe(1);
    expect(m.unmatchedB.map((e) => e.t)).toEqual([12]);
  });

  it("compareRuns uses the trace's scale records", () => {
    const a = { trace: { header: header(), records: [scale(5, "keda", 0, 1), sample(0), sample(10)] }, summary: summaryOf() };
    const b = { trace: { header: header(), records: [scale(7, "keda", 0, 1), scale(9, "hpa", 1, 4), sample(0), sample(10)] }, summary: summaryOf() };
    const d = compareRuns(a, b);
    expect(d.scaleEvents.pairs.map((p) => p.dt)).toEqual([2]);
    expect(d.scaleEvents.unmatchedB.map((e) => e.to)).toEqual([4]);
  });
});

describe("writeComparison", () => {
  it("reads two output dirs and writes deltas.json and the overlay PNGs", async () => {
    const root = tmp();
    const dirA = writeRunDir(join(root, "sim"), synthRun({ serviceJitter: 0.3 }));
    const dirB = writeRunDir(join(root, "real"), synthRun({ source: "real-local", seed: 4, serviceJitter: 0.3, firstPollS: 12, hpaDelayS: 3 }));
    const out = join(root, "cmp");
    const { deltas, files } = await writeComparison(dirA, dirB, out);
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(["deltas.json", "compare-backlog.png", "compare-replicas.png", "compare-latency.png"]);
    const json = JSON.parse(readFileSync(join(out, "deltas.json"), "utf8"));
    expect(json.labels).toEqual({ a: "sim", b: "real-local" });
    expect(json.replicas.desired.rmse).toBeCloseTo(deltas.replicas.desired.rmse, 12);
    expect(deltas.replicas.desired.rmse).toBeGreaterThan(0);
  });
});

describe("compare-cli", () => {
  const run = (...args: string[]) => spawnSync("npx", ["tsx", "reports/compare-cli.ts", ...args], { cwd: process.cwd(), encoding: "utf8" });

  it("exits 2 with one clear message naming the missing directory", () => {
    const missing = join(tmp(), "does-not-exist");
    const r = run(missing, missing);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${missing}: no such directory`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("exits 2 naming the file when a trace is unparsable or summary.json is missing", () => {
    const root = tmp();
    const good = writeRunDir(join(root, "good"), synthRun());
    const bad = join(root, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, "trace.jsonl"), readFileSync(join(good, "trace.jsonl"), "utf8").split("\n")[0] + "\n{not json\n");
    writeFileSync(join(bad, "summary.json"), "{}");
    let r = run(good, bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(bad, "trace.jsonl")}:2: not valid JSON`);
    const noSummary = join(root, "nosummary");
    mkdirSync(noSummary);
    writeFileSync(join(noSummary, "trace.jsonl"), readFileSync(join(good, "trace.jsonl")));
    r = run(good, noSummary);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(noSummary, "summary.json")}: file not found`);
    r = run(good);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("usage:");
  });

  it("exits 0, prints the deltas and writes into <dirB>/compare by default", () => {
    const root = tmp();
    const a = writeRunDir(join(root, "a"), synthRun());
    const b = writeRunDir(join(root, "b"), synthRun({ source: "real-local", firstPollS: 12 }));
    const r = run(a, b);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/drain time: [\d.]+ s → [\d.]+ s \([+-][\d.]+ %/);
    expect(r.stdout).toMatch(/replicas \(1 s grid, 0–480 s\): desired RMSE [\d.]+, max \|Δ\| \d+/);
    expect(existsSync(join(b, "compare", "deltas.json"))).toBe(true);
    expect(existsSync(join(b, "compare", "compare-replicas.png"))).toBe(true);
  });
});
