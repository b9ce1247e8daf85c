// Real mode without daprd or RabbitMQ: the decision wrapper reproduces the simulator's decisions,
// the run plan, the generated Dapr components and the comparison-simulation inputs.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simulate } from "../sim/run.js";
import { loadScenario } from "../sim/scenario/load.js";
import type { HpaSyncRecord, KedaPollRecord, SampleRecord, TraceRecord } from "../sim/trace.js";
import { rabbitBindingYaml } from "./components.js";
import { ScalingDecisions } from "./decide.js";
import { lostMessages, planRun, RealInputError, type RealResult } from "./harness.js";
import { simScenarioFor } from "./pipeline.js";
import { readModeOf } from "./scaler.js";
import { REPO } from "./test-helpers.js";

const SEED_BURST = join(REPO, "fixtures/scenarios/real-seed-burst-rabbitmq.yaml");

describe("real/decide.ts mirrors the simulator's KEDA polls and HPA syncs (sim/model/autoscaler.ts)", () => {
  for (const file of ["real-seed-burst-rabbitmq.yaml", "rabbitmq-amqp-scales-away-busy-pods.yaml", "real-kill-redelivery.yaml"]) {
    it(`replaying ${file}'s simulated metrics gives the simulator's scale events`, () => {
      const s = loadScenario(join(REPO, "fixtures/scenarios", file));
      const sim = simulate(s);
      const d = new ScalingDecisions(s);
      let spec = s.consumer.initialReplicas;
      let lastSample: SampleRecord | null = null;
      const got: Array<{ t: number; from: number; to: number; actor: string }> = [];
      // A snapshot whose reading is exactly what the simulated trigger read (ready only: every trigger here counts ready).
      const snap = (metric: number) => ({ ready: metric, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0 });
      for (const r of sim.records as TraceRecord[]) {
        if (r.type === "sample") lastSample = r;
        if (r.type === "keda-poll") {
          const k = r as KedaPollRecord;
          const res = d.kedaPoll(k.t, s.scaledObject.triggers.map(() => (k.error ? null : snap(k.metric ?? 0))), spec);
          expect(res.record.condition).toBe(k.condition);
          if (res.to !== null) {
            got.push({ t: Math.round(k.t * 1e6) / 1e6, from: spec, to: res.to, actor: "keda" });
            spec = res.to;
          }
        }
        if (r.type === "hpa-sync") {
          const h = r as HpaSyncRecord;
          const res = d.hpaSync(h.t, s.scaledObject.triggers.map(() => snap(h.metric ?? 0)), {
            specReplicas: spec,
            statusReplicas: h.statusReplicas,
            readyReplicas: lastSample?.ready ?? 0,
          });
          expect(res.record.desired).toBe(h.desired);
          if (res.to !== null) {
            got.push({ t: Math.round(h.t * 1e6) / 1e6, from: spec, to: res.to, actor: "hpa" });
            spec = res.to;
          }
        }
      }
      expect(got).toEqual(sim.summary.scaleEvents.map((e) => ({ t: e.t, from: e.from, to: e.to, actor: e.actor })));
    });
  }
});

describe("lost messages at the end of a live run (lostMessages)", () => {
  it("counts ids, so a message done twice and requeued does not cancel one really lost", () => {
    // 10 produced; id 3 finished but its ack was lost with the pod, so it is back in the queue too;
    // id 7 never finished and is not in the queue: lost. A raw count (10 − 9 − 1 left) says 0.
    expect(lostMessages([7], 0, { count: 1, ids: [3] })).toBe(1);
    // an unfinished message back in the queue (a run that ended at its duration) is not lost
    expect(lostMessages([7], 0, { count: 1, ids: [7] })).toBe(0);
    // parked (dead-lettered) messages never finish and are not in the queue
    expect(lostMessages([4, 7], 1, { count: 1, ids: [7] })).toBe(0);
    expect(lostMessages([4, 7, 9], 1, { count: 0, ids: [] })).toBe(2);
    // the queue could not be read (an interrupted run): every unfinished, unparked message counts
    expect(lostMessages([4, 7], 0, null)).toBe(2);
  });
});

describe("planRun", () => {
  it("turns the seed burst into one POST /MessageProducer {count 50, intervalMilliseconds 0}", () => {
    const p = planRun(loadScenario(SEED_BURST), 0.1);
    expect(p.posts).toEqual([{ at: 0, count: 50, intervalMs: 0 }]);
    expect(p.total).toBe(50);
  });
  it("scales interval producers by k and rejects what real mode cannot run", () => {
    const s = loadScenario(join(REPO, "fixtures/scenarios/seed-000-interval-50x200ms.yaml"));
    expect(() => planRun(s, 0.1)).toThrow(RealInputError); // Service Bus
    const r = loadScenario(SEED_BURST);
    const iv = { ...r, producers: [{ type: "interval" as const, at: 2, count: 3, intervalSeconds: 0.2 }] };
    expect(planRun(iv, 0.5).posts).toEqual([{ at: 2, count: 3, intervalMs: 100 }]);
    const rate = { ...r, producers: [{ type: "rate" as const, points: [[0, 1], [10, 1]] as Array<[number, number]>, deterministic: false }] };
    expect(() => planRun(rate, 0.1)).toThrow(/not supported in real mode/);
  });
  it("refuses a ScaledJob scenario with one line (not modelled in real mode yet)", () => {
    const s = loadScenario(join(REPO, "fixtures/scenarios/scaledjob-long-running.yaml"));
    expect(() => planRun(s, 0.1)).toThrow(/a ScaledJob scenario; real mode runs a ScaledObject's loops/);
  });
});

describe("components and trigger reading", () => {
  it("generates a bindings.rabbitmq component with prefetch 1, a durable queue and a direction", () => {
    const y = rabbitBindingYaml({ name: "jobs", queueName: "kedasim-x-jobs", host: "amqp://guest:guest@127.0.0.1:5672", direction: "input", prefetchCount: 1 });
    expect(y).toContain("type: bindings.rabbitmq");
    expect(y).toMatch(/name: prefetchCount\n\s+value: "1"/);
    expect(y).toMatch(/name: durable\n\s+value: "true"/);
    expect(y).toMatch(/name: direction\n\s+value: "input"/);
  });
  it("reads the seed burst's trigger over the management API (ready + unacked)", () => {
    const t = loadScenario(SEED_BURST).scaledObject.triggers[0];
    expect(readModeOf(t)).toBe("http");
    expect(t.read({ ready: 2, inFlight: 3, prefetched: 0, publishRate: 0, deliverRate: 0 }).value).toBe(5);
  });
  it("the comparison simulation gets the measured startups and the stats interval ÷ k", () => {
    const s = loadScenario(SEED_BURST);
    const fake = { startups: [{ startupS: 12.5 }, { startupS: 20 }], statsIntervalMs: 1000, statsTiming: { source: "test" } } as unknown as RealResult;
    const { scenario, inputs } = simScenarioFor(s, fake, 0.1);
    expect(scenario.consumer.startupDelay).toEqual({ dist: "empirical", values: [12.5, 20] });
    expect(scenario.consumer.schedulingDelay).toEqual({ dist: "constant", value: 0 });
    expect(scenario.queue.statsInterval).toBe(10);
    expect(inputs.why.length).toBe(2);
    // a live run of 400 s caps the comparison at 1200 s (a scenario that never settles would run a week)
    const capped = simScenarioFor(s, { ...fake, summary: { simulatedSeconds: 400 } } as unknown as RealResult, 0.1);
    expect(capped.scenario.maxDuration).toBe(1200);
    expect(capped.inputs.why.some((w) => /maxDurationSeconds = 1200 s/.test(w))).toBe(true);
    expect(scenario.maxDuration).toBe(s.maxDuration);
  });
});

describe("liveTestLock (one live test file at a time)", () => {
  it("a lock whose holder died is taken over by exactly one of two waiters; the other waits for its release", async () => {
    const { liveTestLock } = await import("./test-helpers.js");
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { spawnSync } = await import("node:child_process");
    const root = mkdtempSync(join(tmpdir(), "kedasim-lock-test-"));
    try {
      const dir = join(root, "lock");
      const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
      mkdirSync(dir);
      writeFileSync(join(dir, "pid"), dead.stdout);
      const order: string[] = [];
      const take = async (name: string) => {
        const release = await liveTestLock(20_000, dir);
        order.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 700));
        order.push(`${name} out`);
        release();
      };
      await Promise.all([take("a"), take("b")]);
      // never both inside: each "in" is followed by its own "out"
      expect(order).toHaveLength(4);
      expect(order[1]).toBe(order[0].replace("in", "out"));
      expect(order[3]).toBe(order[2].replace("in", "out"));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
