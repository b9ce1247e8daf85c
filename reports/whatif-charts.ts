// Charts of a sweep (issue 18): cost against latency p95 with the Pareto front, and a heat map over
// two varied fields. Pure functions of the sweep's table (chart.js on @napi-rs/canvas, like
// reports/charts.ts); every PNG has a title, axes with units and a legend (the heat map's legend is
// its colour bar).
import { writeFile } from "node:fs/promises";
import { createCanvas } from "@napi-rs/canvas";
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, SubTitle, Title, type ChartConfiguration, type Plugin } from "chart.js";
import { MatrixController, MatrixElement } from "chartjs-chart-matrix";
import { ensureFont, shorten, whiteBackground } from "./charts.js";
import { maxOf, minOf } from "./derive.js";

Chart.register(ScatterController, LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Title, SubTitle, MatrixController, MatrixElement);

const W = 1200;
const H = 700;
const C = { blue: "#0072B2", vermillion: "#D55E00", grey: "#8a8a8a", black: "#222222", green: "#009E73", orange: "#E69F00" };

export interface ParetoPoint {
  /** Latency p95 (mean over seeds), seconds. */
  p95: number;
  /** Cost (mean over seeds). */
  cost: number;
  label: string;
  front: boolean;
  baseline: boolean;
}

async function render(config: ChartConfiguration, file: string, w = W, h = H): Promise<string> {
  ensureFont();
  const canvas = createCanvas(w, h);
  const chart = new Chart(canvas.getContext("2d") as unknown as CanvasRenderingContext2D, config);
  try {
    await writeFile(file, await canvas.encode("png"));
  } finally {
    chart.destroy();
  }
  return file;
}

const axisTitle = (text: string) => ({ display: true, text, font: { size: 16, weight: "bold" as const } });

/** Labels next to the Pareto-front points (at most `max`, so the chart stays legible). */
function frontLabels(max: number): Plugin<"scatter"> {
  return {
    id: "frontLabels",
    afterDatasetsDraw(chart) {
      const ds = chart.data.datasets[1] as unknown as { data: Array<{ x: number; y: number; label?: string }> };
      const meta = chart.getDatasetMeta(1);
      const ctx = chart.ctx;
      const n = ds.data.length;
      const step = Math.max(1, Math.ceil(n / max));
      ctx.save();
      ctx.font = "13px " + (Chart.defaults.font.family ?? "sans-serif");
      ctx.fillStyle = C.black;
      meta.data.forEach((el, i) => {
        if (i % step !== 0 && i !== n - 1) return;
        const label = ds.data[i]?.label;
        if (!label) return;
        const x = el.x + 9;
        const y = el.y - 8;
        const text = shorten(label, 48);
        const wText = ctx.measureText(text).width;
        ctx.fillText(text, Math.min(x, chart.chartArea.right - wText - 2), Math.max(y, chart.chartArea.top + 12));
      });
      ctx.restore();
    },
  };
}

/** cost vs latency p95, one point per configuration; the Pareto front (nothing both cheaper and faster) joined and labelled. */
export async function renderPareto(points: readonly ParetoPoint[], o: { title: string; subtitle: string; costLabel: string }, file: string): Promise<string> {
  const finite = points.filter((p) => Number.isFinite(p.p95) && Number.isFinite(p.cost));
  // Configurations that tie exactly share one point and one label ("a | b", "+n more").
  const front: ParetoPoint[] = [];
  for (const p of finite.filter((q) => q.front).sort((a, b) => a.p95 - b.p95 || a.cost - b.cost)) {
    const same = front.find((q) => q.p95 === p.p95 && q.cost === p.cost);
    if (!same) front.push({ ...p, label: p.label });
    else {
      const n = (same as ParetoPoint & { ties?: number }).ties ?? 0;
      (same as ParetoPoint & { ties?: number }).ties = n + 1;
    }
  }
  for (const p of front as Array<ParetoPoint & { ties?: number }>) if (p.ties) p.label = `${p.label} (+${p.ties} tied)`;
  const others = finite.filter((p) => !p.front && !p.baseline);
  const base = finite.filter((p) => p.baseline);
  const xs = finite.map((p) => p.p95);
  const ys = finite.map((p) => p.cost);
  const pad = (lo: number, hi: number) => {
    const span = hi - lo || Math.max(1, Math.abs(hi));
    return { min: Math.max(0, lo - span * 0.05), max: hi + span * 0.08 };
  };
  const xr = xs.length ? pad(minOf(xs, (v: number) => v), maxOf(xs, (v: number) => v)) : { min: 0, max: 1 };
  const yr = ys.length ? pad(minOf(ys, (v: number) => v), maxOf(ys, (v: number) => v)) : { min: 0, max: 1 };
  const unplotted = points.length - finite.length;
  const config: ChartConfiguration<"scatter"> = {
    type: "scatter",
    data: {
      datasets: [
        { label: `configurations (${others.length})`, data: others.map((p) => ({ x: p.p95, y: p.cost })), backgroundColor: "rgba(138,138,138,0.55)", borderColor: C.grey, pointRadius: 4, pointStyle: "circle" },
        {
          label: `Pareto front (${finite.filter((p) => p.front).length}): nothing is both cheaper and faster`,
          data: front.map((p) => ({ x: p.p95, y: p.cost, label: p.label })) as never,
          showLine: true,
          borderColor: C.vermillion,
          backgroundColor: C.vermillion,
          borderWidth: 2.5,
          pointRadius: 7,
          pointStyle: "rectRot",
        },
        { label: "the scenario as written (baseline)", data: base.map((p) => ({ x: p.p95, y: p.cost })), backgroundColor: C.blue, borderColor: C.black, pointRadius: 11, pointStyle: "star", borderWidth: 2.5 },
      ],
    },
    options: {
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      layout: { padding: { left: 8, right: 24, top: 4, bottom: 6 } },
      scales: {
        x: { type: "linear", suggestedMin: xr.min, suggestedMax: xr.max, title: axisTitle("latency p95, mean over seeds (s)"), grid: { color: "#e4e4e4" }, ticks: { font: { size: 14 } } },
        y: { type: "linear", suggestedMin: yr.min, suggestedMax: yr.max, title: axisTitle(o.costLabel), grid: { color: "#e4e4e4" }, ticks: { font: { size: 14 } } },
      },
      plugins: {
        title: { display: true, text: o.title, font: { size: 20, weight: "bold" } },
        subtitle: { display: true, text: o.subtitle + (unplotted ? ` — ${unplotted} configuration(s) not plotted (p95 unbounded: work left undone, or invalid)` : ""), font: { size: 14 }, color: "#444444" },
        legend: { position: "top", labels: { usePointStyle: true, font: { size: 14 }, padding: 14 } },
        tooltip: { enabled: false },
      },
    },
    plugins: [whiteBackground as Plugin<"scatter">, frontLabels(12)],
  };
  return render(config as unknown as ChartConfiguration, file);
}

export interface HeatCell {
  x: string;
  y: string;
  /** null: this combination could not run (invalid), or was not in the sweep. */
  v: number | null;
}

/** Viridis-like ramp (perceptually ordered, colour-blind safe) at t in [0, 1]. */
export function ramp(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const u = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** Heat map of one figure over two varied fields, value printed in each cell, with a colour bar as its legend. */
export async function renderHeatmap(
  cells: readonly HeatCell[],
  o: { title: string; subtitle: string; xTitle: string; yTitle: string; xLabels: string[]; yLabels: string[]; valueTitle: string; format: (v: number) => string },
  file: string,
): Promise<string> {
  const vals = cells.map((c) => c.v).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = vals.length ? minOf(vals, (v: number) => v) : 0;
  const hi = vals.length ? maxOf(vals, (v: number) => v) : 1;
  const t = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const colour = (v: number | null) => (v === null ? "#dddddd" : !Number.isFinite(v) ? "#b00020" : ramp(t(v)));
  const nx = o.xLabels.length;
  const ny = o.yLabels.length;
  const BAR_W = 130;
  const cellText: Plugin<"matrix"> = {
    id: "cellText",
    afterDatasetsDraw(chart) {
      const meta = chart.getDatasetMeta(0);
      const ctx = chart.ctx;
      ctx.save();
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      const size = Math.max(10, Math.min(16, Math.floor(chart.chartArea.width / nx / 5)));
      ctx.font = `${size}px ${Chart.defaults.font.family ?? "sans-serif"}`;
      meta.data.forEach((el, i) => {
        const c = cells[i];
        const { x, y } = (el as unknown as { getCenterPoint(): { x: number; y: number } }).getCenterPoint();
        const dark = c.v === null || !Number.isFinite(c.v) || t(c.v) < 0.6;
        ctx.fillStyle = dark ? "#ffffff" : "#111111";
        if (c.v === null) ctx.fillStyle = "#555555";
        ctx.fillText(c.v === null ? "n/a" : Number.isFinite(c.v) ? o.format(c.v) : "∞", x, y);
      });
      ctx.restore();
    },
  };
  // The colour bar: the legend of a heat map (value → colour), drawn right of the plot area.
  const colourBar: Plugin<"matrix"> = {
    id: "colourBar",
    afterDraw(chart) {
      const ctx = chart.ctx;
      const a = chart.chartArea;
      const x0 = a.right + 40;
      const barW = 26;
      ctx.save();
      for (let py = 0; py < a.bottom - a.top; py++) {
        ctx.fillStyle = ramp(1 - py / (a.bottom - a.top));
        ctx.fillRect(x0, a.top + py, barW, 1);
      }
      ctx.strokeStyle = "#333333";
      ctx.strokeRect(x0, a.top, barW, a.bottom - a.top);
      ctx.fillStyle = "#222222";
      ctx.font = `14px ${Chart.defaults.font.family ?? "sans-serif"}`;
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      for (let k = 0; k <= 4; k++) {
        const v = lo + ((hi - lo) * k) / 4;
        const py = a.bottom - ((a.bottom - a.top) * k) / 4;
        ctx.fillText(o.format(v), x0 + barW + 6, py);
      }
      ctx.save();
      ctx.translate(x0 - 12, (a.top + a.bottom) / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center";
      ctx.font = `bold 15px ${Chart.defaults.font.family ?? "sans-serif"}`;
      ctx.fillText(o.valueTitle, 0, 0);
      ctx.restore();
      ctx.restore();
    },
  };
  const config = {
    type: "matrix",
    data: {
      datasets: [
        {
          label: o.valueTitle,
          data: cells.map((c) => ({ x: c.x, y: c.y, v: c.v })),
          backgroundColor: (ctx: { dataIndex: number }) => colour(cells[ctx.dataIndex]?.v ?? null),
          borderColor: "#ffffff",
          borderWidth: 1,
          width: ({ chart }: { chart: Chart }) => (chart.chartArea || { width: 0 }).width / nx - 2,
          height: ({ chart }: { chart: Chart }) => (chart.chartArea || { height: 0 }).height / ny - 2,
        },
      ],
    },
    options: {
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      layout: { padding: { left: 8, right: BAR_W, top: 4, bottom: 6 } },
      scales: {
        x: { type: "category", labels: o.xLabels, offset: true, title: axisTitle(o.xTitle), grid: { display: false }, ticks: { font: { size: 14 } } },
        y: { type: "category", labels: o.yLabels, offset: true, reverse: false, title: axisTitle(o.yTitle), grid: { display: false }, ticks: { font: { size: 14 } } },
      },
      plugins: {
        title: { display: true, text: o.title, font: { size: 20, weight: "bold" } },
        subtitle: { display: true, text: o.subtitle, font: { size: 14 }, color: "#444444" },
        legend: { display: false },
        tooltip: { enabled: false },
      },
    },
    plugins: [whiteBackground, cellText, colourBar],
  };
  return render(config as unknown as ChartConfiguration, file);
}
