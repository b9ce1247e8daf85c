// Cluster mode without a cluster: the objects a run applies, the time scaling of their periods, the
// node agent's reading of a pod spec, and the parsers of the controllers' log lines (real lines
// from a run of the local plane). No prerequisites, < 1 s.
import { join } from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { loadScenario, resolveScenario } from "../../sim/scenario/load.js";
import { REPO } from "../test-helpers.js";
import { hpaFlagsFor } from "./backend.js";
import { clusterObjects, scalePeriod, type ClusterNames } from "./manifests.js";
import { componentsFor, planPod, PodSpecError } from "./node-agent.js";
import { KedaReadClassifier, klogTime, parseHpaLine, parseKedaLine, parseQuantity, type ClassifiedRead } from "./observe.js";
import { goDuration, PlaneError } from "./plane.js";
import { isAlive, logTail, startDaemon, stopDaemon } from "./daemons.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

const SEED = join(REPO, "fixtures/scenarios/real-seed-burst-rabbitmq.yaml");
const NAMES: ClusterNames = {
  namespace: "kedasim-r1",
  nodeName: "kedasim-node-r1",
  runId: "r1",
  jobsQueue: "kedasim-r1-jobs",
  resultsQueue: "kedasim-r1-results",
  amqpUrl: "amqp://guest:guest@127.0.0.1:5672",
  reportAmqpUrl: "amqp://guest:guest@127.0.0.1:5672",
  mgmtUrl: "http://127.0.0.1:15672",
  mgmtUser: "guest",
  mgmtPassword: "pw",
};

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("time scaling of the plane's periods", () => {
  it("whole-second fields are rounded and the distortion is stated in scenario seconds", () => {
    expect(scalePeriod("p", 30, 0.1, true, 1)).toMatchObject({ wantedWallS: 3, appliedWallS: 3, distortionS: 0 });
    // 15 s × 0.1 = 1.5 s wall → 2 s (+5 s scenario)
    expect(scalePeriod("p", 15, 0.1, true, 1)).toMatchObject({ appliedWallS: 2, distortionS: 5 });
    // pollingInterval has a minimum of 1 s
    expect(scalePeriod("p", 5, 0.1, true, 1)).toMatchObject({ appliedWallS: 1, distortionS: 5 });
    // Go durations keep milliseconds
    expect(scalePeriod("p", 15, 0.1, false)).toMatchObject({ appliedWallS: 1.5, distortionS: 0 });
    expect(goDuration(1.5)).toBe("1500ms");
    expect(goDuration(30)).toBe("30s");
  });

  it("the controller-manager's HPA flags follow the scenario's hpa section × k", () => {
    const s = loadScenario(SEED);
    const { flags, periods } = hpaFlagsFor(s, 0.1);
    expect(flags.syncPeriodS).toBe(1.5);
    expect(flags.downscaleStabilizationS).toBe(30);
    expect(flags.tolerance).toBe(0.1);
    expect(periods.map((p) => p.field)).toEqual(["controller-manager --horizontal-pod-autoscaler-sync-period", "controller-manager --horizontal-pod-autoscaler-downscale-stabilization"]);
  });
});

describe("the objects of a cluster run", () => {
  it("seed burst: a KEDA v2 ScaledObject on the run's queue with scaled periods; the Deployment pinned to the run's node with the apps' env", () => {
    const s = loadScenario(SEED);
    const o = clusterObjects(s, 0.1, NAMES);
    const so = o.scaledObject as Any;
    expect(so.apiVersion).toBe("keda.sh/v1alpha1");
    expect(so.metadata).toEqual({ name: "consumer-scaler", namespace: "kedasim-r1" });
    expect(so.spec).toMatchObject({ scaleTargetRef: { name: "consumer" }, pollingInterval: 3, cooldownPeriod: 30, minReplicaCount: 0, maxReplicaCount: 10 });
    expect(so.spec.triggers).toEqual([{ type: "rabbitmq", metadata: { host: "http://guest:pw@127.0.0.1:15672/", protocol: "http", queueName: "kedasim-r1-jobs", mode: "QueueLength", value: "5" } }]);
    expect(so.spec.advanced).toBeUndefined(); // no behavior: the legacy path, stabilization from the controller-manager flag
    const d = o.deployment as Any;
    expect(d.metadata.namespace).toBe("kedasim-r1");
    expect(d.spec.replicas).toBe(0);
    const pod = d.spec.template;
    expect(pod.spec.terminationGracePeriodSeconds).toBe(3);
    expect(pod.spec.nodeSelector).toEqual({ "kubernetes.io/hostname": "kedasim-node-r1" });
    expect(pod.spec.tolerations).toEqual([{ key: "kedasim.io/run", operator: "Equal", value: "r1", effect: "NoSchedule" }]);
    expect(pod.metadata.annotations).toMatchObject({ "dapr.io/enabled": "true", "dapr.io/app-id": "consumer", "dapr.io/app-port": "3000", "dapr.io/enable-app-health-check": "true", "dapr.io/app-health-check-path": "/healthz" });
    const env = Object.fromEntries((pod.spec.containers[0].env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
    expect(JSON.parse(env.KEDASIM_PROCESSING)).toEqual({ dist: "constant", value: 0.5 });
    expect(env).toMatchObject({ KEDASIM_SEED: "7", KEDASIM_JOBS_BINDING: "jobs", KEDASIM_AMQP_URL: "amqp://guest:guest@127.0.0.1:5672", KEDASIM_RESULTS_QUEUE: "kedasim-r1-results", KEDASIM_RUN: "r1" });
    expect(o.components.map((c: Any) => [c.metadata.name, c.metadata.namespace, c.scopes])).toEqual([["jobs", "kedasim-r1", ["consumer"]]]);
    const jobsMeta = Object.fromEntries(((o.components[0] as Any).spec.metadata as Array<{ name: string; value: string }>).map((m) => [m.name, m.value]));
    expect(jobsMeta).toMatchObject({ queueName: "kedasim-r1-jobs", direction: "input", prefetchCount: "1", host: "amqp://guest:guest@127.0.0.1:5672" });
    expect(o.periods.every((p) => p.distortionS === 0)).toBe(true);
  });

  it("a behavior is written out in full (defaults resolved) with every window and period × k, rounded", () => {
    const base = loadScenario(SEED);
    const raw = {
      name: "b",
      seed: 1,
      producers: [{ type: "burst", count: 1 }],
      consumer: { processingTime: 1 },
      manifests: [
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "so" },
          spec: {
            scaleTargetRef: { name: "consumer" },
            pollingInterval: 15,
            advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 45, policies: [{ type: "Pods", value: 1, periodSeconds: 20 }] } } } },
            triggers: [{ type: "rabbitmq", metadata: { host: "http://x/", protocol: "http", queueName: "q", mode: "MessageRate", value: "2" } }],
          },
        },
      ],
    };
    const s = resolveScenario(raw, join(REPO, "fixtures/scenarios"), base.file);
    const so = clusterObjects(s, 0.1, NAMES, raw.manifests as Array<Record<string, unknown>>);
    const spec = so.scaledObject.spec as Any;
    expect(spec.pollingInterval).toBe(2); // 1.5 → 2
    expect(spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown).toMatchObject({ stabilizationWindowSeconds: 5, policies: [{ type: "Pods", value: 1, periodSeconds: 2 }] });
    expect(spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleUp.policies.map((p: Any) => p.periodSeconds)).toEqual([2, 2]); // 15 s defaults → 1.5 → 2
    expect(spec.triggers[0].metadata.value).toBe("20"); // MessageRate: per wall second
    const poll = so.periods.find((p) => p.field === "ScaledObject spec.pollingInterval")!;
    expect(poll.distortionS).toBe(5);
    expect(so.notes.some((n) => /MessageRate/.test(n))).toBe(true);
  });
});

describe("the node agent reads a pod like the Dapr injector would", () => {
  const pod = (over: Any = {}): k8s.V1Pod =>
    ({
      metadata: { name: "consumer-abc", annotations: { "dapr.io/enabled": "true", "dapr.io/app-id": "consumer", "dapr.io/enable-app-health-check": "true", ...(over.annotations ?? {}) } },
      spec: { terminationGracePeriodSeconds: 3, containers: over.containers ?? [{ name: "consumer", image: "kedasim/consumer:local", env: [{ name: "A", value: "1" }] }] },
    }) as k8s.V1Pod;

  it("image → app, annotations → sidecar options, env passed through, grace from the spec", () => {
    const p = planPod(pod());
    expect(p).toMatchObject({ app: "consumer", appId: "consumer", healthCheck: true, env: { A: "1" }, graceSeconds: 3, gracefulShutdownSeconds: 3, containerName: "consumer" });
    expect(p.appScript.endsWith("real/apps/consumer.ts")).toBe(true);
    // an injected daprd container is ignored: the agent runs daprd itself
    expect(planPod(pod({ containers: [{ name: "consumer", image: "registry:5000/kedasim/consumer:v2" }, { name: "daprd", image: "daprio/daprd:1.9.6" }] })).app).toBe("consumer");
  });

  it("what it cannot run is an error naming the field", () => {
    expect(() => planPod(pod({ containers: [{ name: "c", image: "nginx:1.27" }] }))).toThrow(PodSpecError);
    expect(() => planPod(pod({ containers: [{ name: "c", image: "nginx:1.27" }] }))).toThrow(/spec.containers\[0\].image "nginx:1.27" is not one of kedasim's apps/);
    expect(() => planPod(pod({ annotations: { "dapr.io/enabled": "false" } }))).toThrow(/dapr.io\/enabled/);
    expect(() => planPod(pod({ annotations: { "dapr.io/app-protocol": "grpc" } }))).toThrow(/app-protocol "grpc"/);
    const w = planPod(pod({ annotations: { "dapr.io/app-health-probe-interval": "5" }, containers: [{ name: "c", image: "kedasim/consumer", env: [{ name: "X", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] }] }));
    expect(w.warnings.join("\n")).toMatch(/app-health-probe-interval "5" is not applied/);
    expect(w.warnings.join("\n")).toMatch(/env X: valueFrom is not supported/);
  });

  it("Dapr component scoping: unscoped components apply to every app, scoped ones to the named app ids", () => {
    const cs = [{ n: 1 }, { n: 2, scopes: ["consumer"] }, { n: 3, scopes: ["producer"] }, { n: 4, scopes: [] }];
    expect(componentsFor(cs, "consumer").map((c) => c.n)).toEqual([1, 2, 4]);
  });
});

describe("reading the controllers' logs", () => {
  // Lines from a run of the local plane (kube-controller-manager v1.37.2, KEDA v2.21.0).
  const now = Date.UTC(2026, 11, 2, 4, 40, 0);
  const HPA_PROPOSE =
    'I1202 04:33:08.822942   21872 horizontal.go:958] "Proposing desired replicas" desiredReplicas=3 metric="external metric s0-rabbitmq-h15-probe(&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: so,},MatchExpressions:[]LabelSelectorRequirement{},})" tolerances="[down:10.0%, up:10.0%]" timestamp="2026-12-02 04:33:08 +0000 UTC" scaleTarget="Deployment/h15probe/consumer"';
  const HPA_RESCALED =
    'I1202 04:33:08.831981   21872 horizontal.go:1032] "Successfully rescaled" HPA="h15probe/keda-hpa-so" currentReplicas=1 desiredReplicas=3 reason="external metric s0-rabbitmq-h15-probe(&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: so,},MatchExpressions:[]LabelSelectorRequirement{},}) above target"';
  const HPA_NOSCALE = 'I1202 04:33:23.871725   21872 horizontal.go:1059] "Decided not to scale" scaleTarget="Deployment/h15probe/consumer" desiredReplicas=3 lastScaleTime="2026-12-02 04:33:08 +0000 UTC"';

  it("controller-manager: proposal, rescale and no-scale lines with µs times", () => {
    const p = parseHpaLine(HPA_PROPOSE, now)!;
    expect(p).toMatchObject({ kind: "proposing", target: "h15probe/consumer", desired: 3 });
    expect(p.epochMs).toBeCloseTo(Date.UTC(2026, 11, 2, 4, 33, 8) + 822.942, 3);
    expect(parseHpaLine(HPA_RESCALED, now)).toMatchObject({ kind: "rescaled", hpa: "h15probe/keda-hpa-so", current: 1, desired: 3 });
    expect(parseHpaLine(HPA_RESCALED, now)!.reason).toMatch(/above target$/);
    expect(parseHpaLine(HPA_NOSCALE, now)).toMatchObject({ kind: "decided-not-to-scale", target: "h15probe/consumer", desired: 3 });
    expect(parseHpaLine('I1202 04:33:08.846105   21872 horizontal.go:1568] "Successfully updated status" HPA="h15probe/keda-hpa-so"', now)).toBeNull();
    // klog has no year: the one nearest to now (a run across New Year)
    expect(new Date(klogTime("I1231 23:59:59.000000 1 x.go:1] y", Date.UTC(2027, 0, 1, 0, 0, 5))!).getUTCFullYear()).toBe(2026);
  });

  const read = (ts: string, value: string) =>
    `{"level":"debug","ts":"${ts}","logger":"scale_handler","msg":"Getting metrics and activity from scaler","scaledObject.Namespace":"h15probe","scaledObject.Name":"so","scaler":"rabbitMQScaler","metricName":"s0-rabbitmq-h15-probe","metrics":[{"metricName":"s0-rabbitmq-h15-probe","metricLabels":null,"timestamp":"2026-12-02T04:33:08Z","value":"${value}"}],"activity":true,"scalerError":null}`;
  const active = (ts: string) => `{"level":"debug","ts":"${ts}","logger":"scale_handler","msg":"Scaler for scaledObject is active","scaledObject.Namespace":"h15probe","scaledObject.Name":"so","scaler":"rabbitMQScaler","metricName":"s0-rabbitmq-h15-probe"}`;
  const providing = (ts: string) => `{"level":"debug","ts":"${ts}","logger":"grpc_server","msg":"Providing metrics","scaledObjectName":"so","scaledObjectNamespace":"h15probe","metrics":"metadata:{}"}`;

  it("KEDA operator: scaler reads (values, activity), the executor's scale and nanosecond times", () => {
    const r = parseKedaLine(read("2026-12-02T04:33:08.782876505Z", "12"))!;
    expect(r).toMatchObject({ kind: "scaler-read", scaledObject: "h15probe/so", value: 12, activity: true, error: null });
    expect(r.epochMs).toBeCloseTo(Date.UTC(2026, 11, 2, 4, 33, 8) + 782.876505, 4);
    expect(parseQuantity("1500m")).toBe(1.5);
    const scaled = parseKedaLine('{"level":"info","ts":"2026-12-02T04:32:53.81874192Z","logger":"scaleexecutor","msg":"Successfully updated ScaleTarget","scaledobject.Name":"so","scaledObject.Namespace":"h15probe","scaleTarget.Name":"consumer","Original Replicas Count":0,"New Replicas Count":1}')!;
    expect(scaled).toMatchObject({ kind: "scaled", scaledObject: "h15probe/so", from: 0, to: 1 });
    const down = parseKedaLine('{"level":"info","ts":"2026-12-02T04:40:53.8Z","logger":"scaleexecutor","msg":"Successfully set ScaleTarget replicas count to ScaledObject minReplicaCount","scaledobject.Name":"so","scaledObject.Namespace":"h15probe","Original Replicas Count":7,"New Replicas Count":0}')!;
    expect(down).toMatchObject({ kind: "scaled", from: 7, to: 0 });
    expect(parseKedaLine("not json")).toBeNull();
  });

  it("a read followed by the gRPC server's answer was for the HPA; one followed by the scale loop's activity line, or by nothing, was a poll", () => {
    const out: ClassifiedRead[] = [];
    const c = new KedaReadClassifier("h15probe/so", (x) => out.push(x));
    const feed = (l: string) => c.feed(parseKedaLine(l)!);
    feed(read("2026-12-02T04:33:05.779255035Z", "12"));
    feed(active("2026-12-02T04:33:05.779548021Z"));
    feed(read("2026-12-02T04:33:08.782876505Z", "12"));
    feed(active("2026-12-02T04:33:08.783051465Z"));
    feed(read("2026-12-02T04:33:08.82002706Z", "11"));
    feed(providing("2026-12-02T04:33:08.820416149Z"));
    feed(read("2026-12-02T04:33:11.781151477Z", "0"));
    expect(out.map((x) => x.by)).toEqual(["poll", "poll", "hpa"]);
    expect(out[2].value).toBe(11);
    c.flush(Date.parse("2026-12-02T04:33:11.9Z"));
    expect(out.length).toBe(3); // not yet: the answer may still come
    c.flush(Date.parse("2026-12-02T04:33:13Z"));
    expect(out.map((x) => x.by)).toEqual(["poll", "poll", "hpa", "poll"]);
    // other ScaledObjects are ignored
    const other = new KedaReadClassifier("ns2/so", (x) => out.push(x));
    other.feed(parseKedaLine(read("2026-12-02T04:33:14Z", "1"))!);
    other.flush(Date.parse("2026-12-02T04:33:20Z"), true);
    expect(out.length).toBe(4);
  });
});

describe("the plane's processes", () => {
  it("a recorded pid now held by a kernel thread (empty cmdline, like a process mid-exit) is not our daemon", () => {
    // pid 2 is kthreadd on Linux: its cmdline is empty and its comm is not the daemon's binary.
    expect(isAlive({ pid: 2, binary: "/root/.cache/kedasim/cluster/bin/etcd" })).toBe(false);
  });

  it("a daemon runs detached with its log; one that dies is reported with the component's name and its log tail", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kedasim-daemon-test-"));
    try {
      const ok = startDaemon({ name: "sleeper", binary: "/bin/sleep", args: ["30"], env: {}, logDir: dir, address: "-", version: "-" });
      expect(isAlive(ok)).toBe(true);
      expect(await stopDaemon(ok, 5000)).toBe("stopped");
      expect(isAlive(ok)).toBe(false);
      const bad = startDaemon({ name: "etcd", binary: "/bin/sh", args: ["-c", "echo starting; echo 'listen tcp 127.0.0.1:23790: bind: address already in use' >&2; exit 1"], env: {}, logDir: dir, address: "-", version: "-" });
      for (let i = 0; i < 50 && isAlive(bad); i++) await new Promise((r) => setTimeout(r, 50));
      expect(isAlive(bad)).toBe(false);
      expect(logTail(bad.log, 5).join("\n")).toMatch(/bind: address already in use/);
      const e = new PlaneError("etcd", "exited before it was ready", bad.log);
      expect(e.message).toMatch(/^etcd: exited before it was ready\n--- last lines of .*etcd\.log:\n/);
      expect(e.message).toMatch(/    listen tcp 127\.0\.0\.1:23790: bind: address already in use/);
      expect(() => startDaemon({ name: "x", binary: join(dir, "missing"), args: [], env: {}, logDir: dir, address: "-", version: "-" })).toThrow(/binary .*missing is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
