// Which pods a fault injection hits (scenario `kills` and the topology's `crashes`): kedasim's own
// rule, the same in the single-queue model, the topology model and real mode, so that a real run
// hits the pods its simulation hit. Ready pods first (a kill is meant to hit a working consumer),
// then optionally busy pods first (a crash that should lose work), then the oldest, then the lower
// uid (a fixed tie-break). Terminating and Gone pods are never picked.
import type { PodPhase } from "../trace.js";

export interface VictimPod {
  phase: PodPhase;
  createdAt: number;
  uid: number;
}

/** The first `n` pods a fault hits, in order; `busy` (when given) ranks busy pods before idle ones among equally ready pods. */
export function faultVictims<P extends VictimPod>(pods: Iterable<P>, n: number, busy?: (p: P) => boolean): P[] {
  const live: P[] = [];
  for (const p of pods) if (p.phase !== "Terminating" && p.phase !== "Gone") live.push(p);
  const ready = (p: P) => (p.phase === "Ready" ? 0 : 1);
  const idle = busy === undefined ? () => 0 : (p: P) => (busy(p) ? 0 : 1);
  live.sort((a, b) => ready(a) - ready(b) || idle(a) - idle(b) || a.createdAt - b.createdAt || a.uid - b.uid);
  return live.slice(0, Math.max(0, n));
}
