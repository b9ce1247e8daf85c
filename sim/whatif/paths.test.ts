import { describe, expect, it } from "vitest";
import { formatSegments, getAt, parseSegments, parseValues, parseVary, resolvePath, schemaFieldsAt, setAt, WhatIfInputError } from "./paths.js";
import { scaledObjectSpecV2 } from "../scenario/schema.js";

describe("paths", () => {
  it("parses fields, indexes and quoted keys, and prints them back", () => {
    expect(parseSegments("triggers[0].metadata.messageCount")).toEqual(["triggers", 0, "metadata", "messageCount"]);
    expect(parseSegments('metadata.annotations["autoscaling.keda.sh/paused-scale-in"]')).toEqual(["metadata", "annotations", "autoscaling.keda.sh/paused-scale-in"]);
    expect(formatSegments(["spec", "triggers", 0, "metadata", "a.b"])).toBe('spec.triggers[0].metadata["a.b"]');
    for (const bad of ["", "a..b", "a.", "a[x]", "a[0", "a[0]b"]) expect(() => parseSegments(bad), bad).toThrow(WhatIfInputError);
  });

  it("sends scenario fields to the scenario and everything else into the ScaledObject's spec", () => {
    expect(resolvePath("cooldownPeriod")).toMatchObject({ target: "scaledObject", segments: ["spec", "cooldownPeriod"] });
    expect(resolvePath("spec.pollingInterval")).toMatchObject({ target: "scaledObject", segments: ["spec", "pollingInterval"] });
    expect(resolvePath("scaledObject.metadata.name")).toMatchObject({ target: "scaledObject", segments: ["metadata", "name"] });
    expect(resolvePath("consumer.startupDelay")).toMatchObject({ target: "scenario", segments: ["consumer", "startupDelay"] });
    expect(resolvePath("producers[0].scale")).toMatchObject({ target: "scenario", segments: ["producers", 0, "scale"] });
  });

  it("reads lists, ranges with steps, YAML flow lists and null; refuses empty ranges and values", () => {
    expect(parseValues("30,60,120,300", "p")).toEqual([30, 60, 120, 300]);
    expect(parseValues("2..10", "p")).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(parseValues("0..1:0.25", "p")).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(parseValues("0..0.3:0.1", "p")).toEqual([0, 0.1, 0.2, 0.3]);
    expect(parseValues("1,3..5,1", "p")).toEqual([1, 3, 4, 5]);
    expect(parseValues("[0, {dist: uniform, min: 10, max: 30}]", "p")).toEqual([0, { dist: "uniform", min: 10, max: 30 }]);
    expect(parseValues("null,true,'5',abc", "p")).toEqual([null, true, "5", "abc"]);
    expect(() => parseValues("10..2", "cooldownPeriod")).toThrow(/cooldownPeriod=10\.\.2: empty range/);
    expect(() => parseValues("", "cooldownPeriod")).toThrow(/cooldownPeriod=: no values/);
    expect(() => parseValues("1,,2", "p")).toThrow(/empty value/);
    expect(() => parseValues("1..100000", "p")).toThrow(/more than 10000/);
    expect(() => parseVary("cooldownPeriod")).toThrow(/expected path=values/);
  });

  it("sets values, creating missing objects but never list elements, and says what is there", () => {
    const doc: Record<string, unknown> = { spec: { triggers: [{ metadata: { queueLength: "5" } }] } };
    setAt(doc, resolvePath("advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds"), 60, "the ScaledObject's");
    expect(getAt(doc, ["spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown", "stabilizationWindowSeconds"])).toBe(60);
    setAt(doc, resolvePath("triggers[0].metadata.queueLength"), "3", "the ScaledObject's");
    expect(getAt(doc, ["spec", "triggers", 0, "metadata", "queueLength"])).toBe("3");
    setAt(doc, resolvePath("advanced"), null, "the ScaledObject's");
    expect(getAt(doc, ["spec", "advanced"])).toBeUndefined();
    expect(() => setAt(doc, resolvePath("triggers[2].type"), "x", "the ScaledObject's")).toThrow(/spec\.triggers has 1 element \(\[0\]\), so \[2\] does not exist/);
    expect(() => setAt(doc, resolvePath("triggers[0].metadata.queueLength.x"), 1, "the ScaledObject's")).toThrow(/is "3", not an object/);
  });

  it("lists the fields a schema allows at a path", () => {
    expect(schemaFieldsAt(scaledObjectSpecV2 as never, [])).toContain("cooldownPeriod");
    expect(schemaFieldsAt(scaledObjectSpecV2 as never, ["advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown"])).toEqual(["stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"]);
    expect(schemaFieldsAt(scaledObjectSpecV2 as never, ["triggers", 0])).toContain("metadata");
  });
});
