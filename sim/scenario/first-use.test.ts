// Bad input and first-use friction (issue 14): bounded input everywhere a file is read, a manifest
// given as the scenario, a Deployment that is not the ScaledObject's target, an idle scenario
// without producers, a ScaledJob, a kafka trigger in a single-queue scenario. Where the exit code
// matters the CLI runs in a child process (a nesting bomb used to abort the process: exit 134).
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { parseAllDocuments, stringify } from "yaml";
import { loadScenario, ScenarioError } from "./load.js";
import { loadTopology } from "../topology/load.js";
import { INPUT_LIMITS, yamlNestingDepth } from "./bounded-input.js";
import { simulate } from "../run.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const CLI = join(ROOT, "sim/cli.ts");
const SEED_SO = join(ROOT, "fixtures/manifests/seed-000/consumer-scaling.yaml");

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, ["--import", TSX, CLI, ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function tmpDir(): string {
  return mkdtempSync(join(tmpdir(), "kedasim-first-use-"));
}

function tmpFiles(files: Record<string, string>): string {
  const dir = tmpDir();
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

function errorOf(f: () => unknown): ScenarioError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

const so = (spec: string, kind = "ScaledObject") => `
  - apiVersion: keda.sh/v1alpha1
    kind: ${kind}
    metadata: {name: c}
    spec: ${spec}`;
const SB_SPEC = `{scaleTargetRef: {name: consumer}, maxReplicaCount: 10, triggers: [{type: azure-servicebus, metadata: {queueName: q, messageCount: "5"}}]}`;
const dep = (name: string, grace = 45) => `
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: ${name}}
    spec: {replicas: 2, template: {spec: {terminationGracePeriodSeconds: ${grace}}}}`;

describe("bounded input: nesting bombs end in exit 2 naming the file and the limit, never an abort", () => {
  const bombs: Record<string, string> = {
    "200 000 levels of [": "[".repeat(200_000),
    "1 000 levels of compact '- '": "- ".repeat(1_000) + "x\n",
    "200 levels of block mappings": Array.from({ length: 200 }, (_, i) => " ".repeat(i) + "a:").join("\n") + " 1\n",
  };
  for (const [what, text] of Object.entries(bombs)) {
    it(`the scenario file: ${what}`, () => {
      const dir = tmpFiles({ "s.yaml": text });
      const r = cli([join(dir, "s.yaml"), "--no-charts"]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^kedasim: .*s\.yaml: line \d+, column \d+: YAML nested more than 64 levels deep/);
      expect(r.stderr).not.toMatch(/FATAL|out of memory|\n\s+at /);
    });
  }

  it("a manifest listed under manifests: names the manifest file", () => {
    const dir = tmpFiles({ "so.yaml": "spec: " + "[".repeat(200_000), "s.yaml": "name: x\nmanifests: [so.yaml]\n" });
    const r = cli([join(dir, "s.yaml"), "--no-charts"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/so\.yaml: line 1, column \d+: YAML nested more than 64 levels/);
  });

  it("a Prometheus export (JSON) nested 200 000 deep: the depth limit, not 'expected a query_range response'", () => {
    const dir = tmpFiles({ "e.json": "[".repeat(200_000) + "]".repeat(200_000) });
    writeFileSync(join(dir, "s.yaml"), `name: x\nproducers: [{type: prometheus, file: e.json}]\nmanifests:${so(SB_SPEC)}\n`);
    const err = errorOf(() => loadScenario(join(dir, "s.yaml")));
    expect(err.file).toMatch(/e\.json$/);
    expect(err.expected).toMatch(/JSON nested more than 64 levels/);
  });

  it("a decision-vectors file nested too deep: exit 2", () => {
    const dir = tmpFiles({ "v.json": "[".repeat(100_000) + "]".repeat(100_000) });
    const r = cli(["vectors", join(dir, "v.json")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/v\.json: line 1, column 65: JSON nested more than 64 levels/);
  });

  it("the nesting pre-scan never counts fewer levels than the parser builds (random documents, block and flow style)", () => {
    const depth = (v: unknown): number => (v && typeof v === "object" ? 1 + Math.max(0, ...Object.values(v as object).map(depth)) : 0);
    const str = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("a: b", "- x", "[", "{", "'", '"', "l1\nl2\n  - [ [", "#c", "x\n\n  y: [", "|", ">"));
    const val = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: "small", maxDepth: 10 }, str, fc.integer(), fc.array(tie("v"), { maxLength: 4 }), fc.dictionary(str, tie("v"), { maxKeys: 4 })),
    })).v;
    fc.assert(
      fc.property(val, fc.constantFrom(0, 2, 4), fc.boolean(), (v, indent, flow) => {
        const text = stringify(v, { indent: Math.max(indent, 2), indentSeq: indent === 0, collectionStyle: flow ? "any" : "block", lineWidth: 20 });
        const docs = parseAllDocuments(text);
        if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return;
        const real = depth(docs[0].toJS());
        // The smallest limit the scan accepts is its count of levels.
        let scanned = 0;
        while (yamlNestingDepth(text, scanned) !== null) scanned++;
        expect(scanned).toBeGreaterThanOrEqual(real);
        expect(scanned).toBeLessThanOrEqual(real + 2);
      }),
      { numRuns: 1500, seed: 14 },
    );
    // And no shipped scenario or manifest comes near the limit.
    for (const dir of ["fixtures/scenarios", "fixtures/manifests/seed-000", "fixtures/manifests/seed-002", "fixtures/manifests/seed-003", "fixtures/manifests/seed-004", "fixtures/manifests/rabbitmq"]) {
      for (const f of readdirSync(join(ROOT, dir)).filter((x) => x.endsWith(".yaml"))) {
        expect(yamlNestingDepth(readFileSync(join(ROOT, dir, f), "utf8"), 16), `${dir}/${f}`).toBeNull();
      }
    }
  });
});

describe("bounded input: size, width and CSV limits name the file, the limit and what was found", () => {
  it("a scenario file over 16 MiB", () => {
    const dir = tmpDir();
    const f = join(dir, "s.yaml");
    writeFileSync(f, "");
    truncateSync(f, INPUT_LIMITS.documentBytes + 1); // sparse: no 16 MiB written
    const e = errorOf(() => loadScenario(f));
    expect(e.expected).toMatch(/is 16\.0 MiB, more than the 16 MiB kedasim reads from a YAML\/JSON file/);
  });

  it("a CSV arrivals file over 256 MiB, and one over 10 000 000 lines", () => {
    const dir = tmpFiles({ "s.yaml": `name: x\nproducers: [{type: csv, file: a.csv}]\nmanifests:${so(SB_SPEC)}\n` });
    writeFileSync(join(dir, "a.csv"), "");
    truncateSync(join(dir, "a.csv"), INPUT_LIMITS.csvBytes + 1);
    const big = errorOf(() => loadScenario(join(dir, "s.yaml")));
    expect(big.path).toBe("producers[0].file");
    expect(big.expected).toMatch(/a\.csv is 256\.0 MiB, more than the 256 MiB kedasim reads from a CSV file/);
    writeFileSync(join(dir, "a.csv"), "1\n".repeat(INPUT_LIMITS.csvRows + 1));
    const long = errorOf(() => loadScenario(join(dir, "s.yaml")));
    expect(long.expected).toMatch(/has more than 10,000,000 lines/);
  }, 60_000);

  it("a topology scenario's CSV producer is bounded the same way (one reader)", () => {
    const dir = tmpFiles({
      "t.yaml": "name: t\nchannels: [{name: q, kind: queue, broker: rabbitmq}]\nproducers: [{to: q, type: csv, file: a.csv}]\nstages: [{name: w, consumes: {channel: q}, processingTime: 1}]\n",
    });
    writeFileSync(join(dir, "a.csv"), "");
    truncateSync(join(dir, "a.csv"), INPUT_LIMITS.csvBytes + 1);
    const e = errorOf(() => loadTopology(join(dir, "t.yaml")));
    expect(e.expected).toMatch(/more than the 256 MiB kedasim reads from a CSV file/);
  });

  it("a string over 1 MiB, a mapping over 10 000 keys, a list over 1 000 000 entries: the field path and the count", () => {
    const dir = tmpDir();
    const f = join(dir, "s.yaml");
    writeFileSync(f, `name: x\ndescription: ${"x".repeat(INPUT_LIMITS.stringLength + 1)}\nmanifests:${so(SB_SPEC)}\n`);
    const s = errorOf(() => loadScenario(f));
    expect(s.path).toBe("description");
    expect(s.expected).toMatch(/at most 1,048,576 characters .* found 1,048,577/);

    const keys = Array.from({ length: INPUT_LIMITS.mappingKeys + 1 }, (_, i) => `k${i}: 1`).join(", ");
    writeFileSync(f, `name: x\nconsumer: {${keys}}\nmanifests:${so(SB_SPEC)}\n`);
    const k = errorOf(() => loadScenario(f));
    expect(k.path).toBe("consumer");
    expect(k.expected).toMatch(/at most 10,000 keys .* found 10,001/);

    const values = Array.from({ length: INPUT_LIMITS.listLength + 1 }, (_, i) => `[${i},"1"]`).join(",");
    writeFileSync(join(dir, "e.json"), `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[${values}]}]}}`);
    writeFileSync(f, `name: x\nproducers: [{type: prometheus, file: e.json}]\nmanifests:${so(SB_SPEC)}\n`);
    const l = errorOf(() => loadScenario(f));
    expect(l.file).toMatch(/e\.json$/);
    expect(l.path).toBe("data.result[0].values");
    expect(l.expected).toMatch(/at most 1,000,000 entries .* found 1,000,001/);
  }, 60_000);
});

describe("a Kubernetes manifest given as the scenario: what it is and a scenario to paste", () => {
  it("the seed's ScaledObject file: exit 2 naming its kind and apiVersion; the printed scenario runs as printed", () => {
    const cwd = tmpDir();
    const r = cli([SEED_SO], cwd);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/consumer-scaling\.yaml: this is a ScaledObject \(keda\.k8s\.io\/v1alpha1\)/);
    expect(r.stderr).toMatch(/a scenario lists it under `manifests:`/);
    expect(r.stderr).not.toMatch(/name: expected string/);
    // Paste what it printed into scenario.yaml in the current folder, as it says, and run that.
    const snippet = r.stderr.slice(r.stderr.indexOf("\n\n") + 2);
    writeFileSync(join(cwd, "scenario.yaml"), snippet);
    const run = cli(["scenario.yaml", "--no-charts", "--out", "out"], cwd);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const summary = JSON.parse(readFileSync(join(cwd, "out/summary.json"), "utf8"));
    expect(summary.messages.produced).toBeGreaterThan(0);
    expect(summary.messages.completed).toBe(summary.messages.produced);
  });

  it("a Deployment: says a ScaledObject must be listed beside it", () => {
    const e = errorOf(() => loadScenario(join(ROOT, "fixtures/manifests/seed-000/consumer-deployment.yaml")));
    expect(e.expected).toMatch(/^this is a Deployment \(apps\/v1\).*beside the KEDA ScaledObject that scales it/);
    expect(e.expected).toMatch(/manifests:\n {2}- .*consumer-deployment\.yaml\n {2}- <your-scaledobject\.yaml>/);
  });

  it("a ScaledJob file: a scenario lists it under manifests (it is simulated, issue #16), no ScaledObject asked for", () => {
    const dir = tmpFiles({ "j.yaml": "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {name: j}\nspec: {jobTargetRef: {template: {}}, triggers: []}\n" });
    const e = errorOf(() => loadScenario(join(dir, "j.yaml")));
    expect(e.expected).toMatch(/this is a ScaledJob \(keda\.sh\/v1alpha1\).*; a scenario lists it under `manifests:` — /);
    expect(e.expected).toMatch(/manifests:\n {2}- .*j\.yaml\n/);
    expect(e.expected).not.toMatch(/your-scaledobject/);
  });
});

describe("a Deployment that is not the ScaledObject's target is rejected, not ignored", () => {
  it("inline: the Deployment's metadata.name, both names and the ScaledObject's field", () => {
    const dir = tmpFiles({ "s.yaml": `name: x\nmanifests:${so(SB_SPEC)}${dep("consumr")}\n` });
    const e = errorOf(() => loadScenario(join(dir, "s.yaml")));
    expect(e.path).toBe("manifests[1].metadata.name");
    expect(e.expected).toMatch(/the ScaledObject's target "consumer" \(.*s\.yaml: manifests\[0\]\.spec\.scaleTargetRef\.name\), got Deployment "consumr"; rename one/);
  });

  it("from a file, against the seed's keda.k8s.io ScaledObject (scaleTargetRef.deploymentName)", () => {
    const dir = tmpFiles({ "d.yaml": dep("bindingconsumer").replace(/\n {4}/g, "\n").replace(/^\n {2}- /, ""), "s.yaml": `name: x\nmanifests: [${SEED_SO}, d.yaml]\n` });
    const e = errorOf(() => loadScenario(join(dir, "s.yaml")));
    expect(e.file).toMatch(/d\.yaml$/);
    expect(e.path).toBe("metadata.name");
    expect(e.expected).toMatch(/"consumer" \(.*consumer-scaling\.yaml: document 3: spec\.scaleTargetRef\.deploymentName\), got Deployment "bindingconsumer"/);
  });

  it("a second Deployment beside the target: a single-queue scenario simulates one consumer", () => {
    const dir = tmpFiles({ "s.yaml": `name: x\nmanifests:${so(SB_SPEC)}${dep("consumer")}${dep("producer")}\n` });
    const e = errorOf(() => loadScenario(join(dir, "s.yaml")));
    expect(e.path).toBe("manifests[2].metadata.name");
    expect(e.expected).toMatch(/got Deployment "producer"; a single-queue scenario simulates one consumer/);
  });

  it("the matching Deployment is still read (replicas, grace period)", () => {
    const dir = tmpFiles({ "s.yaml": `name: x\nmanifests:${so(SB_SPEC)}${dep("consumer", 45)}\n` });
    const s = loadScenario(join(dir, "s.yaml"));
    expect(s.consumer).toMatchObject({ initialReplicas: 2, terminationGracePeriodSeconds: 45, deploymentName: "consumer" });
  });
});

describe("producers may be omitted: an idle scenario", () => {
  it("loads with no producers, runs (the Deployment's 2 replicas scale in to 0), and writes summary and report", () => {
    const dir = tmpFiles({ "idle.yaml": `name: idle\nmanifests:${so(SB_SPEC)}${dep("consumer")}\n` });
    const s = loadScenario(join(dir, "idle.yaml"));
    expect(s.producers).toEqual([]);
    const out = simulate(s);
    expect(out.summary.messages.produced).toBe(0);
    expect(out.summary.latencyS.p50).toBeNull();
    expect(out.summary.scaleEvents.at(-1)?.to).toBe(0);
    const r = cli([join(dir, "idle.yaml"), "--out", join(dir, "out")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/idle\s+produced 0, completed 0/);
    expect(existsSync(join(dir, "out/report.md"))).toBe(true);
    expect(readFileSync(join(dir, "out/report.md"), "utf8")).not.toMatch(/NaN|undefined/);
  }, 60_000);
});

describe("unsupported or reinterpreted things get one explicit line", () => {
  it("a ScaledJob among the manifests (no ScaledObject): it loads as the ScaledJob model (issue #16), not 'found 0 ScaledObjects'", () => {
    const spec = `{jobTargetRef: {template: {spec: {containers: [{name: w, image: w}]}}}, triggers: [{type: rabbitmq, metadata: {host: "amqp://h/", queueName: q, mode: QueueLength, value: "5"}}]}`;
    const dir = tmpFiles({ "s.yaml": `name: x\nmanifests:${so(spec, "ScaledJob")}\n` });
    const s = loadScenario(join(dir, "s.yaml"));
    expect(s.scaledJob?.consumer).toBe("one");
    expect(s.scaledJob?.triggers.map((t) => t.type)).toEqual(["rabbitmq"]);
    expect(s.scaledObject.triggers).toHaveLength(1);
  });

  it("a ScaledJob beside a ScaledObject: one warning, the ScaledObject is simulated", () => {
    const dir = tmpFiles({ "s.yaml": `name: x\nmanifests:${so(SB_SPEC)}${so("{jobTargetRef: {}}", "ScaledJob")}\n` });
    const s = loadScenario(join(dir, "s.yaml"));
    expect(s.warnings.filter((w) => /a ScaledJob beside a ScaledObject is not simulated.*; ignored, the ScaledObject is simulated/.test(w))).toHaveLength(1);
    expect(s.scaledJob).toBeUndefined();
  });

  it("a ScaledJob in a topology stage: the same line", () => {
    const dir = tmpFiles({
      "t.yaml": `name: t\nchannels: [{name: q, kind: queue, broker: rabbitmq}]\nstages:\n  - name: w\n    consumes: {channel: q}\n    manifests:${so("{jobTargetRef: {}}", "ScaledJob").replace(/\n/g, "\n    ")}\n`,
    });
    const e = errorOf(() => loadTopology(join(dir, "t.yaml")));
    expect(e.expected).toMatch(/ScaledJob is not modelled in a topology stage yet \(issue #16/);
  });

  it("a kafka trigger in a single-queue scenario: one warning (one partition; topology scenarios for partitions), printed by the CLI", () => {
    const kafka = `{scaleTargetRef: {name: consumer}, triggers: [{type: kafka, metadata: {bootstrapServers: "b:9092", consumerGroup: g, topic: t, lagThreshold: "5"}}]}`;
    const dir = tmpFiles({ "s.yaml": `name: k\nproducers: [{type: burst, count: 3}]\nmanifests:${so(kafka)}\n` });
    const s = loadScenario(join(dir, "s.yaml"));
    const lines = s.warnings.filter((w) => /kafka trigger in a single-queue scenario/.test(w));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/manifests\[0\]\.spec\.triggers\[0\]: .*ONE partition.*topology scenario with a `log` channel/);
    const r = cli([join(dir, "s.yaml"), "--no-charts", "--out", join(dir, "out")]);
    expect(r.status).toBe(0);
    expect(r.stderr.match(/kedasim: warning: .*ONE partition/g)).toHaveLength(1);
    // Kafka triggers of topology stages read partitioned logs: no such warning there.
    const t = loadTopology(join(ROOT, "fixtures/scenarios/seed-002-kafka-6-partitions.yaml"));
    expect(t.stages.some((st) => st.scaling?.scaledObject.triggers.some((x) => x.type === "kafka"))).toBe(true);
    expect(t.warnings.join("\n")).not.toMatch(/single-queue/);
  });
});
