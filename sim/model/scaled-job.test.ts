// The ScaledJob model (issue #16): KEDA's ScaledJob poll (scale_handler.go getScaledJobState →
// scale_jobs.go RequestJobScale, through sim/decisions/scaled-job.ts) creating Jobs whose pods are
// the shared pod lifecycle (pods.ts); the Job controller's parallelism, backoffLimit and
// activeDeadlineSeconds (kubernetes pkg/controller/job/job_controller.go). Every expectation below
// is worked out by hand from the scenario's numbers (poll phase 0, fixed delays).
import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { loadScenario, resolveScenario, ScenarioError } from "../scenario/load.js";
import { simulate } from "../run.js";
import { checkConservation, checkTimeOrder } from "../properties/checks.js";
import { metricsOf, METRIC_INDEX } from "../whatif/metrics.js";
import { buildReport } from "../../reports/report.js";
import type { KedaJobPollRecord, MessageEventRecord, PodRecord, TraceRecord } from "../trace.js";

const FIXTURE = resolve("fixtures/scenarios/scaledjob-long-running.yaml");
const polls = (rs: TraceRecord[]) => rs.filter((r): r is KedaJobPollRecord => r.type === "keda-job-poll");
const podRecs = (rs: TraceRecord[]) => rs.filter((r): r is PodRecord => r.type === "pod");
const abandoned = (rs: TraceRecord[]) => rs.filter((r): r is MessageEventRecord => r.type === "message" && r.event === "abandoned");
const interrupted = (out: ReturnType<typeof simulate>) => metricsOf(out.summary, out.records, out.events)[METRIC_INDEX.interrupted];

const TRIGGER = { type: "rabbitmq", metadata: { host: "amqp://guest:guest@127.0.0.1:5672/", queueName: "q", mode: "QueueLength", value: "1" } };

/** A single-queue scenario with one ScaledJob; `job` is merged into jobTargetRef, `spec` into the ScaledJob's spec. */
function sjScenario(o: { count: number; processing: number | Record<string, unknown>; producers?: unknown[]; seed?: number; startup?: number; duration?: number; job?: Record<string, unknown>; spec?: Record<string, unknown>; consumer?: Record<string, unknown>; extra?: unknown[] }) {
  return resolveScenario(
    {
      name: "sj",
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.duration !== undefined ? { duration: o.duration } : {}),
      producers: o.producers ?? [{ type: "burst", count: o.count }],
      consumer: { processingTime: o.processing, startupDelay: o.startup ?? 0, ...o.consumer },
      keda: { pollPhaseSeconds: 0 },
      manifests: [
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledJob",
          metadata: { name: "w" },
          spec: {
            jobTargetRef: { template: { spec: { restartPolicy: "Never", containers: [{ name: "w", image: "w" }] } }, ...o.job },
            pollingInterval: 30,
            maxReplicaCount: 10,
            scalingStrategy: { strategy: "accurate" },
            triggers: [TRIGGER],
            ...o.spec,
          },
        },
        ...(o.extra ?? []),
      ],
    },
    process.cwd(),
    "sj-test.yaml",
  );
}

describe("scaledjob-long-running.yaml: 20 messages × 600 s as Jobs", () => {
  const sc = loadScenario(FIXTURE);
  const out = simulate(sc);
  const p = sc.keda.pollPhase;

  it("loads as a ScaledJob (accurate, one message per Job) and keeps every message", () => {
    expect(sc.scaledJob?.scaling.strategy).toBe("accurate");
    expect(sc.scaledJob?.consumer).toBe("one");
    expect(out.summary.messages).toMatchObject({ produced: 20, completed: 20, deadLettered: 0, redelivered: 0, lost: 0, duplicates: 0 });
    checkConservation(out);
    checkTimeOrder(out);
  });

  it("no Job is interrupted mid-work: no abandoned message, interrupted = 0, every pod exits Succeeded", () => {
    expect(abandoned(out.records)).toEqual([]);
    expect(interrupted(out)).toBe(0);
    const gone = podRecs(out.records).filter((r) => r.phase === "Gone");
    expect(gone).toHaveLength(20);
    expect(gone.every((r) => r.reason?.startsWith("Succeeded: processed its message"))).toBe(true);
    expect(podRecs(out.records).some((r) => r.phase === "Terminating")).toBe(false);
  });

  it("20 Jobs of one pod each, 10 at a time (maxReplicaCount 10): created at the first poll and at the first poll after the first 10 exit", () => {
    const pods = podRecs(out.records);
    expect(pods.every((r) => r.job !== undefined)).toBe(true);
    const jobs = new Map<string, Set<string>>();
    for (const r of pods) jobs.set(r.job!, (jobs.get(r.job!) ?? new Set()).add(r.pod));
    expect(jobs.size).toBe(20);
    expect([...jobs.values()].every((s) => s.size === 1)).toBe(true);
    const creating = polls(out.records).filter((r) => r.create > 0);
    // First poll at the phase p; the first 10 are Ready at p + 20 and done at p + 620; polls every 30 s: p + 630.
    expect(creating.map((r) => [r.t - p, r.create, r.running])).toEqual([
      [0, 10, 0],
      [expect.closeTo(630, 6), 10, 0],
    ]);
    expect(creating[0].reason).toMatch(/^queue 20, running 0, pending 0 → accurate: create 10 /);
    // Last completion: p + 630 + 20 + 600; the burst arrived at 0.
    expect(out.summary.drainTimeS).toBeCloseTo(p + 1250, 5);
    expect(out.summary.replicas.peak).toBe(10);
  });

  it("report.md opens with the ScaledJob (strategy, Jobs created), not a ScaledObject's cooldown and HPA", () => {
    const md = buildReport({ header: out.header, records: out.records }, out.summary, []);
    expect(md).toMatch(/^ScaledJob `worker`: trigger `rabbitmq` .*strategy accurate, max 10 Jobs above min 0, pollingInterval 30 s; parallelism 1, backoffLimit 6; each Job's pod takes one message, acks it and exits; no HPA and no cooldown\. \d+ polls created 20 Jobs\./m);
    expect(md).not.toMatch(/cooldownPeriod|HPA sync/);
  });

  it("the same traffic under a ScaledObject interrupts busy pods on scale-in (cooldown 60 s < 600 s of work, grace 30 s)", () => {
    const so = simulate(
      resolveScenario(
        {
          name: "so",
          seed: sc.seed,
          duration: 3000,
          producers: [{ type: "burst", count: 20 }],
          consumer: { processingTime: 600, startupDelay: 20 },
          manifests: [
            {
              apiVersion: "keda.sh/v1alpha1",
              kind: "ScaledObject",
              metadata: { name: "so" },
              spec: { scaleTargetRef: { name: "consumer" }, minReplicaCount: 0, maxReplicaCount: 10, cooldownPeriod: 60, pollingInterval: 30, triggers: [TRIGGER] },
            },
          ],
        },
        process.cwd(),
        "so-contrast.yaml",
      ),
    );
    checkConservation(so);
    // Over AMQP the trigger counts ready messages: the first 10 run while the other 10 wait (it
    // reads 10), so they finish; once the second 10 are taken it reads 0 and KEDA scales to 0 after
    // the 60 s cooldown, SIGTERMing 10 pods each far from done (grace 30 s); requeued, they read 10
    // again and the cycle repeats: those 10 never finish, 10 interrupted per cycle.
    expect(so.summary.messages.completed).toBe(10);
    expect(interrupted(so)).toBeGreaterThanOrEqual(10);
    expect(interrupted(so) % 10).toBe(0);
    expect(abandoned(so.records).every((r) => r.reason === "SIGKILL at the end of terminationGracePeriodSeconds")).toBe(true);
    expect(interrupted(out)).toBe(0);
  });
});

describe("Job controller rules", () => {
  it("drain: one Job's pod processes the whole queue, then exits; polls meanwhile create nothing (max 1)", () => {
    const sc = sjScenario({ count: 5, processing: 10, consumer: { jobConsumer: "drain" }, spec: { maxReplicaCount: 1 } });
    const out = simulate(sc, { perMessage: true });
    checkConservation(out);
    expect(out.summary.messages.completed).toBe(5);
    const done = out.records.filter((r) => r.type === "done");
    expect(new Set(done.map((r) => (r as { pod: string }).pod)).size).toBe(1);
    expect(polls(out.records).reduce((n, r) => n + r.create, 0)).toBe(1);
    const gone = podRecs(out.records).filter((r) => r.phase === "Gone");
    expect(gone.map((r) => [r.t, r.reason])).toEqual([[50, "Succeeded: queue empty; exited 0"]]);
  });

  it("one message per Job: a Job's pod that starts with the queue already empty exits 0 without work", () => {
    // Queue 1 at t=0 → one Job; parallelism 2 (completions 2) → two pods; one takes the message,
    // the other finds the queue empty and exits 0; two successes complete the Job.
    const sc = sjScenario({ count: 1, processing: 10, job: { parallelism: 2, completions: 2 } });
    const out = simulate(sc);
    checkConservation(out);
    const gone = podRecs(out.records).filter((r) => r.phase === "Gone");
    expect(gone.map((r) => r.reason).sort()).toEqual(["Succeeded: no message in the queue; exited 0", "Succeeded: processed its message, acked it and exited 0"]);
    expect(new Set(gone.map((r) => r.job))).toEqual(new Set(["w-1"]));
  });

  it("activeDeadlineSeconds: the Job fails, its pod gets SIGTERM, SIGKILL after the grace period; the message is abandoned and requeued; the next poll makes a new Job", () => {
    // Job 1 at t=0 takes the message; deadline 300 → SIGTERM; grace 30 → SIGKILL at 330, RabbitMQ
    // requeues; the poll at 330 (after pod events) creates Job 2 (deadline 630, SIGKILL 660), then Job 3
    // (deadline 960: after the 900 s run).
    const sc = sjScenario({ count: 1, processing: 600, duration: 900, job: { activeDeadlineSeconds: 300, backoffLimit: 0 } });
    const out = simulate(sc);
    checkConservation(out);
    const ab = abandoned(out.records);
    expect(ab.map((r) => [r.t, r.reason, r.startedAt])).toEqual([
      [330, "SIGKILL at the end of terminationGracePeriodSeconds", 0],
      [660, "SIGKILL at the end of terminationGracePeriodSeconds", 330],
    ]);
    expect(polls(out.records).filter((r) => r.create > 0).map((r) => r.t)).toEqual([0, 330, 660]);
    expect(podRecs(out.records).filter((r) => r.phase === "Terminating").map((r) => [r.t, r.job])).toEqual([
      [300, "w-1"],
      [630, "w-2"],
    ]);
    expect(out.summary.messages).toMatchObject({ completed: 0, redelivered: 2 });
    expect(interrupted(out)).toBe(2);
  });

  it("a killed pod is replaced by its Job while backoffLimit allows (restartPolicy Never), not by a ReplicaSet; backoffLimit 0 fails the Job and the next poll creates another", () => {
    const kill = { faults: { kills: [{ at: 100, count: 1 }] } };
    const within = simulate(sjScenario({ count: 1, processing: 200, startup: 30, consumer: kill, job: { backoffLimit: 1 } }));
    checkConservation(within);
    const pw = podRecs(within.records);
    // Pod w-1-0 Ready at 30, killed at 100; w-1-1 created at 100, Ready at 130, done at 330.
    expect(pw.filter((r) => r.phase === "Pending").map((r) => [r.t, r.pod, r.job])).toEqual([
      [0, "w-1-0", "w-1"],
      [100, "w-1-1", "w-1"],
    ]);
    expect(pw.filter((r) => r.phase === "Gone").map((r) => [r.t, r.pod])).toEqual([
      [100, "w-1-0"],
      [330, "w-1-1"],
    ]);
    expect(within.summary.messages).toMatchObject({ completed: 1, redelivered: 1 });

    const over = simulate(sjScenario({ count: 1, processing: 200, startup: 30, consumer: kill, job: { backoffLimit: 0 } }));
    checkConservation(over);
    // Job w-1 failed at 100 (1 failure > backoffLimit 0); the poll at 120 sees queue 1, running 0 → Job w-2.
    expect(polls(over.records).filter((r) => r.create > 0).map((r) => [r.t, r.running])).toEqual([
      [0, 0],
      [120, 0],
    ]);
    expect(podRecs(over.records).filter((r) => r.phase === "Pending").map((r) => r.pod)).toEqual(["w-1-0", "w-2-1"]);
    expect(over.summary.messages.completed).toBe(1);
  });

  it("container crashes: OnFailure restarts in place and counts toward backoffLimit; Never fails the pod and its Job starts another", () => {
    // 60 crashes an hour against 600 s of work: nearly every run crashes; the count per Job is bounded by backoffLimit.
    const crashy = { faults: { crashRatePerHour: 60 } };
    for (const restartPolicy of ["OnFailure", "Never"] as const) {
      const sc = sjScenario({ count: 3, processing: 600, duration: 4000, consumer: crashy, job: { backoffLimit: 1, template: { spec: { restartPolicy, containers: [{ name: "w", image: "w" }] } } } });
      const out = simulate(sc);
      checkConservation(out);
      const pods = podRecs(out.records);
      const byJob = new Map<string, PodRecord[]>();
      for (const r of pods) byJob.set(r.job!, [...(byJob.get(r.job!) ?? []), r]);
      for (const [job, rs] of byJob) {
        const crashes = rs.filter((r) => r.reason?.startsWith("container crashed")).length;
        const podsOfJob = new Set(rs.map((r) => r.pod)).size;
        if (restartPolicy === "OnFailure") {
          // One pod per Job; its restarts: at most backoffLimit (1) in place, the next one fails it.
          expect(podsOfJob, job).toBe(1);
          expect(rs.filter((r) => r.reason === "container crashed; restarting").length, job).toBeLessThanOrEqual(1);
          if (crashes === 2) expect(rs.at(-1)!.reason, job).toBe("container crashed; Failed (restarts exceed backoffLimit 1)");
        } else {
          // Never restarts in place; at most backoffLimit + 1 = 2 pods per Job.
          expect(rs.some((r) => r.reason === "container crashed; restarting"), job).toBe(false);
          expect(podsOfJob, job).toBeLessThanOrEqual(2);
          expect(rs.filter((r) => r.phase === "Gone" && r.reason === "container crashed; Failed (restartPolicy Never)").length, job).toBe(crashes);
        }
      }
      expect(pods.some((r) => r.reason?.startsWith("container crashed")), restartPolicy).toBe(true);
    }
  });

  it("running and pending Jobs come from the simulated Jobs: a Job whose pod is still starting is pending (accurate subtracts it)", () => {
    // 3 messages, start-up 45 s: at the poll at 30 the 3 Jobs from t=0 are running and pending
    // (pods not Running), queue 3 → accurate: 3 − pending 3 = 0.
    const out = simulate(sjScenario({ count: 3, processing: 5, startup: 45 }));
    checkConservation(out);
    const at30 = polls(out.records).find((r) => r.t === 30)!;
    expect([at30.queueLength, at30.running, at30.pending, at30.create]).toEqual([3, 3, 3, 0]);
    expect(out.summary.messages.completed).toBe(3);
  });
});

describe("conservation and no loss across strategies and consumers", () => {
  it("Poisson traffic, random work, a kill: every message completes once the run settles; Jobs never exceed max (default, accurate, eager)", () => {
    for (const strategy of ["default", "custom", "accurate", "eager"]) {
      for (const jobConsumer of ["one", "drain"]) {
        for (const seed of [1, 2]) {
          const sc = sjScenario({
            count: 0,
            seed,
            producers: [{ type: "poisson", ratePerSecond: 0.5, from: 0, until: 300 }],
            processing: { dist: "exponential", mean: 20 },
            startup: 5,
            consumer: { jobConsumer, faults: { kills: [{ at: 100, count: 2 }] } },
            spec: { maxReplicaCount: 5, scalingStrategy: strategy === "custom" ? { strategy, customScalingQueueLengthDeduction: 0, customScalingRunningJobPercentage: "0.5" } : { strategy } },
          });
          const out = simulate(sc);
          const what = `${strategy}/${jobConsumer}/seed ${seed}`;
          checkConservation(out);
          checkTimeOrder(out);
          const m = out.summary.messages;
          expect(m.produced, what).toBeGreaterThan(100);
          expect([m.completed, m.deadLettered, m.lost, out.summary.notes?.endedBy], what).toEqual([m.produced, 0, 0, "settled"]);
          // default/accurate/eager with max set and min 0 never run more than max Jobs (the custom cap ignores running Jobs).
          if (strategy !== "custom") for (const r of polls(out.records)) expect(r.running + r.create, `${what} t=${r.t}`).toBeLessThanOrEqual(5);
        }
      }
    }
  });
});

describe("upstream quirks the model keeps", () => {
  it("custom with customScalingQueueLengthDeduction 1: the last message is never given a Job (maxScale 1 − 1 = 0)", () => {
    const out = simulate(sjScenario({ count: 3, processing: 10, duration: 600, spec: { scalingStrategy: { strategy: "custom", customScalingQueueLengthDeduction: 1, customScalingRunningJobPercentage: "0" } } }));
    checkConservation(out);
    // t=0: queue 3 → 3 − 1 = 2 Jobs; from then on queue 1 → 0 Jobs, for the whole run.
    expect(polls(out.records).filter((r) => r.create > 0).map((r) => [r.t, r.create])).toEqual([[0, 2]]);
    expect(out.summary.messages.completed).toBe(2);
    expect(out.records.filter((r) => r.type === "sample").at(-1)).toMatchObject({ queued: 1, inFlight: 0 });
    expect(polls(out.records).at(-1)!.reason).toMatch(/^queue 1, running 0, pending 0 → custom: create 0 \(min\(maxScale 1 − deduction 1 − trunc\(0 × 0\), max 10\) = 0 ⇒ none\)$/);
  });
});

describe("loader: a single-queue ScaledJob", () => {
  it("consumer.jobConsumer needs a ScaledJob; a Deployment or initialReplicas beside one is refused", () => {
    const so = { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "so" }, spec: { scaleTargetRef: { name: "consumer" }, triggers: [TRIGGER] } };
    // ScenarioError's message: "<file>: <path>: <expected>".
    expect(() => resolveScenario({ name: "x", consumer: { jobConsumer: "drain" }, manifests: [so] }, process.cwd(), "x.yaml")).toThrow(
      new ScenarioError("x.yaml", "consumer.jobConsumer", "absent without a ScaledJob (it says what a Job's pod does)").message,
    );
    expect(() => sjScenario({ count: 1, processing: 1, consumer: { initialReplicas: 2 } })).toThrow(/^sj-test\.yaml: consumer\.initialReplicas: absent with a ScaledJob/);
    const dep = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "w" }, spec: {} };
    expect(() => sjScenario({ count: 1, processing: 1, extra: [dep] })).toThrow(/^sj-test\.yaml: manifests\[1\]\.kind: no Deployment beside a ScaledJob/);
    expect(() => resolveScenario({ name: "x", consumer: { jobConsumer: "sometimes" }, manifests: [so] }, process.cwd(), "x.yaml")).toThrow(/^x\.yaml: consumer\.jobConsumer: /);
  });
});
