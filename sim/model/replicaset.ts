// The ReplicaSet controller's choice of pods to delete on scale-in, shared by the single-queue and
// the topology models. Source (read, not copied): kubernetes pkg/controller/replicaset/replica_set.go
// getPodsToDelete → pkg/controller/controller_utils.go ActivePodsWithRanks.Less.
// Modelled keys, in order: Pending < Starting (scheduled, containers not ready) < Ready; then the
// most recently Ready first; then the newest first; then the higher uid (a fixed tie-break).
// Whether a pod is busy plays no role — the root of "KEDA kills busy pods" (user-pain A).
// Not modelled: unassigned pods (every pod is scheduled here), pod-deletion-cost, pods doubled up
// on a node, restart counts.
import type { PodPhase } from "../trace.js";

export interface DeletablePod {
  phase: PodPhase;
  readyAt: number; // -1 while never Ready
  createdAt: number;
  uid: number;
}

function rank(p: DeletablePod): number {
  return p.phase === "Pending" ? 0 : p.phase === "Starting" ? 1 : 2;
}

function deleteFirst(a: DeletablePod, b: DeletablePod): number {
  return rank(a) - rank(b) || b.readyAt - a.readyAt || b.createdAt - a.createdAt || b.uid - a.uid;
}

/** The first `n` pods the ReplicaSet deletes, in order (Terminating and Gone pods are not candidates). */
export function podsToDelete<P extends DeletablePod>(pods: Iterable<P>, n: number): P[] {
  const candidates: P[] = [];
  for (const p of pods) if (p.phase !== "Terminating" && p.phase !== "Gone") candidates.push(p);
  candidates.sort(deleteFirst);
  return candidates.slice(0, Math.max(0, n));
}
