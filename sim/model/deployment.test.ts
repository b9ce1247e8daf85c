import { describe, expect, it } from "vitest";
import { Environment } from "../engine.js";
import { resolveScenario } from "../scenario/load.js";
import type { PodRecord, TraceRecord } from "../trace.js";
import type { QueueSnapshot } from "../triggers/types.js";
import { SimulationLimitError } from "./limits.js";
import { Deployment, type BrokerRules, type Change, type DeploymentSpec, type Pod } from "./deployment.js";

// A broker that only remembers what the Deployment told it; a pod is busy while `busy` is set.
interface TestPod extends Pod {
  busy: boolean;
}

function harness(spec: Partial<DeploymentSpec> = {}, opts: { firstUid?: number } = {}) {
  const env = new Environment(64);
  const records: TraceRecord[] = [];
  const calls: string[] = [];
  const podUids = { next: opts.firstUid ?? 0 };
  const rules: BrokerRules<TestPod> = {
    newPod: (u, name, t) => ({ uid: u, name, phase: "Pending", createdAt: t, readyAt: -1, token: 0, busy: false }),
    podReady: (p, t) => void calls.push(`ready ${p.name} @${t}`),
    podUnready: (p, t) => void calls.push(`unready ${p.name} @${t}`),
    releasePod: (p, t, why) => void calls.push(`release ${p.name} @${t}: ${why}`),
    podExits: (p, t) => void calls.push(`exit ${p.name} @${t}`),
    podIdle: (p) => !p.busy,
    afterPodChange: (t, what: Change) => void calls.push(`changed ${what} @${t}`),
  };
  const dep = new Deployment<TestPod>(
    { env, bus: { emit: (_event, r) => records.push(r) }, podUids },
    {
      name: "web",
      initialReplicas: 0,
      schedulingDelay: () => 1,
      startupDelay: () => 2,
      terminationGracePeriodSeconds: 30,
      gracefulShutdown: true,
      crashRatePerHour: 0,
      crashU: () => 0.5,
      kills: [],
      crashes: [],
      scaling: null,
      ...spec,
    },
    rules,
  );
  const pods = () => records.filter((r): r is PodRecord => r.type === "pod").map((r) => `${r.t} ${r.pod} ${r.phase}: ${r.reason}`);
  return { env, dep, records, calls, pods };
}

describe("Deployment: the pod lifecycle", () => {
  it("scale-up: the ReplicaSet creates pods, Pending → Starting (scheduling delay) → Ready (startup delay), each joins once Ready", () => {
    const { env, dep, pods, calls, records } = harness();
    dep.start();
    dep.setSpec(2, 0, "keda", "active");
    expect(records[0]).toEqual({ type: "scale", t: 0, actor: "keda", from: 0, to: 2, reason: "active" });
    expect(dep.counts.nonTerminating).toBe(2);
    env.run();
    expect(pods()).toEqual([
      "0 web-0 Pending: created by the ReplicaSet",
      "0 web-1 Pending: created by the ReplicaSet",
      "1 web-0 Starting: scheduled; containers starting",
      "1 web-1 Starting: scheduled; containers starting",
      "3 web-0 Ready: ready; consuming",
      "3 web-1 Ready: ready; consuming",
    ]);
    expect(calls).toEqual(["changed consumers @0", "ready web-0 @3", "changed consumers @3", "ready web-1 @3", "changed consumers @3"]);
    expect([dep.counts.readyCount, dep.peak, dep.peakReady, dep.peakDesired]).toEqual([2, 2, 2, 2]);
    expect(dep.scaleEvents).toEqual([{ t: 0, from: 0, to: 2, actor: "keda", reason: "active" }]);
  });

  it("initial replicas exist before the ScaledObject: Ready at t = 0, no scale event", () => {
    const { dep, pods, records } = harness({ initialReplicas: 3 });
    dep.start();
    expect(pods()).toEqual([0, 1, 2].map((i) => `0 web-${i} Ready: existed before the ScaledObject`));
    expect(records.some((r) => r.type === "scale")).toBe(false);
    expect([dep.specReplicas, dep.peak, dep.peakDesired]).toEqual([3, 3, 3]);
    expect(dep.atRest()).toBe(true); // fixed replicas: the initial count is the rest count
  });

  it("scale-in: the most recently Ready pod first; an idle pod exits at once, a busy one gets the grace period, then SIGKILL", () => {
    const { env, dep, pods, calls } = harness();
    dep.start();
    dep.setSpec(2, 0, "hpa", "up");
    env.run(3);
    dep.setSpec(1, 3, "hpa", "down 1"); // web-1 became Ready last (same instant, higher uid): it goes first; idle
    expect(pods().slice(-2)).toEqual(["3 web-1 Terminating: scale-in to 1", "3 web-1 Gone: exited at once (idle)"]);
    dep.pods.get(0)!.busy = true;
    calls.length = 0;
    dep.setSpec(0, 10, "keda", "to zero");
    expect(pods().at(-1)).toBe("10 web-0 Terminating: scale-in to 0");
    expect(calls).toEqual(["unready web-0 @10", "changed consumers @10"]);
    env.run();
    expect(pods().at(-1)).toBe("40 web-0 Gone: killed after the grace period");
    expect(calls.slice(2)).toEqual(["release web-0 @40: SIGKILL at the end of terminationGracePeriodSeconds", "exit web-0 @40", "changed released @40"]);
    expect(dep.pods.size).toBe(0);
    expect(dep.counts.terminatingCount).toBe(0);
  });

  it("a pod that finishes its work in the grace period leaves through gone(); the stale SIGKILL then does nothing", () => {
    const { env, dep, pods, calls } = harness({ initialReplicas: 1 });
    dep.start();
    const p = dep.pods.get(0)!;
    p.busy = true;
    dep.setSpec(0, 5, "keda", "to zero");
    env.run(6);
    p.busy = false;
    dep.gone(p, 6, "exited after finishing in-flight work");
    calls.length = 0;
    env.run();
    expect(pods().at(-1)).toBe("6 web-0 Gone: exited after finishing in-flight work");
    expect(calls).toEqual([]);
  });

  it("without graceful shutdown SIGTERM ends the process: its work is released before it stops consuming, and it is gone at once", () => {
    const { dep, pods, calls } = harness({ initialReplicas: 1, gracefulShutdown: false });
    dep.start();
    dep.pods.get(0)!.busy = true;
    calls.length = 0;
    dep.setSpec(0, 5, "keda", "to zero");
    expect(pods().slice(-2)).toEqual(["5 web-0 Terminating: scale-in to 0", "5 web-0 Gone: exited at SIGTERM"]);
    expect(calls).toEqual(["release web-0 @5: SIGTERM (no graceful shutdown)", "unready web-0 @5", "exit web-0 @5", "changed released @5", "changed consumers @5"]);
  });

  it("a kill SIGKILLs the oldest Ready pods and the ReplicaSet replaces them", () => {
    const { env, dep, pods, calls } = harness({ initialReplicas: 2, kills: [{ at: 7, count: 1 }] });
    dep.start();
    dep.scheduleFaults();
    calls.length = 0;
    env.run(7);
    expect(pods().slice(2)).toEqual(["7 web-0 Gone: SIGKILL (fault injection)", "7 web-2 Pending: created by the ReplicaSet"]);
    expect(calls).toEqual(["release web-0 @7: pod killed (fault injection)", "exit web-0 @7", "unready web-0 @7", "changed released @7"]);
    expect(dep.counts.nonTerminating).toBe(2);
  });

  it("a crash injection hits busy pods first; the container restarts in place and is Ready again after its startup delay", () => {
    const { env, dep, pods, calls } = harness({ initialReplicas: 2, crashes: [{ at: 4, count: 1 }] });
    dep.start();
    dep.pods.get(1)!.busy = true;
    dep.scheduleFaults();
    calls.length = 0;
    env.run();
    expect(pods().slice(2)).toEqual(["4 web-1 Starting: container crashed (fault injection); restarting", "6 web-1 Ready: ready; consuming"]);
    expect(calls).toEqual(["release web-1 @4: container crashed (fault injection)", "unready web-1 @4", "changed released @4", "ready web-1 @6", "changed consumers @6"]);
    expect(dep.pods.size).toBe(2);
  });

  it("random crashes: a Ready pod's time to failure is exponential at crashRatePerHour", () => {
    // u = 0.75 at 3600 crashes per hour: -ln(1 - 0.75) s after it became Ready
    const { env, dep, pods } = harness({ initialReplicas: 1, crashRatePerHour: 3600, crashU: () => 0.75 });
    dep.start();
    env.run(1.5);
    expect(pods()[1]).toBe(`${Math.log(4)} web-0 Starting: container crashed; restarting`);
  });

  it("topology: every pod and scale record and every scale event names the stage, last", () => {
    const { dep, records } = harness({ stage: "mapper" });
    dep.start();
    dep.setSpec(1, 0, "keda", "active");
    for (const r of records) expect(Object.keys(r).at(-1), r.type).toBe("stage");
    expect(dep.scaleEvents[0].stage).toBe("mapper");
  });

  it("pod uids are the host's (unique across Deployments) and bounded by what a pod event can encode", () => {
    const { dep } = harness({ initialReplicas: 1 }, { firstUid: 41 });
    dep.start();
    expect(dep.pods.get(41)!.name).toBe("web-41");
    expect(dep.podByUid[41]).toBe(dep.pods.get(41));
    const big = harness({ initialReplicas: 1 }, { firstUid: 2 ** 20 });
    expect(() => big.dep.start()).toThrow(SimulationLimitError);
  });
});

describe("Deployment: KEDA's and the HPA's loops", () => {
  it("polls and syncs at their phases and periods, record them, and scale the Deployment", () => {
    const s = resolveScenario(
      {
        name: "dep",
        producers: [{ type: "burst", count: 1 }],
        keda: { pollPhaseSeconds: 2 },
        hpa: { syncPhaseSeconds: 5 },
        consumer: { faults: { scalerErrors: [{ from: 60, until: 70 }] } },
        manifests: [
          {
            apiVersion: "keda.sh/v1alpha1",
            kind: "ScaledObject",
            metadata: { name: "so" },
            spec: { scaleTargetRef: { name: "web" }, pollingInterval: 30, minReplicaCount: 0, maxReplicaCount: 10, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q", messageCount: "5" } }] },
          },
        ],
      },
      process.cwd(),
      "dep-test.yaml",
    );
    let ready = 12;
    const snap = (): QueueSnapshot => ({ ready, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0 });
    const { env, dep, records } = harness({ scaling: { scaledObject: s.scaledObject, keda: s.keda, hpa: s.hpa, scalerErrors: s.consumer.scalerErrors, source: { snapshotFor: snap } } });
    dep.start();
    dep.startLoops();
    env.run(2);
    expect(records.filter((r) => r.type === "keda-poll").map((r) => r.t)).toEqual([2]);
    expect(records.find((r) => r.type === "scale")).toMatchObject({ actor: "keda", from: 0, to: 1 });
    env.run(21);
    // HPA syncs at 5, 20: 12 messages / 5 per pod ⇒ 3
    expect(records.filter((r) => r.type === "hpa-sync").map((r) => r.t)).toEqual([5, 20]);
    expect(dep.specReplicas).toBe(3);
    ready = 0;
    env.run(62);
    const polls = records.filter((r) => r.type === "keda-poll");
    expect(polls.map((r) => r.t)).toEqual([2, 32, 62]);
    expect(polls.at(-1)).toMatchObject({ error: true, metric: null });
    expect(dep.autoscaler!.hpaSyncs).toBe(4);
  });
});
