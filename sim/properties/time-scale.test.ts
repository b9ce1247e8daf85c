// Time-scale invariance: multiplying every duration of a scenario by k (timeScaled: processing,
// startup, scheduling, grace, polling, sync period and phase, drift, cooldown, stabilization
// windows and policy periods, lock duration/renewal, stats interval, arrival times, kill times,
// scaler-error windows, sample interval; rates divided by k) multiplies every event time by k
// exactly and leaves every count and decision unchanged. k is a power of two, so every product is
// exact in binary floating point and any difference is a real divergence, not rounding.
// lastActiveTime's truncation granularity is scaled by timeScaled too (whole *scenario* seconds).
//
// Out of the domain, by definition: RabbitMQ rate modes (MessageRate, DeliverGetRate,
// PublishedToDeliveredRatio, ExpectedQueueConsumptionTime). Their target is a rate (or a time) in
// the trigger metadata, which timeScaled does not touch, and KEDA rounds metric values to
// milli-units, so a rate divided by k is not the same decision even if the target were scaled.
import { describe, it } from "vitest";
import fc from "fast-check";
import { resolveRaw, scenarioArb, type RawScenario } from "./arbitraries.js";
import { timeout } from "./budget.js";
import { compareScaled } from "./checks.js";
import { checkProperty } from "./replay.js";
import { simulate } from "../run.js";
import { timeScaled } from "../scenario/time-scale.js";

const ks = fc.constantFrom(2, 0.5, 4, 0.25);

describe("time-scale invariance", () => {
  it("every event time × k exactly, counts and decisions unchanged (k ∈ {2, 4, 0.5, 0.25}; records incl. per-message, and samples)", () => {
    checkProperty(
      "time-scale invariance",
      fc.record({ scenario: scenarioArb({ rateModes: false }), k: ks }),
      ({ scenario, k }) => {
        const sc = resolveRaw(scenario);
        const a = simulate(sc, { perMessage: true });
        const b = simulate(timeScaled(sc, k), { perMessage: true });
        const diff = compareScaled(a.records, b.records, k);
        if (diff) throw new Error(diff);
        const ma = a.summary.messages;
        const mb = b.summary.messages;
        if (JSON.stringify(ma) !== JSON.stringify(mb)) throw new Error(`summary counts ${JSON.stringify(ma)} vs ${JSON.stringify(mb)}`);
      },
      {
        numRuns: 100,
        perMessage: true,
        scenarioOf: (v) => v.scenario as RawScenario,
        noteOf: (v) => `fails when every duration is multiplied by k = ${v.k} (sim/scenario/time-scale.ts timeScaled)`,
      },
    );
  }, timeout(45_000));
});
