// Running a property and, when it fails, turning fast-check's shrunk counterexample into a scenario
// file that the CLI replays exactly:
//
//   property conservation: FAILED after 37 runs (fast-check seed 123, path "36:2:0")
//   counterexample written to reports/out/counterexamples/conservation-1a2b3c4d.yaml
//   replay: npm run sim -- reports/out/counterexamples/conservation-1a2b3c4d.yaml --seed 8
//
// The file holds the raw scenario exactly as generated (inline manifests, so it loads from
// anywhere); its seed is also passed on the command line, so phases drawn from the seed and every
// random stream are the ones of the failing run.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { fcSeed, runs, timeout } from "./budget.js";
import type { RawScenario } from "./arbitraries.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const COUNTEREXAMPLE_DIR = join(ROOT, "reports/out/counterexamples");

export interface Counterexample {
  file: string;
  /** The command that replays it, relative to the repository root. */
  command: string;
}

export interface WriteOptions {
  dir?: string;
  /** Extra lines for the file's header comment (e.g. the time scale that broke it). */
  note?: string;
  /** The property ran with per-message records: the replay needs --per-message for identical bytes. */
  perMessage?: boolean;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "property";

/** Write a raw scenario as a YAML file and return it with the command that replays it. */
export function writeCounterexample(property: string, raw: RawScenario, opts: WriteOptions = {}): Counterexample {
  const dir = opts.dir ?? COUNTEREXAMPLE_DIR;
  mkdirSync(dir, { recursive: true });
  const seed = typeof raw.seed === "number" ? raw.seed : 1;
  const body = stringify({ ...raw, seed }, { lineWidth: 0 });
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 8);
  const file = join(dir, `${slug(property)}-${hash}.yaml`);
  const shown = relative(process.cwd(), file) || file;
  const command = `npm run sim -- ${shown} --seed ${seed}${opts.perMessage ? " --per-message" : ""}`;
  const header = [
    `# Counterexample of the property "${property}" (shrunk by fast-check).`,
    `# Replay exactly: ${command}`,
    ...(opts.note ? opts.note.split("\n").map((l) => `# ${l}`) : []),
  ].join("\n");
  writeFileSync(file, `${header}\n${body}`);
  return { file, command };
}

export interface PropertyOptions<T> {
  /** Runs in the default budget (×100 with KEDASIM_DEEP=1). */
  numRuns: number;
  /** The scenario to write out when `value` is a counterexample (default: value itself, if it has producers). */
  scenarioOf?: (value: T) => RawScenario | null;
  /** A note for the counterexample file (what else besides the scenario made it fail). */
  noteOf?: (value: T) => string;
  perMessage?: boolean;
  dir?: string;
  /** Extra counters to print next to the run count (e.g. how many runs were not vacuous). */
  counters?: Record<string, number>;
  /** Values always tried first (regression cases). */
  examples?: T[];
  seed?: number;
  /** Shrink the counterexample (default true; shrinking re-runs the simulator many times). */
  shrink?: boolean;
  /**
   * Wall-clock cap on the search for a counterexample (default 20 s; ×100 with KEDASIM_DEEP=1),
   * far above a passing run's time. Shrinking a counterexample is capped at 60 s in every mode
   * (the counterexample is then the smallest found so far).
   */
  timeLimitMs?: number;
}

function looksLikeScenario(v: unknown): v is RawScenario {
  return typeof v === "object" && v !== null && Array.isArray((v as { producers?: unknown }).producers);
}

/**
 * Check a property with fast-check; print `property <name>: N runs`; on failure write the shrunk
 * counterexample as a scenario file and throw an error that says how to replay it.
 */
export function checkProperty<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => boolean | void, opts: PropertyOptions<T>): fc.RunDetails<[T]> {
  const seed = opts.seed ?? fcSeed();
  const property = fc.property(arb, predicate);
  const params = baseParams(opts, seed);
  // Phase 1: search (no shrinking), capped at timeLimitMs (×100 in deep mode).
  let details = fc.check(property, { ...params, endOnFailure: true, interruptAfterTimeLimit: timeout(opts.timeLimitMs ?? 20_000) });
  if (details.failed && opts.shrink !== false && details.counterexamplePath) {
    // Phase 2: replay the failure from its path and shrink it, capped at 60 s in every mode.
    const shrunk = fc.check(property, { ...params, path: details.counterexamplePath, interruptAfterTimeLimit: 60_000 });
    if (shrunk.failed) details = { ...shrunk, numRuns: details.numRuns };
  }
  return report(name, details, opts, seed);
}

/** checkProperty for an async predicate (the sandboxed bad-input cases). */
export async function checkPropertyAsync<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => Promise<boolean | void>, opts: PropertyOptions<T>): Promise<fc.RunDetails<[T]>> {
  const seed = opts.seed ?? fcSeed();
  const property = fc.asyncProperty(arb, predicate);
  const params = baseParams(opts, seed);
  let details = await fc.check(property, { ...params, endOnFailure: true, interruptAfterTimeLimit: timeout(opts.timeLimitMs ?? 20_000) });
  if (details.failed && opts.shrink !== false && details.counterexamplePath) {
    const shrunk = await fc.check(property, { ...params, path: details.counterexamplePath, interruptAfterTimeLimit: 60_000 });
    if (shrunk.failed) details = { ...shrunk, numRuns: details.numRuns };
  }
  return report(name, details, opts, seed);
}

function baseParams<T>(opts: PropertyOptions<T>, seed: number) {
  return { numRuns: runs(opts.numRuns), seed, examples: opts.examples?.map((e) => [e] as [T]) };
}

function report<T>(name: string, details: fc.RunDetails<[T]>, opts: PropertyOptions<T>, seed: number): fc.RunDetails<[T]> {
  const numRuns = runs(opts.numRuns);
  const extra = opts.counters ? Object.entries(opts.counters).map(([k, v]) => `, ${k} ${v}`).join("") : "";
  if (!details.failed) {
    const cut = details.interrupted ? ` (interrupted by the time limit before ${numRuns})` : "";
    console.log(`property ${name}: ${details.numRuns} runs${cut}${details.numSkips ? ` (${details.numSkips} skipped)` : ""}${extra} [fast-check seed ${seed}]`);
    return details;
  }
  console.log(`property ${name}: FAILED after ${details.numRuns} runs (${details.numShrinks} shrinks${details.interrupted ? ", shrinking cut short by the time limit" : ""})${extra} [fast-check seed ${seed}, path "${details.counterexamplePath}"]`);
  const value = details.counterexample?.[0] as T;
  const raw = opts.scenarioOf ? opts.scenarioOf(value) : looksLikeScenario(value) ? value : null;
  let replay = "";
  if (raw) {
    const ce = writeCounterexample(name, raw, { dir: opts.dir, note: opts.noteOf?.(value), perMessage: opts.perMessage });
    replay = `\ncounterexample written to ${relative(process.cwd(), ce.file) || ce.file}\nreplay: ${ce.command}${opts.noteOf ? `\n${opts.noteOf(value)}` : ""}`;
    console.log(replay.trim());
  }
  const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance ?? "predicate returned false");
  console.log(`why: ${why}`);
  const err = new Error(`property ${name} failed: ${why}${replay}\n\n${fc.defaultReportMessage(details) ?? ""}`);
  err.name = "PropertyFailure";
  throw err;
}
