// npm run compare -- <dirA> <dirB> [--out DIR]
// Compares two output directories (trace.jsonl + summary.json each), b against a.
// Exit codes: 0 ok; 2 bad input or usage (one message naming the file, no stack trace); 1 unexpected failure.

import { join } from "node:path";
import { writeComparison, type ScalarDelta } from "./compare.js";
import { InputError, fmtPct, fmtS, fmtT } from "./derive.js";

const USAGE = "usage: npm run compare -- <dirA> <dirB> [--out DIR]   (default out: <dirB>/compare)";

function parseArgs(argv: string[]): { dirA: string; dirB: string; out: string } {
  const pos: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out" || a === "-o") {
      const v = argv[++i];
      if (v === undefined) throw new InputError(`--out needs a directory\n${USAGE}`);
      out = v;
    } else if (a.startsWith("--out=")) {
      out = a.slice("--out=".length);
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith("-")) {
      throw new InputError(`unknown option ${a}\n${USAGE}`);
    } else {
      pos.push(a);
    }
  }
  if (pos.length !== 2) throw new InputError(`expected two output directories, got ${pos.length}\n${USAGE}`);
  return { dirA: pos[0], dirB: pos[1], out: out ?? join(pos[1], "compare") };
}

function scalar(name: string, d: ScalarDelta): string {
  const acc = d.accuracyPct === null ? "" : `, accuracy ${d.accuracyPct.toFixed(1)} %`;
  return `${name}: ${fmtS(d.a)} s → ${fmtS(d.b)} s (${fmtPct(d.deltaPct)}${acc})`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { deltas: d, files } = await writeComparison(args.dirA, args.dirB, args.out);
  const lines = [
    `a: ${d.a.source} ${d.a.scenario} (seed ${d.a.seed})   b: ${d.b.source} ${d.b.scenario} (seed ${d.b.seed})`,
    scalar("drain time", d.drainTimeS),
    scalar("latency p50", d.latencyP50S),
    scalar("latency p95", d.latencyP95S) +
      (d.p95WithinPerfSimBand === null ? "" : d.p95WithinPerfSimBand ? " — inside the PerfSim 80–99 % band" : " — outside the PerfSim 80–99 % band"),
    `replicas (1 s grid, 0–${fmtT(d.replicas.gridEndS)} s): desired RMSE ${d.replicas.desired.rmse.toFixed(2)}, max |Δ| ${d.replicas.desired.maxAbs} at t=${fmtT(d.replicas.desired.maxAbsAt)} s; ` +
      `ready RMSE ${d.replicas.ready.rmse.toFixed(2)}, max |Δ| ${d.replicas.ready.maxAbs} at t=${fmtT(d.replicas.ready.maxAbsAt)} s`,
    `scale events: ${d.scaleEvents.pairs.length} matched` +
      (d.scaleEvents.pairs.length ? ` (mean |Δt| ${fmtS(d.scaleEvents.meanAbsDtS)} s, max ${fmtS(d.scaleEvents.maxAbsDtS)} s)` : "") +
      `, unmatched: ${d.scaleEvents.unmatchedA.length} in a, ${d.scaleEvents.unmatchedB.length} in b`,
    `wrote ${files.join(", ")}`,
  ];
  console.log(lines.join("\n"));
}

main().catch((e: unknown) => {
  if (e instanceof InputError) {
    console.error(`compare: ${e.message}`);
    process.exit(2);
  }
  console.error(`compare: unexpected failure: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
