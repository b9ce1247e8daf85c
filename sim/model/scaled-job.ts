// A KEDA ScaledJob and its Jobs, for the single-queue model: jobs as pods.
//
// KEDA's loop for a ScaledJob (pkg/scaling/scale_handler.go startScaleLoop → checkScalers →
// getScaledJobMetrics / getScaledJobState, then pkg/scaling/executor/scale_jobs.go RequestJobScale →
// createJobs) runs every pollingInterval: it reads the triggers, counts the running and pending Jobs
// and creates new Jobs. The arithmetic is the pure scaledJobPoll (../decisions/scaled-job.ts); this
// file is the loop, the Jobs and what the Kubernetes Job controller does with their pods
// (kubernetes/kubernetes pkg/controller/job/job_controller.go syncJob: manageJob starts pods up to
// parallelism; a failed pod counts toward backoffLimit (pastBackoffLimitOnFailure, restartPolicy
// OnFailure counts container restarts); pastActiveDeadline fails the Job with DeadlineExceeded and
// deletes its active pods; a work-queue Job (completions unset) is Complete once a pod succeeded and
// none is active).
//
// The pods are PodLifecycle's (pods.ts), the same lifecycle as a Deployment's: only what replaces a
// pod differs. A Job's pod is never replaced by a ReplicaSet: when it fails (killed, SIGKILL after
// its grace period, crashed with restartPolicy Never) the Job controller starts a new pod while
// backoffLimit allows; when it succeeds it is not replaced. When a pod has done its work is the
// model's (Simulation: one message, or drain the queue), which calls podSucceeded.
//
// Not modelled (say so in results): the scalers' query latency, Job history cleanup as trace
// records (cleanUp runs, but only to bound the list), a rollout on a ScaledJob change,
// FailureTarget/SuccessCriteriaMet conditions (the Job is Complete/Failed at once), podFailurePolicy,
// the pods' own restart back-off delay.
import type { Scenario } from "../scenario/load.js";
import type { ScaledJobConfig } from "../scenario/scaled-job.js";
import { jobsToDeleteByHistoryLimit, scaledJobPoll, type JobShape, type PodShape } from "../decisions/scaled-job.js";
import type { KedaJobPollRecord, Summary } from "../trace.js";
import type { MetricSource } from "./autoscaler.js";
import { PodLifecycle, PRIORITY, type BrokerRules, type Pod, type PodHost, type PodSpec } from "./pods.js";

/** A ScaledJob as the model's scenario describes it. */
export interface ScaledJobSpec extends PodSpec {
  scaledJob: ScaledJobConfig;
  keda: Scenario["keda"];
  /** Where the triggers read. */
  source: MetricSource;
}

/** One simulated Job. */
interface SimJob {
  name: string;
  createdAt: number;
  /** Its pods in creation order (uid) and how each ended ("" while live). */
  pods: Array<{ uid: number; outcome: "" | "Succeeded" | "Failed" }>;
  active: number;
  succeeded: number;
  /** Failed pods plus, with restartPolicy OnFailure, container restarts (both count toward backoffLimit). */
  failed: number;
  finished: "" | "Complete" | "Failed";
  finishedAt: number;
}

export class ScaledJobController<P extends Pod> extends PodLifecycle<P, ScaledJobSpec> {
  /** The ScaledJob has no ReplicaSet and no HPA. */
  readonly autoscaler = null;
  readonly scaleEvents: Summary["scaleEvents"] = [];
  /** Peak of the pods the unfinished Jobs want (the "desired" column). */
  peakDesired = 0;
  /** Jobs created, polls run. */
  jobsCreated = 0;
  polls = 0;

  /** Jobs not yet removed by the history limits, in creation order. */
  private jobs: SimJob[] = [];
  private readonly byName = new Map<string, SimJob>();
  private unfinished = 0;
  private jobSeq = 0;
  private readonly kPoll: number;
  private readonly kDeadline: number;
  /** Jobs by deadline-event arg. */
  private readonly deadlineJobs: SimJob[] = [];
  /** Pods that called podSucceeded (their podGone is a success). */
  private succeeding = -1;

  constructor(host: PodHost, spec: ScaledJobSpec, rules: BrokerRules<P>) {
    super(host, spec, rules);
    const e = this.env;
    this.kPoll = e.kind("keda-job-poll", PRIORITY.keda, () => this.onPoll(e.now));
    this.kDeadline = spec.scaledJob.job.activeDeadlineSeconds !== null ? e.kind("job-deadline", PRIORITY.fault, () => this.onDeadline(e.arg, e.now)) : -1;
  }

  // ---------------------------------------------------------------- what the model reads

  /** No pods before the first poll (a ScaledJob has no initial replicas). */
  start(): void {}

  /** KEDA's first poll: pollPhase after the ScaledJob's creation; paused: the loop never runs (one record). */
  startLoops(): void {
    this.env.schedule(this.spec.keda.createdAt + this.spec.keda.pollPhase, this.kPoll, 0);
  }

  /** The pods the unfinished Jobs want: min(parallelism, completions left) each (the samples' "desired"). */
  get specReplicas(): number {
    let n = 0;
    for (const j of this.jobs) if (j.finished === "") n += this.wanted(j);
    return n;
  }

  /** At rest: no unfinished Job and no pod. */
  atRest(): boolean {
    return this.unfinished === 0 && this.pods.size === 0;
  }

  /** The Jobs as KEDA's getRunningJobCount / getPendingJobCount see them. */
  jobShapes(): JobShape[] {
    return this.jobs.map((j) => this.shapeOf(j));
  }

  /** The model: this pod has done its work and its process exits 0 (phase Succeeded). */
  podSucceeded(pod: P, t: number, why: string): void {
    this.succeeding = pod.uid;
    this.gone(pod, t, `Succeeded: ${why}`);
    this.succeeding = -1;
  }

  // ---------------------------------------------------------------- KEDA's loop

  private onPoll(t: number): void {
    const sj = this.spec.scaledJob;
    if (sj.paused) {
      // autoscaling.keda.sh/paused: the scale loop is not started (scaledjob_controller.go).
      this.bus.emit("record", { type: "keda-job-poll", t, queueLength: 0, maxScale: 0, active: false, running: 0, pending: 0, create: 0, strategy: "paused", reason: "paused: autoscaling.keda.sh/paused; no scale loop" });
      return;
    }
    this.polls++;
    // An erroring scaler (faults.scalerErrors: no snapshot) is left out, as getScaledJobMetrics does (`continue`).
    const readings: Array<{ value: number; active: boolean; target: number }> = [];
    sj.triggers.forEach((tr, i) => {
      const q = this.spec.source.snapshotFor(tr, i, t);
      if (q === null) return;
      const r = tr.read(q);
      readings.push({ value: r.value, active: r.active, target: tr.target });
    });
    const d = scaledJobPoll(sj.scaling, readings, this.jobShapes());
    const rec: KedaJobPollRecord = {
      type: "keda-job-poll",
      t,
      queueLength: d.activity.queueLength,
      maxScale: d.activity.maxScale,
      active: d.activity.isActive,
      running: d.runningJobCount,
      pending: d.pendingJobCount,
      create: d.create,
      strategy: d.strategy,
      reason: d.reason,
    };
    this.bus.emit("record", rec);
    for (let k = 0; k < d.create; k++) this.createJob(t);
    this.cleanUp();
    this.env.schedule(t + sj.pollingInterval, this.kPoll, 0);
  }

  /** cleanUp (scale_jobs.go): finished Jobs beyond the history limits are deleted (they only bound the list here). */
  private cleanUp(): void {
    const sj = this.spec.scaledJob;
    const finished = this.jobs.filter((j) => j.finished !== "" && j.active === 0);
    if (finished.length <= Math.min(sj.successfulJobsHistoryLimit, sj.failedJobsHistoryLimit)) return;
    const drop = new Set(jobsToDeleteByHistoryLimit(finished.map((j) => ({ conditions: this.shapeOf(j).conditions, completionTime: j.finishedAt })), sj.successfulJobsHistoryLimit, sj.failedJobsHistoryLimit).map((i) => finished[i]));
    if (drop.size === 0) return;
    this.jobs = this.jobs.filter((j) => !drop.has(j));
    for (const j of drop) this.byName.delete(j.name);
  }

  // ---------------------------------------------------------------- Jobs

  private createJob(t: number): void {
    const sj = this.spec.scaledJob;
    const job: SimJob = { name: `${sj.name}-${++this.jobSeq}`, createdAt: t, pods: [], active: 0, succeeded: 0, failed: 0, finished: "", finishedAt: -1 };
    this.jobs.push(job);
    this.byName.set(job.name, job);
    this.unfinished++;
    this.jobsCreated++;
    if (sj.job.activeDeadlineSeconds !== null) {
      this.deadlineJobs.push(job);
      this.env.schedule(t + sj.job.activeDeadlineSeconds, this.kDeadline, this.deadlineJobs.length - 1);
    }
    this.startPods(job, t, `created by Job ${job.name} (ScaledJob ${sj.name})`);
    const desired = this.specReplicas;
    if (desired > this.peakDesired) this.peakDesired = desired;
  }

  /** Pods the Job wants active: parallelism, or fewer when fewer completions are left (manageJob). */
  private wanted(j: SimJob): number {
    const { parallelism, completions } = this.spec.scaledJob.job;
    if (completions === null) return j.succeeded > 0 ? 0 : parallelism; // work queue: no new pods once one succeeded
    return Math.min(parallelism, completions - j.succeeded);
  }

  private startPods(job: SimJob, t: number, reason: string): void {
    while (job.active < this.wanted(job)) {
      const pod = this.createPod(t, false, reason, job.name);
      job.pods.push({ uid: pod.uid, outcome: "" });
      job.active++;
    }
  }

  private finish(job: SimJob, t: number, as: "Complete" | "Failed", why: string): void {
    job.finished = as;
    job.finishedAt = t;
    this.unfinished--;
    if (as === "Failed") {
      // The Job controller deletes the Job's active pods (graceful: SIGTERM, the grace period, SIGKILL).
      for (const p of job.pods) {
        const pod = p.outcome === "" ? this.pods.get(p.uid) : undefined;
        if (pod && pod.phase !== "Terminating") this.terminate(pod, t, `Job ${job.name} failed (${why}): its pods are deleted`);
      }
    }
  }

  /** syncJob after a pod ended: Failed past backoffLimit, Complete, or start replacement pods. */
  private progress(job: SimJob, t: number): void {
    if (job.finished !== "") return;
    const { completions, backoffLimit } = this.spec.scaledJob.job;
    if (job.failed > backoffLimit) return this.finish(job, t, "Failed", `BackoffLimitExceeded: ${job.failed} failures > backoffLimit ${backoffLimit}`);
    if (completions !== null ? job.succeeded >= completions : job.succeeded > 0 && job.active === 0) return this.finish(job, t, "Complete", "");
    this.startPods(job, t, `created by Job ${job.name} (replaces a failed pod, ${job.failed} of backoffLimit ${backoffLimit})`);
  }

  /** activeDeadlineSeconds after the Job started: it fails with DeadlineExceeded (pastActiveDeadline). */
  private onDeadline(i: number, t: number): void {
    const job = this.deadlineJobs[i];
    if (job.finished !== "") return;
    this.finish(job, t, "Failed", `DeadlineExceeded: activeDeadlineSeconds ${this.spec.scaledJob.job.activeDeadlineSeconds}`);
    this.rules.afterPodChange(t, "released");
  }

  // ---------------------------------------------------------------- hooks of the pod lifecycle

  /** A Job's pod is never replaced by a ReplicaSet: the Job controller sees a failed pod (progress). */
  protected override afterKills(_t: number): void {}

  /**
   * restartPolicy Never: the pod fails and the Job controller starts a new one; OnFailure: the
   * container restarts in place, and the restart counts toward backoffLimit.
   */
  protected override containerDied(pod: P, t: number, why: string): void {
    const job = this.byName.get(pod.job!)!;
    if (this.spec.scaledJob.job.restartPolicy === "OnFailure") {
      job.failed++;
      if (job.failed <= this.spec.scaledJob.job.backoffLimit) return this.restartInPlace(pod, t, why);
      this.rules.releasePod(pod, t, why);
      this.gone(pod, t, `${why}; Failed (restarts exceed backoffLimit ${this.spec.scaledJob.job.backoffLimit})`);
      this.rules.afterPodChange(t, "released");
      return;
    }
    this.rules.releasePod(pod, t, why);
    this.gone(pod, t, `${why}; Failed (restartPolicy Never)`);
    this.rules.afterPodChange(t, "released");
  }

  protected override podGone(pod: P, t: number): void {
    const job = this.byName.get(pod.job!);
    if (!job) return;
    const entry = job.pods.find((p) => p.uid === pod.uid)!;
    const ok = this.succeeding === pod.uid;
    entry.outcome = ok ? "Succeeded" : "Failed";
    job.active--;
    if (ok) job.succeeded++;
    // OnFailure: a container that ran past its restarts was counted in containerDied already.
    else if (!(this.spec.scaledJob.job.restartPolicy === "OnFailure" && job.failed > this.spec.scaledJob.job.backoffLimit)) job.failed++;
    this.progress(job, t);
  }

  // ---------------------------------------------------------------- shapes

  private shapeOf(j: SimJob): JobShape {
    const pods: PodShape[] = j.pods.map((p) => {
      if (p.outcome !== "") return { phase: p.outcome, conditions: [] };
      const pod = this.pods.get(p.uid);
      const ph = pod?.phase;
      // Kubernetes' phase: Pending until the containers run (our Pending and Starting); Running after.
      const phase = ph === "Ready" || ph === "Terminating" ? "Running" : "Pending";
      return {
        phase,
        conditions: [
          { type: "PodScheduled", status: ph === "Pending" ? "False" : "True" },
          { type: "Ready", status: ph === "Ready" ? "True" : "False" },
        ],
      };
    });
    return { conditions: j.finished === "" ? [] : [{ type: j.finished, status: "True" }], pods };
  }
}
