// report.md of one run: a generated "what happened" paragraph, the charts, a summary table and the
// scale-event list. A pure function of the trace + summary (plus the chart file names); writing is separate.

import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { LatencyStats, Summary } from "../sim/trace.js";
import {
  backlogOf,
  countFlaps,
  directionOf,
  finalEmptyAt,
  fmtS,
  fmtT,
  hpaSyncFor,
  hpaSyncsOf,
  integrate,
  kedaPollsOf,
  lastActivePollBefore,
  lastHpaRawAtLeast,
  samplesOf,
  scaleRecordsOf,
  timeToReady,
  traceEnd,
  type ScaleEvent,
  type Trace,
} from "./derive.js";

const CHART_TITLES: Record<string, string> = {
  "metric.png": "What the scaler sees: metric vs target × replicas, KEDA polls",
  "replicas.png": "Replicas: desired / current / ready, scale events by actor",
  "throughput.png": "Throughput: arrival vs completion rate, backlog",
  "latency.png": "Latency percentiles over time",
};

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)} %` : "–";
}

/** Scale events of the run: the trace's scale records, or the summary's list when the trace has none. */
function eventsOf(trace: Trace, summary: Summary): ScaleEvent[] {
  const fromTrace = scaleRecordsOf(trace);
  return fromTrace.length > 0 ? fromTrace : [...summary.scaleEvents].sort((a, b) => a.t - b.t);
}

/** The generated "what happened" paragraph: only facts read from the trace and summary. */
export function narrate(trace: Trace, summary: Summary): string[] {
  const sc = trace.header.scaling;
  const samples = samplesOf(trace);
  const polls = kedaPollsOf(trace);
  const syncs = hpaSyncsOf(trace);
  const events = eventsOf(trace, summary);
  const out: string[] = [];
  const legacy = sc.behavior === "legacy";

  // arrivals
  const produced = summary.messages.produced;
  const firstArr = samples.find((s) => s.produced > 0);
  let lastArr = firstArr;
  for (let i = 1; i < samples.length; i++) if (samples[i].produced > samples[i - 1].produced) lastArr = samples[i];
  if (!firstArr || produced === 0) {
    out.push("No messages arrived.");
  } else if (lastArr && lastArr.t > firstArr.t) {
    out.push(`${fmtInt(produced)} messages arrived between t≈${fmtT(firstArr.t)} s and t≈${fmtT(lastArr.t)} s.`);
  } else {
    out.push(`${fmtInt(produced)} messages arrived at t≈${fmtT(firstArr.t)} s.`);
  }

  // activation
  const activation = events.find((e) => e.from === 0 && e.to > 0);
  if (activation) {
    const poll = polls.find((p) => Math.abs(p.t - activation.t) < 1e-6);
    const who = activation.actor === "keda" ? "KEDA" : "The HPA";
    const saw = poll && poll.metric !== null ? ` saw a metric of ${poll.metric} and` : "";
    const waited = firstArr ? ` (${fmtT(activation.t - firstArr.t)} s after the first arrival)` : "";
    let s = `${who}${saw} scaled 0→${activation.to} at t=${fmtT(activation.t)} s${waited}`;
    if (summary.firstReplicaReadyS !== null) {
      s += `; the first replica was ready at t=${fmtT(summary.firstReplicaReadyS)} s`;
      if (summary.firstReplicaReadyS >= activation.t - 1e-3) s += ` (${fmtT(Math.max(0, summary.firstReplicaReadyS - activation.t))} s after the decision)`;
    }
    out.push(s + ".");
  } else if (summary.firstReplicaReadyS !== null) {
    out.push(`The first replica was ready at t=${fmtT(summary.firstReplicaReadyS)} s.`);
  }

  // the climb to the peak
  let peak = 0;
  let peakT: number | null = null;
  for (const s of samples) {
    if (s.desired > peak) {
      peak = s.desired;
      peakT = s.t;
    }
  }
  const peakEvent = events.find((e) => e.to === peak && directionOf(e) === "up");
  if (peakEvent) peakT = peakEvent.t;
  const climb = events.filter((e) => directionOf(e) === "up" && e !== activation && (peakT === null || e.t <= peakT + 1e-9));
  if (climb.length > 0) {
    const steps = climb.map((e) => `${e.from}→${e.to} at t=${fmtT(e.t)} s`).join(", ");
    const actors = new Set(climb.map((e) => e.actor));
    const who = actors.size === 1 ? (actors.has("hpa") ? "The HPA" : "KEDA") : "KEDA and the HPA";
    out.push(`${who} then stepped ${steps}.`);
    const capped = climb.filter((e) => e.actor === "hpa" && (hpaSyncFor(syncs, e)?.raw ?? -1) > e.to && e.to < sc.maxReplicaCount);
    if (capped.length > 0) {
      const limitText = legacy ? "legacy scale-up limit of max(2 × current, 4) per sync" : "scaleUp policies";
      const list = capped.map((e) => `wanted ${hpaSyncFor(syncs, e)!.raw} at t=${fmtT(e.t)} s but got ${e.to}`).join("; ");
      out.push(`Steps were capped by the HPA's ${limitText} (it ${list}).`);
    }
    const lifted = climb.filter((e) => {
      const h = e.actor === "hpa" ? hpaSyncFor(syncs, e) : undefined;
      return h !== undefined && h.raw !== null && h.raw >= 0 && h.raw < e.to;
    });
    if (lifted.length > 0) {
      const list = lifted.map((e) => `${e.to} at t=${fmtT(e.t)} s while its own proposal was ${hpaSyncFor(syncs, e)!.raw}`).join("; ");
      out.push(
        legacy
          ? `The HPA scaled up to ${list}: legacy normalization scales to the maximum proposal in its stabilization window, not to the current one.`
          : `The HPA scaled up to ${list} (stabilization window maximum).`,
      );
    }
  }
  if (peakT !== null && peak > 0) {
    const atMax = peak >= sc.maxReplicaCount ? ` (= maxReplicaCount)` : "";
    let s = `Desired replicas peaked at ${peak}${atMax} at t=${fmtT(peakT)} s`;
    const readyPeakT = samples.find((x) => x.t >= peakT! - 1e-9 && x.ready >= peak)?.t;
    if (readyPeakT !== undefined) s += `; ${peak} replicas were ready at t=${fmtT(readyPeakT)} s`;
    out.push(s + ".");
  }

  // drain and the tail
  const emptyAt = finalEmptyAt(samples);
  const end = traceEnd(trace);
  if (summary.drainTimeS !== null && emptyAt !== null) {
    out.push(`The queue (ready + in flight) was empty from t=${fmtT(emptyAt)} s; drain time (first arrival → last departure) was ${fmtS(summary.drainTimeS)} s.`);
  } else if (emptyAt === null && samples.length > 0 && backlogOf(samples[samples.length - 1]) > 0) {
    out.push(`The queue was not empty at the end of the trace (t=${fmtT(end)} s): ${backlogOf(samples[samples.length - 1])} messages left.`);
  }
  if (emptyAt !== null) {
    const atEmpty = [...samples].reverse().find((s) => s.t <= emptyAt + 1e-9);
    const floor = Math.max(1, sc.minReplicaCount);
    if (atEmpty && atEmpty.desired > floor) {
      const down = samples.find((s) => s.t >= emptyAt - 1e-9 && s.desired <= floor);
      const above = floor === 1 ? "above 1" : `above ${floor}`;
      if (down) {
        out.push(`Replicas stayed ${above} for ${fmtT(down.t - emptyAt)} s after the queue was empty (desired ${atEmpty.desired} at t=${fmtT(emptyAt)} s, ≤ ${floor} from t=${fmtT(down.t)} s).`);
      } else {
        out.push(`Replicas stayed ${above} until the end of the trace, ${fmtT(end - emptyAt)} s after the queue was empty (desired ${samples[samples.length - 1].desired} at t=${fmtT(end)} s).`);
      }
      const after = events.filter((e) => e.t >= emptyAt - 1e-9 && directionOf(e) === "down");
      const hpaDown = after.find((e) => e.actor === "hpa");
      if (hpaDown) {
        const held = hpaDown.from;
        const lastHigh = lastHpaRawAtLeast(syncs, held, hpaDown.t);
        const firstLow = syncs.find((h) => h.t >= emptyAt - 1e-9 && h.raw !== null && h.raw >= 0 && h.raw < held);
        let s = `The HPA held ${held} until t=${fmtT(hpaDown.t)} s`;
        if (firstLow && firstLow.t < hpaDown.t) s += ` although its own proposal had dropped to ${firstLow.raw} by t=${fmtT(firstLow.t)} s`;
        if (lastHigh) {
          s += legacy
            ? `: legacy normalization keeps the maximum of its proposals over the downscale stabilization window (5 min by default), and it had last proposed ≥ ${held} at t=${fmtT(lastHigh.t)} s, ${fmtT(hpaDown.t - lastHigh.t)} s earlier`
            : `: the scaleDown stabilization window keeps the maximum of its recent proposals, and it had last proposed ≥ ${held} at t=${fmtT(lastHigh.t)} s, ${fmtT(hpaDown.t - lastHigh.t)} s earlier`;
        }
        const hpaSteps = after.filter((e) => e.actor === "hpa");
        s += hpaSteps.length > 1 ? `; it then stepped ${hpaSteps.map((e) => `${e.from}→${e.to}`).join(", ")}.` : ".";
        out.push(s);
      }
      const kedaDown = after.find((e) => e.actor === "keda" && e.to <= (sc.idleReplicaCount ?? sc.minReplicaCount));
      if (kedaDown) {
        const L = lastActivePollBefore(polls, kedaDown.t);
        let s = `KEDA set ${kedaDown.from}→${kedaDown.to} at t=${fmtT(kedaDown.t)} s`;
        if (L) s += `, ${fmtT(kedaDown.t - L.t)} s after its last active poll (t=${fmtT(L.t)} s; cooldownPeriod ${sc.cooldownPeriod} s)`;
        if (kedaDown.from > 1) s += `, straight from ${kedaDown.from} rather than waiting for the HPA to reach 1`;
        out.push(s + ".");
      }
      const idleRs = integrate(samples, (s) => s.current, emptyAt);
      const totalRs = summary.replicas.replicaSeconds;
      if (idleRs > 0) out.push(`${fmtInt(idleRs)} of ${fmtInt(totalRs)} replica-seconds (${pct(idleRs, totalRs)}) were spent after the queue was empty.`);
    }
  }

  // message trouble
  const m = summary.messages;
  const abandoned = trace.records.filter((r) => r.type === "message" && r.event === "abandoned" && r.pod !== undefined);
  const trouble: string[] = [];
  if (m.redelivered > 0) trouble.push(`${plural(m.redelivered, "message")} redelivered`);
  if (m.deadLettered > 0) trouble.push(`${fmtInt(m.deadLettered)} dead-lettered`);
  if (m.lost > 0) trouble.push(`${fmtInt(m.lost)} lost`);
  if (m.duplicates > 0) trouble.push(`${fmtInt(m.duplicates)} processed twice`);
  if (trouble.length > 0) {
    let s = `Message trouble: ${trouble.join(", ")}.`;
    if (abandoned.length > 0) {
      const ts = [...new Set(abandoned.map((r) => fmtT(r.t)))];
      s += ` ${plural(abandoned.length, "message")} were abandoned by pods at t=${ts.slice(0, 5).join(", ")}${ts.length > 5 ? ", …" : ""} s.`;
    }
    out.push(s);
  }
  const flaps = countFlaps(events);
  if (flaps > 1) out.push(`Scaling changed direction ${flaps} times.`);
  return out;
}

function latencyRow(name: string, l: LatencyStats): string {
  const exact = l.n === 0 ? "" : l.exact ? "" : " ¹";
  return `| ${name}${exact} | ${fmtInt(l.n)} | ${fmtS(l.mean)} | ${fmtS(l.p50)} | ${fmtS(l.p90)} | ${fmtS(l.p95)} | ${fmtS(l.p99)} | ${fmtS(l.max)} |`;
}

/** For live runs: which daprd (and broker, time scale) produced the trace, from the header's notes. */
export function liveRunLine(notes: Record<string, unknown> | undefined): string | null {
  const d = notes?.daprd;
  if (d === undefined || d === null) return null;
  const parts: string[] = [];
  if (typeof d === "string") parts.push(`daprd \`${d}\``);
  else if (typeof d === "object") {
    const o = d as { version?: unknown; path?: unknown; shutdown?: unknown; missingFlags?: unknown };
    parts.push(`daprd ${String(o.version ?? "?")} (\`${String(o.path ?? "?")}\`)`);
    if (o.shutdown === "graceful-wait") parts.push("on SIGTERM it stops its input bindings and API at once and waits the whole graceful shutdown period (no block-shutdown)");
    else if (o.shutdown === "block-then-graceful") parts.push("on SIGTERM it stops its input bindings, keeps its API up until the app is unhealthy or the block-shutdown ends, then the graceful period");
    if (Array.isArray(o.missingFlags) && o.missingFlags.length > 0) parts.push(`it lacks ${o.missingFlags.map((f) => `\`${String(f)}\``).join(", ")}`);
  }
  if (typeof notes?.rabbitmq === "string") parts.push(`RabbitMQ ${notes.rabbitmq}`);
  if (typeof notes?.timeScale === "number") parts.push(`time scale ${notes.timeScale}`);
  return `Live run: ${parts.join("; ")}.`;
}

/** " Behaviour of KEDA 2.21.0 and Kubernetes 1.37.2." from the header (empty for traces without versions). */
export function versionsSentence(sc: Pick<Trace["header"]["scaling"], "kedaVersion" | "kubernetesVersion">): string {
  if (!sc.kedaVersion && !sc.kubernetesVersion) return "";
  const parts = [sc.kedaVersion ? `KEDA ${sc.kedaVersion}` : null, sc.kubernetesVersion ? `Kubernetes ${sc.kubernetesVersion}` : null].filter((x) => x !== null);
  return ` Behaviour of ${parts.join(" and ")}.`;
}

/**
 * A ScaledJob's run (header notes.scaledJob, sim/model/scaled-job.ts): what scaled and how many Jobs
 * its polls created, instead of the ScaledObject's cooldown and HPA (a ScaledJob has neither).
 * Null for a ScaledObject's run. The charts still draw replicas as "desired" = pods the unfinished Jobs want.
 */
export function scaledJobSentence(trace: Trace): string | null {
  const n = trace.header.notes?.scaledJob as { name?: string; strategy?: string; consumer?: string; parallelism?: number; backoffLimit?: number } | undefined;
  if (!n) return null;
  const sc = trace.header.scaling;
  let polls = 0;
  let jobs = 0;
  for (const r of trace.records) {
    if (r.type === "keda-job-poll") {
      polls++;
      jobs += r.create;
    }
  }
  const what = n.consumer === "drain" ? "each Job's pod works until the queue is empty, then exits" : "each Job's pod takes one message, acks it and exits";
  return (
    `ScaledJob \`${n.name}\`: trigger \`${sc.triggerType}\` (${sc.metricDescription}), target ${sc.target} per Job; ` +
    `strategy ${n.strategy}, max ${sc.maxReplicaCount} Jobs above min ${sc.minReplicaCount}, pollingInterval ${sc.pollingInterval} s; ` +
    `parallelism ${n.parallelism}, backoffLimit ${n.backoffLimit}; ${what}; no HPA and no cooldown. ${polls} polls created ${jobs} Jobs.`
  );
}

/** The report.md text. `pngs` are chart paths; they are linked relative to outDir. */
export function buildReport(trace: Trace, summary: Summary, pngs: string[], outDir = "."): string {
  const h = trace.header;
  const sc = h.scaling;
  const samples = samplesOf(trace);
  const events = eventsOf(trace, summary);
  const emptyAt = finalEmptyAt(samples);
  const L: string[] = [];
  L.push(`# ${h.scenario} — ${h.source} run (seed ${h.seed})`);
  L.push("");
  const sj = scaledJobSentence(trace);
  if (sj) L.push(`${sj} Simulated ${fmtT(summary.simulatedSeconds)} s (scenario time).${versionsSentence(sc)}`);
  else L.push(
    `Trigger \`${sc.triggerType}\` (${sc.metricDescription}), ${sc.targetType} target ${sc.target}; replicas ${sc.minReplicaCount}–${sc.maxReplicaCount}` +
      `${sc.idleReplicaCount !== null ? `, idle ${sc.idleReplicaCount}` : ""}; KEDA pollingInterval ${sc.pollingInterval} s, cooldownPeriod ${sc.cooldownPeriod} s; ` +
      `HPA sync ${sc.hpaSyncPeriod} s, ${sc.behavior === "legacy" ? "no `behavior` (legacy normalization)" : "`behavior` set"}. ` +
      `Simulated ${fmtT(summary.simulatedSeconds)} s (scenario time).${versionsSentence(sc)}`,
  );
  L.push("");
  const live = liveRunLine(h.notes);
  if (live) {
    L.push(live);
    L.push("");
  }
  L.push("## What happened");
  L.push("");
  L.push(narrate(trace, summary).join(" "));
  L.push("");
  if (pngs.length > 0) {
    L.push("## Charts");
    L.push("");
    for (const p of pngs) {
      const name = basename(p);
      const rel = relative(outDir, p).split("\\").join("/") || name;
      L.push(`![${CHART_TITLES[name] ?? name}](${rel})`);
      L.push("");
    }
  }
  const m = summary.messages;
  const idleRs = emptyAt !== null ? integrate(samples, (s) => s.current, emptyAt) : null;
  const flaps = countFlaps(events);
  const firstUp = events.find((e) => e.from === 0 && e.to > 0);
  L.push("## Summary");
  L.push("");
  L.push("| | |");
  L.push("|---|---|");
  L.push(`| messages produced | ${fmtInt(m.produced)} |`);
  L.push(`| completed | ${fmtInt(m.completed)} |`);
  L.push(`| dead-lettered | ${fmtInt(m.deadLettered)} |`);
  L.push(`| redelivered | ${fmtInt(m.redelivered)} |`);
  L.push(`| lost | ${fmtInt(m.lost)} |`);
  L.push(`| duplicates | ${fmtInt(m.duplicates)} |`);
  L.push(`| drain time (first arrival → last departure) | ${summary.drainTimeS === null ? "–" : `${fmtS(summary.drainTimeS)} s`} |`);
  L.push(`| latency p50 / p90 / p95 / p99 / max (sojourn) | ${[summary.latencyS.p50, summary.latencyS.p90, summary.latencyS.p95, summary.latencyS.p99, summary.latencyS.max].map(fmtS).join(" / ")} s |`);
  L.push(`| peak replicas | ${summary.replicas.peak} |`);
  L.push(`| replica-seconds (ready) | ${fmtInt(summary.replicas.replicaSeconds)} (${fmtInt(summary.replicas.readyReplicaSeconds)}) |`);
  if (idleRs !== null) L.push(`| replica-seconds after the queue was empty | ${fmtInt(idleRs)} (${pct(idleRs, summary.replicas.replicaSeconds)}) |`);
  L.push(`| scale events (KEDA / HPA) | ${events.length} (${events.filter((e) => e.actor === "keda").length} / ${events.filter((e) => e.actor === "hpa").length}) |`);
  L.push(`| flaps (direction changes) | ${flaps} |`);
  L.push(`| first replica ready | ${summary.firstReplicaReadyS === null ? "–" : `t=${fmtT(summary.firstReplicaReadyS)} s`}${firstUp && summary.firstReplicaReadyS !== null && summary.firstReplicaReadyS >= firstUp.t - 1e-3 ? ` (${fmtT(Math.max(0, summary.firstReplicaReadyS - firstUp.t))} s after 0→${firstUp.to})` : ""} |`);
  L.push("");
  L.push("Latency (s): sojourn = arrival → completion, split into wait (before processing) and service (processing).");
  L.push("");
  L.push("| | n | mean | p50 | p90 | p95 | p99 | max |");
  L.push("|---|---:|---:|---:|---:|---:|---:|---:|");
  L.push(latencyRow("sojourn", summary.latencyS));
  L.push(latencyRow("wait", summary.latencyS.wait));
  L.push(latencyRow("service", summary.latencyS.service));
  if ([summary.latencyS, summary.latencyS.wait, summary.latencyS.service].some((l) => l.n > 0 && !l.exact)) {
    L.push("");
    L.push("¹ read from 1 % histogram buckets (upper edges): at most 1 % above the true value.");
  }
  L.push("");
  L.push("## Scale events");
  L.push("");
  if (events.length === 0) {
    L.push("None.");
  } else {
    L.push("| t (s) | from → to | actor | reason | decision → ready (s) |");
    L.push("|---:|---|---|---|---:|");
    for (const e of events) {
      const ttr = timeToReady(samples, e);
      const ready = directionOf(e) === "up" ? (ttr === null ? "never" : fmtT(ttr)) : "";
      L.push(`| ${fmtT(e.t)} | ${e.from} → ${e.to} | ${e.actor === "keda" ? "KEDA" : "HPA"} | ${e.reason.replace(/\|/g, "\\|")} | ${ready} |`);
    }
    L.push("");
    L.push("decision → ready: from the scale event until `ready` first reaches the new count (sampled).");
  }
  L.push("");
  return L.join("\n");
}

/** Writes outDir/report.md and returns its path. */
export function writeReport(outDir: string, trace: Trace, summary: Summary, pngs: string[]): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, "report.md");
  writeFileSync(file, buildReport(trace, summary, pngs, outDir));
  return file;
}
