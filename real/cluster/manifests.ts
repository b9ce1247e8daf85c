// The objects a cluster run applies, made from the scenario (pure functions, unit-tested): the
// consumer Deployment (pinned to the run's node, the harness's env for the app, Dapr health-check
// annotations), the KEDA v2 ScaledObject (a keda.k8s.io/v1alpha1 one converted the way kedasim reads
// it, queue and host replaced by the run's), the Dapr Components, and the time scaling of every
// period the objects carry. Kubernetes and KEDA take most periods as whole seconds (int32), so a
// scaled period is rounded; what was asked, what was applied and the distortion in scenario seconds
// is listed per field, and the comparison simulation runs the applied values.
import { dirname, resolve } from "node:path";
import { inlineManifests, parseYamlDocs, readText, type Scenario } from "../../sim/scenario/load.js";
import { resolveBehavior, type ResolvedBehavior } from "../../sim/decisions/hpa.js";
import { scaleDistribution } from "../../sim/rng.js";
import { parse } from "yaml";
import { JOBS_BINDING, rabbitBindingYaml } from "../components.js";
import { RealInputError } from "../errors.js";
import { NodeAgent, DAPR_ANNOTATIONS } from "./node-agent.js";

type Doc = Record<string, unknown>;

/** The scenario's manifest documents as written (files resolved relative to the scenario). */
export function rawManifests(s: Scenario): Doc[] {
  const file = resolve(s.file);
  const raw = parseYamlDocs(readText(file, s.file, ""), s.file)[0] as { manifests?: unknown };
  return inlineManifests(raw, dirname(file), s.file);
}

/** One period the run sets on a real object, scaled by k. */
export interface ScaledPeriod {
  /** Where it goes: "ScaledObject spec.pollingInterval", "controller-manager --horizontal-pod-autoscaler-sync-period", ... */
  field: string;
  scenarioS: number;
  /** scenario × k, wall seconds. */
  wantedWallS: number;
  /** What the object or flag got (whole seconds for int32 fields). */
  appliedWallS: number;
  /** applied ÷ k − scenario: how much later (+) or earlier (−) in scenario seconds. */
  distortionS: number;
  whole: boolean;
}

export function scalePeriod(field: string, scenarioS: number, k: number, whole: boolean, min = 0): ScaledPeriod {
  const wanted = scenarioS * k;
  const applied = whole ? Math.max(min, Math.round(wanted)) : Math.max(min, Math.round(wanted * 1000) / 1000);
  return { field, scenarioS, wantedWallS: wanted, appliedWallS: applied, distortionS: Math.round((applied / k - scenarioS) * 1e6) / 1e6, whole };
}

export interface ClusterObjects {
  deployment: Doc;
  scaledObject: Doc;
  components: Doc[];
  periods: ScaledPeriod[];
  /** Things the cluster run does differently from the scenario text, said in the notes. */
  notes: string[];
  /** The behavior that went into the ScaledObject (scaled, whole seconds), or null for the legacy path. */
  behaviorWall: ResolvedBehavior | null;
}

export interface ClusterNames {
  namespace: string;
  nodeName: string;
  runId: string;
  jobsQueue: string;
  resultsQueue: string;
  /** AMQP URL for the Dapr components and AMQP-mode triggers. */
  amqpUrl: string;
  /** Where the apps report their results (real/apps/common.ts ResultsReporter): the harness's AMQP URL. */
  reportAmqpUrl: string;
  /** Management API base (http://host:port) and credentials for HTTP-mode triggers. */
  mgmtUrl: string;
  mgmtUser: string;
  mgmtPassword: string;
}

function findDoc(docs: Doc[], kind: string, name?: string): Doc | undefined {
  return docs.find((d) => d.kind === kind && (name === undefined || (d.metadata as { name?: string } | undefined)?.name === name));
}

function withCredentials(base: string, user: string, password: string): string {
  const u = new URL(base);
  u.username = user;
  u.password = password;
  return u.toString();
}

/** Build every object of the run. Throws RealInputError for what the cluster path cannot run. */
export function clusterObjects(s: Scenario, k: number, n: ClusterNames, docs: Doc[] = rawManifests(s)): ClusterObjects {
  const periods: ScaledPeriod[] = [];
  const notes: string[] = [];
  const so = s.scaledObject;
  const rawSo = findDoc(docs, "ScaledObject");
  if (!rawSo) throw new RealInputError(`${s.file}: no ScaledObject among the manifests`);
  const rawSpec = (rawSo.spec ?? {}) as Doc;
  const rawTriggers = (rawSpec.triggers ?? []) as Array<{ type: string; name?: string; metadata?: Record<string, unknown>; metricType?: string; useCachedMetrics?: boolean; authenticationRef?: unknown }>;
  if (so.apiVersion === "keda.k8s.io/v1alpha1") notes.push(`the ScaledObject is keda.k8s.io/v1alpha1 (KEDA v1); applied as keda.sh/v1alpha1 with scaleTargetRef.name = ${s.consumer.deploymentName} and min/max ${so.minReplicaCount}/${so.maxReplicaCount} as kedasim reads them`);

  // ---- periods ----
  const poll = scalePeriod("ScaledObject spec.pollingInterval", so.pollingInterval, k, true, 1);
  const cool = scalePeriod("ScaledObject spec.cooldownPeriod", so.cooldownPeriod, k, true);
  periods.push(poll, cool);
  let initialCool: ScaledPeriod | null = null;
  if (so.initialCooldownPeriod > 0) periods.push((initialCool = scalePeriod("ScaledObject spec.initialCooldownPeriod", so.initialCooldownPeriod, k, true)));
  let behaviorWall: ResolvedBehavior | null = null;
  if (so.behavior) {
    const b = resolveBehavior(so.behavior, s.hpa.downscaleStabilization);
    const side = (name: "scaleUp" | "scaleDown") => {
      const r = b[name];
      const w = scalePeriod(`ScaledObject ...behavior.${name}.stabilizationWindowSeconds`, r.stabilizationWindowSeconds, k, true);
      periods.push(w);
      return {
        ...r,
        stabilizationWindowSeconds: w.appliedWallS,
        policies: r.policies.map((p, i) => {
          const pp = scalePeriod(`ScaledObject ...behavior.${name}.policies[${i}].periodSeconds`, p.periodSeconds, k, true, 1);
          periods.push(pp);
          return { ...p, periodSeconds: pp.appliedWallS };
        }),
      };
    };
    behaviorWall = { scaleUp: side("scaleUp"), scaleDown: side("scaleDown") };
  }
  const grace = scalePeriod("Deployment spec.template.spec.terminationGracePeriodSeconds", s.consumer.terminationGracePeriodSeconds, k, true);
  periods.push(grace);

  // ---- ScaledObject ----
  const triggers = rawTriggers.map((t, i) => {
    if (t.type !== "rabbitmq") throw new RealInputError(`${s.file}: spec.triggers[${i}] is ${t.type}; cluster mode runs rabbitmq triggers against the local RabbitMQ`);
    if (t.authenticationRef) throw new RealInputError(`${s.file}: spec.triggers[${i}].authenticationRef is not supported in cluster mode (the run sets the host itself)`);
    const md: Record<string, string> = {};
    for (const [key, v] of Object.entries(t.metadata ?? {})) md[key] = String(v);
    delete md.hostFromEnv;
    const protocol = md.protocol ?? (md.host?.startsWith("http") ? "http" : "amqp");
    md.host = protocol === "http" ? withCredentials(n.mgmtUrl, n.mgmtUser, n.mgmtPassword) : n.amqpUrl;
    md.queueName = n.jobsQueue;
    // Rates are per wall second, k times denser than per scenario second: thresholds follow.
    if (md.mode === "MessageRate") {
      for (const key of ["value", "activationValue"]) {
        if (md[key] !== undefined) {
          md[key] = String(Number(md[key]) / k);
          notes.push(`spec.triggers[${i}].metadata.${key} (MessageRate) divided by k: RabbitMQ reports rates per wall second`);
        }
      }
    }
    const out: Doc = { type: "rabbitmq", metadata: md };
    if (t.name) out.name = t.name;
    if (t.metricType) out.metricType = t.metricType;
    if (t.useCachedMetrics !== undefined) out.useCachedMetrics = t.useCachedMetrics;
    return out;
  });
  const spec: Doc = {
    scaleTargetRef: { name: s.consumer.deploymentName },
    pollingInterval: poll.appliedWallS,
    cooldownPeriod: cool.appliedWallS,
    minReplicaCount: so.minReplicaCount,
    maxReplicaCount: so.maxReplicaCount,
    triggers,
  };
  if (initialCool) spec.initialCooldownPeriod = initialCool.appliedWallS;
  if (so.idleReplicaCount !== null) spec.idleReplicaCount = so.idleReplicaCount;
  if (so.fallback) spec.fallback = so.fallback;
  if (behaviorWall) spec.advanced = { horizontalPodAutoscalerConfig: { behavior: behaviorWall } };
  const soAnn = ((rawSo.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {}) as Record<string, string>;
  const annotations: Record<string, string> = {};
  for (const key of ["autoscaling.keda.sh/paused-scale-in", "autoscaling.keda.sh/paused-scale-out"]) if (soAnn[key] !== undefined) annotations[key] = soAnn[key];
  const scaledObject: Doc = {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: so.name, namespace: n.namespace, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec,
  };

  // ---- Deployment ----
  const rawDep = findDoc(docs, "Deployment", s.consumer.deploymentName);
  if (!rawDep) notes.push(`no Deployment "${s.consumer.deploymentName}" among the manifests: the run applies one with image kedasim/consumer:local`);
  const tmpl = ((rawDep?.spec as Doc | undefined)?.template ?? {}) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Doc };
  const labels = { ...(tmpl.metadata?.labels ?? { app: s.consumer.deploymentName }), "kedasim.io/run": n.runId };
  const ann: Record<string, string> = { ...(tmpl.metadata?.annotations ?? {}) };
  ann[DAPR_ANNOTATIONS.enabled] = "true";
  ann[DAPR_ANNOTATIONS.appId] ??= s.consumer.deploymentName;
  // Real mode's readiness: daprd's app health (bindings start on the first healthy probe).
  for (const [key, v] of [[DAPR_ANNOTATIONS.enableAppHealthCheck, "true"], [DAPR_ANNOTATIONS.appHealthCheckPath, "/healthz"], [DAPR_ANNOTATIONS.appHealthProbeInterval, "1"], [DAPR_ANNOTATIONS.appHealthThreshold, "1"]] as const) {
    if (ann[key] === undefined) ann[key] = v;
  }
  const rawContainers = ((tmpl.spec?.containers ?? []) as Array<Doc & { name?: string; image?: string; env?: Array<{ name: string; value?: string }> }>).filter((c) => c.name !== "daprd");
  const c0 = rawContainers[0] ?? { name: s.consumer.deploymentName, image: "kedasim/consumer:local" };
  if (!/kedasim\/consumer(:|$)/.test(String(c0.image ?? ""))) throw new RealInputError(`${s.file}: the Deployment's container image is "${c0.image}"; cluster mode runs kedasim's apps (image kedasim/consumer:local)`);
  const ws = scaleDistribution(s.consumer.processingTime, k);
  const env = [
    ...(c0.env ?? []).filter((e) => !e.name.startsWith("KEDASIM_")),
    { name: "KEDASIM_PROCESSING", value: JSON.stringify(ws) },
    { name: "KEDASIM_SEED", value: String(s.seed) },
    { name: "KEDASIM_JOBS_BINDING", value: JOBS_BINDING },
    { name: "KEDASIM_AMQP_URL", value: n.reportAmqpUrl },
    { name: "KEDASIM_RESULTS_QUEUE", value: n.resultsQueue },
    { name: "KEDASIM_RUN", value: n.runId },
  ];
  const taint = NodeAgent.taint(n.runId);
  const deployment: Doc = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: s.consumer.deploymentName, namespace: n.namespace, labels: { "kedasim.io/run": n.runId } },
    spec: {
      replicas: s.consumer.initialReplicas,
      selector: { matchLabels: { ...(((rawDep?.spec as Doc | undefined)?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? { app: s.consumer.deploymentName }) } },
      template: {
        metadata: { labels, annotations: ann },
        spec: {
          terminationGracePeriodSeconds: grace.appliedWallS,
          nodeSelector: { "kubernetes.io/hostname": n.nodeName },
          tolerations: [{ key: taint.key, operator: "Equal", value: taint.value, effect: taint.effect }],
          // No service-account token: the apps never call the Kubernetes API.
          automountServiceAccountToken: false,
          containers: [{ name: c0.name ?? s.consumer.deploymentName, image: c0.image ?? "kedasim/consumer:local", env }],
        },
      },
    },
  };

  // ---- Dapr Components: the one real mode generates (real/components.ts), as an API object ----
  const component = (yamlText: string): Doc => {
    const d = parse(yamlText) as Doc;
    return { ...d, metadata: { ...(d.metadata as Doc), namespace: n.namespace }, scopes: [String(ann[DAPR_ANNOTATIONS.appId])] };
  };
  const components = [component(rabbitBindingYaml({ name: JOBS_BINDING, queueName: n.jobsQueue, host: n.amqpUrl, direction: "input", prefetchCount: s.queue.prefetch }))];
  return { deployment, scaledObject, components, periods, notes, behaviorWall };
}

/** What the CLI checks before anything starts (exit 2): the objects can be made from this scenario. */
export function checkClusterScenario(s: Scenario, k: number): void {
  clusterObjects(s, k, { namespace: "check", nodeName: "check", runId: "check", jobsQueue: "q", resultsQueue: "r", amqpUrl: "amqp://127.0.0.1:5672", reportAmqpUrl: "amqp://127.0.0.1:5672", mgmtUrl: "http://127.0.0.1:15672", mgmtUser: "guest", mgmtPassword: "guest" });
}
