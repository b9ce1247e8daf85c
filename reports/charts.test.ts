import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCanvas, loadImage } from "@napi-rs/canvas";
import { CHART_HEIGHT, CHART_WIDTH, axisEnd, niceStep, renderCharts, renderOverlay } from "./charts.js";
import { header, sample } from "./test-helpers/build.js";
import { synthRun } from "./test-helpers/synth.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "kedasim-charts-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngSize(buf: Buffer): { width: number; height: number } {
  expect([...buf.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  expect(buf.subarray(12, 16).toString("ascii")).toBe("IHDR");
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Pixel counts in a rectangle: non-white, and "coloured" (clearly not grey: data series, not axes or text). */
async function inkIn(file: string, x0: number, y0: number, x1: number, y1: number): Promise<{ nonWhite: number; coloured: number; total: number }> {
  const img = await loadImage(readFileSync(file));
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(x0, y0, x1 - x0, y1 - y0).data;
  let nonWhite = 0;
  let coloured = 0;
  for (let i = 0; i < d.length; i += 4) {
    const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
    if (r < 245 || g < 245 || b < 245) nonWhite++;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
  }
  return { nonWhite, coloured, total: d.length / 4 };
}

// plot area: right of the y axis, below title + legend, above the x axis (same for every chart)
const PLOT = { x0: 110, y0: 170, x1: 1090, y1: 520 };

describe("renderCharts", () => {
  it("writes four valid, non-blank 1200×600 PNGs with stable names", async () => {
    const out = tmp();
    const { trace } = synthRun({ serviceJitter: 0.3 });
    const files = await renderCharts(trace, out);
    expect(files.map((f) => basename(f))).toEqual(["metric.png", "replicas.png", "throughput.png", "latency.png"]);
    for (const f of files) {
      const buf = readFileSync(f);
      expect(pngSize(buf)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
      const ink = await inkIn(f, PLOT.x0, PLOT.y0, PLOT.x1, PLOT.y1);
      expect(ink.coloured, `${basename(f)} has data drawn in the plot area`).toBeGreaterThan(500);
      // the white background plugin ran: corners are opaque white, not transparent black
      const corner = await inkIn(f, 0, 0, 5, 5);
      expect(corner.nonWhite).toBe(0);
    }
  });

  it("renders text (a font is available): the title band has dark pixels", async () => {
    const out = tmp();
    const { trace } = synthRun();
    const [metric] = await renderCharts(trace, out);
    const title = await inkIn(metric, 350, 5, 850, 35);
    expect(title.nonWhite).toBeGreaterThan(300);
    // the x-axis title/ticks band too
    const xAxis = await inkIn(metric, 110, 540, 1090, 595);
    expect(xAxis.nonWhite).toBeGreaterThan(300);
  });

  it("does not crash on a trace with no completions, no polls and no scale events", async () => {
    const out = tmp();
    const trace = { header: header(), records: [sample(0), sample(1), sample(2, { queued: 3, produced: 3, metric: 3 })] };
    const files = await renderCharts(trace, out);
    expect(files).toHaveLength(4);
    for (const f of files) expect(pngSize(readFileSync(f)).width).toBe(CHART_WIDTH);
  });

  it("an empty replicas chart and a busy one differ in ink", async () => {
    const quiet = { header: header(), records: [0, 1, 2, 3].map((t) => sample(t * 100)) };
    const a = await renderCharts(quiet, tmp());
    const b = await renderCharts(synthRun().trace, tmp());
    const inkA = await inkIn(a[1], PLOT.x0, PLOT.y0, PLOT.x1, PLOT.y1);
    const inkB = await inkIn(b[1], PLOT.x0, PLOT.y0, PLOT.x1, PLOT.y1);
    expect(inkB.coloured).toBeGreaterThan(inkA.coloured + 2000);
  });
});

describe("renderOverlay", () => {
  it("writes the three compare PNGs", async () => {
    const out = tmp();
    const a = synthRun({ serviceJitter: 0.3 });
    const b = synthRun({ source: "real-local", seed: 3, serviceJitter: 0.3, firstPollS: 12, hpaDelayS: 3 });
    const files = await renderOverlay({ label: "sim", trace: a.trace }, { label: "real-local", trace: b.trace }, out);
    expect(files.map((f) => basename(f))).toEqual(["compare-backlog.png", "compare-replicas.png", "compare-latency.png"]);
    for (const f of files) {
      expect(pngSize(readFileSync(f))).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
      expect((await inkIn(f, PLOT.x0, PLOT.y0, PLOT.x1, PLOT.y1)).coloured).toBeGreaterThan(500);
    }
  });
});

describe("axis helpers", () => {
  it("niceStep gives at most 16 ticks and axisEnd lands on a tick", () => {
    for (const span of [1, 7, 59, 480, 1200, 3600, 21000, 86400 * 3]) {
      const step = niceStep(span);
      expect(span / step).toBeLessThanOrEqual(16);
      const end = axisEnd(span);
      expect(end).toBeGreaterThanOrEqual(span);
      expect(Number.isInteger(end / niceStep(span))).toBe(true);
    }
    expect(niceStep(480)).toBe(30);
  });
});
