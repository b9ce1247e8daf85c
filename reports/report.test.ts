import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildReport, narrate, writeReport } from "./report.js";
import { header, sample, scale, summaryOf } from "./test-helpers/build.js";
import { synthRun } from "./test-helpers/synth.js";
import type { HpaSyncRecord, KedaPollRecord } from "../sim/trace.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("writeReport", () => {
  it("writes report.md with the summary numbers, the charts inline and the scale events", () => {
    const out = mkdtempSync(join(tmpdir(), "kedasim-report-"));
    dirs.push(out);
    const { trace, summary } = synthRun();
    // make the summary numbers distinctive so we are sure they come from the summary
    summary.messages = { produced: 50, completed: 47, deadLettered: 2, redelivered: 3, lost: 1, duplicates: 4 };
    summary.drainTimeS = 94.5;
    summary.latencyS = { ...summary.latencyS, p50: 61.25, p90: 80.5, p95: 88.75, p99: 93.5, max: 94.5, exact: false };
    summary.replicas = { peak: 10, replicaSeconds: 3270, readyReplicaSeconds: 3170 };
    summary.firstReplicaReadyS = 40;
    const pngs = ["metric.png", "replicas.png", "throughput.png", "latency.png"].map((f) => join(out, f));
    const file = writeReport(out, trace, summary, pngs);
    expect(file).toBe(join(out, "report.md"));
    const md = readFileSync(file, "utf8");
    expect(md).toMatch(/^# seed-burst-50 — sim run \(seed 1\)/);
    for (const row of [
      "| messages produced | 50 |",
      "| completed | 47 |",
      "| dead-lettered | 2 |",
      "| redelivered | 3 |",
      "| lost | 1 |",
      "| duplicates | 4 |",
      "| drain time (first arrival → last departure) | 94.5 s |",
      "| latency p50 / p90 / p95 / p99 / max (sojourn) | 61.3 / 80.5 / 88.8 / 93.5 / 94.5 s |",
      "| peak replicas | 10 |",
      "| replica-seconds (ready) | 3,270 (3,170) |",
      "| scale events (KEDA / HPA) | 8 (2 / 6) |",
      "| flaps (direction changes) | 1 |",
      "| first replica ready | t=40 s (10 s after 0→1) |",
      "| sojourn ¹ | 50 |",
    ]) {
      expect(md).toContain(row);
    }
    expect(md).toContain("1 % histogram buckets");
    for (const f of ["metric.png", "replicas.png", "throughput.png", "latency.png"]) expect(md).toMatch(new RegExp(`!\\[[^\\]]+\\]\\(${f.replace(".", "\\.")}\\)`));
    // scale-event list, with decision → ready for scale-ups (startup 10 s in the generator; sampled at 1 s)
    expect(md).toContain("| 30 | 0 → 1 | KEDA | scaleFromZero: metric 50 > activation 0 | 10 |");
    expect(md).toContain("| 44.5 | 1 → 4 | HPA |");
    expect(md).toMatch(/\| 390 \| \d+ → 0 \| KEDA \| cooldownPeriod 300s/);
  });

  it("is a pure function of its inputs", () => {
    const { trace, summary } = synthRun({ serviceJitter: 0.2 });
    expect(buildReport(trace, summary, [])).toBe(buildReport(trace, summary, []));
  });
});

describe("narrate", () => {
  it("tells the seed-scenario story from the trace: staircase, cap, hold, KEDA N→0 and idle cost", () => {
    const { trace, summary } = synthRun({ hpaDelayS: 0.5, startupS: 0 });
    const text = narrate(trace, summary).join(" ");
    expect(text).toContain("50 messages arrived at t≈0 s.");
    expect(text).toContain("KEDA saw a metric of 50 and scaled 0→1 at t=30 s");
    expect(text).toMatch(/The HPA then stepped 1→4 at t=30\.5 s, 4→8 at t=45\.5 s, 8→10 at t=60\.5 s\./);
    expect(text).toContain("legacy scale-up limit of max(2 × current, 4) per sync (it wanted 10 at t=30.5 s but got 4");
    expect(text).toContain("Desired replicas peaked at 10 (= maxReplicaCount) at t=60.5 s");
    expect(text).toMatch(/The HPA held 10 until t=[\d.]+ s although its own proposal had dropped to 0/);
    expect(text).toMatch(/KEDA set \d+→0 at t=360 s, 300 s after its last active poll \(t=60 s; cooldownPeriod 300 s\), straight from \d+/);
    expect(text).toMatch(/replica-seconds \(\d+ %\) were spent after the queue was empty/);
  });

  it("claims nothing about the hold or KEDA when the trace has neither", () => {
    const h = header({ minReplicaCount: 1 });
    const records = [
      sample(0, { produced: 2, queued: 2, metric: 2, desired: 1, current: 1, ready: 1 }),
      sample(1, { produced: 2, inFlight: 1, metric: 1, desired: 1, current: 1, ready: 1, completed: 1 }),
      sample(2, { produced: 2, desired: 1, current: 1, ready: 1, completed: 2 }),
    ];
    const text = narrate({ header: h, records }, summaryOf({ messages: { produced: 2, completed: 2, deadLettered: 0, redelivered: 0, lost: 0, duplicates: 0 }, drainTimeS: 2 })).join(" ");
    expect(text).not.toMatch(/KEDA|stabilization|cooldown|held/);
    expect(text).toContain("drain time (first arrival → last departure) was 2.00 s");
  });

  it("explains a scale-up to the window max above the HPA's own proposal, from hpa-sync records", () => {
    const sync = (t: number, raw: number, desired: number): HpaSyncRecord => ({
      type: "hpa-sync",
      t,
      metric: raw * 5,
      specReplicas: 0,
      statusReplicas: 0,
      raw,
      desired,
      condition: "",
    });
    const poll: KedaPollRecord = { type: "keda-poll", t: 0, metric: 40, active: true, error: false, lastActiveTime: 0, condition: "" };
    const records = [
      poll,
      scale(0, "keda", 0, 1),
      sample(0, { produced: 40, queued: 40, metric: 40, desired: 1 }),
      sync(1, 8, 4),
      scale(1, "hpa", 1, 4),
      sync(16, 3, 8),
      scale(16, "hpa", 4, 8),
      sample(20, { produced: 40, queued: 10, metric: 10, desired: 8 }),
    ];
    const text = narrate({ header: header(), records }, summaryOf({ messages: { produced: 40, completed: 30, deadLettered: 0, redelivered: 0, lost: 0, duplicates: 0 } })).join(" ");
    expect(text).toContain("it wanted 8 at t=1 s but got 4");
    expect(text).toContain("The HPA scaled up to 8 at t=16 s while its own proposal was 3: legacy normalization");
    expect(text).toContain("The queue was not empty at the end of the trace (t=20 s): 10 messages left.");
  });
});

describe("versions in every report (issue 14)", () => {
  it("a simulated run's trace header and report.md name the KEDA and Kubernetes releases it followed: the defaults, or the scenario's", async () => {
    const { resolveScenario } = await import("../sim/scenario/load.js");
    const { simulate } = await import("../sim/run.js");
    const { NEWEST_KEDA_VERSION, NEWEST_KUBERNETES_VERSION } = await import("../sim/decisions/versions.js");
    const scenario = (extra: Record<string, unknown>) =>
      resolveScenario(
        {
          name: "versions",
          ...extra,
          producers: [{ type: "burst", count: 3 }],
          manifests: [{ apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "so" }, spec: { scaleTargetRef: { name: "c" }, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q" } }] } }],
        },
        process.cwd(),
        "versions.yaml",
      );
    for (const [extra, keda, kube] of [
      [{}, NEWEST_KEDA_VERSION, NEWEST_KUBERNETES_VERSION],
      [{ kedaVersion: "2.18.1", kubernetesVersion: "1.32.4" }, "2.18.1", "1.32.4"],
    ] as const) {
      const out = simulate(scenario(extra));
      expect(out.header.scaling).toMatchObject({ kedaVersion: keda, kubernetesVersion: kube });
      const md = buildReport({ header: out.header, records: out.records }, out.summary, []);
      expect(md).toContain(`Behaviour of KEDA ${keda} and Kubernetes ${kube}.`);
    }
  });
});
