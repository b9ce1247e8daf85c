// The harness's own view of RabbitMQ: per-run queues (declare, purge, delete), the two ways KEDA's
// rabbitmq scaler reads a queue (AMQP passive declare = ready only, live; management API
// `messages` = ready + unacked, sampled by RabbitMQ every collect_statistics_interval), and the
// results queue the consumers report to.
import { execFile } from "node:child_process";
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from "amqplib";
import type { BrokerUrls } from "./env.js";

export interface MgmtQueue {
  messages: number;
  messagesReady: number;
  messagesUnacknowledged: number;
  consumers: number;
  /** msgs per wall second, as the management API reports them. */
  publishRate: number;
  deliverGetRate: number;
}

export class Broker {
  private conn!: ChannelModel;
  private ch!: Channel;
  private checkCh: Channel | null = null;
  private closed = false;

  constructor(readonly urls: BrokerUrls) {}

  async connect(): Promise<void> {
    this.conn = await amqp.connect(this.urls.amqp, { timeout: 3000 });
    this.conn.on("error", () => undefined);
    this.ch = await this.conn.createChannel();
    this.ch.on("error", () => undefined);
  }

  /**
   * Declare durable, non-auto-delete classic queues exactly as the Dapr binding declares them
   * (durable "true", deleteWhenUnused "false", no arguments), so its QueueDeclare matches.
   */
  async declare(names: string[]): Promise<void> {
    for (const q of names) {
      await this.ch.assertQueue(q, { durable: true, autoDelete: false, exclusive: false });
      await this.ch.purgeQueue(q);
    }
  }

  async deleteQueues(names: string[]): Promise<void> {
    for (const q of names) {
      try {
        const ch = await this.conn.createChannel();
        ch.on("error", () => undefined);
        await ch.deleteQueue(q);
        await ch.close().catch(() => undefined);
      } catch {
        /* already gone or connection closed */
      }
    }
  }

  /** AMQP passive declare (KEDA's AMQP mode): ready messages only, real time. */
  async checkQueue(q: string): Promise<{ messageCount: number; consumerCount: number }> {
    if (!this.checkCh) {
      // A failed passive declare closes the channel: keep it separate from the main one.
      const ch = await this.conn.createChannel();
      ch.on("error", () => undefined);
      ch.on("close", () => {
        if (this.checkCh === ch) this.checkCh = null;
      });
      this.checkCh = ch;
    }
    const r = await this.checkCh.checkQueue(q);
    return { messageCount: r.messageCount, consumerCount: r.consumerCount };
  }

  /** Management API `GET /api/queues/%2f/<q>` (KEDA's HTTP mode). */
  async mgmtQueue(q: string): Promise<MgmtQueue> {
    const r = await fetch(`${this.urls.mgmt}/api/queues/%2f/${encodeURIComponent(q)}`, {
      headers: { authorization: "Basic " + Buffer.from(`${this.urls.mgmtUser}:${this.urls.mgmtPassword}`).toString("base64") },
      signal: AbortSignal.timeout(3000),
    });
    if (!r.ok) throw new Error(`management API: GET /api/queues/%2f/${q} answered HTTP ${r.status}`);
    const j = (await r.json()) as Record<string, unknown> & {
      message_stats?: { publish_details?: { rate?: number }; deliver_get_details?: { rate?: number } };
    };
    const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
    return {
      messages: n(j.messages),
      messagesReady: n(j.messages_ready),
      messagesUnacknowledged: n(j.messages_unacknowledged),
      consumers: n(j.consumers),
      publishRate: n(j.message_stats?.publish_details?.rate),
      deliverGetRate: n(j.message_stats?.deliver_get_details?.rate),
    };
  }

  /** Drain a queue continuously (the results queue): JSON bodies, auto-ack. */
  async consumeJson(q: string, onMessage: (body: unknown, raw: ConsumeMessage) => void): Promise<void> {
    const ch = await this.conn.createChannel();
    ch.on("error", () => undefined);
    await ch.consume(
      q,
      (m) => {
        if (!m) return;
        let body: unknown;
        try {
          body = JSON.parse(m.content.toString("utf8"));
        } catch {
          body = { unparsable: m.content.toString("utf8") };
        }
        onMessage(body, m);
      },
      { noAck: true },
    );
  }

  /**
   * Take every message left in `q` (basic.get, no ack: only after every consumer stopped, just before
   * the queue is deleted) and return the ids of those whose body is one of the producer's messages.
   */
  async drainIds(q: string, max = 100_000): Promise<{ count: number; ids: number[] }> {
    const ch = await this.conn.createChannel();
    ch.on("error", () => undefined);
    const ids: number[] = [];
    let count = 0;
    try {
      for (; count < max; count++) {
        const m = await ch.get(q, { noAck: true });
        if (!m) break;
        try {
          const body = JSON.parse(m.content.toString("utf8")) as { id?: unknown };
          if (typeof body?.id === "number") ids.push(body.id);
        } catch {
          /* not one of ours: counted, no id */
        }
      }
    } finally {
      await ch.close().catch(() => undefined);
    }
    return { count, ids };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.conn?.close().catch(() => undefined);
  }
}

function rabbitmqctlEval(expr: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile("rabbitmqctl", ["eval", expr], { timeout: timeoutMs }, (err, stdout) => resolve(err ? null : stdout));
  });
}

const COLLECTORS = ["queue_coarse_metrics_metrics_collector", "queue_metrics_metrics_collector"];

export interface StatsTiming {
  /** collect_statistics_interval: how often a queue emits its stats (read at queue start). */
  queueEmitMs: number | null;
  /** How often the management agent's queue collector picks them up: max(collect_statistics_interval, finest sample-retention granularity). */
  collectorMs: number | null;
  /** What KEDA's HTTP mode sees refresh: the slower of the two; 5000 assumed when unknown. */
  effectiveMs: number;
  source: string;
}

/**
 * How often RabbitMQ's management API refreshes a queue's counts. Asked through rabbitmqctl (needs
 * the Erlang cookie: root or the rabbitmq user); KEDASIM_RABBIT_STATS_INTERVAL_MS overrides.
 */
export async function readStatsTiming(timeoutMs = 5000): Promise<StatsTiming> {
  const env = process.env.KEDASIM_RABBIT_STATS_INTERVAL_MS;
  if (env && Number(env) > 0) return { queueEmitMs: Number(env), collectorMs: Number(env), effectiveMs: Number(env), source: "KEDASIM_RABBIT_STATS_INTERVAL_MS" };
  const out = await rabbitmqctlEval(
    `C = try {_, P, _, _} = lists:keyfind(${COLLECTORS[0]}, 1, supervisor:which_children(rabbit_mgmt_agent_sup)), element(3, sys:get_state(P)) catch _:_ -> undefined end, {application:get_env(rabbit, collect_statistics_interval), C}.`,
    timeoutMs,
  );
  const m = out ? /\{\{ok,\s*(\d+)\},\s*(\d+|undefined)\}/.exec(out) : null;
  if (!m) return { queueEmitMs: null, collectorMs: null, effectiveMs: 5000, source: "unknown (rabbitmqctl not usable): RabbitMQ's default 5000 ms assumed" };
  const q = Number(m[1]);
  const c = m[2] === "undefined" ? null : Number(m[2]);
  return { queueEmitMs: q, collectorMs: c, effectiveMs: Math.max(q, c ?? q), source: "rabbitmqctl" };
}

/**
 * Make the management API refresh queue counts every second instead of every 5 s, at runtime (lost
 * when RabbitMQ restarts): collect_statistics_interval 500 ms for queues declared from now on, a
 * 1 s finest sample-retention granularity, and a restart of the two queue-metrics collectors so
 * they pick it up. 1 s is the floor (retention granularities are whole seconds). Equivalent
 * rabbitmq.conf: collect_statistics_interval = 500 and management.sample_retention_policies.{global,basic}.minute = 1.
 */
export async function tuneStatsTiming(timeoutMs = 8000): Promise<boolean> {
  const out = await rabbitmqctlEval(
    "application:set_env(rabbit, collect_statistics_interval, 500), " +
      "P = [{global,[{605,1},{3660,60},{29400,600},{86400,1800}]},{basic,[{605,1},{3600,60}]},{detailed,[{605,1}]}], " +
      "application:set_env(rabbitmq_management_agent, sample_retention_policies, P), " +
      "application:set_env(rabbitmq_management, sample_retention_policies, P), " +
      `[begin ok = supervisor:terminate_child(rabbit_mgmt_agent_sup, C), supervisor:restart_child(rabbit_mgmt_agent_sup, C) end || C <- [${COLLECTORS.join(", ")}]].`,
    timeoutMs,
  );
  return out !== null && /\{ok,/.test(out);
}
