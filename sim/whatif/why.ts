// Why a recommended change works, read from the two runs' traces (the scale records, KEDA polls and
// HPA syncs with their conditions, and the samples) — not from what the change is supposed to do.
// Each finding names the rule that produced it (KEDA's scale to zero after cooldownPeriod, the HPA's
// downscale stabilization window, its scale-up limit, maxReplicaCount, the poll that activates
// from zero) with the times and replica counts where the trace shows it acting.
import { maxOf } from "../../reports/derive.js";
import { HPA_CONTROLLER_DEFAULTS } from "../decisions/hpa.js";
import type { HpaSyncRecord, KedaPollRecord, SampleRecord, ScaleRecord, TraceHeader, TraceRecord } from "../trace.js";

export interface Trace {
  header: TraceHeader;
  records: readonly TraceRecord[];
}

export interface TraceFacts {
  cooldownPeriod: number;
  pollingInterval: number;
  window: number;
  behavior: "legacy" | "behavior";
  firstArrival: number | null;
  /** The first scale from zero (KEDA's activation). */
  activation: ScaleRecord | null;
  firstReady: number | null;
  /** When the work was done for good: the first sample after the last arrival with nothing queued or in flight. */
  emptyAt: number | null;
  replicasAtEmpty: number;
  peak: number;
  peakAt: number | null;
  /** Syncs after emptyAt where the HPA kept desired above its own proposal (ScaleDownStabilized). */
  heldSyncs: HpaSyncRecord[];
  /** Syncs where the scale-up limit cut the HPA's proposal (ScaleUpLimit). */
  upLimited: HpaSyncRecord[];
  /** Syncs capped by maxReplicaCount (TooManyReplicas). */
  capped: HpaSyncRecord[];
  /** Scale records after emptyAt. */
  tail: ScaleRecord[];
  /** KEDA's scale to zero/idle/min after emptyAt, if any. */
  kedaDown: ScaleRecord | null;
  /** The last active KEDA poll before kedaDown (its lastActiveTime). */
  lastActive: number | null;
  replicaSeconds: number;
  replicaSecondsAfterEmpty: number;
  end: number;
}

export function factsOf(trace: Trace): TraceFacts {
  const h = trace.header.scaling;
  const samples = trace.records.filter((r): r is SampleRecord => r.type === "sample" && r.stage === undefined);
  const scales = trace.records.filter((r): r is ScaleRecord => r.type === "scale");
  const syncs = trace.records.filter((r): r is HpaSyncRecord => r.type === "hpa-sync");
  const polls = trace.records.filter((r): r is KedaPollRecord => r.type === "keda-poll");
  const last = samples[samples.length - 1];
  const total = last?.produced ?? 0;
  const firstArr = samples.find((s) => s.produced > 0);
  // The last arrival's sample, then the first sample with everything settled.
  const lastArrIdx = samples.findIndex((s) => s.produced === total);
  // emptyAt is the last sample that still had work (the work ends within the next sample interval),
  // so a scale-in in that interval counts as after the work.
  let emptyAt: number | null = null;
  let replicasAtEmpty = 0;
  for (let i = Math.max(0, lastArrIdx); i < samples.length; i++) {
    const s = samples[i];
    if (s.queued === 0 && s.inFlight === 0 && total > 0) {
      const prev = i > 0 ? samples[i - 1] : s;
      emptyAt = prev.t;
      replicasAtEmpty = prev.current;
      break;
    }
  }
  let peak = 0;
  let peakAt: number | null = null;
  for (const s of samples) if (s.desired > peak) ((peak = s.desired), (peakAt = s.t));
  const pod = trace.records.find((r) => r.type === "pod" && r.phase === "Ready");
  const after = (t: number) => emptyAt !== null && t > emptyAt;
  const tail = scales.filter((s) => after(s.t));
  const kedaDown = tail.find((s) => s.actor === "keda" && s.to < s.from) ?? null;
  const lastActivePoll = kedaDown ? [...polls].reverse().find((p) => p.t <= kedaDown.t && p.lastActiveTime !== null) : undefined;
  let rs = 0;
  let rsAfter = 0;
  for (let i = 1; i < samples.length; i++) {
    const dt = samples[i].t - samples[i - 1].t;
    const v = samples[i - 1].current * dt;
    rs += v;
    if (after(samples[i - 1].t)) rsAfter += v;
  }
  return {
    cooldownPeriod: h.cooldownPeriod,
    pollingInterval: h.pollingInterval,
    window: h.downscaleStabilizationSeconds ?? HPA_CONTROLLER_DEFAULTS.downscaleStabilizationSeconds,
    behavior: h.behavior,
    firstArrival: firstArr ? firstArr.t : null,
    activation: scales.find((s) => s.from === 0 && s.to > 0) ?? null,
    firstReady: pod ? pod.t : null,
    emptyAt,
    replicasAtEmpty,
    peak,
    peakAt,
    heldSyncs: syncs.filter((s) => after(s.t) && s.condition === "ScaleDownStabilized" && s.raw !== null && s.raw >= 0 && s.desired > s.raw),
    upLimited: syncs.filter((s) => s.condition === "ScaleUpLimit"),
    capped: syncs.filter((s) => s.condition === "TooManyReplicas"),
    tail,
    kedaDown,
    lastActive: lastActivePoll?.lastActiveTime ?? null,
    replicaSeconds: rs,
    replicaSecondsAfterEmpty: rsAfter,
    end: last?.t ?? 0,
  };
}

const f1 = (x: number) => x.toFixed(1);
const f0 = (x: number) => Math.round(x).toLocaleString("en-US").replace(/,/g, " ");

/** What held replicas after the work was done, in one sentence (from the trace). */
export function holdSentence(f: TraceFacts): string | null {
  if (f.emptyAt === null) return null;
  const parts: string[] = [];
  const share = f.replicaSeconds > 0 ? (100 * f.replicaSecondsAfterEmpty) / f.replicaSeconds : 0;
  parts.push(`the last work finished within a second of t = ${f1(f.emptyAt)} s, with ${f.replicasAtEmpty} replicas; ${f0(f.replicaSecondsAfterEmpty)} of ${f0(f.replicaSeconds)} replica-seconds (${share.toFixed(0)} %, from the 1 s samples) came after that`);
  const firstDown = f.tail.find((s) => s.to < s.from) ?? null;
  if (f.heldSyncs.length > 0) {
    const h0 = f.heldSyncs[0];
    const hN = f.heldSyncs[f.heldSyncs.length - 1];
    const windowName = f.behavior === "legacy" ? `the HPA's ${f.window} s downscale stabilization window (legacy: the maximum of its recommendations over the window)` : `the HPA's scale-down stabilization window (${f.window} s)`;
    parts.push(
      `${windowName} kept desired at ${h0.desired} although its own proposal was ${h0.raw} (ScaleDownStabilized at ${f.heldSyncs.length} syncs, t = ${f1(h0.t)}–${f1(hN.t)} s)`,
    );
  }
  if (f.kedaDown) {
    const k = f.kedaDown;
    const la = f.lastActive;
    parts.push(
      `KEDA set ${k.from} → ${k.to} at t = ${f1(k.t)} s${la !== null ? `, its first poll more than cooldownPeriod (${f.cooldownPeriod} s) after the last active poll (lastActiveTime ${f0(la)} s)` : ""}, bypassing the HPA`,
    );
    if (f.heldSyncs.length > 0 && firstDown && firstDown.actor === "hpa" && firstDown.t < k.t) {
      parts.push(`so the HPA's window, not cooldownPeriod, decided how long ${f.heldSyncs[0].desired} replicas stayed (until t = ${f1(firstDown.t)} s)`);
    } else if (f.heldSyncs.length > 0 && (!firstDown || firstDown === k)) {
      parts.push(`so cooldownPeriod, not the HPA's window, ended the hold`);
    }
  } else if (firstDown) parts.push(`the ${firstDown.actor === "hpa" ? "HPA" : "KEDA"} scaled ${firstDown.from} → ${firstDown.to} at t = ${f1(firstDown.t)} s (${firstDown.reason})`);
  return parts.join("; ");
}

/** Activation from zero and the first ready pod, in one sentence. */
export function startSentence(f: TraceFacts): string | null {
  if (!f.activation || f.firstArrival === null) return null;
  const a = f.activation;
  return `the first message arrived at t ≈ ${f1(f.firstArrival)} s; KEDA's poll (every ${f.pollingInterval} s) activated ${a.from} → ${a.to} at t = ${f1(a.t)} s${f.firstReady !== null ? `, first pod ready at t = ${f1(f.firstReady)} s` : ""}`;
}

/** Scale-up: the peak, and how often the HPA's scale-up limit or maxReplicaCount cut its proposal. */
export function climbSentence(f: TraceFacts): string {
  const parts = [`peak ${f.peak} replicas${f.peakAt !== null ? ` at t = ${f1(f.peakAt)} s` : ""}`];
  if (f.upLimited.length) parts.push(`the HPA's scale-up limit cut its proposal at ${f.upLimited.length} sync${f.upLimited.length === 1 ? "" : "s"} (first at t = ${f1(f.upLimited[0].t)} s: ${f.upLimited[0].raw} → ${f.upLimited[0].desired})`);
  if (f.capped.length) parts.push(`maxReplicaCount capped it at ${f.capped.length} sync${f.capped.length === 1 ? "" : "s"} (proposal up to ${maxOf(f.capped, (s) => s.raw ?? 0)})`);
  return parts.join("; ");
}

export interface Change {
  /** The knob's path as the user writes it. */
  path: string;
  from: string;
  to: string;
}

/** The rule a knob acts on (upstream names), for the WHY lines. */
export function ruleOf(path: string): string {
  if (/cooldownPeriod$/.test(path)) return "KEDA's scale to zero (scaleToZeroOrIdle: lastActiveTime + cooldownPeriod < now), which sets N → 0 directly, bypassing the HPA";
  if (/pollingInterval$/.test(path)) return "KEDA's poll loop: only a poll activates 0 → 1 (scaleFromZeroOrIdle) and only a poll scales to zero";
  if (/stabilizationWindowSeconds$/.test(path)) return "the HPA's stabilization window (stabilizeRecommendationWithBehaviors: the highest recommendation in the window wins on the way down)";
  if (/scaleUp\.policies/.test(path)) return "the HPA's scale-up policies (convertDesiredReplicasWithBehaviorRate: how many pods per period)";
  if (/scaleDown\.policies/.test(path)) return "the HPA's scale-down policies (how many pods may go per period)";
  if (/minReplicaCount$/.test(path)) return "minReplicaCount: the HPA's floor, and with min ≥ 1 no scale to zero, so no cold start";
  if (/maxReplicaCount$/.test(path)) return "maxReplicaCount: the HPA's ceiling (TooManyReplicas)";
  if (/(messageCount|queueLength|value|lagThreshold)$/.test(path)) return "the trigger's target per replica: the HPA proposes ceil(metric / target) replicas (GetExternalPerPodMetricReplicas)";
  return "the scenario field it names";
}

/** The WHY section: the baseline's story, the recommendation's, and per change what moved, all from the traces. */
export function explain(before: Trace, after: Trace, changes: readonly Change[]): string[] {
  const b = factsOf(before);
  const a = factsOf(after);
  const L: string[] = [];
  const hb = holdSentence(b);
  const ha = holdSentence(a);
  const sb = startSentence(b);
  const sa = startSentence(a);
  L.push(`Before (as written, seed ${before.header.seed}): ${[sb, climbSentence(b), hb].filter(Boolean).join("; ")}.`);
  L.push(`After (recommended, same seed): ${[sa, climbSentence(a), ha].filter(Boolean).join("; ")}.`);
  for (const c of changes) {
    const lines: string[] = [`\`${c.path}\` ${c.from} → ${c.to} acts on ${ruleOf(c.path)}.`];
    if (/cooldownPeriod$/.test(c.path) || /pollingInterval$/.test(c.path)) {
      if (b.kedaDown && a.kedaDown) lines.push(`In the traces KEDA's scale-in came at t = ${f1(b.kedaDown.t)} s (${b.kedaDown.from} → ${b.kedaDown.to}) before and at t = ${f1(a.kedaDown.t)} s (${a.kedaDown.from} → ${a.kedaDown.to}) after.`);
      if (/pollingInterval$/.test(c.path) && b.activation && a.activation) lines.push(`Activation from zero came at t = ${f1(b.activation.t)} s before and t = ${f1(a.activation.t)} s after.`);
      if (b.heldSyncs.length > 0 && a.kedaDown && b.kedaDown && a.kedaDown.t < b.kedaDown.t) {
        lines.push(`The HPA had held desired above its proposal at ${b.heldSyncs.length} syncs after the queue emptied; KEDA now scales in at t = ${f1(a.kedaDown.t)} s, ${a.heldSyncs.length > 0 ? `after ${a.heldSyncs.length} such syncs` : "before the window could hold anything"}.`);
      }
    } else if (/stabilizationWindowSeconds$/.test(c.path) || /scaleDown\.policies/.test(c.path)) {
      lines.push(`Syncs after the queue emptied where the HPA kept desired above its proposal: ${b.heldSyncs.length} before, ${a.heldSyncs.length} after.`);
    } else if (/scaleUp\.policies/.test(c.path)) {
      lines.push(`Syncs where the scale-up limit cut the proposal: ${b.upLimited.length} before, ${a.upLimited.length} after; peak ${b.peak} → ${a.peak} replicas${b.peakAt !== null && a.peakAt !== null ? ` (reached at t = ${f1(b.peakAt)} s → ${f1(a.peakAt)} s)` : ""}.`);
    } else if (/maxReplicaCount$/.test(c.path)) {
      lines.push(`Peak replicas ${b.peak} → ${a.peak}; syncs capped by maxReplicaCount ${b.capped.length} → ${a.capped.length}.`);
    } else if (/minReplicaCount$/.test(c.path)) {
      lines.push(`Scale-ups from zero: ${before.records.filter((r) => r.type === "scale" && r.from === 0).length} before, ${after.records.filter((r) => r.type === "scale" && r.from === 0).length} after.`);
    } else if (/(messageCount|queueLength|value|lagThreshold)$/.test(c.path)) {
      const maxRaw = (tr: Trace) => maxOf(tr.records, (r) => (r.type === "hpa-sync" ? (r.raw ?? 0) : 0), 0);
      lines.push(`The HPA's largest proposal was ${maxRaw(before)} before and ${maxRaw(after)} after; peak ${b.peak} → ${a.peak} replicas.`);
    }
    L.push(lines.join(" "));
  }
  L.push(`Replica-seconds in this run (from the samples): ${f0(b.replicaSeconds)} → ${f0(a.replicaSeconds)}; after the work was done: ${f0(b.replicaSecondsAfterEmpty)} → ${f0(a.replicaSecondsAfterEmpty)}.`);
  return L;
}
