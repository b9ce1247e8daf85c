import { describe, expect, it } from "vitest";
import { faultVictims, type VictimPod } from "./fault-victims.js";

type P = VictimPod & { busy: boolean };
const pod = (uid: number, phase: VictimPod["phase"], createdAt: number, busy = false): P => ({ uid, phase, createdAt, busy });

describe("faultVictims (which pods a kill or crash injection hits)", () => {
  it("Ready pods first, then the oldest, then the lower uid; never Terminating or Gone pods", () => {
    const pods = [pod(1, "Starting", 0), pod(2, "Ready", 9), pod(3, "Terminating", 0), pod(7, "Ready", 3), pod(5, "Gone", 0), pod(6, "Pending", 1), pod(4, "Ready", 3)];
    expect(faultVictims(pods, 10).map((p) => p.uid)).toEqual([4, 7, 2, 1, 6]);
    expect(faultVictims(pods, 2).map((p) => p.uid)).toEqual([4, 7]);
    expect(faultVictims(pods, 0)).toEqual([]);
  });

  it("with a busy test: busy pods before idle ones among the Ready, still Ready before not Ready", () => {
    const pods = [pod(1, "Ready", 0), pod(2, "Ready", 5, true), pod(3, "Starting", 0, true), pod(4, "Ready", 7, true)];
    expect(faultVictims(pods, 4, (p) => p.busy).map((p) => p.uid)).toEqual([2, 4, 1, 3]);
    expect(faultVictims(pods, 4).map((p) => p.uid)).toEqual([1, 2, 4, 3]);
  });

  it("leaves its input alone", () => {
    const pods = [pod(2, "Ready", 5), pod(1, "Ready", 0)];
    faultVictims(pods, 2);
    expect(pods.map((p) => p.uid)).toEqual([2, 1]);
  });
});
