// Shared by the trigger tests (sim/triggers/*.test.ts): a queue snapshot with defaults, and the
// TriggerConfigError a parse is expected to throw.
import { TriggerConfigError, type QueueSnapshot } from "./types.js";

export const snap = (o: Partial<QueueSnapshot> = {}): QueueSnapshot => ({ ready: 0, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0, ...o });

/** The TriggerConfigError `f` throws; fails the test if it throws nothing or something else. */
export function configError(f: () => unknown): TriggerConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof TriggerConfigError) return e;
    throw e;
  }
  throw new Error("expected a TriggerConfigError");
}
