import { describe, expect, it } from "vitest";
import { bucketUpperEdge, latencyBucket, type KedaPollRecord } from "../sim/trace.js";
import {
  maxOf,
  compressSteps,
  cooldownDeadlines,
  countFlaps,
  decimate,
  finalEmptyAt,
  integrate,
  onGrid,
  slidingLatency,
  slidingRate,
  timeToReady,
} from "./derive.js";
import { sample } from "./test-helpers/build.js";

describe("slidingRate", () => {
  it("is the trailing-window difference of the cumulative counter divided by the window", () => {
    // 10 messages at t=0, then 2 per second from t=1 to t=5
    const s = [0, 1, 2, 3, 4, 5, 6, 7].map((t) => sample(t, { produced: t === 0 ? 10 : Math.min(10 + 2 * t, 20) }));
    const r = slidingRate(s, "produced", 4);
    // t=0: (10 - 0)/4 ; t=3: (16 - 0)/4 (t-4 = -1 is before the first sample => 0) ; t=4: (18 - 10)/4 ; t=7: (20 - 16)/4
    expect(r[0]).toEqual({ x: 0, y: 2.5 });
    expect(r[3]).toEqual({ x: 3, y: 4 });
    expect(r[4]).toEqual({ x: 4, y: 2 });
    expect(r[7]).toEqual({ x: 7, y: 1 });
  });
});

describe("slidingLatency", () => {
  it("merges the histograms of the samples in (t - W, t] and leaves gaps when nothing completed", () => {
    const b1 = latencyBucket(1);
    const b5 = latencyBucket(5);
    const s = [
      sample(0),
      sample(1, { lat: [[b1, 9]] }),
      sample(2, { lat: [[b5, 1]] }),
      sample(3),
      sample(4),
      sample(5),
    ];
    const lat = slidingLatency(s, 2, [50, 95]);
    const p50 = lat.get(50)!.map((p) => p.y);
    const p95 = lat.get(95)!.map((p) => p.y);
    expect(p50[0]).toBeNull();
    expect(p50[1]).toBeCloseTo(bucketUpperEdge(b1), 12);
    // t=2: window (0, 2] has 9 × 1 s and 1 × 5 s: p50 = 1 s, p95 = 5 s
    expect(p50[2]).toBeCloseTo(bucketUpperEdge(b1), 12);
    expect(p95[2]).toBeCloseTo(bucketUpperEdge(b5), 12);
    // t=3: window (1, 3] only has the 5 s message
    expect(p50[3]).toBeCloseTo(bucketUpperEdge(b5), 12);
    // t=4: window (2, 4] is empty
    expect(p50[4]).toBeNull();
    expect(p95[5]).toBeNull();
  });
});

describe("step helpers", () => {
  it("compressSteps keeps every change and the surrounding points", () => {
    const pts = [0, 0, 0, 1, 1, 1, 4, 4].map((y, x) => ({ x, y }));
    expect(compressSteps(pts).map((p) => p.x)).toEqual([0, 2, 3, 5, 6, 7]);
  });

  it("decimate keeps the extremes", () => {
    const pts = Array.from({ length: 10000 }, (_, x) => ({ x, y: x === 4321 ? 999 : x % 7 }));
    const d = decimate(pts, 1000);
    expect(d.length).toBeLessThanOrEqual(1000);
    expect(d.some((p) => p.y === 999)).toBe(true);
  });

  it("onGrid holds the last value and backfills the first", () => {
    const s = [sample(0.5, { desired: 2 }), sample(2.2, { desired: 5 })];
    expect(onGrid(s, (x) => x.desired, 0, 4)).toEqual([2, 2, 2, 5, 5]);
  });

  it("integrate holds each sample until the next one", () => {
    const s = [sample(0, { current: 1 }), sample(2, { current: 3 }), sample(3, { current: 0 })];
    expect(integrate(s, (x) => x.current)).toBe(1 * 2 + 3 * 1);
    expect(integrate(s, (x) => x.current, 1)).toBe(1 * 1 + 3 * 1);
  });
});

describe("scaling facts", () => {
  it("countFlaps counts direction changes", () => {
    const ev = (from: number, to: number) => ({ from, to });
    expect(countFlaps([ev(0, 1), ev(1, 4), ev(4, 8), ev(8, 2), ev(2, 0)])).toBe(1);
    expect(countFlaps([ev(0, 1), ev(1, 0), ev(0, 1), ev(1, 0)])).toBe(3);
    expect(countFlaps([])).toBe(0);
  });

  it("finalEmptyAt finds the start of the last empty stretch", () => {
    const s = [
      sample(0, { produced: 5, queued: 5 }),
      sample(1, { produced: 5, queued: 0 }),
      sample(2, { produced: 6, queued: 1 }),
      sample(3, { produced: 6, inFlight: 1 }),
      sample(4, { produced: 6 }),
      sample(5, { produced: 6 }),
    ];
    expect(finalEmptyAt(s)).toBe(4);
    expect(finalEmptyAt(s.slice(0, 4))).toBeNull();
    expect(finalEmptyAt([sample(0), sample(1)])).toBeNull();
  });

  it("timeToReady measures decision → ready for scale-ups", () => {
    const s = [sample(0, { ready: 0 }), sample(10, { ready: 2 }), sample(20, { ready: 4 })];
    expect(timeToReady(s, { t: 5, from: 0, to: 4, actor: "hpa", reason: "" })).toBe(15);
    expect(timeToReady(s, { t: 5, from: 0, to: 8, actor: "hpa", reason: "" })).toBeNull();
    expect(timeToReady(s, { t: 5, from: 4, to: 1, actor: "hpa", reason: "" })).toBeNull();
  });

  it("cooldownDeadlines ignores inactivity interrupted by activity", () => {
    const poll = (t: number, active: boolean, lastActiveTime: number | null): KedaPollRecord => ({
      type: "keda-poll",
      t,
      metric: active ? 3 : 0,
      active,
      error: false,
      lastActiveTime,
      condition: "",
    });
    const polls = [poll(0, false, null), poll(30, true, 30), poll(60, false, 30), poll(90, true, 90), poll(120, false, 90), poll(150, false, 90)];
    expect(cooldownDeadlines(polls, 100)).toEqual([190]);
    expect(cooldownDeadlines([poll(0, true, 0), poll(30, false, 0), poll(60, false, 0)], 45)).toEqual([45]);
  });
});

describe("maxOf", () => {
  it("takes the maximum of a week of 1 s samples, where Math.max(...values) overflows the call stack", () => {
    const n = 604_800; // a comparison simulation of the AMQP busy-pod loop ran 7 days (issue 15)
    const xs = Array.from({ length: n }, (_, i) => ({ v: (i * 7919) % 1000 }));
    expect(() => Math.max(...xs.map((x) => x.v))).toThrow(RangeError);
    expect(maxOf(xs, (x) => x.v)).toBe(999);
    expect(maxOf([], (x: number) => x, 3)).toBe(3);
    expect(maxOf([1, 5, 2], (x) => x, 4)).toBe(5);
  });
});
