// One "pod": a daprd sidecar + its app process, with unique ports, loopback only, no placement or
// scheduler. Knows when it is ready and what went wrong when it is not.
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { writeFileSync } from "node:fs";
import { configurationYaml, probeDaprd, sidecarArgs, type SidecarCommand } from "./daprd-flags.js";
import type { Child, ChildRegistry } from "./procs.js";
import { sidecarPorts, type SidecarPorts } from "./ports.js";

// The tsx loader as a file URL (works from node, tsx and vitest alike).
const TSX_IMPORT = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
export const APPS_DIR = fileURLToPath(new URL("./apps/", import.meta.url));

export class PairStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PairStartError";
  }
}

export interface PairOptions {
  registry: ChildRegistry;
  daprd: string;
  /** Pod name: consumer-3, producer. */
  name: string;
  appId: string;
  /** Consumers: the app gets the jobs binding, readiness = daprd's first healthy app probe (bindings start then). */
  role: "consumer" | "producer";
  resourcesDir: string;
  logDir: string;
  runId: string;
  appScript: string;
  appEnv: Record<string, string>;
  /** --dapr-block-shutdown-duration (wall seconds), where daprd has it (1.12+): daprd stops its input bindings, lets in-flight work finish, then waits for this or an unhealthy app. */
  blockShutdownSeconds?: number;
  gracefulShutdownSeconds: number;
  /** Called (once) for an exit of either process that was not asked for. */
  onUnexpectedExit?: (p: Pair, which: "daprd" | "app") => void;
}

interface DaprLogLine {
  level?: string;
  msg?: string;
}

function parseDaprLine(line: string): DaprLogLine {
  if (line.startsWith("{")) {
    try {
      return JSON.parse(line) as DaprLogLine;
    } catch {
      /* fall through */
    }
  }
  const m = /level=(\w+) msg="((?:[^"\\]|\\.)*)"/.exec(line);
  return m ? { level: m[1], msg: m[2] } : { msg: line };
}

export class Pair {
  readonly name: string;
  ports!: SidecarPorts;
  daprd!: Child;
  app!: Child;
  /** The daprd command line and how that daprd shuts down (real/daprd-flags.ts). */
  command!: SidecarCommand;
  /** performance.now() of the moments that define readiness. */
  spawnedAt = 0;
  readyAt: number | null = null;
  /** Set when the harness stops or kills the pair: exits are expected from then on. */
  stopping = false;
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;
  private daprdInitialized = false;
  private appHealthy = false;
  private appListening = false;
  private fatal: string | null = null;
  private reportedExit = false;

  private constructor(private o: PairOptions) {
    this.name = o.name;
    this.ready = new Promise<void>((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => undefined);
  }

  static async start(o: PairOptions): Promise<Pair> {
    const p = new Pair(o);
    await p.spawn();
    return p;
  }

  private async spawn(): Promise<void> {
    const o = this.o;
    this.ports = await sidecarPorts();
    const pt = this.ports;
    const info = probeDaprd(o.daprd);
    let configFile: string | undefined;
    if (o.role === "consumer") {
      configFile = join(o.logDir, `${o.name}.dapr-config.yaml`);
      writeFileSync(configFile, configurationYaml(`kedasim-${o.name}`));
    }
    // Consumers: health checks start the input bindings on the first healthy probe (our readiness
    // signal), stop them when the app dies (no hot nack loop), and end a block-shutdown as soon as
    // the app has exited. Which flags this daprd has: real/daprd-flags.ts.
    this.command = sidecarArgs(info, {
      appId: o.appId,
      appPort: pt.app,
      httpPort: pt.daprHttp,
      grpcPort: pt.daprGrpc,
      internalGrpcPort: pt.daprInternalGrpc,
      metricsPort: pt.metrics,
      resourcesDir: o.resourcesDir,
      configFile,
      healthCheck: o.role === "consumer",
      gracefulShutdownSeconds: o.gracefulShutdownSeconds,
      blockShutdownSeconds: o.blockShutdownSeconds,
    });
    const args = this.command.args;
    const baseEnv: NodeJS.ProcessEnv = { ...process.env, DAPR_HOST_IP: "127.0.0.1", KEDASIM_RUN: o.runId };
    delete baseEnv.DAPR_SCHEDULER_HOST_ADDRESS_DNS_A;
    delete baseEnv.DAPR_PLACEMENT_HOST_ADDRESS;
    this.spawnedAt = performance.now();
    this.daprd = o.registry.spawn({
      label: `daprd ${o.name}`,
      cmd: o.daprd,
      args,
      env: baseEnv,
      logFile: join(o.logDir, `${o.name}.daprd.log`),
      onLine: (l) => this.onDaprLine(l),
      keepLines: 60,
    });
    this.app = o.registry.spawn({
      label: `app ${o.name}`,
      cmd: process.execPath,
      args: ["--import", TSX_IMPORT, o.appScript, `--kedasim-run=${o.runId}`, `--pod=${o.name}`],
      env: {
        ...baseEnv,
        APP_PORT: String(pt.app),
        DAPR_HTTP_PORT: String(pt.daprHttp),
        DAPR_GRPC_PORT: String(pt.daprGrpc),
        APP_ID: o.appId,
        KEDASIM_POD: o.name,
        ...o.appEnv,
      },
      logFile: join(o.logDir, `${o.name}.app.log`),
      onLine: (l) => {
        if (/listening on/.test(l)) {
          this.appListening = true;
          this.checkReady();
        }
      },
    });
    for (const [which, c] of [["daprd", this.daprd], ["app", this.app]] as const) {
      void c.exitedPromise.then(() => this.onExit(which, c));
    }
  }

  private onDaprLine(line: string): void {
    const j = parseDaprLine(line);
    const msg = j.msg ?? "";
    if (j.level === "fatal" && !this.fatal) this.fatal = msg;
    if (msg.startsWith("dapr initialized")) {
      this.daprdInitialized = true;
      this.checkReady();
    } else if (msg === "App entered healthy status") {
      this.appHealthy = true;
      this.checkReady();
    }
  }

  private checkReady(): void {
    if (this.readyAt !== null) return;
    const ok = this.o.role === "consumer" ? this.appHealthy : this.daprdInitialized && this.appListening;
    if (!ok) return;
    this.readyAt = performance.now();
    this.resolveReady();
  }

  private onExit(which: "daprd" | "app", c: Child): void {
    if (this.readyAt === null && !this.stopping) {
      this.rejectReady(new PairStartError(this.failureText(which, c)));
      return;
    }
    if (!this.stopping && !this.reportedExit) {
      this.reportedExit = true;
      this.o.onUnexpectedExit?.(this, which);
    }
  }

  /** "daprd of consumer-2 exited with code 1 before it was ready: <fatal>" + the last lines of its log. */
  failureText(which: "daprd" | "app", c: Child, what = "before it was ready"): string {
    const lines: string[] = [];
    const head = `${which} of ${this.name} ${c.describeExit()} ${what}` + (which === "daprd" && this.fatal ? `: ${this.fatal}` : "");
    lines.push(head);
    lines.push(...this.logTails());
    return lines.join("\n");
  }

  logTails(n = 15): string[] {
    const out: string[] = [];
    for (const c of [this.daprd, this.app]) {
      const tail = c.lastLines(n).map((l) => {
        const j = parseDaprLine(l);
        return c === this.daprd && j.msg !== undefined && j.level ? `${j.level}: ${j.msg}` : l;
      });
      out.push(`--- last lines of ${c.label}'s log (${c.logFile}):`);
      out.push(...(tail.length ? tail.map((l) => "    " + l) : ["    (empty)"]));
    }
    return out;
  }

  /** Wait for readiness, failing after timeoutMs with the daprd/app log tails. */
  async waitReady(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.ready,
        new Promise<never>((_, rej) => {
          timer = setTimeout(() => {
            const state = this.o.role === "consumer" ? "daprd never saw a healthy app (no \"App entered healthy status\")" : `daprd initialized: ${this.daprdInitialized}, app listening: ${this.appListening}`;
            rej(new PairStartError([`${this.name} did not become ready within ${(timeoutMs / 1000).toFixed(1)} s (${state})${this.fatal ? `; daprd fatal: ${this.fatal}` : ""}`, ...this.logTails()].join("\n")));
          }, timeoutMs);
        }),
      ]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  get exited(): boolean {
    return this.daprd.exited && this.app.exited;
  }

  whenExited(): Promise<void> {
    return Promise.all([this.daprd.exitedPromise, this.app.exitedPromise]).then(() => undefined);
  }

  /** Kubernetes-style termination: SIGTERM to every container at once. */
  terminate(): void {
    this.stopping = true;
    this.daprd.signal("SIGTERM");
    this.app.signal("SIGTERM");
  }

  kill(): void {
    this.stopping = true;
    this.daprd.signal("SIGKILL");
    this.app.signal("SIGKILL");
  }
}
