// Who scales and runs the consumer replicas during a real run. The harness (real/harness.ts) owns
// everything else — broker, producer, clock, ledger, sampler, end detection, trace and summary —
// and asks a backend for the replica counts and to start/stop/kill. Two backends:
//   local   (real-local):   our ReplicaSet (real/replicas.ts) and KEDA/HPA loops made of the
//                           simulator's pure functions (real/scaler.ts)
//   cluster (real-cluster): the real Deployment/ReplicaSet/scheduler/HPA controllers and real KEDA,
//                           pods run by kedasim's node agent (real/cluster/)
import type { Scenario } from "../sim/scenario/load.js";
import type { Actor, Source, TraceRecord } from "../sim/trace.js";
import type { Broker, StatsTiming } from "./broker.js";
import type { RunResources } from "./components.js";
import type { Ledger } from "./ledger.js";
import type { ChildRegistry } from "./procs.js";
import type { StartupSample } from "./replicas.js";

export interface ReplicaCounts {
  /** spec.replicas of the scale target. */
  desired: number;
  /** Pods that exist and are not terminating. */
  current: number;
  ready: number;
  terminating: number;
  /** Every pod that still exists (any phase but Gone). */
  total: number;
}

export interface BackendContext {
  scenario: Scenario;
  /** The scenario with every duration × k (wall seconds). */
  wallScenario: Scenario;
  timeScale: number;
  runId: string;
  daprd: string;
  registry: ChildRegistry;
  logDir: string;
  runDir: string;
  broker: Broker;
  brokerUrls: { amqp: string; mgmt: string; mgmtUser: string; mgmtPassword: string; componentAmqp: string };
  jobsQueue: string;
  resultsQueue: string;
  resources: RunResources;
  /** Environment every app of the run needs (where to report results). */
  appEnv: Record<string, string>;
  stats: StatsTiming;
  ledger: () => Ledger;
  now(): number;
  /** performance.now() of scenario time t (after t0). */
  wallAt(t: number): number;
  /** Scenario seconds of a performance.now() reading. */
  scenarioAt(perfMs: number): number;
  emit(r: TraceRecord): void;
  onScale(t: number, actor: Actor, from: number, to: number, reason: string): void;
  onFatal(e: Error): void;
  progress(line: string): void;
  /** Rejects when the run is interrupted (to race long waits against). */
  interrupted: Promise<never>;
}

export interface ScalingBackend {
  readonly source: Source;
  /** Before anything of the run starts: can this backend run at all? (Throws RealEnvError, exit 3.) */
  preflight?(): Promise<void>;
  /** Before t0: whatever the backend needs (namespace, objects, node agent), and the initial replicas Ready. */
  prepare(ctx: BackendContext): Promise<void>;
  /** At t0: start the scaling loops. */
  start(): void;
  counts(): ReplicaCounts;
  readonly peak: number;
  readonly startups: StartupSample[];
  /** Fault injection: SIGKILL `count` pods (kedasim's victim rule), returns their names. */
  kill(count: number, t: number): string[];
  podAlive(pod: string): boolean;
  /** Number of HPA reconciles seen (or made). */
  hpaSyncs(): number;
  /** End of run or interrupt: stop the loops and every replica; `quick` after an error or a signal. */
  stop(quick: boolean): Promise<void>;
  /** Backend facts for the trace header and summary notes. */
  notes(): Record<string, unknown>;
  /**
   * The KEDA and Kubernetes releases that made the scaling decisions when they are not the
   * simulator's functions (a real cluster whose versions are known); absent: the scenario's.
   */
  readonly upstreamVersions?: { keda: string; kubernetes: string } | null;
  /** Start t0 on a whole wall-clock second (KEDA keeps lastActiveTime in whole seconds). */
  readonly alignT0?: boolean;
  /** Inputs the comparison simulation should take from this run (phases, rounded periods), if any. */
  simOverrides?(s: Scenario): { scenario: Scenario; why: string[] };
}
