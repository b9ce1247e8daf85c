// The benchmark's own plumbing on tiny sizes: outputs are well-formed. No timings are asserted here
// (speed targets live only in `npm run bench`).
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bigRun, brokersIn, burstBatch, heapHold, machine, runMd10, stat } from "./lib.js";
import { runBench, SMOKE, type BenchConfig } from "./bench.js";

describe("bench helpers", () => {
  it("stat: median, min, max", () => {
    expect(stat([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(stat([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(() => stat([])).toThrow();
  });

  it("machine: CPU model, cores, Node version", () => {
    const m = machine();
    expect(m.cpuModel.length).toBeGreaterThan(0);
    expect(m.cores).toBeGreaterThanOrEqual(1);
    expect(m.node).toMatch(/^v\d+\./);
  });

  it("finds real mode's brokers by their command lines (they lower the figures), and nothing else", () => {
    // As real/setup.sh starts them (arguments joined by spaces, shortened).
    const kafka = "java -Xms256m -Xmx512m -cp /root/.cache/kedasim/kafka-3.9.1/libs/* -Dlog4j.configuration=file:/x kafka.Kafka /root/.cache/kedasim/kafka-3.9.1/config/server.properties";
    const rabbit = "/usr/lib/erlang/erts-13.1.5/bin/beam.smp -W w -MBas ageffcbf -- -root /usr/lib/erlang -boot start_sasl -s rabbit boot -noshell -noinput";
    const nats = "nats-server -js -sd /root/.cache/kedasim/nats/js -a 127.0.0.1 -p 4222 -m 8222";
    expect(brokersIn([nats, "bash", rabbit, kafka])).toEqual(["Kafka", "RabbitMQ", "nats-server"]);
    expect(brokersIn(["/usr/sbin/nats-server -c /etc/nats.conf"])).toEqual(["nats-server"]);
    const bystanders = ["bash real/setup.sh --nats", "grep nats-server", "vim kafka.Kafka.md", "/usr/lib/erlang/erts-13.1.5/bin/epmd -daemon", "beam.smp -s elixir", "node --import tsx sim/bench/bench.ts"];
    expect(brokersIn(bystanders)).toEqual([]);
    expect(machine().brokersRunning).toEqual(expect.any(Array));
  });

  it("heap hold model keeps the heap size and returns a rate", () => {
    for (const size of [16, 1024]) expect(heapHold(size, 2000)).toBeGreaterThan(0);
  });

  it("M/D/10 through the scenario path: events, messages, a mean wait", () => {
    const r = runMd10(0.25, 1);
    expect(r.messages).toBeGreaterThan(1000);
    expect(r.events).toBeGreaterThan(2 * r.messages);
    expect(Number.isFinite(r.meanWaitS)).toBe(true);
  });

  it("seed burst batch: one time per seed, all 50 messages done", () => {
    const b = burstBatch(3);
    expect(b.runMs).toHaveLength(3);
    expect(b.runsPerS).toBeGreaterThan(0);
  });

  it("steady run in a child process reports peak RSS and the trace it wrote", () => {
    const b = bigRun(300);
    expect(b.messages).toBe(300);
    expect(b.peakRssMB).toBeGreaterThan(10);
    expect(b.traceLines).toBeGreaterThan(1);
    expect(b.traceBytes).toBeGreaterThan(100);
  });
});

describe("runBench (tiny, SimPy disabled)", () => {
  it("writes results.json with the six items and a PNG", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kedasim-bench-test-"));
    try {
      const cfg: BenchConfig = {
        ...SMOKE,
        heap: { sizes: [16], pairs: () => 2000, reps: 2 },
        md10: { hours: 0.1, simpyHours: 0.1, reps: 1 },
        burst: { seeds: 2, reps: 1 },
        pipeline: { reps: 1 },
        steady: { messages: 200, reps: 1 },
        sweep: { configs: 8, seeds: 2, reps: 1, workers: 2 },
        simpy: false,
      };
      const lines: string[] = [];
      await runBench(cfg, dir, (s) => lines.push(s));
      const res = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
      expect(res.items.map((i: { id: number }) => i.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      // item 7: the sweep ran 8 configurations × 2 seeds on 1 and on 2 workers, with the same figures
      expect(res.items[6]).toMatchObject({ configs: 8, seeds: 2, workersAll: 2, sameFigures: true });
      expect(res.items[6].runs.oneWorker[0]).toMatchObject({ workers: 1, runs: 16 });
      expect(res.items[6].runs.allCores[0]).toMatchObject({ workers: 2, runs: 16 });
      expect(res.items[6].speedup).toBeGreaterThan(0);
      expect(res.machine.cores).toBeGreaterThanOrEqual(1);
      expect(res.items[0].results[0].pairsPerS.n).toBe(2);
      expect(res.items[1].eventsPerS.median).toBeGreaterThan(0);
      expect(res.items[2]).toMatchObject({ status: "skipped", reason: "disabled by the caller" });
      expect(res.items[4]).toMatchObject({ status: "ok", reason: null });
      expect(res.items[4].runs[0].chunksCompleted).toBe(1000);
      expect(res.items[5].peakRssMB.median).toBeGreaterThan(0);
      const png = readFileSync(join(dir, "bench.png"));
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(lines.join("\n")).toContain("5. Seed 003 pipeline");
      // summary.md: the table the README carries, made from results.json (not copied by hand).
      const md = readFileSync(join(dir, "summary.md"), "utf8");
      expect(md).toContain("SMOKE");
      expect(md.includes("Also running:")).toBe(res.machine.brokersRunning.length > 0);
      expect(res.v8Flags).toEqual(["--max-inlined-bytecode-size-cumulative=3000"]);
      expect(md).toContain("V8 flags `--max-inlined-bytecode-size-cumulative=3000`");
      const md10Row = md.split("\n").find((l) => l.startsWith("| 2 | M/D/10"))!;
      expect(md10Row).toContain(`${(res.items[1].eventsPerS.median / 1e6).toFixed(2)} M`);
      expect(md10Row).toMatch(/\*\*(yes|no)\*\* \|$/);
      expect(md).toContain("| 3 | SimPy, same model | skipped: disabled by the caller |");
      const rssRow = md.split("\n").find((l) => l.includes("peak RSS"))!;
      expect(rssRow).toContain(`${Math.round(res.items[5].peakRssMB.median)} MB`);
      // header + separator, then rows: 1 heap size, 5 M/D/10, 1 SimPy (skipped), 3 burst, 1 pipeline, 2 steady, 4 sweep
      expect(md.split("\n").filter((l) => l.startsWith("| ")).length).toBe(2 + 1 + 5 + 1 + 3 + 1 + 2 + 4);
      expect(res.items[6].controlSpeedup.median).toBeGreaterThan(0);
      expect(md).toMatch(/\| 7 \| … speed-up, 2 workers ÷ 1 \(ratio of medians\); same figures for both: yes \| \*\*\d+\.\d\d×\*\* \|/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
