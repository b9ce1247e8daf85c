import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatVectorReport, replayVectors, unsupportedFamilies, type VectorResult } from "./vectors.js";

const fixture = fileURLToPath(new URL("../fixtures/vectors/hpa-vectors.json", import.meta.url));
const json = JSON.parse(readFileSync(fixture, "utf8")) as { vectors: { source: string; inputs: unknown; expected: Record<string, unknown> }[] };

describe("upstream decision vectors", () => {
  const results = replayVectors(json);
  const count = (s: VectorResult["status"]) => results.filter((r) => r.status === s).length;

  it("replays every vector of the fixture", () => {
    expect(results).toHaveLength(json.vectors.length);
    expect(json.vectors.length).toBe(213);
  });

  it("has no failures and supports at least 90 % of the vectors", () => {
    const report = formatVectorReport(results);
    const failures = results.filter((r) => r.status === "fail");
    if (failures.length > 0) console.log(report);
    expect(failures.map((f) => `#${f.index} ${f.source}`)).toEqual([]);
    expect((results.length - count("unsupported")) / results.length).toBeGreaterThanOrEqual(0.9);
  });

  it("lists the unsupported vectors and unmodelled families with reasons", () => {
    const skipped = results.filter((r) => r.status === "unsupported");
    const lines = [
      `${count("pass")} passed, ${count("fail")} failed, ${skipped.length} unsupported`,
      ...skipped.map((r) => `  #${r.index} ${r.source}: ${r.why}`),
      "Not modelled (by design):",
      ...unsupportedFamilies().map((f) => `  ${f.family}: ${f.reason}`),
    ];
    console.log(lines.join("\n"));
    for (const r of skipped) expect(r.why ?? "").not.toBe("");
    for (const f of unsupportedFamilies()) expect(f.reason.length).toBeGreaterThan(10);
  });

  it("detects a wrong expectation in every vector (each replay can fail)", () => {
    const undetected: string[] = [];
    json.vectors.forEach((v, i) => {
      for (const k of Object.keys(v.expected)) {
        const e = structuredClone(v.expected);
        const x = e[k];
        if (typeof x === "number") e[k] = x + 1;
        else if (typeof x === "boolean") e[k] = !x;
        else if (typeof x === "string") e[k] = `${x}X`;
        else if (Array.isArray(x)) e[k] = x.length > 0 ? x.slice(1) : [1];
        else if (x && typeof x === "object") e[k] = { ...x, extra: 1 };
        else e[k] = "changed";
        const r = replayVectors({ vectors: [{ ...v, expected: e }] })[0];
        if (r.status !== "fail") undetected.push(`#${i}.${k}: ${r.status}`);
      }
    });
    expect(undetected).toEqual([]);
  });
});

describe("replayVectors robustness", () => {
  it("never throws on bad vectors: reports them unsupported with a reason", () => {
    const r = replayVectors({
      vectors: [
        null,
        { source: "x", inputs: {}, expected: {} },
        { source: "kedacore/keda pkg/scalers/kafka_scaler_test.go :: TestGetNextFactor", inputs: { totalLag: "many" }, expected: { factor: 1 } },
        { source: "kubernetes/kubernetes pkg/controller/podautoscaler/horizontal_test.go :: TestZeroReplicas", inputs: { minReplicas: 1, maxReplicas: 5, specReplicas: 0 }, expected: { desiredReplicas: 0, somethingNew: 1 } },
      ],
    });
    expect(r.map((x) => x.status)).toEqual(["unsupported", "unsupported", "unsupported", "unsupported"]);
    expect(r[1].why).toMatch(/no replay handler/);
    expect(r[2].why).toMatch(/totalLag/);
    expect(r[3].why).toMatch(/somethingNew/);
    expect(replayVectors("garbage")[0].status).toBe("unsupported");
  });

  it("formats one line per vector and an exact summary line", () => {
    const text = formatVectorReport([
      { index: 0, source: "a", status: "pass" },
      { index: 1, source: "b", status: "fail", expected: { x: 1 }, got: { x: 2 } },
      { index: 2, source: "c", status: "unsupported", why: "because" },
    ]);
    expect(text.split("\n")).toEqual(["PASS  #0 a", 'FAIL  #1 b: expected {"x":1} got {"x":2}', "SKIP  #2 c: because", "1 passed, 1 failed, 1 skipped"]);
  });
});
