// Long-lived processes of the local plane. Each is started detached (its own session, stdin closed,
// stdout+stderr appended to <state>/logs/<name>.log) so it outlives `npm run cluster:setup`; what
// runs is recorded in <state>/plane.json (pid, binary, arguments) so a later setup can tell "already
// running with these flags" from "running with other flags" (restart) and `--stop` stops exactly
// the processes it started, by pid, after checking /proc/<pid>/cmdline still names the binary.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

export interface DaemonRecord {
  name: string;
  pid: number;
  binary: string;
  args: string[];
  env: Record<string, string>;
  log: string;
  startedAt: string;
  /** Where it answers (for the "what runs where" table). */
  address: string;
  version: string;
}

export interface PlaneRecord {
  daemons: Record<string, DaemonRecord>;
}

export function planeFile(stateDir: string): string {
  return join(stateDir, "plane.json");
}

export function readPlane(stateDir: string): PlaneRecord {
  const f = planeFile(stateDir);
  if (!existsSync(f)) return { daemons: {} };
  try {
    const j = JSON.parse(readFileSync(f, "utf8")) as PlaneRecord;
    return j && typeof j === "object" && j.daemons ? j : { daemons: {} };
  } catch {
    return { daemons: {} };
  }
}

export function writePlane(stateDir: string, p: PlaneRecord): void {
  const f = planeFile(stateDir);
  writeFileSync(`${f}.tmp`, JSON.stringify(p, null, 2) + "\n");
  renameSync(`${f}.tmp`, f);
}

/** The process still runs and is still the binary we started (a pid can be reused). */
export function isAlive(d: Pick<DaemonRecord, "pid" | "binary">): boolean {
  try {
    const raw = readFileSync(`/proc/${d.pid}/cmdline`, "utf8");
    const stat = readFileSync(`/proc/${d.pid}/stat`, "utf8");
    // state field after "(comm)": Z = zombie (exited, not reaped)
    if (/\)\s+Z\s/.test(stat)) return false;
    // A process in the middle of exiting has released its memory (empty cmdline) but may still
    // hold its sockets: still alive until it is gone — if it is ours: its comm (the first 15
    // bytes of the executable's name) must match, since a reused pid may be a kernel thread,
    // whose cmdline is empty too.
    if (raw === "") {
      const comm = /^\d+ \((.*)\) /s.exec(stat)?.[1];
      return comm !== undefined && comm === basename(d.binary).slice(0, 15);
    }
    return raw.split("\0")[0] === d.binary;
  } catch {
    return false;
  }
}

export function sameLaunch(a: Pick<DaemonRecord, "binary" | "args" | "env">, b: Pick<DaemonRecord, "binary" | "args" | "env">): boolean {
  return a.binary === b.binary && JSON.stringify(a.args) === JSON.stringify(b.args) && JSON.stringify(a.env) === JSON.stringify(b.env);
}

export function startDaemon(o: { name: string; binary: string; args: string[]; env: Record<string, string>; logDir: string; address: string; version: string }): DaemonRecord {
  if (!existsSync(o.binary)) throw new Error(`${o.name}: binary ${o.binary} is missing (run \`npm run cluster:setup\`, which builds it)`);
  mkdirSync(o.logDir, { recursive: true });
  const log = join(o.logDir, `${o.name}.log`);
  const fd = openSync(log, "a");
  writeFileSync(fd, `\n===== kedasim: ${new Date().toISOString()} starting ${o.binary} ${o.args.join(" ")}\n`);
  const child = spawn(o.binary, o.args, { detached: true, stdio: ["ignore", fd, fd], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", TZ: "UTC", ...o.env } });
  closeSync(fd);
  child.on("error", () => undefined); // reported by the readiness wait (the process is not alive)
  if (child.pid === undefined) throw new Error(`cannot start ${o.binary}`);
  child.unref();
  return { name: o.name, pid: child.pid, binary: o.binary, args: o.args, env: o.env, log, startedAt: new Date().toISOString(), address: o.address, version: o.version };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** SIGTERM, wait up to graceMs, SIGKILL. Resolves to how it ended. */
export async function stopDaemon(d: DaemonRecord, graceMs = 20_000): Promise<"not running" | "stopped" | "killed"> {
  if (!isAlive(d)) return "not running";
  try {
    process.kill(d.pid, "SIGTERM");
  } catch {
    return "not running";
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(d)) return "stopped";
    await sleep(200);
  }
  try {
    process.kill(d.pid, "SIGKILL");
  } catch {
    /* gone */
  }
  for (let i = 0; i < 25 && isAlive(d); i++) await sleep(200);
  return "killed";
}

/** Last n lines of a log file (for error messages). */
export function logTail(file: string, n = 20): string[] {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, "r");
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    closeSync(fd);
    return buf.toString("utf8").split("\n").filter((l) => l.trim() !== "").slice(-n);
  } catch {
    return [];
  }
}
