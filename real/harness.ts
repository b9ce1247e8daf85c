// Real mode: run a scenario against live daprd sidecars and a real RabbitMQ, in wall-clock time
// scaled by k, and record the same Trace (times in scenario seconds = wall seconds since start ÷ k)
// and Summary as the simulator.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Simulation } from "../sim/model/simulation.js";
import { stream } from "../sim/rng.js";
import type { Scenario } from "../sim/scenario/load.js";
import { timeScaled } from "../sim/scenario/time-scale.js";
import { round6, scaleRecords, serializeRecord, type SampleRecord, type Summary, type TraceHeader, type TraceRecord } from "../sim/trace.js";
import type { ResultEvent } from "./apps/common.js";
import { Broker, readStatsTiming, tuneStatsTiming, type StatsTiming } from "./broker.js";
import { writeResources } from "./components.js";
import { daprdNotes, describeDaprd, probeDaprd, unsupportedDaprd, type DaprdInfo } from "./daprd-flags.js";
import { RealEnvError, SETUP_HINT, brokerUrls, checkAmqp, checkMgmt, findDaprd } from "./env.js";
import { Ledger } from "./ledger.js";
import { APPS_DIR, Pair, PairStartError } from "./pair.js";
import { ChildRegistry, sleep } from "./procs.js";
import type { StartupSample } from "./replicas.js";
import { QueueReader, readModeOf } from "./scaler.js";
import type { ScalingBackend } from "./backend.js";
import { RealInputError, RealInterrupted } from "./errors.js";
import { LocalBackend } from "./local-backend.js";
import { restReplicasOf } from "../sim/model/deployment.js";

export { RealInputError, RealInterrupted };

export interface RealOptions {
  scenario: Scenario;
  timeScale: number;
  outDir: string;
  runId?: string;
  progress?: (line: string) => void;
  /** Give up (error) after this many wall seconds. */
  wallTimeoutS?: number;
  /** Abort (Ctrl-C): every child is stopped, then runReal rejects with RealInterrupted. */
  signal?: AbortSignal;
  /** Lower RabbitMQ's management stats interval to 1 s at runtime when it is slower (default true). */
  tuneBrokerStats?: boolean;
  /** Who scales and runs the replicas (default: real-local, real/local-backend.ts). */
  backend?: ScalingBackend;
}

export interface RealResult {
  header: TraceHeader;
  records: TraceRecord[];
  summary: Summary;
  startups: StartupSample[];
  /** The backend that ran the replicas (its notes, its inputs for the comparison). */
  backend: ScalingBackend;
  /** How often the management API refreshed queue counts during the run (ms; 5000 assumed when unknown). */
  statsIntervalMs: number;
  statsTiming: StatsTiming;
  runId: string;
  wallSeconds: number;
}

/** One POST /MessageProducer of the run. */
interface Post {
  at: number; // scenario seconds
  count: number;
  intervalMs: number; // wall
}

/** Check that real mode can run this scenario; returns the producer POSTs (scenario times). */
export function planRun(s: Scenario, k: number): { posts: Post[]; total: number; warnings: string[] } {
  const warnings: string[] = [];
  if (s.scaledJob) throw new RealInputError(`${s.file}: a ScaledJob scenario; real mode runs a ScaledObject's loops against a Deployment-like set of replicas only (ScaledJobs in real mode: issue #16, not yet)`);
  if (s.queue.broker !== "rabbitmq") throw new RealInputError(`${s.file}: real mode runs against a local RabbitMQ; this scenario's broker is ${s.queue.broker} (use a rabbitmq trigger / bindings.rabbitmq component)`);
  s.scaledObject.triggers.forEach((t, i) => {
    if (t.type !== "rabbitmq") throw new RealInputError(`${s.file}: spec.triggers[${i}] is ${t.type}; real mode supports rabbitmq triggers only`);
  });
  if (s.consumer.concurrency !== 1) throw new RealInputError(`${s.file}: consumer.concurrency ${s.consumer.concurrency}: the Dapr RabbitMQ binding hands a sidecar one message at a time, so real mode needs concurrency 1`);
  if (s.consumer.crashRatePerHour > 0) warnings.push("consumer.faults.crashRatePerHour is not reproduced in real mode (kills are)");
  const dist = s.consumer.schedulingDelay;
  if (!(dist.dist === "constant" && dist.value === 0)) warnings.push("consumer.schedulingDelay is not reproduced in real mode: a replica's real startup is measured instead");
  const posts: Post[] = [];
  s.producers.forEach((p, i) => {
    switch (p.type) {
      case "burst":
        if (p.count > 0) posts.push({ at: p.at, count: p.count, intervalMs: 0 });
        break;
      case "interval":
        if (p.count > 0) posts.push({ at: p.at, count: p.count, intervalMs: p.intervalSeconds * 1000 * k });
        break;
      case "times": {
        const times = p.times;
        for (let j = 0; j < times.length; ) {
          let n = 1;
          while (j + n < times.length && times[j + n] === times[j]) n++;
          posts.push({ at: times[j], count: n, intervalMs: 0 });
          j += n;
        }
        break;
      }
      case "poisson": {
        // The simulator's arrivals exactly: same stream, same inversion.
        const u = stream(s.seed, `arrivals-${i}`);
        const until = p.until ?? s.duration ?? Infinity;
        let remaining = p.count ?? Infinity;
        let t = p.from;
        while (remaining > 0) {
          t = t - Math.log(1 - u()) / p.ratePerSecond;
          if (t >= until) break;
          posts.push({ at: t, count: 1, intervalMs: 0 });
          remaining--;
          if (posts.length > 1_000_000) throw new RealInputError(`${s.file}: producers[${i}] yields more than 10^6 messages; too many for real mode`);
        }
        break;
      }
      default:
        throw new RealInputError(`${s.file}: producers[${i}] type "${p.type}" is not supported in real mode (use burst, interval, poisson or csv)`);
    }
  });
  posts.sort((a, b) => a.at - b.at);
  const total = posts.reduce((n, p) => n + p.count, 0);
  if (total === 0) throw new RealInputError(`${s.file}: the producers send no messages`);
  return { posts, total, warnings };
}

function newRunId(): string {
  return `r${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, "0")}`;
}

// ---------------------------------------------------------------- the run, phase by phase

/** What the prerequisite checks found: daprd, the broker, and how often its management API refreshes counts. */
interface Prerequisites {
  daprd: string;
  /** What that daprd supports (its --version and --help). */
  daprdInfo: DaprdInfo;
  urls: ReturnType<typeof brokerUrls>;
  rabbitmq: string | null;
  stats: StatsTiming;
  /** The stats interval was lowered at runtime. */
  tuned: boolean;
}

/** Phase 1: daprd and RabbitMQ (AMQP and the management API) are there; fast, clear errors. */
async function checkPrerequisites(o: RealOptions, backend: ScalingBackend, say: (l: string) => void): Promise<Prerequisites> {
  const k = o.timeScale;
  const d = findDaprd();
  if (!d.path) throw new RealEnvError(d.why);
  let daprdInfo: DaprdInfo;
  try {
    daprdInfo = probeDaprd(d.path);
  } catch (e) {
    throw new RealEnvError(`cannot use daprd ${d.path}: ${(e as Error).message} (${SETUP_HINT}, or set DAPRD=/path/to/daprd)`);
  }
  const unsupported = unsupportedDaprd(daprdInfo);
  if (unsupported) throw new RealEnvError(`${unsupported} (${SETUP_HINT} builds one, or set DAPRD=/path/to/daprd)`);
  const urls = brokerUrls();
  const [amqpErr, mgmt] = await Promise.all([checkAmqp(urls.amqp), checkMgmt(urls)]);
  if (amqpErr) throw new RealEnvError(`${amqpErr} — is RabbitMQ running? (npm run real:setup)`);
  if (mgmt.error) throw new RealEnvError(`${mgmt.error} — KEDA's HTTP mode and the sampler need it (npm run real:setup)`);
  await backend.preflight?.();
  // The management API (KEDA's HTTP mode) refreshes queue counts every collect_statistics_interval
  // (5 s by default) — 5/k scenario seconds at time scale k. Tune it down to 1 s if we can.
  let stats: StatsTiming = await readStatsTiming();
  let tuned = false;
  if (o.tuneBrokerStats !== false && stats.source === "rabbitmqctl" && stats.effectiveMs > 1000) {
    tuned = await tuneStatsTiming();
    if (tuned) stats = await readStatsTiming();
  }
  const statsMs = stats.effectiveMs;
  say(
    `${describeDaprd(daprdInfo)}; RabbitMQ ${mgmt.version ?? "?"}; management API refreshes queue counts every ${statsMs} ms = ${(statsMs / 1000 / k).toFixed(1)} s scenario` +
      (tuned ? " (tuned at runtime from RabbitMQ's 5 s default)" : stats.source === "rabbitmqctl" ? "" : ` (${stats.source})`),
  );
  return { daprd: d.path, daprdInfo, urls, rabbitmq: mgmt.version ?? null, stats, tuned };
}

/** Scenario time: seconds since t = 0 divided by k; timers at scenario times. */
class Clock {
  private t0Perf = Number.NaN;
  private timers = new Set<NodeJS.Timeout>();

  constructor(private readonly k: number) {}

  /** t = 0 is now, or — aligned — the next whole second of the wall clock, exactly (Kubernetes timestamps are whole seconds). */
  async start(alignToWholeSecond = false): Promise<void> {
    if (!alignToWholeSecond) {
      this.t0Perf = performance.now();
      return;
    }
    const at = Math.ceil((performance.timeOrigin + performance.now()) / 1000) * 1000 - performance.timeOrigin;
    await sleep(Math.max(0, at - performance.now()));
    this.t0Perf = at;
  }

  /** Scenario seconds of a performance.now() reading (0 before t = 0). */
  at(perfMs: number): number {
    return Number.isNaN(this.t0Perf) ? 0 : (perfMs - this.t0Perf) / 1000 / this.k;
  }

  now(): number {
    return Number.isNaN(this.t0Perf) ? 0 : (performance.now() - this.t0Perf) / 1000 / this.k;
  }

  /** performance.now() of scenario time t. */
  wallAt(t: number): number {
    return this.t0Perf + t * this.k * 1000;
  }

  /** Epoch ms (the apps' timestamps) → scenario seconds. */
  scen(epochMs: number): number {
    return (epochMs - (performance.timeOrigin + this.t0Perf)) / 1000 / this.k;
  }

  /** Run fn at scenario time t. */
  later(t: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, Math.max(0, this.wallAt(t) - performance.now()));
    this.timers.add(timer);
  }

  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** A failure from a callback (a crashed app, a failed POST) or an interrupt: it wakes the sample loop. */
class RunControl {
  private fatalError: Error | null = null;
  private wake: () => void = () => undefined;
  /** Rejects with RealInterrupted when the run is aborted (to race long waits against). */
  readonly interrupted: Promise<never>;
  private readonly onAbort = () => this.wake();

  constructor(private readonly signal: AbortSignal | undefined) {
    signal?.addEventListener("abort", this.onAbort);
    this.interrupted = new Promise<never>((_, rej) => {
      const stop = () => rej(new RealInterrupted(String(signal?.reason ?? "SIGINT")));
      if (signal?.aborted) stop();
      else signal?.addEventListener("abort", stop);
    });
    this.interrupted.catch(() => undefined);
  }

  get fatal(): Error | null {
    return this.fatalError;
  }

  get aborted(): boolean {
    return this.signal?.aborted === true;
  }

  fail = (e: Error): void => {
    if (!this.fatalError) this.fatalError = e;
    this.wake();
  };

  /** A promise the next failure or interrupt resolves. */
  woken(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** Throws what ended the run early, if anything did. */
  throwIfFailed(): void {
    if (this.aborted) throw new RealInterrupted(String(this.signal!.reason ?? "SIGINT"));
    const f = this.fatalError;
    if (f) throw f instanceof RealEnvError ? f : new RealEnvError(f.message);
  }

  dispose(): void {
    this.signal?.removeEventListener("abort", this.onAbort);
  }
}

/** The run's processes and queues: the producer pod, the consumer replicas' backend, the broker connection. */
interface Rig {
  registry: ChildRegistry;
  broker: Broker;
  jobsQueue: string;
  resultsQueue: string;
  logDir: string;
  runDir: string;
  resources: ReturnType<typeof writeResources>;
  /** Where every app of the run reports its results. */
  resultsEnv: Record<string, string>;
  backend: ScalingBackend;
  /** The backend was prepared (so it must be stopped). */
  prepared: boolean;
  ledger: Ledger;
  scaleEvents: Summary["scaleEvents"];
}

/** Phase 2: the run's folders, Dapr components and message ledger (nothing started yet). */
function setUpRig(o: RealOptions, pre: Prerequisites, backend: ScalingBackend, runId: string, clock: Clock, emit: (r: TraceRecord) => void): Rig {
  const s = o.scenario;
  mkdirSync(o.outDir, { recursive: true });
  const logDir = join(o.outDir, "logs");
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const runDir = mkdtempSync(join(tmpdir(), `kedasim-real-${runId}-`));
  const jobsQueue = `kedasim-${runId}-jobs`;
  const resultsQueue = `kedasim-${runId}-results`;
  const registry = new ChildRegistry();
  const resources = writeResources(runDir, { host: pre.urls.componentAmqp, jobsQueue, prefetch: s.queue.prefetch });
  // The apps report to the results queue themselves (real/apps/common.ts ResultsReporter).
  const resultsEnv = { KEDASIM_AMQP_URL: pre.urls.amqp, KEDASIM_RESULTS_QUEUE: resultsQueue };
  const ledger = new Ledger(
    (ms) => clock.scen(ms),
    emit,
    (pod) => backend.podAlive(pod),
  );
  return { registry, broker: new Broker(pre.urls), jobsQueue, resultsQueue, logDir, runDir, resources, resultsEnv, backend, prepared: false, ledger, scaleEvents: [] };
}

/** Phase 3: the run's queues, the producer pod (up within 10 s of the start), the backend with its initial replicas (Ready at t = 0). */
async function startPods(o: RealOptions, pre: Prerequisites, rig: Rig, runId: string, wallStart: number, clock: Clock, ctl: RunControl, emit: (r: TraceRecord) => void, say: (l: string) => void): Promise<Pair> {
  const s = o.scenario;
  try {
    await rig.broker.connect();
    await rig.broker.declare([rig.jobsQueue, rig.resultsQueue]);
  } catch (e) {
    throw new RealEnvError(`RabbitMQ: cannot set up the run's queues: ${(e as Error).message}`);
  }
  await rig.broker.consumeJson(rig.resultsQueue, (body) => {
    if (typeof body === "object" && body !== null && "event" in body) rig.ledger.onEvent(body as ResultEvent);
  });
  say(`run ${runId}: starting the producer (daprd + app)`);
  const producer = await Pair.start({
    registry: rig.registry,
    daprd: pre.daprd,
    name: "producer",
    appId: "producer",
    role: "producer",
    resourcesDir: rig.resources.producerDir,
    logDir: rig.logDir,
    runId,
    appScript: join(APPS_DIR, "producer.ts"),
    appEnv: { KEDASIM_JOBS_BINDING: "jobs", ...rig.resultsEnv },
    gracefulShutdownSeconds: 1,
    onUnexpectedExit: (p, which) => ctl.fail(new Error(p.failureText(which, which === "daprd" ? p.daprd : p.app, "while the run was going on"))),
  });
  const budget = Math.max(2000, 9_500 - (performance.now() - wallStart));
  try {
    await Promise.race([producer.waitReady(budget), ctl.interrupted]);
  } catch (e) {
    if (e instanceof PairStartError) throw new RealEnvError(`daprd failed to start: ${e.message}`);
    throw e;
  }
  say(`producer ready after ${Math.round(producer.readyAt! - producer.spawnedAt)} ms`);
  // The backend: its objects, its node, the initial replicas (they exist before the ScaledObject: Ready at t = 0).
  rig.prepared = true;
  await rig.backend.prepare({
    scenario: s,
    wallScenario: timeScaled(s, o.timeScale),
    timeScale: o.timeScale,
    runId,
    daprd: pre.daprd,
    registry: rig.registry,
    logDir: rig.logDir,
    runDir: rig.runDir,
    broker: rig.broker,
    brokerUrls: pre.urls,
    jobsQueue: rig.jobsQueue,
    resultsQueue: rig.resultsQueue,
    resources: rig.resources,
    appEnv: rig.resultsEnv,
    stats: pre.stats,
    ledger: () => rig.ledger,
    now: () => clock.now(),
    wallAt: (t) => clock.wallAt(t),
    scenarioAt: (perfMs) => clock.at(perfMs),
    emit,
    onScale: (t, actor, from, to, reason) => {
      const { record, event } = scaleRecords(t, actor, from, to, reason);
      rig.scaleEvents.push(event);
      emit(record);
      say(`[t=${t.toFixed(1)}s] ${actor.toUpperCase()} ${from} → ${to}: ${reason}`);
    },
    onFatal: ctl.fail,
    progress: say,
    interrupted: ctl.interrupted,
  });
  return producer;
}

/** What t = 0 started: the producer's POSTs, the faults, the backend's KEDA and HPA. */
interface Workload {
  reader: QueueReader;
  postsDone(): number;
}

/** Phase 4: t = 0 — the producer's POSTs and the kills at their times, the backend's scaling loops. */
async function startWorkload(o: RealOptions, plan: ReturnType<typeof planRun>, rig: Rig, producer: Pair, clock: Clock, ctl: RunControl, say: (l: string) => void): Promise<Workload> {
  const s = o.scenario;
  await clock.start(rig.backend.alignT0 === true);
  const producerUrl = `http://127.0.0.1:${producer.ports.app}/MessageProducer`;
  let postsDone = 0;
  for (const p of plan.posts) {
    clock.later(p.at, () => {
      fetch(producerUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ count: p.count, intervalMilliseconds: p.intervalMs }) })
        .then(async (r) => {
          if (!r.ok) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
          postsDone++;
        })
        .catch((e: Error) => ctl.fail(new Error(`POST /MessageProducer failed: ${e.message}`)));
    });
  }
  s.consumer.kills.forEach((kf) => {
    clock.later(kf.at, () => {
      const victims = rig.backend.kill(kf.count, clock.now());
      say(`[t=${clock.now().toFixed(1)}s] fault injection: SIGKILL ${victims.length ? victims.join(", ") : "(no live pod)"}`);
    });
  });
  rig.backend.start();
  // What trigger 0 reads now, for the samples (the backend's scalers read on their own).
  const reader = new QueueReader(rig.broker, rig.jobsQueue, o.timeScale, () => ({ inFlight: rig.ledger.inFlight }));
  return { reader, postsDone: () => postsDone };
}

/** Phase 5: one sample per sampleInterval until the run settles, reaches its end, or fails; returns when it ended and why. */
async function sampleUntilDone(
  o: RealOptions,
  plan: ReturnType<typeof planRun>,
  rig: Rig,
  work: Workload,
  clock: Clock,
  ctl: RunControl,
  wallStart: number,
  emit: (r: TraceRecord) => void,
  say: (l: string) => void,
): Promise<{ endT: number; endedBy: string; sampleReadAgeMs: number }> {
  const s = o.scenario;
  const { broker, ledger, backend } = rig;
  const trig0 = s.scaledObject.triggers[0];
  const mode0 = readModeOf(trig0);
  const rest = restReplicasOf(s.scaledObject, s.consumer.initialReplicas);
  const end = s.duration ?? s.maxDuration;
  const wallLimit = (o.wallTimeoutS ?? 1800) * 1000;
  let settledSince = -1;
  let lastProgress = -Infinity;
  const woken = ctl.woken();
  // The broker is read in a loop of its own: a read takes tens of ms (the management API more
  // under load), and awaiting it inside the sample loop made samples lag their time stamps by
  // up to ~1 s wall (10 s scenario at k 0.1) on a loaded machine. Samples take the in-memory
  // counts at their own instant and the latest finished broker read (its age is recorded).
  let latest = { queued: 0, metric: 0, atPerf: Number.NaN };
  let brokerLoopStop = false;
  let maxReadAgeMs = 0;
  const brokerLoop = (async () => {
    const interval = s.sampleInterval * o.timeScale * 1000;
    while (!brokerLoopStop && !ctl.fatal && !ctl.aborted) {
      const began = performance.now();
      try {
        const c = await broker.checkQueue(rig.jobsQueue);
        const metric = trig0.read(mode0 === "amqp" ? { ready: c.messageCount, inFlight: ledger.inFlight, prefetched: 0, publishRate: 0, deliverRate: 0 } : await work.reader.snapshot("http")).value;
        latest = { queued: c.messageCount, metric, atPerf: began };
      } catch (e) {
        say(`sampler: cannot read the queue: ${(e as Error).message}`);
      }
      const rest = interval - (performance.now() - began);
      if (rest > 0) await Promise.race([sleep(rest), woken]);
    }
  })();
  const stopBrokerLoop = async () => {
    brokerLoopStop = true;
    await brokerLoop;
    return Math.round(maxReadAgeMs);
  };
  for (let n = 0; ; n++) {
    if (ctl.fatal || ctl.aborted) return { endT: 0, endedBy: "settled", sampleReadAgeMs: await stopBrokerLoop() };
    const t = n * s.sampleInterval;
    const wait = clock.wallAt(t) - performance.now();
    if (wait > 0) await Promise.race([sleep(wait), woken]);
    if (ctl.fatal || ctl.aborted) return { endT: 0, endedBy: "settled", sampleReadAgeMs: await stopBrokerLoop() };
    const { queued, metric } = latest;
    if (!Number.isNaN(latest.atPerf)) maxReadAgeMs = Math.max(maxReadAgeMs, performance.now() - latest.atPerf);
    const rc = backend.counts();
    const sample: SampleRecord = {
      type: "sample",
      t,
      metric,
      queued,
      inFlight: ledger.inFlight,
      produced: ledger.produced,
      completed: ledger.completed,
      deadLettered: ledger.deadLettered,
      redelivered: ledger.redelivered,
      lost: 0,
      desired: rc.desired,
      current: rc.current,
      ready: rc.ready,
      terminating: rc.terminating,
      busy: ledger.busyPods,
    };
    const lat = ledger.takeSampleLatency();
    if (lat) sample.lat = lat;
    emit(sample);
    if (performance.now() - lastProgress > 3000) {
      lastProgress = performance.now();
      say(
        `[t=${t.toFixed(0).padStart(4)}s] queue ${queued} ready, ${ledger.inFlight} in flight; replicas desired ${sample.desired} current ${sample.current} ready ${sample.ready}` +
          `${sample.terminating ? ` terminating ${sample.terminating}` : ""}; produced ${ledger.produced}/${plan.total}, completed ${ledger.completed}`,
      );
    }
    const settled =
      work.postsDone() === plan.posts.length &&
      ledger.produced >= plan.total &&
      ledger.live <= 0 &&
      ledger.inFlight === 0 &&
      queued === 0 &&
      rc.terminating === 0 &&
      rc.desired === rest &&
      rc.current === rc.desired &&
      rc.total === rc.current;
    if (s.duration === null && settled) {
      if (settledSince < 0) settledSince = t;
      if (t - settledSince >= s.scaledObject.pollingInterval) return { endT: t, endedBy: "settled", sampleReadAgeMs: await stopBrokerLoop() };
    } else settledSince = -1;
    if (t + s.sampleInterval > end) return { endT: t, endedBy: s.duration !== null ? "duration" : "maxDurationSeconds", sampleReadAgeMs: await stopBrokerLoop() };
    if (performance.now() - wallStart > wallLimit) {
      ctl.fail(new Error(`gave up after ${wallLimit / 1000} s wall (--timeout): produced ${ledger.produced}/${plan.total}, completed ${ledger.completed}, queue ${queued}`));
      return { endT: t, endedBy: "wall timeout", sampleReadAgeMs: await stopBrokerLoop() };
    }
  }
}

/**
 * Phase 6 (always): stop every process and delete the run's queues. After a normal end, first
 * check that nothing was lost (with every consumer gone, all unacked deliveries are back in the
 * queue) and let the last results arrive. Returns the messages left in the jobs queue (null: unknown).
 */
async function stopEverything(rig: Rig, producer: Pair | null, clock: Clock, ctl: RunControl, finishedNormally: boolean): Promise<QueueLeft | null> {
  clock.clear();
  const quick = !finishedNormally;
  // Each step on its own: one that fails (a backend that cannot stop, a broker gone) must not leave
  // the producer, the replicas or the run's directory behind.
  const step = async (what: string, f: () => unknown): Promise<void> => {
    try {
      await f();
    } catch (e) {
      process.stderr.write(`kedasim: while stopping: ${what} failed: ${(e as Error).message}\n`);
    }
  };
  if (rig.prepared) await step("stopping the scaling backend", () => rig.backend.stop(quick));
  await step("stopping the producer", () => producer?.terminate());
  await step("stopping the pods", () => rig.registry.stopAll(quick ? 1500 : 3000));
  let left: QueueLeft | null = null;
  if (!quick) {
    try {
      left = await rig.broker.drainIds(rig.jobsQueue);
    } catch {
      left = null;
    }
    for (let i = 0; i < 20; i++) {
      const r = await rig.broker.checkQueue(rig.resultsQueue).catch(() => ({ messageCount: 0 }));
      if (r.messageCount === 0) break;
      await sleep(100);
    }
    await sleep(100);
  }
  await step("deleting the run's queues", () => rig.broker.deleteQueues([rig.jobsQueue, rig.resultsQueue]));
  await step("closing the broker connection", () => rig.broker.close());
  await step("releasing the process registry", () => rig.registry.dispose());
  await step("releasing the run control", () => ctl.dispose());
  await step("removing the run directory", () => rmSync(rig.runDir, { recursive: true, force: true }));
  return left;
}

/** What was left in the jobs queue after every consumer stopped: how many, and the producer ids among them. */
interface QueueLeft {
  count: number;
  ids: number[];
}

/**
 * Messages lost: produced, never finished, not parked and not back in the queue. Counted per id, not
 * by subtracting the queue's length: a message done twice (its ack lost with the pod, README-real) is
 * requeued although finished, and a raw count would cancel a message really lost.
 */
export function lostMessages(unfinished: readonly number[], deadLettered: number, left: QueueLeft | null): number {
  const back = new Set(left?.ids ?? []);
  const missing = unfinished.filter((id) => !back.has(id)).length;
  return Math.max(0, missing - deadLettered);
}

/** Replica-seconds (and ready replica-seconds) from the pod records: Pending → Gone, or to the end. */
function replicaSecondsOf(podRecs: ReadonlyArray<{ t: number; pod: string; phase: string }>, endT: number): { replicaSeconds: number; readyReplicaSeconds: number } {
  const since = new Map<string, { created: number; ready: number | null }>();
  let replicaSeconds = 0;
  let readyReplicaSeconds = 0;
  for (const r of podRecs) {
    const e = since.get(r.pod) ?? { created: r.t, ready: null };
    if (!since.has(r.pod)) since.set(r.pod, e);
    if (r.phase === "Ready") e.ready = r.t;
    if ((r.phase === "Terminating" || r.phase === "Gone") && e.ready !== null) {
      readyReplicaSeconds += r.t - e.ready;
      e.ready = null;
    }
    if (r.phase === "Gone") {
      replicaSeconds += r.t - e.created;
      since.delete(r.pod);
    }
  }
  for (const e of since.values()) {
    replicaSeconds += endT - e.created;
    if (e.ready !== null) readyReplicaSeconds += endT - e.ready;
  }
  return { replicaSeconds, readyReplicaSeconds };
}

/** Phase 7: the Trace (header from the simulator's, records up to the end) and the Summary, written to outDir. */
function writeOutputs(
  o: RealOptions,
  pre: Prerequisites,
  plan: ReturnType<typeof planRun>,
  rig: Rig,
  run: { runId: string; wallStart: number; records: TraceRecord[]; endT: number; endedBy: string; sampleReadAgeMs: number | null; brokerLeft: QueueLeft | null },
): RealResult {
  const s = o.scenario;
  const k = o.timeScale;
  const { ledger, backend } = rig;
  const { runId, endT } = run;
  const statsMs = pre.stats.effectiveMs;
  const managementStats = { ...pre.stats, tunedAtRuntime: pre.tuned, effectiveScenarioS: round6(statsMs / 1000 / k) };
  const header = new Simulation(s).header();
  header.source = backend.source;
  if (backend.upstreamVersions) {
    header.scaling.kedaVersion = backend.upstreamVersions.keda;
    header.scaling.kubernetesVersion = backend.upstreamVersions.kubernetes;
  }
  const startups = backend.startups;
  const st = startups.map((x) => x.startupS).sort((a, b) => a - b);
  const q = (p: number) => (st.length ? round6(st[Math.min(st.length - 1, Math.max(0, Math.ceil((p / 100) * st.length) - 1))]) : null);
  header.notes = {
    ...header.notes,
    timeScale: k,
    runId,
    daprd: daprdNotes(pre.daprdInfo),
    rabbitmq: pre.rabbitmq,
    managementStats,
    triggerRead: s.scaledObject.triggers.map((t) => (readModeOf(t) === "http" ? "management API (sampled)" : "AMQP passive declare (live)")),
    ...backend.notes(),
  };
  const records = run.records;
  records.sort((a, b) => a.t - b.t);
  const kept = records.filter((r) => r.t <= endT + 1e-9);
  const podRecs = kept.filter((r): r is Extract<TraceRecord, { type: "pod" }> => r.type === "pod");
  const { replicaSeconds, readyReplicaSeconds } = replicaSecondsOf(podRecs, endT);
  const firstReady = podRecs.find((r) => r.phase === "Ready");
  const firstVisible = kept.find((r): r is SampleRecord => r.type === "sample" && r.metric > 0);
  const unfinished = ledger.unfinished();
  // Not lost: a message back in the queue after every consumer stopped (a run that ended at its
  // `duration` with work left, as the simulator's own end of run leaves it queued).
  const lost = lostMessages(unfinished, ledger.deadLettered, run.brokerLeft);
  const summary: Summary = {
    scenario: s.name,
    seed: s.seed,
    source: backend.source,
    simulatedSeconds: round6(endT),
    messages: {
      produced: ledger.produced,
      completed: ledger.completed,
      deadLettered: ledger.deadLettered,
      redelivered: ledger.redelivered,
      lost,
      duplicates: ledger.duplicates,
    },
    drainTimeS: ledger.firstArrivalAt >= 0 && ledger.lastDepartureAt >= 0 ? round6(ledger.lastDepartureAt - ledger.firstArrivalAt) : null,
    latencyS: { ...ledger.sojourn.stats(), wait: ledger.wait.stats(), service: ledger.service.stats() },
    replicas: { peak: backend.peak, replicaSeconds: round6(replicaSeconds), readyReplicaSeconds: round6(readyReplicaSeconds) },
    firstReplicaReadyS: firstReady ? round6(firstReady.t) : null,
    scaleEvents: rig.scaleEvents,
    notes: {
      endedBy: run.endedBy,
      timeScale: k,
      runId,
      wallSeconds: round6((performance.now() - run.wallStart) / 1000),
      hpaSyncs: backend.hpaSyncs(),
      abandonedDeliveries: ledger.abandoned,
      /** First sample at which the scaler's metric (e.g. the management API) showed any message. */
      metricFirstVisibleS: firstVisible ? firstVisible.t : null,
      /** Oldest broker reading a sample used (wall ms): queued/metric of a sample are at most this old. */
      sampleBrokerReadMaxAgeMs: run.sampleReadAgeMs,
      brokerCheck: {
        jobsQueueMessagesAfterStop: run.brokerLeft?.count ?? null,
        producedEqualsCompletedPlusDeadLettered: ledger.produced === ledger.completed + ledger.deadLettered,
        expectedMessages: plan.total,
        unfinishedIds: unfinished.slice(0, 50),
      },
      startupLatencyS: {
        n: st.length,
        min: st.length ? round6(st[0]) : null,
        p50: q(50),
        p90: q(90),
        max: st.length ? round6(st[st.length - 1]) : null,
        mean: st.length ? round6(st.reduce((a, b) => a + b, 0) / st.length) : null,
        perReplica: startups.map((x) => ({ pod: x.pod, createdAtS: round6(x.createdAtS), startupS: round6(x.startupS), startupWallMs: Math.round(x.startupWallMs) })),
      },
      managementStats,
      daprd: header.notes.daprd,
      rabbitmq: pre.rabbitmq,
    },
  };
  const trace = [serializeRecord(header), ...kept.map(serializeRecord)].join("\n") + "\n";
  writeFileSync(join(o.outDir, "trace.jsonl"), trace);
  writeFileSync(join(o.outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  return { header, records: kept, summary, startups, backend, statsIntervalMs: statsMs, statsTiming: pre.stats, runId, wallSeconds: (performance.now() - run.wallStart) / 1000 };
}

export async function runReal(o: RealOptions): Promise<RealResult> {
  const k = o.timeScale;
  if (!(k > 0) || !Number.isFinite(k)) throw new RealInputError(`--time-scale must be a positive number, got ${k}`);
  const plan = planRun(o.scenario, k);
  const say = o.progress ?? (() => undefined);
  for (const w of plan.warnings) say(`warning: ${w}`);
  const runId = o.runId ?? newRunId();
  const wallStart = performance.now();
  const backend: ScalingBackend = o.backend ?? new LocalBackend();
  const pre = await checkPrerequisites(o, backend, say);
  const records: TraceRecord[] = [];
  const emit = (r: TraceRecord) => records.push(r);
  const clock = new Clock(k);
  const ctl = new RunControl(o.signal);
  const rig = setUpRig(o, pre, backend, runId, clock, emit);
  let producer: Pair | null = null;
  let finishedNormally = false;
  let ended: { endT: number; endedBy: string; sampleReadAgeMs: number | null } = { endT: 0, endedBy: "settled", sampleReadAgeMs: null };
  let brokerLeft: QueueLeft | null = null;
  try {
    producer = await startPods(o, pre, rig, runId, wallStart, clock, ctl, emit, say);
    const work = await startWorkload(o, plan, rig, producer, clock, ctl, say);
    ended = await sampleUntilDone(o, plan, rig, work, clock, ctl, wallStart, emit, say);
    ctl.throwIfFailed();
    finishedNormally = true;
  } finally {
    brokerLeft = await stopEverything(rig, producer, clock, ctl, finishedNormally);
  }
  return writeOutputs(o, pre, plan, rig, { runId, wallStart, records, ...ended, brokerLeft });
}
