// Real-mode integration tests: live daprd sidecars + a local RabbitMQ. They need `npm run real:setup`;
// without it they are skipped (and fail when CI=true). All in one file so they run one after the
// other (they compete for the same 2 CPUs otherwise). Wall time ≈ 75 s.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Deltas } from "../reports/compare.js";
import { loadScenario } from "../sim/scenario/load.js";
import { parseTrace, type SampleRecord, type ScaleRecord, type Summary } from "../sim/trace.js";
import { Broker } from "./broker.js";
import { probeDaprd } from "./daprd-flags.js";
import { brokerUrls } from "./env.js";
import { processesWithMarker, REPO, requireRealEnv, runCli, runIdFor, startCli } from "./test-helpers.js";

const SEED_BURST = join(REPO, "fixtures/scenarios/real-seed-burst-rabbitmq.yaml");
const KILL = join(REPO, "fixtures/scenarios/real-kill-redelivery.yaml");
const K = 0.1;
const tmp = mkdtempSync(join(tmpdir(), "kedasim-real-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

interface StartupNotes {
  n: number;
  min: number;
  max: number;
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

    // Tolerances, derived from how the two runs can differ at all. Both runs make their decisions with the same
    // pure KEDA/HPA functions on the same timers (same phases), and the simulation gets the measured startup
    // latencies and the measured management-API refresh interval R (1 s wall ÷ k = 10 s when tuned). What remains:
    //  (0) activation: the simulation's stats snapshot at t = 0 already shows the burst; RabbitMQ's management API
    //      shows a new queue's messages only after its first stats emission + collector tick (≤ ~1.5 s wall =
    //      15 s scenario) plus the time the producer needs for the burst. KEDA's first poll (t = 14.2 s) races
    //      that; if it loses, activation — and everything after it — comes one polling interval P later:
    //      δ0 ∈ {0, P}.
    //  (1) scale-ups: in this scenario every up-step is set by the HPA's scale-up limit max(2×, 4) or by its
    //      stabilization window, not by the metric's exact value (it stays far above target × replicas while it
    //      matters), so up-steps land on the same sync: |Δt − δ0| ≤ 200 ms wall of timer/broker jitter (2 s).
    //  (2) startup: the simulation draws the measured startup latencies in random order, so the k-th pod's Ready
    //      time may differ by the spread (max − min) of the measured values. The work is conserved, so the drain
    //      time may differ by ≤ spread + one processing time (which pod takes the last message): |Δdrain − δ0|.
    //  (3) scale-downs depend on when the (stale) metric reaches 0 at the end of the drain — up to R + (2) apart — and a
    //      loop of period Q (KEDA P = 30 s, HPA S = 15 s) acts at its next tick: ≤ Q·⌈(R + (2))/Q⌉ later or earlier.
    //  Replica RMSE: if step i (size Δi) is b_i late or early, the difference at time t is at most the sum of the
    //  |Δi| whose slip windows contain t, so ∫Δ² ≤ Σ|Δi| · Σ|Δi|·b_i (Cauchy–Schwarz), taken separately for the
    //  ups (first ~100 s) and the downs (≥ 300 s of stabilization/cooldown later, so the windows never overlap):
    //  RMSE ≤ sqrt((U_up + U_down) / T), with b_i = |δ0| + 2 s for ups (+ the startup spread for `ready`).
    const S = s.hpa.syncPeriod;
    const P = s.scaledObject.pollingInterval;
    const R = (real.notes?.managementStats as { effectiveScenarioS: number }).effectiveScenarioS;
    const su = real.notes?.startupLatencyS as StartupNotes;
    expect(su.n).toBeGreaterThan(0);
    const spread = su.max - su.min;
    const T = deltas.replicas.gridEndS + 1;
    const activation = (e: Summary["scaleEvents"]) => e.find((x) => x.actor === "keda" && x.from === 0 && x.to > 0)!;
    const d0 = activation(real.scaleEvents).t - activation(sim.scaleEvents).t;
    expect([0, 1]).toContain(Math.round(d0 / P));
    expect(Math.abs(d0 - P * Math.round(d0 / P))).toBeLessThan(1); // KEDA acts only at its polls
    // (1)
    const ups = (e: Summary["scaleEvents"]) => e.filter((x) => x.to > x.from).map((x) => `${x.actor}:${x.from}->${x.to}`);
    expect(ups(real.scaleEvents)).toEqual(ups(sim.scaleEvents));
    const jitter = 0.2 / K;
    for (const p of deltas.scaleEvents.pairs.filter((x) => x.direction === "up")) expect(Math.abs(p.dt - d0)).toBeLessThanOrEqual(jitter);
    // (2)
    const pt = s.consumer.processingTime;
    const drainBound = spread + (pt.dist === "constant" ? pt.value : 0);
    expect(Math.abs(real.drainTimeS! - sim.drainTimeS! - d0)).toBeLessThanOrEqual(drainBound);
    // (3) + RMSE
    const downSlip = (actor: string) => {
      const Q = actor === "keda" ? P : S;
      return Q * Math.ceil((R + drainBound) / Q);
    };
    for (const p of deltas.scaleEvents.pairs.filter((x) => x.direction === "down")) expect(Math.abs(p.dt - d0)).toBeLessThanOrEqual(downSlip(p.a.actor));
    const budget = (events: Summary["scaleEvents"], extraUp: number) => {
      let u = 0;
      for (const up of [true, false]) {
        const g = events.filter((e) => e.to > e.from === up);
        const sumAbs = g.reduce((a, e) => a + Math.abs(e.to - e.from), 0);
        const sumAbsB = g.reduce((a, e) => a + Math.abs(e.to - e.from) * (Math.abs(d0) + (up ? jitter + extraUp : downSlip(e.actor))), 0);
        u += sumAbs * sumAbsB;
      }
      return u;
    };
    const desiredBound = Math.sqrt(Math.max(budget(real.scaleEvents, 0), budget(sim.scaleEvents, 0)) / T);
    expect(deltas.replicas.desired.rmse).toBeLessThanOrEqual(desiredBound);
    const readyBound = Math.sqrt(Math.max(budget(real.scaleEvents, spread), budget(sim.scaleEvents, spread)) / T);
    expect(deltas.replicas.ready.rmse).toBeLessThanOrEqual(readyBound);
    console.log(
      `[real seed burst] δ0 ${d0.toFixed(2)} s; startup ${su.min.toFixed(1)}–${su.max.toFixed(1)} s scenario (n=${su.n}); drain real ${real.drainTimeS?.toFixed(1)} s vs sim ${sim.drainTimeS?.toFixed(1)} s ` +
        `(|Δ − δ0| ${Math.abs(real.drainTimeS! - sim.drainTimeS! - d0).toFixed(1)} ≤ ${drainBound.toFixed(1)}); desired RMSE ${deltas.replicas.desired.rmse.toFixed(2)} ≤ ${desiredBound.toFixed(2)}; ` +
        `ready RMSE ${deltas.replicas.ready.rmse.toFixed(2)} ≤ ${readyBound.toFixed(2)}; wall ${(r.ms / 1000).toFixed(1)} s`,
    );

    // The trace is in scenario seconds and has the same shape as the simulator's.
    const trace = parseTrace(readFileSync(join(out, "trace.jsonl"), "utf8"));
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
