import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Environment } from "./engine.js";

describe("Environment", () => {
  it("runs events in time order, then priority, then insertion order", () => {
    const env = new Environment(16);
    const log: string[] = [];
    const low = env.kind("low", 1, () => log.push(`low${env.arg}@${env.now}`));
    const high = env.kind("high", 0, () => log.push(`high${env.arg}@${env.now}`));
    env.schedule(2, low, 1);
    env.schedule(1, low, 2);
    env.schedule(2, high, 3);
    env.schedule(2, low, 4);
    env.schedule(2, high, 5);
    env.schedule(0.5, high, 6);
    env.run();
    expect(log).toEqual(["high6@0.5", "low2@1", "high3@2", "high5@2", "low1@2", "low4@2"]);
    expect(env.now).toBe(2);
    expect(env.processed).toBe(6);
  });

  it("lets handlers schedule further events, including at the current instant", () => {
    const env = new Environment(16);
    const seen: number[] = [];
    const k = env.kind("tick", 0, () => {
      const a = env.arg;
      seen.push(a);
      if (a < 5) env.after(a % 2 === 0 ? 0 : 1, k, a + 1);
    });
    env.schedule(0, k, 0);
    env.run();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(env.now).toBe(2); // delays 0,1,0,1,0
  });

  it("refuses to schedule in the past", () => {
    const env = new Environment(16);
    const k = env.kind("x", 0, () => {});
    env.schedule(5, k, 0);
    env.run();
    expect(() => env.schedule(4, k, 0)).toThrow(/cannot schedule x at 4 < now 5/);
  });

  it("run(until) executes events at exactly `until` and advances the clock to it", () => {
    const env = new Environment(16);
    const seen: number[] = [];
    const k = env.kind("x", 0, () => seen.push(env.now));
    for (const t of [1, 2, 3, 4]) env.schedule(t, k, 0);
    env.run(3);
    expect(seen).toEqual([1, 2, 3]);
    expect(env.pending).toBe(1);
    env.run(3.5);
    expect(env.now).toBe(3.5);
    env.run();
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it("stop() returns from run() after the current event", () => {
    const env = new Environment(16);
    const k = env.kind("x", 0, () => {
      if (env.arg === 2) env.stop();
    });
    for (let i = 0; i < 5; i++) env.schedule(i, k, i);
    expect(env.run()).toBe(3);
    expect(env.pending).toBe(2);
  });

  it("orders any batch of events like a stable sort on (time, priority) — property", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 20 }).map((x) => x / 4), p: fc.integer({ min: 0, max: 3 }) }), {
          maxLength: 300,
        }),
        (events) => {
          const env = new Environment(16); // small start: exercises grow()
          const out: number[] = [];
          const kinds = [0, 1, 2, 3].map((p) => env.kind(`p${p}`, p, () => out.push(env.arg)));
          events.forEach((e, i) => env.schedule(e.t, kinds[e.p], i));
          env.run();
          const expected = events
            .map((e, i) => ({ ...e, i }))
            .sort((a, b) => a.t - b.t || a.p - b.p || a.i - b.i)
            .map((e) => e.i);
          expect(out).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
