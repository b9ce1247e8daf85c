import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCanvas, loadImage } from "@napi-rs/canvas";
import { CHART_HEIGHT, CHART_WIDTH } from "./charts.js";
import { buildTopologyReport, comparisonTables, narrateTopology, renderTopologyCharts, stageTrace, writeTopologyReport, TOPOLOGY_CHART_FILES, type TopologyRun } from "./topology.js";
import { parseTrace, type Summary } from "../sim/trace.js";
import { loadTopology, runTopologyToDir, simulateTopology } from "../sim/topology/run.js";

const SCENARIOS = resolve(import.meta.dirname, "../fixtures/scenarios");
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "kedasim-topology-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function run(name: string): { trace: { header: TopologyRun["header"]; records: ReturnType<typeof simulateTopology>["records"] }; summary: Summary; cmp: TopologyRun } {
  const scenario = loadTopology(join(SCENARIOS, `${name}.yaml`));
  const o = simulateTopology(scenario);
  return { trace: { header: o.header, records: o.records }, summary: o.summary, cmp: { header: o.header, summary: o.summary } };
}

async function ink(file: string, x0: number, y0: number, x1: number, y1: number): Promise<{ coloured: number; nonWhite: number }> {
  const img = await loadImage(readFileSync(file));
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(x0, y0, x1 - x0, y1 - y0).data;
  let coloured = 0;
  let nonWhite = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) nonWhite++;
    if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) coloured++;
  }
  return { coloured, nonWhite };
}

describe("topology report", () => {
  it("from the files runTopologyToDir writes (trace.jsonl, summary.json) alone: four readable topology charts, per-stage charts of scaled stages and report.md", async () => {
    const out = tmp();
    const scenario = loadTopology(join(SCENARIOS, "seed-004-rabbitmq-fanout.yaml"));
    const res = runTopologyToDir(scenario, out);
    // the report reads only what the run wrote (and the compared runs' header + summary)
    const written = parseTrace(readFileSync(join(out, "trace.jsonl"), "utf8"));
    const pngs = await renderTopologyCharts(written, out);
    writeTopologyReport(out, written, JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as Summary, pngs, res.compared);
    const trace = readFileSync(join(out, "trace.jsonl"), "utf8").trim().split("\n");
    expect(JSON.parse(trace[0]).stages.map((s: { name: string }) => s.name)).toEqual(["commandsservice", "searchservice"]);
    expect(trace.length - 1).toBe(res.records.length);
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).stages).toHaveLength(2);
    for (const f of TOPOLOGY_CHART_FILES) {
      const file = join(out, f);
      const buf = readFileSync(file);
      expect([buf.readUInt32BE(16), buf.readUInt32BE(20)]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
      expect((await ink(file, 110, 170, 1090, 520)).coloured, `${f} has data in the plot area`).toBeGreaterThan(500);
      expect((await ink(file, 0, 0, 5, 5)).nonWhite, `${f} has a white background`).toBe(0);
      // a title and a legend above the plot
      expect((await ink(file, 300, 5, 900, 90)).nonWhite).toBeGreaterThan(300);
    }
    for (const st of ["commandsservice", "searchservice"]) for (const f of ["metric.png", "replicas.png"]) readFileSync(join(out, `stage-${st}`, f));
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toMatch(/^# seed-004-rabbitmq-fanout — topology sim run \(seed 4\)/);
    expect(md).toContain("![Backlog per stage: messages waiting for or being processed by each stage](stages-backlog.png)");
    expect(md).toContain("(stage-searchservice/metric.png)");
    expect(md).toMatch(/Topic platforms is a fanout: .* commandsservice processed 300, searchservice processed 300 \(of 300 published\)/);
    // comparison with the work-queue contrast: 300 + 300 vs a split summing to 300
    const rows = md.split("\n").filter((l) => l.startsWith("| seed-004-"));
    expect(rows[0]).toMatch(/^\| seed-004-rabbitmq-fanout \| topic platforms: fanout to 2 subscriptions \(rabbitmq\) \| 300 \| 300 \| 300 \| 600 \|/);
    const work = rows[1].split("|").map((c) => c.trim());
    expect(Number(work[4]) + Number(work[5])).toBe(300);
    expect(Number(work[6].replace(/,/g, ""))).toBe(300);
  });

  it("seed 003: the per-mode table gives chunks lost, resent and duplicated, and whether every chunk was saved", () => {
    const modes = ["seed-003-nats-at-most-once", "seed-003-jetstream-at-least-once", "seed-003-nats-at-most-once-no-resend", "seed-003-app9-random-resend"].map((n) => run(n));
    const lines = comparisonTables(modes.map((m) => m.cmp));
    const row = (name: string) => lines.find((l) => l.startsWith(`| ${name} |`))!.split("|").map((c) => c.trim());
    // columns: scenario, transport, resend, chunks, sent, resent, lost, redelivered, duplicates, saved, every chunk saved
    const nats = row("seed-003-nats-at-most-once");
    expect(nats.slice(2, 12)).toEqual(["nats-core (at-most-once)", "after 60 s", "1,000", "1,000", "6", "6", "0", "0", "1,000", "yes"]);
    const js = row("seed-003-jetstream-at-least-once");
    expect(js.slice(2, 12)).toEqual(["jetstream (at-least-once)", "after 60 s", "1,000", "1,000", "0", "0", "6", "0", "1,000", "yes"]);
    expect(row("seed-003-nats-at-most-once-no-resend").slice(9, 12)).toEqual(["0", "994", "**no**"]);
    const app9 = row("seed-003-app9-random-resend");
    expect(Number(app9[9])).toBeGreaterThan(0);
    expect(app9[11]).toBe("yes");
    const text = narrateTopology(modes[0].trace, modes[0].summary).join("\n");
    expect(text).toMatch(/resent 6 unconfirmed chunks \(60 s without confirmation\)\. 6 chunk deliveries were lost, 0 redelivered by the broker; saver saved 1,000 distinct chunks: every chunk was saved\./);
  });

  it("seed 002: the report explains the partition cap and the idle consumers, and compares 1 and 6 partitions", () => {
    const one = run("seed-002-kafka-1-partition");
    const idle = run("seed-002-kafka-1-partition-idle-consumers");
    const six = run("seed-002-kafka-6-partitions");
    const t1 = narrateTopology(one.trace, one.summary).join("\n");
    expect(t1).toMatch(/log with 1 partition: .* at most 1 pod can be busy/);
    expect(t1).toMatch(/caps the lag it reports at lagThreshold × partitions = 10/);
    expect(t1).toMatch(/busy at 1/);
    const ti = narrateTopology(idle.trace, idle.summary).join("\n");
    expect(ti).toMatch(/ready at 10, busy at 1 — 9 replicas had no partition and stayed idle/);
    expect(ti).toMatch(/allowIdleConsumers is "true"/);
    const table = comparisonTables([one.cmp, idle.cmp, six.cmp]).join("\n");
    expect(table).toMatch(/\| seed-002-kafka-1-partition \| 1 \| false \| 2 \| 2 \| 1 \| 600 \|/);
    expect(table).toMatch(/\| seed-002-kafka-1-partition-idle-consumers \| 1 \| true \| 10 \| 10 \| 1 \| 600 \|/);
    expect(table).toMatch(/\| seed-002-kafka-6-partitions \| 6 \| false \| \d \| \d \| [2-6] \| 600 \|/);
    const md = buildTopologyReport(one.trace, one.summary, [], [idle.cmp, six.cmp]);
    expect(md).toContain("## Comparison");
    expect(md).toContain("| bindings-nodeapp | 600 | 600 | 0 | 0 | 0 | 2 | 1 |");
  });

  it("a stage's records make a single-queue trace for the standard charts", async () => {
    const one = run("seed-002-kafka-1-partition");
    const st = one.trace.header.stages![0];
    const view = stageTrace(one.trace, st);
    expect(view.header.scaling.triggerType).toBe("kafka");
    expect(view.records.every((r) => r.stage === "bindings-nodeapp")).toBe(true);
    const files = await renderTopologyCharts(one.trace, tmp(), { perStage: false });
    expect(files.map((f) => basename(f))).toEqual([...TOPOLOGY_CHART_FILES]);
  });
});
