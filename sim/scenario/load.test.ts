import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { loadScenario, ScenarioError } from "./load.js";
import { isTopologyScenario } from "../topology/run.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SCENARIOS = join(ROOT, "fixtures/scenarios");

function tmpScenario(text: string, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "kedasim-load-"));
  for (const [name, body] of Object.entries(extra)) writeFileSync(join(dir, name), body);
  const f = join(dir, "s.yaml");
  writeFileSync(f, text);
  return f;
}

const SO = `
  - apiVersion: keda.sh/v1alpha1
    kind: ScaledObject
    metadata: {name: c}
    spec:
      scaleTargetRef: {name: consumer}
      maxReplicaCount: 10
      triggers:
      - type: azure-servicebus
        metadata: {queueName: q, messageCount: "5"}
`;

function errorOf(text: string, extra: Record<string, string> = {}): ScenarioError {
  try {
    loadScenario(tmpScenario(text, extra));
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

describe("loadScenario", () => {
  it("loads every shipped scenario", () => {
    // Topology scenarios (they have `stages`) are loaded by sim/topology/load.ts; see its tests.
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith(".yaml") && !isTopologyScenario(join(SCENARIOS, f)));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) expect(loadScenario(join(SCENARIOS, f)).name).toBe(f.replace(/\.yaml$/, ""));
  });

  it("reads the seed's keda.k8s.io/v1alpha1 ScaledObject, Dapr component and Deployment", () => {
    const s = loadScenario(join(SCENARIOS, "seed-000-burst-50.yaml"));
    expect(s.scaledObject.apiVersion).toBe("keda.k8s.io/v1alpha1");
    expect(s.scaledObject).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 10, pollingInterval: 30, cooldownPeriod: 300, behavior: null });
    expect(s.scaledObject.triggers[0]).toMatchObject({ type: "azure-servicebus", target: 5, targetType: "AverageValue", activationThreshold: 0 });
    expect(s.daprComponent).toEqual({ name: "message-queue", type: "bindings.azure.servicebusqueues" });
    expect(s.queue).toMatchObject({ broker: "azure-servicebus", prefetch: 1, lockDuration: 60, lockRenewal: 20, maxDeliveryCount: 10 });
    expect(s.consumer).toMatchObject({ concurrency: 1, terminationGracePeriodSeconds: 30, initialReplicas: 0, deploymentName: "consumer" });
    // Phases drawn from the seed lie inside one period.
    expect(s.keda.pollPhase).toBeGreaterThanOrEqual(0);
    expect(s.keda.pollPhase).toBeLessThan(30);
    expect(s.hpa.syncPhase).toBeLessThan(15);
  });

  it("takes prefetch from the Dapr RabbitMQ component (default 0 = unlimited)", () => {
    expect(loadScenario(join(SCENARIOS, "rabbitmq-prefetch-zero.yaml")).queue.prefetch).toBe(0);
    expect(loadScenario(join(SCENARIOS, "seed-002-one-per-second.yaml")).queue.prefetch).toBe(1);
  });

  it("names the file, the field path and the expectation for an unknown field (typo)", () => {
    const e = errorOf(`name: x\nproducers: [{type: burst, count: 3}]\nconsumer: {procesingTime: 5}\nmanifests:${SO}`);
    expect(e.message).toMatch(/s\.yaml: consumer: unknown field "procesingTime"/);
  });

  it("rejects wrong types with the path", () => {
    const e = errorOf(`name: x\nproducers: [{type: burst, count: "many"}]\nmanifests:${SO}`);
    expect(e.path).toBe("producers[0].count");
    expect(e.expected).toMatch(/expected number/);
  });

  it("rejects an unknown producer type", () => {
    const e = errorOf(`name: x\nproducers: [{type: trickle, count: 3}]\nmanifests:${SO}`);
    expect(e.path).toMatch(/^producers\[0\]/);
  });

  it("rejects a typo inside the ScaledObject spec, naming the manifest path", () => {
    const e = errorOf(`name: x\nproducers: [{type: burst, count: 3}]\nmanifests:${SO.replace("maxReplicaCount", "maxReplicaCont")}`);
    expect(e.message).toMatch(/manifests\[0\]\.spec: unknown field "maxReplicaCont"/);
  });

  it("rejects bad trigger metadata with its path", () => {
    const e = errorOf(`name: x\nproducers: [{type: burst, count: 3}]\nmanifests:${SO.replace('messageCount: "5"', 'messageCount: "five"')}`);
    expect(e.message).toMatch(/spec\.triggers\[0\]\.metadata\.messageCount/);
  });

  it("enforces KEDA's replica-count bounds (idle < min, max >= min)", () => {
    const e = errorOf(`name: x\nproducers: [{type: burst, count: 3}]\nmanifests:${SO.replace("maxReplicaCount: 10", "maxReplicaCount: 10\n      minReplicaCount: 2\n      idleReplicaCount: 2")}`);
    expect(e.message).toMatch(/idleReplicaCount: IdleReplicaCount=2 must be less than MinReplicaCount=2/);
  });

  it("reports a missing manifest file and invalid YAML clearly", () => {
    expect(errorOf(`name: x\nproducers: [{type: burst, count: 3}]\nmanifests: [nope.yaml]`).message).toMatch(/manifests\[0\]: file not found: .*nope\.yaml/);
    expect(errorOf(`name: x\nproducers: [{type: burst, count: 3}\nmanifests: [`).message).toMatch(/invalid YAML/);
  });

  it("reads CSV arrival times relative to the scenario file and validates them", () => {
    const f = tmpScenario(`name: x\nproducers: [{type: csv, file: a.csv}]\nmanifests:${SO}`, { "a.csv": "t\n0.5\n2\n1\n" });
    const s = loadScenario(f);
    expect(s.producers[0]).toMatchObject({ type: "times", times: [0.5, 1, 2] });
    const e = errorOf(`name: x\nproducers: [{type: csv, file: a.csv}]\nmanifests:${SO}`, { "a.csv": "1\nabc\n" });
    expect(e.message).toMatch(/line 2: expected a non-negative number of seconds, got "abc"/);
  });

  it("the CLI prints one line for bad input and exits 2 — no stack trace", () => {
    const f = tmpScenario(`name: x\nproducers: [{type: burst, count: 3}]\nconsumer: {procesingTime: 5}\nmanifests:${SO}`);
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "sim/cli.ts"), f, "--no-charts"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^kedasim: .*s\.yaml: consumer: unknown field "procesingTime"/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack frames
    const r2 = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "sim/cli.ts"), "/nonexistent.yaml"], { cwd: ROOT, encoding: "utf8" });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/nonexistent\.yaml: file not found/);
  });
});

describe("manifest files are parsed once per version (issue 6: resolveScenario per seed)", () => {
  const soFile = (max: number) => `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: c}
spec:
  scaleTargetRef: {name: consumer}
  maxReplicaCount: ${max}
  triggers:
  - type: azure-servicebus
    metadata: {queueName: q, messageCount: "5"}
`;
  const scenario = `name: x\nproducers: [{type: burst, count: 3}]\nmanifests: [so.yaml]\n`;

  it("a manifest file that changes on disk is read again", () => {
    const f = tmpScenario(scenario, { "so.yaml": soFile(7) });
    expect(loadScenario(f).scaledObject.maxReplicaCount).toBe(7);
    expect(loadScenario(f).scaledObject.maxReplicaCount).toBe(7); // from the cache
    writeFileSync(join(f, "..", "so.yaml"), soFile(12)); // another size: a new version
    expect(loadScenario(f).scaledObject.maxReplicaCount).toBe(12);
  });

  it("a broken manifest is not cached: fixing it takes effect, and the error repeats until then", () => {
    const f = tmpScenario(scenario, { "so.yaml": "kind: [" });
    expect(() => loadScenario(f)).toThrow(/invalid YAML/);
    expect(() => loadScenario(f)).toThrow(/invalid YAML/);
    writeFileSync(join(f, "..", "so.yaml"), soFile(9));
    expect(loadScenario(f).scaledObject.maxReplicaCount).toBe(9);
  });

  it("resolving many seeds of one scenario gives the same result as resolving each from a cold cache", () => {
    const f = tmpScenario(scenario, { "so.yaml": soFile(5) });
    const warm = [1, 2, 3].map((seed) => loadScenario(f, { seed }));
    const cold = [1, 2, 3].map((seed) => {
      writeFileSync(join(f, "..", "so.yaml"), soFile(5) + `# seed ${seed}\n`); // new size: forces a fresh parse
      return loadScenario(f, { seed });
    });
    for (let i = 0; i < 3; i++) expect(JSON.stringify(warm[i])).toBe(JSON.stringify(cold[i]));
  });
});
