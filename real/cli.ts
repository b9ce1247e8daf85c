#!/usr/bin/env node
// npm run real -- <scenario.yaml> [--time-scale k] [--out DIR] [--timeout S] [--no-compare]
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fmtPct, fmtS } from "../reports/derive.js";
import { loadScenario, ScenarioError, type Scenario } from "../sim/scenario/load.js";
import { RealEnvError } from "./env.js";
import { RealInputError, RealInterrupted, planRun } from "./harness.js";
import { runPipeline } from "./pipeline.js";
import { ClusterBackend } from "./cluster/backend.js";
import { checkClusterScenario } from "./cluster/manifests.js";

const HELP = `kedasim real — run a scenario against live Dapr sidecars (daprd) and a local RabbitMQ,
then simulate the same scenario with the measured startup latency and compare the two.

Usage
  npm run real -- <scenario.yaml> [options]
  npm run real -- <scenario.yaml> --cluster [--kubeconfig F] [options]

Options
  --cluster        run against a real Kubernetes control plane with real KEDA and the real HPA
                   (the local one of \`npm run cluster:setup\`, or --kubeconfig F): the replicas are
                   pods of a real Deployment, run by kedasim's node agent as daprd + app pairs, and
                   every scaling decision is made by the upstream controllers (source "real-cluster").
                   See real/cluster/README-cluster.md.
  --kubeconfig F   with --cluster: a cluster of your own (with KEDA and Dapr's CRDs installed); the
                   run uses namespace kedasim-<run id> and node kedasim-node-<run id> and deletes both
  --time-scale k   multiply every scenario duration by k (processing, polling, sync, cooldown,
                   stabilization, grace, arrivals); 0.1 runs a 375 s scenario in ~40 s.
                   Trace and summary stay in scenario seconds (wall ÷ k). Default 1.
  --out DIR        output folder (default reports/out/<scenario-name>-real/, with --cluster
                   reports/out/<scenario-name>-cluster/)
  --timeout S      give up after S wall seconds (default 1800)
  --no-compare     skip the simulator run and the comparison
  --no-tune-broker-stats
                   leave RabbitMQ's management stats interval alone. By default, when it is
                   slower than 1 s (RabbitMQ's default is 5 s = 50 s scenario at k 0.1), real
                   mode lowers it to 1 s at runtime through rabbitmqctl (lost on a broker restart).
                   Either way the comparison simulation uses the measured interval ÷ k.
  -h, --help       this text

Needs daprd and RabbitMQ: run \`npm run real:setup\` first.

Outputs
  DIR/trace.jsonl, summary.json, *.png, report.md   the real run (source "real-local"; "real-cluster" with --cluster)
  DIR/logs/                                        every daprd and app log of the run
  DIR/sim/                                         the simulator on the same scenario
  DIR/compare/deltas.json, compare-*.png           sim vs real on one axis

Exit codes: 0 ok, 1 unexpected failure, 2 bad input, 3 environment (broker unreachable, daprd
failing), 130/143 interrupted (every child process is stopped first).`;

function fail(msg: string, code: number): never {
  process.stderr.write(`kedasim real: ${msg}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        "time-scale": { type: "string" },
        out: { type: "string" },
        timeout: { type: "string" },
        "run-id": { type: "string" },
        "no-compare": { type: "boolean", default: false },
        "no-tune-broker-stats": { type: "boolean", default: false },
        cluster: { type: "boolean", default: false },
        kubeconfig: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n\n${HELP}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return;
  }
  if (positionals.length !== 1) fail(`expected one scenario file, got ${positionals.length}\n\n${HELP}`, 2);
  const file = positionals[0];
  if (!existsSync(file)) fail(`${file}: file not found`, 2);
  if (statSync(file).isDirectory()) fail(`${file}: is a folder; give a scenario .yaml file`, 2);
  const k = values["time-scale"] === undefined ? 1 : Number(values["time-scale"]);
  if (!(k > 0) || !Number.isFinite(k)) fail(`--time-scale: expected a positive number, got "${values["time-scale"]}"`, 2);
  const timeout = values.timeout === undefined ? 1800 : Number(values.timeout);
  if (!(timeout > 0)) fail(`--timeout: expected a positive number of seconds, got "${values.timeout}"`, 2);
  if (values["run-id"] !== undefined && !/^[a-z0-9]{1,32}$/.test(values["run-id"])) fail(`--run-id: lowercase letters and digits only`, 2);

  if (values.kubeconfig !== undefined && !values.cluster) fail("--kubeconfig needs --cluster", 2);
  if (values.kubeconfig !== undefined && !existsSync(values.kubeconfig)) fail(`--kubeconfig ${values.kubeconfig}: file not found`, 2);
  let scenario: Scenario;
  try {
    scenario = loadScenario(file);
    planRun(scenario, k); // unsupported scenario → exit 2 before anything starts
    if (values.cluster) checkClusterScenario(scenario, k);
  } catch (e) {
    if (e instanceof ScenarioError || e instanceof RealInputError) fail(e.message, 2);
    throw e;
  }
  for (const w of (scenario as Scenario & { warnings?: string[] }).warnings ?? []) process.stderr.write(`kedasim real: warning: ${w}\n`);
  const outDir = values.out ?? join("reports/out", `${scenario.name}-${values.cluster ? "cluster" : "real"}`);
  const backend = values.cluster ? new ClusterBackend({ kubeconfig: values.kubeconfig ?? null }) : undefined;

  const ac = new AbortController();
  let signals = 0;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      signals++;
      if (signals === 1) {
        process.stderr.write(`\nkedasim real: ${sig}: stopping every daprd and app of this run…\n`);
        ac.abort(sig);
      } else {
        // Second signal: the exit hook SIGKILLs every child process group synchronously.
        process.exit(sig === "SIGINT" ? 130 : 143);
      }
    });
  }

  const say = (l: string) => process.stdout.write(`[real] ${l}\n`);
  say(`${scenario.name}: time scale ${k} (1 scenario second = ${k * 1000} ms wall) → ${outDir}`);
  try {
    const r = await runPipeline({ scenario, timeScale: k, outDir, runId: values["run-id"], progress: say, wallTimeoutS: timeout, signal: ac.signal, noCompare: values["no-compare"] === true, tuneBrokerStats: values["no-tune-broker-stats"] !== true, backend });
    const s = r.real.summary;
    const m = s.messages;
    const su = (s.notes?.startupLatencyS ?? {}) as { n?: number; min?: number; p50?: number; max?: number };
    const lines = [
      `real: produced ${m.produced}, completed ${m.completed}, dead-lettered ${m.deadLettered}, redelivered ${m.redelivered}, duplicates ${m.duplicates}, lost ${m.lost}; ` +
        `queue after the run: ${(s.notes?.brokerCheck as { jobsQueueMessagesAfterStop?: number | null })?.jobsQueueMessagesAfterStop ?? "?"} messages`,
      `real: drain ${fmtS(s.drainTimeS)} s, p50/p95 ${fmtS(s.latencyS.p50)}/${fmtS(s.latencyS.p95)} s, peak ${s.replicas.peak} replicas, ` +
        `startup latency (n=${su.n ?? 0}) min/p50/max ${fmtS(su.min)}/${fmtS(su.p50)}/${fmtS(su.max)} s scenario, ${r.real.wallSeconds.toFixed(1)} s wall`,
    ];
    if (r.deltas && r.sim) {
      const d = r.deltas;
      lines.push(
        `sim:  drain ${fmtS(r.sim.drainTimeS)} s, p50/p95 ${fmtS(r.sim.latencyS.p50)}/${fmtS(r.sim.latencyS.p95)} s, peak ${r.sim.replicas.peak}`,
        `real vs sim: drain Δ ${fmtPct(d.drainTimeS.deltaPct)}, p50 Δ ${fmtPct(d.latencyP50S.deltaPct)}, p95 Δ ${fmtPct(d.latencyP95S.deltaPct)}; ` +
          `replicas desired RMSE ${d.replicas.desired.rmse.toFixed(2)} (max |Δ| ${d.replicas.desired.maxAbs}), ready RMSE ${d.replicas.ready.rmse.toFixed(2)}; ` +
          `scale events matched ${d.scaleEvents.pairs.length}` + (d.scaleEvents.maxAbsDtS !== null ? ` (max |Δt| ${fmtS(d.scaleEvents.maxAbsDtS)} s)` : "") +
          `, unmatched sim ${d.scaleEvents.unmatchedA.length} / real ${d.scaleEvents.unmatchedB.length}`,
        `wrote ${outDir}/report.md, ${outDir}/sim/, ${outDir}/compare/deltas.json + compare-*.png`,
      );
    } else lines.push(`wrote ${outDir}/report.md`);
    for (const l of lines) process.stdout.write(l + "\n");
    if (m.lost > 0) process.exitCode = 1;
  } catch (e) {
    if (e instanceof RealInterrupted) fail(`${e.message}; every child process was stopped`, e.signal === "SIGTERM" ? 143 : 130);
    if (e instanceof RealInputError) fail(e.message, 2);
    if (e instanceof RealEnvError) fail(e.message, 3);
    throw e;
  }
}

main().catch((e: unknown) => {
  const err = e as Error;
  process.stderr.write(`kedasim real: internal error: ${err.message}\n${process.env.KEDASIM_DEBUG ? err.stack + "\n" : "(set KEDASIM_DEBUG=1 for the stack)\n"}`);
  process.exit(1);
});
