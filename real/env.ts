// Where real mode finds its prerequisites: the daprd binary (built or located by real/setup.sh) and
// the local RabbitMQ (AMQP + management API). Also the prerequisite check the tests use.
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";

export const SETUP_HINT = "run `npm run real:setup` first";

/** Environment problem (broker unreachable, daprd missing or failing): exit code 3. */
export class RealEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RealEnvError";
  }
}

export function cacheDir(): string {
  return process.env.KEDASIM_CACHE || join(homedir(), ".cache", "kedasim");
}

export interface BrokerUrls {
  /** What the harness itself uses (queue declare/purge/delete, counts, results). */
  amqp: string;
  /** RabbitMQ management API base, e.g. http://127.0.0.1:15672 (credentials separately). */
  mgmt: string;
  mgmtUser: string;
  mgmtPassword: string;
  /** What goes into the Dapr components' `host` (normally the same as amqp). */
  componentAmqp: string;
}

export function brokerUrls(): BrokerUrls {
  const amqpUrl = process.env.KEDASIM_AMQP_URL || "amqp://guest:guest@127.0.0.1:5672";
  return {
    amqp: amqpUrl,
    mgmt: (process.env.KEDASIM_RABBIT_MGMT_URL || "http://127.0.0.1:15672").replace(/\/+$/, ""),
    mgmtUser: process.env.KEDASIM_RABBIT_MGMT_USER || "guest",
    mgmtPassword: process.env.KEDASIM_RABBIT_MGMT_PASSWORD || "guest",
    // Test hook: break only the sidecars' broker address (daprd must then fail to start).
    componentAmqp: process.env.KEDASIM_DAPR_AMQP_URL || amqpUrl,
  };
}

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The daprd binary: $DAPRD, else the path real/setup.sh wrote to <cache>/daprd.path. */
export function findDaprd(): { path: string | null; why: string } {
  const env = process.env.DAPRD;
  if (env) return isExecutable(env) ? { path: env, why: "$DAPRD" } : { path: null, why: `DAPRD=${env} is not an executable file` };
  const file = join(cacheDir(), "daprd.path");
  if (!existsSync(file)) return { path: null, why: `no daprd: ${file} does not exist (${SETUP_HINT}, or set DAPRD=/path/to/daprd)` };
  const p = readFileSync(file, "utf8").trim();
  if (!isExecutable(p)) return { path: null, why: `${file} names ${p}, which is not an executable file (${SETUP_HINT})` };
  return { path: p, why: file };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

/** AMQP connect with a hard timeout; resolves to null when reachable, else the reason. */
export async function checkAmqp(url: string, timeoutMs = 3000): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const conn = await Promise.race([
      amqp.connect(url, { timeout: timeoutMs }),
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    await conn.close().catch(() => undefined);
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return `RabbitMQ (AMQP) is not reachable at ${redact(url)}: ${err.code ? err.code + " " : ""}${err.message}`;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export async function checkMgmt(u: BrokerUrls, timeoutMs = 3000): Promise<{ error: string | null; version?: string }> {
  try {
    const r = await fetch(`${u.mgmt}/api/overview`, {
      headers: { authorization: "Basic " + Buffer.from(`${u.mgmtUser}:${u.mgmtPassword}`).toString("base64") },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!r.ok) return { error: `RabbitMQ management API at ${u.mgmt} answered HTTP ${r.status} (is the rabbitmq_management plugin on, and are the credentials right?)` };
    const j = (await r.json()) as { rabbitmq_version?: string };
    return { error: null, version: j.rabbitmq_version };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const code = err.cause?.code ?? (err.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : "");
    return { error: `RabbitMQ management API is not reachable at ${u.mgmt}: ${code || err.message}` };
  }
}

export interface Prereqs {
  ok: boolean;
  daprd: string | null;
  problems: string[];
  rabbitVersion?: string;
}

/** What the real-mode tests need: daprd and a reachable RabbitMQ with its management API. */
export async function checkPrereqs(): Promise<Prereqs> {
  const problems: string[] = [];
  const d = findDaprd();
  if (!d.path) problems.push(d.why);
  const u = brokerUrls();
  const a = await checkAmqp(u.amqp);
  if (a) problems.push(a);
  const m = await checkMgmt(u);
  if (m.error) problems.push(m.error);
  return { ok: problems.length === 0, daprd: d.path, problems, rabbitVersion: m.version };
}
