// The tolerances a live seed-burst run is held to against its comparison simulation (real-local
// and real-cluster alike), computed from the run's own measurements. Used by real/real.test.ts and
// real/cluster/cluster.test.ts; README-real.md and README-cluster.md explain them.
//
// Both sides decide on the same timers (real-local: the same pure functions; real-cluster: the real
// controllers, with the simulation given their measured first poll/sync and drift), and the
// simulation gets the measured startup latencies and the management-API refresh interval R. What
// remains:
//  (0) activation: the simulation's stats snapshot at t = 0 already shows the burst; RabbitMQ's
//      management API shows a new queue's messages only after its first stats emission + collector
//      tick plus the producer's send time. KEDA's first poll races that; if it loses, activation —
//      and everything after it — comes one polling interval P later: δ0 ∈ {0, P}.
//  (1) scale-ups: every up-step of this scenario is set by the HPA's scale-up limit max(2×, 4) or its
//      stabilization window, not by the metric's exact value, so up-steps land on the same sync:
//      |Δt − δ0| ≤ `jitterS` (timer, broker-read and API-watch jitter).
//  (2) startup: the simulation draws the measured startups in random order, so the k-th pod's Ready
//      time may differ by the spread (max − min); work is conserved, so the drain time may differ
//      by ≤ spread + one processing time: |Δdrain − δ0|.
//  (3) scale-downs depend on when the (stale) metric reaches 0 at the end of the drain — up to
//      R + (2) apart — and a loop of period Q (KEDA P, HPA S) acts at its next tick, which the live
//      loop stamps after its broker read, as in (1): |Δt − δ0| ≤ Q·⌈(R + (2))/Q⌉ + `jitterS`.
//  Replica RMSE: if step i (size Δi) slips by b_i, the difference at time t is at most the sum of
//  the |Δi| whose slip windows contain t, so ∫Δ² ≤ Σ|Δi| · Σ|Δi|·b_i (Cauchy–Schwarz), taken
//  separately for ups and downs (≥ 300 s apart, windows never overlap): RMSE ≤ sqrt((U_up + U_down)/T),
//  b_i = |δ0| + jitter for ups (+ the startup spread for `ready`), the (3) bound for downs.
import type { Deltas } from "../reports/compare.js";
import type { Scenario } from "../sim/scenario/load.js";
import type { HpaSyncRecord, Summary, TraceRecord } from "../sim/trace.js";

/**
 * How far the live HPA loop's ticks slipped from the simulated ones (scenario s): the largest gap
 * between the n-th live and the n-th simulated hpa-sync up to `untilT` (the last up-step). A live
 * sync's time is taken after its broker read, so this holds timer lateness under load (real-local)
 * or the controller's re-queue after each reconcile (real-cluster). Callers check it stays under
 * half a sync period: one extra or missed sync shifts every later index by a whole period, and a
 * bound that large would let the up-step check pass anything.
 */
export function hpaTickSlip(live: TraceRecord[], sim: TraceRecord[], untilT: number): number {
  const a = live.filter((x): x is HpaSyncRecord => x.type === "hpa-sync");
  const b = sim.filter((x): x is HpaSyncRecord => x.type === "hpa-sync");
  let slip = 0;
  for (let i = 0; i < Math.min(a.length, b.length) && a[i].t <= untilT; i++) slip = Math.max(slip, Math.abs(a[i].t - b[i].t));
  return slip;
}

export interface BoundCheck {
  what: string;
  value: number;
  bound: number;
}

export interface SeedBurstBounds {
  d0: number;
  /** Up-steps as "actor:from->to", real and sim: must be equal. */
  upsReal: string[];
  upsSim: string[];
  checks: BoundCheck[];
  summary: string;
}

interface StartupNotes {
  n: number;
  min: number;
  max: number;
}

export function seedBurstBounds(
  s: Scenario,
  real: Summary,
  sim: Summary,
  deltas: Deltas,
  o: { timeScale: number; jitterWallS: number; P?: number; S?: number; /** Measured slip of the live loop's ticks against the simulated ones (scenario s), added to (1). */ tickSlipS?: number },
): SeedBurstBounds {
  const S = o.S ?? s.hpa.syncPeriod;
  const P = o.P ?? s.scaledObject.pollingInterval;
  const R = (real.notes?.managementStats as { effectiveScenarioS: number }).effectiveScenarioS;
  const su = real.notes?.startupLatencyS as StartupNotes;
  const spread = su.n > 0 ? su.max - su.min : 0;
  const T = deltas.replicas.gridEndS + 1;
  const activation = (e: Summary["scaleEvents"]) => e.find((x) => x.actor === "keda" && x.from === 0 && x.to > 0);
  const ar = activation(real.scaleEvents);
  const as = activation(sim.scaleEvents);
  const d0 = ar && as ? ar.t - as.t : Number.NaN;
  const checks: BoundCheck[] = [];
  // Every bound below that uses the startups' spread needs startups measured at all.
  checks.push({ what: "startup latency measured for at least one replica", value: su.n > 0 ? 0 : 1, bound: 0 });
  // (0) KEDA acts only at its polls
  checks.push({ what: "(0) activation slip from a whole number of polling intervals", value: Math.abs(d0 - P * Math.round(d0 / P)), bound: 1 });
  const slips = Math.round(d0 / P);
  checks.push({ what: `(0) activation is 0 or 1 polling intervals late (${slips})`, value: slips === 0 || slips === 1 ? 0 : Math.abs(slips), bound: 0 });
  const ups = (e: Summary["scaleEvents"]) => e.filter((x) => x.to > x.from).map((x) => `${x.actor}:${x.from}->${x.to}`);
  const jitter = o.jitterWallS / o.timeScale + (o.tickSlipS ?? 0);
  for (const p of deltas.scaleEvents.pairs.filter((x) => x.direction === "up")) checks.push({ what: `(1) up-step ${p.a.actor} ${p.a.from}->${p.a.to} |Δt − δ0|`, value: Math.abs(p.dt - d0), bound: jitter });
  const pt = s.consumer.processingTime;
  const drainBound = spread + (pt.dist === "constant" ? pt.value : 0);
  checks.push({ what: "(2) |Δdrain − δ0|", value: Math.abs(real.drainTimeS! - sim.drainTimeS! - d0), bound: drainBound });
  const downSlip = (actor: string) => {
    const Q = actor === "keda" ? P : S;
    // The live decision is stamped after its read and its timer's lateness, as the up-steps are (1).
    return Q * Math.ceil((R + drainBound) / Q) + jitter;
  };
  for (const p of deltas.scaleEvents.pairs.filter((x) => x.direction === "down")) checks.push({ what: `(3) down-step ${p.a.actor} ${p.a.from}->${p.a.to} |Δt − δ0|`, value: Math.abs(p.dt - d0), bound: downSlip(p.a.actor) });
  const budget = (events: Summary["scaleEvents"], extraUp: number) => {
    let u = 0;
    for (const up of [true, false]) {
      const g = events.filter((e) => e.to > e.from === up);
      const sumAbs = g.reduce((a, e) => a + Math.abs(e.to - e.from), 0);
      const sumAbsB = g.reduce((a, e) => a + Math.abs(e.to - e.from) * (Math.abs(d0) + (up ? jitter + extraUp : downSlip(e.actor))), 0);
      u += sumAbs * sumAbsB;
    }
    return u;
  };
  const desiredBound = Math.sqrt(Math.max(budget(real.scaleEvents, 0), budget(sim.scaleEvents, 0)) / T);
  checks.push({ what: "replica RMSE (desired)", value: deltas.replicas.desired.rmse, bound: desiredBound });
  const readyBound = Math.sqrt(Math.max(budget(real.scaleEvents, spread), budget(sim.scaleEvents, spread)) / T);
  checks.push({ what: "replica RMSE (ready)", value: deltas.replicas.ready.rmse, bound: readyBound });
  const summary =
    `δ0 ${d0.toFixed(2)} s; startup ${su.min?.toFixed(1)}–${su.max?.toFixed(1)} s scenario (n=${su.n}); drain real ${real.drainTimeS?.toFixed(1)} s vs sim ${sim.drainTimeS?.toFixed(1)} s ` +
    `(|Δ − δ0| ${Math.abs(real.drainTimeS! - sim.drainTimeS! - d0).toFixed(1)} ≤ ${drainBound.toFixed(1)}); desired RMSE ${deltas.replicas.desired.rmse.toFixed(2)} ≤ ${desiredBound.toFixed(2)}; ` +
    `ready RMSE ${deltas.replicas.ready.rmse.toFixed(2)} ≤ ${readyBound.toFixed(2)}`;
  return { d0, upsReal: ups(real.scaleEvents), upsSim: ups(sim.scaleEvents), checks, summary };
}
