// Headless PNG charts of a Trace (chart.js 4 on @napi-rs/canvas). Pure functions of the trace + file writing.
//
// Every chart has the same plot-area geometry (fixed axis widths, same x range for one trace) so the PNGs
// can be read stacked: a step in "Replicas" sits exactly under the metric change that caused it.

import { mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createCanvas, GlobalFonts } from "@napi-rs/canvas";
import {
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  SubTitle,
  Title,
  type ChartConfiguration,
  type ChartDataset,
  type LegendItem,
  type Plugin,
  type Scale,
} from "chart.js";
import {
  backlogOf,
  compressSteps,
  cooldownDeadlines,
  hpaSyncsOf,
  decimate,
  directionOf,
  kedaPollsOf,
  samplesOf,
  scaleRecordsOf,
  seriesOf,
  slidingLatency,
  slidingRate,
  traceEnd,
  type Point,
  type Trace,
  maxOf,
} from "./derive.js";

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title, SubTitle, Filler);

export const CHART_WIDTH = 1200;
export const CHART_HEIGHT = 600;
/** Trailing window of the throughput chart's rates (s). */
export const RATE_WINDOW_S = 10;
/** Trailing window of the latency percentiles (s). */
export const LATENCY_WINDOW_S = 30;

const LEFT_AXIS_W = 84;
const RIGHT_AXIS_W = 84;

// Okabe–Ito palette (colour-blind safe).
const C = {
  blue: "#0072B2",
  orange: "#E69F00",
  green: "#009E73",
  vermillion: "#D55E00",
  purple: "#8E44AD",
  sky: "#56B4E9",
  pink: "#CC79A7",
  yellow: "#F0E442",
  grey: "#666666",
  black: "#222222",
};

export function alpha(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

// ---------------------------------------------------------------- fonts

const FONT_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
];

let fontFamily: string | null = null;

/**
 * Makes sure a sans font is available to Skia. @napi-rs/canvas scans the system font folders itself;
 * we register DejaVu/Liberation explicitly as well in case the scan found nothing. Without any font,
 * chart text silently renders as nothing, so we warn once.
 */
export function ensureFont(): string | null {
  if (fontFamily !== null) return fontFamily;
  const has = (f: string) => GlobalFonts.families.some((x) => x.family === f);
  if (!has("DejaVu Sans") && !has("Liberation Sans")) {
    for (const p of FONT_CANDIDATES) if (existsSync(p)) GlobalFonts.registerFromPath(p);
  }
  fontFamily = has("DejaVu Sans") ? "DejaVu Sans" : has("Liberation Sans") ? "Liberation Sans" : GlobalFonts.families[0]?.family ?? null;
  if (fontFamily === null) {
    console.warn("kedasim reports: no font found for chart text (install fonts-dejavu-core); charts will have no labels");
    fontFamily = "sans-serif";
  }
  Chart.defaults.font.family = fontFamily;
  Chart.defaults.font.size = 15;
  Chart.defaults.color = "#222222";
  return fontFamily;
}

// ---------------------------------------------------------------- common chart scaffolding

/** Paints the canvas white before drawing (PNG backgrounds are transparent otherwise). */
export const whiteBackground: Plugin = {
  id: "whiteBackground",
  beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

export type LineDataset = ChartDataset<"line", Point[]>;

/**
 * Legend items with usePointStyle take their style from the first *point*, which has no dash: copy the line
 * style (dash, width, colour) of line datasets so dashed series look dashed in the legend too.
 */
function legendLabels(chart: Chart): LegendItem[] {
  const items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
  for (const item of items) {
    const ds = chart.data.datasets[item.datasetIndex ?? -1] as LineDataset | undefined;
    if (!ds || ds.pointStyle !== "line") continue;
    item.lineDash = (ds.borderDash as number[] | undefined) ?? [];
    item.lineWidth = Math.min(Number(ds.borderWidth ?? 2), 7);
    item.strokeStyle = ds.borderColor as string;
  }
  return items;
}

export interface AxisSpec {
  title: string;
  min?: number;
  max?: number;
  suggestedMax?: number;
  integer?: boolean;
}

export interface ChartSpec {
  title: string;
  subtitle: string;
  xMax: number;
  y: AxisSpec;
  y2?: AxisSpec;
  datasets: LineDataset[];
}

/** x-axis end: the trace end rounded up to a whole tick step (chart.js keeps stepSize only then). */
export function axisEnd(end: number): number {
  const e = Math.max(1, end);
  const step = niceStep(e);
  return Math.ceil(e / step - 1e-9) * step;
}

/** A "nice" tick step giving at most ~16 ticks over [0, span]. */
export function niceStep(span: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400];
  for (const s of steps) if (span / s <= 16) return s;
  return Math.ceil(span / 16 / 86400) * 86400;
}

function yAxis(spec: AxisSpec, position: "left" | "right", width: number, grid: boolean) {
  return {
    type: "linear" as const,
    position,
    min: spec.min ?? 0,
    max: spec.max,
    suggestedMax: spec.suggestedMax,
    title: { display: true, text: spec.title, font: { size: 16, weight: "bold" as const } },
    ticks: spec.integer ? { stepSize: 1, precision: 0, font: { size: 15 } } : { font: { size: 15 } },
    grid: { display: grid, color: "#e4e4e4" },
    afterFit(scale: Scale) {
      scale.width = width;
    },
  };
}

function configOf(spec: ChartSpec): ChartConfiguration<"line", Point[]> {
  const scales: Record<string, unknown> = {
    x: {
      type: "linear",
      min: 0,
      max: spec.xMax,
      title: { display: true, text: "scenario time (s)", font: { size: 16, weight: "bold" } },
      ticks: { stepSize: niceStep(spec.xMax), maxTicksLimit: 20, maxRotation: 0, font: { size: 15 } },
      grid: { color: "#e4e4e4" },
    },
    y: yAxis(spec.y, "left", LEFT_AXIS_W, true),
  };
  if (spec.y2) scales.y2 = yAxis(spec.y2, "right", RIGHT_AXIS_W, false);
  if (spec.datasets.some((d) => d.yAxisID === "yv")) scales.yv = { type: "linear", min: 0, max: 1, display: false };
  return {
    type: "line",
    data: { datasets: spec.datasets },
    options: {
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      parsing: false,
      spanGaps: false,
      layout: { padding: { left: 8, top: 4, bottom: 6, right: spec.y2 ? 12 : 12 + RIGHT_AXIS_W } },
      elements: { point: { radius: 0, hitRadius: 0 }, line: { borderJoinStyle: "round" } },
      scales: scales as never,
      plugins: {
        title: { display: true, text: spec.title, font: { size: 20, weight: "bold" }, padding: { top: 6, bottom: 2 } },
        subtitle: { display: true, text: spec.subtitle, font: { size: 15 }, color: "#444444", padding: { bottom: 6 } },
        legend: {
          position: "top",
          labels: {
            usePointStyle: true,
            pointStyleWidth: 36,
            padding: 14,
            font: { size: 15 },
            // dataset order, not drawing order
            sort: (a, b) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0),
            generateLabels: legendLabels,
          },
        },
        tooltip: { enabled: false },
      },
    },
    plugins: [whiteBackground as Plugin<"line">],
  };
}

/** Render one chart spec to a PNG file (also used by reports/topology.ts). */
export async function renderTo(spec: ChartSpec, file: string): Promise<string> {
  ensureFont();
  const canvas = createCanvas(CHART_WIDTH, CHART_HEIGHT);
  const ctx = canvas.getContext("2d");
  const chart = new Chart(ctx as unknown as CanvasRenderingContext2D, configOf(spec));
  try {
    const png = await canvas.encode("png");
    await writeFile(file, png);
  } finally {
    chart.destroy();
  }
  return file;
}

/** A line dataset; `step` draws the value held until the next point. */
export function line(label: string, data: Point[], color: string, o: Partial<LineDataset> & { step?: boolean } = {}): LineDataset {
  const { step, ...rest } = o;
  return {
    label,
    data: step ? compressSteps(data) : decimate(data),
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2.5,
    pointRadius: 0,
    pointStyle: "line",
    stepped: step ? "before" : false,
    fill: false,
    ...rest,
  };
}

function markers(label: string, data: Point[], color: string, style: "triangle" | "circle" | "crossRot" | "rectRot", o: Partial<LineDataset> = {}): LineDataset {
  return {
    label,
    data,
    showLine: false,
    borderColor: color,
    backgroundColor: color,
    pointStyle: style,
    pointRadius: 8,
    pointBorderWidth: 1.5,
    borderWidth: 1.5,
    ...o,
  };
}

function hline(label: string, y: number, xMax: number, color: string, dash: number[]): LineDataset {
  return line(label, [{ x: 0, y }, { x: xMax, y }], color, { borderDash: dash, borderWidth: 1.8 });
}

/** Cuts a label at a word boundary to at most `max` characters. */
export function shorten(text: string, max: number): string {
  const t = text.replace(/\s+/g, " ").trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const sp = cut.lastIndexOf(" ");
  return (sp > max / 2 ? cut.slice(0, sp) : cut).replace(/[\s,;:=+(]+$/, "") + "…";
}

function sourceTag(trace: Trace): string {
  return `${trace.header.scenario} · ${trace.header.source} · seed ${trace.header.seed}`;
}

// ---------------------------------------------------------------- the four single-trace charts

function metricChart(trace: Trace, xMax: number): ChartSpec {
  const h = trace.header;
  const sc = h.scaling;
  const samples = samplesOf(trace);
  const polls = kedaPollsOf(trace);
  const datasets: LineDataset[] = [];
  datasets.push(line(`metric: ${shorten(sc.metricDescription || "first trigger", 60)}`, seriesOf(samples, (s) => s.metric), C.blue, { borderWidth: 3, order: 1 }));
  if (sc.targetType === "AverageValue") {
    datasets.push(line(`target × current (${sc.target} × status.replicas)`, seriesOf(samples, (s) => sc.target * s.current), C.orange, { step: true, borderWidth: 5, borderColor: alpha(C.orange, 0.6), backgroundColor: alpha(C.orange, 0.6), order: 3 }));
    datasets.push(line(`target × desired (${sc.target} × spec.replicas)`, seriesOf(samples, (s) => sc.target * s.desired), C.black, { step: true, borderWidth: 2, borderDash: [8, 5], order: 2 }));
  } else {
    datasets.push(hline(`target (Value ${sc.target})`, sc.target, xMax, C.orange, [8, 5]));
  }
  const active = polls.filter((p) => !p.error && p.active && p.metric !== null).map((p) => ({ x: p.t, y: p.metric }));
  const inactive = polls.filter((p) => !p.error && !p.active && p.metric !== null).map((p) => ({ x: p.t, y: p.metric }));
  const errored = polls.filter((p) => p.error || p.metric === null).map((p) => ({ x: p.t, y: 0 }));
  // markers shrink when there are many polls, so the metric line stays visible
  const r = Math.max(2, Math.min(7, 7 * Math.sqrt(60 / Math.max(1, polls.length))));
  datasets.push(markers("KEDA poll: active", active, C.vermillion, "circle", { pointRadius: r, order: 0 }));
  datasets.push(markers("KEDA poll: inactive", inactive, C.vermillion, "circle", { pointRadius: r, backgroundColor: "#ffffff", pointBorderWidth: r > 4 ? 2.5 : 1.5, order: 0 }));
  if (errored.length > 0) datasets.push(markers("KEDA poll: scaler error", errored, "#c00000", "crossRot", { pointRadius: 9, pointBorderWidth: 3, order: 0 }));
  const peak = maxOf(samples, (s) => Math.max(s.metric, sc.target * s.desired, sc.target * s.current), 0);
  const deadlines = cooldownDeadlines(polls, sc.cooldownPeriod).filter((d) => d <= xMax);
  if (deadlines.length > 0) {
    // full-height vertical lines on a hidden 0..1 axis
    datasets.push(
      line(`last active poll + cooldownPeriod (${sc.cooldownPeriod} s)`, deadlines.flatMap((d) => [{ x: d, y: 0 }, { x: d, y: 1 }, { x: d, y: null }]), C.vermillion, {
        borderDash: [3, 4],
        borderWidth: 2,
        order: 4,
        yAxisID: "yv",
      }),
    );
  }
  return {
    title: "What the scaler sees",
    subtitle: `${sourceTag(trace)} — ${sc.triggerType} ${sc.targetType} target ${sc.target}; KEDA polls every ${sc.pollingInterval} s, HPA syncs every ${sc.hpaSyncPeriod} s`,
    xMax,
    y: { title: "messages", suggestedMax: Math.max(1, peak * 1.05) },
    datasets,
  };
}

function replicasChart(trace: Trace, xMax: number): ChartSpec {
  const sc = trace.header.scaling;
  const samples = samplesOf(trace);
  const events = scaleRecordsOf(trace);
  const datasets: LineDataset[] = [];
  datasets.push(line("desired (spec.replicas)", seriesOf(samples, (s) => s.desired), C.blue, { step: true, borderWidth: 7, borderColor: alpha(C.blue, 0.45), backgroundColor: alpha(C.blue, 0.45), order: 5 }));
  datasets.push(line("current (status.replicas)", seriesOf(samples, (s) => s.current), C.orange, { step: true, borderWidth: 2.5, borderDash: [10, 6], order: 3 }));
  datasets.push(line("ready", seriesOf(samples, (s) => s.ready), C.green, { step: true, borderWidth: 2.5, order: 2 }));
  datasets.push(
    line("terminating", seriesOf(samples, (s) => s.terminating), C.pink, {
      step: true,
      borderWidth: 1,
      fill: "origin",
      backgroundColor: alpha(C.pink, 0.35),
      pointStyle: "rect",
      order: 6,
    }),
  );
  datasets.push(hline(`max (maxReplicaCount ${sc.maxReplicaCount})`, sc.maxReplicaCount, xMax, C.grey, [4, 4]));
  datasets.push(hline(`min (minReplicaCount ${sc.minReplicaCount})`, sc.minReplicaCount, xMax, C.grey, [1.5, 4]));
  const raw = hpaSyncsOf(trace)
    .filter((h) => h.raw !== null && h.raw >= 0)
    .map((h) => ({ x: h.t, y: h.raw }));
  if (raw.length > 0) {
    datasets.push(markers("HPA proposal (raw, before stabilization & limits)", raw, C.grey, "circle", { pointRadius: raw.length > 300 ? 2.5 : 3.5, pointBorderWidth: 1, order: 1 }));
  }
  const groups: Array<[string, string, "up" | "down", "keda" | "hpa"]> = [
    ["KEDA scale up", C.vermillion, "up", "keda"],
    ["KEDA scale down", C.vermillion, "down", "keda"],
    ["HPA scale up", C.purple, "up", "hpa"],
    ["HPA scale down", C.purple, "down", "hpa"],
  ];
  for (const [label, color, dir, actor] of groups) {
    const pts = events.filter((e) => e.actor === actor && directionOf(e) === dir).map((e) => ({ x: e.t, y: e.to }));
    if (pts.length === 0) continue;
    datasets.push(
      markers(`${label} (${pts.length})`, pts, color, actor === "keda" ? "triangle" : "rectRot", {
        pointRotation: dir === "down" && actor === "keda" ? 180 : 0,
        pointRadius: (actor === "keda" ? 10 : 8) * (events.length > 40 ? 0.6 : 1),
        backgroundColor: dir === "up" ? color : "#ffffff",
        pointBorderWidth: 2.5,
        order: 0,
      }),
    );
  }
  const top = Math.max(
    sc.maxReplicaCount,
    maxOf(samples, (s) => Math.max(s.desired, s.current + s.terminating)),
    maxOf(raw, (p) => Math.min(p.y ?? 0, 2 * sc.maxReplicaCount)),
  );
  return {
    title: "Replicas",
    subtitle: `${sourceTag(trace)} — HPA path: ${sc.behavior}; KEDA cooldownPeriod ${sc.cooldownPeriod} s (applies to →${sc.idleReplicaCount ?? sc.minReplicaCount} only); markers at the new spec.replicas`,
    xMax,
    y: { title: "replicas", integer: true, max: top + 1 },
    datasets,
  };
}

function throughputChart(trace: Trace, xMax: number): ChartSpec {
  const samples = samplesOf(trace);
  const arrivals = slidingRate(samples, "produced", RATE_WINDOW_S);
  const completions = slidingRate(samples, "completed", RATE_WINDOW_S);
  const datasets: LineDataset[] = [
    line("arrival rate", arrivals, C.blue, { borderWidth: 2.5, yAxisID: "y", order: 1 }),
    line("completion rate", completions, C.green, { borderWidth: 2.5, yAxisID: "y", order: 1 }),
    line("queued (ready in broker) →", seriesOf(samples, (s) => s.queued), C.grey, {
      yAxisID: "y2",
      fill: "origin",
      borderWidth: 1,
      backgroundColor: alpha(C.grey, 0.22),
      pointStyle: "rect",
      order: 4,
    }),
    line("in flight →", seriesOf(samples, (s) => s.inFlight), C.orange, { yAxisID: "y2", borderDash: [8, 5], borderWidth: 2, order: 3 }),
  ];
  const maxRate = Math.max(maxOf(arrivals, (p) => p.y ?? 0, 0), maxOf(completions, (p) => p.y ?? 0, 0));
  const maxBacklog = maxOf(samples, (s) => Math.max(s.queued, s.inFlight), 1);
  return {
    title: "Throughput",
    subtitle: `${sourceTag(trace)} — rates are trailing ${RATE_WINDOW_S} s averages of cumulative produced / completed`,
    xMax,
    y: { title: `msgs/s (trailing ${RATE_WINDOW_S} s)`, suggestedMax: Math.max(0.1, maxRate * 1.1) },
    y2: { title: "messages (queued, in flight)", suggestedMax: Math.ceil(maxBacklog * 1.1) },
    datasets,
  };
}

function latencyChart(trace: Trace, xMax: number): ChartSpec {
  const samples = samplesOf(trace);
  const lat = slidingLatency(samples, LATENCY_WINDOW_S);
  const colors: Record<number, string> = { 50: C.green, 90: C.blue, 95: C.orange, 99: C.vermillion };
  const datasets = [...lat.entries()].map(([p, pts]) => line(`p${p}`, pts, colors[p] ?? C.black, { borderWidth: p === 95 ? 3 : 2.2 }));
  const anyData = [...lat.values()].some((pts) => pts.some((q) => q.y !== null));
  return {
    title: "Latency (sojourn time: arrival → completion)",
    subtitle: `${sourceTag(trace)} — percentiles of messages completed in the trailing ${LATENCY_WINDOW_S} s (1 % histogram buckets)${anyData ? "" : " — nothing completed"}`,
    xMax,
    y: { title: "seconds" },
    datasets,
  };
}

export const CHART_FILES = ["metric.png", "replicas.png", "throughput.png", "latency.png"] as const;

/** Renders the four charts of one trace into outDir; returns the written paths (metric, replicas, throughput, latency). */
export async function renderCharts(trace: Trace, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const xMax = axisEnd(traceEnd(trace));
  const specs = [metricChart(trace, xMax), replicasChart(trace, xMax), throughputChart(trace, xMax), latencyChart(trace, xMax)];
  const out: string[] = [];
  for (let i = 0; i < specs.length; i++) out.push(await renderTo(specs[i], join(outDir, CHART_FILES[i])));
  return out;
}

// ---------------------------------------------------------------- sim-vs-real overlays

export interface LabeledTrace {
  label: string;
  trace: Trace;
}

export const OVERLAY_FILES = ["compare-backlog.png", "compare-replicas.png", "compare-latency.png"] as const;

/** Overlay charts of two runs on the same axes: backlog, replicas (desired + ready), latency p50/p95. */
export async function renderOverlay(a: LabeledTrace, b: LabeledTrace, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const xMax = axisEnd(Math.max(traceEnd(a.trace), traceEnd(b.trace)));
  const runs: Array<[LabeledTrace, string]> = [
    [a, C.blue],
    [b, C.vermillion],
  ];
  const tag = `${a.label} (${a.trace.header.scenario}, seed ${a.trace.header.seed}) vs ${b.label} (${b.trace.header.scenario}, seed ${b.trace.header.seed})`;

  const backlog: LineDataset[] = runs.map(([r, color]) =>
    line(`${r.label}: queued + in flight`, seriesOf(samplesOf(r.trace), backlogOf), color, { borderWidth: 2.5 }),
  );
  const metric: LineDataset[] = runs.map(([r, color]) =>
    line(`${r.label}: scaler metric`, seriesOf(samplesOf(r.trace), (s) => s.metric), color, { borderWidth: 1.8, borderDash: [6, 5] }),
  );
  const replicas: LineDataset[] = runs.flatMap(([r, color], i) => [
    line(`${r.label}: desired`, seriesOf(samplesOf(r.trace), (s) => s.desired), color, {
      step: true,
      borderWidth: 6,
      borderColor: alpha(color, 0.35),
      backgroundColor: alpha(color, 0.35),
      order: 5 + i,
    }),
    line(`${r.label}: ready`, seriesOf(samplesOf(r.trace), (s) => s.ready), color, { step: true, borderWidth: 2.5, order: 1 + i }),
  ]);
  const latency: LineDataset[] = runs.flatMap(([r, color]) => {
    const lat = slidingLatency(samplesOf(r.trace), LATENCY_WINDOW_S, [50, 95]);
    return [
      line(`${r.label}: p50`, lat.get(50)!, color, { borderWidth: 2, borderDash: [8, 5] }),
      line(`${r.label}: p95`, lat.get(95)!, color, { borderWidth: 3 }),
    ];
  });
  const maxRep = Math.max(
    a.trace.header.scaling.maxReplicaCount,
    b.trace.header.scaling.maxReplicaCount,
    maxOf(samplesOf(a.trace), (s) => s.desired),
    maxOf(samplesOf(b.trace), (s) => s.desired),
  );
  const specs: ChartSpec[] = [
    {
      title: "Backlog: messages not yet settled",
      subtitle: tag,
      xMax,
      y: { title: "messages" },
      datasets: [...backlog, ...metric],
    },
    {
      title: "Replicas: desired (wide, light) and ready (thin)",
      subtitle: tag,
      xMax,
      y: { title: "replicas", integer: true, max: maxRep + 1 },
      datasets: replicas,
    },
    {
      title: "Latency p50 (dashed) and p95 (solid)",
      subtitle: `${tag} — trailing ${LATENCY_WINDOW_S} s window`,
      xMax,
      y: { title: "sojourn time (s)" },
      datasets: latency,
    },
  ];
  const out: string[] = [];
  for (let i = 0; i < specs.length; i++) out.push(await renderTo(specs[i], join(outDir, OVERLAY_FILES[i])));
  return out;
}
