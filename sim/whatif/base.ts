// The scenario a sweep or a search varies: its YAML document and its ScaledObject document, and
// how one configuration (a list of path = value assignments) becomes a resolved Scenario for a
// given seed index. The simulator is reached only through resolveScenario() and the run functions
// that `npm run sim` uses; nothing here knows the model.
import { dirname, relative, resolve } from "node:path";
import { inlineManifests, loadScenario, parseYamlDocs, readText, resolveScenario, ScenarioError, type Scenario } from "../scenario/load.js";
import { isTopologyScenario } from "../topology/run.js";
import { simulate } from "../run.js";
import {
  existingAt,
  formatSegments,
  isObject,
  scaledObjectSchema,
  scenarioSchema,
  schemaFieldsAt,
  setAt,
  WhatIfInputError,
  type Json,
  type ResolvedPath,
} from "./paths.js";

/** One assignment of a configuration. */
export interface Assignment {
  path: ResolvedPath;
  value: Json;
}

export interface WhatIfBase {
  file: string;
  displayFile: string;
  baseDir: string;
  /** The scenario document as written (manifests still as the user gave them). */
  raw: Record<string, unknown>;
  /** Every manifest document, inlined in order (file references read and split into documents). */
  manifests: unknown[];
  /** Index of the ScaledObject in `manifests`. */
  soIndex: number;
  /** The ScaledObject document as written. */
  scaledObject: Record<string, unknown>;
  apiVersion: string;
  /** The scenario as `npm run sim` resolves it (its own seed). */
  scenario: Scenario;
  /**
   * Events after which a what-if run stops (scenarios without a fixed duration only; null otherwise):
   * 10× the events of the scenario's own run (seed index 0), at least that plus 50 000, never above
   * its limits.maxEvents. A configuration that never drains (a trigger that scales busy pods away
   * forever, too few replicas) would otherwise run to maxDurationSeconds (7 days of samples) on every
   * seed; stopped at the cap it is reported as not finishing (limits.maxEvents) and never
   * recommended. The event limit, unlike a shorter maxDurationSeconds, leaves every run that stays
   * below it byte-identical (the model runs in chunks of maxDuration / 100, so the end of a settled
   * run depends on maxDuration).
   */
  eventCap: number | null;
}

const clone = <T>(x: T): T => structuredClone(x) as T;

/**
 * Load a single-queue scenario for what-if runs. Errors are ScenarioError (file, field path,
 * expectation) exactly as `npm run sim` reports them, or WhatIfInputError for a topology file.
 */
export function loadBase(file: string): WhatIfBase {
  const displayFile = relative(process.cwd(), file) || file;
  if (isTopologyScenario(file)) {
    throw new WhatIfInputError(`${displayFile}: a topology scenario (stages); sweep and advise work on single-queue scenarios (one ScaledObject) for now`);
  }
  const scenario = loadScenario(file); // validates everything, with the usual messages
  if (scenario.scaledJob) {
    throw new WhatIfInputError(`${displayFile}: a ScaledJob scenario; sweep and advise vary a ScaledObject's fields (one ScaledObject) for now`);
  }
  const baseDir = dirname(resolve(file));
  const docs = parseYamlDocs(readText(file, displayFile, ""), displayFile);
  const raw = docs[0] as Record<string, unknown>;
  // Only the kinds the loader reads (a Secret or a TriggerAuthentication beside the ScaledObject
  // would only cost validation time per run).
  const manifests: unknown[] = inlineManifests(raw, baseDir, displayFile, (d) => isObject(d) && (d.kind === "ScaledObject" || d.kind === "Component" || d.kind === "Deployment"));
  const soIndex = manifests.findIndex((m) => isObject(m) && m.kind === "ScaledObject");
  const scaledObject = clone(manifests[soIndex]) as Record<string, unknown>;
  let eventCap: number | null = null;
  if (scenario.duration === null) {
    const ev = simulate(scenario).events;
    eventCap = Math.min(scenario.limits.maxEvents, Math.max(10 * ev, ev + 50_000));
  }
  return { file, displayFile, baseDir, raw, manifests, soIndex, scaledObject, apiVersion: String(scaledObject.apiVersion ?? ""), scenario, eventCap };
}

/** The scenario and ScaledObject documents with `assignments` applied (new objects; the base is untouched). */
export function applyAssignments(base: WhatIfBase, assignments: readonly Assignment[]): { raw: Record<string, unknown>; scaledObject: Record<string, unknown> } {
  const raw = assignments.some((a) => a.path.target === "scenario") ? clone(base.raw) : { ...base.raw };
  const so = assignments.some((a) => a.path.target === "scaledObject") ? clone(base.scaledObject) : base.scaledObject;
  for (const a of assignments) {
    if (a.path.target === "scenario") setAt(raw, a.path, clone(a.value), "the scenario's");
    else setAt(so, a.path, clone(a.value), "the ScaledObject's");
  }
  return { raw, scaledObject: so };
}

/**
 * Seed of seed index `i` (0-based): the scenario's own seed plus i. Index 0 is exactly the run
 * `npm run sim` makes; every configuration gets the same seeds, so configurations are compared on
 * the same random draws and KEDA/HPA phases (common random numbers), and a run's seed never
 * depends on which worker ran it.
 */
export function seedOf(scenarioSeed: number, index: number): number {
  return scenarioSeed + index;
}

/** A configuration ready to resolve per seed. */
export interface Variant {
  /** The scenario document with the ScaledObject inlined (assignments applied). */
  raw: Record<string, unknown>;
  scaledObject: Record<string, unknown>;
  baseSeed: number;
}

export function variantOf(base: WhatIfBase, assignments: readonly Assignment[]): Variant {
  const { raw, scaledObject } = applyAssignments(base, assignments);
  const manifests = base.manifests.slice();
  manifests[base.soIndex] = scaledObject;
  const seed = typeof raw.seed === "number" ? raw.seed : base.scenario.seed;
  return { raw: { ...raw, manifests }, scaledObject, baseSeed: seed };
}

/** Resolve a variant for seed index i (throws ScenarioError when the configuration is invalid). */
export function resolveVariant(base: WhatIfBase, v: Variant, seedIndex: number): Scenario {
  const sc = resolveScenario({ ...v.raw, seed: seedOf(v.baseSeed, seedIndex) }, base.baseDir, base.displayFile);
  return base.eventCap !== null && sc.duration === null && sc.limits.maxEvents > base.eventCap ? { ...sc, limits: { ...sc.limits, maxEvents: base.eventCap } } : sc;
}

/**
 * Check that `path` may be given `value` in this scenario: the configuration with only that
 * assignment must resolve. On failure, a WhatIfInputError that names the path, says what the
 * loader expected and lists what exists there (in the file, and what the schema allows).
 */
export function checkAssignment(base: WhatIfBase, a: Assignment): void {
  let v: Variant;
  try {
    v = variantOf(base, [a]);
  } catch (e) {
    if (e instanceof WhatIfInputError) throw new WhatIfInputError(`${e.message}${whatExists(base, a.path)}`);
    throw e;
  }
  try {
    resolveVariant(base, v, 0);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    // The ScaledObject is inlined as manifests[i]: report its paths as the user writes them (spec.x).
    const where = a.path.target === "scaledObject" ? e.path.replace(/^manifests\[\d+\]\.?/, "") : e.path;
    const mine = formatSegments(a.path.segments);
    // A complaint about another field (e.g. "maxReplicaCount must be >= minReplicaCount" when
    // minReplicaCount is varied) depends on the other values of the configuration: such configurations
    // are reported as invalid in the results, not refused up front.
    if (where && !(where === mine || mine.startsWith(where) || where.startsWith(mine))) return;
    const hint =
      a.path.target === "scaledObject" && a.path.segments[1] === "advanced" && base.apiVersion === "keda.k8s.io/v1alpha1"
        ? "; keda.k8s.io/v1alpha1 (KEDA v1) has no spec.advanced: HPA behavior needs a keda.sh/v1alpha1 ScaledObject (KEDA ≥ 2.0)"
        : "";
    throw new WhatIfInputError(`--vary ${a.path.text}=${JSON.stringify(a.value)}: ${e.expected}${where ? ` (at ${where})` : ""}${whatExists(base, a.path)}${hint}`);
  }
}

/** "; at spec.advanced the ScaledObject has: …; the schema allows: …" */
export function whatExists(base: WhatIfBase, path: ResolvedPath): string {
  const doc = path.target === "scenario" ? base.raw : base.scaledObject;
  const { at, fields } = existingAt(doc, path.segments);
  const where = formatSegments(at) || "the top";
  const docName = path.target === "scenario" ? `the scenario (${base.displayFile})` : `the ScaledObject (${base.apiVersion})`;
  let schemaFields: string[] | null = null;
  if (path.target === "scenario") schemaFields = schemaFieldsAt(scenarioSchema as never, at);
  else if (at.length >= 1 && at[0] === "spec") {
    const s = scaledObjectSchema(base.apiVersion);
    if (s) schemaFields = schemaFieldsAt(s, at.slice(1));
  } else if (at.length === 0) schemaFields = ["apiVersion", "kind", "metadata", "spec"];
  let out = `; at ${where} ${docName} has ${fields.length ? fields.join(", ") : "nothing"}`;
  if (schemaFields) {
    const more = schemaFields.filter((f) => !fields.includes(f));
    if (more.length) out += `; it may also have ${more.join(", ")}`;
  }
  return out;
}
