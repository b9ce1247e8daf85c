import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadScenario, ScenarioError } from "./load.js";
import { readPrometheusRates, readRateCsv } from "./replay.js";
import { simulate } from "../run.js";
import { thrown } from "../triggers/test-helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");
const EXPORT = join(ROOT, "fixtures/traffic/prometheus-orders-rate.json");

const prom = (result: unknown) => JSON.stringify({ status: "success", data: { resultType: "matrix", result } });

function withFile<T>(name: string, text: string, f: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "kedasim-replay-"));
  try {
    const file = join(dir, name);
    writeFileSync(file, text);
    return f(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const err = (f: () => unknown): ScenarioError => thrown(ScenarioError, f);

describe("replay producers", () => {
  it("Prometheus query_range: times from 0, rates × scale, several series summed unless one is picked", () => {
    const two = prom([
      { metric: { a: "1" }, values: [[1000, "1"], [1030, "2"], [1060, "0.5"]] },
      { metric: { a: "2" }, values: [[1000, "1"], [1030, "1"], [1060, "1"]] },
    ]);
    withFile("x.json", two, (f) => {
      expect(readPrometheusRates(f, "s.yaml", "producers[0].file", { scale: 2, offsetSeconds: 5 }).points).toEqual([[5, 4], [35, 6], [65, 3]]);
      expect(readPrometheusRates(f, "s.yaml", "producers[0].file", { series: 1, scale: 1, offsetSeconds: 0 }).points).toEqual([[0, 1], [30, 1], [60, 1]]);
      expect(err(() => readPrometheusRates(f, "s.yaml", "producers[0].file", { series: 2, scale: 1, offsetSeconds: 0 })).message).toMatch(/producers\[0\]\.series: the export has 2 series/);
    });
    withFile("x.json", prom([{ metric: {}, values: [[1, "1"], [2, "NaN"]] }]), (f) => expect(err(() => readPrometheusRates(f, "s", "p", { scale: 1, offsetSeconds: 0 })).message).toMatch(/data\.result\[0\]\.values\[1\].*NaN.*or vector\(0\)/));
    withFile("x.json", JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error" }), (f) => expect(err(() => readPrometheusRates(f, "s", "p", { scale: 1, offsetSeconds: 0 })).message).toMatch(/error response \(bad_data: parse error\)/));
    withFile("x.json", JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } }), (f) => expect(err(() => readPrometheusRates(f, "s", "p", { scale: 1, offsetSeconds: 0 })).message).toMatch(/expected "matrix"/));
    withFile("x.json", "{not json", (f) => expect(err(() => readPrometheusRates(f, "s", "p", { scale: 1, offsetSeconds: 0 })).message).toMatch(/not valid JSON/));
    withFile("x.json", prom([{ metric: {}, values: [[1, "1"]] }]), (f) => expect(err(() => readPrometheusRates(f, "s", "p", { scale: 1, offsetSeconds: 0 })).message).toMatch(/at least two samples/));
  });

  it("CSV of timestamp,rate: seconds, milliseconds or ISO dates; named columns; bad lines named", () => {
    withFile("r.csv", "timestamp,rate\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,3\n", (f) => expect(readRateCsv(f, "s", "p", { timeUnit: "s", scale: 1.5, offsetSeconds: 0 }).points).toEqual([[0, 1.5], [60, 4.5]]));
    withFile("r.csv", "1700000000000,2\n1700000010000,4\n", (f) => expect(readRateCsv(f, "s", "p", { timeUnit: "ms", scale: 1, offsetSeconds: 0 }).points).toEqual([[0, 2], [10, 4]]));
    withFile("r.csv", "rps,when\n2,100\n4,110\n", (f) => expect(readRateCsv(f, "s", "p", { timeColumn: "when", rateColumn: "rps", timeUnit: "s", scale: 1, offsetSeconds: 0 }).points).toEqual([[0, 2], [10, 4]]));
    withFile("r.csv", "t,rate\n0,1\n10,-3\n", (f) => expect(err(() => readRateCsv(f, "s", "p", { timeUnit: "s", scale: 1, offsetSeconds: 0 })).message).toMatch(/line 3: expected a non-negative finite rate/));
    withFile("r.csv", "t,rate\nyesterday,1\n10,3\n", (f) => expect(err(() => readRateCsv(f, "s", "p", { timeUnit: "s", scale: 1, offsetSeconds: 0 })).message).toMatch(/line 2: expected a timestamp/));
  });

  it("the shipped export as a scenario: scale 2 doubles the traffic", () => {
    const dir = mkdtempSync(join(tmpdir(), "kedasim-replay-sc-"));
    try {
      const sc = (scale: number, type = "prometheus", file = EXPORT) => {
        const f = join(dir, `s${scale}${type}.yaml`);
        writeFileSync(
          f,
          JSON.stringify({
            name: "replay",
            seed: 3,
            producers: [{ type, file, scale, deterministic: true }],
            consumer: { processingTime: 1 },
            manifests: [join(ROOT, "fixtures/manifests/rabbitmq/scaledobject-http.yaml")],
          }),
        );
        return loadScenario(f);
      };
      const one = sc(1);
      expect(one.producers[0]).toMatchObject({ type: "rate", deterministic: true });
      const n1 = simulate(one).summary.messages.produced;
      const n2 = simulate(sc(2)).summary.messages.produced;
      // ∫ rate dt of the export (trapezoids) ≈ 8 8xx messages; deterministic arrivals follow it to within one
      expect(n1).toBeGreaterThan(8500);
      expect(Math.abs(n2 - 2 * n1)).toBeLessThanOrEqual(2);
      const csv = sc(1, "rate-csv", join(ROOT, "fixtures/traffic/orders-rate.csv"));
      expect(Math.abs(simulate(csv).summary.messages.produced - n1) / n1).toBeLessThan(0.05);
      // the shipped scenario loads and runs
      const shipped = simulate(loadScenario(join(ROOT, "fixtures/scenarios/replay-prometheus-orders.yaml")));
      expect(shipped.summary.messages.completed).toBe(shipped.summary.messages.produced);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("schema: scale must be positive, unknown fields are errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "kedasim-replay-bad-"));
    try {
      const f = join(dir, "s.yaml");
      writeFileSync(f, JSON.stringify({ name: "r", producers: [{ type: "prometheus", file: EXPORT, scale: 0 }], manifests: [join(ROOT, "fixtures/manifests/rabbitmq/scaledobject-http.yaml")] }));
      expect(err(() => loadScenario(f)).path).toBe("producers[0].scale");
      writeFileSync(f, JSON.stringify({ name: "r", producers: [{ type: "rate-csv", file: "x.csv", scal: 2 }], manifests: [join(ROOT, "fixtures/manifests/rabbitmq/scaledobject-http.yaml")] }));
      expect(err(() => loadScenario(f)).expected).toMatch(/unknown field "scal"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
