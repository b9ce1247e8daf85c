// Real topology runs from the seed scenario files:
//   npx tsx real/topology/cli.ts <scenario.yaml> [--time-scale k] [--messages n] [--replicas r]
//                                [--partitions p] [--no-crashes] [--no-resend] [--crash-after n] [--out DIR]
// Kafka (log channel) → runKafka; NATS pipeline (a source/fetcher) → runPipeline; RabbitMQ topic or
// work queue → runFanout. Writes DIR/{trace.jsonl,result.json,work/logs/*} and the topology charts.
// Exit codes: 0 ok (invariants held), 1 an invariant failed, 2 bad input, 3 environment missing.
import { join } from "node:path";
import { loadTopology } from "../../sim/topology/load.js";
import { parseTrace } from "../../sim/trace.js";
import { SETUP_HINT } from "../env.js";
import { checkTopologyPrereqs } from "./brokers.js";
import { runFanout } from "./fanout.js";
import { runKafka } from "./kafka.js";
import { runPipeline } from "./pipeline.js";
import { readFileSync } from "node:fs";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const has = (name: string) => process.argv.includes(`--${name}`);

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file || file.startsWith("--")) {
    console.error("usage: real/topology/cli.ts <scenario.yaml> [--time-scale k] [--messages n] [--replicas r] [--partitions p] [--no-crashes] [--no-resend] [--crash-after n] [--out DIR]");
    return 2;
  }
  let s;
  try {
    s = loadTopology(file);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const k = Number(arg("time-scale") ?? 0.1);
  const messages = arg("messages") ? Number(arg("messages")) : undefined;
  const replicas = arg("replicas") ? Number(arg("replicas")) : undefined;
  const out = arg("out") ?? join("reports/out", `${s.name}-real`);
  const isKafka = s.channels.some((c) => c.kind === "log");
  const isPipeline = s.sources.length > 0;
  const broker = isKafka ? "kafka" : isPipeline ? "nats" : "rabbitmq";
  const pre = await checkTopologyPrereqs(broker);
  if (!pre.ok) {
    console.error(`real ${broker} prerequisites missing — ${SETUP_HINT}:\n  ${pre.problems.join("\n  ")}`);
    return 3;
  }
  console.log(`[real] ${s.name}: ${broker} ${JSON.stringify(pre.versions)}, k = ${k}, out ${out}`);
  let ok: boolean;
  let result: unknown;
  if (isKafka) {
    const r = await runKafka({ scenario: s, daprd: pre.daprd!, outDir: out, k, messages, replicas: replicas ?? 3, partitions: arg("partitions") ? Number(arg("partitions")) : undefined, kedaReadEveryMs: 2000 });
    ok = r.lost.length === 0 && r.broker.lagTotal === 0 && r.maxInFlight <= r.partitions;
    result = r;
  } else if (isPipeline) {
    const r = await runPipeline({ scenario: s, daprd: pre.daprd!, outDir: out, k, chunks: messages, mappers: replicas, crashes: !has("no-crashes"), resend: has("no-resend") ? false : undefined });
    ok = r.delivery === "at-least-once" ? r.lostSends === 0 && r.unsavedChunks.length === 0 : r.crashes.length > 0 || r.lostSends === 0;
    result = r;
  } else {
    const ca = arg("crash-after");
    const r = await runFanout({ scenario: s, daprd: pre.daprd!, outDir: out, k, messages, replicas: replicas ?? 2, crash: ca ? { stage: s.stages[0]!.name, afterMessages: Number(ca) } : undefined });
    ok = Object.values(r.stages).every((x) => x.lost.length === 0 && x.queueMessagesAfterStop === 0) && r.totalDistinct === (r.mode === "fanout" ? Object.keys(r.stages).length * r.published : r.published);
    result = r;
  }
  console.log(JSON.stringify(result, null, 2));
  try {
    const { renderTopologyCharts } = await import("../../reports/topology.js");
    const pngs = await renderTopologyCharts(parseTrace(readFileSync(join(out, "trace.jsonl"), "utf8")), out);
    console.log(`[real] charts: ${pngs.join(", ")}`);
  } catch (e) {
    console.warn(`[real] charts not rendered: ${(e as Error).message}`);
  }
  console.log(`[real] ${ok ? "invariants held" : "INVARIANT FAILED"} — ${out}/result.json, ${out}/trace.jsonl`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
