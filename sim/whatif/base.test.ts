import { describe, expect, it } from "vitest";
import { join, resolve } from "node:path";
import { loadScenario } from "../scenario/load.js";
import { simulate, traceText } from "../run.js";
import { checkAssignment, loadBase, resolveVariant, seedOf, variantOf } from "./base.js";
import { resolvePath, WhatIfInputError } from "./paths.js";
import { METRIC_INDEX, runAndMeasure } from "./metrics.js";

const SC = resolve(import.meta.dirname, "../../fixtures/scenarios");
const BURST = join(SC, "seed-000-burst-50.yaml");

describe("what-if base", () => {
  it("seed index 0 with nothing changed is exactly the run `npm run sim` makes (same trace bytes)", () => {
    for (const f of ["seed-000-burst-50.yaml", "seed-002-one-per-second.yaml", "traffic-spike.yaml", "rabbitmq-amqp-scales-away-busy-pods.yaml"]) {
      const base = loadBase(join(SC, f));
      const a = simulate(loadScenario(join(SC, f)));
      const b = simulate(resolveVariant(base, variantOf(base, []), 0));
      expect(traceText(b), f).toBe(traceText(a));
      // seed index i is the scenario's seed + i, as `--seed` would give it
      const s3 = simulate(resolveVariant(base, variantOf(base, []), 3));
      expect(traceText(s3)).toBe(traceText(simulate(loadScenario(join(SC, f), { seed: seedOf(base.scenario.seed, 3) }))));
    }
  });

  it("an assignment changes the resolved ScaledObject or scenario, and leaves the base alone", () => {
    const base = loadBase(BURST);
    const v = variantOf(base, [
      { path: resolvePath("cooldownPeriod"), value: 30 },
      { path: resolvePath("scaleTargetRef.maxReplicaCount"), value: 20 },
      { path: resolvePath("consumer.processingTime"), value: 2 },
    ]);
    const sc = resolveVariant(base, v, 0);
    expect(sc.scaledObject.cooldownPeriod).toBe(30);
    expect(sc.scaledObject.maxReplicaCount).toBe(20);
    expect(sc.consumer.processingTime).toEqual({ dist: "constant", value: 2 });
    expect(resolveVariant(base, variantOf(base, []), 0).scaledObject.cooldownPeriod).toBe(300);
    // a shorter cooldown releases the replicas earlier: fewer replica-seconds, same latency
    const before = runAndMeasure(resolveVariant(base, variantOf(base, []), 0));
    const after = runAndMeasure(resolveVariant(base, variantOf(base, [{ path: resolvePath("cooldownPeriod"), value: 30 }]), 0));
    expect(after[METRIC_INDEX.replicaSeconds]).toBeLessThan(before[METRIC_INDEX.replicaSeconds] / 3);
    expect(after[METRIC_INDEX.p95]).toBe(before[METRIC_INDEX.p95]);
  });

  it("refuses a value the loader refuses, naming the path and what exists there", () => {
    const base = loadBase(BURST);
    const err = (p: string, v: unknown) => {
      try {
        checkAssignment(base, { path: resolvePath(p), value: v as never });
      } catch (e) {
        expect(e).toBeInstanceOf(WhatIfInputError);
        return (e as Error).message;
      }
      return "";
    };
    expect(err("cooldownPerod", 30)).toMatch(/--vary cooldownPerod=30: unknown field "cooldownPerod".*at spec the ScaledObject \(keda\.k8s\.io\/v1alpha1\) has scaleTargetRef, triggers; it may also have pollingInterval, cooldownPeriod/);
    expect(err("advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds", 0)).toMatch(/has no spec\.advanced: HPA behavior needs a keda\.sh\/v1alpha1 ScaledObject/);
    expect(err("triggers[0].metadata.queueLenght", "3")).toMatch(/metadata key the azure-servicebus scaler accepts.*at spec\.triggers\[0\]\.metadata the ScaledObject .* has queueName, queueLength/);
    expect(err("consumer.processingTme", 3)).toMatch(/unknown field "processingTme".*at consumer the scenario .* has processingTime, initialReplicas; it may also have concurrency/);
    expect(err("scaleTargetRef.maxReplicaCount", -1)).toMatch(/at spec\.scaleTargetRef\.maxReplicaCount/);
    // min > max depends on the rest of the configuration: not refused up front
    expect(err("scaleTargetRef.minReplicaCount", 20)).toBe("");
    expect(err("cooldownPeriod", 60)).toBe("");
  });

  it("a topology scenario is refused with a clear message", () => {
    expect(() => loadBase(join(SC, "seed-004-rabbitmq-fanout.yaml"))).toThrow(/topology scenario.*single-queue/);
  });
});
