import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { parse, stringify } from "yaml";
import { loadScenario } from "../scenario/load.js";
import { simulate } from "../run.js";
import { isTopologyScenario } from "../topology/run.js";
import { runAdvise } from "./advise.js";
import { defaultKnobs } from "./knobs.js";
import { loadBase } from "./base.js";
import { parseGoal } from "./goals.js";
import { parseVary } from "./paths.js";
import type { Progress } from "./progress.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SC = join(ROOT, "fixtures/scenarios");
const BURST = join(SC, "seed-000-burst-50.yaml");
const quiet: Progress = { stage() {}, update() {}, stop() {} };

afterEach(() => {
  process.exitCode = undefined;
});

describe("advise", () => {
  it("default knobs: the user's value is always in the space; behavior only on keda.sh", () => {
    const v1 = defaultKnobs(loadBase(BURST));
    expect(v1.map((k) => k.path.text)).toEqual(["triggers[0].metadata.queueLength", "pollingInterval", "cooldownPeriod", "scaleTargetRef.minReplicaCount", "scaleTargetRef.maxReplicaCount"]);
    for (const k of v1) expect(k.values.length).toBeGreaterThan(1);
    expect(v1[0].values[v1[0].current]).toBe("5");
    expect(v1[1].values[v1[1].current]).toBeNull(); // pollingInterval absent: "unset (30)"
    const v2 = defaultKnobs(loadBase(join(SC, "seed-002-one-per-second.yaml")));
    expect(v2.map((k) => k.path.text)).toContain("advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds");
  });

  it("the seed burst: a paste-ready ScaledObject that meets the goal on ≥ 95 % of seeds, cheaper, with the why from the traces", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kedasim-advise-"));
    try {
      const lines: string[] = [];
      const r = await runAdvise(
        { file: BURST, goals: [parseGoal("p95<=60s")], minimize: "cost", cost: { pricePerReplicaHour: null }, seeds: 20, confidence: 0.95, bounds: [], fixed: [], budget: 6000, workers: 2, outDir: dir, charts: true },
        (s) => lines.push(s),
        quiet,
      );
      expect(r.met).toBe(true);
      expect(r.search.best.met).toBeGreaterThanOrEqual(19);
      expect(r.search.best.objective).toBeLessThan(r.search.baseline.objective / 2);
      expect(r.recommended.length).toBeGreaterThan(0);
      // The YAML is a whole ScaledObject that kedasim (and so KEDA's schema) accepts: run it in the scenario.
      const so = parse(readFileSync(join(dir, "recommended-scaledobject.yaml"), "utf8"));
      expect(so).toMatchObject({ apiVersion: "keda.k8s.io/v1alpha1", kind: "ScaledObject", metadata: { name: "bindingconsumer-scaler" } });
      const scFile = join(dir, "scenario.yaml");
      const raw = parse(readFileSync(BURST, "utf8"));
      writeFileSync(scFile, JSON.stringify({ ...raw, manifests: [join(dir, "recommended-scaledobject.yaml"), ...raw.manifests.slice(1).map((m: string) => resolve(SC, m))] }));
      const after = simulate(loadScenario(scFile));
      expect(after.summary.latencyS.p95!).toBeLessThanOrEqual(60);
      expect(after.summary.replicas.replicaSeconds).toBeLessThan(simulate(loadScenario(BURST)).summary.replicas.replicaSeconds);
      const md = readFileSync(join(dir, "advice.md"), "utf8");
      expect(md).toMatch(/Behaviour of KEDA \d+\.\d+\.\d+ and Kubernetes \d+\.\d+\.\d+\./);
      expect(md).toMatch(/\| recommended \| (19|20) \(\d+ %\) \|/);
      expect(md).toMatch(/## Why/);
      // the why names what the trace shows: the 300 s window holding 10 replicas, and KEDA's scale to zero
      expect(r.why.join("\n")).toMatch(/300 s downscale stabilization window .* kept desired at 10 although its own proposal was 0/);
      expect(r.why.join("\n")).toMatch(/the HPA's window, not cooldownPeriod, decided how long 10 replicas stayed/);
      expect(readFileSync(join(dir, "scaledobject.diff"), "utf8")).toMatch(/^\+.*cooldownPeriod: \d+$/m);
      expect(readdirSync(dir)).toEqual(expect.arrayContaining(["compare-replicas.png", "compare-backlog.png", "compare-latency.png", "candidates.csv"]));
      expect(lines.join("\n")).toContain("Recommended ScaledObject (paste-ready):");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it("Ctrl-C while the scenario as written runs: interrupted (exit 130 in the CLI), not 'does not run'", async () => {
    // The first SIGINT aborts the pool (interruptible); the stage callback fires as the baseline starts.
    const ctrlC: Progress = { stage: () => void process.emit("SIGINT"), update() {}, stop() {} };
    const warn = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await expect(
        runAdvise({ file: BURST, goals: [parseGoal("p95<=60s")], minimize: "cost", cost: { pricePerReplicaHour: null }, seeds: 4, confidence: 0.95, bounds: [], fixed: [], budget: 40, workers: 1, outDir: null, charts: false }, () => {}, ctrlC),
      ).rejects.toMatchObject({ name: "WhatIfInterrupted" });
    } finally {
      process.stderr.write = warn;
    }
  }, 300_000);

  it("a recommended change outside the ScaledObject (--bound on a scenario path) is listed apart from the paste-ready YAML", async () => {
    const fixed = ["triggers[0].metadata.queueLength", "pollingInterval", "cooldownPeriod", "scaleTargetRef.minReplicaCount", "scaleTargetRef.maxReplicaCount"];
    const dir = mkdtempSync(join(tmpdir(), "kedasim-advise-outside-"));
    const r = await runAdvise(
      { file: BURST, goals: [parseGoal("p95<=1000s")], minimize: "cost", cost: { pricePerReplicaHour: null }, seeds: 2, confidence: 0.5, bounds: [parseVary("hpa.downscaleStabilizationSeconds=0,300")], fixed, budget: 60, workers: 1, outDir: dir, charts: false },
      () => {},
      quiet,
    );
    const markdown = readFileSync(join(dir, "advice.md"), "utf8");
    rmSync(dir, { recursive: true, force: true });
    expect(r.met).toBe(true);
    // a 0 s window lets the HPA step down at once: fewer replica-seconds than 300 s
    expect(r.recommended.map((a) => [a.path.text, a.value])).toEqual([["hpa.downscaleStabilizationSeconds", 0]]);
    expect(r.yaml).toBe(stringify(loadBase(BURST).scaledObject, { lineWidth: 0 }));
    expect(markdown).toMatch(/\*\*Not in the ScaledObject\*\*[^\n]*\n\n- `hpa\.downscaleStabilizationSeconds`: unset \(default\) → 0/);
  }, 300_000);

  it("a goal no configuration in the bounds meets: says so, shows the closest, exit code 1", async () => {
    const lines: string[] = [];
    const r = await runAdvise(
      { file: BURST, goals: [parseGoal("p95<=5s")], minimize: "cost", cost: { pricePerReplicaHour: null }, seeds: 4, confidence: 0.95, bounds: [], fixed: ["triggers[0].metadata.queueLength", "scaleTargetRef.minReplicaCount"], budget: 400, workers: 1, outDir: null, charts: false },
      (s) => lines.push(s),
      quiet,
    );
    expect(r.met).toBe(false);
    expect(lines.join("\n")).toMatch(/No configuration within the bounds meets the goals on 95 % of the seeds\.\*\* The closest one meets them on 0 of 4 seeds/);
    expect(process.exitCode).toBe(1);
  }, 300_000);

  it("runs on every shipped single-queue scenario; CLI: bad goals and bounds exit 2", async () => {
    const run = (args: string[]) => spawnSync("npx", ["tsx", "sim/cli.ts", "advise", ...args], { cwd: ROOT, encoding: "utf8", timeout: 300_000 });
    const bad = run([BURST, "--goal", "p95<=60x"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--goal 'p95<=60x': expected/);
    expect(run([BURST]).status).toBe(2);
    const b = run([BURST, "--goal", "p95<=60s", "--bound", "cooldownPerod=1,2"]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/cooldownPerod/);
    const dir = mkdtempSync(join(tmpdir(), "kedasim-advise-all-"));
    try {
      for (const f of readdirSync(SC).filter((x) => x.endsWith(".yaml") && !isTopologyScenario(join(SC, x)) && loadScenario(join(SC, x)).scaledJob === undefined)) {
        // Small searches (the default budget takes about a minute per scenario); the two long
        // scenarios (a simulated day, two hours of replayed traffic) only over cooldownPeriod.
        const long = f === "daily-sine.yaml" || f === "replay-prometheus-orders.yaml";
        const file = join(SC, f);
        const r = await runAdvise(
          {
            file,
            goals: [parseGoal("p95<=10m")],
            minimize: "cost",
            cost: { pricePerReplicaHour: null },
            seeds: long ? 1 : 3,
            confidence: 0.95,
            bounds: long ? [parseVary("cooldownPeriod=60,300")] : [],
            fixed: long ? defaultKnobs(loadBase(file)).filter((k) => k.path.text !== "cooldownPeriod").map((k) => k.path.text) : [],
            budget: 200,
            workers: 2,
            outDir: join(dir, f),
            charts: false,
          },
          () => {},
          quiet,
        );
        expect(r.search.baseline.seeds, f).toBe(long ? 1 : 3);
        expect(readFileSync(join(dir, f, "advice.md"), "utf8"), f).toMatch(/## Evidence/);
        expect(parse(readFileSync(join(dir, f, "recommended-scaledobject.yaml"), "utf8")).kind, f).toBe("ScaledObject");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
