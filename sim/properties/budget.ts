// Run budget of the property suite. `npm test` runs the default (small) budget; `npm run test:deep`
// (KEDASIM_DEEP=1) multiplies every property's number of runs by DEEP_FACTOR and lengthens the
// statistical oracles. KEDASIM_FC_SEED pins fast-check's seed (it is printed with every property).

export const DEEP = process.env.KEDASIM_DEEP === "1";
export const DEEP_FACTOR = 100;

/** Number of fast-check runs for a property whose default budget is `n`. */
export function runs(n: number): number {
  return DEEP ? n * DEEP_FACTOR : n;
}

/**
 * A test's timeout is a hang guard, not a speed target (those live in `npm run bench`): on a loaded
 * 2-core machine (CI runs the live brokers and the cluster plane beside the suite) a property that
 * needs 15 s when idle took over 60 s. Timeouts are this many times what a run needs.
 */
export const HANG_GUARD_FACTOR = 5;

/** Per-test timeout (ms) for a test whose default-budget run needs at most `ms` on an idle machine. */
export function timeout(ms: number): number {
  return (DEEP ? ms * DEEP_FACTOR : ms) * HANG_GUARD_FACTOR;
}

/** fast-check seed: KEDASIM_FC_SEED if set, else a fresh one (printed, so any failure can be re-run). */
export function fcSeed(): number {
  const s = process.env.KEDASIM_FC_SEED;
  if (s !== undefined && s !== "" && Number.isInteger(Number(s))) return Number(s);
  return (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
}
