// Real traffic in (issue 18): a message-rate series exported from Prometheus (the JSON body of a
// /api/v1/query_range call, e.g. for `sum(rate(messages_published_total[1m]))`) or a CSV of
// `timestamp,rate`, turned into the points of a `rate` producer (piecewise-linear between samples,
// Poisson arrivals by thinning; deterministic: true spaces them evenly). Times start at 0 at the
// first sample (plus offsetSeconds); rates are multiplied by `scale` (what if traffic doubles?).
//
// The query_range format is Prometheus' documented HTTP API: {"status": "success", "data":
// {"resultType": "matrix", "result": [{"metric": {...}, "values": [[<unix seconds>, "<value>"], ...]}]}}
// (prometheus/prometheus web/api/v1/api.go queryRange; sample values are strings, "NaN"/"+Inf"
// possible). We accept the whole response, its `data`, or the `result` list.
import { relative } from "node:path";
import { readText, ScenarioError } from "./load.js";
import { parseBoundedJson } from "./bounded-input.js";

export interface RateSeries {
  points: Array<[number, number]>;
  /** Seconds between the first two samples (the export's step), for messages. */
  stepSeconds: number;
  /** How many series were summed. */
  series: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Sorted, strictly increasing points shifted to start at `offset`, rates × scale. */
function finish(samples: Array<[number, number]>, scale: number, offset: number, where: string, displayFile: string): Array<[number, number]> {
  samples.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < samples.length; i++) {
    if (samples[i][0] === samples[i - 1][0]) throw new ScenarioError(displayFile, where, `two samples at the same time (${samples[i][0]})`);
  }
  if (samples.length < 2) throw new ScenarioError(displayFile, where, `expected at least two samples (a rate series), found ${samples.length}`);
  const t0 = samples[0][0];
  return samples.map(([t, r]) => [t - t0 + offset, r * scale] as [number, number]);
}

function rateValue(v: unknown, where: string, displayFile: string): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) {
    throw new ScenarioError(displayFile, where, `expected a non-negative finite rate (messages per second), got ${JSON.stringify(v)}${v === "NaN" ? " (Prometheus writes NaN where the rate had no data: fill the gap, e.g. with `or vector(0)` in the query)" : ""}`);
  }
  return n;
}

/** A Prometheus query_range export → rate points. `series`: which result to use (default: the sum of all, like sum()). */
export function readPrometheusRates(abs: string, scenarioFile: string, path: string, o: { series?: number; scale: number; offsetSeconds: number }): RateSeries {
  const displayFile = relative(process.cwd(), abs) || abs;
  const json = parseBoundedJson(readText(abs, scenarioFile, path), displayFile);
  let result: unknown = json;
  if (isObj(json) && "status" in json) {
    if (json.status !== "success") throw new ScenarioError(displayFile, "status", `the export is an error response (${String(json.errorType ?? json.status)}: ${String(json.error ?? "")})`);
    result = json.data;
  }
  if (isObj(result) && "resultType" in result) {
    if (result.resultType !== "matrix") throw new ScenarioError(displayFile, "data.resultType", `expected "matrix" (a query_range export), got ${JSON.stringify(result.resultType)}; an instant query (/api/v1/query) has no time series`);
    result = result.result;
  }
  if (!Array.isArray(result)) throw new ScenarioError(displayFile, "data.result", "expected a Prometheus query_range response: {status, data: {resultType: matrix, result: [{metric, values: [[t, \"v\"], ...]}]}}");
  if (result.length === 0) throw new ScenarioError(displayFile, "data.result", "the query returned no series (empty result)");
  const pick = o.series === undefined ? result.map((_, i) => i) : [o.series];
  if (o.series !== undefined && o.series >= result.length) throw new ScenarioError(scenarioFile, `${path.replace(/\.file$/, "")}.series`, `the export has ${result.length} series ([0]..[${result.length - 1}])`);
  const sum = new Map<number, number>();
  for (const i of pick) {
    const s = result[i];
    if (!isObj(s) || !Array.isArray(s.values)) throw new ScenarioError(displayFile, `data.result[${i}].values`, "expected a list of [unix seconds, \"value\"] pairs");
    s.values.forEach((pair, j) => {
      const where = `data.result[${i}].values[${j}]`;
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "number" || !Number.isFinite(pair[0])) throw new ScenarioError(displayFile, where, "expected [unix seconds, \"value\"]");
      const v = rateValue(pair[1], where, displayFile);
      sum.set(pair[0], (sum.get(pair[0]) ?? 0) + v);
    });
  }
  const points = finish([...sum.entries()], o.scale, o.offsetSeconds, "data.result", displayFile);
  return { points, stepSeconds: points[1][0] - points[0][0], series: pick.length };
}

/** A CSV of timestamp,rate (header optional; timestamps in seconds, milliseconds, or ISO 8601 dates) → rate points. */
export function readRateCsv(
  abs: string,
  scenarioFile: string,
  path: string,
  o: { timeColumn?: string; rateColumn?: string; timeUnit: "s" | "ms"; scale: number; offsetSeconds: number },
): RateSeries {
  const displayFile = relative(process.cwd(), abs) || abs;
  const lines = readText(abs, scenarioFile, path, "csv")
    .split(/\r?\n/)
    .map((l, i) => ({ l, n: i + 1 }))
    .filter(({ l }) => l.trim() !== "" && !l.trim().startsWith("#"));
  if (lines.length === 0) throw new ScenarioError(displayFile, "", "empty file (expected lines of timestamp,rate)");
  const cells = (l: string) => l.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
  const first = cells(lines[0].l);
  const hasHeader = first.length >= 2 && Number.isNaN(Number(first[1]));
  let tc = 0;
  let rc = 1;
  if (o.timeColumn !== undefined || o.rateColumn !== undefined) {
    if (!hasHeader) throw new ScenarioError(scenarioFile, path.replace(/\.file$/, ""), `timeColumn/rateColumn need a header line in ${displayFile}`);
    const find = (name: string, field: string) => {
      const k = first.indexOf(name);
      if (k < 0) throw new ScenarioError(scenarioFile, `${path.replace(/\.file$/, "")}.${field}`, `column "${name}" not in the CSV header (${first.join(", ")})`);
      return k;
    };
    if (o.timeColumn !== undefined) tc = find(o.timeColumn, "timeColumn");
    if (o.rateColumn !== undefined) rc = find(o.rateColumn, "rateColumn");
  }
  const samples: Array<[number, number]> = [];
  for (const { l, n } of lines.slice(hasHeader ? 1 : 0)) {
    const c = cells(l);
    const ts = c[tc];
    let t: number;
    if (ts !== undefined && /^-?\d+(\.\d+)?$/.test(ts)) t = Number(ts) / (o.timeUnit === "ms" ? 1000 : 1);
    else {
      const d = ts === undefined ? NaN : Date.parse(ts);
      if (!Number.isFinite(d)) throw new ScenarioError(displayFile, `line ${n}`, `expected a timestamp (seconds, or an ISO 8601 date such as 2026-05-01T12:00:00Z), got "${ts ?? ""}"`);
      t = d / 1000;
    }
    samples.push([t, rateValue(c[rc], `line ${n}`, displayFile)]);
  }
  const points = finish(samples, o.scale, o.offsetSeconds, "", displayFile);
  return { points, stepSeconds: points[1][0] - points[0][0], series: 1 };
}
