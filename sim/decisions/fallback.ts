// Pure model of KEDA's metric fallback.
// Source (read, not copied): kedacore/keda pkg/fallback/fallback.go
//   GetMetricsWithFallback, doFallback, HasValidFallback, fallbackExceededThreshold,
//   ScaledObjectHandler.IncrementFailure / UpdateHealthStatus.
// Spec: /work/shared/reference/keda-hpa-semantics.md B.4.
//
// Every failing query — from the KEDA poll loop OR from an HPA metric request — increments
// status.health[metric].numberOfFailures; any success resets it to 0. Once
// numberOfFailures > failureThreshold, the metrics server returns target × R instead of an error,
// so the HPA computes exactly R replicas.

import type { MetricTargetType } from "./hpa.js";

export interface FallbackConfig {
  failureThreshold: number;
  replicas: number;
  behavior: "static" | "currentReplicas" | "currentReplicasIfHigher" | "currentReplicasIfLower";
}
export interface MetricHealth {
  numberOfFailures: number;
  status: "Happy" | "Failing";
}

export const healthyMetric: MetricHealth = Object.freeze({ numberOfFailures: 0, status: "Happy" }) as MetricHealth;

/** IncrementFailure on error (+1, Failing); UpdateHealthStatus{0, Happy} on success. */
export function recordQuery(h: MetricHealth, ok: boolean): MetricHealth {
  if (ok) return { numberOfFailures: 0, status: "Happy" };
  return { numberOfFailures: h.numberOfFailures + 1, status: "Failing" };
}

/** HasValidFallback (without scalingModifiers): failureThreshold >= 0 and replicas >= 0. */
export function hasValidFallback(fb: FallbackConfig): boolean {
  return fb.failureThreshold >= 0 && fb.replicas >= 0;
}

/** numberOfFailures > failureThreshold (strict), only with a valid fallback configured. */
export function fallbackActive(h: MetricHealth, fb: FallbackConfig | null): boolean {
  if (fb === null || !hasValidFallback(fb)) return false;
  return h.status === "Failing" && h.numberOfFailures > fb.failureThreshold;
}

/** doFallback's replica count R for the configured behavior. */
export function fallbackReplicas(fb: FallbackConfig, currentReplicas: number): number {
  switch (fb.behavior) {
    case "currentReplicas":
      return currentReplicas;
    case "currentReplicasIfHigher":
      return currentReplicas > fb.replicas ? currentReplicas : fb.replicas;
    case "currentReplicasIfLower":
      return currentReplicas < fb.replicas ? currentReplicas : fb.replicas;
    case "static":
    default:
      return fb.replicas;
  }
}

/**
 * doFallback: milli value int64(target * 1000 * R), with R divided by the ready replicas for a
 * Value target. Returns null when upstream fails the fallback (Value target with 0 ready replicas:
 * "readyReplicas is zero, cannot do fallback" => the HPA gets an error).
 */
export function fallbackMetricValue(
  fb: FallbackConfig,
  target: number,
  targetType: MetricTargetType,
  currentReplicas: number,
  readyReplicas: number,
): number | null {
  let r = fallbackReplicas(fb, currentReplicas);
  if (targetType === "Value") {
    if (readyReplicas <= 0) return null;
    r /= readyReplicas;
  }
  return Math.trunc(target * 1000 * r) / 1000;
}

export type FallbackQuery = { ok: true; value: number } | { ok: false };
export type FallbackOutcome =
  | { ok: true; value: number; fallback: boolean }
  | { ok: false; reason: string };

/**
 * GetMetricsWithFallback as one pure step: the metric (or error) the KEDA metrics server hands
 * back for one query, and the new health. Health is tracked only when a valid fallback is
 * configured (otherwise status is left untouched).
 */
export function getMetricWithFallback(
  fb: FallbackConfig | null,
  health: MetricHealth,
  query: FallbackQuery,
  target: number,
  targetType: MetricTargetType,
  currentReplicas: number,
  readyReplicas: number,
): { health: MetricHealth; outcome: FallbackOutcome } {
  const configured = fb !== null && hasValidFallback(fb);
  if (query.ok) {
    return { health: configured ? recordQuery(health, true) : health, outcome: { ok: true, value: query.value, fallback: false } };
  }
  if (!configured) return { health, outcome: { ok: false, reason: fb === null ? "scaler error, no fallback configured" : "scaler error, invalid fallback" } };
  const h = recordQuery(health, false);
  if (!fallbackActive(h, fb)) {
    return { health: h, outcome: { ok: false, reason: `scaler error (${h.numberOfFailures} <= failureThreshold ${fb.failureThreshold})` } };
  }
  const v = fallbackMetricValue(fb, target, targetType, currentReplicas, readyReplicas);
  if (v === null) return { health: h, outcome: { ok: false, reason: "error performing fallback: readyReplicas is zero" } };
  return { health: h, outcome: { ok: true, value: v, fallback: true } };
}
