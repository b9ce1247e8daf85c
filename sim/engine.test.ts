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

describe("Environment with events scheduled while running (lanes and heap mixed)", () => {
  // A reference engine: a plain list, the next event found by a full scan on (time, priority,
  // insertion sequence). The real engine must run the same events in the same order, whichever of
  // its lanes or its heap each event went to.
  function reference(prios: number[], initial: Array<{ t: number; k: number; a: number }>, children: (a: number) => Array<{ dt: number; k: number; a: number }>, max: number): number[] {
    let seq = 0;
    const pending = initial.map((e) => ({ ...e, s: seq++ }));
    const out: number[] = [];
    while (pending.length > 0 && out.length < max) {
      let b = 0;
      for (let i = 1; i < pending.length; i++) {
        const x = pending[i];
        const y = pending[b];
        if (x.t < y.t || (x.t === y.t && (prios[x.k] < prios[y.k] || (prios[x.k] === prios[y.k] && x.s < y.s)))) b = i;
      }
      const [e] = pending.splice(b, 1);
      out.push(e.a);
      for (const c of children(e.a)) pending.push({ t: e.t + c.dt, k: c.k, a: c.a, s: seq++ });
    }
    return out;
  }

  it("runs exactly the reference order — property", () => {
    const delay = fc.oneof(fc.constant(0), fc.constant(5), fc.integer({ min: 0, max: 12 }).map((x) => x / 4));
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }), // priority of each kind
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 8 }).map((x) => x / 2), k: fc.nat() }), { minLength: 1, maxLength: 40 }),
        // children of the event with argument a: table[a % table.length]
        fc.array(fc.array(fc.record({ dt: delay, k: fc.nat() }), { maxLength: 3 }), { minLength: 1, maxLength: 30 }),
        (prios, init, table) => {
          const K = prios.length;
          const max = 400;
          // The argument of a child is derived from its parent's, so both engines see the same program.
          const children = (a: number) => table[a % table.length].map((c, i) => ({ dt: c.dt, k: c.k % K, a: (a * 7 + i + 1) % 1000003 }));
          const initial = init.map((e, i) => ({ t: e.t, k: e.k % K, a: i }));
          const env = new Environment(16);
          const out: number[] = [];
          const kinds = prios.map((p, i) =>
            env.kind(`k${i}`, p, () => {
              out.push(env.arg);
              if (out.length >= max) {
                env.stop();
                return;
              }
              for (const c of children(env.arg)) env.schedule(env.now + c.dt, kinds[c.k], c.a);
            }),
          );
          for (const e of initial) env.schedule(e.t, kinds[e.k], e.a);
          env.run();
          expect(out).toEqual(reference(prios, initial, children, max));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps the order when a kind schedules ahead of its own queued events (heap) and lanes grow", () => {
    const env = new Environment(16);
    const out: Array<[number, number]> = [];
    const a = env.kind("a", 1, () => out.push([env.now, env.arg]));
    const b = env.kind("b", 0, () => out.push([env.now, env.arg]));
    for (let i = 0; i < 100; i++) env.schedule(10 + i, a, i); // in order: lane (grows past 16)
    env.schedule(5, a, 1000); // ahead of its kind: heap
    env.schedule(10, b, 2000); // same time as a's first, lower priority number: first at t=10
    env.schedule(10.5, a, 3000); // between lane events: heap
    expect(env.pending).toBe(103);
    env.run();
    expect(out.slice(0, 5)).toEqual([
      [5, 1000],
      [10, 2000],
      [10, 0],
      [10.5, 3000],
      [11, 1],
    ]);
    expect(out.length).toBe(103);
    expect(env.pending).toBe(0);
  });
});
