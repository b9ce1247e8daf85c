import { describe, expect, it } from "vitest";
import { podsToDelete, type DeletablePod } from "./replicaset.js";

const pod = (uid: number, phase: DeletablePod["phase"], createdAt: number, readyAt = -1): DeletablePod => ({ uid, phase, createdAt, readyAt });

describe("podsToDelete (the ReplicaSet's scale-in order)", () => {
  it("takes Pending before Starting before Ready, and never Terminating or Gone pods", () => {
    const pods = [pod(1, "Ready", 0, 10), pod(2, "Terminating", 0, 5), pod(3, "Starting", 20), pod(4, "Gone", 0), pod(5, "Pending", 30)];
    expect(podsToDelete(pods, 5).map((p) => p.uid)).toEqual([5, 3, 1]);
  });

  it("among Ready pods: the most recently Ready first, then the newest, then the higher uid; busy or not does not matter", () => {
    const pods = [pod(1, "Ready", 0, 10), pod(2, "Ready", 5, 30), pod(3, "Ready", 8, 30), pod(4, "Ready", 8, 30), pod(5, "Ready", 1, 20)];
    expect(podsToDelete(pods, 5).map((p) => p.uid)).toEqual([4, 3, 2, 5, 1]);
    expect(podsToDelete(pods, 2).map((p) => p.uid)).toEqual([4, 3]);
    expect(podsToDelete(pods, 0)).toEqual([]);
  });

  it("leaves its input alone", () => {
    const pods = [pod(1, "Ready", 0, 10), pod(2, "Pending", 5)];
    podsToDelete(pods, 2);
    expect(pods.map((p) => p.uid)).toEqual([1, 2]);
  });
});
