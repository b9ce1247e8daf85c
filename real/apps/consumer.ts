// Real-mode consumer: one replica's app container. daprd delivers each message of the `jobs` input
// binding as POST /jobs (one at a time: the RabbitMQ binding is sequential per sidecar); the app
// does the scenario's work (processing time × time scale, drawn from a seeded stream per message
// id) and reports received/finished on the run's results queue (ResultsReporter: straight to
// RabbitMQ, independent of the sidecar). It answers exactly 200 on success (daprd acks), 500 on
// failure (nack + requeue). On SIGTERM it finishes the message in hand, refuses new ones (daprd
// requeues them), then exits.
//
// Env: APP_PORT, KEDASIM_POD, KEDASIM_PROCESSING (JSON Distribution, wall seconds), KEDASIM_SEED,
//      KEDASIM_JOBS_BINDING (jobs), KEDASIM_AMQP_URL, KEDASIM_RESULTS_QUEUE.
import { createServer } from "node:http";
import { sampler, stream, type Distribution } from "../../sim/rng.js";
import { env, nowMs, readBody, reply, ResultsReporter, sleep } from "./common.js";

const port = Number(env("APP_PORT"));
const pod = env("KEDASIM_POD");
const processing = JSON.parse(env("KEDASIM_PROCESSING")) as Distribution;
const seed = Number(env("KEDASIM_SEED", "1"));
const jobsRoute = "/" + env("KEDASIM_JOBS_BINDING", "jobs");
const results = await ResultsReporter.open();
let inFlight = 0;
let terminating = false;
let shuttingDown = false;

/** Processing time of a message, in ms: the same draw for a message id whichever pod gets it. */
function workMs(id: number): number {
  return sampler(processing, stream(seed, `service:${id}`))() * 1000;
}

async function handleJob(body: string): Promise<number> {
  let msg: { id?: unknown; producedAt?: unknown };
  try {
    msg = JSON.parse(body) as typeof msg;
  } catch {
    msg = {};
  }
  if (typeof msg !== "object" || msg === null || typeof msg.id !== "number" || typeof msg.producedAt !== "number") {
    // Not ours / not JSON: park it (ack) instead of a nack that would loop forever.
    await results.send({ event: "parked", pod, t: nowMs(), body: body.slice(0, 200), reason: "not a {id, producedAt} JSON object" });
    return 200;
  }
  const id = msg.id;
  const producedAt = msg.producedAt;
  const startedAt = nowMs();
  await results.send({ event: "received", id, pod, t: startedAt, producedAt });
  await sleep(workMs(id));
  await results.send({ event: "finished", id, pod, t: nowMs(), producedAt, startedAt });
  return 200;
}

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  if (req.method === "GET" && url === "/healthz") return reply(res, 200);
  if (url === jobsRoute && req.method === "OPTIONS") return reply(res, 200);
  if (url === jobsRoute && req.method === "POST") {
    // After SIGTERM the app takes no new work (as a terminating pod in the simulator): daprd 1.9 keeps
    // its binding subscribed through the graceful period and may deliver the next message in the 50 ms
    // before the app exits. An error makes bindings.rabbitmq Nack it with requeue (components-contrib
    // v1.9.7 bindings/rabbitmq/rabbitmq.go Read): back in the queue, never started.
    if (terminating) return reply(res, 503, { error: "SHUTTING_DOWN" });
    inFlight++;
    readBody(req)
      .then(handleJob)
      .then(
        (status) => reply(res, status),
        (e: unknown) => {
          console.error(`[${pod}] job failed: ${e instanceof Error ? e.message : String(e)}`);
          reply(res, 500, { error: "COULD_NOT_PROCESS" });
        },
      )
      .finally(() => {
        inFlight--;
        if (terminating) void maybeExit();
      });
    return;
  }
  reply(res, 404);
});
server.keepAliveTimeout = 65_000;

async function maybeExit(): Promise<void> {
  if (inFlight > 0 || shuttingDown) return;
  shuttingDown = true;
  // Give daprd a moment to ack the last message, then exit. daprd's next health probe fails and
  // that ends its --dapr-block-shutdown-duration early. (Not POST /v1.0/shutdown: during the block
  // that stops the health probes and daprd then waits out the whole duration.)
  await sleep(50);
  server.close();
  await results.close();
  process.exit(0);
}

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => {
    terminating = true;
    void maybeExit();
  });
}

server.listen(port, "127.0.0.1", () => {
  console.log(`[${pod}] listening on 127.0.0.1:${port}`);
});
