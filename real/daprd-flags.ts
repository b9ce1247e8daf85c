// What a daprd binary can do, read from the binary itself (`--version`, `--help`), and the sidecar
// command line real mode builds from that. Real mode runs with any daprd >= 1.9: kedasim's own
// build (real/daprd, dapr v1.9.6) or the user's (`DAPRD`, `~/.dapr/bin/daprd`, PATH). Flags
// differ between releases — 1.9 has no --dapr-internal-grpc-listen-address, --metrics-listen-address,
// --app-channel-address or --dapr-block-shutdown-duration — so a flag is passed only when the
// binary lists it, and what was left out is said in the run's notes.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";

export interface DaprdVersion {
  major: number;
  minor: number;
  patch: number;
}

export interface DaprdInfo {
  path: string;
  /** What `daprd --version` printed (last line): "1.9.6", "1.14.4", or "edge" for an unstamped build. */
  version: string;
  /** The parsed release number, or null when `version` is not one. */
  release: DaprdVersion | null;
  /** Flag names the binary lists in `--help`, without dashes. */
  flags: ReadonlySet<string>;
}

/**
 * Flag names of a daprd `--help` text. daprd 1.9–1.11 use Go's `flag` package ("  -app-id string"),
 * later releases pflag ("      --app-id string", sometimes "  -x, --name").
 */
export function parseDaprdHelp(text: string): Set<string> {
  const flags = new Set<string>();
  const re = /^\s+(?:-[A-Za-z], )?--?([a-z][a-z0-9-]*)(?=[\s=]|$)/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) flags.add(m[1]!);
  return flags;
}

export function parseDaprdVersion(text: string): DaprdVersion | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : null;
}

const cache = new Map<string, { mtimeMs: number; info: DaprdInfo }>();

/** Runs `daprd --version` and `daprd --help` once per binary (cached by path and mtime). Throws with the reason. */
export function probeDaprd(path: string): DaprdInfo {
  const mtimeMs = statSync(path).mtimeMs;
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.info;
  const run = (arg: string) => {
    const r = spawnSync(path, [arg], { encoding: "utf8", timeout: 15_000, env: { ...process.env, DAPR_HOST_IP: "127.0.0.1" } });
    if (r.error) throw new Error(`${path} ${arg}: ${r.error.message}`);
    return `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
  };
  const versionOut = run("--version").trim().split("\n").filter((l) => l.trim() !== "");
  const version = (versionOut[versionOut.length - 1] ?? "").trim();
  const flags = parseDaprdHelp(run("--help"));
  if (!flags.has("app-id") || !flags.has("resources-path") && !flags.has("components-path")) {
    throw new Error(`${path} does not look like daprd: its --help lists no --app-id / --resources-path`);
  }
  const info: DaprdInfo = { path, version, release: parseDaprdVersion(version), flags };
  cache.set(path, { mtimeMs, info });
  return info;
}

/** Why real mode cannot use this daprd, or null. */
export function unsupportedDaprd(info: DaprdInfo): string | null {
  const r = info.release;
  if (r && (r.major < 1 || (r.major === 1 && r.minor < 9))) return `${info.path} is daprd ${info.version}; real mode needs daprd >= 1.9`;
  for (const f of REQUIRED_FLAGS) if (!info.flags.has(f)) return `${info.path} (daprd ${info.version}) has no --${f}, which real mode needs`;
  return null;
}

const REQUIRED_FLAGS = [
  "app-id",
  "app-port",
  "dapr-http-port",
  "dapr-grpc-port",
  "dapr-listen-addresses",
  "dapr-graceful-shutdown-seconds",
  "enable-app-health-check",
  "app-health-check-path",
  "app-health-probe-interval",
  "app-health-threshold",
  "log-as-json",
] as const;

export interface SidecarSpec {
  appId: string;
  appPort: number;
  httpPort: number;
  grpcPort: number;
  internalGrpcPort: number;
  metricsPort: number;
  resourcesDir: string;
  /** A Dapr Configuration file (see configurationYaml); needed for app health checks on daprd < 1.12. */
  configFile?: string;
  /** Probe GET /healthz every second; input bindings start on the first healthy probe. */
  healthCheck: boolean;
  /** --dapr-graceful-shutdown-seconds (whole seconds, >= 1). */
  gracefulShutdownSeconds: number;
  /** --dapr-block-shutdown-duration, where the binary has it (seconds; 0 or absent: not passed). */
  blockShutdownSeconds?: number;
}

/**
 * How this daprd ends on SIGTERM (the two behaviours real mode sees):
 * - "block-then-graceful" (daprd with --dapr-block-shutdown-duration, 1.12+): input bindings stop,
 *   the Dapr API stays up until the app is unhealthy or the block duration ends, then the graceful
 *   period for outstanding work; exits as soon as that is done.
 * - "graceful-wait" (1.9–1.11; pkg/runtime/runtime.go `Shutdown` at v1.9.6): input bindings and the
 *   Dapr API servers stop at once, then daprd waits the WHOLE --dapr-graceful-shutdown-seconds
 *   before it closes its components and exits. A delivery in flight is acked if the app answers
 *   within that time (the binding's AMQP channel stays open until exit); one the broker pushed after
 *   the binding stopped reading stays unacked until exit and is then requeued.
 */
export type SidecarShutdown = "block-then-graceful" | "graceful-wait";

export interface SidecarCommand {
  args: string[];
  shutdown: SidecarShutdown;
  /** Flags real mode would pass but this binary lacks, with what happens instead. */
  omitted: string[];
}

export function sidecarArgs(info: DaprdInfo, s: SidecarSpec): SidecarCommand {
  const has = (f: string) => info.flags.has(f);
  const omitted: string[] = [];
  const args = [
    "--app-id", s.appId,
    "--app-port", String(s.appPort),
    "--app-protocol", "http",
    "--dapr-http-port", String(s.httpPort),
    "--dapr-grpc-port", String(s.grpcPort),
    "--dapr-internal-grpc-port", String(s.internalGrpcPort),
    "--dapr-listen-addresses", "127.0.0.1",
    "--resources-path", s.resourcesDir,
    "--log-level", "info",
    "--log-as-json",
    "--dapr-graceful-shutdown-seconds", String(Math.max(1, Math.ceil(s.gracefulShutdownSeconds))),
  ];
  if (has("app-channel-address")) args.push("--app-channel-address", "127.0.0.1");
  else omitted.push("--app-channel-address (the app channel goes to localhost)");
  // --dapr-listen-addresses does not cover the internal gRPC server.
  if (has("dapr-internal-grpc-listen-address")) args.push("--dapr-internal-grpc-listen-address", "127.0.0.1");
  else omitted.push("--dapr-internal-grpc-listen-address (the internal gRPC server listens on every interface)");
  if (has("metrics-listen-address")) args.push("--metrics-port", String(s.metricsPort), "--metrics-listen-address", "127.0.0.1");
  else {
    // Its metrics server would listen on every interface; real mode reads no daprd metrics.
    args.push("--enable-metrics=false");
    omitted.push("--metrics-listen-address (metrics off instead: they would listen on every interface)");
  }
  if (s.configFile) args.push("--config", s.configFile);
  if (s.healthCheck) {
    args.push("--enable-app-health-check", "--app-health-check-path", "/healthz", "--app-health-probe-interval", "1", "--app-health-threshold", "1");
    if (has("app-health-probe-timeout")) args.push("--app-health-probe-timeout", "1000");
  }
  const shutdown = shutdownOf(info);
  if (shutdown === "block-then-graceful") {
    if (s.blockShutdownSeconds !== undefined && s.blockShutdownSeconds > 0) {
      args.push("--dapr-block-shutdown-duration", `${Math.round(s.blockShutdownSeconds * 1000)}ms`);
    }
  } else if (s.blockShutdownSeconds !== undefined && s.blockShutdownSeconds > 0) {
    omitted.push("--dapr-block-shutdown-duration (daprd waits the whole graceful shutdown period instead)");
  }
  return { args, shutdown, omitted };
}

/**
 * The Dapr Configuration real mode passes with --config: it turns on the AppHealthCheck preview
 * feature, without which daprd 1.9–1.11 ignore --enable-app-health-check (pkg/runtime/cli.go
 * `FromFlags` at v1.9.6 warns and sets AppHealthCheck to nil). Later releases ignore the flag.
 */
export function configurationYaml(name: string): string {
  return [
    "apiVersion: dapr.io/v1alpha1",
    "kind: Configuration",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    "  features:",
    "    - name: AppHealthCheck",
    "      enabled: true",
    "",
  ].join("\n");
}

function shutdownOf(info: DaprdInfo): SidecarShutdown {
  return info.flags.has("dapr-block-shutdown-duration") ? "block-then-graceful" : "graceful-wait";
}

/**
 * Whether this daprd's pubsub.jetstream takes the consumer's ackPolicy / ackWait / maxAckPending
 * from component metadata: added in components-contrib for Dapr 1.10 (dapr/components-contrib#2180,
 * dapr/docs#2884). Older sidecars need the consumer created beforehand (real/topology/nats.ts
 * `createPushConsumer`). An unstamped build ("edge") is taken to be current.
 */
export function jetstreamReadsConsumerMetadata(info: DaprdInfo): boolean {
  const r = info.release;
  return r === null || r.major > 1 || (r.major === 1 && r.minor >= 10);
}

/** One line for progress output: "daprd 1.9.6 (/path/daprd), shutdown on SIGTERM: graceful-wait". */
export function describeDaprd(info: DaprdInfo): string {
  return `daprd ${info.version} (${info.path}), shutdown on SIGTERM: ${shutdownOf(info)}`;
}

/** Optional flags real mode uses where the binary has them. */
export const OPTIONAL_FLAGS = ["app-channel-address", "dapr-internal-grpc-listen-address", "metrics-listen-address", "dapr-block-shutdown-duration", "app-health-probe-timeout"] as const;

/** What a run's trace header and summary record of the daprd it used (notes.daprd). */
export interface DaprdNotes {
  path: string;
  version: string;
  shutdown: SidecarShutdown;
  /** Optional flags this binary lacks (see sidecarArgs for what happens instead). */
  missingFlags: string[];
}

export function daprdNotes(info: DaprdInfo): DaprdNotes {
  return { path: info.path, version: info.version, shutdown: shutdownOf(info), missingFlags: OPTIONAL_FLAGS.filter((f) => !info.flags.has(f)).map((f) => `--${f}`) };
}
