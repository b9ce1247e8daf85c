// Dapr components generated per run into temp resources directories (one for the consumer
// sidecars, one for the producer's). Queue names are unique per run.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const JOBS_BINDING = "jobs";

export interface RabbitBinding {
  name: string;
  queueName: string;
  host: string;
  direction: "input" | "output";
  prefetchCount: number;
}

/** A bindings.rabbitmq Component. Every binding on a queue declares it identically (durable, not auto-delete, no args). */
export function rabbitBindingYaml(b: RabbitBinding): string {
  const meta: Array<[string, string]> = [
    ["host", b.host],
    ["queueName", b.queueName],
    ["durable", "true"],
    ["deleteWhenUnused", "false"],
    ["exclusive", "false"],
    ["prefetchCount", String(b.prefetchCount)],
    ["reconnectWaitInSeconds", "1"],
    ["direction", b.direction],
  ];
  return [
    "apiVersion: dapr.io/v1alpha1",
    "kind: Component",
    "metadata:",
    `  name: ${b.name}`,
    "spec:",
    "  type: bindings.rabbitmq",
    "  version: v1",
    "  metadata:",
    ...meta.flatMap(([k, v]) => [`    - name: ${k}`, `      value: ${JSON.stringify(v)}`]),
    "",
  ].join("\n");
}

export interface RunResources {
  consumerDir: string;
  producerDir: string;
}

/**
 * consumer: jobs (input, prefetch from the scenario — 1 by default); producer: jobs (output). The
 * apps report results straight to the results queue (real/apps/common.ts ResultsReporter), not
 * through a binding. daprd 1.9 has no `direction` metadata: it initialises a component registered
 * both ways as input AND output binding, but reads an input binding only when the app answers
 * OPTIONS /<name> (runtime.go `isAppSubscribedToBinding`), which the producer does not.
 */
export function writeResources(runDir: string, o: { host: string; jobsQueue: string; prefetch: number }): RunResources {
  const consumerDir = join(runDir, "resources-consumer");
  const producerDir = join(runDir, "resources-producer");
  mkdirSync(consumerDir, { recursive: true });
  mkdirSync(producerDir, { recursive: true });
  writeFileSync(join(consumerDir, "jobs.yaml"), rabbitBindingYaml({ name: JOBS_BINDING, queueName: o.jobsQueue, host: o.host, direction: "input", prefetchCount: o.prefetch }));
  writeFileSync(join(producerDir, "jobs.yaml"), rabbitBindingYaml({ name: JOBS_BINDING, queueName: o.jobsQueue, host: o.host, direction: "output", prefetchCount: 1 }));
  return { consumerDir, producerDir };
}
