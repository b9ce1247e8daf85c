// Shared by the real-mode apps: a Dapr client for the sidecar next to the app, the reporter of the
// result messages the harness builds its ledger from, and small HTTP helpers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { CommunicationProtocolEnum, DaprClient, LogLevel } from "@dapr/dapr";
import amqp from "amqplib";

/** Epoch milliseconds with sub-millisecond precision (comparable across processes on one host). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** What apps report on the results queue; the harness turns these into trace records. */
export type ResultEvent =
  | { event: "produced"; id: number; t: number }
  | { event: "received"; id: number; pod: string; t: number; producedAt: number }
  | { event: "finished"; id: number; pod: string; t: number; producedAt: number; startedAt: number }
  | { event: "parked"; pod: string; t: number; body: string; reason: string };

export function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === "") {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
}

export function daprClient(): DaprClient {
  return new DaprClient({
    daprHost: "127.0.0.1",
    daprPort: env("DAPR_HTTP_PORT"),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    logger: { level: LogLevel.Error },
  });
}

/**
 * Reports result events straight to the run's results queue over AMQP (publisher confirms), not
 * through the sidecar: the measurement must not depend on the system under test. daprd 1.9 closes
 * its API servers at SIGTERM (pkg/runtime/runtime.go `Shutdown` at v1.9.6), so a report through the
 * sidecar would fail for exactly the message a terminating pod is finishing. The seed's consumer
 * calls nothing of Dapr to finish a job either; the jobs themselves still travel through Dapr.
 */
export class ResultsReporter {
  private constructor(
    private conn: amqp.ChannelModel,
    private ch: amqp.ConfirmChannel,
    private queue: string,
  ) {}

  static async open(url = env("KEDASIM_AMQP_URL"), queue = env("KEDASIM_RESULTS_QUEUE")): Promise<ResultsReporter> {
    const conn = await amqp.connect(url);
    // Without listeners an 'error' event (the broker closing the connection) kills the app with a
    // stack trace; a failed send already rejects, so one line in the app's log is enough here.
    const say = (what: string) => (e: unknown) => process.stderr.write(`results reporter: ${what}: ${(e as Error)?.message ?? String(e)}\n`);
    conn.on("error", say("connection error"));
    const ch = await conn.createConfirmChannel();
    ch.on("error", say("channel error"));
    return new ResultsReporter(conn, ch, queue);
  }

  /** Resolves once the broker has confirmed the message. */
  send(ev: ResultEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ch.sendToQueue(this.queue, Buffer.from(JSON.stringify(ev)), { persistent: true, contentType: "application/json" }, (err) =>
        err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
      );
    });
  }

  async close(): Promise<void> {
    await this.ch.close().catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}

export function readBody(req: IncomingMessage, limit = 4 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export function reply(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
