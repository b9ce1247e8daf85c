// The scaling decisions of real mode: the simulator's Autoscaler (sim/model/autoscaler.ts), the
// very code behind the simulator's KEDA polls and HPA syncs; only the queue snapshots come from
// the live broker instead of the model. Times are scenario seconds.
import { Autoscaler } from "../sim/model/autoscaler.js";
import type { Scenario } from "../sim/scenario/load.js";
import type { QueueSnapshot } from "../sim/triggers/types.js";
import type { HpaSyncRecord, KedaPollRecord } from "../sim/trace.js";

export interface Decision<R> {
  record: R;
  /** New spec.replicas, or null to leave it. */
  to: number | null;
  reason: string;
}

/** Trigger i reads snapshots[i]; null or undefined: it could not be read (a scaler error for that trigger). */
const fromSnapshots = (snapshots: ReadonlyArray<QueueSnapshot | null | undefined>) => ({
  snapshotFor: (_trigger: unknown, i: number) => snapshots[i] ?? null,
});

export class ScalingDecisions {
  private readonly autoscaler: Autoscaler;

  constructor(private s: Scenario) {
    this.autoscaler = new Autoscaler(s.scaledObject, s.keda, s.hpa);
  }

  get hpaSyncs(): number {
    return this.autoscaler.hpaSyncs;
  }

  scalerErrorAt(t: number): boolean {
    for (const w of this.s.consumer.scalerErrors) if (t >= w.from && t < w.until) return true;
    return false;
  }

  /** One KEDA poll. snapshots[i] = null when reading trigger i failed. */
  kedaPoll(t: number, snapshots: Array<QueueSnapshot | null>, specReplicas: number): Decision<KedaPollRecord> {
    const poll = this.autoscaler.poll(t, this.scalerErrorAt(t), fromSnapshots(snapshots), specReplicas);
    const res = poll.result;
    return {
      record: { type: "keda-poll", t, metric: poll.metric, active: poll.active, error: poll.error, lastActiveTime: res.state.lastActiveTime, condition: res.condition },
      to: res.replicas !== null && res.replicas !== specReplicas ? res.replicas : null,
      reason: res.reason,
    };
  }

  /** Which triggers the HPA sync needs a fresh reading for (the others use KEDA's cached value). */
  hpaNeedsRead(t: number): boolean[] {
    return this.autoscaler.needsRead(this.scalerErrorAt(t));
  }

  /** One HPA sync. snapshots[i] is not read for a trigger served from KEDA's cache (see hpaNeedsRead). */
  hpaSync(
    t: number,
    snapshots: Array<QueueSnapshot | null | undefined>,
    counts: { specReplicas: number; statusReplicas: number; readyReplicas: number },
  ): Decision<HpaSyncRecord> {
    const res = this.autoscaler.sync(t, this.scalerErrorAt(t), fromSnapshots(snapshots), counts.specReplicas, counts.statusReplicas, counts.readyReplicas);
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
