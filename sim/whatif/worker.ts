// Worker side of pool.ts: loads the scenario once, then runs batches of (configuration, seed index)
// and posts back one Float64Array of figures per batch. A run's seed comes from the scenario's seed
// and the seed index only (base.ts seedOf), never from which worker runs it.
import "../jit.js"; // first: V8 inlining budget for the hot path (see sim/jit.ts)
import { parentPort, workerData } from "node:worker_threads";
import { ScenarioError } from "../scenario/load.js";
import { SimulationLimitError } from "../model/simulation.js";
import { loadBase, resolveVariant, variantOf, type Assignment, type WhatIfBase } from "./base.js";
import { METRICS, runAndMeasure } from "./metrics.js";
import { WhatIfInputError } from "./paths.js";

export interface BatchItem {
  /** The caller's key for this configuration. */
  key: number;
  assignments: Assignment[];
  seedIndexes: number[];
}

export interface BatchRequest {
  id: number;
  items: BatchItem[];
}

export interface BatchReply {
  id: number;
  /** items × their seeds × METRICS.length figures, in request order (NaN rows for failed items). */
  figures: Float64Array;
  /** Items that could not run: the configuration is invalid or the run hit a limit. */
  errors: Array<{ key: number; message: string }>;
}

/** Runs one batch in this thread (also used directly when no worker is wanted, e.g. in tests). */
export function runBatch(base: WhatIfBase, req: BatchRequest): BatchReply {
  const total = req.items.reduce((n, it) => n + it.seedIndexes.length, 0);
  const figures = new Float64Array(total * METRICS.length);
  const errors: BatchReply["errors"] = [];
  let row = 0;
  for (const it of req.items) {
    const start = row;
    try {
      const v = variantOf(base, it.assignments);
      for (const si of it.seedIndexes) {
        figures.set(runAndMeasure(resolveVariant(base, v, si)), row * METRICS.length);
        row++;
      }
    } catch (e) {
      if (!(e instanceof ScenarioError || e instanceof SimulationLimitError || e instanceof WhatIfInputError)) throw e;
      const msg =
        e instanceof SimulationLimitError
          ? base.eventCap !== null && e.limit === "limits.maxEvents"
            ? `did not finish within ${base.eventCap.toLocaleString("en-US")} events (10× the scenario's own run; ${e.message})`
            : `${e.message} (${e.limit})`
          : e instanceof ScenarioError ? `${e.path ? e.path.replace(/^manifests\[\d+\]\.?/, "") + ": " : ""}${e.expected}` : e.message;
      errors.push({ key: it.key, message: msg });
      // Every row of a failed item is NaN (a config that fails on one seed is not scored at all).
      row = start + it.seedIndexes.length;
      figures.fill(Number.NaN, start * METRICS.length, row * METRICS.length);
    }
  }
  return { id: req.id, figures, errors };
}

if (parentPort && workerData && (workerData as { kedasimWhatIf?: boolean }).kedasimWhatIf) {
  const port = parentPort;
  const { file } = workerData as { file: string };
  let base: WhatIfBase;
  try {
    base = loadBase(file);
  } catch (e) {
    port.postMessage({ fatal: (e as Error).message });
    throw e;
  }
  port.on("message", (req: BatchRequest) => {
    const reply = runBatch(base, req);
    port.postMessage(reply, [reply.figures.buffer as ArrayBuffer]);
  });
  port.postMessage({ ready: true });
}
