import { describe, expect, it } from "vitest";
import {
  defaultScaledObjectConfig,
  hpaMaxReplicas,
  hpaMinReplicas,
  initialKedaState,
  isTriggerActive,
  requestScale,
  truncateToSeconds,
  type KedaState,
  type ScaledObjectConfig,
} from "./keda.js";

const so = (over: Partial<ScaledObjectConfig> = {}): ScaledObjectConfig => ({ ...defaultScaledObjectConfig(), maxReplicaCount: 10, ...over });
const poll = (cfg: ScaledObjectConfig, state: KedaState, now: number, currentReplicas: number, isActive: boolean, isError = false) =>
  requestScale(cfg, state, { now, currentReplicas, isActive, isError });

describe("helpers", () => {
  it("truncateToSeconds floors to whole seconds (metav1.Time, RFC3339)", () => {
    expect(truncateToSeconds(60.4)).toBe(60);
    expect(truncateToSeconds(60)).toBe(60);
    expect(truncateToSeconds(60.999)).toBe(60);
    expect(truncateToSeconds(61 - 1e-12)).toBe(61); // float noise for 61.0, not 60.999...
    expect(truncateToSeconds(60.44, 0.1)).toBeCloseTo(60.4, 12);
  });

  it("HPA min is max(minReplicaCount, 1); max is maxReplicaCount", () => {
    expect(hpaMinReplicas(so({ minReplicaCount: 0 }))).toBe(1);
    expect(hpaMinReplicas(so({ minReplicaCount: 3 }))).toBe(3);
    expect(hpaMaxReplicas(so({ maxReplicaCount: 7 }))).toBe(7);
    expect(defaultScaledObjectConfig()).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 100, pollingInterval: 30, cooldownPeriod: 300, initialCooldownPeriod: 0 });
  });

  it("activity is strictly greater than the activation threshold", () => {
    expect(isTriggerActive(1, 0)).toBe(true);
    expect(isTriggerActive(0, 0)).toBe(false);
    expect(isTriggerActive(5, 5)).toBe(false);
    expect(isTriggerActive(5.001, 5)).toBe(true);
  });
});

describe("requestScale: activation 0 -> 1", () => {
  it("active at 0 => 1 (min 0) and LastActiveTime = truncated now", () => {
    const r = poll(so(), initialKedaState(0), 30.7, 0, true);
    expect(r).toMatchObject({ replicas: 1, condition: "ScalerActive" });
    expect(r.state.lastActiveTime).toBe(30);
  });

  it("active at 0 => minReplicaCount when > 0", () => {
    expect(poll(so({ minReplicaCount: 4 }), initialKedaState(0), 30, 0, true).replicas).toBe(4);
  });

  it("active at N > 0 => no change (1<->N is the HPA's), LastActiveTime refreshed", () => {
    const r = poll(so(), { lastActiveTime: 30, creationTime: 0 }, 60.9, 6, true);
    expect(r).toMatchObject({ replicas: null, condition: "ScalerActive" });
    expect(r.state.lastActiveTime).toBe(60);
  });

  it("active with a partial trigger error => nothing, LastActiveTime NOT refreshed", () => {
    const r = poll(so(), { lastActiveTime: 30, creationTime: 0 }, 60, 6, true, true);
    expect(r).toMatchObject({ replicas: null, condition: "PartialTriggerError" });
    expect(r.state.lastActiveTime).toBe(30);
    // but at 0 replicas activation wins over the error
    expect(poll(so(), { lastActiveTime: 30, creationTime: 0 }, 60, 0, true, true).replicas).toBe(1);
  });

  it("paused-scale-out: stays at 0 and does not record activity", () => {
    const r = poll(so({ pausedScaleOut: true }), initialKedaState(0), 30, 0, true);
    expect(r.replicas).toBeNull();
    expect(r.state.lastActiveTime).toBeNull();
  });
});

describe("requestScale: scale to zero", () => {
  const cfg = so();
  // last active poll at 60.4 => LastActiveTime 60 (truncated)
  const afterActive = poll(cfg, { lastActiveTime: 30, creationTime: 0 }, 60.4, 10, true).state;

  it("stores LastActiveTime truncated to the second", () => {
    expect(afterActive.lastActiveTime).toBe(60);
  });

  it("scales N -> 0 directly at the poll exactly cooldown after the last active poll (60 + 300 < 360.4)", () => {
    const r = poll(cfg, afterActive, 360.4, 7, false);
    expect(r).toMatchObject({ replicas: 0, condition: "ScaledToZero" });
    expect(r.state.lastActiveTime).toBe(60);
  });

  it("does not scale to zero before the cooldown has passed (359.9), nor at exactly 360 (strict <)", () => {
    expect(poll(cfg, afterActive, 359.9, 7, false)).toMatchObject({ replicas: null, condition: "ScalerCooldown" });
    expect(poll(cfg, afterActive, 360, 7, false)).toMatchObject({ replicas: null, condition: "ScalerCooldown" });
  });

  it("without truncation the same poll would have to wait one more interval (why truncation matters)", () => {
    const exact = poll(cfg, { lastActiveTime: 60.4, creationTime: 0 }, 360.4, 7, false);
    expect(exact.replicas).toBeNull();
  });

  it("inactive at 0 => nothing to do", () => {
    expect(poll(cfg, afterActive, 400, 0, false)).toMatchObject({ replicas: null, condition: "ScalerNotActive" });
  });

  it("paused-scale-in => no scale to zero", () => {
    expect(poll(so({ pausedScaleIn: true }), afterActive, 400, 7, false).replicas).toBeNull();
  });

  it("paused => nothing at all, even when active at 0", () => {
    expect(poll(so({ paused: true }), initialKedaState(0), 400, 0, true)).toMatchObject({ replicas: null, condition: "ScaledObjectPaused" });
  });
});

describe("requestScale: initialCooldownPeriod (never active yet)", () => {
  const cfg = so({ initialCooldownPeriod: 120 });
  const st = initialKedaState(10.8); // creationTimestamp is whole seconds => 10

  it("waits until creation + initialCooldownPeriod has passed (strict)", () => {
    expect(poll(cfg, st, 100, 5, false)).toMatchObject({ replicas: null, condition: "ScalerCooldown" });
    expect(poll(cfg, st, 130, 5, false)).toMatchObject({ replicas: null, condition: "ScalerCooldown" });
    expect(poll(cfg, st, 130.001, 5, false)).toMatchObject({ replicas: 0, condition: "ScaledToZero" });
  });

  it("with the default initialCooldownPeriod 0 a never-active object scales to 0 at the first inactive poll", () => {
    expect(poll(so(), initialKedaState(0), 0.5, 3, false).replicas).toBe(0);
  });
});

describe("requestScale: idleReplicaCount and minReplicaCount", () => {
  const cfg = so({ minReplicaCount: 2, idleReplicaCount: 0 });

  it("inactive after cooldown => idle, straight from N", () => {
    expect(poll(cfg, { lastActiveTime: 0, creationTime: 0 }, 301, 6, false)).toMatchObject({ replicas: 0, condition: "ScaledToZero" });
    expect(poll(so({ minReplicaCount: 3, idleReplicaCount: 1 }), { lastActiveTime: 0, creationTime: 0 }, 301, 6, false)).toMatchObject({ replicas: 1, condition: "ScaledToIdle" });
  });

  it("active while idle or below min => min", () => {
    expect(poll(cfg, { lastActiveTime: 0, creationTime: 0 }, 400, 0, true).replicas).toBe(2);
    expect(poll(cfg, { lastActiveTime: 0, creationTime: 0 }, 400, 1, true).replicas).toBe(2);
  });

  it("min > 0 without idle: inactive and below min => restored to min", () => {
    const r = poll(so({ minReplicaCount: 5 }), initialKedaState(0), 50, 1, false);
    expect(r).toMatchObject({ replicas: 5, condition: "BelowMinReplicas" });
  });

  it("min > 0 without idle: inactive at min => nothing (the HPA owns the rest)", () => {
    expect(poll(so({ minReplicaCount: 5 }), { lastActiveTime: 0, creationTime: 0 }, 1000, 7, false).replicas).toBeNull();
  });
});

describe("requestScale: errors", () => {
  const st: KedaState = { lastActiveTime: 0, creationTime: 0 };
  it("inactive + error + no fallback => TriggerError, no change", () => {
    expect(poll(so(), st, 1000, 4, false, true)).toMatchObject({ replicas: null, condition: "TriggerError" });
  });
  it("inactive + error + fallback.replicas != 0 => no change (the HPA gets fallback metrics)", () => {
    const fb = { failureThreshold: 3, replicas: 6, behavior: "static" as const };
    expect(poll(so({ fallback: fb }), st, 1000, 4, false, true).replicas).toBeNull();
  });
  it("inactive + error + fallback.replicas == 0 => falls through to scale-to-zero", () => {
    const fb = { failureThreshold: 3, replicas: 0, behavior: "static" as const };
    expect(poll(so({ fallback: fb }), st, 1000, 4, false, true).replicas).toBe(0);
  });
});

describe("purity", () => {
  it("does not mutate the state", () => {
    const st = Object.freeze({ lastActiveTime: 10, creationTime: 0 });
    const r = poll(so(), st, 20.5, 3, true);
    expect(st.lastActiveTime).toBe(10);
    expect(r.state).not.toBe(st);
    expect(r.state.lastActiveTime).toBe(20);
  });
});
