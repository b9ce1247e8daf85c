import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { loadScenario, resolveScenario, type Scenario } from "../scenario/load.js";
import { timeScaled } from "../scenario/time-scale.js";
import { simulate, traceText } from "../run.js";
import type { HpaSyncRecord, KedaPollRecord, ScaleRecord, SampleRecord, TraceRecord } from "../trace.js";

const SCENARIOS = resolve(import.meta.dirname, "../../fixtures/scenarios");
const SEED_MANIFESTS = ["../manifests/seed-000/consumer-scaling.yaml", "../manifests/seed-000/binding-deployment.yaml", "../manifests/seed-000/consumer-deployment.yaml"];

function scenario(raw: Record<string, unknown>): Scenario {
  return resolveScenario({ manifests: SEED_MANIFESTS, ...raw }, SCENARIOS, "inline-test.yaml");
}

const scales = (rs: TraceRecord[]) => rs.filter((r): r is ScaleRecord => r.type === "scale");
const polls = (rs: TraceRecord[]) => rs.filter((r): r is KedaPollRecord => r.type === "keda-poll");
const syncs = (rs: TraceRecord[]) => rs.filter((r): r is HpaSyncRecord => r.type === "hpa-sync");
const samples = (rs: TraceRecord[]) => rs.filter((r): r is SampleRecord => r.type === "sample");

describe("seed burst: 50 messages at once, 5 s each, queueLength 5, 0–10 replicas, behavior unset", () => {
  // Phases chosen so that no KEDA poll and HPA sync coincide; d = 7.5 s from activation to the next sync.
  for (const [pollPhase, syncPhase] of [
    [29.6, 7.1],
    [0.5, 1.0],
    [12.25, 14.75],
  ] as const) {
    it(`poll phase ${pollPhase} s, sync phase ${syncPhase} s: 0→1 (KEDA), 4, 8, 10 (HPA, 15 s apart), then KEDA →0 exactly cooldown after the last active poll`, () => {
      const sc = scenario({
        name: "seed-burst",
        producers: [{ type: "interval", count: 50, intervalMilliseconds: 0 }],
        consumer: { processingTime: 5, initialReplicas: 0 },
        keda: { pollPhaseSeconds: pollPhase },
        hpa: { syncPhaseSeconds: syncPhase },
      });
      const out = simulate(sc);
      const ev = scales(out.records);
      // 0 → 1 by KEDA at the first poll.
      expect(ev[0]).toMatchObject({ actor: "keda", from: 0, to: 1, t: pollPhase });
      // Then the HPA at the next three syncs, 15 s apart: 4, 8, 10.
      const firstSync = syncs(out.records).find((s) => s.t > pollPhase)!.t;
      expect(ev.slice(1, 4).map((e) => [e.actor, e.to, e.t])).toEqual([
        ["hpa", 4, firstSync],
        ["hpa", 8, firstSync + 15],
        ["hpa", 10, firstSync + 30],
      ]);
      expect(out.summary.replicas.peak).toBe(10);
      // Scale to zero: by KEDA, at the poll exactly cooldownPeriod (300 s) after the last active poll.
      const last = ev[ev.length - 1];
      expect(last).toMatchObject({ actor: "keda", to: 0 });
      const lastActive = polls(out.records).filter((p) => p.active).at(-1)!;
      expect(last.t).toBeCloseTo(lastActive.t + 300, 9);
      // lastActiveTime is stored truncated to whole seconds.
      expect(lastActive.lastActiveTime).toBe(Math.floor(lastActive.t));
      // Between 10 and 0 only HPA step-downs, never below 1 (the HPA's min is max(minReplicaCount, 1)).
      for (const e of ev.slice(4, -1)) {
        expect(e.actor).toBe("hpa");
        expect(e.to).toBeGreaterThanOrEqual(1);
        expect(e.to).toBeLessThan(e.from);
        // The first step-down only after the 10 from the first sync left the 300 s window.
        expect(e.t).toBeGreaterThanOrEqual(firstSync + 300);
      }
      // Nothing lost, every message completed once.
      expect(out.summary.messages).toMatchObject({ produced: 50, completed: 50, deadLettered: 0, lost: 0, redelivered: 0 });
      // The metric counts in-flight messages (Service Bus active message count).
      const s = samples(out.records).find((x) => x.inFlight > 0 && x.queued > 0)!;
      expect(s.metric).toBe(s.queued + s.inFlight);
    });
  }

  it("stays at 10 replicas for about five minutes after the queue is empty (the question users ask)", () => {
    const sc = scenario({
      name: "seed-burst",
      producers: [{ type: "burst", count: 50 }],
      consumer: { processingTime: 5, initialReplicas: 0 },
      keda: { pollPhaseSeconds: 29.6 },
      hpa: { syncPhaseSeconds: 7.1 },
    });
    const out = simulate(sc);
    const ss = samples(out.records);
    const drained = ss.find((x) => x.completed === 50)!.t;
    const at10 = ss.filter((x) => x.t >= drained && x.desired === 10);
    expect(at10.length).toBeGreaterThan(240); // > 4 min at 10 with an empty queue
    expect(out.summary.drainTimeS).toBeLessThan(100);
  });

  it("with behavior set to the HPA defaults: 1 → 5 → ceil(Q/5) and holds it (no lift to the window max; peak < 10)", () => {
    const sc = scenario({
      name: "seed-burst-behavior",
      producers: [{ type: "burst", count: 50 }],
      consumer: { processingTime: 5, initialReplicas: 0 },
      keda: { pollPhaseSeconds: 29.6 },
      hpa: { syncPhaseSeconds: 7.1 },
      manifests: [
        "../manifests/seed-000/binding-deployment.yaml",
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "consumer" },
          spec: {
            scaleTargetRef: { name: "consumer" },
            minReplicaCount: 0,
            maxReplicaCount: 10,
            advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleUp: { selectPolicy: "Max" } } } },
            triggers: [{ type: "azure-servicebus", metadata: { queueName: "msgqueue", messageCount: "5" } }],
          },
        },
      ],
    });
    const out = simulate(sc);
    const ev = scales(out.records);
    // h1: limit max(1+4, 2·1) = 5; h2: the raw proposal ceil(Q/5) itself (spec C, "Behavior explicitly set").
    expect(ev.slice(0, 2).map((e) => e.to)).toEqual([1, 5]);
    const h2 = syncs(out.records).find((s) => s.t === ev[2].t)!;
    expect(ev[2]).toMatchObject({ actor: "hpa", to: Math.ceil(h2.metric! / 5) });
    expect(ev[2].to).toBeLessThan(10);
    expect(out.summary.replicas.peak).toBe(ev[2].to);
    // It holds that value until the 300 s scale-down stabilization window lets go.
    expect(ev[3].t - ev[2].t).toBeGreaterThanOrEqual(285);
  });
});

describe("determinism", () => {
  it("same scenario + seed → byte-identical trace; another seed → different phases", () => {
    const a = loadScenario(resolve(SCENARIOS, "traffic-spike.yaml"));
    const t1 = traceText(simulate(a));
    const t2 = traceText(simulate(loadScenario(resolve(SCENARIOS, "traffic-spike.yaml"))));
    expect(t1).toBe(t2);
    const b = loadScenario(resolve(SCENARIOS, "traffic-spike.yaml"), { seed: 99 });
    expect(b.keda.pollPhase).not.toBe(a.keda.pollPhase);
    expect(traceText(simulate(b))).not.toBe(t1);
  });
});

describe("broker semantics", () => {
  it("burst with fixed replicas: makespan = ceil(N/c)·D exactly and the mean wait is exact", () => {
    // N=23, c=5, D=5: makespan 25 s, mean wait 9.1304 s (oracles-and-anchors.md §1.3).
    const sc = scenario({
      name: "fixed-5",
      duration: 100,
      producers: [{ type: "burst", count: 23 }],
      consumer: { processingTime: 5, initialReplicas: 5 },
      manifests: [
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "fixed" },
          spec: { scaleTargetRef: { name: "consumer" }, minReplicaCount: 5, maxReplicaCount: 5, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q", messageCount: "5" } }] },
        },
      ],
    });
    const out = simulate(sc);
    expect(out.summary.drainTimeS).toBe(25);
    expect(out.summary.latencyS.wait.mean).toBeCloseTo(210 / 23, 6);
    expect(out.summary.latencyS.mean).toBeCloseTo(210 / 23 + 5, 6);
  });

  it("RabbitMQ over AMQP counts ready messages only; over HTTP ready + unacked", () => {
    const base = {
      name: "rmq",
      producers: [{ type: "burst", count: 30 }],
      consumer: { processingTime: 5, initialReplicas: 0 },
      keda: { pollPhaseSeconds: 5 },
      hpa: { syncPhaseSeconds: 6 },
    };
    const amqp = simulate(scenario({ ...base, manifests: ["../manifests/rabbitmq/scaledobject-amqp.yaml", "../manifests/rabbitmq/component.yaml", "../manifests/rabbitmq/deployment.yaml"] }));
    const http = simulate(
      scenario({ ...base, queue: { managementStatsIntervalSeconds: 0 }, manifests: ["../manifests/rabbitmq/scaledobject-http.yaml", "../manifests/rabbitmq/component.yaml", "../manifests/rabbitmq/deployment.yaml"] }),
    );
    const sa = samples(amqp.records).find((x) => x.inFlight > 0 && x.queued > 0)!;
    expect(sa.metric).toBe(sa.queued);
    const sh = samples(http.records).find((x) => x.inFlight > 0 && x.queued > 0)!;
    expect(sh.metric).toBe(sh.queued + sh.inFlight);
    for (const o of [amqp, http]) expect(o.summary.messages).toMatchObject({ produced: 30, completed: 30, lost: 0 });
  });

  it("a killed pod's message is redelivered after its Service Bus lock expires, and completed", () => {
    const sc = scenario({
      name: "kill",
      producers: [{ type: "burst", count: 3 }],
      consumer: { processingTime: 20, initialReplicas: 1, faults: { kills: [{ at: 5, count: 1 }] } },
      keda: { pollPhaseSeconds: 1 },
      hpa: { syncPhaseSeconds: 2 },
    });
    const out = simulate(sc);
    const msgEvents = out.records.filter((r) => r.type === "message");
    const abandoned = msgEvents.find((r) => r.type === "message" && r.event === "abandoned")!;
    const redelivered = msgEvents.find((r) => r.type === "message" && r.event === "redelivered" && r.id === abandoned.id)!;
    expect(abandoned.t).toBe(5);
    // Lock 60 s from the delivery at t=0 (renewed at 0 only: the renewal every 20 s had not come yet).
    expect(redelivered.t).toBeGreaterThanOrEqual(60);
    expect(out.summary.messages).toMatchObject({ produced: 3, completed: 3, lost: 0, redelivered: 1, deadLettered: 0 });
  });

  it("scale-in of a busy pod: finishes inside the grace period, or is abandoned and redelivered", () => {
    // 1 message of 40 s on a pod that the ScaledObject's min/max (2 → 1 via HPA) will remove? Simpler:
    // start with 2 ready pods, min 0 max 1: the HPA snaps to max 1 at its first sync and removes one.
    const mk = (grace: number) =>
      scenario({
        name: "grace",
        producers: [{ type: "burst", count: 2 }],
        consumer: { processingTime: 40, initialReplicas: 2, terminationGracePeriodSeconds: grace },
        keda: { pollPhaseSeconds: 1 },
        hpa: { syncPhaseSeconds: 10 },
        manifests: [
          "../manifests/seed-000/binding-deployment.yaml",
          {
            apiVersion: "keda.sh/v1alpha1",
            kind: "ScaledObject",
            metadata: { name: "c" },
            spec: { scaleTargetRef: { name: "consumer" }, minReplicaCount: 0, maxReplicaCount: 1, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q", messageCount: "5" } }] },
          },
        ],
      });
    const finishes = simulate(mk(60));
    expect(finishes.summary.messages).toMatchObject({ completed: 2, redelivered: 0 });
    const cut = simulate(mk(5));
    expect(cut.summary.messages).toMatchObject({ completed: 2, redelivered: 1, lost: 0 });
    expect(cut.records.some((r) => r.type === "message" && r.event === "abandoned")).toBe(true);
  });

  it("Service Bus dead-letters after maxDeliveryCount deliveries", () => {
    // 90 s jobs, a 30 s lock that is never renewed, maxDeliveryCount 2: every delivery loses its
    // lock before finishing; the second expiry dead-letters the message.
    const sc = scenario({
      name: "dlq",
      producers: [{ type: "burst", count: 1 }],
      queue: { lockDurationSeconds: 30, lockRenewalSeconds: 0, maxDeliveryCount: 2 },
      consumer: { processingTime: 90, initialReplicas: 2 },
      keda: { pollPhaseSeconds: 1 },
      hpa: { syncPhaseSeconds: 2 },
      duration: 400,
    });
    const out = simulate(sc);
    expect(out.summary.messages).toMatchObject({ produced: 1, completed: 0, deadLettered: 1, redelivered: 1, lost: 0 });
  });

  it("the Dapr RabbitMQ binding's default prefetch 0 lets the first pod take the whole backlog", () => {
    const sc = loadScenario(resolve(SCENARIOS, "rabbitmq-prefetch-zero.yaml"));
    const out = simulate(sc);
    const s = samples(out.records).find((x) => x.ready >= 2 && x.produced === 50 && x.completed < 10)!;
    expect(s.queued).toBe(0); // nothing left in the queue for the second pod
    expect(s.busy).toBe(1);
    expect(out.summary.messages.completed).toBe(50);
  });
});

describe("time scale", () => {
  it("multiplying every duration by k (a power of two) multiplies every event time by k exactly", () => {
    const sc = loadScenario(resolve(SCENARIOS, "seed-000-burst-50.yaml"));
    for (const k of [2, 0.25]) {
      const a = simulate(sc).records.filter((r) => r.type !== "sample");
      const b = simulate(timeScaled(sc, k)).records.filter((r) => r.type !== "sample");
      expect(b.length).toBe(a.length);
      b.forEach((r, i) => {
        expect(r.type).toBe(a[i].type);
        expect(r.t).toBe(a[i].t * k);
      });
    }
  });
});

// KEDA's e2e test for kedacore/keda#7244 (v2.19), tests/internals/fallback/fallback.go
// TestFallbackFromZero: a 0..5 ScaledObject (AverageValue target 5, pollingInterval 5,
// cooldownPeriod 1, fallback failureThreshold 1 / replicas 3 / static, scaleDown stabilization 1 s)
// at 0 replicas; its metrics server is stopped; the target must reach 3 ready replicas within 30 s and
// stay at 3 for 30 s. Here the scaler fails from t = 60 s on (consumer.faults.scalerErrors), with the
// trigger a Service Bus queue at messageCount 5 (same AverageValue arithmetic as the e2e's metrics-api).
describe("fallback from zero (KEDA's e2e TestFallbackFromZero, v2.19 #7244)", () => {
  const run = (kedaVersion: string) =>
    simulate(
      resolveScenario(
        {
          name: "fallback-from-zero",
          kedaVersion,
          duration: 180,
          consumer: { processingTime: 5, startupDelay: 2, faults: { scalerErrors: [{ from: 60, until: 1e6 }] } },
          keda: { pollPhaseSeconds: 1 },
          manifests: [
            {
              apiVersion: "keda.sh/v1alpha1",
              kind: "ScaledObject",
              metadata: { name: "so" },
              spec: {
                scaleTargetRef: { name: "consumer" },
                minReplicaCount: 0,
                maxReplicaCount: 5,
                pollingInterval: 5,
                cooldownPeriod: 1,
                fallback: { failureThreshold: 1, replicas: 3, behavior: "static" },
                advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 1 } } } },
                triggers: [{ type: "azure-servicebus", metricType: "AverageValue", metadata: { queueName: "q", messageCount: "5" } }],
              },
            },
          ],
        },
        SCENARIOS,
        "fallback-from-zero.yaml",
      ),
    );

  it("KEDA 2.21: 3 ready replicas within 30 s of the outage, and still 3 for the next 30 s", () => {
    const out = run("2.21.0");
    const ss = samples(out.records);
    expect(ss.filter((s) => s.t < 60).every((s) => s.desired === 0)).toBe(true);
    const reached = ss.find((s) => s.t >= 60 && s.ready === 3);
    expect(reached, "3 ready replicas after the outage").toBeDefined();
    expect(reached!.t - 60).toBeLessThanOrEqual(30);
    const after = ss.filter((s) => s.t >= reached!.t && s.t <= reached!.t + 30);
    expect(after.length).toBeGreaterThan(25);
    expect(after.every((s) => s.desired === 3 && s.ready === 3)).toBe(true);
  });

  it("KEDA 2.18 (fallback only in the metrics server): the outage at 0 replicas changes nothing", () => {
    const out = run("2.18.0");
    expect(samples(out.records).every((s) => s.desired === 0)).toBe(true);
  });
});
