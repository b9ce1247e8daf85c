// Deviation 2 of issue 14: the paused-scale-in / paused-scale-out annotations.
//   kedacore/keda apis/keda/v1alpha1/scaledobject_types.go getBoolAnnotation (strconv.ParseBool;
//   an unparsable value counts as true), controllers/keda/hpa.go newHPAForScaledObject (v2.18,
//   kedacore/keda#6901: selectPolicy Disabled in the HPA's behavior), kubernetes
//   pkg/apis/autoscaling/v2/defaults.go GenerateHPAScaleUpRules (the other direction's defaults).
import { describe, expect, it } from "vitest";
import { resolveScenario } from "./load.js";
import { boolAnnotation } from "./annotations.js";
import { Autoscaler } from "../model/autoscaler.js";
import type { QueueSnapshot } from "../triggers/types.js";

function scenario(annotations: Record<string, string>, extra: Record<string, unknown> = {}) {
  return resolveScenario(
    {
      name: "paused",
      ...extra,
      producers: [{ type: "burst", count: 1 }],
      manifests: [
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "so", annotations },
          spec: { scaleTargetRef: { name: "consumer" }, minReplicaCount: 1, maxReplicaCount: 20, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q", messageCount: "5" } }] },
        },
      ],
    },
    process.cwd(),
    "paused-test.yaml",
  );
}
const queue = (ready: number) => ({ snapshotFor: (): QueueSnapshot => ({ ready, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0 }) });

describe("annotation values as getBoolAnnotation parses them", () => {
  it("ParseBool spellings, and anything else is true", () => {
    const cases: Array<[string, boolean]> = [["true", true], ["True", true], ["1", true], ["t", true], ["false", false], ["FALSE", false], ["0", false], ["f", false], ["yes", true], ["", true], ["no", true]];
    for (const [v, want] of cases) expect([v, boolAnnotation({ k: v }, "k")]).toEqual([v, want]);
    expect(boolAnnotation({}, "k")).toBe(false);
  });
  it("the loader uses it: paused-scale-in 'yes' pauses, '0' does not", () => {
    expect(scenario({ "autoscaling.keda.sh/paused-scale-in": "yes" }).scaledObject.pausedScaleIn).toBe(true);
    expect(scenario({ "autoscaling.keda.sh/paused-scale-in": "0" }).scaledObject.pausedScaleIn).toBeUndefined();
  });
});

describe("paused-scale-in writes selectPolicy Disabled into the HPA (KEDA >= 2.18)", () => {
  it("the behavior becomes non-nil: scale-down disabled, scale-up defaulted", () => {
    const s = scenario({ "autoscaling.keda.sh/paused-scale-in": "true" });
    expect(s.scaledObject.behavior).toEqual({ scaleDown: { selectPolicy: "Disabled" } });
    expect(scenario({ "autoscaling.keda.sh/paused-scale-out": "true" }).scaledObject.behavior).toEqual({ scaleUp: { selectPolicy: "Disabled" } });
    expect(scenario({ "autoscaling.keda.sh/paused-scale-in": "true" }, { kedaVersion: "2.17.0" }).scaledObject.behavior).toBeNull();
  });

  it("the HPA does not scale in, and scales out by the defaulted behavior rules instead of the legacy limit", () => {
    const s = scenario({ "autoscaling.keda.sh/paused-scale-in": "true" });
    const a = new Autoscaler(s.scaledObject, s.keda, s.hpa);
    // 5 replicas, empty queue: raw proposal 1 (min), but scale-down is Disabled
    const down = a.sync(0, false, queue(0), 5, 5, 5);
    expect(down.desired).toBe(5);
    expect(down.rescale).toBe(false);
    // 2 replicas, 100 messages at 5 each = 20: behavior default scale-up = max(2 + 4 Pods, 2 × 100 %) = 6 per 15 s;
    // the legacy path (behavior nil, as before #6901) would allow max(2 × 2, 4) = 4.
    const b = new Autoscaler(s.scaledObject, s.keda, s.hpa);
    expect(b.sync(0, false, queue(100), 2, 2, 2).desired).toBe(6);
    const old = scenario({ "autoscaling.keda.sh/paused-scale-in": "true" }, { kedaVersion: "2.17.0" });
    const c = new Autoscaler(old.scaledObject, old.keda, old.hpa);
    expect(c.sync(0, false, queue(100), 2, 2, 2).desired).toBe(4);
  });

  it("paused-scale-out: the HPA does not scale out", () => {
    const s = scenario({ "autoscaling.keda.sh/paused-scale-out": "true" });
    const a = new Autoscaler(s.scaledObject, s.keda, s.hpa);
    expect(a.sync(0, false, queue(100), 2, 2, 2).desired).toBe(2);
  });
});
