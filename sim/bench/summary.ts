// summary.md of a bench run: a pure function of results.json (what the README's table is pasted
// from, so the two cannot drift apart by hand-copying). Every figure: median, min, max.
import type { Stat } from "./lib.js";

/** The parts of results.json this summary reads (bench.ts writes the whole object). */
export interface BenchResultsForSummary {
  mode: string;
  startedAt: string;
  machine: { cpuModel: string; cores: number; node: string; platform: string; arch: string; totalMemoryGB: number; brokersRunning?: string[] };
  loadAverage1m: { start: number; end: number };
  v8Flags?: string[];
  items: Array<Record<string, unknown> & { id: number }>;
}

type Fmt = (x: number) => string;
const mega: Fmt = (x) => `${(x / 1e6).toFixed(2)} M`;
const mega1: Fmt = (x) => `${(x / 1e6).toFixed(1)} M`;
const int: Fmt = (x) => Math.round(x).toLocaleString("en-US").replace(/,/g, " ");
const ms = (digits: number): Fmt => (x) => `${x.toFixed(digits)} ms`;
const sec = (digits: number): Fmt => (x) => `${x.toFixed(digits)} s`;
const mb: Fmt = (x) => `${Math.round(x)} MB`;

/** The Met? cell: no target (—), not measurable (n/a), yes or no. */
const metCell = (met: boolean | null | undefined): string => (met === undefined ? "—" : met === null ? "n/a" : met ? "**yes**" : "**no**");

function row(item: number | string, figure: string, s: Stat | null | undefined, f: Fmt, target = "—", met: boolean | null | undefined = undefined): string {
  const m = metCell(met);
  if (!s) return `| ${item} | ${figure} | n/a | | | ${target} | ${m} |`;
  return `| ${item} | ${figure} | ${f(s.median)} | ${f(s.min)} | ${f(s.max)} | ${target} | ${m} |`;
}

function item<T>(r: BenchResultsForSummary, id: number): T {
  const it = r.items.find((i) => i.id === id);
  if (!it) throw new Error(`results.json has no item ${id}`);
  return it as T;
}

interface HeapItem {
  results: Array<{ heapSize: number; pairsPerS: Stat }>;
}
interface Md10Item {
  simulatedHours: number;
  eventsPerS: Stat;
  eventsPerCpuS: Stat;
  simHoursPerWallS: Stat;
  wallS: Stat;
  eventsPerSWithRecordsInMemory: Stat;
  meanWaitS: { measured: number; exact: number; relativeError: number };
  target: { eventsPerS: number; met: boolean };
}
interface SimpyItem {
  status: string;
  reason: string | null;
  simulatedHours: number;
  simpy: { eventsPerS: Stat; heapEventsPerS: Stat; meanWaitS: number } | null;
  ratio: { eventsPerS: number | null; simHoursPerWallS: number | null; eventsPerCpuS: number | null };
  target: { ratio: number; met: boolean | null };
  runs: Array<{ simpy_version: string }>;
}
interface BurstItem {
  seeds: number;
  runMs: Stat;
  runMsPercentiles: { p90: number; p95: number; p99: number };
  simulateRunsPerS: Stat;
  runsPerS: Stat;
  batches: unknown[];
}
interface PipelineItem {
  status: string;
  reason: string | null;
  wallMs: Stat | null;
  target: { seconds: number; met: boolean | null };
}
interface SweepItem {
  configs: number;
  seeds: number;
  workersAll: number;
  runsPerS1: Stat;
  runsPerSAll: Stat;
  speedup: number;
  controlSpeedup?: Stat;
  sameFigures: boolean;
  target: { runsPerS: number; speedup: number; met: { runsPerS: boolean; speedup: boolean } };
}
interface SteadyItem {
  messages: number;
  wallS: Stat;
  peakRssMB: Stat;
  target: { peakRssMB: number; met: boolean };
}

/** The bench's summary.md: machine, then one table row per figure. */
export function benchSummaryMarkdown(r: BenchResultsForSummary): string {
  const heap = item<HeapItem>(r, 1);
  const md = item<Md10Item>(r, 2);
  const sp = item<SimpyItem>(r, 3);
  const burst = item<BurstItem>(r, 4);
  const pipe = item<PipelineItem>(r, 5);
  const steady = item<SteadyItem>(r, 6);
  const m = r.machine;
  const simpyVersion = sp.runs[0]?.simpy_version;
  const lines: string[] = [];
  lines.push(`# kedasim benchmark (${r.mode === "smoke" ? "SMOKE: tiny sizes, not representative" : "npm run bench"})`);
  lines.push("");
  lines.push(`Written by \`npm run bench\` from results.json (started ${r.startedAt}). Each figure: median, min and max over the repetitions.`);
  lines.push("");
  lines.push(
    `**Machine:** ${m.cpuModel} (${m.cores} vCPUs), ${m.totalMemoryGB} GB, ${m.platform} ${m.arch}, Node ${m.node}` +
      (simpyVersion ? `, SimPy ${simpyVersion}` : "") +
      (r.v8Flags && r.v8Flags.length > 0 ? `, V8 flags \`${r.v8Flags.join(" ")}\` (sim/jit.ts)` : "") +
      `. 1-minute load average ${r.loadAverage1m.start} at the start, ${r.loadAverage1m.end} at the end.` +
      (m.brokersRunning && m.brokersRunning.length > 0 ? ` Also running: ${m.brokersRunning.join(", ")} (real mode's brokers, which lower these figures).` : ""),
  );
  lines.push("");
  lines.push("| # | Figure | Median | Min | Max | Target | Met? |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- |");
  heap.results.forEach((h, i) =>
    lines.push(row(1, i === 0 ? `Event queue, hold model: push+pop pairs/s at heap size ${int(h.heapSize)}` : `… at heap size ${int(h.heapSize)}`, h.pairsPerS, mega1)),
  );
  lines.push(row(2, `M/D/10, ${md.simulatedHours} simulated hours: events per wall second`, md.eventsPerS, mega, `≥ ${mega1(md.target.eventsPerS).replace(".0 M", " M")}`, md.target.met));
  lines.push(row(2, "… events per CPU-second", md.eventsPerCpuS, mega));
  lines.push(row(2, "… simulated hours per wall second", md.simHoursPerWallS, int));
  lines.push(row(2, `… wall time per ${md.simulatedHours} h run`, md.wallS, sec(2)));
  lines.push(row(2, "… the same through `simulate()` (trace kept in memory): events/s", md.eventsPerSWithRecordsInMemory, mega));
  if (sp.simpy) {
    lines.push(row(3, "SimPy, same model: events/s (arrivals + departures)", sp.simpy.eventsPerS, mega));
    lines.push(row(3, "… SimPy heap events/s (everything SimPy schedules)", sp.simpy.heapEventsPerS, mega));
    const ratio = sp.ratio.eventsPerS;
    lines.push(`| 3 | kedasim / SimPy (ratio of medians): events per wall second | **${ratio === null ? "n/a" : ratio.toFixed(1) + "×"}** | | | ≥ ${sp.target.ratio}× | ${metCell(sp.target.met)} |`);
    const cpu = sp.ratio.eventsPerCpuS;
    const hours = sp.ratio.simHoursPerWallS;
    lines.push(`| 3 | … per CPU-second, and in simulated hours per wall second | ${cpu === null ? "n/a" : cpu.toFixed(1) + "×"}, ${hours === null ? "n/a" : hours.toFixed(1) + "×"} | | | | |`);
  } else lines.push(`| 3 | SimPy, same model | ${sp.status}: ${sp.reason ?? ""} | | | ≥ ${sp.target.ratio}× | n/a |`);
  lines.push(row(4, `Seed burst (50 messages, KEDA + HPA, 0→10→0): wall time per run`, burst.runMs, ms(3)));
  lines.push(row(4, `… runs/s of \`simulate()\` over ${int(burst.seeds)} seeds (${burst.batches.length} batches)`, burst.simulateRunsPerS, int));
  lines.push(row(4, "… runs/s including `resolveScenario` per seed", burst.runsPerS, int));
  lines.push(
    pipe.wallMs
      ? row(5, "Seed 003 pipeline (100 000 objects, chunks of 100, 10 mappers): wall time per run", pipe.wallMs, ms(1), `< ${pipe.target.seconds} s`, pipe.target.met)
      : `| 5 | Seed 003 pipeline | ${pipe.status}: ${pipe.reason ?? ""} | | | < ${pipe.target.seconds} s | n/a |`,
  );
  lines.push(row(6, `Steady run, ${int(steady.messages)} messages, trace.jsonl + summary.json written: wall time`, steady.wallS, sec(2)));
  lines.push(row(6, "… peak RSS of the process", steady.peakRssMB, mb, `< ${steady.target.peakRssMB} MB`, steady.target.met));
  const sw = r.items.some((i) => i.id === 7) ? item<SweepItem>(r, 7) : null;
  if (sw) {
    lines.push(row(7, `What-if sweep of the seed burst, ${int(sw.configs)} configs × ${sw.seeds} seeds: runs/s on 1 worker`, sw.runsPerS1, int));
    lines.push(row(7, `… on ${sw.workersAll} workers (all cores)`, sw.runsPerSAll, int, `≥ ${int(sw.target.runsPerS)}`, sw.target.met.runsPerS));
    lines.push(`| 7 | … speed-up, ${sw.workersAll} workers ÷ 1 (ratio of medians); same figures for both: ${sw.sameFigures ? "yes" : "**no**"} | **${sw.speedup.toFixed(2)}×** | | | ≥ ${sw.target.speedup}× | ${metCell(sw.target.met.speedup)} |`);
    if (sw.controlSpeedup) lines.push(row(7, `… control: a plain CPU loop on ${sw.workersAll} threads ÷ 1 thread, same invocation (what the machine gave)`, sw.controlSpeedup, (x) => `${x.toFixed(2)}×`));
  }
  lines.push("");
  const p = burst.runMsPercentiles;
  lines.push(`Seed burst run times: p90 ${ms(2)(p.p90)}, p95 ${ms(2)(p.p95)}, p99 ${ms(1)(p.p99)}. The maximum is the slowest single run (the first runs also carry the JIT's warm-up).`);
  const err = md.meanWaitS.relativeError * 100;
  lines.push(
    `M/D/10 mean wait over the kedasim runs: ${md.meanWaitS.measured.toFixed(4)} s against the exact ${md.meanWaitS.exact} s (${err >= 0 ? "+" : "−"}${Math.abs(err).toFixed(2)} %)` +
      (sp.simpy ? `; SimPy gives ${sp.simpy.meanWaitS.toFixed(4)} s.` : "."),
  );
  lines.push("");
  return lines.join("\n");
}
