// Bad input. Every case ends in either a valid run or a ScenarioError that names the file, the
// field path and what was expected — never another exception — and each case is bounded. Cases
// run in a worker thread (sandbox.ts) with a heap cap and a wall-clock timeout, so even a loop that
// never returns inside one event handler, or a memory blow-up, is reported instead of hanging or
// killing the test run. A valid fuzzed run gets small limits (limits.maxEvents 200 000,
// maxMessages 100 000, at most 2 simulated hours) and must finish or stop on one of them
// (SimulationLimitError naming it); still going after 10× that many engine events, or past
// 3 000 000 trace records (one event can emit many: a crash or a kill abandons every message of a
// pod), it is a runaway — no limit stopped it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { stringify } from "yaml";
import { scenarioArb, type RawScenario } from "./arbitraries.js";
import { DEEP, timeout } from "./budget.js";
import { checkPropertyAsync } from "./replay.js";
import { Sandbox, type SandboxOutcome } from "./sandbox.js";

const CASE_TIMEOUT_MS = 10_000;
let fuzzBox: Sandbox;
let absurdBox: Sandbox;
beforeAll(async () => {
  [fuzzBox, absurdBox] = await Promise.all([
    Sandbox.start({ timeoutMs: CASE_TIMEOUT_MS, maxHeapMb: 1024 }),
    Sandbox.start({ timeoutMs: DEEP ? 120_000 : 30_000, maxHeapMb: 2048 }),
  ]);
}, 60_000);
afterAll(async () => {
  await fuzzBox?.close();
  await absurdBox?.close();
});

export type Outcome = { kind: "error"; error: Extract<SandboxOutcome, { kind: "error" }> } | { kind: "run"; limit: string | null; events: number };

/** Throw unless the sandbox outcome is a well-formed ScenarioError or a run that ended (or stopped on a limits.* field). */
function judge(o: SandboxOutcome): Outcome {
  switch (o.kind) {
    case "error": {
      const ok = o.file.length > 0 && typeof o.path === "string" && o.expected.trim().length > 0 && o.message.startsWith(o.file);
      if (!ok) throw new Error(`malformed ScenarioError: file=${JSON.stringify(o.file)} path=${JSON.stringify(o.path)} expected=${JSON.stringify(o.expected)} message=${JSON.stringify(o.message)}`);
      return { kind: "error", error: o };
    }
    case "run":
      // A limit the user can raise (limits.*) or a hard capacity of the model, named ("messages in the system").
      if (o.limit !== null && o.limit.trim() === "") throw new Error("a SimulationLimitError that names no limit");
      return { kind: "run", limit: o.limit, events: o.events };
    case "runaway":
      throw new Error(`runaway run: ${o.message}`);
    case "exception":
      throw new Error(`the ${o.where === "loader" ? "loader" : "simulation"} threw ${o.name} instead of a ScenarioError / SimulationLimitError: ${o.message}`);
    case "timeout":
      throw new Error(`did not finish within ${o.ms} ms: a loop that never returns (no limit can stop it)`);
    case "crashed":
      throw new Error(`the run crashed its worker (heap capped): ${o.message}`);
  }
}

/** Load `text` as a scenario file and, if valid, run it (fuzzing: small limits). */
export const outcomeOf = async (text: string): Promise<Outcome> => judge(await fuzzBox.run(text, true, { maxSteps: 2_000_000, maxRecords: 3_000_000 }));

// ---------------------------------------------------------------------------------------------
// mutations of valid scenarios

type Path = Array<string | number>;

function allPaths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...prefix, i]), allPaths(x, [...prefix, i], out)));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push([...prefix, k]), allPaths(x, [...prefix, k], out);
  return out;
}

export const MUTATIONS = ["drop", "wrongType", "typo", "negative", "huge", "tiny", "fraction", "nonFinite", "emptyString", "numericString", "zero", "setField"] as const;

/** Numeric fields of the scenario format, for "setField" (which creates them if absent). */
const NUMERIC_FIELDS: Path[] = [
  ["sampleIntervalSeconds"],
  ["duration"],
  ["maxDurationSeconds"],
  ["seed"],
  ["hpa", "syncPeriodSeconds"],
  ["hpa", "syncPhaseSeconds"],
  ["hpa", "driftSecondsPerSync"],
  ["hpa", "tolerance"],
  ["hpa", "downscaleStabilizationSeconds"],
  ["keda", "pollPhaseSeconds"],
  ["keda", "createdAt"],
  ["queue", "lockDurationSeconds"],
  ["queue", "lockRenewalSeconds"],
  ["queue", "maxDeliveryCount"],
  ["queue", "prefetch"],
  ["queue", "managementStatsIntervalSeconds"],
  ["consumer", "processingTime"],
  ["consumer", "concurrency"],
  ["consumer", "startupDelay"],
  ["consumer", "terminationGracePeriodSeconds"],
  ["consumer", "initialReplicas"],
  ["consumer", "faults", "crashRatePerHour"],
  ["limits", "maxEvents"],
  ["limits", "maxMessages"],
  ["limits", "maxReplicas"],
];
export type Mutation = { path: number; kind: (typeof MUTATIONS)[number]; pick: number };

const WRONG = ["x", 42, true, null, [], {}, [1, "a"], { a: 1 }];
const HUGE = [1e12, 1e308, 2 ** 31, Number.MAX_SAFE_INTEGER + 2, 1e9];
const TINY = [1e-300, 5e-324, 1e-9, 1e-6];
const NONFINITE = [Number.NaN, Infinity, -Infinity];

export function mutate(raw: RawScenario, m: Mutation): RawScenario {
  const copy = structuredClone(raw) as Record<string, unknown>;
  if (m.kind === "setField") {
    const path = NUMERIC_FIELDS[m.path % NUMERIC_FIELDS.length];
    let o = copy;
    for (const k of path.slice(0, -1)) {
      if (!o[k] || typeof o[k] !== "object" || Array.isArray(o[k])) o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
    const values = [0, ...TINY, ...HUGE, -1, 0.5, 1.5];
    o[path[path.length - 1] as string] = values[m.pick % values.length];
    return copy;
  }
  const paths = allPaths(copy);
  const path = paths[m.path % paths.length];
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], copy) as Record<string | number, unknown>;
  const key = path[path.length - 1];
  const cur = parent[key];
  const num = typeof cur === "number" ? cur : 1;
  const choose = <T,>(xs: readonly T[]) => xs[m.pick % xs.length];
  switch (m.kind) {
    case "drop":
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case "typo":
      if (!Array.isArray(parent) && typeof key === "string") {
        const typo = [key + "e", key.slice(1), key.toLowerCase() === key ? key.toUpperCase() : key.toLowerCase(), key.slice(0, -1)][m.pick % 4] || "x";
        delete parent[key];
        parent[typo] = cur;
      } else parent[key] = choose(WRONG);
      break;
    case "wrongType":
      parent[key] = choose(WRONG.filter((w) => typeof w !== typeof cur || Array.isArray(w) !== Array.isArray(cur)));
      break;
    case "negative":
      parent[key] = typeof cur === "number" ? -Math.abs(cur) - 1 : -1;
      break;
    case "huge":
      parent[key] = choose(HUGE);
      break;
    case "tiny":
      parent[key] = choose(TINY);
      break;
    case "fraction":
      parent[key] = num + 0.5;
      break;
    case "nonFinite":
      parent[key] = choose(NONFINITE);
      break;
    case "emptyString":
      parent[key] = "";
      break;
    case "numericString":
      parent[key] = String(num);
      break;
    case "zero":
      parent[key] = 0;
      break;
  }
  return copy;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({ path: fc.nat({ max: 10_000 }), kind: fc.constantFrom(...MUTATIONS), pick: fc.nat({ max: 100 }) });

// ---------------------------------------------------------------------------------------------
// garbage

const VOCAB = ["name", "seed", "duration", "producers", "queue", "consumer", "manifests", "hpa", "keda", "limits", "type", "count", "at", "kind", "apiVersion", "spec", "triggers", "metadata", "processingTime", "dist", "mean", "scaleTargetRef", "minReplicaCount", "maxReplicaCount"];

const specialYaml = fc.constantFrom(
  // alias bomb ("billion laughs")
  ["a: &a [x, x, x, x, x, x, x, x, x]", "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]", "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]", "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]", "name: [*d]"].join("\n") + "\n",
  "[".repeat(3000),
  "name: !!timestamp 2001-12-14\n",
  "!!set {a, b}\n",
  "name: a\nname: b\n",
  "<<: {name: x}\n",
  "\uFEFFname: x\n",
  "---\n---\n",
  "name: x\nproducers: [{type: csv, file: .}]\nmanifests: [x.yaml]\n",
  "name: x\nproducers: [{type: burst, count: 1}]\nmanifests: [/]\n",
  "name: x\nseed: 123456789012345678901234567890\n",
);

const garbageArb = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.json({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3 }).map((v) => {
    try {
      return stringify(v) ?? String(v); // stringify(undefined) is undefined
    } catch {
      return String(v);
    }
  }),
  fc.dictionary(fc.constantFrom(...VOCAB), fc.anything({ maxDepth: 3 }), { maxKeys: 8 }).map((d) => stringify(d)),
  specialYaml,
);

describe("bad input", () => {
  it("garbage YAML/JSON text: a ScenarioError (file, path, expected) or a bounded valid run — never another exception", async () => {
    const counters = { "ScenarioError": 0, "valid runs": 0 };
    await checkPropertyAsync(
      "garbage input",
      garbageArb,
      async (text) => {
        const o = await outcomeOf(text);
        counters[o.kind === "error" ? "ScenarioError" : "valid runs"]++;
      },
      {
        numRuns: 300,
        counters,
        // The garbage itself is the counterexample; it is printed by fast-check (not a scenario file).
        scenarioOf: () => null,
      },
    );
  }, timeout(30_000));

  it("mutated valid scenarios (dropped fields, wrong types, key typos, negative/huge/tiny/fractional/non-finite numbers): ScenarioError or bounded run", async () => {
    const counters = { "ScenarioError": 0, "valid runs": 0, "stopped by a limit": 0 };
    await checkPropertyAsync(
      "mutated scenarios",
      fc.record({ scenario: scenarioArb(), mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }), json: fc.boolean() }),
      async ({ scenario, mutations, json }) => {
        const raw = mutations.reduce(mutate, scenario);
        const o = await outcomeOf(json ? JSON.stringify(raw) : stringify(raw));
        counters[o.kind === "error" ? "ScenarioError" : "valid runs"]++;
        if (o.kind === "run" && o.limit) counters["stopped by a limit"]++;
      },
      {
        numRuns: 200,
        counters,
        scenarioOf: ({ scenario, mutations }) => mutations.reduce(mutate, scenario),
        noteOf: ({ mutations }) => `mutations applied to the generated scenario: ${JSON.stringify(mutations)}; the run used limits.maxEvents 200000, maxMessages 100000, ≤ 7200 s`,
      },
    );
  }, timeout(60_000));
});

describe("absurd but well-typed values: run within bounds or stop early naming the limit", () => {
  const so = (spec: Record<string, unknown> = {}) => ({
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: "so" },
    spec: { scaleTargetRef: { name: "consumer" }, maxReplicaCount: 10, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q" } }], ...spec },
  });
  // The scenario's own (default) limits; a larger runaway guard; a 2 GB heap and 30 s per case.
  const absurd = async (text: string) => judge(await absurdBox.run(text, false, { maxSteps: 20_000_000, maxRecords: 5_000_000 }));
  const base = (extra: Record<string, unknown>) => stringify({ name: "absurd", producers: [{ type: "burst", count: 10 }], manifests: [so()], ...extra });

  it("10⁹ messages in a burst or an interval producer: ScenarioError naming limits.maxMessages", async () => {
    for (const p of [{ type: "burst", count: 1e9 }, { type: "interval", count: 1e9, intervalMilliseconds: 1 }]) {
      const o = await absurd(base({ producers: [p] }));
      expect(o.kind).toBe("error");
      if (o.kind === "error") expect(o.error.message).toContain("limits.maxMessages");
    }
  });

  it("10⁵ replicas: maxReplicaCount is a ScenarioError naming limits.maxReplicas", async () => {
    const o = await absurd(base({ manifests: [so({ maxReplicaCount: 100_000 })] }));
    expect(o.kind).toBe("error");
    if (o.kind === "error") expect(o.error.message).toContain("limits.maxReplicas");
  });

  it("10⁵ initial replicas: a ScenarioError naming limits.maxReplicas, or a run to the end (the HPA brings them to max)", async () => {
    const o = await absurd(base({ consumer: { initialReplicas: 100_000 } }));
    if (o.kind === "error") expect(o.error.message).toContain("limits.maxReplicas");
    else expect(o.limit).toBeNull();
  }, timeout(20_000));

  it("10⁹ messages from a Poisson producer (no count known up front): a ScenarioError or SimulationLimitError naming a limit", async () => {
    // Deep mode only: ~4 s and ~1.2 GB until the message store's capacity (2^24 messages in the
    // system) stops it — a SimulationLimitError since found-bugs #10 (was a RangeError).
    if (!DEEP) return;
    const o = await absurd(base({ producers: [{ type: "poisson", ratePerSecond: 1e9, count: 1e9 }] }));
    if (o.kind === "error") expect(o.error.message).toContain("limits.");
    else expect(o.limit).toBeTruthy(); // limits.maxMessages, or the store's capacity ("messages in the system")
  }, timeout(1_500));

  it("nesting bombs (200 000 levels of flow, compact sequences, an inline manifest): a ScenarioError naming the depth limit, not a crashed worker", async () => {
    // Before sim/scenario/bounded-input.ts the yaml parser aborted the process (out of memory).
    for (const text of ["[".repeat(200_000), "- ".repeat(200_000) + "x\n", "name: x\nmanifests:\n  - spec: " + "{a: ".repeat(200_000) + "\n"]) {
      const o = await absurd(text);
      expect(o.kind).toBe("error");
      if (o.kind === "error") expect(o.error.message).toMatch(/nested more than 64 levels deep/);
    }
  }, timeout(20_000));

  it("zero processing time with 10⁶ messages: runs to the end", async () => {
    const o = await absurd(base({ producers: [{ type: "burst", count: 1_000_000 }], consumer: { processingTime: 0 } }));
    expect(o).toMatchObject({ kind: "run", limit: null });
  }, timeout(20_000));
});
