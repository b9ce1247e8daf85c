// Worker side of sandbox.ts: load one scenario text and run it under the runaway guard; post back
// a plain outcome. Runs in a worker thread so that the main thread can time out a case that never
// returns (an infinite loop inside one event handler cannot be interrupted any other way).
import { parentPort } from "node:worker_threads";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadScenario, ScenarioError, type Scenario } from "../scenario/load.js";
import { Simulation, SimulationLimitError } from "../model/simulation.js";
import { guardedRun, RunawayRun } from "./checks.js";
import type { SandboxOutcome, SandboxRequest } from "./sandbox.js";

const dir = mkdtempSync(join(tmpdir(), "kedasim-sandbox-"));
const isLimit = (e: unknown): e is SimulationLimitError => e instanceof SimulationLimitError;

function outcome(req: SandboxRequest): SandboxOutcome {
  const file = join(dir, "case.yaml");
  writeFileSync(file, req.text);
  let sc: Scenario;
  try {
    sc = loadScenario(file);
  } catch (e) {
    if (e instanceof ScenarioError) return { kind: "error", file: e.file, path: e.path, expected: e.expected, message: e.message };
    return { kind: "exception", where: "loader", name: (e as Error)?.name ?? typeof e, message: (e as Error)?.message ?? String(e) };
  }
  const run: Scenario = req.small
    ? {
        ...sc,
        duration: sc.duration === null ? null : Math.min(sc.duration, 7200),
        maxDuration: Math.min(sc.maxDuration, 7200),
        limits: { ...sc.limits, maxEvents: Math.min(sc.limits.maxEvents, 200_000), maxMessages: Math.min(sc.limits.maxMessages, 100_000) },
      }
    : sc;
  try {
    const r = guardedRun(new Simulation(run), req.guard, isLimit);
    return { kind: "run", limit: r.limit, events: r.events, records: r.records };
  } catch (e) {
    if (e instanceof RunawayRun) return { kind: "runaway", message: e.message };
    return { kind: "exception", where: "run", name: (e as Error)?.name ?? typeof e, message: (e as Error)?.message ?? String(e) };
  }
}

parentPort!.on("message", (req: SandboxRequest) => {
  parentPort!.postMessage({ id: req.id, outcome: outcome(req) });
});
parentPort!.postMessage({ ready: true });
