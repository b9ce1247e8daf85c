// The local control plane as loopback processes: etcd, kube-apiserver, kube-controller-manager
// (its HPA controller is the one that scales), kube-scheduler, the KEDA operator and KEDA's metrics
// adapter. `ensurePlane` brings up whatever does not run yet (idempotent), restarting a component
// only when its flags changed (e.g. the controller-manager's HPA sync period for a time-scaled run);
// `stopPlane` stops them in the reverse order (the apiserver before etcd). Every failure names the
// component and quotes its log.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADAPTER_SERVICE, BINARIES, EXTERNAL_METRICS_APISERVICE, KEDA_NAMESPACE, PORTS, VERSIONS, binaryPath, moduleDir, stateDir } from "./components.js";
import { isAlive, logTail, readPlane, sameLaunch, sleep, startDaemon, stopDaemon, writePlane, type DaemonRecord, type PlaneRecord } from "./daemons.js";
import { probe } from "./http.js";
import { Kube, apiMessage, loadKubeConfig, waitFor, yamlObjects, type Obj } from "./kube.js";
import { ensurePki, type Pki } from "./pki.js";
import { HPA_CONTROLLER_DEFAULTS } from "../../sim/decisions/hpa.js";

export class PlaneError extends Error {
  constructor(
    public component: string,
    message: string,
    public log?: string,
  ) {
    super(`${component}: ${message}${log ? `\n--- last lines of ${log}:\n${logTail(log, 25).map((l) => "    " + l).join("\n") || "    (empty)"}` : ""}`);
    this.name = "PlaneError";
  }
}

/** The controller-manager's HPA flags (pkg/controller/podautoscaler/config/types.go; defaults of v1.37.2). */
export interface HpaFlags {
  /** --horizontal-pod-autoscaler-sync-period (default 15 s). */
  syncPeriodS: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (default 5 min). */
  downscaleStabilizationS: number;
  /** --horizontal-pod-autoscaler-tolerance (default 0.1). */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (default 5 min; CPU metrics only). */
  cpuInitializationPeriodS: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (default 30 s; CPU metrics only). */
  initialReadinessDelayS: number;
}

export const DEFAULT_HPA_FLAGS: HpaFlags = {
  syncPeriodS: HPA_CONTROLLER_DEFAULTS.syncPeriodSeconds,
  downscaleStabilizationS: HPA_CONTROLLER_DEFAULTS.downscaleStabilizationSeconds,
  tolerance: HPA_CONTROLLER_DEFAULTS.tolerance,
  cpuInitializationPeriodS: 300,
  initialReadinessDelayS: 30,
};

/** Go duration text with millisecond resolution ("1500ms"): time-scaled periods are rarely whole seconds. */
export function goDuration(s: number): string {
  const ms = Math.round(s * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export interface PlaneInfo {
  stateDir: string;
  kubeconfig: string;
  pki: Pki;
  daemons: DaemonRecord[];
  hpa: HpaFlags;
  /** Wall ms each component took from start to ready in this call (started ones only). */
  startupMs: Record<string, number>;
}

type Say = (line: string) => void;

interface Def {
  name: string;
  binary: string;
  args: string[];
  env: Record<string, string>;
  address: string;
  version: string;
  /** null when ready, else why not. */
  ready: () => Promise<string | null>;
  readyTimeoutMs: number;
}

function defs(sd: string, pki: Pki, hpa: HpaFlags): Def[] {
  const kcfg = pki.kubeconfig;
  const admin = { ca: pki.caCrt, cert: pki.adminCrt, key: pki.adminKey };
  const kedaCerts = join(sd, "keda-certs");
  const kedaEnv = { WATCH_NAMESPACE: "", POD_NAMESPACE: KEDA_NAMESPACE, KEDA_CLUSTER_OBJECT_NAMESPACE: KEDA_NAMESPACE, KUBECONFIG: kcfg };
  const loopbackDelegation = ["--authentication-kubeconfig", kcfg, "--authorization-kubeconfig", kcfg];
  return [
    {
      name: "etcd",
      binary: binaryPath("etcd"),
      args: [
        "--name", "kedasim",
        "--data-dir", join(sd, "etcd"),
        "--listen-client-urls", `http://127.0.0.1:${PORTS.etcdClient}`,
        "--advertise-client-urls", `http://127.0.0.1:${PORTS.etcdClient}`,
        "--listen-peer-urls", `http://127.0.0.1:${PORTS.etcdPeer}`,
        "--initial-advertise-peer-urls", `http://127.0.0.1:${PORTS.etcdPeer}`,
        "--initial-cluster", `kedasim=http://127.0.0.1:${PORTS.etcdPeer}`,
        "--log-level", "warn",
      ],
      env: {},
      address: `http://127.0.0.1:${PORTS.etcdClient}`,
      version: VERSIONS.etcd,
      ready: async () => {
        const r = await probe(`http://127.0.0.1:${PORTS.etcdClient}/health`);
        return r;
      },
      readyTimeoutMs: 30_000,
    },
    {
      name: "kube-apiserver",
      binary: binaryPath("kube-apiserver"),
      args: [
        `--etcd-servers=http://127.0.0.1:${PORTS.etcdClient}`,
        "--bind-address=127.0.0.1",
        // With a loopback advertise address the endpoint reconciler would publish 127.0.0.1 for the
        // kubernetes Service, which the apiserver refuses (pkg/controlplane/reconcilers): "none".
        "--advertise-address=127.0.0.1",
        "--endpoint-reconciler-type=none",
        `--secure-port=${PORTS.apiserver}`,
        `--tls-cert-file=${pki.apiserverCrt}`,
        `--tls-private-key-file=${pki.apiserverKey}`,
        `--client-ca-file=${pki.caCrt}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        "--service-cluster-ip-range=10.0.0.0/24",
        "--authorization-mode=Node,RBAC",
        // The aggregation layer (KEDA's external metrics API is an aggregated API).
        `--requestheader-client-ca-file=${pki.frontProxyCaCrt}`,
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        `--proxy-client-cert-file=${pki.frontProxyClientCrt}`,
        `--proxy-client-key-file=${pki.frontProxyClientKey}`,
        "--profiling=false",
      ],
      env: {},
      address: `https://127.0.0.1:${PORTS.apiserver}`,
      version: VERSIONS.kubernetes,
      ready: () => probe(`https://127.0.0.1:${PORTS.apiserver}/readyz`, admin),
      readyTimeoutMs: 90_000,
    },
    {
      name: "kube-controller-manager",
      binary: binaryPath("kube-controller-manager"),
      args: [
        `--kubeconfig=${kcfg}`,
        ...loopbackDelegation,
        "--bind-address=127.0.0.1",
        `--secure-port=${PORTS.controllerManager}`,
        "--leader-elect=false",
        // Each controller talks to the apiserver as its own service account, as in kubeadm clusters
        // (RBAC: system:controller:horizontal-pod-autoscaler reads external.metrics.k8s.io).
        "--use-service-account-credentials=true",
        `--service-account-private-key-file=${pki.saKey}`,
        `--root-ca-file=${pki.caCrt}`,
        `--cluster-signing-cert-file=${pki.caCrt}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        `--horizontal-pod-autoscaler-sync-period=${goDuration(hpa.syncPeriodS)}`,
        `--horizontal-pod-autoscaler-downscale-stabilization=${goDuration(hpa.downscaleStabilizationS)}`,
        `--horizontal-pod-autoscaler-tolerance=${hpa.tolerance}`,
        `--horizontal-pod-autoscaler-cpu-initialization-period=${goDuration(hpa.cpuInitializationPeriodS)}`,
        `--horizontal-pod-autoscaler-initial-readiness-delay=${goDuration(hpa.initialReadinessDelayS)}`,
        // One log line per HPA reconcile ("proposing N desired replicas", horizontal.go
        // computeReplicasForMetric / reconcileAutoscaler at V(4)): the run's hpa-sync records.
        "--vmodule=horizontal=4",
      ],
      env: {},
      address: `https://127.0.0.1:${PORTS.controllerManager} (healthz)`,
      version: VERSIONS.kubernetes,
      ready: () => probe(`https://127.0.0.1:${PORTS.controllerManager}/healthz`, { insecure: true }),
      readyTimeoutMs: 60_000,
    },
    {
      name: "kube-scheduler",
      binary: binaryPath("kube-scheduler"),
      args: [`--kubeconfig=${kcfg}`, ...loopbackDelegation, "--bind-address=127.0.0.1", `--secure-port=${PORTS.scheduler}`, "--leader-elect=false"],
      env: {},
      address: `https://127.0.0.1:${PORTS.scheduler} (healthz)`,
      version: VERSIONS.kubernetes,
      ready: () => probe(`https://127.0.0.1:${PORTS.scheduler}/healthz`, { insecure: true }),
      readyTimeoutMs: 60_000,
    },
    {
      name: "keda-operator",
      binary: binaryPath("keda-operator"),
      args: [
        "--leader-elect=false",
        // cmd/operator/main.go: the certificate manager (pkg/certificates) keeps the kedaorg-certs
        // secret and patches the APIService's caBundle; no admission webhooks run here.
        "--enable-cert-rotation=true",
        `--cert-dir=${kedaCerts}`,
        `--ca-dir=${join(sd, "keda-ca")}`,
        "--enable-webhook-patching=false",
        `--metrics-bind-address=127.0.0.1:${PORTS.kedaMetrics}`,
        `--health-probe-bind-address=127.0.0.1:${PORTS.kedaHealth}`,
        `--metrics-service-bind-address=127.0.0.1:${PORTS.kedaMetricsService}`,
        // Debug: one line per scaler read ("Getting metrics and activity from scaler",
        // pkg/scaling/scale_handler.go observeMetric) — the run's keda-poll records. JSON with
        // nanosecond RFC 3339 times.
        "--zap-log-level=debug",
        "--zap-encoder=json",
        "--zap-time-encoding=rfc3339nano",
      ],
      env: kedaEnv,
      address: `127.0.0.1:${PORTS.kedaMetricsService} (gRPC metrics service), 127.0.0.1:${PORTS.kedaHealth} (health)`,
      version: VERSIONS.keda,
      ready: () => probe(`http://127.0.0.1:${PORTS.kedaHealth}/readyz`),
      readyTimeoutMs: 60_000,
    },
    {
      name: "keda-adapter",
      binary: binaryPath("keda-adapter"),
      args: [
        `--kubeconfig=${kcfg}`,
        ...loopbackDelegation,
        `--lister-kubeconfig=${kcfg}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${PORTS.adapter}`,
        `--port=${PORTS.adapterMetrics}`,
        `--tls-cert-file=${join(kedaCerts, "tls.crt")}`,
        `--tls-private-key-file=${join(kedaCerts, "tls.key")}`,
        `--client-ca-file=${join(kedaCerts, "ca.crt")}`,
        `--cert-dir=${kedaCerts}`,
        `--metrics-service-address=127.0.0.1:${PORTS.kedaMetricsService}`,
        // The operator's certificate names keda-operator.<ns>.svc.cluster.local, not 127.0.0.1.
        `--metrics-service-grpc-authority=keda-operator.${KEDA_NAMESPACE}.svc.cluster.local`,
        "--zap-log-level=info",
      ],
      env: kedaEnv,
      address: `https://127.0.0.1:${PORTS.adapter} (external.metrics.k8s.io via APIService ${EXTERNAL_METRICS_APISERVICE})`,
      version: VERSIONS.keda,
      ready: () => probe(`https://127.0.0.1:${PORTS.adapter}/readyz`, { insecure: true }),
      readyTimeoutMs: 60_000,
    },
  ];
}

const ORDER = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "keda-operator", "keda-adapter"];

/** The KEDA module's directory in the Go module cache (CRDs and RBAC are applied from it). */
export function kedaModuleDir(): string {
  return goModDir(moduleDir("keda"), `github.com/kedacore/keda/v2`);
}

export function goModDir(cwd: string, mod: string): string {
  const r = spawnSync("go", ["mod", "download", "-json", mod], { cwd, encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" } });
  let dir: string | undefined;
  try {
    dir = (JSON.parse(r.stdout) as { Dir?: string; Error?: string }).Dir;
  } catch {
    /* below */
  }
  if (!dir || !existsSync(dir)) throw new Error(`cannot locate ${mod} in the Go module cache (go mod download -json in ${cwd}): ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
  return dir;
}

async function waitReady(d: Def, rec: DaemonRecord, say: Say): Promise<number> {
  const t0 = Date.now();
  let last: string | null = "not probed";
  let lastSay = t0;
  while (Date.now() - t0 < d.readyTimeoutMs) {
    if (!isAlive(rec)) throw new PlaneError(d.name, `exited before it was ready (last probe: ${last})`, rec.log);
    last = await d.ready();
    if (last === null) return Date.now() - t0;
    if (Date.now() - lastSay > 10_000) {
      say(`  … waiting for ${d.name} (${Math.round((Date.now() - t0) / 1000)} s): ${last}`);
      lastSay = Date.now();
    }
    await sleep(250);
  }
  throw new PlaneError(d.name, `not ready within ${d.readyTimeoutMs / 1000} s (last probe: ${last})`, rec.log);
}

function portFree(port: number): boolean {
  // /proc/net/tcp lists listening sockets (state 0A) with the port in hex.
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    try {
      const lines = spawnSync("cat", [f], { encoding: "utf8" }).stdout.split("\n");
      if (lines.some((l) => l.split(/\s+/)[2]?.endsWith(`:${hex}`) && l.split(/\s+/)[4] === "0A")) return false;
    } catch {
      /* ignore */
    }
  }
  return true;
}

const DEF_PORTS: Record<string, number[]> = {
  etcd: [PORTS.etcdClient, PORTS.etcdPeer],
  "kube-apiserver": [PORTS.apiserver],
  "kube-controller-manager": [PORTS.controllerManager],
  "kube-scheduler": [PORTS.scheduler],
  "keda-operator": [PORTS.kedaMetrics, PORTS.kedaHealth, PORTS.kedaMetricsService],
  "keda-adapter": [PORTS.adapter, PORTS.adapterMetrics],
};

/** Start one component unless it already runs with the same launch; returns ms to ready (0 when it was running). */
async function ensureDaemon(plane: PlaneRecord, sd: string, d: Def, say: Say): Promise<number> {
  const prev = plane.daemons[d.name];
  if (prev && isAlive(prev)) {
    if (sameLaunch(prev, d)) {
      const why = await d.ready();
      if (why === null) return 0;
      say(`${d.name} (pid ${prev.pid}) runs but is not ready (${why}); restarting it`);
    } else say(`${d.name} (pid ${prev.pid}) runs with other flags; restarting it`);
    await stopDaemon(prev);
  }
  for (const p of DEF_PORTS[d.name] ?? []) {
    // a component just stopped may take a moment to close its listeners
    for (let i = 0; i < 50 && !portFree(p); i++) await sleep(200);
    if (!portFree(p)) throw new PlaneError(d.name, `127.0.0.1:${p} is already in use by another program (not started by kedasim: see \`ss -ltnp 'sport = :${p}'\`)`);
  }
  if (!existsSync(d.binary)) throw new PlaneError(d.name, `binary ${d.binary} is missing (run \`npm run cluster:setup\`, which builds it)`);
  const rec = startDaemon({ name: d.name, binary: d.binary, args: d.args, env: d.env, logDir: join(sd, "logs"), address: d.address, version: d.version });
  plane.daemons[d.name] = rec;
  writePlane(sd, plane);
  say(`started ${d.name} (pid ${rec.pid}), log ${rec.log}`);
  const ms = await waitReady(d, rec, say);
  say(`${d.name} ready after ${(ms / 1000).toFixed(1)} s`);
  return ms;
}

/** KEDA's CRDs (config/crd/bases) and the metrics-server RBAC (config/metrics-server/role*.yaml) of v2.21.0. */
async function installKedaObjects(kube: Kube, say: Say): Promise<void> {
  const dir = kedaModuleDir();
  await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: KEDA_NAMESPACE } });
  const crdDir = join(dir, "config/crd/bases");
  const crds = readdirSync(crdDir).filter((f) => f.endsWith(".yaml")).flatMap((f) => yamlObjects(join(crdDir, f)));
  for (const o of crds) await kube.apply(o);
  const rbac = ["role.yaml", "role_binding.yaml"].flatMap((f) => yamlObjects(join(dir, "config/metrics-server", f)));
  for (const o of rbac) await kube.apply(o);
  for (const o of crds) {
    const name = o.metadata!.name!;
    await waitFor(`CRD ${name} Established`, 30_000, async () => {
      const c = await kube.read<Obj & { status?: { conditions?: Array<{ type: string; status: string }> } }>("apiextensions.k8s.io/v1", "CustomResourceDefinition", name);
      return c?.status?.conditions?.some((x) => x.type === "Established" && x.status === "True") ? true : { notYet: "not Established" };
    });
  }
  say(`installed KEDA ${VERSIONS.keda} CRDs (${crds.map((c) => c.metadata!.name).join(", ")}) and metrics-server RBAC from ${dir}`);
}

/**
 * Dapr's Component CRD from the dapr module real/daprd builds (charts/dapr/crds/components.yaml), so a
 * scenario's Component manifests are real API objects the node agent hands to the sidecars.
 */
async function installDaprCrds(kube: Kube, say: Say): Promise<void> {
  const daprdMod = join(moduleDir("kube"), "../../daprd");
  const dir = goModDir(daprdMod, "github.com/dapr/dapr");
  const file = join(dir, "charts/dapr/crds/components.yaml");
  if (!existsSync(file)) throw new PlaneError("kube-apiserver", `Dapr's Component CRD is not at ${file}`);
  for (const o of yamlObjects(file)) await kube.apply(o);
  say(`installed Dapr's Component CRD from ${file}`);
}

/**
 * The external metrics API: a Service of type ExternalName pointing at localhost (the adapter runs
 * as a process, not a pod) and the APIService for v1beta1.external.metrics.k8s.io. The aggregator
 * dials <externalName>:<port> with TLS server name keda-metrics-apiserver.keda.svc, which KEDA's
 * certificate carries; the operator patches the APIService's caBundle (pkg/certificates).
 */
async function installAdapterRouting(kube: Kube): Promise<void> {
  await kube.apply({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: ADAPTER_SERVICE, namespace: KEDA_NAMESPACE },
    spec: { type: "ExternalName", externalName: "localhost", ports: [{ name: "https", port: PORTS.adapter, protocol: "TCP" }] },
  });
  await kube.apply({
    apiVersion: "apiregistration.k8s.io/v1",
    kind: "APIService",
    metadata: { name: EXTERNAL_METRICS_APISERVICE },
    spec: { service: { name: ADAPTER_SERVICE, namespace: KEDA_NAMESPACE, port: PORTS.adapter }, group: "external.metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100 },
  });
}

/**
 * KEDA's certificate secret: on its first start the operator creates `kedaorg-certs` and exits on
 * purpose (in a pod the kubelet restarts it with the secret mounted at /certs). Here we copy the
 * secret's files into the cert dir ourselves, as the secret volume would, and start it again.
 */
async function ensureKedaCerts(kube: Kube, sd: string): Promise<boolean> {
  const dir = join(sd, "keda-certs");
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(sd, "keda-ca"), { recursive: true });
  const sec = await kube.read<Obj & { data?: Record<string, string> }>("v1", "Secret", "kedaorg-certs", KEDA_NAMESPACE);
  if (!sec?.data?.["tls.crt"]) return false;
  for (const f of ["ca.crt", "tls.crt", "tls.key"]) {
    const v = Buffer.from(sec.data[f] ?? "", "base64");
    const p = join(dir, f);
    if (!existsSync(p) || !readFileSync(p).equals(v)) writeFileSync(p, v, { mode: 0o600 });
  }
  return true;
}

export interface EnsureOptions {
  hpa?: HpaFlags;
  say?: Say;
}

/** Bring the plane up (idempotent). Binaries must exist (build.ts). */
export async function ensurePlane(o: EnsureOptions = {}): Promise<PlaneInfo> {
  const say = o.say ?? (() => undefined);
  const sd = stateDir();
  mkdirSync(sd, { recursive: true });
  const pki = ensurePki(sd);
  const plane = readPlane(sd);
  const hpa = o.hpa ?? DEFAULT_HPA_FLAGS;
  const all = defs(sd, pki, hpa);
  const byName = new Map(all.map((d) => [d.name, d]));
  const startupMs: Record<string, number> = {};
  for (const n of ["etcd", "kube-apiserver"]) startupMs[n] = await ensureDaemon(plane, sd, byName.get(n)!, say);
  const kube = new Kube(loadKubeConfig(pki.kubeconfig));
  try {
    await installKedaObjects(kube, say);
    await installDaprCrds(kube, say);
    await installAdapterRouting(kube);
  } catch (e) {
    if (e instanceof PlaneError) throw e;
    throw new PlaneError("kube-apiserver", `installing KEDA's and Dapr's objects failed: ${apiMessage(e)}`, plane.daemons["kube-apiserver"]?.log);
  }
  for (const n of ["kube-controller-manager", "kube-scheduler"]) startupMs[n] = await ensureDaemon(plane, sd, byName.get(n)!, say);

  // KEDA operator: first start creates the certificate secret and exits by design.
  const op = byName.get("keda-operator")!;
  if (!(await ensureKedaCerts(kube, sd))) {
    say("first start of the KEDA operator: it creates the kedaorg-certs secret, then exits so that it can be restarted with the certificates");
    for (const p of DEF_PORTS["keda-operator"]) if (!portFree(p)) throw new PlaneError("keda-operator", `127.0.0.1:${p} is already in use by another program`);
    const prev = plane.daemons["keda-operator"];
    if (prev && isAlive(prev)) await stopDaemon(prev);
    const rec = startDaemon({ name: op.name, binary: op.binary, args: op.args, env: op.env, logDir: join(sd, "logs"), address: op.address, version: op.version });
    plane.daemons[op.name] = rec;
    writePlane(sd, plane);
    await waitFor("KEDA operator creating the kedaorg-certs secret", 90_000, async () => ((await ensureKedaCerts(kube, sd)) ? true : { notYet: isAlive(rec) ? "no secret yet" : "operator exited without creating it" })).catch((e: Error) => {
      throw new PlaneError("keda-operator", e.message, rec.log);
    });
    for (let i = 0; i < 100 && isAlive(rec); i++) await sleep(200);
    if (isAlive(rec)) await stopDaemon(rec);
    say("kedaorg-certs created; the certificates are copied to the KEDA cert dir");
  }
  startupMs["keda-operator"] = await ensureDaemon(plane, sd, op, say);
  startupMs["keda-adapter"] = await ensureDaemon(plane, sd, byName.get("keda-adapter")!, say);
  await waitFor(`APIService ${EXTERNAL_METRICS_APISERVICE} Available`, 60_000, async () => {
    const a = await kube.read<Obj & { status?: { conditions?: Array<{ type: string; status: string; message?: string }> } }>("apiregistration.k8s.io/v1", "APIService", EXTERNAL_METRICS_APISERVICE);
    const c = a?.status?.conditions?.find((x) => x.type === "Available");
    return c?.status === "True" ? true : { notYet: c ? `${c.status}: ${c.message ?? ""}` : "no Available condition" };
  }).catch((e: Error) => {
    throw new PlaneError("keda-adapter", e.message, plane.daemons["keda-adapter"]?.log);
  });
  return { stateDir: sd, kubeconfig: pki.kubeconfig, pki, daemons: ORDER.map((n) => plane.daemons[n]).filter(Boolean), hpa, startupMs };
}

/** What runs, by name, or why the plane is not usable (for the run and the tests). */
export async function planeStatus(): Promise<{ ok: boolean; problems: string[]; kubeconfig: string; daemons: DaemonRecord[] }> {
  const sd = stateDir();
  const plane = readPlane(sd);
  const problems: string[] = [];
  for (const n of ORDER) {
    const d = plane.daemons[n];
    if (!d) problems.push(`${n} was never started (run \`npm run cluster:setup\`)`);
    else if (!isAlive(d)) problems.push(`${n} (pid ${d.pid}) is not running (run \`npm run cluster:setup\`; its log: ${d.log})`);
  }
  return { ok: problems.length === 0, problems, kubeconfig: join(sd, "admin.kubeconfig"), daemons: ORDER.map((n) => plane.daemons[n]).filter(Boolean) };
}

export async function stopPlane(say: Say = () => undefined): Promise<void> {
  const sd = stateDir();
  const plane = readPlane(sd);
  for (const n of [...ORDER].reverse()) {
    const d = plane.daemons[n];
    if (!d) continue;
    const how = await stopDaemon(d, n === "kube-apiserver" ? 30_000 : 15_000);
    say(`${n}: ${how}${how === "not running" ? "" : ` (pid ${d.pid})`}`);
    delete plane.daemons[n];
    writePlane(sd, plane);
  }
}


