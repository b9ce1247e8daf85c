// Verifies what §3.4 of the Dapr reference flags as a risk: can two daprd replicas with pubsub.jetstream
// share ONE durable consumer + queue group on the local nats-server (Debian 2.9.10)? Starts a stream,
// a publisher sidecar and two subscriber replicas with identical components, publishes 40 messages and
// reports which replica subscribed, what daprd logged and who received what.
//   npx tsx real/topology/probe-jetstream.ts
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamReadsConsumerMetadata, probeDaprd } from "../daprd-flags.js";
import { findDaprd } from "../env.js";
import { consumerInfo, consumerNames, createPushConsumer, createStream, deleteStream, MiniNats } from "./nats.js";
import { Collector, daprPost, sleep, StageRunner, waitUntil, type StageDef } from "./stages.js";

export interface ProbeResult {
  ok: boolean;
  serverVersion: string;
  subscribed: Record<string, boolean>;
  receivedByPod: Record<string, number>;
  daprdErrors: string[];
  consumers: string[];
  published: number;
  received: number;
}

export async function probeJetStream(opts: { messages?: number; natsUrl?: string } = {}): Promise<ProbeResult> {
  const n = opts.messages ?? 40;
  const natsUrl = opts.natsUrl ?? process.env.KEDASIM_NATS_URL ?? "nats://127.0.0.1:4222";
  const daprd = findDaprd().path;
  if (!daprd) throw new Error("no daprd (run `npm run real:setup` first)");
  const runId = `jsprobe${Date.now().toString(36)}`;
  const stream = `KEDASIM_${runId.toUpperCase()}`;
  const topic = `${runId}.probe`;
  const nc = await MiniNats.connect(natsUrl);
  const version = (await fetch(`http://127.0.0.1:8222/varz`).then((r) => r.json()).catch(() => ({ version: "?" })) as { version: string }).version;
  await createStream(nc, stream, [topic]);
  if (!jetstreamReadsConsumerMetadata(probeDaprd(daprd))) {
    // daprd 1.9 ignores ackWait / maxAckPending: the consumer is created as the component would.
    await createPushConsumer(nc, stream, { durable: "workers", deliverGroup: "workers", ackPolicy: "explicit", ackWaitMs: 10_000, maxAckPending: 1 });
  }
  const collector = new Collector();
  await collector.start();
  const js = (extra: Record<string, string>) => ({ name: "jobs", type: "pubsub.jetstream", metadata: { natsURL: natsUrl, name: runId, ...extra } });
  const defs = new Map<string, StageDef>([
    ["pub", { name: "pub", appId: `${runId}-pub`, role: "producer", components: [js({})], env: { TOPO_MODE: "none" } }],
    [
      "sub",
      {
        name: "sub",
        appId: `${runId}-sub`,
        role: "consumer",
        components: [js({ durableName: "workers", queueGroupName: "workers", ackWait: "10s", maxAckPending: "1", deliverAll: "true" })],
        env: { TOPO_MODE: "pubsub", TOPO_PUBSUB: "jobs", TOPO_TOPIC: topic, TOPO_PROC: '{"fixed":50}' },
      },
    ],
  ]);
  const work = mkdtempSync(join(tmpdir(), "kedasim-jsprobe-"));
  const runner = new StageRunner(runId, daprd, work, collector, defs);
  try {
    const [pub] = await runner.add("pub", 1);
    const subs = [...(await runner.add("sub", 1)), ...(await runner.add("sub", 1))];
    await sleep(1500);
    for (let i = 0; i < n; i++) await daprPost(pub!.pair.ports.daprHttp, `/v1.0/publish/jobs/${topic}`, { id: i });
    await waitUntil(() => collector.ledger("sub").completions >= n, 15_000);
    await sleep(500);
    const ledger = collector.ledger("sub");
    const receivedByPod: Record<string, number> = {};
    for (const e of collector.events) if (e.stage === "sub" && e.event === "received") receivedByPod[e.pod] = (receivedByPod[e.pod] ?? 0) + 1;
    const subscribed: Record<string, boolean> = {};
    const daprdErrors: string[] = [];
    for (const p of subs) {
      const log = readFileSync(p.pair.daprd.logFile, "utf8");
      const errs = log.split("\n").filter((l) => /"level":"(error|fatal)"/.test(l) || /consumer name already in use|already in use/.test(l));
      subscribed[p.name] = !errs.some((l) => /subscri|consumer/i.test(l));
      daprdErrors.push(...errs.map((l) => `${p.name}: ${(JSON.parse(l) as { msg?: string }).msg ?? l}`));
    }
    const names = (await consumerNames(nc, stream)).consumers ?? [];
    const ci = names.includes("workers") ? await consumerInfo(nc, stream, "workers") : null;
    void ci;
    const ok = Object.values(receivedByPod).filter((v) => v > 0).length === 2 && ledger.distinctFinished === n;
    return { ok, serverVersion: version, subscribed, receivedByPod, daprdErrors, consumers: names, published: n, received: ledger.distinctFinished };
  } finally {
    await runner.stopAll();
    await collector.close();
    await deleteStream(nc, stream);
    nc.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  probeJetStream().then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(r.ok ? 0 : 1);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(3);
    },
  );
}
