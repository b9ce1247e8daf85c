// The counterexample files replay exactly: loadScenario(file) (and the CLI, `npm run sim -- file
// --seed N`) give the same trace bytes as the run fast-check saw.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { resolveRaw, scenarioArb, type RawScenario } from "./arbitraries.js";
import { checkProperty, ROOT, writeCounterexample } from "./replay.js";
import { loadScenario } from "../scenario/load.js";
import { simulate, traceText } from "../run.js";

const TMP = mkdtempSync(join(tmpdir(), "kedasim-replay-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe("counterexample files", () => {
  it("a written counterexample loads with loadScenario (with --seed) and reproduces the same trace bytes", () => {
    const raws = fc.sample(scenarioArb(), { numRuns: 12, seed: 4242 });
    for (const raw of raws) {
      const ce = writeCounterexample("replay test", raw, { dir: TMP, perMessage: true });
      expect(ce.command).toMatch(/^npm run sim -- .+\.yaml --seed \d+ --per-message$/);
      const loaded = loadScenario(ce.file, { seed: raw.seed as number });
      for (const perMessage of [false, true]) {
        expect(traceText(simulate(loaded, { perMessage }))).toBe(traceText(simulate(resolveRaw(raw), { perMessage })));
      }
    }
  });

  it("the printed command (the CLI with --seed) writes exactly the same trace.jsonl", () => {
    const raw = fc.sample(scenarioArb({ faults: true }), { numRuns: 1, seed: 7 })[0];
    const ce = writeCounterexample("cli replay", raw, { dir: TMP, perMessage: true });
    const out = join(TMP, "cli-out");
    const args = ce.command.replace(/^npm run sim -- /, "").split(" ");
    const r = spawnSync(process.execPath, ["--import", "tsx", "sim/cli.ts", ...args, "--out", out, "--no-charts"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(out, "trace.jsonl"), "utf8")).toBe(traceText(simulate(resolveRaw(raw), { perMessage: true })));
  }, 30_000);

  it("a failing property writes its shrunk counterexample and says how to replay it", () => {
    const dir = join(TMP, "failing");
    const tooMany = (raw: RawScenario) => simulate(resolveRaw(raw)).summary.messages.produced <= 3;
    let message = "";
    try {
      checkProperty("at most three messages", scenarioArb(), tooMany, { numRuns: 50, dir, seed: 1 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/replay: npm run sim -- .+at-most-three-messages-[0-9a-f]{8}\.yaml --seed \d+/);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const text = readFileSync(join(dir, files[0]), "utf8");
    expect(text.startsWith('# Counterexample of the property "at most three messages"')).toBe(true);
    // The file is a counterexample, and shrinking made it small: 4 messages, one producer.
    const sc = loadScenario(join(dir, files[0]));
    expect(simulate(sc).summary.messages.produced).toBe(4);
    expect(sc.producers).toHaveLength(1);
  }, 30_000);
});
