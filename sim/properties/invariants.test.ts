// Invariants that must hold on every generated run (issue 3). Each property simulates freshly
// generated whole scenarios — arrival patterns, processing-time distributions, delays, grace
// periods, concurrency/prefetch, ScaledObject edge values, HPA behavior, both brokers and trigger
// kinds, timer phases, kills, crash rates and scaler-error windows — and checks one invariant.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveRaw, scenarioArb, type RawScenario } from "./arbitraries.js";
import { timeout } from "./budget.js";
import * as C from "./checks.js";
import { checkProperty } from "./replay.js";
import { simulate, traceText } from "../run.js";

const arb = scenarioArb();
const run = (raw: RawScenario, perMessage = false) => {
  const sc = resolveRaw(raw);
  return { sc, out: simulate(sc, { perMessage }) };
};

describe("invariants on generated scenarios", () => {
  it("the generator covers every single-queue trigger (the Storage Queue strategies, the Redis Streams modes) and every broker", () => {
    const triggers = new Set<string>();
    const brokers = new Set<string>();
    for (const raw of fc.sample(arb, { numRuns: 300, seed: 17 })) {
      const t = (raw.manifests as Array<{ spec: { triggers: Array<{ type: string; metadata: Record<string, string> }> } }>)[0].spec.triggers[0];
      const redisMode = t.metadata.consumerGroup === undefined ? "streamLength" : t.metadata.lagCount !== undefined ? "lagCount" : "pendingEntriesCount";
      triggers.add(t.type === "azure-queue" ? `azure-queue/${t.metadata.queueLengthStrategy ?? "all"}` : t.type === "redis-streams" ? `redis-streams/${redisMode}` : t.type);
      brokers.add(resolveRaw(raw).queue.broker);
    }
    expect([...triggers].sort()).toEqual([
      "aws-sqs-queue",
      "azure-queue/all",
      "azure-queue/visibleonly",
      "azure-servicebus",
      "rabbitmq",
      "redis-streams/lagCount",
      "redis-streams/pendingEntriesCount",
      "redis-streams/streamLength",
    ]);
    expect([...brokers].sort()).toEqual(["aws-sqs", "azure-servicebus", "azure-storage-queue", "rabbitmq", "redis-streams"]);
  });

  it("conservation: produced = completed + dead-lettered + queued + in-flight + lost at every sample, lost = 0", () => {
    checkProperty(
      "conservation",
      arb,
      (raw) => {
        const { out } = run(raw);
        C.checkTimeOrder(out);
        C.checkConservation(out);
      },
      { numRuns: 120 },
    );
  }, timeout(30_000));

  it("trace contract: times ordered and finite, counts non-negative integers, metrics finite ≥ 0 or null (never NaN)", () => {
    checkProperty(
      "trace contract",
      arb,
      (raw) => {
        const { sc, out } = run(raw, true);
        C.checkTraceContract(out, sc.keda.scalerQueryLatency);
      },
      { numRuns: 120, perMessage: true },
    );
  }, timeout(30_000));

  it("replica bounds: every decision within {0 | idle} ∪ [max(min,1), max]; spec.replicas follows the scale records", () => {
    checkProperty(
      "replica bounds",
      arb,
      (raw) => {
        const { sc, out } = run(raw);
        C.checkReplicaBounds(sc, out);
      },
      { numRuns: 120 },
    );
  }, timeout(30_000));

  it("actors: only KEDA moves 0 ↔ 1 and N → 0/idle, and an active poll at 0 activates at once; the HPA never acts while replicas are 0", () => {
    checkProperty(
      "actors",
      arb,
      (raw) => {
        const { sc, out } = run(raw);
        C.checkActors(sc, out);
      },
      { numRuns: 120 },
    );
  }, timeout(30_000));

  it("pod concurrency: no pod ever processes more messages at once than min(concurrency, prefetch)", () => {
    checkProperty(
      "pod concurrency",
      arb,
      (raw) => {
        const { sc, out } = run(raw, true);
        C.checkPodConcurrency(sc, out);
      },
      { numRuns: 100, perMessage: true },
    );
  }, timeout(30_000));

  it("duplicates only after redelivery, every duplicate counted in redelivered; dead letters only on Service Bus / SQS after maxDeliveryCount (never on Storage Queues)", () => {
    checkProperty(
      "duplicates",
      arb,
      (raw) => {
        const { sc, out } = run(raw, true);
        C.checkRedelivery(sc, out, true);
      },
      { numRuns: 100, perMessage: true },
    );
  }, timeout(30_000));

  it("exact operational Little's law for runs that start and end empty", () => {
    const counters = { "ended empty": 0 };
    checkProperty(
      "little's law",
      scenarioArb({ untilSettled: true }),
      (raw) => {
        const { out } = run(raw, true);
        if (C.checkLittle(out)) counters["ended empty"]++;
      },
      { numRuns: 100, perMessage: true, counters },
    );
  }, timeout(30_000));

  it("scale to zero (or idle) only after cooldownPeriod since the last active poll", () => {
    const counters = { "scale-ins to zero/idle checked": 0 };
    checkProperty(
      "scale to zero after cooldown",
      arb,
      (raw) => {
        const { sc, out } = run(raw);
        counters["scale-ins to zero/idle checked"] += C.checkScaleToZero(sc, out);
      },
      { numRuns: 120, counters },
    );
  }, timeout(30_000));

  it("summary.json agrees with the trace (scale events, peak, replica-seconds, first Ready, drain time, counts)", () => {
    checkProperty(
      "summary agrees with trace",
      arb,
      (raw) => {
        const { sc, out } = run(raw, true);
        C.checkSummary(sc, out, true);
      },
      { numRuns: 100, perMessage: true },
    );
  }, timeout(30_000));

  it("determinism: same scenario + seed → identical trace bytes (resolving the scenario again, phases drawn from the seed)", () => {
    checkProperty(
      "determinism",
      arb,
      (raw) => {
        const a = traceText(simulate(resolveRaw(raw), { perMessage: true }));
        const b = traceText(simulate(resolveRaw(structuredClone(raw)), { perMessage: true }));
        if (a !== b) {
          const la = a.split("\n");
          const lb = b.split("\n");
          const i = la.findIndex((l, k) => l !== lb[k]);
          throw new Error(`traces differ at line ${i + 1}:\n  ${la[i]}\n  ${lb[i]}`);
        }
      },
      { numRuns: 60, perMessage: true },
    );
  }, timeout(30_000));
});
