// What the local control plane is made of: the binaries (which Go module builds them, which version
// they report), where build products and state live (outside the repo, under the kedasim cache), and
// the loopback ports every component listens on. One place for these facts; setup, the run and the
// tests read them from here.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheDir } from "../env.js";

export const CLUSTER_DIR = fileURLToPath(new URL(".", import.meta.url));

export const VERSIONS = {
  kubernetes: "v1.37.2",
  etcd: "v3.7.3",
  keda: "v2.21.0",
} as const;

/** One of our Go modules under real/cluster/ (pins versions only; no code of ours is compiled in). */
export interface GoModule {
  name: "kube" | "etcd" | "keda";
  dir: string;
}

export interface BinarySpec {
  /** File name in the module's cache directory. */
  name: string;
  module: GoModule["name"];
  /** Main package to build. */
  pkg: string;
  /** -ldflags -X stamps (unstamped Kubernetes binaries report v0.0.0-master+$Format:%H$). */
  stamps: string[];
  /** What the component is, for messages. */
  what: string;
}

const K8S_STAMPS = (() => {
  const v = VERSIONS.kubernetes;
  const [major, minor] = v.slice(1).split(".");
  return ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((p) => [`${p}.gitVersion=${v}`, `${p}.gitMajor=${major}`, `${p}.gitMinor=${minor}`]);
})();

export const BINARIES: readonly BinarySpec[] = [
  { name: "etcd", module: "etcd", pkg: "go.etcd.io/etcd/server/v3", stamps: [], what: `etcd ${VERSIONS.etcd}` },
  { name: "kube-apiserver", module: "kube", pkg: "k8s.io/kubernetes/cmd/kube-apiserver", stamps: K8S_STAMPS, what: `kube-apiserver ${VERSIONS.kubernetes}` },
  { name: "kube-controller-manager", module: "kube", pkg: "k8s.io/kubernetes/cmd/kube-controller-manager", stamps: K8S_STAMPS, what: `kube-controller-manager ${VERSIONS.kubernetes}` },
  { name: "kube-scheduler", module: "kube", pkg: "k8s.io/kubernetes/cmd/kube-scheduler", stamps: K8S_STAMPS, what: `kube-scheduler ${VERSIONS.kubernetes}` },
  // KEDA's Makefile stamps version.Version and version.GitCommit the same way.
  { name: "keda-operator", module: "keda", pkg: "github.com/kedacore/keda/v2/cmd/operator", stamps: [`github.com/kedacore/keda/v2/version.Version=${VERSIONS.keda.slice(1)}`], what: `KEDA operator ${VERSIONS.keda}` },
  { name: "keda-adapter", module: "keda", pkg: "github.com/kedacore/keda/v2/cmd/adapter", stamps: [`github.com/kedacore/keda/v2/version.Version=${VERSIONS.keda.slice(1)}`], what: `KEDA metrics adapter ${VERSIONS.keda}` },
];

export function moduleDir(m: GoModule["name"]): string {
  return join(CLUSTER_DIR, m);
}

/** <cache>/cluster-<module>-<sha256(go.sum)[:16]>: a new go.sum (a version bump) builds into a new directory. */
export function binDir(m: GoModule["name"]): string {
  const sum = createHash("sha256").update(readFileSync(join(moduleDir(m), "go.sum"))).digest("hex").slice(0, 16);
  return join(cacheDir(), `cluster-${m}-${sum}`);
}

export function binaryPath(name: string): string {
  const b = BINARIES.find((x) => x.name === name);
  if (!b) throw new Error(`unknown binary ${name}`);
  return join(binDir(b.module), b.name);
}

/** Certificates, kubeconfig, etcd data, logs and the record of what runs (plane.json). */
export function stateDir(): string {
  return process.env.KEDASIM_CLUSTER_STATE || join(cacheDir(), "cluster");
}

/**
 * Loopback ports. Not the upstream defaults (2379, 6443, 10257, ...), so the plane does not collide
 * with another etcd or cluster on the same machine.
 */
export const PORTS = {
  etcdClient: 23790,
  etcdPeer: 23800,
  apiserver: 16443,
  controllerManager: 16257,
  scheduler: 16259,
  kedaMetrics: 18080,
  kedaHealth: 18081,
  kedaMetricsService: 19666,
  adapter: 16444,
  adapterMetrics: 18082,
} as const;

export const KEDA_NAMESPACE = "keda";
export const ADAPTER_SERVICE = "keda-metrics-apiserver";
export const EXTERNAL_METRICS_APISERVICE = "v1beta1.external.metrics.k8s.io";
