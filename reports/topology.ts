// Charts and report.md of a topology run (sim/topology): every stage's backlog and replicas, throughput per
// stage, end-to-end latency, the standard single-queue charts of every autoscaled stage, and comparison
// tables against the scenarios listed in `compareWith`. Pure functions of traces and summaries (what a run's
// trace.jsonl and summary.json hold), plus writing.
//
// Same readability rules as reports/charts.ts (white background, title + subtitle, axis titles with units,
// legend, the same fonts and plot geometry); its exported helpers are reused.

import { mkdir } from "node:fs/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { LATENCY_WINDOW_S, RATE_WINDOW_S, alpha, axisEnd, line, renderCharts, renderTo, shorten, type ChartSpec, type LineDataset } from "./charts.js";
import { fmtS, fmtT, maxOf, seriesOf, slidingLatency, slidingRate, traceEnd, type Trace } from "./derive.js";
import { liveRunLine, versionsSentence } from "./report.js";
import type { LatencyStats, SampleRecord, ScaleRecord, StageSummary, Summary, TraceHeader, TraceStage } from "../sim/trace.js";

/** A topology run as its outputs give it: the trace's header and summary.json. */
export interface TopologyRun {
  header: TraceHeader;
  summary: Summary;
}

// What a topology trace header's notes and a topology summary's notes hold (sim/topology/model.ts).
interface ChannelNote {
  name: string;
  kind: "queue" | "topic" | "log";
  partitions?: number;
  broker?: string;
  delivery?: string;
  subscriptions?: Array<{ name: string; broker: string; delivery: string }>;
}
interface SourceNote {
  name: string;
  to: string;
  objects?: number;
  chunks: number;
  chunkSize: number;
  pacing: string;
  resend: { policy: string; afterSeconds?: number };
}
interface SourceCounts {
  source: string;
  chunks: number;
  sent: number;
  resent: number;
}
interface GroupCounts {
  stage: string;
  partitions: number;
}

const channelsOf = (h: TraceHeader): ChannelNote[] => (h.notes?.channels as ChannelNote[] | undefined) ?? [];
const sourcesOf = (h: TraceHeader): SourceNote[] => (h.notes?.sources as SourceNote[] | undefined) ?? [];
const sourceCountsOf = (s: Summary): SourceCounts[] => (s.notes?.sources as SourceCounts[] | undefined) ?? [];
const groupsOf = (s: Summary): GroupCounts[] => (s.notes?.groups as GroupCounts[] | undefined) ?? [];
const confirmingStage = (h: TraceHeader, source: string): TraceStage | undefined => h.stages?.find((x) => x.confirms === source);

export const END_TO_END = "end-to-end";

const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8E44AD", "#222222"];
const GREY = "#666666";


// ---------------------------------------------------------------- selection

/** Stage samples of a topology trace, by stage name (the end-to-end aggregate under END_TO_END). */
export function stageSamples(trace: Trace): Map<string, SampleRecord[]> {
  const out = new Map<string, SampleRecord[]>();
  for (const r of trace.records) {
    if (r.type !== "sample" || r.stage === undefined) continue;
    let a = out.get(r.stage);
    if (!a) out.set(r.stage, (a = []));
    a.push(r);
  }
  return out;
}

export function stagesOf(trace: Trace): TraceStage[] {
  return trace.header.stages ?? [];
}

/** One stage's records as a single-queue trace (header.scaling = the stage's), for the standard charts. */
export function stageTrace(trace: Trace, stage: TraceStage): Trace {
  return {
    header: { ...trace.header, scenario: `${trace.header.scenario} · ${stage.name}`, scaling: stage.scaling ?? trace.header.scaling, stages: undefined } as TraceHeader,
    records: trace.records.filter((r) => r.stage === stage.name),
  };
}

/** The topology charts use charts.ts's scaffolding (configOf, renderTo, line). */
export type TopologyChartSpec = ChartSpec;

// ---------------------------------------------------------------- the topology charts

export const TOPOLOGY_CHART_FILES = ["stages-backlog.png", "stages-replicas.png", "stages-throughput.png", "end-to-end-latency.png"] as const;

const CHART_TITLES: Record<string, string> = {
  "stages-backlog.png": "Backlog per stage: messages waiting for or being processed by each stage",
  "stages-replicas.png": "Replicas per stage: desired, ready and busy",
  "stages-throughput.png": "Throughput per stage: completion rates against the publish rate",
  "end-to-end-latency.png": "End-to-end latency: first publication → processed by the last stage",
  "metric.png": "What the scaler sees",
  "replicas.png": "Replicas and scale events",
  "throughput.png": "Throughput and backlog",
  "latency.png": "Latency at this stage",
};

function tagOf(trace: Trace): string {
  return `${trace.header.scenario} · ${trace.header.source} · seed ${trace.header.seed}`;
}

export function backlogChart(trace: Trace, xMax: number): TopologyChartSpec {
  const by = stageSamples(trace);
  const datasets: LineDataset[] = [];
  let peak = 1;
  stagesOf(trace).forEach((st, i) => {
    const ss = by.get(st.name) ?? [];
    const color = PALETTE[i % PALETTE.length];
    datasets.push(line(`${st.name}: waiting + in flight`, seriesOf(ss, (s) => s.queued + s.inFlight), color, { borderWidth: 3 }));
    if (st.scaling) {
      const kind = st.scaling.triggerType === "kafka" ? "lag as KEDA reports it (capped)" : `KEDA metric (${st.scaling.triggerType})`;
      datasets.push(line(`${st.name}: ${kind}`, seriesOf(ss, (s) => s.metric), color, { borderWidth: 1.8, borderDash: [6, 5] }));
    }
    for (const s of ss) peak = Math.max(peak, s.queued + s.inFlight, st.scaling ? s.metric : 0);
  });
  return {
    title: "Backlog per stage",
    subtitle: `${tagOf(trace)} — messages waiting for a stage (queue, subscription or unconsumed log offsets) plus those its pods hold`,
    xMax,
    y: { title: "messages", suggestedMax: Math.ceil(peak * 1.05) },
    datasets,
  };
}

export function replicasChart(trace: Trace, xMax: number): TopologyChartSpec {
  const by = stageSamples(trace);
  const datasets: LineDataset[] = [];
  let top = 1;
  stagesOf(trace).forEach((st, i) => {
    const ss = by.get(st.name) ?? [];
    const color = PALETTE[i % PALETTE.length];
    datasets.push(line(`${st.name}: desired`, seriesOf(ss, (s) => s.desired), color, { step: true, borderWidth: 7, borderColor: alpha(color, 0.35), backgroundColor: alpha(color, 0.35), order: 5 + i }));
    datasets.push(line(`${st.name}: ready`, seriesOf(ss, (s) => s.ready), color, { step: true, borderWidth: 2.5, order: 1 }));
    datasets.push(line(`${st.name}: busy`, seriesOf(ss, (s) => s.busy), color, { step: true, borderWidth: 2, borderDash: [2, 3], order: 0 }));
    if (st.partitions !== undefined) {
      datasets.push(line(`${st.name}: partitions (${st.partitions})`, [{ x: 0, y: st.partitions }, { x: xMax, y: st.partitions }], GREY, { borderDash: [10, 4, 2, 4], borderWidth: 1.8 }));
      top = Math.max(top, st.partitions);
    }
    for (const s of ss) top = Math.max(top, s.desired, s.current + s.terminating);
    if (st.scaling) top = Math.max(top, st.scaling.maxReplicaCount);
  });
  return {
    title: "Replicas per stage",
    subtitle: `${tagOf(trace)} — desired = spec.replicas (wide, light), ready (thin), busy = pods processing a message (dotted)`,
    xMax,
    y: { title: "replicas (pods)", integer: true, max: top + 1 },
    datasets,
  };
}

export function throughputChart(trace: Trace, xMax: number): TopologyChartSpec {
  const by = stageSamples(trace);
  const datasets: LineDataset[] = [];
  const e2e = by.get(END_TO_END) ?? [];
  const published = slidingRate(e2e, "produced", RATE_WINDOW_S);
  datasets.push(line("published (new payloads)", published, GREY, { borderWidth: 2, borderDash: [8, 5] }));
  let peak = 0.1;
  for (const p of published) peak = Math.max(peak, p.y ?? 0);
  stagesOf(trace).forEach((st, i) => {
    const r = slidingRate(by.get(st.name) ?? [], "completed", RATE_WINDOW_S);
    for (const p of r) peak = Math.max(peak, p.y ?? 0);
    datasets.push(line(`${st.name}: completed`, r, PALETTE[i % PALETTE.length], { borderWidth: 2.5 }));
  });
  return {
    title: "Throughput per stage",
    subtitle: `${tagOf(trace)} — trailing ${RATE_WINDOW_S} s averages of cumulative counts`,
    xMax,
    y: { title: `msgs/s (trailing ${RATE_WINDOW_S} s)`, suggestedMax: peak * 1.1 },
    datasets,
  };
}

export function latencyChart(trace: Trace, xMax: number): TopologyChartSpec {
  const e2e = stageSamples(trace).get(END_TO_END) ?? [];
  const lat = slidingLatency(e2e, LATENCY_WINDOW_S, [50, 95, 99]);
  const colors: Record<number, string> = { 50: "#009E73", 95: "#E69F00", 99: "#D55E00" };
  const datasets = [...lat.entries()].map(([p, pts]) => line(`p${p}`, pts, colors[p], { borderWidth: p === 95 ? 3 : 2.2 }));
  const any = [...lat.values()].some((pts) => pts.some((q) => q.y !== null));
  return {
    title: "End-to-end latency",
    subtitle: `${tagOf(trace)} — first publication → first processing by a last stage; percentiles of the trailing ${LATENCY_WINDOW_S} s${any ? "" : " — nothing completed"}`,
    xMax,
    y: { title: "seconds" },
    datasets,
  };
}

/** Renders the topology charts, and the standard four charts of every autoscaled stage (in stage-<name>/). */
export async function renderTopologyCharts(trace: Trace, outDir: string, opts: { perStage?: boolean } = {}): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const xMax = axisEnd(traceEnd(trace));
  const specs = [backlogChart(trace, xMax), replicasChart(trace, xMax), throughputChart(trace, xMax), latencyChart(trace, xMax)];
  const out: string[] = [];
  for (let i = 0; i < specs.length; i++) out.push(await renderTo(specs[i], join(outDir, TOPOLOGY_CHART_FILES[i])));
  if (opts.perStage !== false) {
    for (const st of stagesOf(trace)) {
      if (!st.scaling) continue;
      const files = await renderCharts(stageTrace(trace, st), join(outDir, `stage-${st.name}`));
      out.push(...files.filter((f) => /metric\.png$|replicas\.png$/.test(f)));
    }
  }
  return out;
}

// ---------------------------------------------------------------- report.md

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function latRow(l: LatencyStats): string {
  return [l.p50, l.p95, l.max].map(fmtS).join(" / ");
}

function stageSummary(run: { summary: Summary }, name: string): StageSummary | undefined {
  return run.summary.stages?.find((s) => s.stage === name);
}

function notesOf(s: StageSummary | undefined): Record<string, unknown> {
  return (s?.notes ?? {}) as Record<string, unknown>;
}

function kafkaFacts(run: TopologyRun, stage: string): TraceStage["kafka"] | null {
  return run.header.stages?.find((s) => s.name === stage)?.kafka ?? null;
}

/** The generated "what happened" paragraphs: facts from the trace and summary only. */
export function narrateTopology(trace: Trace, summary: Summary): string[] {
  const out: string[] = [];
  const run: TopologyRun = { header: trace.header, summary };
  const s = summary;
  const by = stageSamples(trace);
  const m = s.messages;
  const sinks = (s.notes?.sinks as string[] | undefined) ?? [];
  out.push(
    `${fmtInt(m.produced)} payloads were published; the last stage${sinks.length === 1 ? "" : "s"} (${sinks.join(", ")}) processed ${fmtInt(m.completed)}${sinks.length > 1 ? " (each payload counted once per last stage that processed it)" : " distinct ones"}` +
      `${s.drainTimeS !== null ? `, the last at ${fmtT(s.drainTimeS)} s after the first publication` : ""}; end-to-end latency p50 ${fmtS(s.latencyS.p50)} s, p95 ${fmtS(s.latencyS.p95)} s, max ${fmtS(s.latencyS.max)} s.`,
  );
  // autoscaled queue stages: how far KEDA and the HPA took them
  for (const st of stagesOf(trace)) {
    if (!st.scaling || st.partitions !== undefined) continue;
    const ss = by.get(st.name) ?? [];
    if (ss.length === 0) continue;
    let peak = ss[0].desired;
    let peakT = ss[0].t;
    for (const x of ss) if (x.desired > peak) [peak, peakT] = [x.desired, x.t];
    const endDesired = ss[ss.length - 1].desired;
    const sc = st.scaling;
    out.push(`Stage ${st.name} was scaled by KEDA's ${sc.triggerType} trigger (${sc.targetType} ${sc.target}, ${sc.minReplicaCount}–${sc.maxReplicaCount} replicas): from ${ss[0].desired} to a peak of ${peak} at t≈${fmtT(peakT)} s, and ${endDesired} at the end (t=${fmtT(ss[ss.length - 1].t)} s); at most ${maxOf(ss, (x) => x.busy)} of its pods were busy at once.`);
  }

  // Kafka: the partition cap, idle consumers
  for (const st of stagesOf(trace)) {
    if (st.partitions === undefined) continue;
    const ss = by.get(st.name) ?? [];
    const sum = stageSummary(run, st.name);
    const peakDesired = maxOf(ss, (x) => x.desired, 0);
    const peakReady = maxOf(ss, (x) => x.ready, 0);
    const peakBusy = maxOf(ss, (x) => x.busy, 0);
    const k = kafkaFacts(run, st.name);
    const P = st.partitions;
    let text = `Stage ${st.name} consumes a log with ${P} partition${P === 1 ? "" : "s"}: a consumer group gives each partition to one member, which processes it in one sequential loop, so at most ${P} pod${P === 1 ? "" : "s"} can be busy. `;
    text += `Desired replicas peaked at ${peakDesired}, ready at ${peakReady}, busy at ${peakBusy}`;
    if (peakReady > P) text += ` — ${peakReady - P} replica${peakReady - P === 1 ? "" : "s"} had no partition and stayed idle`;
    text += ".";
    if (k) {
      if (!k.allowIdleConsumers) {
        text += ` KEDA's kafka trigger caps the lag it reports at lagThreshold × partitions = ${k.lagThreshold * P} when lag ÷ lagThreshold (integer division) exceeds ${P}, so the HPA is asked for at most ${P} replica${P === 1 ? "" : "s"}`;
        text += peakDesired > P ? ` — plus one: a lag between ${k.lagThreshold * P} and ${k.lagThreshold * (P + 1) - 1} passes uncapped (${k.lagThreshold * (P + 1) - 1} ÷ ${k.lagThreshold} = ${P} is not > ${P}), which is how desired reached ${peakDesired}.` : ".";
      } else {
        text += ` allowIdleConsumers is "true": the lag is not capped, the HPA scaled on the whole lag, and every replica beyond ${P} only joined the group to sit idle (more rebalances, same throughput).`;
      }
    }
    if (peakBusy > 1) text += ` ${peakBusy} pods were busy at once, each on partitions of its own: with more partitions the group can spread the work, up to one busy pod per partition.`;
    const rebal = notesOf(sum).rebalances;
    if (typeof rebal === "number" && rebal > 0) text += ` The group rebalanced ${rebal} time${rebal === 1 ? "" : "s"} (every join and leave stops all partitions for the rebalance).`;
    if (sum && sum.messages.lost > 0) text += ` ${fmtInt(sum.messages.lost)} messages were never processed (skipped: see the lost events in the trace).`;
    out.push(text);
  }

  // fanout / shared queues
  const bySub = new Map<string, string[]>();
  for (const st of stagesOf(trace)) {
    const c = st.consumes ?? "";
    const mt = /^topic (\S+), subscription queue (\S+)/.exec(c);
    if (mt) {
      const a = bySub.get(mt[1]) ?? [];
      a.push(st.name);
      bySub.set(mt[1], a);
    }
  }
  for (const [topic, stages] of bySub) {
    const parts = stages.map((n) => {
      const x = stageSummary(run, n);
      return `${n} processed ${fmtInt(x?.messages.completed ?? 0)}`;
    });
    out.push(`Topic ${topic} is a fanout: each subscription is its own queue and gets a copy of every message, so every subscriber app processes every message — ${parts.join(", ")} (of ${fmtInt(m.produced)} published). Each app scales on its own queue.`);
  }
  const shared = new Map<string, string[]>();
  for (const st of stagesOf(trace)) {
    const mq = /^queue (\S+)/.exec(st.consumes ?? "");
    if (mq) shared.set(mq[1], [...(shared.get(mq[1]) ?? []), st.name]);
  }
  for (const [q, stages] of shared) {
    if (stages.length < 2) continue;
    const parts = stages.map((n) => `${n} ${fmtInt(stageSummary(run, n)?.messages.completed ?? 0)}`);
    const total = stages.reduce((n, x) => n + (stageSummary(run, x)?.messages.completed ?? 0), 0);
    out.push(`Queue ${q} is a work queue shared by ${stages.join(" and ")}: each message went to exactly one consumer — ${parts.join(", ")}, ${fmtInt(total)} in total. Their ScaledObjects read the same queue, so both Deployments scaled on the same backlog.`);
  }

  // sources (seed 003 fetcher)
  for (const src of sourceCountsOf(s)) {
    const confirming = confirmingStage(trace.header, src.source);
    const cs = confirming ? stageSummary(run, confirming.name) : undefined;
    const saved = Number(notesOf(cs).uniqueProcessed ?? 0);
    const lost = s.stages?.reduce((n, x) => n + x.messages.lost, 0) ?? 0;
    const redelivered = s.stages?.reduce((n, x) => n + x.messages.redelivered, 0) ?? 0;
    const spec = sourcesOf(trace.header).find((x) => x.name === src.source)!;
    const split = spec.objects !== undefined ? `split ${fmtInt(spec.objects)} objects into ${fmtInt(src.chunks)} chunks of ${spec.chunkSize}` : `had ${fmtInt(src.chunks)} chunks of up to ${spec.chunkSize} objects`;
    let text = `${src.source} ${split} and sent each once (${fmtInt(src.sent)} sends)`;
    text += src.resent > 0 ? `, then resent ${fmtInt(src.resent)} unconfirmed chunk${src.resent === 1 ? "" : "s"} (${spec.resend.policy === "timeout" ? `${spec.resend.afterSeconds} s without confirmation` : "a random unconfirmed chunk per send"})` : "";
    text += `. ${fmtInt(lost)} chunk deliver${lost === 1 ? "y was" : "ies were"} lost, ${fmtInt(redelivered)} redelivered by the broker; ${confirming ? `${confirming.name} saved ${fmtInt(saved)} distinct chunks${(cs?.messages.duplicates ?? 0) > 0 ? ` and ${fmtInt(cs!.messages.duplicates)} duplicates` : ""}` : ""}: ${saved === src.chunks ? "every chunk was saved" : `${fmtInt(src.chunks - saved)} chunks were never saved`}.`;
    out.push(text);
  }
  return out;
}

function topologyTable(trace: Trace): string[] {
  const L: string[] = [];
  L.push("| stage | Deployment | consumes | publishes to | replicas |");
  L.push("|---|---|---|---|---|");
  const by = stageSamples(trace);
  for (const st of stagesOf(trace)) {
    const sc = st.scaling;
    // a stage without a ScaledObject keeps its replicas: the desired count of any of its samples
    const reps = sc ? `KEDA ${sc.triggerType} (${sc.targetType} ${sc.target}), ${sc.minReplicaCount}–${sc.maxReplicaCount}` : `fixed ${by.get(st.name)?.[0]?.desired ?? "?"}`;
    const pub = [...st.publishes, ...(st.confirms ? [`confirms to ${st.confirms}`] : [])].join(", ") || "–";
    L.push(`| ${st.name} | ${st.deployment} | ${st.consumes ?? "–"} | ${pub} | ${reps} |`);
  }
  for (const src of sourcesOf(trace.header)) {
    L.push(`| ${src.name} (source) | – | – | ${src.to} | – (${src.chunks} chunks, ${src.pacing}, resend ${src.resend.policy}${src.resend.policy === "timeout" ? ` ${src.resend.afterSeconds} s` : ""}) |`);
  }
  return L;
}

function stagesTable(run: TopologyRun): string[] {
  const L: string[] = [];
  L.push("| stage | received | completed | redelivered | lost | duplicates | peak replicas | peak busy | stage latency p50 / p95 / max (s) | replica-seconds |");
  L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const st of run.summary.stages ?? []) {
    const x = st.messages;
    L.push(`| ${st.stage} | ${fmtInt(x.received)} | ${fmtInt(x.completed)} | ${fmtInt(x.redelivered)} | ${fmtInt(x.lost)} | ${fmtInt(x.duplicates)} | ${st.replicas.peak} | ${st.replicas.peakBusy} | ${latRow(st.latencyS)} | ${fmtInt(st.replicas.replicaSeconds)} |`);
  }
  return L;
}

function modeOf(run: TopologyRun): string {
  const parts: string[] = [];
  for (const c of channelsOf(run.header)) {
    if (c.kind === "log") parts.push(`log ${c.name}: ${c.partitions} partition${c.partitions === 1 ? "" : "s"}`);
    else if (c.kind === "queue") parts.push(`queue ${c.name}: ${c.broker} (${c.delivery})`);
    else parts.push(`topic ${c.name}: fanout to ${c.subscriptions!.length} subscriptions (${c.subscriptions![0].broker})`);
  }
  return parts.join("; ");
}

/** Per-mode comparison tables: chunks (sources), Kafka partitions, or per-stage completions. */
export function comparisonTables(runs: TopologyRun[]): string[] {
  const L: string[] = [];
  if (runs.length < 2) return L;
  const hasSources = runs.every((r) => sourceCountsOf(r.summary).length > 0);
  const hasLogs = runs.every((r) => groupsOf(r.summary).length > 0);
  if (hasSources) {
    L.push("Chunks per mode (a \"lost\" chunk delivery is one a crashed consumer held when delivery was at-most-once; \"duplicates\" are chunks saved more than once):");
    L.push("");
    L.push("| scenario | transport | fetcher resend | chunks | sent | resent | lost | redelivered by the broker | duplicates saved | distinct chunks saved | every chunk saved | drain (s) | e2e p95 (s) |");
    L.push("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    for (const r of runs) {
      const src = sourceCountsOf(r.summary)[0];
      const spec = sourcesOf(r.header)[0];
      const confirming = confirmingStage(r.header, src.source);
      const cs = confirming ? stageSummary(r, confirming.name) : undefined;
      const saved = Number(notesOf(cs).uniqueProcessed ?? 0);
      const lost = r.summary.stages?.reduce((n, x) => n + x.messages.lost, 0) ?? 0;
      const redelivered = r.summary.stages?.reduce((n, x) => n + x.messages.redelivered, 0) ?? 0;
      const target = channelsOf(r.header).find((c) => c.name === spec.to);
      const transport = target && target.kind === "queue" ? `${target.broker} (${target.delivery})` : modeOf(r);
      const resend = spec.resend.policy === "timeout" ? `after ${spec.resend.afterSeconds} s` : spec.resend.policy;
      L.push(
        `| ${r.header.scenario} | ${transport} | ${resend} | ${fmtInt(src.chunks)} | ${fmtInt(src.sent)} | ${fmtInt(src.resent)} | ${fmtInt(lost)} | ${fmtInt(redelivered)} | ${fmtInt(cs?.messages.duplicates ?? 0)} | ${fmtInt(saved)} | ${saved === src.chunks ? "yes" : "**no**"} | ${fmtS(r.summary.drainTimeS)} | ${fmtS(r.summary.latencyS.p95)} |`,
      );
    }
    return L;
  }
  if (hasLogs) {
    L.push("Partitions and replicas (busy = pods processing a message; a consumer group never makes more pods busy than there are partitions):");
    L.push("");
    L.push("| scenario | partitions | allowIdleConsumers | peak desired | peak ready | peak busy | completed | lost | drain (s) | throughput (msgs/s) | e2e p50 / p95 (s) | replica-seconds |");
    L.push("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of runs) {
      const g = groupsOf(r.summary)[0];
      const st = stageSummary(r, g.stage);
      const k = kafkaFacts(r, g.stage);
      L.push(
        `| ${r.header.scenario} | ${g.partitions} | ${k ? (k.allowIdleConsumers ? "true" : "false") : "–"} | ${notesOf(st).peakDesired ?? "–"} | ${notesOf(st).peakReady ?? "–"} | ${st?.replicas.peakBusy ?? "–"} | ${fmtInt(st?.messages.completed ?? 0)} | ${fmtInt(st?.messages.lost ?? 0)} | ${fmtS(r.summary.drainTimeS)} | ${r.summary.drainTimeS ? (r.summary.messages.completed / r.summary.drainTimeS).toFixed(2) : "–"} | ${fmtS(r.summary.latencyS.p50)} / ${fmtS(r.summary.latencyS.p95)} | ${fmtInt(r.summary.replicas.replicaSeconds)} |`,
      );
    }
    return L;
  }
  const names = [...new Set(runs.flatMap((r) => (r.summary.stages ?? []).map((s) => s.stage)))];
  L.push("Messages processed per app (a fanout delivers every message to every subscriber; a work queue to exactly one consumer):");
  L.push("");
  L.push(`| scenario | channels | published | ${names.map((n) => `${n} processed`).join(" | ")} | total processed | ${names.map((n) => `${n} peak replicas`).join(" | ")} | e2e p95 (s) |`);
  L.push(`|---|---|---:|${names.map(() => "---:").join("|")}|---:|${names.map(() => "---:").join("|")}|---:|`);
  for (const r of runs) {
    const per = names.map((n) => stageSummary(r, n));
    const total = per.reduce((n, x) => n + (x?.messages.completed ?? 0), 0);
    L.push(
      `| ${r.header.scenario} | ${modeOf(r)} | ${fmtInt(r.summary.messages.produced)} | ${per.map((x) => (x ? fmtInt(x.messages.completed) : "–")).join(" | ")} | ${fmtInt(total)} | ${per.map((x) => (x ? String(x.replicas.peak) : "–")).join(" | ")} | ${fmtS(r.summary.latencyS.p95)} |`,
    );
  }
  return L;
}

/** The report.md text of a topology run. `pngs` are linked relative to outDir. */
export function buildTopologyReport(trace: Trace, summary: Summary, pngs: string[], compared: TopologyRun[] = [], outDir = "."): string {
  const h = trace.header;
  const s = summary;
  const run: TopologyRun = { header: h, summary };
  const L: string[] = [];
  L.push(`# ${h.scenario} — topology ${h.source} run (seed ${h.seed})`);
  L.push("");
  const description = h.notes?.description;
  if (typeof description === "string" && description.trim() !== "") {
    L.push(description.trim());
    L.push("");
  }
  L.push(`Simulated ${fmtT(s.simulatedSeconds)} s (scenario time), ${stagesOf(trace).length} stage${stagesOf(trace).length === 1 ? "" : "s"}: ${modeOf(run)}.${versionsSentence(h.scaling)}`);
  L.push("");
  const live = liveRunLine(h.notes);
  if (live) {
    L.push(live);
    L.push("");
  }
  L.push("## Topology");
  L.push("");
  L.push(...topologyTable(trace));
  L.push("");
  L.push("## What happened");
  L.push("");
  for (const p of narrateTopology(trace, summary)) {
    L.push(p);
    L.push("");
  }
  if (compared.length > 0) {
    L.push("## Comparison");
    L.push("");
    L.push(...comparisonTables([run, ...compared]));
    L.push("");
    L.push(`Rows other than the first are the scenarios listed in \`compareWith\`, run with the same seed (${h.seed}).`);
    L.push("");
  }
  if (pngs.length > 0) {
    L.push("## Charts");
    L.push("");
    for (const p of pngs) {
      const rel = relative(outDir, p).split("\\").join("/") || basename(p);
      const stage = /stage-([^/]+)\//.exec(rel)?.[1];
      const title = CHART_TITLES[basename(p)] ?? basename(p);
      L.push(`![${stage ? `${stage}: ${title}` : title}](${rel})`);
      L.push("");
    }
  }
  L.push("## Stages");
  L.push("");
  L.push(...stagesTable(run));
  L.push("");
  L.push("Stage latency: enqueued at the stage (or fetched from the log) → processed there. received counts first deliveries; duplicates count payloads processed again at the stage.");
  L.push("");
  L.push("## End to end");
  L.push("");
  L.push("| | |");
  L.push("|---|---|");
  L.push(`| payloads published | ${fmtInt(s.messages.produced)} |`);
  L.push(`| processed by a last stage (distinct payloads per last stage) | ${fmtInt(s.messages.completed)} |`);
  L.push(`| lost (all stages) | ${fmtInt(s.messages.lost)} |`);
  L.push(`| redelivered (brokers) + resent (sources) | ${fmtInt(s.messages.redelivered)} |`);
  L.push(`| duplicates (all stages) | ${fmtInt(s.messages.duplicates)} |`);
  L.push(`| drain time (first publication → last completion at a last stage) | ${s.drainTimeS === null ? "–" : `${fmtS(s.drainTimeS)} s`} |`);
  L.push(`| end-to-end latency p50 / p90 / p95 / p99 / max | ${[s.latencyS.p50, s.latencyS.p90, s.latencyS.p95, s.latencyS.p99, s.latencyS.max].map(fmtS).join(" / ")} s |`);
  L.push(`| peak pods (all stages) | ${s.replicas.peak} |`);
  L.push(`| replica-seconds (ready) | ${fmtInt(s.replicas.replicaSeconds)} (${fmtInt(s.replicas.readyReplicaSeconds)}) |`);
  L.push("");
  const scales = trace.records.filter((r): r is ScaleRecord => r.type === "scale");
  L.push("## Scale events");
  L.push("");
  if (scales.length === 0) L.push("None (fixed replicas, or the scalers never changed spec.replicas).");
  else {
    L.push("| t (s) | stage | from → to | actor | reason |");
    L.push("|---:|---|---|---|---|");
    const shown = scales.slice(0, 60);
    for (const e of shown) L.push(`| ${fmtT(e.t)} | ${e.stage ?? "–"} | ${e.from} → ${e.to} | ${e.actor === "keda" ? "KEDA" : "HPA"} | ${shorten(e.reason, 140).replace(/\|/g, "\\|")} |`);
    if (scales.length > shown.length) L.push(`| … | | | | ${scales.length - shown.length} more in trace.jsonl |`);
  }
  L.push("");
  L.push("## Modelling notes");
  L.push("");
  L.push(...modellingNotes(run).map((n) => `- ${n}`));
  L.push("");
  return L.join("\n");
}

function modellingNotes(run: TopologyRun): string[] {
  const out: string[] = [];
  const kinds = new Set(channelsOf(run.header).map((c) => (c.kind === "log" ? "log" : c.kind === "queue" ? c.broker : c.subscriptions![0].broker)));
  if (kinds.has("log")) {
    out.push("Kafka (bindings.kafka on sarama): range assignment over the group's live members; eager rebalances (every partition stops until in-flight handlers finish, then rebalanceDelay); offsets marked after a successful handler call, committed every second and when a member leaves; a crashed member keeps its partitions until its session times out (10 s).");
    out.push("A group without committed offset starts at the newest offset (Dapr's initialOffset default): messages produced before that are skipped and counted as lost.");
  }
  if (kinds.has("nats-core")) out.push("Core NATS queue group: a message goes to one random subscriber that is listening right then, or nowhere; what a crashed subscriber held is gone (at-most-once).");
  if (kinds.has("jetstream")) out.push("JetStream: the stream keeps every message until acknowledged; a delivery not acknowledged within ackWait is handed out again (a still-running first attempt then finishes a duplicate). The competing-consumer caveat of nats-server 2.9 with Dapr (dapr-local.md §3.4) is not modelled.");
  if (kinds.has("rabbitmq")) out.push("RabbitMQ: round-robin delivery within prefetch, acknowledgement after the handler, unacknowledged messages requeued at once when a consumer's connection drops. Queues always exist (Dapr's deletedWhenUnused default, which deletes a subscription queue at scale to zero, is not modelled).");
  if (sourcesOf(run.header).length > 0) out.push("The fetcher is not a pod: it cannot crash, and its handshake (anyone_listening → im_listening) takes no time.");
  out.push("Every stage is a Deployment with its own KEDA poll and HPA sync, as in the single-queue model (sim/model/deployment.ts), with their own phases drawn from the seed.");
  return out;
}

/** Writes outDir/report.md and returns its path. */
export function writeTopologyReport(outDir: string, trace: Trace, summary: Summary, pngs: string[], compared: TopologyRun[] = []): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, "report.md");
  writeFileSync(file, buildTopologyReport(trace, summary, pngs, compared, outDir));
  return file;
}
