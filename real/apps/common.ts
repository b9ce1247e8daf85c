// Shared by the real-mode apps: a Dapr client for the sidecar next to the app, the result
// messages they report through the `results` output binding, and small HTTP helpers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { CommunicationProtocolEnum, DaprClient, LogLevel } from "@dapr/dapr";

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
 * Send a JSON object through an output binding. Only plain objects: daprd json.Marshals `data`,
 * and a bare string would become a quoted JSON string that the SDK's strict JSON parser rejects on
 * the receiving side. Metadata values must be strings.
 */
export async function sendResult(client: DaprClient, binding: string, ev: ResultEvent): Promise<void> {
  await client.binding.send(binding, "create", ev as unknown as Record<string, unknown>, { contentType: "application/json" });
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
