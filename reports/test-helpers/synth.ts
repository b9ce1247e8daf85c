// Throwaway trace generator for the report tests and for eyeballing charts before the simulator exists.
// It is NOT the product's model: a crude 0.5 s time-stepped imitation of KEDA + the legacy HPA path,
// just realistic enough to produce the 0 → 1 → 4 → 8 → 10 staircase, the ~5 min hold and the N → 0 drop.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  TRACE_VERSION,
  latencyBucket,
  serializeRecord,
  type LatencyStats,
  type SampleRecord,
  type Source,
  type Summary,
  type TraceHeader,
  type TraceRecord,
} from "../../sim/trace.js";
import type { Trace } from "../derive.js";

export interface SynthOptions {
  scenario?: string;
  source?: Source;
  seed?: number;
  /** Arrival times (s). Default: 50 messages at t = 0. */
  arrivals?: number[];
  serviceS?: number;
  /** Relative jitter of the service time (0 = deterministic). */
  serviceJitter?: number;
  startupS?: number;
  /** Time of the first KEDA poll (φk), multiple of 0.5. */
  firstPollS?: number;
  /** Delay from a KEDA poll to the next HPA sync (d), multiple of 0.5. */
  hpaDelayS?: number;
  pollingInterval?: number;
  cooldownPeriod?: number;
  hpaSyncPeriod?: number;
  stabilizationS?: number;
  target?: number;
  minReplicaCount?: number;
  maxReplicaCount?: number;
  durationS?: number;
  /** Scale-in kills busy pods (message abandoned and redelivered) instead of letting them finish. */
  killBusyOnScaleIn?: boolean;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson arrival times at `rate` msgs/s between `from` and `to`. */
export function poissonArrivals(rate: number, from: number, to: number, seed = 1): number[] {
  const rnd = mulberry32(seed);
  const out: number[] = [];
  let t = from;
  for (;;) {
    t += -Math.log(1 - rnd()) / rate;
    if (t >= to) return out;
    out.push(t);
  }
}

interface Msg {
  id: number;
  arrivedAt: number;
  startedAt?: number;
  doneAt?: number;
  deliveries: number;
}
interface Pod {
  name: string;
  createdAt: number;
  readyAt: number;
  ready: boolean;
  terminating: boolean;
  goneAt: number;
  msg?: Msg;
  busyUntil: number;
}

function stats(values: number[]): LatencyStats {
  if (values.length === 0) return { n: 0, mean: null, p50: null, p90: null, p95: null, p99: null, max: null, exact: true };
  const v = [...values].sort((a, b) => a - b);
  const pct = (p: number) => v[Math.max(1, Math.ceil((p / 100) * v.length)) - 1];
  return {
    n: v.length,
    mean: v.reduce((a, b) => a + b, 0) / v.length,
    p50: pct(50),
    p90: pct(90),
    p95: pct(95),
    p99: pct(99),
    max: v[v.length - 1],
    exact: true,
  };
}

export function synthRun(opts: SynthOptions = {}): { trace: Trace; summary: Summary } {
  const o = {
    scenario: "seed-burst-50",
    source: "sim" as Source,
    seed: 1,
    arrivals: Array.from({ length: 50 }, () => 0),
    serviceS: 5,
    serviceJitter: 0,
    startupS: 10,
    firstPollS: 30,
    hpaDelayS: 14.5,
    pollingInterval: 30,
    cooldownPeriod: 300,
    hpaSyncPeriod: 15,
    stabilizationS: 300,
    target: 5,
    minReplicaCount: 0,
    maxReplicaCount: 10,
    durationS: 480,
    killBusyOnScaleIn: false,
    ...opts,
  };
  const rnd = mulberry32(o.seed);
  const header: TraceHeader = {
    type: "header",
    version: TRACE_VERSION,
    scenario: o.scenario,
    source: o.source,
    seed: o.seed,
    scaling: {
      minReplicaCount: o.minReplicaCount,
      maxReplicaCount: o.maxReplicaCount,
      idleReplicaCount: null,
      target: o.target,
      targetType: "AverageValue",
      triggerType: "azure-servicebus",
      metricDescription: "active messages incl. in-flight",
      pollingInterval: o.pollingInterval,
      cooldownPeriod: o.cooldownPeriod,
      hpaSyncPeriod: o.hpaSyncPeriod,
      behavior: "legacy",
    },
    notes: { generator: "reports/test-helpers/synth.ts", startupS: o.startupS },
  };
  const records: TraceRecord[] = [];
  const msgs: Msg[] = [...o.arrivals].sort((a, b) => a - b).map((t, i) => ({ id: i + 1, arrivedAt: t, deliveries: 0 }));
  const queue: Msg[] = [];
  let nextArrival = 0;
  const pods: Pod[] = [];
  let podSeq = 0;
  let desired = 0;
  let lastActive: number | null = null;
  const recs: Array<{ t: number; raw: number }> = [];
  let produced = 0;
  let completed = 0;
  let redelivered = 0;
  let latSince = new Map<number, number>();
  const scaleEvents: Summary["scaleEvents"] = [];
  const dt = 0.5;
  const eq = (a: number, b: number) => Math.abs(a - b) < 1e-6;

  const setDesired = (t: number, to: number, actor: "keda" | "hpa", reason: string) => {
    if (to === desired) return;
    records.push({ type: "scale", t, actor, from: desired, to, reason });
    scaleEvents.push({ t, actor, from: desired, to, reason });
    desired = to;
  };
  const live = () => pods.filter((p) => !p.terminating);
  const inFlight = () => pods.filter((p) => p.msg).length;

  for (let step = 0; step * dt <= o.durationS + 1e-9; step++) {
    const t = step * dt;
    while (nextArrival < msgs.length && msgs[nextArrival].arrivedAt <= t + 1e-9) {
      queue.push(msgs[nextArrival++]);
      produced++;
    }
    for (const p of pods) {
      if (p.msg && p.busyUntil <= t + 1e-9) {
        const m = p.msg;
        m.doneAt = p.busyUntil;
        completed++;
        const b = latencyBucket(m.doneAt - m.arrivedAt);
        latSince.set(b, (latSince.get(b) ?? 0) + 1);
        records.push({ type: "done", t: m.doneAt, id: m.id, arrivedAt: m.arrivedAt, startedAt: m.startedAt!, pod: p.name, deliveries: m.deliveries });
        p.msg = undefined;
        if (p.terminating) p.goneAt = Math.min(p.goneAt, t);
      }
      if (!p.ready && !p.terminating && p.readyAt <= t + 1e-9) {
        p.ready = true;
        records.push({ type: "pod", t, pod: p.name, phase: "Ready" });
      }
    }
    for (let i = pods.length - 1; i >= 0; i--) {
      const p = pods[i];
      if (p.terminating && !p.msg && p.goneAt <= t + 1e-9) {
        records.push({ type: "pod", t, pod: p.name, phase: "Gone" });
        pods.splice(i, 1);
      }
    }
    const metric = queue.length + inFlight();
    // KEDA poll
    if (t >= o.firstPollS - 1e-9 && eq(((t - o.firstPollS) % o.pollingInterval + o.pollingInterval) % o.pollingInterval, 0)) {
      const active = metric > 0;
      if (active) lastActive = t;
      let condition = active ? "Active" : "Inactive";
      if (desired === 0 && active) {
        setDesired(t, Math.max(1, o.minReplicaCount), "keda", `scaleFromZero: metric ${metric} > activation 0`);
      } else if (desired > o.minReplicaCount && !active && lastActive !== null && t - lastActive >= o.cooldownPeriod - 1e-9) {
        condition = "Inactive, cooldown expired";
        setDesired(t, o.minReplicaCount, "keda", `cooldownPeriod ${o.cooldownPeriod}s expired since lastActiveTime ${lastActive}`);
      }
      records.push({ type: "keda-poll", t, metric, active, error: false, lastActiveTime: lastActive, condition });
    }
    // HPA sync
    const hpaPhase = o.firstPollS + o.hpaDelayS;
    if (t >= hpaPhase - 1e-9 && eq(((t - hpaPhase) % o.hpaSyncPeriod + o.hpaSyncPeriod) % o.hpaSyncPeriod, 0)) {
      const status = live().length;
      if (desired === 0) {
        records.push({ type: "hpa-sync", t, metric, specReplicas: 0, statusReplicas: status, raw: null, desired: 0, condition: "ScalingDisabled" });
      } else {
        const ratio = status > 0 ? metric / (o.target * status) : Infinity;
        const raw = status > 0 && Math.abs(ratio - 1) <= 0.1 ? status : Math.ceil(metric / o.target);
        recs.push({ t, raw });
        while (recs.length && recs[0].t < t - o.stabilizationS - 1e-9) recs.shift();
        const stabilized = Math.max(...recs.map((r) => r.raw));
        const limit = Math.max(2 * status, 4);
        const next = Math.min(Math.max(stabilized, Math.max(1, o.minReplicaCount)), Math.min(o.maxReplicaCount, limit));
        const cond = next < stabilized ? "ScaleUpLimit" : stabilized > raw ? "ScaleDownStabilized" : "ValidMetricFound";
        records.push({ type: "hpa-sync", t, metric, specReplicas: desired, statusReplicas: status, raw, desired: next, condition: cond });
        setDesired(t, next, "hpa", `raw ${raw}, window max ${stabilized}, limit ${limit}` + (next < stabilized ? " (ScaleUpLimit)" : ""));
      }
    }
    // Deployment controller
    while (live().length < desired) {
      const p: Pod = { name: `consumer-${++podSeq}`, createdAt: t, readyAt: t + o.startupS, ready: false, terminating: false, goneAt: Infinity, busyUntil: 0 };
      pods.push(p);
      records.push({ type: "pod", t, pod: p.name, phase: "Pending" });
    }
    while (live().length > desired) {
      const cand = live();
      const victim =
        cand.filter((p) => !p.ready).pop() ?? cand.filter((p) => !p.msg).pop() ?? cand[cand.length - 1];
      victim.terminating = true;
      victim.ready = false;
      victim.goneAt = t + 2;
      if (victim.msg && o.killBusyOnScaleIn) {
        const m = victim.msg;
        victim.msg = undefined;
        queue.unshift(m);
        redelivered++;
        records.push({ type: "message", t, event: "abandoned", id: m.id, pod: victim.name, reason: "pod terminated mid-message" });
        records.push({ type: "message", t, event: "redelivered", id: m.id, reason: "lock lost" });
      }
      records.push({ type: "pod", t, pod: victim.name, phase: "Terminating", reason: "scale-in" });
    }
    // consumers pull
    for (const p of pods) {
      if (p.ready && !p.terminating && !p.msg && queue.length > 0) {
        const m = queue.shift()!;
        m.startedAt = t;
        m.deliveries++;
        p.msg = m;
        p.busyUntil = t + o.serviceS * (1 + o.serviceJitter * (2 * rnd() - 1));
      }
    }
    if (eq(t, Math.round(t))) {
      const s: SampleRecord = {
        type: "sample",
        t,
        metric: queue.length + inFlight(),
        queued: queue.length,
        inFlight: inFlight(),
        produced,
        completed,
        deadLettered: 0,
        redelivered,
        lost: 0,
        desired,
        current: live().length,
        ready: pods.filter((p) => p.ready && !p.terminating).length,
        terminating: pods.filter((p) => p.terminating).length,
        busy: pods.filter((p) => p.msg).length,
      };
      if (latSince.size > 0) s.lat = [...latSince.entries()].sort((a, b) => a[0] - b[0]);
      latSince = new Map();
      records.push(s);
    }
  }
  records.sort((a, b) => a.t - b.t);

  const done = msgs.filter((m) => m.doneAt !== undefined);
  const samples = records.filter((r): r is SampleRecord => r.type === "sample");
  let replicaSeconds = 0;
  let readyReplicaSeconds = 0;
  for (let i = 0; i + 1 < samples.length; i++) {
    replicaSeconds += samples[i].current * (samples[i + 1].t - samples[i].t);
    readyReplicaSeconds += samples[i].ready * (samples[i + 1].t - samples[i].t);
  }
  const firstReady = samples.find((s) => s.ready > 0)?.t ?? null;
  const sojourn = stats(done.map((m) => m.doneAt! - m.arrivedAt));
  const summary: Summary = {
    scenario: o.scenario,
    seed: o.seed,
    source: o.source,
    simulatedSeconds: o.durationS,
    messages: { produced, completed, deadLettered: 0, redelivered, lost: 0, duplicates: 0 },
    drainTimeS: done.length ? Math.max(...done.map((m) => m.doneAt!)) - Math.min(...msgs.map((m) => m.arrivedAt)) : null,
    latencyS: {
      ...sojourn,
      wait: stats(done.map((m) => m.startedAt! - m.arrivedAt)),
      service: stats(done.map((m) => m.doneAt! - m.startedAt!)),
    },
    replicas: { peak: Math.max(0, ...samples.map((s) => s.current)), replicaSeconds, readyReplicaSeconds },
    firstReplicaReadyS: firstReady,
    scaleEvents,
  };
  return { trace: { header, records }, summary };
}

/** Writes `<dir>/trace.jsonl` and `<dir>/summary.json` like a run's output directory. */
export function writeRunDir(dir: string, run: { trace: Trace; summary: Summary }): string {
  mkdirSync(dir, { recursive: true });
  const lines = [serializeRecord(run.trace.header), ...run.trace.records.map(serializeRecord)];
  writeFileSync(join(dir, "trace.jsonl"), lines.join("\n") + "\n");
  writeFileSync(join(dir, "summary.json"), JSON.stringify(run.summary, null, 2) + "\n");
  return dir;
}
