// V8 tuning for the simulator's entry points (npm run sim, npm run bench): imported first, before
// any simulation code has run, so the optimiser sees the setting when it compiles the hot path.
//
// Why (issue 6 profile): TurboFan stops inlining into a function once the callees it has inlined
// add up to --max-inlined-bytecode-size-cumulative bytecodes (default 920). The event loop inlines
// the engine's step() and the per-message handlers inline the broker/pod bookkeeping; with the
// default budget the last callees of onComplete/dispatch stay real calls, and a double crossing
// such a call is boxed (see engine.ts). 3000 lets the whole per-message path inline: the M/D/10
// benchmark runs ~13 % faster (1.28 -> 1.10 s median of 5, tsx, this machine); larger values
// gave nothing more. The flag changes only what gets inlined, never what the code computes.
//
// v8.setFlagsFromString after start-up is documented as "may behave unpredictably" for flags in
// general; this one is a plain number the compiler reads when it starts a compile job, and it is
// set before any job for simulation code exists.
import { setFlagsFromString } from "node:v8";

export const INLINE_BUDGET_FLAG = "--max-inlined-bytecode-size-cumulative=3000";
setFlagsFromString(INLINE_BUDGET_FLAG);
