// KEDA's poll and the HPA's sync for one ScaledObject, shared by the single-queue model
// (simulation.ts) and the topology model (one per scaled stage).
//
// The decisions themselves are the pure functions in ../decisions (requestScale, reconcile,
// the fallback rules). This class keeps what upstream keeps between two calls of them: KEDA's
// lastActiveTime, the HPA's recommendation window, each trigger's health
// (ScaledObject.status.health) and its last value for useCachedMetrics. It also turns the queue's
// numbers into their inputs. The models keep what differs between them: where the queue numbers
// come from (MetricSource), the trace record (the topology adds the stage name), acting on the
// outcome (setSpec) and scheduling the next poll or sync. Real mode's local scaler
// (real/decide.ts) uses it too, with snapshots read from the live broker.
import { requestScale, hpaMinReplicas, hpaMaxReplicas, type KedaState, type RequestScaleResult } from "../decisions/keda.js";
import { reconcile, defaultHpaConfig, initialHpaState, type HpaConfig, type HpaState, type MetricReading, type ReconcileResult } from "../decisions/hpa.js";
import { recordQuery, getMetricWithFallback, type MetricHealth } from "../decisions/fallback.js";
import type { Scenario } from "../scenario/load.js";
import type { QueueSnapshot, Trigger } from "../triggers/types.js";

/**
 * Where trigger `index`'s numbers come from: the model's queue (live, or the broker's sampled
 * statistics), or in real mode a reading of the live broker. null: reading it failed (real mode:
 * the broker did not answer), which counts as a scaler error for that trigger.
 */
export interface MetricSource {
  snapshotFor(trigger: Trigger, index: number, t: number): QueueSnapshot | null;
}

/** One KEDA poll: what the scaler read, and requestScale's verdict (already applied to this autoscaler's state). */
export interface KedaPoll {
  /** The first trigger's value (null when the scaler failed). */
  metric: number | null;
  active: boolean;
  error: boolean;
  result: RequestScaleResult;
}

export class Autoscaler {
  kedaState: KedaState;
  hpaState: HpaState = initialHpaState;
  readonly hpaCfg: HpaConfig;
  /** HPA syncs so far (reported in the summary). */
  hpaSyncs = 0;
  private health: MetricHealth[];
  private cached: Array<number | null>;

  constructor(
    readonly scaledObject: Scenario["scaledObject"],
    keda: Scenario["keda"],
    hpa: Scenario["hpa"],
  ) {
    const so = scaledObject;
    this.kedaState = { lastActiveTime: null, creationTime: keda.createdAt };
    this.hpaCfg = {
      ...defaultHpaConfig(hpaMinReplicas(so), hpaMaxReplicas(so)),
      behavior: so.behavior,
      tolerance: hpa.tolerance,
      downscaleStabilizationSeconds: hpa.downscaleStabilization,
      configurableTolerance: hpa.configurableTolerance,
    };
    this.health = so.triggers.map(() => ({ numberOfFailures: 0, status: "Happy" as const }));
    this.cached = so.triggers.map(() => null);
  }

  /**
   * KEDA's poll (scale_handler checkScalers + RequestScale): read every trigger, or record a
   * failure for each while the scaler is failing; activation is any trigger active.
   */
  poll(t: number, failing: boolean, source: MetricSource, specReplicas: number): KedaPoll {
    const so = this.scaledObject;
    let active = false;
    let error = false;
    let metric: number | null = null;
    // Plain loop: a poll runs every pollingInterval for the whole run (twice a minute for 480 h
    // in the benchmark).
    for (let i = 0; i < so.triggers.length; i++) {
      const trig = so.triggers[i];
      const snap = failing ? null : source.snapshotFor(trig, i, t);
      if (snap === null) {
        error = true;
        this.health[i] = recordQuery(this.health[i], false);
        continue;
      }
      const r = trig.read(snap);
      this.health[i] = recordQuery(this.health[i], true);
      this.cached[i] = r.value;
      if (i === 0) metric = r.value;
      if (r.active) active = true;
    }
    const result = requestScale(so, this.kedaState, { now: t, currentReplicas: specReplicas, isActive: active, isError: error });
    this.kedaState = result.state;
    return { metric, active, error, result };
  }

  /** Which triggers the next sync reads afresh; the others get KEDA's cached value (useCachedMetrics). */
  needsRead(failing: boolean): boolean[] {
    return this.scaledObject.triggers.map((trig, i) => !this.servedFromCache(trig, i, failing));
  }

  private servedFromCache(trig: Trigger, i: number, failing: boolean): boolean {
    return trig.useCachedMetrics && this.cached[i] !== null && !failing;
  }

  /**
   * The HPA's sync: KEDA's metrics server answers one external metric per trigger (its cached
   * value under useCachedMetrics, else a fresh reading through getMetricWithFallback, the function
   * the upstream fallback vectors replay through), then reconcile().
   */
  sync(t: number, failing: boolean, source: MetricSource, specReplicas: number, statusReplicas: number, readyReplicas: number): ReconcileResult {
    const so = this.scaledObject;
    const metrics: MetricReading[] = new Array(so.triggers.length);
    for (let i = 0; i < so.triggers.length; i++) {
      const trig = so.triggers[i];
      if (this.servedFromCache(trig, i, failing)) {
        metrics[i] = { ok: true, targetType: trig.targetType, target: trig.target, value: this.cached[i]! };
        continue;
      }
      // GetMetricsWithFallback: the reading, or while failing past failureThreshold the fallback
      // value (none for a Value target with 0 ready replicas: the HPA then gets an error).
      const snap = failing ? null : source.snapshotFor(trig, i, t);
      const got = getMetricWithFallback(so.fallback, this.health[i], snap === null ? { ok: false } : { ok: true, value: trig.read(snap).value }, trig.target, trig.targetType, specReplicas, readyReplicas);
      this.health[i] = got.health;
      metrics[i] = got.outcome.ok ? { ok: true, targetType: trig.targetType, target: trig.target, value: got.outcome.value } : { ok: false };
    }
    const res = reconcile(this.hpaCfg, this.hpaState, { now: t, specReplicas, statusReplicas, readyReplicas, metrics });
    this.hpaState = res.state;
    this.hpaSyncs++;
    return res;
  }
}
