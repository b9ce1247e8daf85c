// Liveness: with no kills, crashes or scaler errors and maxReplicaCount ≥ 1, every message
// completes by a bound computed from the scenario.
//
// Domain (livenessScenarioArb): bounded processing/scheduling/startup times (Dmax, Smax, Umax),
// terminationGracePeriodSeconds ≥ Dmax, prefetch ≤ concurrency (nothing is ever buffered),
// Service Bus locks renewed or ≥ Dmax, one count-based trigger with activation 0, any min/max ≥ 1,
// idle, cooldown, HPA settings and behavior. In this domain no delivery is ever abandoned
// (no kill, no crash, grace ≥ any processing run, no lock expiry, no buffered message at exit), so
// a message delivered at time d completes by d + Dmax, and after the last arrival A no message
// ever becomes ready again.
//
// The bound. Let S = the staleness of what KEDA reads (RabbitMQ management stats:
// statsInterval + sampleInterval, since a settled run restarts the sampling at the next sample;
// 0 for live reads), P = pollingInterval, N = messages produced.
//  1. From any time t at which a message is ready, the first KEDA poll after t + S sees a value
//     > 0 = activation, so it is active: it scales 0/idle → max(min, 1) and no later poll can scale
//     to zero while a message is ready (every later poll reads a value ≥ the ready count > 0). So
//     by t + S + P, spec.replicas ≥ 1 and stays ≥ 1 while messages are ready; a pod that exists
//     then is Ready by t + S + P + Smax + Umax. Scale-ins delete Pending/Starting pods before
//     Ready ones (ReplicaSet ranking), so once a Ready pod exists one stays while spec ≥ 1.
//  2. A Ready pod takes a ready message at once if it has a free slot, and each slot frees within
//     Dmax; so the ready messages (at most N) are all taken within N·Dmax after step 1, and the
//     last completes Dmax later.
// Applying this from t = A (after which no message becomes ready):
//     every message completes by  B = A + S + P + Smax + Umax + (N + 1)·Dmax.
// (Generous, not tight: it allows one pod serving everything serially. Proved for the model's
// contract; a run that breaks it has a message stuck or a pod that stopped taking work.)
import { describe, expect, it } from "vitest";
import { livenessScenarioArb, rawDistributionMax, rawLastArrival, resolveRaw, reworkScenarioArb, type RawScenario } from "./arbitraries.js";
import { timeout } from "./budget.js";
import { checkWorkConserving, doneOf, Violation } from "./checks.js";
import { checkProperty } from "./replay.js";
import { simulate } from "../run.js";
import { readsSampledStats } from "../triggers/rabbitmq.js";

export function livenessBound(raw: RawScenario, produced: number): number {
  const sc = resolveRaw(raw);
  const c = raw.consumer as Record<string, unknown>;
  const dmax = rawDistributionMax(c.processingTime ?? 5);
  const smax = rawDistributionMax(c.schedulingDelay);
  const umax = rawDistributionMax(c.startupDelay);
  const A = Math.max(...(raw.producers as Array<Record<string, unknown>>).map(rawLastArrival));
  const S = readsSampledStats(sc.scaledObject.triggers[0], sc.queue) ? sc.queue.statsInterval + sc.sampleInterval : 0;
  return A + S + sc.scaledObject.pollingInterval + smax + umax + (produced + 1) * dmax;
}

describe("liveness", () => {
  it("no kills/crashes/scaler errors, max ≥ 1, no work abandoned ⇒ every message completes by A + S + P + Smax + Umax + (N+1)·Dmax", () => {
    const counters = { messages: 0, "max completion / bound": 0, "bound beyond maxDuration (not checked)": 0 };
    checkProperty(
      "liveness",
      livenessScenarioArb(),
      (raw) => {
        const sc = resolveRaw(raw);
        const out = simulate(sc, { perMessage: true });
        const m = out.summary.messages;
        const B = livenessBound(raw, m.produced);
        if (B >= sc.maxDuration) {
          counters["bound beyond maxDuration (not checked)"]++; // does not happen with the generator's sizes
          return;
        }
        if (m.completed !== m.produced || m.deadLettered !== 0 || m.redelivered !== 0) {
          throw new Violation("liveness", `${m.produced} produced, ${m.completed} completed, ${m.deadLettered} dead-lettered, ${m.redelivered} redelivered by the end (t=${out.summary.simulatedSeconds}, ended by ${String(out.summary.notes?.endedBy)}); bound B = ${B}`);
        }
        let last = 0;
        for (const d of doneOf(out.records)) last = Math.max(last, d.t);
        if (last > B) throw new Violation("liveness", `the last message completed at t=${last} > bound B = ${B}`);
        counters.messages += m.produced;
        if (B > 0) counters["max completion / bound"] = Math.max(counters["max completion / bound"], Math.round((last / B) * 1000) / 1000);
      },
      { numRuns: 80, perMessage: true, counters },
    );
  }, timeout(45_000));

  it("work conservation: no message waits in the broker while a Ready pod has a free slot (same domain: nothing buffered or abandoned)", () => {
    checkProperty(
      "work conservation",
      livenessScenarioArb(),
      (raw) => {
        const sc = resolveRaw(raw);
        checkWorkConserving(sc, simulate(sc, { perMessage: true }));
      },
      { numRuns: 80, perMessage: true },
    );
  }, timeout(45_000));

  it("work conservation with abandoned work: RabbitMQ with kills, crashes and grace periods shorter than the work (a requeued message goes to a Ready pod with room at once)", () => {
    let checked = 0;
    let runs = 0;
    checkProperty(
      "work conservation (rework)",
      reworkScenarioArb(),
      (raw) => {
        runs++;
        const sc = resolveRaw(raw);
        const out = simulate(sc, { perMessage: true });
        // The check needs every run's start and end: a message still in a pod when the run was cut
        // short (settling took longer than maxDurationSeconds) would make that pod look idle.
        if (out.summary.messages.completed !== out.summary.messages.produced) return;
        checked++;
        checkWorkConserving(sc, out);
      },
      // ~3 % of these cases broke the property while bug #13 was in (measured on 300), so 150 cases
      // would miss it with probability < 1 %; #13 has its own regression test as well.
      { numRuns: 150, perMessage: true },
    );
    // The skip above must stay the exception, or the property says little.
    expect(checked).toBeGreaterThanOrEqual(Math.ceil(runs / 2));
  }, timeout(60_000));
});
