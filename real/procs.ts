// Child processes of a real-mode run: every daprd and app process is spawned in its own process
// group (detached) and registered here, so the harness can stop all of them — on scale-in, on
// Ctrl-C / SIGTERM, on an error and, as a last resort, synchronously on process exit.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";

export interface ChildOptions {
  /** Short name for messages: "daprd consumer-3", "app producer". */
  label: string;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout+stderr are appended here (one file per process). */
  logFile: string;
  /** Called for every line of stdout/stderr, with the wall time it was read. */
  onLine?: (line: string) => void;
  /** How many log lines to keep in memory for error messages. */
  keepLines?: number;
}

export class Child {
  readonly label: string;
  readonly logFile: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  private tail: string[] = [];
  private keep: number;
  private log: WriteStream;
  exited = false;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exitedPromise: Promise<void>;

  constructor(o: ChildOptions, private registry: ChildRegistry) {
    this.label = o.label;
    this.logFile = o.logFile;
    this.keep = o.keepLines ?? 40;
    this.log = createWriteStream(o.logFile, { flags: "a" });
    this.proc = spawn(o.cmd, o.args, { env: o.env, cwd: o.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    if (this.proc.pid === undefined) {
      // spawn failed synchronously (ENOENT is reported via 'error'); keep a dummy pid.
      this.pid = -1;
    } else this.pid = this.proc.pid;
    let resolveExit!: () => void;
    this.exitedPromise = new Promise<void>((r) => (resolveExit = r));
    const onLine = (line: string) => {
      this.tail.push(line);
      if (this.tail.length > this.keep) this.tail.shift();
      this.log.write(line + "\n");
      o.onLine?.(line);
    };
    for (const s of [this.proc.stdout, this.proc.stderr]) {
      if (s) createInterface({ input: s, crlfDelay: Infinity }).on("line", onLine);
    }
    this.proc.on("error", (e) => {
      onLine(`[kedasim] cannot start ${o.cmd}: ${e.message}`);
      if (!this.exited) {
        this.exited = true;
        this.exitCode = 127;
        registry.forget(this);
        resolveExit();
      }
    });
    this.proc.on("exit", (code, signal) => {
      this.exited = true;
      this.exitCode = code;
      this.exitSignal = signal;
      registry.forget(this);
      // Let the pipes drain before resolving, so the log tail is complete.
      setTimeout(() => {
        this.log.end();
        resolveExit();
      }, 30);
    });
    registry.add(this);
  }

  /** Last lines of stdout/stderr. */
  lastLines(n = 20): string[] {
    return this.tail.slice(-n);
  }

  describeExit(): string {
    if (this.exitSignal) return `was killed by ${this.exitSignal}`;
    return `exited with code ${this.exitCode}`;
  }

  /** Signal the whole process group (the child and anything it spawned). */
  signal(sig: NodeJS.Signals): void {
    if (this.exited || this.pid <= 0) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        process.kill(this.pid, sig);
      } catch {
        /* already gone */
      }
    }
  }
}

export class ChildRegistry {
  private live = new Set<Child>();
  private exitHook = () => this.killAllSync();

  constructor() {
    process.on("exit", this.exitHook);
  }

  spawn(o: ChildOptions): Child {
    return new Child(o, this);
  }

  add(c: Child): void {
    this.live.add(c);
  }

  forget(c: Child): void {
    this.live.delete(c);
  }

  get size(): number {
    return this.live.size;
  }

  all(): Child[] {
    return [...this.live];
  }

  /** SIGTERM every group, wait up to graceMs, then SIGKILL what is left and wait for the exits. */
  async stopAll(graceMs: number): Promise<void> {
    const kids = this.all();
    for (const c of kids) c.signal("SIGTERM");
    await Promise.race([Promise.all(kids.map((c) => c.exitedPromise)), sleep(graceMs)]);
    const left = this.all();
    for (const c of left) c.signal("SIGKILL");
    await Promise.race([Promise.all(left.map((c) => c.exitedPromise)), sleep(2000)]);
  }

  /** Synchronous last resort (process 'exit' handler): SIGKILL every group still registered. */
  killAllSync(): void {
    for (const c of this.live) c.signal("SIGKILL");
  }

  dispose(): void {
    process.off("exit", this.exitHook);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
