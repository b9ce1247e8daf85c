// A minimal NATS client (text protocol over one TCP socket) — just enough for the JetStream API the
// harness needs: create/delete streams, consumer info (num_pending / num_ack_pending, like KEDA's
// nats-jetstream scaler), stream info. Requests are PUB with a reply inbox. No npm dependency.
import { connect, type Socket } from "node:net";

export class NatsError extends Error {}

export class MiniNats {
  private buf = Buffer.alloc(0);
  private sid = 1;
  private inbox = `_INBOX.kedasim${process.pid}${Date.now().toString(36)}`;
  private waiting = new Map<string, (data: string) => void>();
  private pongs: Array<() => void> = [];
  private seq = 0;

  private constructor(private sock: Socket) {}

  static async connect(url = process.env.KEDASIM_NATS_URL || "nats://127.0.0.1:4222", timeoutMs = 3000): Promise<MiniNats> {
    const u = new URL(url);
    const sock = connect({ host: u.hostname, port: Number(u.port || 4222) });
    const nc = new MiniNats(sock);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        sock.destroy();
        reject(new NatsError(`NATS at ${url}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once("error", (e) => {
        clearTimeout(t);
        reject(new NatsError(`NATS at ${url}: ${e.message}`));
      });
      sock.once("data", () => {
        clearTimeout(t);
        resolve();
      });
    });
    sock.on("error", () => undefined);
    sock.on("data", (d: Buffer) => nc.onData(d));
    sock.write(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"name":"kedasim-harness"}\r\n`);
    sock.write(`SUB ${nc.inbox}.* ${nc.sid++}\r\n`);
    await nc.flush();
    return nc;
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const eol = this.buf.indexOf("\r\n");
      if (eol < 0) return;
      const line = this.buf.subarray(0, eol).toString("utf8");
      if (line.startsWith("MSG ") || line.startsWith("HMSG ")) {
        const parts = line.split(" ");
        const total = Number(parts[parts.length - 1]);
        const hdr = line.startsWith("HMSG ") ? Number(parts[parts.length - 2]) : 0;
        if (this.buf.length < eol + 2 + total + 2) return;
        const payload = this.buf.subarray(eol + 2 + hdr, eol + 2 + total).toString("utf8");
        const headers = hdr ? this.buf.subarray(eol + 2, eol + 2 + hdr).toString("utf8") : "";
        this.buf = this.buf.subarray(eol + 2 + total + 2);
        const subject = parts[1]!;
        const w = this.waiting.get(subject);
        if (w) {
          this.waiting.delete(subject);
          // 503 no responders comes as a header-only message
          w(headers.includes("503") && payload === "" ? '{"error":{"code":503,"description":"no responders"}}' : payload);
        }
        continue;
      }
      this.buf = this.buf.subarray(eol + 2);
      if (line === "PING") this.sock.write("PONG\r\n");
      else if (line === "PONG") this.pongs.shift()?.();
      else if (line.startsWith("-ERR")) console.warn(`[nats] ${line}`);
    }
  }

  flush(): Promise<void> {
    return new Promise((resolve) => {
      this.pongs.push(resolve);
      this.sock.write("PING\r\n");
    });
  }

  publish(subject: string, data: string): void {
    const b = Buffer.from(data);
    this.sock.write(`PUB ${subject} ${b.length}\r\n`);
    this.sock.write(b);
    this.sock.write("\r\n");
  }

  async request<T = Record<string, unknown>>(subject: string, body: unknown, timeoutMs = 5000): Promise<T> {
    const reply = `${this.inbox}.${++this.seq}`;
    const data = Buffer.from(body === undefined ? "" : JSON.stringify(body));
    const p = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(reply);
        reject(new NatsError(`no reply to ${subject} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(reply, (s) => {
        clearTimeout(t);
        resolve(s);
      });
    });
    this.sock.write(`PUB ${subject} ${reply} ${data.length}\r\n`);
    this.sock.write(data);
    this.sock.write("\r\n");
    const text = await p;
    return JSON.parse(text) as T;
  }

  /** JetStream API call; throws on an API error. */
  async js<T = Record<string, unknown>>(api: string, body?: unknown): Promise<T> {
    const r = await this.request<T & { error?: { code: number; err_code?: number; description: string } }>(`$JS.API.${api}`, body);
    if (r.error) throw new NatsError(`$JS.API.${api}: ${r.error.code}/${r.error.err_code ?? ""} ${r.error.description}`);
    return r;
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }
}

export interface ConsumerInfo {
  name: string;
  num_pending: number;
  num_ack_pending: number;
  num_redelivered: number;
  num_waiting: number;
  delivered: { consumer_seq: number; stream_seq: number };
  ack_floor: { consumer_seq: number; stream_seq: number };
  config: Record<string, unknown>;
  push_bound?: boolean;
}

export interface StreamInfo {
  state: { messages: number; first_seq: number; last_seq: number; consumer_count: number };
}

export async function createStream(nc: MiniNats, name: string, subjects: string[]): Promise<void> {
  await nc.js(`STREAM.CREATE.${name}`, { name, subjects, retention: "limits", storage: "file", num_replicas: 1, discard: "old" });
}

export async function deleteStream(nc: MiniNats, name: string): Promise<void> {
  try {
    await nc.js(`STREAM.DELETE.${name}`);
  } catch {
    /* already gone */
  }
}

export interface PushConsumer {
  durable: string;
  /** The queue group the sidecars subscribe with (queueGroupName). */
  deliverGroup: string;
  ackPolicy: "explicit" | "none";
  ackWaitMs?: number;
  maxAckPending?: number;
}

/**
 * Creates the durable push consumer a pubsub.jetstream sidecar binds to. daprd 1.9's component
 * (components-contrib v1.9.7 pubsub/jetstream) reads no ackPolicy / ackWait / maxAckPending
 * metadata: it queue-subscribes with only Durable and a deliver policy, so nats.go creates the
 * consumer with the server defaults (explicit acks, 30 s ackWait) — or binds to an existing one
 * whose policies it does not check (nats.go js.go `checkConfig` skips fields it did not set, and
 * `processConsInfo` requires the deliver group to be the queue). Pre-creating it is how a 1.9
 * user gets the scenario's delivery semantics.
 */
export async function createPushConsumer(nc: MiniNats, stream: string, c: PushConsumer): Promise<void> {
  const config: Record<string, unknown> = {
    durable_name: c.durable,
    deliver_subject: `_KEDASIM_DELIVER.${stream}.${c.durable}`,
    deliver_group: c.deliverGroup,
    deliver_policy: "all",
    ack_policy: c.ackPolicy,
    replay_policy: "instant",
  };
  if (c.ackPolicy === "explicit") {
    if (c.ackWaitMs !== undefined) config.ack_wait = Math.round(c.ackWaitMs * 1e6); // nanoseconds
    if (c.maxAckPending !== undefined) config.max_ack_pending = c.maxAckPending;
  }
  await nc.js(`CONSUMER.DURABLE.CREATE.${stream}.${c.durable}`, { stream_name: stream, config });
}

export function consumerInfo(nc: MiniNats, stream: string, durable: string): Promise<ConsumerInfo> {
  return nc.js<ConsumerInfo>(`CONSUMER.INFO.${stream}.${durable}`);
}

export function consumerNames(nc: MiniNats, stream: string): Promise<{ consumers: string[] | null }> {
  return nc.js<{ consumers: string[] | null }>(`CONSUMER.NAMES.${stream}`, {});
}

export function streamInfo(nc: MiniNats, stream: string): Promise<StreamInfo> {
  return nc.js<StreamInfo>(`STREAM.INFO.${stream}`);
}
