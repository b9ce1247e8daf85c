// One stage of a topology run: a plain node:http app next to its daprd. It receives messages either
// from an input binding (`POST /<binding>`, bindings.kafka) or from a pubsub subscription it declares
// on `GET /dapr/subscribe` (pubsub.rabbitmq, pubsub.jetstream), works for the stage's processing time
// (scaled, drawn per message id so a redelivery takes as long), optionally publishes the message on to
// the next topic through its own sidecar, reports `received` / `finished` to the harness' collector and
// only then answers 200 (daprd acks).
//
// Environment (all set by real/topology/harness.ts):
//   APP_PORT, DAPR_HTTP_PORT, KEDASIM_POD         from real/pair.ts
//   TOPO_STAGE         stage name
//   TOPO_COLLECTOR     http://127.0.0.1:<port> of the harness
//   TOPO_MODE          "binding" | "pubsub"
//   TOPO_BINDING       input binding name (binding mode)
//   TOPO_PUBSUB, TOPO_TOPIC, TOPO_SUB_META (JSON object of subscription metadata)   (pubsub mode)
//   TOPO_FORWARD       "<pubsub>/<topic>" to publish every processed message to (optional)
//   TOPO_PROC          JSON: {"fixed": ms} | {"uniform": [minMs, maxMs]} | {"exp": meanMs}
//   TOPO_SEED          seed for the per-message processing-time draw
import { createServer, request, type IncomingMessage } from "node:http";

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
}

const port = Number(env("APP_PORT"));
const daprPort = Number(env("DAPR_HTTP_PORT"));
const pod = env("KEDASIM_POD");
const stage = env("TOPO_STAGE");
const collector = new URL(env("TOPO_COLLECTOR"));
const mode = env("TOPO_MODE");
const binding = env("TOPO_BINDING", "jobs");
const pubsub = env("TOPO_PUBSUB", "");
const topic = env("TOPO_TOPIC", "");
const subMeta = JSON.parse(env("TOPO_SUB_META", "{}")) as Record<string, string>;
const forward = env("TOPO_FORWARD", "");
const proc = JSON.parse(env("TOPO_PROC", '{"fixed":0}')) as { fixed?: number; uniform?: [number, number]; exp?: number };
const seed = Number(env("TOPO_SEED", "1"));

/** Deterministic uniform [0,1) from (seed, id): the same message always takes the same time. */
function u01(id: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(id + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 4294967296;
}

function procMs(id: number): number {
  if (proc.fixed !== undefined) return proc.fixed;
  if (proc.uniform) return proc.uniform[0] + (proc.uniform[1] - proc.uniform[0]) * u01(id);
  if (proc.exp !== undefined) return -proc.exp * Math.log(1 - u01(id));
  return 0;
}

function post(host: string, p: number, path: string, body: unknown): Promise<number> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request({ host, port: p, path, method: "POST", headers: { "content-type": "application/json", "content-length": data.length }, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(data);
  });
}

async function report(ev: Record<string, unknown>): Promise<void> {
  for (let i = 0; i < 5; i++) {
    try {
      await post(collector.hostname, Number(collector.port), "/event", { ...ev, stage, pod, t: performance.timeOrigin + performance.now() });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

/** The message id: binding payload {id} / the seed's {"data":{"orderId":n}}; pubsub CloudEvent {data:{id}}. */
function messageOf(body: string): { id: number; payload: Record<string, unknown> } | null {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    const d = (mode === "pubsub" ? j.data : j) as Record<string, unknown> | undefined;
    if (!d || typeof d !== "object") return null;
    const inner = (d.data ?? d) as Record<string, unknown>;
    const id = typeof d.id === "number" ? d.id : typeof inner.orderId === "number" ? inner.orderId : typeof inner.id === "number" ? inner.id : null;
    return id === null ? null : { id, payload: d };
  } catch {
    return null;
  }
}

let busy = 0;
let stopping = false;
const route = mode === "pubsub" ? "/events" : `/${binding}`;

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  if (req.method === "GET" && url === "/healthz") {
    res.writeHead(stopping && busy === 0 ? 503 : 200).end();
    return;
  }
  if (req.method === "GET" && url === "/dapr/subscribe") {
    const subs = mode === "pubsub" ? [{ pubsubname: pubsub, topic, route: "/events", metadata: subMeta }] : [];
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(subs));
    return;
  }
  if (req.method === "GET" && url === "/dapr/config") {
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
    return;
  }
  if (req.method === "OPTIONS" && url === route) {
    res.writeHead(200).end();
    return;
  }
  if (req.method === "POST" && url === route) {
    void (async () => {
      const body = await readBody(req);
      const m = messageOf(body);
      if (!m) {
        await report({ event: "parked", body: body.slice(0, 200) });
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"DROP"}');
        return;
      }
      busy++;
      const partition = req.headers["__partition"] ?? req.headers["partition"] ?? req.headers["kafka-partition"];
      await report({ event: "received", id: m.id, partition: partition === undefined ? undefined : Number(partition) });
      await new Promise((r) => setTimeout(r, procMs(m.id)));
      if (forward) {
        const [ps, tp] = forward.split("/");
        const st = await post("127.0.0.1", daprPort, `/v1.0/publish/${ps}/${tp}`, { ...m.payload, id: m.id, from: stage });
        if (st >= 300) {
          busy--;
          await report({ event: "forward-failed", id: m.id, status: st });
          res.writeHead(500).end();
          return;
        }
      }
      await report({ event: "finished", id: m.id });
      busy--;
      res.writeHead(200, { "content-type": "application/json" }).end(mode === "pubsub" ? '{"status":"SUCCESS"}' : "");
      if (stopping && busy === 0) setTimeout(() => process.exit(0), 20);
    })();
    return;
  }
  res.writeHead(404).end();
});

server.listen(port, "127.0.0.1", () => console.log(`worker ${stage}/${pod} listening on 127.0.0.1:${port} (${mode} ${route})`));
process.on("SIGTERM", () => {
  stopping = true;
  if (busy === 0) process.exit(0);
});
