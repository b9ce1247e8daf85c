// Helpers for the real-mode tests: prerequisite gating, running the CLI as a child process, and
// finding processes of a run by its marker.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { afterAll, beforeAll } from "vitest";
import { checkPrereqs, SETUP_HINT, type Prereqs } from "./env.js";

export const REPO = fileURLToPath(new URL("..", import.meta.url));
export const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export const IN_CI = process.env.CI === "true";

let cached: Promise<Prereqs> | null = null;
let warned = false;
export function prereqs(): Promise<Prereqs> {
  cached ??= checkPrereqs();
  return cached;
}

/** In CI a missing daprd or RabbitMQ fails the test; elsewhere the test is skipped with the hint. */
export async function requireRealEnv(ctx: { skip: (note?: string) => never }): Promise<Prereqs> {
  const p = await prereqs();
  if (p.ok) return p;
  const why = p.problems.join("; ");
  if (IN_CI) throw new Error(`real-mode prerequisites missing in CI (CI=true): ${why}`);
  if (!warned) {
    warned = true;
    console.warn(`real-mode tests skipped — ${SETUP_HINT} (${why})`);
  }
  ctx.skip(`${SETUP_HINT}: ${why}`);
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliHandle {
  pid: number;
  /** Resolves when stdout (so far) matches. */
  waitFor(re: RegExp, timeoutMs: number): Promise<string>;
  done: Promise<CliRun>;
  kill(sig: NodeJS.Signals): void;
}

/** `node --import tsx real/cli.ts ...args` (not via npm, so signals reach the harness itself). */
export function startCli(args: string[], env: Record<string, string> = {}): CliHandle {
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", TSX, CLI, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ re: RegExp; resolve: (s: string) => void }> = [];
  child.stdout.on("data", (b: Buffer) => {
    stdout += b.toString();
    for (const w of [...waiters]) {
      const m = w.re.exec(stdout);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m[0]);
      }
    }
  });
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<CliRun>((resolve) => {
    child.on("exit", (code, signal) => {
      // let the pipes flush
      setTimeout(() => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }), 50);
    });
  });
  return {
    pid: child.pid ?? -1,
    done,
    kill: (sig) => child.kill(sig),
    waitFor(re, timeoutMs) {
      const m = re.exec(stdout);
      if (m) return Promise.resolve(m[0]);
      return new Promise((resolve, reject) => {
        const w = { re, resolve };
        waiters.push(w);
        const timer = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`no ${re} in the CLI output within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        void done.then(() => {
          clearTimeout(timer);
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`the CLI exited before printing ${re}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
          }
        });
        const orig = w.resolve;
        w.resolve = (s) => {
          clearTimeout(timer);
          orig(s);
        };
      });
    },
  };
}

export async function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 240_000): Promise<CliRun> {
  const h = startCli(args, env);
  const timer = setTimeout(() => h.kill("SIGINT"), timeoutMs);
  try {
    return await h.done;
  } finally {
    clearTimeout(timer);
  }
}

/** Processes whose command line or environment carries `marker` (the run id). */
export function processesWithMarker(marker: string): Array<{ pid: number; cmd: string }> {
  const out: Array<{ pid: number; cmd: string }> = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" ");
      let env = "";
      try {
        env = readFileSync(`/proc/${d}/environ`, "utf8");
      } catch {
        /* not ours to read */
      }
      if (cmd.includes(marker) || env.includes(`KEDASIM_RUN=${marker}`)) out.push({ pid: Number(d), cmd: cmd.slice(0, 200) });
    } catch {
      /* gone */
    }
  }
  return out;
}

export function runIdFor(name: string): string {
  return `t${name}${Date.now().toString(36)}${process.pid.toString(36)}`.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 32);
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Remove a lock whose holder died. Two waiters can both see the dead holder; the one that removed
 * it and took the lock must not then lose it to the other's late removal. So the removal itself is
 * serialised by a second mkdir (`<dir>.takeover`), and under it the holder is read again: only the
 * dead holder's lock is removed. A takeover directory older than 30 s is a waiter that died there.
 */
function removeStaleLock(dir: string, deadHolder: number): void {
  const takeover = `${dir}.takeover`;
  try {
    mkdirSync(takeover);
  } catch {
    try {
      if (Date.now() - statSync(takeover).mtimeMs > 30_000) rmSync(takeover, { recursive: true, force: true });
    } catch {
      /* gone meanwhile */
    }
    return;
  }
  try {
    let now = NaN;
    try {
      now = Number(readFileSync(join(dir, "pid"), "utf8"));
    } catch {
      /* removed meanwhile, or being created: leave it */
    }
    if (now === deadHolder && !pidAlive(now)) rmSync(dir, { recursive: true, force: true });
  } finally {
    rmSync(takeover, { recursive: true, force: true });
  }
}

/**
 * One live test file at a time (real-local and real-cluster): they share 2 CPUs and RabbitMQ, and
 * their tolerances assume they do not compete with each other. A directory lock with the holder's
 * pid; a lock whose holder is gone is taken over. Returns the release function.
 */
export async function liveTestLock(timeoutMs = 600_000, dir = join(tmpdir(), "kedasim-live-tests.lock")): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "pid"), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch {
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(dir, "pid"), "utf8"));
      } catch {
        /* being created or removed */
      }
      const alive = !Number.isFinite(holder) || pidAlive(holder);
      if (!alive) removeStaleLock(dir, holder);
      else if (Date.now() > deadline) throw new Error(`another live test file (pid ${holder}) held ${dir} for ${timeoutMs / 1000} s`);
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Hold the live-test lock for the whole test file (call once at module level); `cleanup` runs after the release. */
export function holdLiveTestLock(cleanup?: () => void): void {
  let release: (() => void) | null = null;
  beforeAll(async () => {
    release = await liveTestLock();
  }, 660_000);
  afterAll(() => {
    release?.();
    cleanup?.();
  });
}
