// Measurements of `npm run bench` (issue 6). Each function measures one thing and returns numbers;
// bench.ts decides sizes and repetitions, prints, and writes results.json and bench.png.
// Timings live only here and in bench.ts, never in tests.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { Environment } from "../engine.js";
import { resolveScenario, type Scenario } from "../scenario/load.js";
import { simulate, simulateToDir } from "../run.js";
import { Simulation } from "../model/simulation.js";

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(BENCH_DIR, "../..");
export const MD10_FILE = join(BENCH_DIR, "scenarios/md10.yaml");
export const STEADY_FILE = join(BENCH_DIR, "scenarios/steady-10m.yaml");
export const BURST_FILE = join(REPO_ROOT, "fixtures/scenarios/seed-000-burst-50.yaml");
export const PIPELINE_FILE = join(REPO_ROOT, "fixtures/scenarios/seed-003-nats-at-most-once.yaml");
export const SIMPY_SCRIPT = join(BENCH_DIR, "md10_simpy.py");

/** Exact M/D/10 mean wait, λ = 1.8/s, D = 5 s (shared/reference oracles.json, case 7). */
export const MD10_EXACT_WQ = 1.72291;

// ---------------------------------------------------------------- statistics & machine

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stat(xs: readonly number[]): Stat {
  if (xs.length === 0) throw new RangeError("stat() of no values");
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s[s.length - 1], n: s.length };
}

export interface Machine {
  cpuModel: string;
  cores: number;
  node: string;
  platform: string;
  arch: string;
  totalMemoryGB: number;
  loadAverage1m: number;
  /** Real mode's local brokers running during the bench (see runningBrokers). */
  brokersRunning: string[];
}

export function machine(): Machine {
  let model = cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) model = m[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpuModel: model,
    cores: availableParallelism(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    totalMemoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
    brokersRunning: runningBrokers(),
  };
}

// Real mode's brokers (real/setup.sh starts them and leaves them running for the real-mode tests)
// take CPU even when idle (RabbitMQ's Erlang VM, Kafka's JVM), which lowers every figure here.
const BROKERS: ReadonlyArray<readonly [string, RegExp]> = [
  ["Kafka", /(^|\s)kafka\.Kafka(\s|$)/], // the JVM's main class
  ["RabbitMQ", /(^|\/)beam(\.smp)?\s.*\srabbit(\s|$)/], // the Erlang VM, booting the rabbit application
  ["nats-server", /(^|\/)nats-server(\s|$)/],
];

/** Which of real mode's brokers these process command lines (arguments joined by spaces) are, in a fixed order. */
export function brokersIn(cmdlines: readonly string[]): string[] {
  return BROKERS.filter(([, re]) => cmdlines.some((c) => re.test(c))).map(([name]) => name);
}

/** Real mode's brokers running on this machine now (Linux: /proc; elsewhere none are found). */
export function runningBrokers(): string[] {
  const cmdlines: string[] = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const pid of pids) {
    try {
      cmdlines.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim());
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return brokersIn(cmdlines);
}

// ---------------------------------------------------------------- scenarios

/** Read a scenario YAML and resolve it through the normal path, with top-level fields overridden. */
export function scenarioFrom(file: string, overrides: Record<string, unknown> = {}): Scenario {
  const raw = parseYaml(readFileSync(file, "utf8")) as Record<string, unknown>;
  return resolveScenario({ ...raw, ...overrides }, dirname(file), file);
}

// ---------------------------------------------------------------- item 1: event queue

/** 64 Ki exponential(1) increments from a fixed LCG, so the timed loop draws no random numbers. */
function increments(): Float64Array {
  const inc = new Float64Array(1 << 16);
  let x = 12345;
  for (let i = 0; i < inc.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    inc[i] = -Math.log(1 - x / 2 ** 32);
  }
  return inc;
}

/**
 * Hold model on the engine: fill the heap with `size` events, then `pairs` times pop the earliest
 * (Environment.step) and, from its handler, push a new one at now + Exp(1) (Environment.schedule).
 * The heap size stays constant. Returns push+pop pairs per wall second (handler dispatch included).
 */
export function heapHold(size: number, pairs: number): number {
  const env = new Environment(size + 16);
  const inc = increments();
  const mask = inc.length - 1;
  let k = 0;
  const kind = env.kind("hold", 0, () => {
    env.schedule(env.now + inc[k++ & mask], kind, 0);
  });
  for (let i = 0; i < size; i++) env.schedule(inc[k++ & mask] * size, kind, 0);
  for (let i = 0; i < Math.min(pairs, 50_000); i++) env.step(); // warm-up (JIT)
  const t0 = performance.now();
  for (let i = 0; i < pairs; i++) env.step();
  const s = (performance.now() - t0) / 1000;
  if (env.pending !== size) throw new Error(`hold model: heap size drifted to ${env.pending}`);
  return pairs / s;
}

// ---------------------------------------------------------------- item 2: M/D/10 in kedasim

/**
 * How a run consumes its trace. "run": new Simulation(sc).run() — every record is built and emitted
 * on the bus, nobody keeps it (what a long run whose outputs are aggregates needs). "simulate":
 * simulate(sc) — records collected in memory, as tests do; at 480 h that is ~200 000 records whose
 * per-minute latency histograms (~100 [bucket, count] pairs each) dominate the extra cost.
 */
export type Md10Mode = "run" | "simulate";

export interface Md10Run {
  mode: Md10Mode;
  hours: number;
  seed: number;
  events: number;
  messages: number;
  wallS: number;
  /** CPU time of the run (user + system of this process, GC threads included). */
  cpuS: number;
  eventsPerS: number;
  eventsPerCpuS: number;
  simHoursPerWallS: number;
  meanWaitS: number;
}

/** One M/D/10 run in this process: YAML → resolveScenario, then Simulation.run() or simulate(). */
export function runMd10(hours: number, seed: number, mode: Md10Mode = "run"): Md10Run {
  const sc = scenarioFrom(MD10_FILE, { duration: hours * 3600, seed });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = mode === "run" ? new Simulation(sc).run() : simulate(sc);
  const wallS = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const cpuS = (cu.user + cu.system) / 1e6;
  return {
    mode,
    hours,
    seed,
    events: out.events,
    messages: out.summary.messages.completed,
    wallS,
    cpuS,
    eventsPerS: out.events / wallS,
    eventsPerCpuS: out.events / cpuS,
    simHoursPerWallS: hours / wallS,
    meanWaitS: out.summary.latencyS.wait.mean ?? Number.NaN,
  };
}

/**
 * One M/D/10 run in a fresh Node process (node --import tsx bench.ts --child-md10 H SEED), as SimPy
 * runs in a fresh Python: no JIT feedback or heap left over from the other items, same footing.
 */
export function runMd10Child(hours: number, seed: number, mode: Md10Mode = "run"): Md10Run {
  return childJson(["--child-md10", String(hours), String(seed), mode]) as Md10Run;
}

function childJson(args: string[]): unknown {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(BENCH_DIR, "bench.ts"), ...args], {
    encoding: "utf8",
    cwd: REPO_ROOT,
    timeout: 900_000,
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0) throw new Error(`bench child ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

// ---------------------------------------------------------------- item 3: SimPy

export interface SimpyRun {
  hours: number;
  seed: number;
  messages: number;
  model_events: number;
  simpy_events: number;
  wall_s: number;
  cpu_s: number;
  mean_wait_s: number;
  simpy_version: string;
}

export function cacheDir(): string {
  return process.env.KEDASIM_CACHE || join(process.env.HOME || tmpdir(), ".cache/kedasim");
}

/**
 * A venv with SimPy under the cache dir (created and `pip install simpy` on first use).
 * Returns the venv's python, or the reason it could not be made.
 */
export function ensureSimpy(log: (s: string) => void = () => {}): { python: string } | { error: string } {
  const venv = join(cacheDir(), "bench-venv");
  const python = join(venv, "bin", "python");
  const run = (cmd: string, args: string[], timeoutMs: number) => spawnSync(cmd, args, { encoding: "utf8", timeout: timeoutMs });
  const hasSimpy = () => existsSync(python) && run(python, ["-c", "import simpy"], 30_000).status === 0;
  if (hasSimpy()) return { python };
  const py3 = run("python3", ["--version"], 10_000);
  if (py3.status !== 0) return { error: `python3 not found (${py3.error?.message ?? py3.stderr.trim()})` };
  if (!existsSync(python)) {
    log(`creating ${venv} (${py3.stdout.trim() || py3.stderr.trim()})`);
    const v = run("python3", ["-m", "venv", venv], 120_000);
    if (v.status !== 0) return { error: `python3 -m venv failed: ${(v.stderr || v.error?.message || "").trim().split("\n").slice(-2).join(" ")}` };
  }
  log("pip install simpy (from PyPI)");
  const pip = run(python, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "simpy"], 300_000);
  if (pip.status !== 0) return { error: `pip install simpy failed: ${(pip.stderr || pip.error?.message || "").trim().split("\n").slice(-2).join(" ")}` };
  if (!hasSimpy()) return { error: "simpy installed but cannot be imported" };
  return { python };
}

export function runSimpy(python: string, hours: number, seed: number): SimpyRun {
  const r = spawnSync(python, [SIMPY_SCRIPT, "--hours", String(hours), "--seed", String(seed)], { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`md10_simpy.py failed (${r.status}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as SimpyRun;
}

// ---------------------------------------------------------------- item 4: seed burst

export interface BurstBatch {
  seeds: number;
  /** Wall time of each simulate() call (ms). */
  runMs: number[];
  /** Wall time of the whole batch, scenario resolution (per seed: phases are drawn from it) included. */
  totalS: number;
  runsPerS: number;
  /** n / Σ runMs: runs per second of simulate() alone (scenario resolution excluded). */
  simulateRunsPerS: number;
  /** Mean wall time of resolveScenario per seed (ms): YAML manifests read and validated each time. */
  resolveMs: number;
  events: number;
}

/** The seed burst scenario for seeds 1..n, in memory (simulate(): records kept, no files). */
export function burstBatch(n: number): BurstBatch {
  const raw = parseYaml(readFileSync(BURST_FILE, "utf8")) as Record<string, unknown>;
  const dir = dirname(BURST_FILE);
  const runMs: number[] = [];
  let events = 0;
  const t0 = performance.now();
  for (let seed = 1; seed <= n; seed++) {
    const sc = resolveScenario({ ...raw, seed }, dir, BURST_FILE);
    const r0 = performance.now();
    const out = simulate(sc);
    runMs.push(performance.now() - r0);
    events += out.events;
    if (out.summary.messages.completed !== 50) throw new Error(`seed ${seed}: ${out.summary.messages.completed} of 50 messages completed`);
  }
  const totalS = (performance.now() - t0) / 1000;
  const simS = runMs.reduce((a, b) => a + b, 0) / 1000;
  return { seeds: n, runMs, totalS, runsPerS: n / totalS, simulateRunsPerS: n / simS, resolveMs: ((totalS - simS) * 1000) / n, events };
}

// ---------------------------------------------------------------- item 5: seed 003 pipeline

export interface PipelineRun {
  wallMs: number;
  events: number;
  chunksCompleted: number;
  simulatedSeconds: number;
}

/**
 * Seed 003's pipeline (fixtures/scenarios/seed-003-nats-at-most-once.yaml: 100 000 objects in chunks of
 * 100, fetcher → 10 mappers → saver over core NATS, 6 mapper crashes, resend after 60 s) through the
 * topology model: loadTopology (not timed) + simulateTopology in memory. Throws if the topology model
 * cannot be loaded (the caller reports the item as not available).
 */
export async function pipelineRuns(n: number): Promise<PipelineRun[]> {
  const { loadTopology, simulateTopology } = await import("../topology/run.js");
  const runs: PipelineRun[] = [];
  for (let i = 0; i < n; i++) {
    const sc = loadTopology(PIPELINE_FILE);
    const t0 = performance.now();
    const out = simulateTopology(sc);
    const wallMs = performance.now() - t0;
    runs.push({ wallMs, events: out.events, chunksCompleted: out.summary.messages.completed, simulatedSeconds: out.summary.simulatedSeconds });
  }
  return runs;
}

// ---------------------------------------------------------------- item 6: 10^7 messages, peak RSS

export interface BigRun {
  messages: number;
  events: number;
  wallS: number;
  peakRssMB: number;
  traceBytes: number;
  traceLines: number;
  eventsPerS: number;
}

/** Inside the child process: run the steady scenario to `dir` with the default outputs, no records kept. */
export function bigRunInChild(messages: number, dir: string): BigRun {
  const overrides: Record<string, unknown> = {};
  if (messages !== 10_000_000) {
    const raw = parseYaml(readFileSync(STEADY_FILE, "utf8")) as { producers: Array<Record<string, unknown>> };
    overrides.producers = [{ ...raw.producers[0], count: messages }];
    overrides.duration = Math.ceil(messages / 18 + 8 * Math.sqrt(messages) / 18 + 900);
  }
  const sc = scenarioFrom(STEADY_FILE, overrides);
  const t0 = performance.now();
  const out = simulateToDir(sc, dir, { keepRecords: false });
  const wallS = (performance.now() - t0) / 1000;
  const trace = join(dir, "trace.jsonl");
  const text = readFileSync(trace, "utf8");
  let lines = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
  if (out.summary.messages.completed !== messages) throw new Error(`steady run: ${out.summary.messages.completed} of ${messages} messages completed`);
  return {
    messages,
    events: out.events,
    wallS,
    // maxRSS is in KiB: the peak resident set of this whole process (Node, modules and the run).
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    traceBytes: statSync(trace).size,
    traceLines: lines,
    eventsPerS: out.events / wallS,
  };
}

/** Run bigRunInChild in a fresh Node process (so its peak RSS is the run's alone); files go to a temp dir. */
export function bigRun(messages: number): BigRun {
  const dir = mkdtempSync(join(tmpdir(), "kedasim-bench-"));
  try {
    return childJson(["--child-steady", String(messages), dir]) as BigRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
