// Shared by the tests (sim/triggers/*.test.ts and others): a queue snapshot with defaults, and the error a
// call is expected to throw (TriggerConfigError for trigger parsing, ScenarioError for scenarios, …).
import { TriggerConfigError, type QueueSnapshot } from "./types.js";

export const snap = (o: Partial<QueueSnapshot> = {}): QueueSnapshot => ({ ready: 0, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0, ...o });

/** The error of class `cls` that `f` throws; fails the test if it throws nothing or something else. */
export function thrown<E extends Error>(cls: abstract new (...args: never[]) => E, f: () => unknown): E {
  try {
    f();
  } catch (e) {
    if (e instanceof cls) return e;
    throw e;
  }
  throw new Error(`expected a ${cls.name}`);
}

/** The TriggerConfigError `f` throws. */
export const configError = (f: () => unknown): TriggerConfigError => thrown(TriggerConfigError, f);
