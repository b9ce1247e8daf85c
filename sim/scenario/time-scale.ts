// Time-scaled scenarios: every duration multiplied by k. Real mode runs a scenario this way in wall-clock
// time (real/harness.ts, --time-scale k), and the time-scale-invariance property
// (sim/properties/time-scale.test.ts) proves that a scaled run is the original with every time × k —
// what makes a compressed real run comparable with its simulation.
import { scaleDistribution } from "../rng.js";
import { resolveBehavior, type ResolvedScalingRules } from "../decisions/hpa.js";
import type { Producer, Scenario } from "./load.js";

/**
 * Multiply every duration of a scenario by k (processing, startup, grace, polling, sync, cooldown,
 * stabilization, lock, arrival times, sample interval); rates are divided by k.
 */
export function timeScaled(s: Scenario, k: number): Scenario {
  if (!(k > 0) || !Number.isFinite(k)) throw new RangeError(`time scale must be a positive number, got ${k}`);
  const t = (x: number) => x * k;
  const producers = s.producers.map((p): Producer => {
    switch (p.type) {
      case "burst":
        return { ...p, at: t(p.at) };
      case "interval":
        return { ...p, at: t(p.at), intervalSeconds: t(p.intervalSeconds) };
      case "poisson":
        return { ...p, ratePerSecond: p.ratePerSecond / k, from: t(p.from), until: p.until === null ? null : t(p.until) };
      case "rate":
        return { ...p, points: p.points.map(([x, r]) => [t(x), r / k] as [number, number]) };
      case "sine":
        return { ...p, meanPerSecond: p.meanPerSecond / k, amplitudePerSecond: p.amplitudePerSecond / k, periodSeconds: t(p.periodSeconds), phaseSeconds: t(p.phaseSeconds), from: t(p.from), until: t(p.until) };
      case "times":
        return { ...p, times: p.times.map(t) };
    }
  });
  // Fill the HPA's behavior defaults first (15 s policy periods, the 300 s window) so they scale too.
  const resolved = s.scaledObject.behavior ? resolveBehavior(s.scaledObject.behavior, s.hpa.downscaleStabilization) : null;
  const scaleRules = (r: ResolvedScalingRules) => ({
    ...r,
    stabilizationWindowSeconds: t(r.stabilizationWindowSeconds),
    policies: r.policies.map((p) => ({ ...p, periodSeconds: t(p.periodSeconds) })),
  });
  return {
    ...s,
    duration: s.duration === null ? null : t(s.duration),
    maxDuration: t(s.maxDuration),
    sampleInterval: t(s.sampleInterval),
    producers,
    queue: { ...s.queue, lockDuration: t(s.queue.lockDuration), lockRenewal: t(s.queue.lockRenewal), statsInterval: t(s.queue.statsInterval) },
    consumer: {
      ...s.consumer,
      processingTime: scaleDistribution(s.consumer.processingTime, k),
      schedulingDelay: scaleDistribution(s.consumer.schedulingDelay, k),
      startupDelay: scaleDistribution(s.consumer.startupDelay, k),
      terminationGracePeriodSeconds: t(s.consumer.terminationGracePeriodSeconds),
      kills: s.consumer.kills.map((x) => ({ ...x, at: t(x.at) })),
      crashRatePerHour: s.consumer.crashRatePerHour / k,
      scalerErrors: s.consumer.scalerErrors.map((w) => ({ from: t(w.from), until: t(w.until) })),
    },
    scaledObject: {
      ...s.scaledObject,
      pollingInterval: t(s.scaledObject.pollingInterval),
      cooldownPeriod: t(s.scaledObject.cooldownPeriod),
      initialCooldownPeriod: t(s.scaledObject.initialCooldownPeriod),
      behavior: resolved ? { scaleUp: scaleRules(resolved.scaleUp), scaleDown: scaleRules(resolved.scaleDown) } : null,
      // lastActiveTime is truncated to whole *scenario* seconds: the granularity scales too.
      timeGranularitySeconds: t(s.scaledObject.timeGranularitySeconds ?? 1),
    },
    hpa: { ...s.hpa, syncPeriod: t(s.hpa.syncPeriod), syncPhase: t(s.hpa.syncPhase), drift: t(s.hpa.drift), downscaleStabilization: t(s.hpa.downscaleStabilization) },
    keda: { pollPhase: t(s.keda.pollPhase), createdAt: t(s.keda.createdAt), scalerQueryLatency: t(s.keda.scalerQueryLatency) },
  };
}
