// KEDA's poll loop and the HPA's sync loop for one ScaledObject, written once for every model and
// real mode: the single-queue model and every autoscaled topology stage (through their Deployment,
// deployment.ts) and real mode's local scaler (real/decide.ts, real/scaler.ts).
//
// The decisions themselves are the pure functions in ../decisions (requestScale, reconcile,
// the fallback rules). This class keeps what upstream keeps between two calls of them: KEDA's
// lastActiveTime, the HPA's recommendation window, each trigger's health
// (ScaledObject.status.health) and its last value for useCachedMetrics. It turns the queue's
// numbers into their inputs, and a poll or sync into its trace record and the new spec.replicas
// (kedaPoll, hpaSync). It knows when the loops run (firstPollAt, nextPollAt, ...) and when the
// scaler fails (the scenario's scalerErrors windows). What differs between the callers stays with
// them: where the queue numbers come from (MetricSource: the model's queue, or the live broker),
// acting on spec.replicas, and the clock (engine events, or wall-clock timers in real mode).
import { requestScale, hpaMinReplicas, hpaMaxReplicas, isPaused, type KedaState, type RequestScaleResult } from "../decisions/keda.js";
import { reconcile, defaultHpaConfig, initialHpaState, type HpaConfig, type HpaState, type MetricReading, type ReconcileResult } from "../decisions/hpa.js";
import { getMetricWithFallback, type MetricHealth } from "../decisions/fallback.js";
import { kedaFallbackInPollLoop, NEWEST_KEDA_VERSION, NEWEST_KUBERNETES_VERSION } from "../decisions/versions.js";
import type { Scenario } from "../scenario/load.js";
import type { QueueSnapshot, Trigger } from "../triggers/types.js";
import type { HpaSyncRecord, KedaPollRecord, TraceHeader } from "../trace.js";

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

/** What a trace header says of a ScaledObject (the facts the charts draw reference lines from). */
export function scalingOf(so: Scenario["scaledObject"], hpa: Scenario["hpa"]): TraceHeader["scaling"] {
  const t0 = so.triggers[0];
  return {
    minReplicaCount: so.minReplicaCount,
    maxReplicaCount: so.maxReplicaCount,
    idleReplicaCount: so.idleReplicaCount,
    target: t0.target,
    targetType: t0.targetType,
    triggerType: t0.type,
    metricDescription: t0.description,
    pollingInterval: so.pollingInterval,
    cooldownPeriod: so.cooldownPeriod,
    hpaSyncPeriod: hpa.syncPeriod,
    behavior: so.behavior ? "behavior" : "legacy",
    downscaleStabilizationSeconds: hpa.downscaleStabilization,
    tolerance: hpa.tolerance,
    activationThreshold: t0.activationThreshold,
    kedaVersion: so.kedaVersion ?? NEWEST_KEDA_VERSION,
    kubernetesVersion: so.kubernetesVersion ?? NEWEST_KUBERNETES_VERSION,
  };
}

/** A window in which the scaler fails (fault injection: scenario `faults.scalerErrors`). */
export interface ScalerErrorWindow {
  from: number;
  until: number;
}

/**
 * A poll or sync as the trace records it, and what to do: the new spec.replicas, or null to leave
 * it. `reason` is read only when acting (the HPA builds its text on demand: most syncs change
 * nothing); a class, so that no closure is made per sync.
 */
export class ScaleDecision<R> {
  constructor(
    readonly record: R,
    readonly to: number | null,
    private readonly why: { readonly reason: string },
  ) {}
  get reason(): string {
    return this.why.reason;
  }
}

export interface AutoscalerOptions {
  /** When the scaler fails (every trigger errors). */
  scalerErrors?: readonly ScalerErrorWindow[];
  /** Topology: the stage written into every record. */
  stage?: string;
}

export class Autoscaler {
  kedaState: KedaState;
  hpaState: HpaState = initialHpaState;
  readonly hpaCfg: HpaConfig;
  /** HPA syncs so far (reported in the summary). */
  hpaSyncs = 0;
  private health: MetricHealth[];
  private cached: Array<number | null>;

  private readonly scalerErrors: readonly ScalerErrorWindow[];
  private readonly stage: string | undefined;
  /** KEDA >= 2.19: the poll loop goes through GetMetricsWithFallback (versions.ts). */
  private readonly fallbackInPoll: boolean;

  constructor(
    readonly scaledObject: Scenario["scaledObject"],
    private readonly keda: Scenario["keda"],
    private readonly hpa: Scenario["hpa"],
    opts: AutoscalerOptions = {},
  ) {
    const so = scaledObject;
    this.scalerErrors = opts.scalerErrors ?? [];
    this.stage = opts.stage;
    this.fallbackInPoll = kedaFallbackInPollLoop(so.kedaVersion);
    this.kedaState = { lastActiveTime: null, creationTime: keda.createdAt };
    this.hpaCfg = {
      ...defaultHpaConfig(hpaMinReplicas(so), hpaMaxReplicas(so)),
      behavior: so.behavior,
      tolerance: hpa.tolerance,
      downscaleStabilizationSeconds: hpa.downscaleStabilization,
      configurableTolerance: hpa.configurableTolerance,
      kubernetesVersion: so.kubernetesVersion,
    };
    this.health = so.triggers.map(() => ({ numberOfFailures: 0, status: "Happy" as const }));
    this.cached = so.triggers.map(() => null);
  }

  /**
   * KEDA's poll (scale_handler checkScalers + RequestScale): read every trigger, or record a
   * failure for each while the scaler is failing; activation is any trigger active.
   */
  poll(t: number, failing: boolean, source: MetricSource, specReplicas: number, readyReplicas = specReplicas): KedaPoll {
    const so = this.scaledObject;
    let active = false;
    let error = false;
    let metric: number | null = null;
    // Plain loop: a poll runs every pollingInterval for the whole run (twice a minute for 480 h
    // in the benchmark).
    for (let i = 0; i < so.triggers.length; i++) {
      const trig = so.triggers[i];
      const snap = failing ? null : source.snapshotFor(trig, i, t);
      if (this.fallbackInPoll) {
        // KEDA >= 2.19 (kedacore/keda#7244): pkg/scaling/scale_handler.go getScalerState passes the
        // scaler's answer through fallback.GetMetricsWithFallback (processMetricsWithFallback); a
        // failure increments status.health, and once the fallback is active the trigger counts as
        // active with no error (isActiveOrFallback = fallbackActive || isMetricActive).
        const r = snap === null ? null : trig.read(snap);
        const got = getMetricWithFallback(so.fallback, this.health[i], r === null ? { ok: false } : { ok: true, value: r.value }, trig.target, trig.targetType, specReplicas, readyReplicas);
        this.health[i] = got.health;
        if (!got.outcome.ok) {
          error = true;
          continue;
        }
        if (r !== null) this.cached[i] = r.value;
        if (i === 0) metric = got.outcome.value;
        if (got.outcome.fallback || (r !== null && r.active)) active = true;
        continue;
      }
      // KEDA < 2.19: getScalerState reads the scaler directly (GetMetricsAndActivityForScaler);
      // an error is an error, and the poll loop leaves status.health alone (only the metrics
      // server's GetMetricsWithFallback, i.e. the HPA's requests, counts failures).
      if (snap === null) {
        error = true;
        continue;
      }
      const r = trig.read(snap);
      this.cached[i] = r.value;
      if (i === 0) metric = r.value;
      if (r.active) active = true;
    }
    // pkg/scaling/executor/scale_scaledobjects.go: updateLastActiveTime (metav1.Now()) and
    // scaleToZeroOrIdle's cooldown test (time.Now()) read the clock after the scalers answered, so a
    // little after the tick: with a whole-second poll phase LastActiveTime truncates to the tick and
    // the cooldown ends at the poll exactly cooldownPeriod later (keda-hpa-semantics.md B.3).
    const now = t + this.keda.scalerQueryLatency;
    const result = requestScale(so, this.kedaState, { now, currentReplicas: specReplicas, isActive: active, isError: error });
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
    // pkg/controller/podautoscaler/horizontal.go reconcileAutoscaler: with spec.replicas 0
    // (ScalingDisabled), above maxReplicas or below minReplicas the controller computes no metric
    // replicas, so KEDA's metrics server gets no request and status.health is not touched.
    const readsMetrics = specReplicas !== 0 && specReplicas <= this.hpaCfg.maxReplicas && specReplicas >= this.hpaCfg.minReplicas;
    const metrics: MetricReading[] = new Array(readsMetrics ? so.triggers.length : 0);
    for (let i = 0; readsMetrics && i < so.triggers.length; i++) {
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

  // ---------------------------------------------------------------- the loops

  /** Paused by annotation (isPaused): no poll loop after the first reconcile, no HPA. */
  get paused(): boolean {
    return isPaused(this.scaledObject);
  }

  /** The ScaledObject's creation (its controller's first reconcile). */
  get createdAt(): number {
    return this.keda.createdAt;
  }

  /** KEDA's first poll: pollPhase after the ScaledObject's creation. */
  get firstPollAt(): number {
    return this.keda.createdAt + this.keda.pollPhase;
  }

  /** The poll after the one at t (every pollingInterval). */
  nextPollAt(t: number): number {
    return t + this.scaledObject.pollingInterval;
  }

  /** The HPA's first sync (its phase). */
  get firstSyncAt(): number {
    return this.hpa.syncPhase;
  }

  /** The sync after the one at t: the controller re-queues syncPeriod after a sync ends (plus drift). */
  nextSyncAt(t: number): number {
    return t + this.hpa.syncPeriod + this.hpa.drift;
  }

  /** Is the scaler failing at t (inside one of the scalerErrors windows)? */
  scalerErrorAt(t: number): boolean {
    for (const w of this.scalerErrors) if (t >= w.from && t < w.until) return true;
    return false;
  }

  /** One KEDA poll at t: its keda-poll record, and the spec.replicas requestScale sets (null: none). */
  kedaPoll(t: number, source: MetricSource, specReplicas: number, readyReplicas = specReplicas): ScaleDecision<KedaPollRecord> {
    const poll = this.poll(t, this.scalerErrorAt(t), source, specReplicas, readyReplicas);
    const res = poll.result;
    const record: KedaPollRecord = { type: "keda-poll", t, metric: poll.metric, active: poll.active, error: poll.error, lastActiveTime: res.state.lastActiveTime, condition: res.condition };
    if (this.stage !== undefined) record.stage = this.stage;
    return new ScaleDecision(record, res.replicas !== null && res.replicas !== specReplicas ? res.replicas : null, res);
  }

  /** Which triggers the HPA's sync at t reads afresh (the others get KEDA's cached value). */
  hpaNeedsRead(t: number): boolean[] {
    return this.needsRead(this.scalerErrorAt(t));
  }

  /** One HPA sync at t: its hpa-sync record, and the spec.replicas it sets (null: none). */
  hpaSync(t: number, source: MetricSource, specReplicas: number, statusReplicas: number, readyReplicas: number): ScaleDecision<HpaSyncRecord> {
    const res = this.sync(t, this.scalerErrorAt(t), source, specReplicas, statusReplicas, readyReplicas);
    const record: HpaSyncRecord = { type: "hpa-sync", t, metric: res.metricValue, specReplicas, statusReplicas, raw: res.raw, desired: res.desired, condition: res.condition };
    if (this.stage !== undefined) record.stage = this.stage;
    return new ScaleDecision(record, res.rescale && res.desired !== specReplicas ? res.desired : null, res);
  }
}
