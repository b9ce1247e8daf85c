#!/usr/bin/env node
// npm run cluster:setup [-- --stop | --status | --build-only]
// Builds the control plane from Go modules into the kedasim cache, generates certificates and a
// kubeconfig, starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler, the KEDA operator
// and KEDA's metrics adapter on loopback, installs KEDA's CRDs, RBAC and APIService, waits until
// everything is ready and prints what runs where. Idempotent: what runs and is healthy is kept.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BINARIES, VERSIONS, binaryPath, stateDir } from "./components.js";
import { BuildError, ensureBinaries } from "./build.js";
import { PkiError } from "./pki.js";
import { PlaneError, ensurePlane, planeStatus, stopPlane } from "./plane.js";
import type { DaemonRecord } from "./daemons.js";

const HELP = `kedasim cluster:setup — a real Kubernetes control plane with real KEDA, as local processes

Usage
  npm run cluster:setup               build what is missing, start what is not running, wait until ready
  npm run cluster:setup -- --stop     stop every component this script started (apiserver before etcd)
  npm run cluster:setup -- --status   print what runs where (exit 1 if something is down)
  npm run cluster:setup -- --build-only

Builds (Go module proxy; cold 19 min at load 2-4, 52 min at load 7-10 on 2 cores, see real/cluster/README-cluster.md) go to
\${KEDASIM_CACHE:-~/.cache/kedasim}/cluster-<module>-<go.sum hash>/, state (certificates, kubeconfig,
etcd data, logs) to \${KEDASIM_CACHE:-~/.cache/kedasim}/cluster/ (KEDASIM_CLUSTER_STATE overrides).
Versions: Kubernetes ${VERSIONS.kubernetes}, etcd ${VERSIONS.etcd}, KEDA ${VERSIONS.keda}.

Exit codes: 0 ok, 1 a component failed (its name and log tail are printed), 2 bad flags.`;

const say = (l: string) => process.stdout.write(`[cluster:setup] ${l}\n`);

export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

function table(daemons: DaemonRecord[]): string[] {
  const rows = daemons.map((d) => [d.name, d.version, String(d.pid), `${rssMb(d.pid) ?? "?"} MB`, d.address, d.log]);
  const head = ["component", "version", "pid", "RSS", "listens on", "log"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join("  ");
  const total = daemons.reduce((n, d) => n + (rssMb(d.pid) ?? 0), 0);
  return [fmt(head), ...rows.map(fmt), `total RSS ${total} MB`];
}

async function main(): Promise<void> {
  let values;
  try {
    values = parseArgs({ args: process.argv.slice(2), options: { stop: { type: "boolean" }, status: { type: "boolean" }, "build-only": { type: "boolean" }, help: { type: "boolean", short: "h" } } }).values;
  } catch (e) {
    process.stderr.write(`cluster:setup: ${(e as Error).message}\n\n${HELP}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return;
  }
  if (values.stop) {
    await stopPlane(say);
    say("stopped");
    return;
  }
  if (values.status) {
    const st = await planeStatus();
    for (const l of table(st.daemons)) say(l);
    for (const p of st.problems) say(`problem: ${p}`);
    process.exitCode = st.ok ? 0 : 1;
    return;
  }
  const t0 = Date.now();
  const built = await ensureBinaries(say);
  const fresh = built.filter((b) => b.seconds !== null);
  if (fresh.length) say(`built ${fresh.map((b) => `${b.name} ${b.seconds!.toFixed(0)} s`).join(", ")}`);
  else say(`binaries are built: ${BINARIES.map((b) => binaryPath(b.name)).join(", ")}`);
  if (values["build-only"]) return;
  const t1 = Date.now();
  const p = await ensurePlane({ say });
  say(`plane ready in ${((Date.now() - t1) / 1000).toFixed(1)} s (${Object.entries(p.startupMs).filter(([, ms]) => ms > 0).map(([n, ms]) => `${n} ${(ms / 1000).toFixed(1)} s`).join(", ") || "everything was already running"})`);
  for (const l of table(p.daemons)) say(l);
  say(`kubeconfig: ${p.kubeconfig}   (KUBECONFIG=${p.kubeconfig} kubectl get pods -A, if you have a kubectl)`);
  say(`state: ${stateDir()}; stop with: npm run cluster:setup -- --stop`);
  say(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

main().catch((e: unknown) => {
  if (e instanceof PlaneError || e instanceof BuildError || e instanceof PkiError) {
    process.stderr.write(`[cluster:setup] ERROR: ${e.message}\n`);
    process.exit(1);
  }
  const err = e as Error;
  process.stderr.write(`[cluster:setup] internal error: ${err.message}\n${process.env.KEDASIM_DEBUG ? err.stack + "\n" : "(set KEDASIM_DEBUG=1 for the stack)\n"}`);
  process.exit(1);
});
