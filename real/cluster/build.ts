// Builds the control-plane binaries from our Go modules (real/cluster/{etcd,kube,keda}) into the
// kedasim cache, never into the repo. A binary that exists in its go.sum-keyed directory is reused;
// a cold build of everything takes tens of minutes on 2 cores (see README-cluster.md), so every
// build prints a line when it starts, a heartbeat every 30 s (packages compiled so far) and its time.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARIES, binDir, moduleDir, VERSIONS, type BinarySpec } from "./components.js";

export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuildError";
  }
}

export interface BuildRecord {
  name: string;
  path: string;
  /** null: it was already built. */
  seconds: number | null;
  bytes: number;
  packagesCompiled: number | null;
}

const GO_ENV = { GOTOOLCHAIN: "local", CGO_ENABLED: "0", GOFLAGS: "-mod=readonly -buildvcs=false" };

export function goVersion(): string {
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local" } });
  if (r.error || r.status !== 0) throw new BuildError(`Go is not installed or not on PATH (${r.error?.message ?? r.stderr.trim()}); building the control plane needs Go >= 1.26`);
  return r.stdout.trim();
}

function checkGo(): void {
  const v = goVersion(); // go1.26.8
  const m = /^go(\d+)\.(\d+)/.exec(v);
  if (!m || Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 26)) {
    throw new BuildError(`${v} is too old: kubernetes ${VERSIONS.kubernetes} and KEDA ${VERSIONS.keda} need Go >= 1.26`);
  }
}

/** `go mod download` for a module (verified against its go.sum); the proxy's refusal is reported as is. */
function download(mod: BinarySpec["module"], say: (l: string) => void): void {
  const dir = moduleDir(mod);
  const t0 = Date.now();
  say(`go mod download in real/cluster/${mod} (GOPROXY=${process.env.GOPROXY ?? spawnSync("go", ["env", "GOPROXY"], { encoding: "utf8" }).stdout.trim()})`);
  const r = spawnSync("go", ["mod", "download"], { cwd: dir, encoding: "utf8", env: { ...process.env, ...GO_ENV }, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    const tail = (r.stderr || r.stdout || "").trim().split("\n").slice(-15).join("\n    ");
    throw new BuildError(`go mod download failed in real/cluster/${mod}:\n    ${tail}`);
  }
  say(`modules of real/cluster/${mod} are in the module cache (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

function buildOne(b: BinarySpec, out: string, say: (l: string) => void): Promise<{ seconds: number; packages: number }> {
  const ldflags = ["-s", "-w", ...b.stamps.map((s) => `-X ${s}`)].join(" ");
  const tmp = `${out}.tmp.${process.pid}`;
  const args = ["build", "-v", "-trimpath", "-ldflags", ldflags, "-o", tmp, b.pkg];
  const t0 = Date.now();
  say(`building ${b.what} (${b.pkg}) → ${out}`);
  return new Promise((resolve, reject) => {
    const child = spawn("go", args, { cwd: moduleDir(b.module), env: { ...process.env, ...GO_ENV }, stdio: ["ignore", "pipe", "pipe"] });
    let packages = 0;
    const errTail: string[] = [];
    let partial = "";
    child.stderr.on("data", (d: Buffer) => {
      partial += d.toString();
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) {
        // -v prints one import path per package it compiles; anything else is an error line.
        if (/^[\w.\-/~]+$/.test(l.trim())) packages++;
        else if (l.trim()) {
          errTail.push(l);
          if (errTail.length > 30) errTail.shift();
        }
      }
    });
    child.stdout.resume();
    const beat = setInterval(() => say(`  … ${b.name}: ${Math.round((Date.now() - t0) / 1000)} s, ${packages} packages compiled`), 30_000);
    child.on("error", (e) => {
      clearInterval(beat);
      reject(new BuildError(`cannot run go build for ${b.name}: ${e.message}`));
    });
    child.on("exit", (code) => {
      clearInterval(beat);
      if (code !== 0) {
        rmSync(tmp, { force: true });
        reject(new BuildError(`go build of ${b.name} (${b.pkg}) failed (exit ${code}):\n    ${errTail.join("\n    ")}`));
        return;
      }
      renameSync(tmp, out);
      resolve({ seconds: (Date.now() - t0) / 1000, packages });
    });
  });
}

/**
 * Make sure every control-plane binary exists. Order: etcd (small), the three Kubernetes binaries
 * (they share most packages, so the second and third are incremental), then KEDA's two.
 */
export async function ensureBinaries(say: (l: string) => void, only?: string[]): Promise<BuildRecord[]> {
  const out: BuildRecord[] = [];
  const downloaded = new Set<string>();
  let checked = false;
  for (const b of BINARIES) {
    if (only && !only.includes(b.name)) continue;
    const dir = binDir(b.module);
    const path = join(dir, b.name);
    if (existsSync(path)) {
      out.push({ name: b.name, path, seconds: null, bytes: statSync(path).size, packagesCompiled: null });
      continue;
    }
    if (!checked) {
      checkGo();
      checked = true;
    }
    if (!downloaded.has(b.module)) {
      download(b.module, say);
      downloaded.add(b.module);
    }
    mkdirSync(dir, { recursive: true });
    const r = await buildOne(b, path, say);
    const bytes = statSync(path).size;
    say(`built ${b.name} in ${r.seconds.toFixed(0)} s (${(bytes / 1e6).toFixed(0)} MB, ${r.packages} packages compiled)`);
    out.push({ name: b.name, path, seconds: r.seconds, bytes, packagesCompiled: r.packages });
    // Build times are measurements worth keeping (README-cluster.md quotes them).
    const logFile = join(dir, "builds.json");
    const prev = existsSync(logFile) ? (JSON.parse(readFileSync(logFile, "utf8")) as unknown[]) : [];
    writeFileSync(logFile, JSON.stringify([...prev, { ...out[out.length - 1], at: new Date().toISOString(), go: goVersion() }], null, 2) + "\n");
  }
  return out;
}
