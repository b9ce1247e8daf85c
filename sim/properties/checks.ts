// The invariants of the property suite, as plain functions over one run's trace. Each throws a
// Violation naming the first record that breaks it (fast-check then shrinks the scenario).
// Every check is derived from the model's contract (trace.ts, the KEDA/HPA semantics), not from
// the model's code: a violation is a bug in the simulator (or in the contract).
import { locksMessages, type Scenario } from "../scenario/load.js";
import type {
  CompletionRecord,
  HpaSyncRecord,
  KedaPollRecord,
  MessageEventRecord,
  SampleRecord,
  ScaleRecord,
  Summary,
  TraceRecord,
} from "../trace.js";

export class Violation extends Error {
  constructor(
    public invariant: string,
    message: string,
  ) {
    super(`${invariant}: ${message}`);
    this.name = "Violation";
  }
}

export interface RunLike {
  summary: Summary;
  records: TraceRecord[];
}

const fmt = (r: unknown) => JSON.stringify(r);
const nsLess = (a: number, b: number) => Math.round(a * 1e9) < Math.round(b * 1e9);
const nsLessEq = (a: number, b: number) => Math.round(a * 1e9) <= Math.round(b * 1e9);

export const samplesOf = (rs: TraceRecord[]) => rs.filter((r): r is SampleRecord => r.type === "sample");
export const scalesOf = (rs: TraceRecord[]) => rs.filter((r): r is ScaleRecord => r.type === "scale");
export const pollsOf = (rs: TraceRecord[]) => rs.filter((r): r is KedaPollRecord => r.type === "keda-poll");
export const syncsOf = (rs: TraceRecord[]) => rs.filter((r): r is HpaSyncRecord => r.type === "hpa-sync");
export const doneOf = (rs: TraceRecord[]) => rs.filter((r): r is CompletionRecord => r.type === "done");
export const messagesOf = (rs: TraceRecord[]) => rs.filter((r): r is MessageEventRecord => r.type === "message");

/** Records are in non-decreasing time (the Trace contract). */
export function checkTimeOrder(out: RunLike): void {
  let prev = -Infinity;
  for (const r of out.records) {
    if (!(r.t >= prev)) throw new Violation("time order", `record at t=${r.t} after t=${prev}: ${fmt(r)}`);
    prev = r.t;
  }
}

/**
 * The Trace contract (trace.ts), field by field: times finite and non-decreasing; counts are
 * non-negative integers; a metric is a finite number ≥ 0 or null ("null when the scaler errored /
 * the metric was invalid" — never NaN, which JSON would silently turn into null); an HPA proposal
 * is null, -1 ("no proposal") or a replica count.
 */
export function checkTraceContract(out: RunLike, scalerQueryLatency = 0): void {
  checkTimeOrder(out);
  const count = (r: TraceRecord, k: string, v: unknown) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new Violation("trace contract", `${r.type}.${k} = ${v} is not a count: ${fmt(r)}`);
  };
  const metric = (r: TraceRecord, k: string, v: unknown, nullable: boolean) => {
    if (v === null && nullable) return;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new Violation("trace contract", `${r.type}.${k} = ${v} is not ${nullable ? "null or " : ""}a finite metric ≥ 0: ${fmt(r)}`);
  };
  for (const r of out.records) {
    if (!Number.isFinite(r.t) || r.t < 0) throw new Violation("trace contract", `bad time: ${fmt(r)}`);
    switch (r.type) {
      case "sample":
        metric(r, "metric", r.metric, false);
        for (const k of ["queued", "inFlight", "produced", "completed", "deadLettered", "redelivered", "lost", "desired", "current", "ready", "terminating", "busy"] as const) count(r, k, r[k]);
        break;
      case "keda-poll":
        metric(r, "metric", r.metric, true);
        // KEDA takes LastActiveTime after the scalers answered: up to their query latency after the tick.
        if (r.lastActiveTime !== null && !(Number.isFinite(r.lastActiveTime) && nsLessEq(r.lastActiveTime, r.t + scalerQueryLatency))) throw new Violation("trace contract", `lastActiveTime after the poll (+ scaler query latency ${scalerQueryLatency} s): ${fmt(r)}`);
        break;
      case "hpa-sync":
        metric(r, "metric", r.metric, true);
        count(r, "specReplicas", r.specReplicas);
        count(r, "statusReplicas", r.statusReplicas);
        count(r, "desired", r.desired);
        if (r.raw !== null && r.raw !== -1) count(r, "raw", r.raw);
        break;
      case "scale":
        count(r, "from", r.from);
        count(r, "to", r.to);
        if (r.from === r.to) throw new Violation("trace contract", `a scale record that changes nothing: ${fmt(r)}`);
        break;
      case "done":
        if (!(r.arrivedAt <= r.startedAt && r.startedAt <= r.t)) throw new Violation("trace contract", `done record out of order: ${fmt(r)}`);
        count(r, "deliveries", r.deliveries);
        break;
      case "message":
        // an abandoned run started before it was abandoned
        if (r.startedAt !== undefined && !(r.startedAt <= r.t)) throw new Violation("trace contract", `abandoned run starts after it ends: ${fmt(r)}`);
        break;
    }
  }
}

/**
 * Conservation at every sample: produced = completed + deadLettered + queued + inFlight + lost,
 * lost == 0 (both brokers are at-least-once), and the cumulative counters never decrease.
 */
export function checkConservation(out: RunLike): void {
  let prev: SampleRecord | null = null;
  for (const s of samplesOf(out.records)) {
    const rhs = s.completed + s.deadLettered + s.queued + s.inFlight + s.lost;
    if (s.produced !== rhs) {
      throw new Violation(
        "conservation",
        `at t=${s.t}: produced ${s.produced} != completed ${s.completed} + deadLettered ${s.deadLettered} + queued ${s.queued} + inFlight ${s.inFlight} + lost ${s.lost} (= ${rhs})`,
      );
    }
    if (s.lost !== 0) throw new Violation("conservation", `at t=${s.t}: lost ${s.lost} != 0 on an at-least-once broker`);
    for (const k of ["queued", "inFlight", "produced", "completed", "deadLettered", "redelivered"] as const) {
      if (!(s[k] >= 0) || !Number.isInteger(s[k])) throw new Violation("conservation", `at t=${s.t}: ${k} = ${s[k]} is not a count`);
    }
    if (prev) {
      for (const k of ["produced", "completed", "deadLettered", "redelivered", "lost"] as const) {
        if (s[k] < prev[k]) throw new Violation("conservation", `at t=${s.t}: cumulative ${k} decreased from ${prev[k]} to ${s[k]}`);
      }
    }
    prev = s;
  }
  const m = out.summary.messages;
  const last = prev;
  if (last && (last.produced !== m.produced || last.completed > m.completed)) {
    throw new Violation("conservation", `summary ${fmt(m)} disagrees with the last sample ${fmt(last)}`);
  }
  if (m.completed + m.deadLettered > m.produced) throw new Violation("conservation", `summary: completed + deadLettered > produced: ${fmt(m)}`);
  if (m.lost !== 0) throw new Violation("conservation", `summary: lost ${m.lost} != 0`);
}

/** What KEDA + its HPA may set spec.replicas to: {0 if min = 0} ∪ {idle} ∪ [max(min, 1), max]. */
export function allowedReplicas(sc: Scenario): (n: number) => boolean {
  const so = sc.scaledObject;
  const hpaMin = Math.max(1, so.minReplicaCount);
  return (n) => (n === 0 && so.minReplicaCount === 0) || (so.idleReplicaCount !== null && n === so.idleReplicaCount) || (n >= hpaMin && n <= so.maxReplicaCount);
}

/**
 * Replica bounds: every scale decision lands in the allowed set (0 ≤ replicas ≤ max, ≥ min
 * unless idle/zero); spec.replicas in the samples is the last decision (or initialReplicas);
 * once a KEDA poll has succeeded and the HPA has synced, it is in the allowed set; pods:
 * ready ≤ current, busy ≤ current + terminating.
 */
export function checkReplicaBounds(sc: Scenario, out: RunLike): void {
  const ok = allowedReplicas(sc);
  for (const e of scalesOf(out.records)) {
    if (!ok(e.to) || !Number.isInteger(e.to)) throw new Violation("replica bounds", `scale to ${e.to} outside the allowed set: ${fmt(e)}`);
  }
  // A poll whose scalers errored leaves the replicas alone (TriggerError / fallback): only the
  // first successful poll is sure to bring them into range.
  const firstPoll = pollsOf(out.records).find((p) => !p.error)?.t ?? Infinity;
  const firstSync = syncsOf(out.records)[0]?.t ?? Infinity;
  const settledAfter = Math.max(firstPoll, firstSync);
  const scales = scalesOf(out.records);
  let si = 0;
  let spec = sc.consumer.initialReplicas;
  let changed = false;
  for (const s of samplesOf(out.records)) {
    while (si < scales.length && scales[si].t <= s.t) {
      spec = scales[si++].to;
      changed = true;
    }
    if (s.desired !== spec) throw new Violation("replica bounds", `at t=${s.t}: spec.replicas ${s.desired}, but the last scale record set ${spec}`);
    if (s.desired < 0 || s.current < 0 || s.ready < 0 || s.terminating < 0 || s.busy < 0) throw new Violation("replica bounds", `negative count at t=${s.t}: ${fmt(s)}`);
    // Before any scale decision the Deployment keeps initialReplicas. Once both loops have run, it
    // must have been brought into the allowed set — except 0 with idleReplicaCount set, which
    // KEDA leaves alone while inactive (scale_scaledobjects.go: no case for current < idle).
    const idleZero = !changed && s.desired === 0 && sc.scaledObject.idleReplicaCount !== null;
    if (s.t >= settledAfter && !ok(s.desired) && !idleZero) throw new Violation("replica bounds", `at t=${s.t} (after the first KEDA poll and HPA sync) spec.replicas ${s.desired} is outside the allowed set`);
    if (s.ready > s.current) throw new Violation("replica bounds", `at t=${s.t}: ready ${s.ready} > current ${s.current}`);
    if (s.busy > s.current + s.terminating) throw new Violation("replica bounds", `at t=${s.t}: busy ${s.busy} > current ${s.current} + terminating ${s.terminating}`);
  }
}

/**
 * Only KEDA moves 0 ↔ 1 (activation: 0 or idle → max(min, 1)) and N → 0/idle; the HPA never acts
 * while replicas are 0 (ScalingDisabled) and only moves within [max(min, 1), max].
 */
export function checkActors(sc: Scenario, out: RunLike): void {
  const so = sc.scaledObject;
  const hpaMin = Math.max(1, so.minReplicaCount);
  const idle = so.idleReplicaCount;
  for (const e of scalesOf(out.records)) {
    if ((e.from === 0 || e.to === 0) && e.actor !== "keda") throw new Violation("actors", `only KEDA may scale from or to 0: ${fmt(e)}`);
    if (e.actor === "keda") {
      const activation = (e.from === 0 || (idle !== null && e.from < so.minReplicaCount)) && e.to === hpaMin;
      const deactivation = e.to === (idle ?? 0) && (idle !== null || so.minReplicaCount === 0);
      const belowMin = idle === null && e.from < so.minReplicaCount && e.to === so.minReplicaCount;
      if (!activation && !deactivation && !belowMin) throw new Violation("actors", `KEDA made a 1<->N change (the HPA's job): ${fmt(e)}`);
    } else {
      if (e.from === 0) throw new Violation("actors", `the HPA acted while replicas were 0: ${fmt(e)}`);
      if (e.to < hpaMin || e.to > so.maxReplicaCount) throw new Violation("actors", `the HPA scaled outside [${hpaMin}, ${so.maxReplicaCount}]: ${fmt(e)}`);
    }
  }
  for (const h of syncsOf(out.records)) {
    if (h.specReplicas === 0 && h.desired !== 0) throw new Violation("actors", `an HPA sync at 0 replicas wanted ${h.desired}: ${fmt(h)}`);
  }
  // Activation: a successful, active poll at 0 replicas scales to max(min, 1) at that instant.
  let spec = sc.consumer.initialReplicas;
  const scales = scalesOf(out.records);
  let si = 0;
  for (const p of pollsOf(out.records)) {
    while (si < scales.length && (scales[si].t < p.t || (scales[si].t === p.t && scales[si].actor !== "keda"))) spec = scales[si++].to;
    if (p.active && !p.error && spec === 0) {
      const e = scales[si];
      if (!e || e.t !== p.t || e.actor !== "keda" || e.to !== hpaMin) throw new Violation("actors", `an active poll at 0 replicas did not scale to ${hpaMin}: ${fmt(p)}`);
    }
  }
}

/**
 * No pod processes more messages at once than it may: per pod, the processing runs of completed
 * messages ([startedAt, t), from the per-message log) never overlap more than
 * min(concurrency, prefetch) deep (prefetch 0 = unlimited). Needs perMessage.
 */
export function checkPodConcurrency(sc: Scenario, out: RunLike): void {
  const cap = Math.min(sc.consumer.concurrency, sc.queue.prefetch === 0 ? Infinity : sc.queue.prefetch);
  const byPod = new Map<string, Array<[number, number]>>();
  for (const d of doneOf(out.records)) {
    if (!(d.startedAt <= d.t) || !(d.arrivedAt <= d.startedAt)) throw new Violation("pod concurrency", `done record out of order: ${fmt(d)}`);
    let l = byPod.get(d.pod);
    if (!l) byPod.set(d.pod, (l = []));
    l.push([d.startedAt, +1], [d.t, -1]);
  }
  for (const [pod, evs] of byPod) {
    evs.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // ends before starts at the same instant: [start, end)
    let n = 0;
    for (let i = 0; i < evs.length; i++) {
      n += evs[i][1];
      const lastAtInstant = i + 1 === evs.length || evs[i + 1][0] !== evs[i][0];
      if (lastAtInstant && n > cap) throw new Violation("pod concurrency", `pod ${pod} processed ${n} messages at once at t=${evs[i][0]} (concurrency ${sc.consumer.concurrency}, prefetch ${sc.queue.prefetch})`);
    }
  }
}

/**
 * Duplicates only after redelivery: every completion is recorded once per message; a message
 * delivered more than once was redelivered first; duplicates (work finished for a message whose
 * lock was lost) never exceed redeliveries; the counters match the message events.
 */
export function checkRedelivery(sc: Scenario, out: RunLike, perMessage: boolean): void {
  const m = out.summary.messages;
  if (m.duplicates > m.redelivered) throw new Violation("duplicates", `duplicates ${m.duplicates} > redelivered ${m.redelivered}`);
  const ev = messagesOf(out.records);
  const redeliveredEvents = ev.filter((e) => e.event === "redelivered");
  if (redeliveredEvents.length !== m.redelivered) throw new Violation("duplicates", `${redeliveredEvents.length} redelivered events, summary says ${m.redelivered}`);
  const dl = ev.filter((e) => e.event === "dead-lettered");
  if (dl.length !== m.deadLettered) throw new Violation("duplicates", `${dl.length} dead-lettered events, summary says ${m.deadLettered}`);
  if (new Set(dl.map((e) => e.id)).size !== dl.length) throw new Violation("duplicates", "a message was dead-lettered twice");
  if (dl.length > 0 && !locksMessages(sc.queue.broker)) throw new Violation("dead letters", `${sc.queue.broker} dead-lettered a message (only Service Bus and SQS have maxDeliveryCount / maxReceiveCount; Azure Storage Queues and Redis Streams never dead-letter)`);
  for (const e of dl) {
    const deliveries = 1 + redeliveredEvents.filter((r) => r.id === e.id && r.t <= e.t).length;
    if (deliveries < sc.queue.maxDeliveryCount) throw new Violation("dead letters", `message ${e.id} dead-lettered after ${deliveries} deliveries < maxDeliveryCount ${sc.queue.maxDeliveryCount}`);
  }
  if (!perMessage) return;
  const done = doneOf(out.records);
  if (done.length !== m.completed) throw new Violation("duplicates", `${done.length} done records, summary says completed ${m.completed}`);
  const seen = new Set<number>();
  const dead = new Set(dl.map((e) => e.id));
  const redeliveredAt = new Map<number, number>();
  for (const e of redeliveredEvents) if (!redeliveredAt.has(e.id)) redeliveredAt.set(e.id, e.t);
  for (const d of done) {
    if (seen.has(d.id)) throw new Violation("duplicates", `message ${d.id} completed twice`);
    seen.add(d.id);
    if (dead.has(d.id)) throw new Violation("duplicates", `message ${d.id} both completed and dead-lettered`);
    if (d.deliveries < 1) throw new Violation("duplicates", `completed with ${d.deliveries} deliveries: ${fmt(d)}`);
    if (d.deliveries > 1) {
      const at = redeliveredAt.get(d.id);
      if (at === undefined || at > d.t) throw new Violation("duplicates", `message ${d.id} completed after ${d.deliveries} deliveries without a redelivered event before: ${fmt(d)}`);
    }
  }
}

/**
 * Exact operational Little's law for a run that starts and ends empty (every message completed):
 * the area under N(t) (messages in the system), integrated exactly from the arrival and departure
 * instants, equals the sum of the sojourn times the simulator reports (summary mean × n, rounded
 * to 1e-6 by the summary). The arrival/departure step functions are also checked against the
 * state counters at every sample. Needs perMessage. Returns false when not applicable.
 */
export function checkLittle(out: RunLike): boolean {
  const m = out.summary.messages;
  const samples = samplesOf(out.records);
  if (m.produced === 0 || m.completed !== m.produced || m.deadLettered !== 0 || samples.length === 0) return false;
  const done = doneOf(out.records);
  const arr = done.map((d) => d.arrivedAt).sort((a, b) => a - b);
  const dep = done.map((d) => d.t).sort((a, b) => a - b);
  // Integrate N(t) over the merged instants (each step exact in time; sum in float).
  let i = 0;
  let j = 0;
  let n = 0;
  let tPrev = arr[0];
  let area = 0;
  let si = 0;
  const checkSamplesUpTo = (t: number) => {
    // Samples see the state after every event at their instant: compare before moving past t.
    while (si < samples.length && samples[si].t < t) {
      const s = samples[si++];
      const a = countLe(arr, s.t);
      const d = countLe(dep, s.t);
      if (a !== s.produced || d !== s.completed) {
        throw new Violation("little", `at sample t=${s.t}: ${a} arrivals and ${d} departures by then in the per-message log, the sample says produced ${s.produced}, completed ${s.completed}`);
      }
    }
  };
  while (i < arr.length || j < dep.length) {
    const t = j >= dep.length || (i < arr.length && arr[i] <= dep[j]) ? arr[i] : dep[j];
    checkSamplesUpTo(t);
    area += n * (t - tPrev);
    tPrev = t;
    while (i < arr.length && arr[i] === t) {
      n++;
      i++;
    }
    while (j < dep.length && dep[j] === t) {
      n--;
      j++;
    }
    if (n < 0) throw new Violation("little", `more departures than arrivals by t=${t}`);
  }
  checkSamplesUpTo(Infinity);
  let sum = 0;
  for (const d of done) sum += d.t - d.arrivedAt;
  const scale = Math.max(1, Math.abs(area), Math.abs(sum));
  if (Math.abs(area - sum) > 1e-9 * scale) throw new Violation("little", `area under N(t) ${area} != sum of sojourn times ${sum}`);
  const mean = out.summary.latencyS.mean;
  if (mean === null || Math.abs(mean * m.completed - area) > 5e-7 * m.completed + 1e-9 * scale) {
    throw new Violation("little", `area under N(t) ${area} != n × reported mean sojourn ${m.completed} × ${mean} = ${mean === null ? null : mean * m.completed}`);
  }
  return true;
}

function countLe(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** metav1.Time truncation on integer nanoseconds (independent re-statement of KEDA's rule). */
function trunc(t: number, gran: number): number {
  return Math.floor(Math.round(t * 1e9) / Math.round(gran * 1e9)) * gran;
}


/**
 * Scale to zero (or idle) only after cooldownPeriod since the last active poll: at a KEDA scale
 * to 0/idle at time t, the poll at t is inactive, and every earlier poll that was active without
 * an error (so it refreshed LastActiveTime) satisfies trunc(poll time + ℓ) + cooldownPeriod < t + ℓ,
 * where ℓ is the scalers' query latency (KEDA reads its clock after they answered); with no active
 * poll before, trunc(createdAt) + initialCooldownPeriod < t + ℓ. Returns the number of
 * scale-to-zero/idle events checked.
 */
export function checkScaleToZero(sc: Scenario, out: RunLike): number {
  const so = sc.scaledObject;
  const gran = so.timeGranularitySeconds ?? 1;
  const rest = so.idleReplicaCount ?? 0;
  const lat = sc.keda.scalerQueryLatency;
  const polls = pollsOf(out.records);
  let checked = 0;
  let pi = 0;
  let lastActive: number | null = null; // truncated time of the latest refreshing poll
  for (const e of scalesOf(out.records)) {
    if (e.actor !== "keda" || e.to !== rest || e.from <= rest) continue;
    let here: KedaPollRecord | undefined;
    while (pi < polls.length && polls[pi].t <= e.t) {
      const p = polls[pi++];
      if (p.t === e.t) here = p;
      else if (p.active && !p.error) lastActive = trunc(p.t + lat, gran);
    }
    if (!here) throw new Violation("scale to zero", `KEDA scaled to ${rest} at t=${e.t} without a poll at that instant`);
    if (here.active) throw new Violation("scale to zero", `scaled to ${rest} at an active poll: ${fmt(here)}`);
    if (lastActive !== null) {
      if (!nsLess(lastActive + so.cooldownPeriod, e.t + lat)) {
        throw new Violation("scale to zero", `scaled to ${rest} at t=${e.t}, but a poll was active at ${lastActive} (truncated) and cooldownPeriod is ${so.cooldownPeriod}`);
      }
      if (here.lastActiveTime !== null && here.lastActiveTime < lastActive) throw new Violation("scale to zero", `the poll's lastActiveTime ${here.lastActiveTime} is older than the last active poll ${lastActive}`);
    } else if (!nsLess(trunc(sc.keda.createdAt, gran) + so.initialCooldownPeriod, e.t + lat)) {
      throw new Violation("scale to zero", `scaled to ${rest} at t=${e.t} before initialCooldownPeriod ${so.initialCooldownPeriod} after creation`);
    }
    checked++;
  }
  return checked;
}

// ---------------------------------------------------------------------------------------------
// time-scale invariance

const TIME_FIELDS = new Set(["t", "lastActiveTime", "arrivedAt", "startedAt"]);
const SAMPLE_COUNTS = ["metric", "queued", "inFlight", "produced", "completed", "deadLettered", "redelivered", "lost", "desired", "current", "ready", "terminating", "busy"] as const;
/** Free-text reasons quote times and thresholds: compare them with every number masked. */
const maskNumbers = (s: unknown) => (typeof s === "string" ? s.replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, "#") : s);

/**
 * Time-scale comparison: run b is run a with every duration × k. Every record of b must be the
 * record of a with its times (t, lastActiveTime, arrivedAt, startedAt) × k exactly and every other
 * field equal (reasons compared with numbers masked; samples: their counts). null when equal.
 */
export function compareScaled(a: TraceRecord[], b: TraceRecord[], k: number): string | null {
  if (a.length !== b.length) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i].type !== b[i].type || a[i].t * k !== b[i].t) return `record ${i}: ${JSON.stringify(a[i])} vs (×${k}) ${JSON.stringify(b[i])} (and ${a.length} vs ${b.length} records)`;
    return `${a.length} records vs ${b.length} records after scaling by ${k}; first extra: ${JSON.stringify((a.length > b.length ? a : b)[n])}`;
  }
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as unknown as Record<string, unknown>;
    const y = b[i] as unknown as Record<string, unknown>;
    if (x.type !== y.type) return `record ${i}: type ${x.type} vs ${y.type}`;
    const keys = x.type === "sample" ? ["t", ...SAMPLE_COUNTS] : [...new Set([...Object.keys(x), ...Object.keys(y)])];
    for (const key of keys) {
      const xv = x[key];
      const yv = y[key];
      let expected: unknown = xv;
      if (TIME_FIELDS.has(key) && typeof xv === "number") expected = xv * k;
      if (key === "reason") {
        if (maskNumbers(xv) === maskNumbers(yv)) continue;
      } else if (Object.is(expected, yv)) continue;
      return `record ${i} (${x.type}) field ${key}: ${JSON.stringify(xv)}${TIME_FIELDS.has(key) ? ` × ${k} = ${JSON.stringify(expected)}` : ""}, scaled run has ${JSON.stringify(yv)}\n  original: ${JSON.stringify(x)}\n  scaled:   ${JSON.stringify(y)}`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// work conservation (domains: livenessScenarioArb, where no work is abandoned; reworkScenarioArb,
// RabbitMQ with kills, crashes and short grace periods)

/**
 * The broker pushes at once: after every instant, either no message is waiting in the broker or
 * every Ready pod has all of its min(concurrency, prefetch) slots busy. Valid when every delivery
 * is processed at once (no buffering) and every message completes by the end of the run, so a
 * message waits over [arrivedAt, startedAt) of each run and occupies its pod's slot over the run.
 * A run that completed is in its `done` record; one that was abandoned is in its `abandoned`
 * record (startedAt, t), after which RabbitMQ requeues the message. Needs perMessage.
 */
export function checkWorkConserving(sc: Scenario, out: RunLike): void {
  const cap = Math.min(sc.consumer.concurrency, sc.queue.prefetch === 0 ? Infinity : sc.queue.prefetch);
  // kinds: 0 pod phase change, 1 message arrives, 2 message starts on pod, 3 message ends on pod
  type Ev = { t: number; kind: number; pod?: string; ready?: boolean };
  const evs: Ev[] = [];
  for (const r of out.records) {
    if (r.type === "pod") evs.push({ t: r.t, kind: 0, pod: r.pod, ready: r.phase === "Ready" });
    else if (r.type === "done") {
      evs.push({ t: r.arrivedAt, kind: 1 }, { t: r.startedAt, kind: 2, pod: r.pod }, { t: r.t, kind: 3, pod: r.pod });
    } else if (r.type === "message" && r.event === "abandoned") {
      // A run that a kill, crash or SIGKILL ended: it held a slot from startedAt to t, and RabbitMQ
      // requeued its message at t. (A Service Bus message is visible again only at its lock's
      // expiry, and a prefetched one had no run: neither is in this check's domain.)
      if (r.startedAt === undefined || sc.queue.broker !== "rabbitmq") {
        throw new Error(`checkWorkConserving: abandoned delivery at t=${r.t} outside the domain (RabbitMQ, prefetch ≤ concurrency)`);
      }
      evs.push({ t: r.startedAt, kind: 2, pod: r.pod }, { t: r.t, kind: 3, pod: r.pod }, { t: r.t, kind: 1 });
    }
  }
  evs.sort((a, b) => a.t - b.t);
  const ready = new Set<string>();
  const used = new Map<string, number>();
  let waiting = 0;
  for (let i = 0; i < evs.length; i++) {
    const e = evs[i];
    if (e.kind === 0) {
      if (e.ready) ready.add(e.pod!);
      else ready.delete(e.pod!);
    } else if (e.kind === 1) waiting++;
    else if (e.kind === 2) {
      waiting--;
      used.set(e.pod!, (used.get(e.pod!) ?? 0) + 1);
    } else used.set(e.pod!, (used.get(e.pod!) ?? 0) - 1);
    if (i + 1 < evs.length && evs[i + 1].t === e.t) continue; // check the state after the instant
    if (waiting > 0) {
      for (const p of ready) {
        const u = used.get(p) ?? 0;
        if (u < cap) throw new Violation("work conservation", `at t=${e.t}: ${waiting} message(s) waiting in the broker while Ready pod ${p} uses ${u} of its ${cap} slot(s)`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// bounded runs (bad input, absurd values)

export class RunawayRun extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunawayRun";
  }
}

export interface GuardedRunResult {
  events: number;
  records: number;
  /** null: the run finished; else the limit it stopped on (SimulationLimitError.limit). */
  limit: string | null;
}

/**
 * Run a scenario without keeping its records, but never longer than `maxSteps` engine events or
 * `maxRecords` trace records: past either, the run is declared a runaway (RunawayRun) — none of
 * the scenario's limits stopped it in time. SimulationLimitError is an accepted outcome (it names
 * the limit); any other exception propagates (a bug). The guard wraps Environment.step on this
 * one instance (no change to the engine).
 */
export function guardedRun(
  sim: { env: { step(): boolean; now: number }; bus: { on(ev: "record", f: () => void): unknown }; run(): { events: number } },
  guard: { maxSteps: number; maxRecords: number },
  isLimitError: (e: unknown) => e is { limit: string },
): GuardedRunResult {
  const env = sim.env;
  const step = env.step.bind(env);
  let steps = 0;
  let records = 0;
  env.step = () => {
    if (++steps > guard.maxSteps) throw new RunawayRun(`still running after ${guard.maxSteps} events (simulated time ${env.now} s): no limit stopped it`);
    return step();
  };
  sim.bus.on("record", () => {
    if (++records > guard.maxRecords) throw new RunawayRun(`more than ${guard.maxRecords} trace records by simulated time ${env.now} s: no limit stopped it`);
  });
  try {
    const res = sim.run();
    return { events: res.events, records, limit: null };
  } catch (e) {
    if (isLimitError(e)) return { events: steps, records, limit: e.limit };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// the summary agrees with the trace

/**
 * summary.json is derivable from the trace: scale events = scale records; peak replicas = the
 * largest spec.replicas ever set (the ReplicaSet creates pods at once); replica-seconds and
 * ready-replica-seconds = the integrals of (live pods) and (Ready pods) over the pod records;
 * first Ready pod; drain time; message counters. Needs the full trace (perMessage for the drain time).
 */
export function checkSummary(sc: Scenario, out: RunLike, perMessage: boolean): void {
  const s = out.summary;
  const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
  const scales = scalesOf(out.records);
  const expectedEvents = scales.map((e) => ({ t: r6(e.t), from: e.from, to: e.to, actor: e.actor, reason: e.reason }));
  if (JSON.stringify(s.scaleEvents) !== JSON.stringify(expectedEvents)) throw new Violation("summary", `scaleEvents differ from the scale records`);
  const peak = Math.max(sc.consumer.initialReplicas, ...scales.map((e) => e.to));
  if (s.replicas.peak !== peak) throw new Violation("summary", `peak replicas ${s.replicas.peak}, but the largest spec.replicas set was ${peak}`);
  // Integrate live and Ready pods from the pod records up to the end of the run.
  const end = s.simulatedSeconds;
  const phase = new Map<string, string>();
  let live = 0;
  let ready = 0;
  let last = 0;
  let rs = 0;
  let rrs = 0;
  let firstReady: number | null = null;
  for (const r of out.records) {
    if (r.type !== "pod") continue;
    rs += live * (r.t - last);
    rrs += ready * (r.t - last);
    last = r.t;
    const was = phase.get(r.pod);
    if (was === undefined || was === "Gone") live++;
    if (r.phase === "Gone") live--;
    if (was === "Ready") ready--;
    if (r.phase === "Ready") {
      ready++;
      if (firstReady === null) firstReady = r.t;
    }
    phase.set(r.pod, r.phase);
  }
  rs += live * (end - last);
  rrs += ready * (end - last);
  const close = (a: number, b: number) => Math.abs(a - b) <= 2e-6 + 1e-9 * Math.abs(b);
  if (!close(s.replicas.readyReplicaSeconds, rrs)) throw new Violation("summary", `readyReplicaSeconds ${s.replicas.readyReplicaSeconds}, the pod records integrate to ${rrs}`);
  if (s.firstReplicaReadyS !== (firstReady === null ? null : r6(firstReady))) throw new Violation("summary", `firstReplicaReadyS ${s.firstReplicaReadyS}, first Ready pod record at ${firstReady}`);
  if (s.latencyS.n !== s.messages.completed) throw new Violation("summary", `latency n ${s.latencyS.n} != completed ${s.messages.completed}`);
  if (perMessage) {
    const done = doneOf(out.records);
    const departures = [...done.map((d) => d.t), ...messagesOf(out.records).filter((m) => m.event === "dead-lettered").map((m) => m.t)];
    if (departures.length > 0 && done.length > 0) {
      // The first arrival is not in the trace unless that message completed: check only when message 0 did.
      const first = done.find((d) => d.id === 0);
      if (first) {
        const drain = r6(Math.max(...departures) - first.arrivedAt);
        if (s.drainTimeS !== drain) throw new Violation("summary", `drainTimeS ${s.drainTimeS}, last departure − first arrival = ${drain}`);
      }
    }
  }
  if (!close(s.replicas.replicaSeconds, rs)) throw new Violation("summary", `replicaSeconds ${s.replicas.replicaSeconds}, the pod records integrate to ${rs}`);
}
