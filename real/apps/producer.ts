// Real-mode producer: the seed's REST endpoint POST /MessageProducer {count, intervalMilliseconds}.
// Each message is a JSON object {id, producedAt} sent through the `jobs` output binding
// (client.binding.send(name, "create", {...})); every sent message is also reported as "produced" on
// the run's results queue (ResultsReporter: straight to RabbitMQ, not through the sidecar). intervalMilliseconds 0 sends the batch at once (a burst); otherwise message i
// goes out at start + i × interval (absolute schedule, no drift).
//
// Env: APP_PORT, DAPR_HTTP_PORT, KEDASIM_JOBS_BINDING (jobs), KEDASIM_AMQP_URL, KEDASIM_RESULTS_QUEUE.
import { createServer } from "node:http";
import { daprClient, env, nowMs, readBody, reply, ResultsReporter, sleep } from "./common.js";

const port = Number(env("APP_PORT"));
const jobs = env("KEDASIM_JOBS_BINDING", "jobs");
const results = await ResultsReporter.open();
const BURST_CONCURRENCY = 16;

const client = daprClient();
let nextId = 0;
let sent = 0;
let failed = 0;
let pending = 0;

/** Call fn up to 5 times (100, 200, ... ms apart); false when every attempt failed. */
async function withRetries(what: string, fn: () => Promise<unknown>): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fn();
      return true;
    } catch (e) {
      if (attempt >= 5) {
        console.error(`${what}: failed ${attempt} times: ${e instanceof Error ? e.message : String(e)}`);
        return false;
      }
      await sleep(100 * attempt);
    }
  }
}

async function produceOne(id: number): Promise<void> {
  let producedAt = nowMs();
  const ok = await withRetries(`message ${id}: jobs output binding`, () => {
    producedAt = nowMs();
    return client.binding.send(jobs, "create", { id, producedAt }, { contentType: "application/json" });
  });
  if (!ok) {
    failed++;
    return;
  }
  sent++;
  // Reported separately: a failing report must not send the job twice.
  await withRetries(`message ${id}: produced report`, () => results.send({ event: "produced", id, t: producedAt }));
}

async function produce(firstId: number, count: number, intervalMs: number): Promise<void> {
  pending += count;
  try {
    if (intervalMs <= 0) {
      let i = 0;
      const worker = async () => {
        while (i < count) {
          const id = firstId + i++;
          await produceOne(id);
          pending--;
        }
      };
      await Promise.all(Array.from({ length: Math.min(BURST_CONCURRENCY, count) }, worker));
      return;
    }
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      await produceOne(firstId + i);
      pending--;
    }
  } catch (e) {
    console.error(`producer: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  if (req.method === "GET" && url === "/healthz") return reply(res, 200);
  if (req.method === "GET" && url === "/status") return reply(res, 200, { nextId, sent, failed, pending });
  if (req.method === "POST" && url === "/MessageProducer") {
    readBody(req).then(
      (text) => {
        let b: { count?: unknown; intervalMilliseconds?: unknown };
        try {
          b = JSON.parse(text) as typeof b;
        } catch {
          return reply(res, 400, { error: "body must be JSON {count, intervalMilliseconds}" });
        }
        const count = b?.count;
        const interval = b?.intervalMilliseconds ?? 0;
        if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || typeof interval !== "number" || !(interval >= 0)) {
          return reply(res, 400, { error: "expected {count: whole number >= 0, intervalMilliseconds: number >= 0}" });
        }
        const firstId = nextId;
        nextId += count;
        void produce(firstId, count, interval);
        reply(res, 200, { firstId, count, intervalMilliseconds: interval });
      },
      () => reply(res, 400, { error: "cannot read body" }),
    );
    return;
  }
  reply(res, 404);
});

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}

server.listen(port, "127.0.0.1", () => {
  console.log(`producer listening on 127.0.0.1:${port}`);
});
