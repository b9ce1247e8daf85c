// The scaling decisions of real mode: the simulator's pure KEDA / HPA / fallback functions, called
// exactly as sim/model/simulation.ts calls them in onKedaPoll and onHpaSync — only the queue
// snapshot comes from the live broker instead of the model. Times are scenario seconds.
import { requestScale, hpaMinReplicas, hpaMaxReplicas, type KedaState } from "../sim/decisions/keda.js";
import { reconcile, defaultHpaConfig, initialHpaState, type HpaConfig, type HpaState, type MetricReading } from "../sim/decisions/hpa.js";
import { recordQuery, fallbackActive, fallbackMetricValue, type MetricHealth } from "../sim/decisions/fallback.js";
import type { Scenario } from "../sim/scenario/load.js";
import type { QueueSnapshot } from "../sim/triggers/types.js";
import type { HpaSyncRecord, KedaPollRecord } from "../sim/trace.js";

export interface Decision<R> {
  record: R;
  /** New spec.replicas, or null to leave it. */
  to: number | null;
  reason: string;
}

export class ScalingDecisions {
  private kedaState: KedaState;
  private hpaState: HpaState = initialHpaState;
  private readonly hpaCfg: HpaConfig;
  private health: MetricHealth[];
  private cached: Array<number | null>;
  hpaSyncs = 0;

  constructor(private s: Scenario) {
    const so = s.scaledObject;
    this.kedaState = { lastActiveTime: null, creationTime: s.keda.createdAt };
    this.hpaCfg = {
      ...defaultHpaConfig(hpaMinReplicas(so), hpaMaxReplicas(so)),
      behavior: so.behavior,
      tolerance: s.hpa.tolerance,
      downscaleStabilizationSeconds: s.hpa.downscaleStabilization,
      configurableTolerance: s.hpa.configurableTolerance,
    };
    this.health = so.triggers.map(() => ({ numberOfFailures: 0, status: "Happy" as const }));
    this.cached = so.triggers.map(() => null);
  }

  scalerErrorAt(t: number): boolean {
    for (const w of this.s.consumer.scalerErrors) if (t >= w.from && t < w.until) return true;
    return false;
  }

  /** One KEDA poll (mirror of Simulation.onKedaPoll). snapshots[i] = null when reading trigger i failed. */
  kedaPoll(t: number, snapshots: Array<QueueSnapshot | null>, specReplicas: number): Decision<KedaPollRecord> {
    const so = this.s.scaledObject;
    let active = false;
    let error = false;
    let firstMetric: number | null = null;
    so.triggers.forEach((trig, i) => {
      const snap = snapshots[i];
      if (this.scalerErrorAt(t) || snap === null) {
        error = true;
        this.health[i] = recordQuery(this.health[i], false);
        return;
      }
      const r = trig.read(snap);
      this.health[i] = recordQuery(this.health[i], true);
      this.cached[i] = r.value;
      if (i === 0) firstMetric = r.value;
      if (r.active) active = true;
    });
    const res = requestScale(so, this.kedaState, { now: t, currentReplicas: specReplicas, isActive: active, isError: error });
    this.kedaState = res.state;
    return {
      record: { type: "keda-poll", t, metric: firstMetric, active, error, lastActiveTime: res.state.lastActiveTime, condition: res.condition },
      to: res.replicas !== null && res.replicas !== specReplicas ? res.replicas : null,
      reason: res.reason,
    };
  }

  /** Which triggers the HPA sync needs a fresh reading for (the others use KEDA's cached value). */
  hpaNeedsRead(t: number): boolean[] {
    return this.s.scaledObject.triggers.map((trig, i) => !(trig.useCachedMetrics && this.cached[i] !== null && !this.scalerErrorAt(t)));
  }

  /** One HPA sync (mirror of Simulation.onHpaSync). */
  hpaSync(
    t: number,
    snapshots: Array<QueueSnapshot | null | undefined>,
    counts: { specReplicas: number; statusReplicas: number; readyReplicas: number },
  ): Decision<HpaSyncRecord> {
    const so = this.s.scaledObject;
    const metrics: MetricReading[] = so.triggers.map((trig, i) => {
      if (trig.useCachedMetrics && this.cached[i] !== null && !this.scalerErrorAt(t)) {
        return { ok: true, targetType: trig.targetType, target: trig.target, value: this.cached[i]! };
      }
      const snap = snapshots[i];
      if (this.scalerErrorAt(t) || !snap) {
        this.health[i] = recordQuery(this.health[i], false);
        if (fallbackActive(this.health[i], so.fallback)) {
          return {
            ok: true,
            targetType: trig.targetType,
            target: trig.target,
            value: fallbackMetricValue(so.fallback!, trig.target, trig.targetType, counts.specReplicas, counts.readyReplicas),
          };
        }
        return { ok: false };
      }
      this.health[i] = recordQuery(this.health[i], true);
      return { ok: true, targetType: trig.targetType, target: trig.target, value: trig.read(snap).value };
    });
    const res = reconcile(this.hpaCfg, this.hpaState, {
      now: t,
      specReplicas: counts.specReplicas,
      statusReplicas: counts.statusReplicas,
      readyReplicas: counts.readyReplicas,
      metrics,
    });
    this.hpaState = res.state;
    this.hpaSyncs++;
    return {
      record: {
        type: "hpa-sync",
        t,
        metric: res.metricValue,
        specReplicas: counts.specReplicas,
        statusReplicas: counts.statusReplicas,
        raw: res.raw,
        desired: res.desired,
        condition: res.condition,
      },
      to: res.rescale && res.desired !== counts.specReplicas ? res.desired : null,
      reason: res.reason,
    };
  }
}
