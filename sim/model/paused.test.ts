// Deviation 3 of issue 14: autoscaling.keda.sh/paused, paused-replicas, force-activation.
//   kedacore/keda controllers/keda/scaledobject_controller.go handlePause (stop the scale loop,
//   delete the HPA, scaleTargetToPausedCount), apis/keda/v1alpha1/scaledobject_types.go
//   NeedToBePausedByAnnotation / GetPausedReplicaCount (strconv.ParseInt(v, 10, 32)) /
//   NeedToForceActivation, pkg/scaling/executor/scale_scaledobjects.go RequestScale.
import { describe, expect, it } from "vitest";
import { resolveScenario } from "../scenario/load.js";
import { simulate } from "../run.js";
import type { ScaleRecord, TraceRecord } from "../trace.js";

function scenario(annotations: Record<string, string>, extra: Record<string, unknown> = {}) {
  return resolveScenario(
    {
      name: "paused",
      duration: 300,
      producers: [{ type: "interval", count: 50, intervalMilliseconds: 0 }],
      consumer: { processingTime: 5, initialReplicas: 2 },
      keda: { pollPhaseSeconds: 1 },
      hpa: { syncPhaseSeconds: 2 },
      ...extra,
      manifests: [
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "so", annotations },
          spec: { scaleTargetRef: { name: "consumer" }, minReplicaCount: 0, maxReplicaCount: 10, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q", messageCount: "5" } }] },
        },
      ],
    },
    process.cwd(),
    "paused-test.yaml",
  );
}
const scales = (rs: TraceRecord[]) => rs.filter((r): r is ScaleRecord => r.type === "scale");
const count = (rs: TraceRecord[], type: string) => rs.filter((r) => r.type === type).length;

describe("pause annotations (handlePause, RequestScale)", () => {
  it("without annotations the burst scales 2 -> 10 (the control)", () => {
    const out = simulate(scenario({}));
    expect(Math.max(...scales(out.records).map((s) => s.to))).toBe(10);
  });

  it("paused: 'true' freezes the target at its replicas: no scale, no HPA sync", () => {
    const out = simulate(scenario({ "autoscaling.keda.sh/paused": "true" }));
    expect(scales(out.records)).toEqual([]);
    expect(count(out.records, "hpa-sync")).toBe(0);
  });

  it("paused: 'false' does not pause", () => {
    const out = simulate(scenario({ "autoscaling.keda.sh/paused": "false" }));
    expect(scales(out.records).length).toBeGreaterThan(0);
  });

  it("paused-replicas: 4 sets the target to 4 once, at creation, and nothing else scales it", () => {
    const out = simulate(scenario({ "autoscaling.keda.sh/paused-replicas": "4" }));
    expect(scales(out.records).map((s) => [s.t, s.from, s.to])).toEqual([[0, 2, 4]]);
    expect(count(out.records, "hpa-sync")).toBe(0);
  });

  it("paused-replicas that strconv.ParseInt rejects is an error naming the annotation", () => {
    expect(() => scenario({ "autoscaling.keda.sh/paused-replicas": "four" })).toThrow(/metadata\.annotations\["autoscaling\.keda\.sh\/paused-replicas"\].*ParseInt/);
    expect(() => scenario({ "autoscaling.keda.sh/paused-replicas": "-1" })).toThrow(/expected >= 0/);
  });

  it("force-activation: an empty queue at 0 replicas is scaled to 1 at the first poll (scaleFromZeroOrIdle)", () => {
    const base = { producers: [{ type: "burst", at: 1000, count: 1 }], consumer: { processingTime: 5, initialReplicas: 0 } };
    const forced = simulate(scenario({ "autoscaling.keda.sh/force-activation": "true" }, base));
    expect(scales(forced.records)[0]).toMatchObject({ t: 1, from: 0, to: 1, actor: "keda" });
    const plain = simulate(scenario({}, base));
    expect(scales(plain.records)).toEqual([]);
  });
});
