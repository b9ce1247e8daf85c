// Real mode: run a scenario against live daprd sidecars and a real RabbitMQ, in wall-clock time
// scaled by k, and record the same Trace (times in scenario seconds = wall seconds since start ÷ k)
// and Summary as the simulator.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Simulation, round6 } from "../sim/model/simulation.js";
import { stream } from "../sim/rng.js";
import { timeScaled, type Scenario } from "../sim/scenario/load.js";
import { serializeRecord, type Actor, type SampleRecord, type Summary, type TraceHeader, type TraceRecord } from "../sim/trace.js";
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

export async function runReal(o: RealOptions): Promise<RealResult> {
  const s = o.scenario;
  const k = o.timeScale;
  if (!(k > 0) || !Number.isFinite(k)) throw new RealInputError(`--time-scale must be a positive number, got ${k}`);
  const ws = timeScaled(s, k); // wall-clock durations
  const plan = planRun(s, k);
  const say = o.progress ?? (() => undefined);
  for (const w of plan.warnings) say(`warning: ${w}`);
  const runId = o.runId ?? newRunId();
  const wallStart = performance.now();

  // ---- prerequisites (fast, clear errors) ----
  const d = findDaprd();
  if (!d.path) throw new RealEnvError(d.why);
  const daprd = d.path;
  let daprdInfo: DaprdInfo;
  try {
    daprdInfo = probeDaprd(daprd);
  } catch (e) {
    throw new RealEnvError(`cannot use daprd ${daprd}: ${(e as Error).message} (${SETUP_HINT}, or set DAPRD=/path/to/daprd)`);
  }
  const unsupported = unsupportedDaprd(daprdInfo);
  if (unsupported) throw new RealEnvError(`${unsupported} (${SETUP_HINT} builds one, or set DAPRD=/path/to/daprd)`);
  const urls = brokerUrls();
  const [amqpErr, mgmt] = await Promise.all([checkAmqp(urls.amqp), checkMgmt(urls)]);
  if (amqpErr) throw new RealEnvError(`${amqpErr} — is RabbitMQ running? (npm run real:setup)`);
  if (mgmt.error) throw new RealEnvError(`${mgmt.error} — KEDA's HTTP mode and the sampler need it (npm run real:setup)`);
  const backend: ScalingBackend = o.backend ?? new LocalBackend();
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

  mkdirSync(o.outDir, { recursive: true });
  const logDir = join(o.outDir, "logs");
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const runDir = mkdtempSync(join(tmpdir(), `kedasim-real-${runId}-`));
  const jobsQueue = `kedasim-${runId}-jobs`;
  const resultsQueue = `kedasim-${runId}-results`;
  const registry = new ChildRegistry();
  const broker = new Broker(urls);
  const records: TraceRecord[] = [];
  const emit = (r: TraceRecord) => records.push(r);
  const timers = new Set<NodeJS.Timeout>();
  let fatal: Error | null = null;
  let wakeMain: () => void = () => undefined;
  const setFatal = (e: Error) => {
    if (!fatal) fatal = e;
    wakeMain();
  };
  const onAbort = () => wakeMain();
  o.signal?.addEventListener("abort", onAbort);
  /** Rejects with RealInterrupted when the run is aborted (to race long waits against). */
  const interrupted = new Promise<never>((_, rej) => {
    const stop = () => rej(new RealInterrupted(String(o.signal?.reason ?? "SIGINT")));
    if (o.signal?.aborted) stop();
    else o.signal?.addEventListener("abort", stop);
  });
  interrupted.catch(() => undefined);

  // ---- clock: scenario seconds = wall seconds since t0 ÷ k ----
  let t0Perf = Number.NaN;
  const now = () => (Number.isNaN(t0Perf) ? 0 : (performance.now() - t0Perf) / 1000 / k);
  const wallAt = (t: number) => t0Perf + t * k * 1000;
  const scen = (epochMs: number) => (epochMs - (performance.timeOrigin + t0Perf)) / 1000 / k;
  const later = (t: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, Math.max(0, wallAt(t) - performance.now()));
    timers.add(timer);
  };

  const res = writeResources(runDir, { host: urls.componentAmqp, jobsQueue, prefetch: s.queue.prefetch });
  // The apps report to the results queue themselves (real/apps/common.ts ResultsReporter).
  const resultsEnv = { KEDASIM_AMQP_URL: urls.amqp, KEDASIM_RESULTS_QUEUE: resultsQueue };
  const ledger = new Ledger(scen, emit, (pod) => backend.podAlive(pod));

  let producer: Pair | null = null;
  let prepared = false;
  let finishedNormally = false;
  let endedBy = "settled";
  let brokerLeft: number | null = null;
  let endT = 0;
  let sampleReadAgeMs: number | null = null;
  const scaleEvents: Summary["scaleEvents"] = [];
  try {
    // ---- broker: per-run queues ----
    try {
      await broker.connect();
      await broker.declare([jobsQueue, resultsQueue]);
    } catch (e) {
      throw new RealEnvError(`RabbitMQ: cannot set up the run's queues: ${(e as Error).message}`);
    }
    await broker.consumeJson(resultsQueue, (body) => {
      if (typeof body === "object" && body !== null && "event" in body) ledger.onEvent(body as ResultEvent);
    });

    // ---- the producer pod (daprd + producer app): must be up within 10 s ----
    say(`run ${runId}: starting the producer (daprd + app)`);
    producer = await Pair.start({
      registry,
      daprd,
      name: "producer",
      appId: "producer",
      role: "producer",
      resourcesDir: res.producerDir,
      logDir,
      runId,
      appScript: join(APPS_DIR, "producer.ts"),
      appEnv: { KEDASIM_JOBS_BINDING: "jobs", ...resultsEnv },
      gracefulShutdownSeconds: 1,
      onUnexpectedExit: (p, which) => setFatal(new Error(p.failureText(which, which === "daprd" ? p.daprd : p.app, "while the run was going on"))),
    });
    const budget = Math.max(2000, 9_500 - (performance.now() - wallStart));
    try {
      await Promise.race([producer.waitReady(budget), interrupted]);
    } catch (e) {
      if (e instanceof PairStartError) throw new RealEnvError(`daprd failed to start: ${e.message}`);
      throw e;
    }
    say(`producer ready after ${Math.round(producer.readyAt! - producer.spawnedAt)} ms`);

    // ---- the backend: its objects, its node, the initial replicas (Ready before t = 0) ----
    prepared = true;
    await backend.prepare({
      scenario: s,
      wallScenario: ws,
      timeScale: k,
      runId,
      daprd,
      registry,
      logDir,
      runDir,
      broker,
      brokerUrls: urls,
      jobsQueue,
      resultsQueue,
      resources: res,
      appEnv: resultsEnv,
      stats,
      ledger: () => ledger,
      now,
      wallAt,
      scenarioAt: (perfMs) => (Number.isNaN(t0Perf) ? 0 : (perfMs - t0Perf) / 1000 / k),
      emit,
      onScale: (t, actor, from, to, reason) => {
        scaleEvents.push({ t: round6(t), from, to, actor, reason });
        emit({ type: "scale", t, actor, from, to, reason });
        say(`[t=${t.toFixed(1)}s] ${actor.toUpperCase()} ${from} → ${to}: ${reason}`);
      },
      onFatal: setFatal,
      progress: say,
      interrupted,
    });

    // ---- t = 0 ----
    if (backend.alignT0) {
      // The next whole second of the wall clock, exactly (Kubernetes timestamps are whole seconds).
      const at = Math.ceil((performance.timeOrigin + performance.now()) / 1000) * 1000 - performance.timeOrigin;
      await sleep(Math.max(0, at - performance.now()));
      t0Perf = at;
    } else t0Perf = performance.now();
    const producerUrl = `http://127.0.0.1:${producer.ports.app}/MessageProducer`;
    let postsDone = 0;
    for (const p of plan.posts) {
      later(p.at, () => {
        fetch(producerUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ count: p.count, intervalMilliseconds: p.intervalMs }) })
          .then(async (r) => {
            if (!r.ok) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
            postsDone++;
          })
          .catch((e: Error) => setFatal(new Error(`POST /MessageProducer failed: ${e.message}`)));
      });
    }
    s.consumer.kills.forEach((kf) => {
      later(kf.at, () => {
        const victims = backend.kill(kf.count, now());
        say(`[t=${now().toFixed(1)}s] fault injection: SIGKILL ${victims.length ? victims.join(", ") : "(no live pod)"}`);
      });
    });
    backend.start();
    // What trigger 0 reads now, for the samples (the backend's scalers read on their own).
    const reader = new QueueReader(broker, jobsQueue, k, () => ({ inFlight: ledger.inFlight }));

    // ---- samples, progress, end detection ----
    const trig0 = s.scaledObject.triggers[0];
    const mode0 = readModeOf(trig0);
    const rest = s.scaledObject.idleReplicaCount ?? s.scaledObject.minReplicaCount;
    const end = s.duration ?? s.maxDuration;
    const wallLimit = (o.wallTimeoutS ?? 1800) * 1000;
    let settledSince = -1;
    let lastProgress = -Infinity;
    let n = 0;
    const done = new Promise<void>((resolve) => (wakeMain = resolve));
    // The broker is read in a loop of its own: a read takes tens of ms (the management API more
    // under load), and awaiting it inside the sample loop made samples lag their time stamps by
    // up to ~1 s wall (10 s scenario at k 0.1) on a loaded machine. Samples now take the in-memory
    // counts at their own instant and the latest finished broker read (age recorded below).
    let latest = { queued: 0, metric: 0, atPerf: Number.NaN };
    let brokerLoopStop = false;
    let maxReadAgeMs = 0;
    const brokerLoop = (async () => {
      const interval = s.sampleInterval * k * 1000;
      while (!brokerLoopStop && !fatal && !o.signal?.aborted) {
        const began = performance.now();
        try {
          const c = await broker.checkQueue(jobsQueue);
          const metric = trig0.read(mode0 === "amqp" ? { ready: c.messageCount, inFlight: ledger.inFlight, prefetched: 0, publishRate: 0, deliverRate: 0 } : await reader.snapshot("http")).value;
          latest = { queued: c.messageCount, metric, atPerf: began };
        } catch (e) {
          say(`sampler: cannot read the queue: ${(e as Error).message}`);
        }
        const rest = interval - (performance.now() - began);
        if (rest > 0) await Promise.race([sleep(rest), done]);
      }
    })();
    const sampleLoop = async () => {
      for (;;) {
        if (fatal || o.signal?.aborted) return;
        const t = n * s.sampleInterval;
        const wait = wallAt(t) - performance.now();
        if (wait > 0) await Promise.race([sleep(wait), done]);
        if (fatal || o.signal?.aborted) return;
        n++;
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
          postsDone === plan.posts.length &&
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
          if (t - settledSince >= s.scaledObject.pollingInterval) {
            endT = t;
            endedBy = "settled";
            return;
          }
        } else settledSince = -1;
        if (t + s.sampleInterval > end) {
          endT = t;
          endedBy = s.duration !== null ? "duration" : "maxDurationSeconds";
          return;
        }
        if (performance.now() - wallStart > wallLimit) {
          endT = t;
          endedBy = "wall timeout";
          setFatal(new Error(`gave up after ${wallLimit / 1000} s wall (--timeout): produced ${ledger.produced}/${plan.total}, completed ${ledger.completed}, queue ${queued}`));
          return;
        }
      }
    };
    await sampleLoop();
    brokerLoopStop = true;
    await brokerLoop;
    sampleReadAgeMs = Math.round(maxReadAgeMs);
    if (o.signal?.aborted) throw new RealInterrupted(String(o.signal.reason ?? "SIGINT"));
    const f = fatal as Error | null; // set from callbacks
    if (f) throw f instanceof RealEnvError ? f : new RealEnvError(f.message);
    finishedNormally = true;
  } finally {
    // ---- stop everything (always) ----
    for (const t of timers) clearTimeout(t);
    timers.clear();
    const quick = !finishedNormally;
    if (prepared) await backend.stop(quick);
    producer?.terminate();
    await registry.stopAll(quick ? 1500 : 3000);
    if (!quick) {
      // Nothing lost: with every consumer gone, all unacked deliveries are back in the queue.
      try {
        brokerLeft = (await broker.checkQueue(jobsQueue)).messageCount;
      } catch {
        brokerLeft = null;
      }
      // Let the last results arrive.
      for (let i = 0; i < 20; i++) {
        const r = await broker.checkQueue(resultsQueue).catch(() => ({ messageCount: 0 }));
        if (r.messageCount === 0) break;
        await sleep(100);
      }
      await sleep(100);
    }
    await broker.deleteQueues([jobsQueue, resultsQueue]);
    await broker.close();
    registry.dispose();
    o.signal?.removeEventListener("abort", onAbort);
    rmSync(runDir, { recursive: true, force: true });
  }

  // ---- trace + summary ----
  const header = new Simulation(s).header();
  header.source = backend.source;
  const startups = backend.startups;
  const st = startups.map((x) => x.startupS).sort((a, b) => a - b);
  const q = (p: number) => (st.length ? round6(st[Math.min(st.length - 1, Math.max(0, Math.ceil((p / 100) * st.length) - 1))]) : null);
  header.notes = {
    ...header.notes,
    timeScale: k,
    runId,
    daprd: daprdNotes(daprdInfo),
    rabbitmq: mgmt.version ?? null,
    managementStats: { ...stats, tunedAtRuntime: tuned, effectiveScenarioS: round6(statsMs / 1000 / k) },
    triggerRead: s.scaledObject.triggers.map((t) => (readModeOf(t) === "http" ? "management API (sampled)" : "AMQP passive declare (live)")),
    ...backend.notes(),
  };
  records.sort((a, b) => a.t - b.t);
  const kept = records.filter((r) => r.t <= endT + 1e-9);
  const podRecs = kept.filter((r): r is Extract<TraceRecord, { type: "pod" }> => r.type === "pod");
  // replica-seconds from the pod records (Pending..Gone, or the end)
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
  const firstReady = podRecs.find((r) => r.phase === "Ready");
  const firstVisible = kept.find((r): r is SampleRecord => r.type === "sample" && r.metric > 0);
  const unfinished = ledger.unfinished();
  // Not lost: a message back in the queue after every consumer stopped (a run that ended at its
  // `duration` with work left, as the simulator's own end of run leaves it queued).
  const lost = Math.max(0, ledger.produced - ledger.completed - ledger.deadLettered - (brokerLeft ?? 0));
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
    scaleEvents,
    notes: {
      endedBy,
      timeScale: k,
      runId,
      wallSeconds: round6((performance.now() - wallStart) / 1000),
      hpaSyncs: backend.hpaSyncs(),
      abandonedDeliveries: ledger.abandoned,
      /** First sample at which the scaler's metric (e.g. the management API) showed any message. */
      metricFirstVisibleS: firstVisible ? firstVisible.t : null,
      /** Oldest broker reading a sample used (wall ms): queued/metric of a sample are at most this old. */
      sampleBrokerReadMaxAgeMs: sampleReadAgeMs,
      brokerCheck: {
        jobsQueueMessagesAfterStop: brokerLeft,
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
      managementStats: { ...stats, tunedAtRuntime: tuned, effectiveScenarioS: round6(statsMs / 1000 / k) },
      daprd: header.notes.daprd,
      rabbitmq: mgmt.version ?? null,
    },
  };
  const trace = [serializeRecord(header), ...kept.map(serializeRecord)].join("\n") + "\n";
  writeFileSync(join(o.outDir, "trace.jsonl"), trace);
  writeFileSync(join(o.outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  return { header, records: kept, summary, startups, backend, statsIntervalMs: statsMs, statsTiming: stats, runId, wallSeconds: (performance.now() - wallStart) / 1000 };
}
