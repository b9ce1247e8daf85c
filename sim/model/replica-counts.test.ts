import { describe, expect, it } from "vitest";
import { ReplicaCounts } from "./replica-counts.js";

describe("ReplicaCounts (status.replicas, readyReplicas and replica-seconds from pod phase changes)", () => {
  it("one pod's life: counted from its creation, ready while Ready, terminating until Gone", () => {
    const c = new ReplicaCounts();
    const at = (nonTerminating: number, ready: number, terminating: number) => expect([c.nonTerminating, c.readyCount, c.terminatingCount]).toEqual([nonTerminating, ready, terminating]);
    c.account(3); // nothing ran yet
    c.move(null, "Pending", 10);
    at(1, 0, 0);
    c.move("Pending", "Starting", 12);
    c.move("Starting", "Ready", 20);
    at(1, 1, 0);
    expect(c.firstReadyAt).toBe(20);
    c.move("Ready", "Starting", 25); // a crash: not ready while it restarts
    at(1, 0, 0);
    c.move("Starting", "Ready", 27);
    expect(c.firstReadyAt).toBe(20);
    c.move("Ready", "Terminating", 40);
    at(0, 0, 1);
    c.move("Terminating", "Gone", 45);
    at(0, 0, 0);
    c.account(100);
    expect(c.replicaSeconds).toBe(35); // 10 → 45, Terminating included
    expect(c.readyReplicaSeconds).toBe(18); // 20 → 25 and 27 → 40
  });

  it("a pod created at t is not charged for the time before t, whenever the last accounting was", () => {
    const c = new ReplicaCounts();
    c.move(null, "Pending", 0);
    c.move("Pending", "Gone", 2);
    c.move(null, "Pending", 50); // 48 s after the last accounting
    c.move("Pending", "Ready", 50);
    c.account(60);
    expect(c.replicaSeconds).toBe(2 + 10);
    expect(c.readyReplicaSeconds).toBe(10);
  });
});
