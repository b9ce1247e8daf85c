// Trace output of a topology real run, in the simulator's format (sim/trace.ts): header with `stages`,
// then pod, message-event, done and sample records carrying `stage`, times in scenario seconds
// (wall seconds since t0 ÷ k). Samples are rebuilt after the run from the collector's events at the
// scenario's sampleInterval; replicas are fixed per stage in these runs (no ScaledObject acts), so
// desired = current = the pods alive at that instant.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Distribution } from "../../sim/rng.js";
import type { TopologyScenario } from "../../sim/topology/load.js";
import { latencyBucket, TRACE_VERSION, type TraceHeader, type TraceRecord, type TraceStage } from "../../sim/trace.js";
import { daprdNotes, probeDaprd } from "../daprd-flags.js";
import type { Collector, StageRunner } from "./stages.js";

export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** TOPO_PROC / TOPO_SEED for the worker: the stage's processing time × k in wall milliseconds. */
export function procEnv(d: Distribution, k: number, seed: number): Record<string, string> {
  const ms = (s: number) => s * 1000 * k;
  let proc: unknown;
  switch (d.dist) {
    case "constant":
      proc = { fixed: ms(d.value) };
      break;
    case "uniform":
      proc = { uniform: [ms(d.min), ms(d.max)] };
      break;
    case "exponential":
      proc = { exp: ms(d.mean) };
      break;
    default:
      throw new Error(`real topology runs support constant, uniform and exponential processing times, not ${d.dist}`);
  }
  return { TOPO_PROC: JSON.stringify(proc), TOPO_SEED: String(seed) };
}

interface PodSpan {
  stage: string;
  pod: string;
  pending: number;
  ready: number | null;
  gone: number | null;
  reason?: string;
}

export interface RunRecorder {
  scenario: TopologyScenario;
  k: number;
  broker: string;
  t0: number; // epoch ms
  producedAt: Map<string, Map<number, number>>; // stage → id → epoch ms it entered the stage
  pods: PodSpan[];
  events: Array<{ t: number; stage: string; event: "lost" | "redelivered" | "duplicate"; id: number; pod?: string }>;
  notes: Record<string, unknown>;
  start(): void;
  produced(stage: string, id: number, at?: number): void;
  podsStarted(runner: StageRunner, stage: string): void;
  podGone(stage: string, pod: string, reason: string): void;
  scen(epochMs: number): number;
  drainScenarioS(c: Collector): number;
}

/** `daprd`: the binary the run's sidecars use; the header's notes.daprd names its version and shutdown behaviour. */
export function newRecorder(scenario: TopologyScenario, k: number, broker: string, daprd: string): RunRecorder {
  const r: RunRecorder = {
    scenario,
    k,
    broker,
    t0: epochNow(),
    producedAt: new Map(),
    pods: [],
    events: [],
    notes: { daprd: daprdNotes(probeDaprd(daprd)) },
    start() {
      r.t0 = epochNow();
    },
    produced(stage, id, at = epochNow()) {
      let m = r.producedAt.get(stage);
      if (!m) r.producedAt.set(stage, (m = new Map()));
      if (!m.has(id)) m.set(id, at);
    },
    podsStarted(runner, stage) {
      for (const p of runner.list(stage)) {
        if (r.pods.some((x) => x.pod === p.name)) continue;
        const ready = performance.timeOrigin + (p.pair.readyAt ?? performance.now());
        r.pods.push({ stage, pod: p.name, pending: performance.timeOrigin + p.pair.spawnedAt, ready, gone: null });
      }
    },
    podGone(stage, pod, reason) {
      const p = r.pods.find((x) => x.pod === pod && x.stage === stage);
      if (p) {
        p.gone = epochNow();
        p.reason = reason;
      }
    },
    scen(epochMs) {
      return Math.max(0, (epochMs - r.t0) / 1000 / r.k);
    },
    drainScenarioS(c) {
      let last = 0;
      for (const e of c.events) if (e.event === "finished") last = Math.max(last, e.t);
      return last ? Math.round(r.scen(last) * 1000) / 1000 : 0;
    },
  };
  return r;
}

function scalingOf(s: TopologyScenario): TraceHeader["scaling"] {
  const st = s.stages.find((x) => x.scaling);
  const so = st?.scaling?.scaledObject as unknown as Record<string, unknown> | undefined;
  const trig = (so?.triggers as Array<Record<string, unknown>> | undefined)?.[0];
  return {
    minReplicaCount: Number(so?.minReplicaCount ?? 0),
    maxReplicaCount: Number(so?.maxReplicaCount ?? 0),
    idleReplicaCount: (so?.idleReplicaCount as number | null | undefined) ?? null,
    target: Number(trig?.target ?? 0),
    targetType: (trig?.targetType as "AverageValue" | "Value" | undefined) ?? "AverageValue",
    triggerType: String(trig?.type ?? "none"),
    metricDescription: String(trig?.description ?? "fixed replicas"),
    pollingInterval: Number(so?.pollingInterval ?? 30),
    cooldownPeriod: Number(so?.cooldownPeriod ?? 300),
    hpaSyncPeriod: Number((st?.scaling?.hpa as unknown as Record<string, unknown> | undefined)?.syncPeriod ?? 15),
    behavior: so?.behavior ? "behavior" : "legacy",
    ...(typeof so?.kedaVersion === "string" ? { kedaVersion: so.kedaVersion } : {}),
    ...(typeof so?.kubernetesVersion === "string" ? { kubernetesVersion: so.kubernetesVersion } : {}),
  };
}

function stagesOf(s: TopologyScenario): TraceStage[] {
  return s.stages.map((st) => {
    const c = st.consumes;
    const ch = c ? s.channels.find((x) => x.name === c.channel) : undefined;
    const consumes = !c ? null : c.kind === "log" ? `log ${c.channel} (${ch?.kind === "log" ? ch.partitions : "?"} partitions), group ${c.group}` : `queue ${c.inbox}`;
    return {
      name: st.name,
      deployment: st.deployment,
      consumes,
      publishes: st.publishes,
      // real topology runs keep each stage's replicas fixed: no ScaledObject acts
      scaling: null,
      ...(ch?.kind === "log" ? { partitions: ch.partitions } : {}),
    };
  });
}

/** Writes trace.jsonl and result.json into outDir. */
export function writeTopologyTrace(outDir: string, r: RunRecorder, c: Collector, result: Record<string, unknown>, stageOverride?: Record<string, Partial<TraceStage>>): void {
  const s = r.scenario;
  const header: TraceHeader = {
    type: "header",
    version: TRACE_VERSION,
    scenario: s.name,
    source: "real-local",
    seed: s.seed,
    scaling: scalingOf(s),
    notes: { timeScale: r.k, broker: r.broker, replicasFixed: true, ...r.notes },
    stages: stagesOf(s).map((x) => ({ ...x, ...(stageOverride?.[x.name] ?? {}) })),
  };
  const recs: TraceRecord[] = [];
  for (const p of r.pods) {
    recs.push({ type: "pod", t: r.scen(p.pending), stage: p.stage, pod: p.pod, phase: "Pending" });
    if (p.ready !== null) recs.push({ type: "pod", t: r.scen(p.ready), stage: p.stage, pod: p.pod, phase: "Ready" });
    if (p.gone !== null) recs.push({ type: "pod", t: r.scen(p.gone), stage: p.stage, pod: p.pod, phase: "Gone", ...(p.reason ? { reason: p.reason } : {}) });
  }
  for (const e of r.events) recs.push({ type: "message", t: r.scen(e.t), stage: e.stage, event: e.event, id: e.id, ...(e.pod ? { pod: e.pod } : {}) });
  // done records: arrival = when the id entered the stage; start = its last delivery before the finish
  const lastRecv = new Map<string, { t: number; n: number }>();
  for (const e of c.events) {
    const key = `${e.stage}/${e.id}`;
    if (e.event === "received") {
      const x = lastRecv.get(key);
      lastRecv.set(key, { t: e.t, n: (x?.n ?? 0) + 1 });
    } else if (e.event === "finished") {
      const arrived = r.producedAt.get(e.stage)?.get(e.id) ?? lastRecv.get(key)?.t ?? e.t;
      recs.push({ type: "done", t: r.scen(e.t), stage: e.stage, id: e.id, arrivedAt: r.scen(arrived), startedAt: r.scen(lastRecv.get(key)?.t ?? e.t), pod: e.pod, deliveries: lastRecv.get(key)?.n ?? 1 });
    }
  }
  // samples per stage on the scenario's grid
  const dt = s.sampleInterval || 1;
  let end = 0;
  for (const x of recs) end = Math.max(end, x.t);
  for (const stage of s.stages.map((x) => x.name)) {
    const produced = [...(r.producedAt.get(stage)?.values() ?? [])].map((t) => r.scen(t)).sort((a, b) => a - b);
    const evs = c.events.filter((e) => e.stage === stage && (e.event === "received" || e.event === "finished")).map((e) => ({ ...e, s: r.scen(e.t) }));
    const pods = r.pods.filter((p) => p.stage === stage);
    let pi = 0;
    let ei = 0;
    let completed = 0;
    let redelivered = 0;
    const seen = new Set<number>();
    const inflight = new Map<string, Set<number>>();
    let lat: Map<number, number> = new Map();
    const finishedIds = new Set<number>();
    for (let t = 0; t <= end + dt; t += dt) {
      while (pi < produced.length && produced[pi]! <= t) pi++;
      while (ei < evs.length && evs[ei]!.s <= t) {
        const e = evs[ei++]!;
        const set = inflight.get(e.pod) ?? new Set<number>();
        inflight.set(e.pod, set);
        if (e.event === "received") {
          if (seen.has(e.id)) redelivered++;
          seen.add(e.id);
          set.add(e.id);
        } else {
          set.delete(e.id);
          completed++;
          finishedIds.add(e.id);
          const arr = r.producedAt.get(stage)?.get(e.id);
          if (arr !== undefined) {
            const b = latencyBucket(r.scen(e.t) - r.scen(arr));
            lat.set(b, (lat.get(b) ?? 0) + 1);
          }
        }
      }
      for (const p of pods) if (p.gone !== null && r.scen(p.gone) <= t) inflight.delete(p.pod);
      let inFlight = 0;
      let busy = 0;
      for (const set of inflight.values()) {
        inFlight += set.size;
        if (set.size) busy++;
      }
      const alive = pods.filter((p) => r.scen(p.pending) <= t && (p.gone === null || r.scen(p.gone) > t));
      const ready = alive.filter((p) => p.ready !== null && r.scen(p.ready) <= t).length;
      const enteredSoFar = produced.length ? pi : seen.size;
      const queued = Math.max(0, enteredSoFar - finishedIds.size - inFlight);
      recs.push({
        type: "sample",
        t: Math.round(t * 1e6) / 1e6,
        stage,
        metric: queued + inFlight,
        queued,
        inFlight,
        produced: enteredSoFar,
        completed,
        deadLettered: 0,
        redelivered,
        lost: r.events.filter((e) => e.stage === stage && e.event === "lost" && r.scen(e.t) <= t).length,
        desired: alive.length,
        current: alive.length,
        ready,
        terminating: 0,
        busy,
        ...(lat.size ? { lat: [...lat.entries()] } : {}),
      });
      lat = new Map();
    }
  }
  recs.sort((a, b) => a.t - b.t);
  writeFileSync(join(outDir, "trace.jsonl"), [header, ...recs].map((x) => JSON.stringify(x)).join("\n") + "\n");
  writeFileSync(join(outDir, "result.json"), JSON.stringify(result, null, 2) + "\n");
}
