// Real-mode integration tests: live daprd sidecars + a local RabbitMQ. They need `npm run real:setup`;
// without it they are skipped (and fail when CI=true). All in one file so they run one after the
// other (they compete for the same 2 CPUs otherwise). Wall time ≈ 75 s.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Deltas } from "../reports/compare.js";
import { loadScenario } from "../sim/scenario/load.js";
import { parseTrace, type SampleRecord, type ScaleRecord, type Summary } from "../sim/trace.js";
import { Broker } from "./broker.js";
import { probeDaprd } from "./daprd-flags.js";
import { brokerUrls } from "./env.js";
import { hpaTickSlip, seedBurstBounds } from "./seed-burst-bounds.js";
import { holdLiveTestLock, processesWithMarker, REPO, requireRealEnv, runCli, runIdFor, startCli } from "./test-helpers.js";

const SEED_BURST = join(REPO, "fixtures/scenarios/real-seed-burst-rabbitmq.yaml");
const KILL = join(REPO, "fixtures/scenarios/real-kill-redelivery.yaml");
const K = 0.1;
const tmp = mkdtempSync(join(tmpdir(), "kedasim-real-test-"));
// One live test file at a time (real/test-helpers.ts).
holdLiveTestLock(() => rmSync(tmp, { recursive: true, force: true }));

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

describe("real mode (daprd + RabbitMQ)", () => {
  it("seed burst at time scale 0.1: nothing lost; replicas and drain time match the simulation within the stated tolerances", async (ctx) => {
    const pre = await requireRealEnv(ctx);
    const out = join(tmp, "seed-burst");
    const r = await runCli([SEED_BURST, "--time-scale", String(K), "--out", out, "--timeout", "200"]);
    expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
    const real = readJson<Summary>(join(out, "summary.json"));
    const sim = readJson<Summary>(join(out, "sim/summary.json"));
    const deltas = readJson<Deltas>(join(out, "compare/deltas.json"));
    const s = loadScenario(SEED_BURST);

    // Nothing lost: produced = completed + dead-lettered, and the broker's queue is empty once every consumer is gone.
    const m = real.messages;
    expect(m.produced).toBe(50);
    expect(m.completed + m.deadLettered).toBe(m.produced);
    expect(m.lost).toBe(0);
    expect(m.duplicates).toBe(0);
    const check = real.notes?.brokerCheck as { jobsQueueMessagesAfterStop: number | null };
    expect(check.jobsQueueMessagesAfterStop).toBe(0);
    // the run names the daprd it used, as the binary reports itself, in the summary and the report
    const used = probeDaprd(pre.daprd!);
    expect(real.notes?.daprd).toMatchObject({ path: used.path, version: used.version });
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain(`Live run: daprd ${used.version}`);

    // Tolerances, derived from how the two runs can differ at all (real/seed-burst-bounds.ts): both runs make
    // their decisions with the same pure KEDA/HPA functions on the same timers; 200 ms wall of broker-read
    // jitter, plus the measured slip of the live HPA ticks (setTimeout fires late on a loaded machine: up
    // to ~0.3 s wall was seen at load 10).
    const trace = parseTrace(readFileSync(join(out, "trace.jsonl"), "utf8"));
    const simTrace = parseTrace(readFileSync(join(out, "sim/trace.jsonl"), "utf8"));
    const lastUp = Math.max(...real.scaleEvents.filter((e) => e.to > e.from).map((e) => e.t));
    const tickSlipS = hpaTickSlip(trace.records, simTrace.records, lastUp + 1);
    expect(tickSlipS, "HPA tick slip (live vs simulated syncs)").toBeLessThan(s.hpa.syncPeriod / 2);
    const b = seedBurstBounds(s, real, sim, deltas, { timeScale: K, jitterWallS: 0.2, tickSlipS });
    expect(b.upsReal).toEqual(b.upsSim);
    for (const c of b.checks) expect(c.value, c.what).toBeLessThanOrEqual(c.bound);
    console.log(`[real seed burst] ${b.summary}; HPA tick slip ${tickSlipS.toFixed(2)} s; wall ${(r.ms / 1000).toFixed(1)} s`);

    // The trace is in scenario seconds and has the same shape as the simulator's.
    expect(trace.header.source).toBe("real-local");
    const samples = trace.records.filter((x): x is SampleRecord => x.type === "sample");
    expect(samples.length).toBeGreaterThan(300);
    expect(samples[1].t - samples[0].t).toBeCloseTo(1, 6);
    expect(trace.records.filter((x): x is ScaleRecord => x.type === "scale").length).toBe(real.scaleEvents.length);
  }, 240_000);

  it("kill fault: a consumer SIGKILLed mid-message → its message is redelivered and completed; nothing lost", async (ctx) => {
    await requireRealEnv(ctx);
    const out = join(tmp, "kill");
    const r = await runCli([KILL, "--time-scale", String(K), "--out", out, "--no-compare", "--timeout", "120"]);
    expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
    const real = readJson<Summary>(join(out, "summary.json"));
    const m = real.messages;
    expect(m.produced).toBe(12);
    expect(m.completed + m.deadLettered).toBe(m.produced);
    expect(m.lost).toBe(0);
    expect(m.redelivered).toBeGreaterThanOrEqual(1);
    expect((real.notes?.brokerCheck as { jobsQueueMessagesAfterStop: number }).jobsQueueMessagesAfterStop).toBe(0);
    const trace = parseTrace(readFileSync(join(out, "trace.jsonl"), "utf8"));
    const killed = trace.records.find((x) => x.type === "pod" && x.phase === "Gone" && x.reason === "SIGKILL (fault injection)");
    expect(killed).toBeDefined();
    const abandoned = trace.records.filter((x) => x.type === "message" && x.event === "abandoned");
    expect(abandoned.length).toBeGreaterThanOrEqual(1);
    for (const a of abandoned) {
      if (a.type !== "message") continue;
      // the abandoned message came back and was received by another pod
      expect(trace.records.some((x) => x.type === "message" && x.event === "redelivered" && x.id === a.id && x.t >= a.t)).toBe(true);
    }
    // the ReplicaSet replaced the killed pod
    expect(trace.records.some((x) => x.type === "pod" && x.phase === "Ready" && x.t > killed!.t)).toBe(true);
  }, 120_000);

  for (const [sig, file, readyLine, code] of [
    ["SIGINT", SEED_BURST, /consumer-\d+ ready/, 130],
    ["SIGTERM", KILL, /\[t=\s*0s\]/, 143],
  ] as const) {
    it(`${sig} during a run stops every daprd and app process (none left) and removes the run's queues`, async (ctx) => {
      await requireRealEnv(ctx);
      const runId = runIdFor(sig);
      const h = startCli([file, "--time-scale", String(K), "--out", join(tmp, sig), "--run-id", runId]);
      // Wait until consumers are up, so there is something to stop.
      await h.waitFor(readyLine, 60_000);
      const before = processesWithMarker(runId);
      expect(before.length).toBeGreaterThanOrEqual(4); // producer daprd + app, ≥ 1 consumer daprd + app
      const t0 = performance.now();
      h.kill(sig);
      const r = await h.done;
      expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(code);
      expect(performance.now() - t0).toBeLessThan(15_000);
      expect(r.stderr).toContain(sig);
      const left = processesWithMarker(runId);
      expect(left, JSON.stringify(left, null, 2)).toEqual([]);
      // the per-run queues are gone
      const b = new Broker(brokerUrls());
      await b.connect();
      await expect(b.checkQueue(`kedasim-${runId}-jobs`)).rejects.toThrow(/NOT_FOUND|404/);
      await b.close();
    }, 90_000);
  }

  it("broker unreachable → a clear error within 10 s (exit 3)", async (ctx) => {
    await requireRealEnv(ctx);
    const r = await runCli([KILL, "--time-scale", String(K), "--out", join(tmp, "nobroker")], { KEDASIM_AMQP_URL: "amqp://guest:guest@127.0.0.1:1" }, 20_000);
    expect(r.ms).toBeLessThan(10_000);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/RabbitMQ \(AMQP\) is not reachable at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1/);
    expect(r.stderr).toMatch(/ECONNREFUSED/);
  }, 30_000);

  it("daprd failing to start (its broker unreachable) → a clear error within 10 s with the last lines of daprd's log", async (ctx) => {
    await requireRealEnv(ctx);
    const runId = runIdFor("daprdfail");
    const r = await runCli([KILL, "--time-scale", String(K), "--out", join(tmp, "daprdfail"), "--run-id", runId], { KEDASIM_DAPR_AMQP_URL: "amqp://guest:guest@127.0.0.1:1" }, 20_000);
    expect(r.ms).toBeLessThan(10_000);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/daprd failed to start: daprd of producer exited with code 1/);
    expect(r.stderr).toMatch(/connection refused/);
    expect(r.stderr).toMatch(/last lines of daprd producer's log/);
    expect(processesWithMarker(runId)).toEqual([]);
  }, 30_000);

  it("bad input → exit 2 before anything starts", async () => {
    const r = await runCli([join(REPO, "fixtures/scenarios/seed-000-burst-50.yaml"), "--time-scale", String(K)], {}, 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/real mode runs against a local RabbitMQ/);
    const r2 = await runCli([SEED_BURST, "--time-scale", "0"], {}, 20_000);
    expect(r2.code).toBe(2);
  }, 30_000);
});
