// Safety limits: the error a run that would exceed one stops with (naming the limit), and the run
// loop of both models, which enforces limits.maxEvents.
import type { Environment } from "../engine.js";
import { round6 } from "../trace.js";

export class SimulationLimitError extends Error {
  constructor(
    public limit: string,
    message: string,
  ) {
    super(message);
    this.name = "SimulationLimitError";
  }
}

/** What the run loop reads of a scenario (single-queue or topology). */
export interface RunBounds {
  /** Fixed duration, or null: until settled, capped by maxDuration. */
  duration: number | null;
  maxDuration: number;
  sampleInterval: number;
  limits: { maxEvents: number };
}

/**
 * Run the engine to the scenario's end in chunks of 1 % (at least one sample interval), so that
 * progress can be reported (runs of a fixed duration), until `settled()` (runs without one), and
 * stop at exactly limits.maxEvents + 1 events: a run whose events do not advance time (a 10¹²
 * msg/s spike) must not loop inside a chunk.
 */
export function runInChunks(e: Environment, s: RunBounds, onProgress: ((fraction: number) => void) | undefined, settled: () => boolean): void {
  const end = s.duration ?? s.maxDuration;
  const maxEvents = s.limits.maxEvents;
  const chunk = Math.max(s.sampleInterval, end / 100);
  let horizon = 0;
  while (e.pending > 0 && e.now < end) {
    horizon = Math.min(end, horizon + chunk);
    e.run(horizon, maxEvents + 1 - e.processed);
    if (e.processed > maxEvents) {
      throw new SimulationLimitError("limits.maxEvents", `stopped at t=${round6(e.now)} s: more than limits.maxEvents (${maxEvents}) events`);
    }
    if (s.duration !== null) onProgress?.(Math.min(1, e.now / end));
    else if (settled()) break;
  }
}
