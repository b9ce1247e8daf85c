// The scaling decisions of real mode: the simulator's Autoscaler (sim/model/autoscaler.ts), the
// very code behind the simulator's KEDA polls and HPA syncs and their trace records; only the
// queue snapshots come from the live broker instead of the model. Times are scenario seconds.
import { Autoscaler, type MetricSource, type ScaleDecision } from "../sim/model/autoscaler.js";
import type { Scenario } from "../sim/scenario/load.js";
import type { QueueSnapshot } from "../sim/triggers/types.js";
import type { HpaSyncRecord, KedaPollRecord } from "../sim/trace.js";

/** A poll or sync's record and the new spec.replicas (null: leave it). */
export type Decision<R> = ScaleDecision<R>;

/** Trigger i reads snapshots[i]; null or undefined: it could not be read (a scaler error for that trigger). */
const fromSnapshots = (snapshots: ReadonlyArray<QueueSnapshot | null | undefined>): MetricSource => ({
  snapshotFor: (_trigger, i) => snapshots[i] ?? null,
});

export class ScalingDecisions {
  readonly autoscaler: Autoscaler;

  constructor(s: Scenario) {
    // The caller's t is read after the live broker answered, so it already holds the scaler query's
    // real latency: none is added on top.
    this.autoscaler = new Autoscaler(s.scaledObject, { ...s.keda, scalerQueryLatency: 0 }, s.hpa, { scalerErrors: s.consumer.scalerErrors });
  }

  get hpaSyncs(): number {
    return this.autoscaler.hpaSyncs;
  }

  /** One KEDA poll. snapshots[i] = null when reading trigger i failed. */
  kedaPoll(t: number, snapshots: Array<QueueSnapshot | null>, specReplicas: number): Decision<KedaPollRecord> {
    return this.autoscaler.kedaPoll(t, fromSnapshots(snapshots), specReplicas);
  }

  /** Which triggers the HPA sync needs a fresh reading for (the others use KEDA's cached value). */
  hpaNeedsRead(t: number): boolean[] {
    return this.autoscaler.hpaNeedsRead(t);
  }

  /** One HPA sync. snapshots[i] is not read for a trigger served from KEDA's cache (see hpaNeedsRead). */
  hpaSync(
    t: number,
    snapshots: Array<QueueSnapshot | null | undefined>,
    counts: { specReplicas: number; statusReplicas: number; readyReplicas: number },
  ): Decision<HpaSyncRecord> {
    return this.autoscaler.hpaSync(t, fromSnapshots(snapshots), counts.specReplicas, counts.statusReplicas, counts.readyReplicas);
  }
}
