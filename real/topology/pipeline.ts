// Seed 003 for real: fetcher → mapper (M replicas) → saver over NATS JetStream through daprd's
// pubsub.jetstream, the confirmation back to the fetcher over a third subject.
//   fetcher  — the harness publishes chunks through the fetcher pod's sidecar, one whenever a mapper is
//              free ("on-listening" pacing: sent − finished at the mapper < ready mappers), and resends a
//              chunk the fetcher has not seen confirmed after resend.afterSeconds × k (new attempt);
//              the fetcher pod subscribes to processed_data and reports each confirmation.
//   mapper   — durable `mapper-workers` + queue group `mapper-workers` shared by all replicas (verified:
//              probe-jetstream.ts), works uniform(min, max) × k, publishes to saver_data.
//   saver    — durable/queue group `saver-workers`, publishes the confirmation to processed_data.
// Delivery modes: the scenario's `jetstream` inbox → ackPolicy explicit, ackWait from the scenario × k
// (at-least-once: a crashed mapper's chunk is redelivered after ackWait); `nats-core` → ackPolicy none
// (at-most-once: what a crashed mapper held — in the app or buffered in its sidecar — is gone). Daprd has
// no core-NATS pubsub component, so at-most-once runs on JetStream with ackPolicy none: same loss semantics
// for a crashed subscriber, same server.
// Crashes: at each scheduled time × k the busiest mappers are SIGKILLed (daprd + app) and replaced.
// Every send is a new message id = chunk × 1000 + attempt, so the ledger tells each delivery apart:
// lost = sends the mapper stage never finished (held by a crashed pod, or buffered in its sidecar).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { NATS_URL } from "./brokers.js";
import { jetstreamReadsConsumerMetadata, probeDaprd } from "../daprd-flags.js";
import { consumerInfo, createPushConsumer, createStream, deleteStream, MiniNats, streamInfo, type ConsumerInfo } from "./nats.js";
import { Collector, daprPost, sleep, StageRunner, waitUntil, type StageDef, type TopologyRunOptions } from "./stages.js";
import { epochNow, newRecorder, procEnv, writeTopologyTrace } from "./trace.js";

export interface PipelineRunOptions extends TopologyRunOptions {
  /** Cap on the number of chunks. */
  chunks?: number;
  /** Mapper replicas (default: the scenario's, capped at 10). */
  mappers?: number;
  /** false: no crash injected (the scenario's schedule otherwise). */
  crashes?: boolean;
  /** Override the fetcher's resend policy. */
  resend?: boolean;
}

export interface PipelineRunResult {
  scenario: string;
  runId: string;
  delivery: "at-least-once" | "at-most-once";
  ackPolicy: "explicit" | "none";
  chunks: number;
  mappers: number;
  sends: number;
  resent: number;
  crashes: Array<{ t: number; pod: string; held: number[] }>;
  /** Sends (chunk attempts) the mapper stage never finished. */
  lostSends: number;
  /** Chunks never saved. */
  unsavedChunks: number[];
  savedChunks: number;
  /** Chunks saved more than once (by different attempts or redeliveries). */
  duplicateSaves: number;
  mapperRedeliveries: number;
  confirmed: number;
  broker: { mapper: Pick<ConsumerInfo, "num_pending" | "num_ack_pending" | "num_redelivered"> | null; saver: Pick<ConsumerInfo, "num_pending" | "num_ack_pending" | "num_redelivered"> | null; mapperStreamMessages: number | null };
  startupMs: number[];
  wallMs: number;
  drainScenarioS: number;
}

const ATTEMPTS = 1000;

export async function runPipeline(o: PipelineRunOptions): Promise<PipelineRunResult> {
  const s = o.scenario;
  const src = s.sources[0];
  if (!src) throw new Error(`${s.name}: no source (fetcher)`);
  const mapper = s.stages.find((st) => st.consumes?.kind === "queue" && st.consumes.channel === src.to);
  if (!mapper) throw new Error(`${s.name}: no stage consumes ${src.to}`);
  const saverCh = mapper.publishes[0];
  const saver = s.stages.find((st) => st.consumes?.channel === saverCh);
  if (!saver) throw new Error(`${s.name}: no stage consumes ${saverCh}`);
  const inbox = s.channels.find((c) => c.name === src.to);
  const broker = inbox?.kind === "queue" ? inbox.inbox.broker : "jetstream";
  const atLeastOnce = broker === "jetstream";
  const ackWaitS = inbox?.kind === "queue" ? inbox.inbox.ackWait : 30;
  const chunks = Math.min(src.chunks, o.chunks ?? src.chunks);
  const mappers = o.mappers ?? Math.min(10, mapper.initialReplicas);
  const resendOn = o.resend ?? src.resend.policy !== "none";
  const resendMs = src.resend.afterSeconds * 1000 * o.k;
  const runId = `n${Date.now().toString(36)}${process.pid.toString(36)}`;
  const subj = (c: string) => `${runId}.${c}`;
  const streams = { [src.to]: `${runId.toUpperCase()}_MAPPER`, [saverCh]: `${runId.toUpperCase()}_SAVER`, processed: `${runId.toUpperCase()}_PROCESSED` } as Record<string, string>;
  mkdirSync(o.outDir, { recursive: true });
  const t0wall = performance.now();
  const nc = await MiniNats.connect(NATS_URL);
  await createStream(nc, streams[src.to]!, [subj(src.to)]);
  await createStream(nc, streams[saverCh]!, [subj(saverCh)]);
  await createStream(nc, streams.processed!, [subj("processed_data")]);
  const ackWaitMs = Math.max(1, Math.round(ackWaitS * 1000 * o.k));
  const maxAckPending = inbox?.kind === "queue" && inbox.inbox.maxAckPending ? inbox.inbox.maxAckPending : 1000;
  if (!jetstreamReadsConsumerMetadata(probeDaprd(o.daprd))) {
    // daprd 1.9 ignores the consumer metadata below: give its sidecars the consumers to bind to.
    const ackPolicy = atLeastOnce ? "explicit" : "none";
    for (const [stream, durable] of [[streams.processed!, "fetcher"], [streams[src.to]!, "mapper-workers"], [streams[saverCh]!, "saver-workers"]] as const) {
      await createPushConsumer(nc, stream, { durable, deliverGroup: durable, ackPolicy, ackWaitMs, maxAckPending });
    }
  }
  const jsMeta = (durable: string): Record<string, string> => ({
    natsURL: NATS_URL,
    name: `${runId}-${durable}`,
    durableName: durable,
    queueGroupName: durable,
    ackPolicy: atLeastOnce ? "explicit" : "none",
    deliverPolicy: "all",
    deliverAll: "true", // daprd 1.9's spelling of deliverPolicy: all (else it asks for "last")
    ...(atLeastOnce ? { ackWait: `${ackWaitMs}ms`, maxAckPending: String(maxAckPending) } : {}),
  });
  const defs = new Map<string, StageDef>([
    ["fetcher", { name: "fetcher", appId: `${runId}-fetcher`, role: "consumer", components: [{ name: "nats", type: "pubsub.jetstream", metadata: jsMeta("fetcher") }], env: { TOPO_MODE: "pubsub", TOPO_PUBSUB: "nats", TOPO_TOPIC: subj("processed_data"), TOPO_PROC: '{"fixed":0}' } }],
    [mapper.name, { name: mapper.name, appId: `${runId}-mapper`, role: "consumer", components: [{ name: "nats", type: "pubsub.jetstream", metadata: jsMeta("mapper-workers") }], env: { TOPO_MODE: "pubsub", TOPO_PUBSUB: "nats", TOPO_TOPIC: subj(src.to), TOPO_FORWARD: `nats/${subj(saverCh)}`, ...procEnv(mapper.processingTime, o.k, s.seed) } }],
    [saver.name, { name: saver.name, appId: `${runId}-saver`, role: "consumer", components: [{ name: "nats", type: "pubsub.jetstream", metadata: jsMeta("saver-workers") }], env: { TOPO_MODE: "pubsub", TOPO_PUBSUB: "nats", TOPO_TOPIC: subj(saverCh), TOPO_FORWARD: `nats/${subj("processed_data")}`, ...procEnv(saver.processingTime, o.k, s.seed) } }],
  ]);
  const collector = new Collector();
  await collector.start();
  const rec = newRecorder(s, o.k, atLeastOnce ? "jetstream (ackPolicy explicit)" : "jetstream (ackPolicy none: at-most-once)", o.daprd);
  const runner = new StageRunner(runId, o.daprd, join(o.outDir, "work"), collector, defs);
  const sentAt = new Map<number, number>(); // chunk → wall ms of its latest send
  const attempts = new Map<number, number>();
  const confirmed = new Set<number>();
  let sends = 0;
  let resent = 0;
  const crashes: PipelineRunResult["crashes"] = [];
  collector.onEvent((e) => {
    if (e.stage === "fetcher" && e.event === "finished") confirmed.add(Math.floor(e.id / ATTEMPTS));
    if (e.stage === saver.name && e.event === "received") rec.produced(saver.name, e.id, e.t);
  });
  const mapperLedger = collector.ledger(mapper.name);
  let brokerOut: PipelineRunResult["broker"] = { mapper: null, saver: null, mapperStreamMessages: null };
  try {
    const [fp] = await runner.add("fetcher", 1);
    await Promise.all([runner.add(mapper.name, mappers), runner.add(saver.name, 1)]);
    for (const st of ["fetcher", mapper.name, saver.name]) rec.podsStarted(runner, st);
    await sleep(1000);
    rec.start();
    const t0 = performance.now();
    const schedule = o.crashes === false ? [] : mapper.crashes.map((c) => ({ atMs: c.at * 1000 * o.k, count: Math.min(c.count, Math.max(1, mappers - 1)), done: false }));
    const send = async (chunk: number) => {
      const n = (attempts.get(chunk) ?? 0) + 1;
      attempts.set(chunk, n);
      const id = chunk * ATTEMPTS + n;
      sentAt.set(chunk, performance.now());
      rec.produced(mapper.name, id);
      sends++;
      if (n > 1) resent++;
      const code = await daprPost(fp!.pair.ports.daprHttp, `/v1.0/publish/nats/${subj(src.to)}`, { id, chunk, attempt: n, objects: src.chunkSize });
      if (code >= 300) throw new Error(`fetcher publish failed: HTTP ${code}`);
    };
    let next = 0;
    let lastConfirmed = -1;
    let lastMapped = -1;
    let lastProgress = performance.now();
    const quietMs = Math.max(3000, 3 * ackWaitS * 1000 * o.k);
    const deadline = performance.now() + (o.timeoutMs ?? 180_000);
    while (confirmed.size < chunks && performance.now() < deadline) {
      // crashes due now: SIGKILL the busiest mappers, then start replacements (the Deployment's restart)
      for (const c of schedule) {
        if (c.done || performance.now() - t0 < c.atMs) continue;
        c.done = true;
        const victims = [...runner.list(mapper.name)].sort((a, b) => (mapperLedger.inFlight.get(b.name)?.size ?? 0) - (mapperLedger.inFlight.get(a.name)?.size ?? 0)).slice(0, c.count);
        for (const v of victims) {
          const held = await runner.crash(mapper.name, v);
          rec.podGone(mapper.name, v.name, "crash");
          crashes.push({ t: rec.scen(epochNow()), pod: v.name, held });
          for (const id of held) rec.events.push({ t: epochNow(), stage: mapper.name, event: atLeastOnce ? "redelivered" : "lost", id, pod: v.name });
        }
        void runner.add(mapper.name, victims.length).then(() => rec.podsStarted(runner, mapper.name));
      }
      // resend unconfirmed chunks after the timeout
      if (resendOn) {
        for (const [chunk, at] of sentAt) if (!confirmed.has(chunk) && performance.now() - at > resendMs) await send(chunk);
      }
      // on-listening pacing: one chunk per free mapper
      const ready = runner.list(mapper.name).length;
      const outstanding = sends - mapperLedger.completions - crashes.reduce((a, c) => a + c.held.length, 0);
      if (next < chunks && outstanding < ready) {
        await send(next++);
        continue;
      }
      if (confirmed.size !== lastConfirmed || mapperLedger.completions !== lastMapped) {
        lastConfirmed = confirmed.size;
        lastMapped = mapperLedger.completions;
        lastProgress = performance.now();
      }
      // without resend, lost chunks never come back: stop once all is sent and nothing moved for a while
      if (!resendOn && next >= chunks && performance.now() - lastProgress > quietMs) break;
      await sleep(5);
    }
    await sleep(500);
    if (atLeastOnce) {
      await waitUntil(async () => (await consumerInfo(nc, streams[src.to]!, "mapper-workers").catch(() => null))?.num_ack_pending === 0, 5000, 200);
    }
    const pick = (c: ConsumerInfo | null) => (c ? { num_pending: c.num_pending, num_ack_pending: c.num_ack_pending, num_redelivered: c.num_redelivered } : null);
    brokerOut = {
      mapper: pick(await consumerInfo(nc, streams[src.to]!, "mapper-workers").catch(() => null)),
      saver: pick(await consumerInfo(nc, streams[saverCh]!, "saver-workers").catch(() => null)),
      mapperStreamMessages: (await streamInfo(nc, streams[src.to]!).catch(() => null))?.state.messages ?? null,
    };
  } finally {
    await runner.stopAll();
    await collector.close();
    for (const st of Object.values(streams)) await deleteStream(nc, st);
    nc.close();
  }
  const savedBy = new Map<number, number>();
  for (const [id, n] of collector.ledger(saver.name).finished) {
    const c = Math.floor(id / ATTEMPTS);
    savedBy.set(c, (savedBy.get(c) ?? 0) + n);
  }
  const unsaved: number[] = [];
  for (let c = 0; c < chunks; c++) if (!savedBy.has(c)) unsaved.push(c);
  let lostSends = 0;
  for (const [c, n] of attempts) for (let a = 1; a <= n; a++) if (!mapperLedger.finished.has(c * ATTEMPTS + a)) lostSends++;
  const result: PipelineRunResult = {
    scenario: s.name,
    runId,
    delivery: atLeastOnce ? "at-least-once" : "at-most-once",
    ackPolicy: atLeastOnce ? "explicit" : "none",
    chunks,
    mappers,
    sends,
    resent,
    crashes,
    lostSends,
    unsavedChunks: unsaved,
    savedChunks: savedBy.size,
    duplicateSaves: [...savedBy.values()].reduce((a, n) => a + (n - 1), 0),
    mapperRedeliveries: mapperLedger.redeliveries,
    confirmed: confirmed.size,
    broker: brokerOut,
    startupMs: runner.startupMs.map((x) => Math.round(x)),
    wallMs: Math.round(performance.now() - t0wall),
    drainScenarioS: rec.drainScenarioS(collector),
  };
  writeTopologyTrace(o.outDir, rec, collector, result as unknown as Record<string, unknown>);
  return result;
}
