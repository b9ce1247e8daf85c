// A Deployment's replica counts as the ReplicaSet controller and the HPA see them, kept from its
// pods' phase transitions, and the replica-seconds the summary reports. One state machine for both
// models: every count change is a pod moving from one phase to another, through move().
import type { PodPhase } from "../trace.js";

export class ReplicaCounts {
  /** status.replicas: pods Pending, Starting or Ready (not Terminating). */
  nonTerminating = 0;
  /** status.readyReplicas. */
  readyCount = 0;
  /** Pods in their termination grace period. */
  terminatingCount = 0;
  /** ∫ (nonTerminating + terminatingCount) dt, and ∫ readyCount dt, up to lastAccountingAt. */
  replicaSeconds = 0;
  readyReplicaSeconds = 0;
  lastAccountingAt = 0;
  firstReadyAt: number | null = null;

  /** Close the replica-seconds interval at t, at the counts that held until now. */
  account(t: number): void {
    const dt = t - this.lastAccountingAt;
    if (dt > 0) {
      this.replicaSeconds += dt * (this.nonTerminating + this.terminatingCount);
      this.readyReplicaSeconds += dt * this.readyCount;
      this.lastAccountingAt = t;
    }
  }

  /** A pod moves from `was` (null: it is being created) to `now` at t. */
  move(was: PodPhase | null, now: PodPhase, t: number): void {
    this.account(t);
    if (was !== null) this.count(was, -1);
    this.count(now, 1);
    if (now === "Ready" && was !== "Ready" && this.firstReadyAt === null) this.firstReadyAt = t;
  }

  private count(phase: PodPhase, d: number): void {
    if (phase === "Terminating") this.terminatingCount += d;
    else if (phase !== "Gone") {
      this.nonTerminating += d;
      if (phase === "Ready") this.readyCount += d;
    }
  }
}
