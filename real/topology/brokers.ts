// Where the topology runs find their brokers, and the broker-side checks they make:
//   Kafka  — single-node KRaft broker started by real/setup.sh from Maven Central jars in
//            <cache>/kafka-<version>/libs, PLAINTEXT on 127.0.0.1:19092 (controller 19093). Admin
//            operations (create/delete topic, describe the consumer group's committed offsets and lag) run
//            Kafka's own tools (org.apache.kafka.tools.*) on the same class path with the machine's Java.
//   NATS   — Debian nats-server 2.9.10 with JetStream, 127.0.0.1:4222, monitoring 127.0.0.1:8222.
//   RabbitMQ — as single-queue real mode (real/env.ts).
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { probeDaprd, unsupportedDaprd } from "../daprd-flags.js";
import { brokerUrls, cacheDir, checkAmqp, checkMgmt, findDaprd, SETUP_HINT } from "../env.js";

export const KAFKA_BOOTSTRAP = process.env.KEDASIM_KAFKA_BOOTSTRAP || "127.0.0.1:19092";
export const NATS_URL = process.env.KEDASIM_NATS_URL || "nats://127.0.0.1:4222";
export const NATS_MONITOR = (process.env.KEDASIM_NATS_MONITOR || "http://127.0.0.1:8222").replace(/\/+$/, "");

/** <cache>/kafka-<version> with a libs/ directory (the newest if several); null if none. */
export function kafkaHome(): string | null {
  const env = process.env.KEDASIM_KAFKA_HOME;
  if (env) return existsSync(join(env, "libs")) ? env : null;
  const c = cacheDir();
  if (!existsSync(c)) return null;
  const dirs = readdirSync(c)
    .filter((d) => /^kafka-\d/.test(d) && existsSync(join(c, d, "libs")) && readdirSync(join(c, d, "libs")).some((f) => /^kafka_2\.13-.*\.jar$/.test(f)))
    .sort();
  return dirs.length ? join(c, dirs[dirs.length - 1]!) : null;
}

export function kafkaVersion(home: string): string {
  const jar = readdirSync(join(home, "libs")).find((f) => /^kafka_2\.13-.*\.jar$/.test(f));
  return jar ? jar.replace(/^kafka_2\.13-/, "").replace(/\.jar$/, "") : "?";
}

export function tcpReachable(hostPort: string, timeoutMs = 2000): Promise<string | null> {
  const [host, port] = hostPort.split(":");
  return new Promise((resolve) => {
    const s = connect({ host, port: Number(port) });
    const t = setTimeout(() => {
      s.destroy();
      resolve(`no answer from ${hostPort} within ${timeoutMs} ms`);
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(t);
      s.destroy();
      resolve(null);
    });
    s.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(`${hostPort}: ${e.code ?? e.message}`);
    });
  });
}

/** Runs one of Kafka's command-line tools (a main class on the broker's class path). */
export function kafkaTool(mainClass: string, args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string; err: string }> {
  const home = kafkaHome();
  if (!home) return Promise.resolve({ code: 127, out: "", err: `no Kafka libs in ${cacheDir()}/kafka-*/libs (${SETUP_HINT})` });
  const log4j = join(home, "config", "tools-log4j.properties");
  const jvm = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", ...(existsSync(log4j) ? [`-Dlog4j.configuration=file:${log4j}`] : [])];
  return new Promise((resolve) => {
    const p = spawn("java", [...jvm, "-cp", join(home, "libs", "*"), mainClass, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (b: Buffer) => (out += b.toString()));
    p.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const t = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("exit", (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
    p.on("error", (e) => {
      clearTimeout(t);
      resolve({ code: 127, out, err: e.message });
    });
  });
}

export async function createTopic(topic: string, partitions: number): Promise<void> {
  const r = await kafkaTool("org.apache.kafka.tools.TopicCommand", ["--bootstrap-server", KAFKA_BOOTSTRAP, "--create", "--if-not-exists", "--topic", topic, "--partitions", String(partitions), "--replication-factor", "1"]);
  if (r.code !== 0) throw new Error(`creating Kafka topic ${topic}: ${r.err || r.out}`);
}

export async function deleteTopic(topic: string): Promise<void> {
  await kafkaTool("org.apache.kafka.tools.TopicCommand", ["--bootstrap-server", KAFKA_BOOTSTRAP, "--delete", "--if-exists", "--topic", topic]);
}

export interface GroupPartition {
  partition: number;
  current: number | null;
  logEnd: number;
  lag: number | null;
  consumer: string;
}

/** `kafka-consumer-groups --describe`: committed offset, log-end offset and lag per partition. */
export async function describeGroup(group: string): Promise<GroupPartition[]> {
  const r = await kafkaTool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", ["--bootstrap-server", KAFKA_BOOTSTRAP, "--describe", "--group", group]);
  if (r.code !== 0) throw new Error(`describing consumer group ${group}: ${r.err || r.out}`);
  const rows: GroupPartition[] = [];
  for (const line of r.out.split("\n")) {
    const f = line.trim().split(/\s+/);
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
    if (f.length < 6 || f[0] !== group) continue;
    const num = (s: string | undefined) => (s === undefined || s === "-" ? null : Number(s));
    rows.push({ partition: Number(f[2]), current: num(f[3]), logEnd: Number(f[4]), lag: num(f[5]), consumer: f[6] ?? "-" });
  }
  return rows;
}

/** Members of a consumer group (`--describe --members`): how many consumers the broker has in it now. */
export async function groupMembers(group: string): Promise<number> {
  const r = await kafkaTool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", ["--bootstrap-server", KAFKA_BOOTSTRAP, "--describe", "--members", "--group", group]);
  if (r.code !== 0) return 0;
  return r.out.split("\n").filter((l) => l.trim().split(/\s+/)[0] === group).length;
}

export interface TopologyPrereqs {
  ok: boolean;
  problems: string[];
  daprd: string | null;
  versions: Record<string, string>;
}

/** What a topology run on `broker` needs: daprd plus that broker, reachable on loopback. */
export async function checkTopologyPrereqs(broker: "kafka" | "nats" | "rabbitmq"): Promise<TopologyPrereqs> {
  const problems: string[] = [];
  const versions: Record<string, string> = {};
  const d = findDaprd();
  if (!d.path) problems.push(d.why);
  if (broker === "kafka") {
    const home = kafkaHome();
    if (!home) problems.push(`no Kafka jars in ${cacheDir()}/kafka-*/libs (real/setup.sh --kafka)`);
    else versions.kafka = kafkaVersion(home);
    const e = await tcpReachable(KAFKA_BOOTSTRAP);
    if (e) problems.push(`Kafka broker not reachable: ${e}`);
  } else if (broker === "nats") {
    const u = new URL(NATS_URL);
    const e = await tcpReachable(`${u.hostname}:${u.port || 4222}`);
    if (e) problems.push(`nats-server not reachable: ${e}`);
    try {
      const j = (await (await fetch(`${NATS_MONITOR}/varz`, { signal: AbortSignal.timeout(2000) })).json()) as { version?: string; jetstream?: { config?: unknown } };
      versions.nats = j.version ?? "?";
      if (!j.jetstream?.config) problems.push("nats-server runs without JetStream (start it with -js -sd <dir>)");
    } catch (err) {
      problems.push(`nats-server monitoring (${NATS_MONITOR}) not reachable: ${(err as Error).message} (start it with -m 8222)`);
    }
  } else {
    const u = brokerUrls();
    const a = await checkAmqp(u.amqp);
    if (a) problems.push(a);
    const m = await checkMgmt(u);
    if (m.error) problems.push(m.error);
    if (m.version) versions.rabbitmq = m.version;
  }
  if (d.path) {
    try {
      const info = probeDaprd(d.path);
      versions.daprd = info.version;
      const bad = unsupportedDaprd(info);
      if (bad) problems.push(bad);
    } catch (e) {
      problems.push(`cannot use daprd ${d.path}: ${(e as Error).message}`);
    }
  }
  return { ok: problems.length === 0, problems, daprd: d.path, versions };
}
