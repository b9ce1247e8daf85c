// reports/bench/bench.png: four panels (items 1, 2+3, 4, 6 of issue 6) on one white canvas.
// Bars are medians; the black whiskers span min..max over the repetitions.
import { writeFile } from "node:fs/promises";
import { createCanvas } from "@napi-rs/canvas";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  SubTitle,
  Title,
  type ChartConfiguration,
  type Plugin,
} from "chart.js";
import { ensureFont, whiteBackground } from "../../reports/charts.js";
import type { Stat } from "./lib.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, LineController, LineElement, PointElement, Legend, Title, SubTitle);

const PANEL_W = 900;
const PANEL_H = 560;
const BLUE = "#0072B2";
const ORANGE = "#E69F00";
const GREEN = "#009E73";
const VERMILLION = "#D55E00";

/** What the PNG shows; a projection of results.json. */
export interface ChartInput {
  title: string;
  subtitle: string;
  heap: Array<{ size: number; pairsPerS: Stat }>;
  md10: { kedasim: Stat; simpy: Stat | null; simpySkipped: string | null; targetEventsPerS: number; ratio: number | null };
  burst: { runMs: number[]; seeds: number; batches: number; runsPerS: Stat; simulateRunsPerS: Stat };
  steady: { messages: number; peakRssMB: Stat; wallS: Stat; limitMB: number };
}


/** Min–max whiskers over bar datasets that carry `whiskers: Array<[min, max] | null>`. */
const whiskers: Plugin = {
  id: "benchWhiskers",
  afterDatasetsDraw(chart) {
    const ctx = chart.ctx;
    chart.data.datasets.forEach((ds, i) => {
      const w = (ds as unknown as { whiskers?: Array<[number, number] | null> }).whiskers;
      if (!w) return;
      const meta = chart.getDatasetMeta(i);
      const y = chart.scales[meta.yAxisID ?? "y"];
      meta.data.forEach((el, j) => {
        const mm = w[j];
        if (!mm) return;
        const x = el.x;
        const y0 = y.getPixelForValue(mm[0]);
        const y1 = y.getPixelForValue(mm[1]);
        ctx.save();
        ctx.strokeStyle = "#111111";
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x, y0);
        ctx.lineTo(x, y1);
        ctx.moveTo(x - 9, y0);
        ctx.lineTo(x + 9, y0);
        ctx.moveTo(x - 9, y1);
        ctx.lineTo(x + 9, y1);
        ctx.stroke();
        ctx.restore();
      });
    });
  },
};

function axis(title: string, extra: Record<string, unknown> = {}) {
  return { title: { display: true, text: title, font: { size: 15, weight: "bold" as const } }, grid: { color: "#e4e4e4" }, ticks: { font: { size: 14 } }, ...extra };
}

function base(title: string, subtitle: string): Record<string, unknown> {
  return {
    animation: false,
    responsive: false,
    devicePixelRatio: 1,
    layout: { padding: { left: 10, right: 18, top: 6, bottom: 8 } },
    plugins: {
      title: { display: true, text: title, font: { size: 18, weight: "bold" }, padding: { top: 6, bottom: 2 } },
      subtitle: { display: true, text: subtitle, font: { size: 14 }, color: "#444444", padding: { bottom: 8 } },
      legend: { position: "top", labels: { font: { size: 14 }, boxWidth: 26 } },
      tooltip: { enabled: false },
    },
  };
}

const fmt = (x: number, d = 1) => x.toFixed(d);

function heapPanel(inp: ChartInput): ChartConfiguration {
  const labels = inp.heap.map((h) => h.size.toLocaleString("en-US"));
  const ds = {
    type: "bar" as const,
    label: "median push+pop pairs/s (whiskers: min–max)",
    data: inp.heap.map((h) => h.pairsPerS.median / 1e6),
    whiskers: inp.heap.map((h): [number, number] => [h.pairsPerS.min / 1e6, h.pairsPerS.max / 1e6]),
    backgroundColor: BLUE,
    barPercentage: 0.6,
  };
  return {
    type: "bar",
    data: { labels, datasets: [ds as never] },
    options: {
      ...base("1 · Event queue: hold model on Environment", "pop the earliest event, its handler pushes one at now + Exp(1); heap size constant"),
      scales: { x: axis("heap size (pending events)"), y: axis("million push+pop pairs per second", { beginAtZero: true }) },
    } as never,
    plugins: [whiteBackground, whiskers],
  };
}

function md10Panel(inp: ChartInput): ChartConfiguration {
  const m = inp.md10;
  const labels = ["kedasim", m.simpy ? "SimPy" : "SimPy (skipped)"];
  const sub = m.simpy
    ? `M/D/10, λ = 1.8/s, D = 5 s; kedasim / SimPy = ${fmt(m.ratio ?? NaN)}× (medians)`
    : `M/D/10, λ = 1.8/s, D = 5 s; SimPy skipped: ${(m.simpySkipped ?? "").slice(0, 70)}`;
  const bars = {
    type: "bar" as const,
    label: "median events per wall second (whiskers: min–max)",
    data: [m.kedasim.median, m.simpy?.median ?? null],
    whiskers: [[m.kedasim.min, m.kedasim.max], m.simpy ? [m.simpy.min, m.simpy.max] : null],
    backgroundColor: [BLUE, ORANGE],
    barPercentage: 0.6,
  };
  const target = {
    type: "line" as const,
    label: `target: ${(m.targetEventsPerS / 1e6).toFixed(0)} million events/s`,
    data: [m.targetEventsPerS, m.targetEventsPerS],
    borderColor: VERMILLION,
    borderDash: [10, 6],
    borderWidth: 3,
    pointRadius: 0,
  };
  return {
    type: "bar",
    data: { labels, datasets: [bars as never, target as never] },
    options: {
      ...base("2–3 · Events per second, kedasim vs SimPy", sub),
      scales: {
        x: axis("engine"),
        y: axis("events per wall second (log scale)", {
          type: "logarithmic",
          min: 1e4,
          max: 1e8,
          // 1-3-10 ticks with k/M suffixes instead of chart.js's crowded log ticks.
          afterBuildTicks: (scale: { ticks: Array<{ value: number }> }) => {
            scale.ticks = [1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8].map((value) => ({ value }));
          },
          ticks: { font: { size: 14 }, callback: (v: number | string) => { const x = Number(v); return x >= 1e6 ? `${x / 1e6} M` : `${x / 1e3} k`; } },
        }),
      },
    } as never,
    plugins: [whiteBackground, whiskers],
  };
}

function burstPanel(inp: ChartInput): ChartConfiguration {
  const ms = [...inp.burst.runMs].sort((a, b) => a - b);
  // Histogram of per-run wall times: 24 bins from 0 to 4× the median; slower runs (GC pauses, other
  // load) go into the last bin, labelled "≥".
  const hi = Math.min(ms[ms.length - 1], 4 * stat50(ms)) || 1;
  const bins = 24;
  const width = hi / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const x of ms) counts[Math.min(bins - 1, Math.floor(x / width))]++;
  const labels = counts.map((_, i) => (i === bins - 1 ? `≥ ${fmt(i * width, 2)}` : fmt((i + 0.5) * width, 2)));
  const r = inp.burst.runsPerS;
  return {
    type: "bar",
    data: { labels, datasets: [{ label: `runs (seeds 1..${inp.burst.seeds}, ${inp.burst.batches} batches)`, data: counts, backgroundColor: GREEN, barPercentage: 1, categoryPercentage: 0.95 }] },
    options: {
      ...base(
        "4 · Seed burst (50 messages, KEDA + HPA): wall time per run",
        `median ${fmt(stat50(ms), 2)} ms per run; ${fmt(inp.burst.simulateRunsPerS.median, 0)} runs/s simulating, ${fmt(r.median, 0)} runs/s incl. resolveScenario (medians)`,
      ),
      scales: { x: axis("wall time of one run (ms, bin centre)"), y: axis("runs", { beginAtZero: true }) },
    } as never,
    plugins: [whiteBackground],
  };
}

function stat50(sorted: number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

function steadyPanel(inp: ChartInput): ChartConfiguration {
  const s = inp.steady;
  const bars = {
    type: "bar" as const,
    label: "peak RSS of the run's process, median (whiskers: min–max)",
    data: [s.peakRssMB.median],
    whiskers: [[s.peakRssMB.min, s.peakRssMB.max]],
    backgroundColor: [BLUE],
    barPercentage: 0.45,
  };
  const limit = {
    type: "line" as const,
    label: `limit: ${s.limitMB} MB`,
    data: [s.limitMB],
    borderColor: VERMILLION,
    borderDash: [10, 6],
    borderWidth: 3,
    pointRadius: 0,
  };
  // A one-category line draws nothing: draw the limit as a horizontal rule instead.
  const rule: Plugin = {
    id: "benchLimitRule",
    afterDatasetsDraw(chart) {
      const y = chart.scales.y.getPixelForValue(s.limitMB);
      const { left, right } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = VERMILLION;
      ctx.setLineDash([10, 6]);
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
      ctx.stroke();
      ctx.restore();
    },
  };
  return {
    type: "bar",
    data: { labels: [`${s.messages.toLocaleString("en-US")} messages`], datasets: [bars as never, limit as never] },
    options: {
      ...base("6 · Steady run with trace.jsonl + summary.json written", `wall time ${fmt(s.wallS.median)} s (min ${fmt(s.wallS.min)}, max ${fmt(s.wallS.max)}); charts skipped for this run`),
      scales: { x: axis("run"), y: axis("peak resident set size (MB)", { beginAtZero: true, suggestedMax: s.limitMB * 1.15 }) },
    } as never,
    plugins: [whiteBackground, whiskers, rule],
  };
}

/** Render the four panels in a 2×2 grid under a title; write a PNG. */
export async function renderBenchPng(inp: ChartInput, file: string): Promise<void> {
  ensureFont();
  const HEADER = 86;
  const big = createCanvas(PANEL_W * 2, PANEL_H * 2 + HEADER);
  const bctx = big.getContext("2d");
  bctx.fillStyle = "#ffffff";
  bctx.fillRect(0, 0, big.width, big.height);
  bctx.fillStyle = "#222222";
  bctx.textAlign = "center";
  bctx.font = `bold 26px "${Chart.defaults.font.family}"`;
  bctx.fillText(inp.title, big.width / 2, 36);
  bctx.font = `16px "${Chart.defaults.font.family}"`;
  bctx.fillStyle = "#444444";
  bctx.fillText(inp.subtitle, big.width / 2, 66);
  const panels = [heapPanel(inp), md10Panel(inp), burstPanel(inp), steadyPanel(inp)];
  for (let i = 0; i < panels.length; i++) {
    const c = createCanvas(PANEL_W, PANEL_H);
    const chart = new Chart(c.getContext("2d") as unknown as CanvasRenderingContext2D, panels[i]);
    try {
      bctx.drawImage(c, (i % 2) * PANEL_W, HEADER + Math.floor(i / 2) * PANEL_H);
    } finally {
      chart.destroy();
    }
  }
  bctx.strokeStyle = "#cccccc";
  bctx.lineWidth = 1;
  bctx.beginPath();
  bctx.moveTo(PANEL_W, HEADER);
  bctx.lineTo(PANEL_W, big.height);
  bctx.moveTo(0, HEADER + PANEL_H);
  bctx.lineTo(big.width, HEADER + PANEL_H);
  bctx.stroke();
  await writeFile(file, await big.encode("png"));
}
