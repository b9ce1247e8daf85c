// The daprd command line real mode builds from what a binary lists in --help. Inputs: the --help
// text of daprd 1.9.6 (fixtures/daprd/help-1.9.6.txt, Go's `flag` format) and a pflag-style excerpt
// in the shape newer daprd releases print.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { liveRunLine } from "../reports/report.js";
import {
  configurationYaml,
  daprdNotes,
  jetstreamReadsConsumerMetadata,
  parseDaprdHelp,
  parseDaprdVersion,
  sidecarArgs,
  unsupportedDaprd,
  type DaprdInfo,
  type SidecarSpec,
} from "./daprd-flags.js";

const HELP_196 = readFileSync(new URL("../fixtures/daprd/help-1.9.6.txt", import.meta.url), "utf8");
// pflag prints "      --name type   usage"; some flags have a shorthand ("  -h, --help").
const PFLAG_EXCERPT = [
  "Usage of daprd:",
  "      --app-channel-address string                 The network address the application listens on (default \"127.0.0.1\")",
  "      --app-health-check-path string               Path used for health checks (default \"/healthz\")",
  "      --app-health-probe-interval int              Interval to probe for the health of the app in seconds (default 5)",
  "      --app-health-probe-timeout int               Timeout for app health probes in milliseconds (default 500)",
  "      --app-health-threshold int                   Number of consecutive failures (default 3)",
  "      --app-id string                              A unique ID for Dapr",
  "      --app-port string                            The port the application is listening on",
  "      --dapr-block-shutdown-duration duration      Block shutdown until the app is unhealthy or this duration",
  "      --dapr-graceful-shutdown-seconds int         Graceful shutdown time in seconds (default 5)",
  "      --dapr-grpc-port string                      gRPC port for the Dapr API (default \"50001\")",
  "      --dapr-http-port string                      HTTP port for Dapr API (default \"3500\")",
  "      --dapr-internal-grpc-listen-address string   The listening address for the internal gRPC server",
  "      --dapr-listen-addresses string               One or more addresses for the Dapr API to listen on",
  "      --enable-app-health-check                    Enable health checks for the application",
  "  -h, --help                                       help for daprd",
  "      --log-as-json                                print log as JSON (default false)",
  "      --metrics-listen-address string              The address for the metrics server (default \"0.0.0.0\")",
  "      --resources-path stringArray                 Path for resources directory",
].join("\n");

function info(help: string, version: string): DaprdInfo {
  return { path: "/x/daprd", version, release: parseDaprdVersion(version), flags: parseDaprdHelp(help) };
}

const SPEC: SidecarSpec = {
  appId: "consumer",
  appPort: 4001,
  httpPort: 4002,
  grpcPort: 4003,
  internalGrpcPort: 4004,
  metricsPort: 4005,
  resourcesDir: "/r",
  configFile: "/c.yaml",
  healthCheck: true,
  gracefulShutdownSeconds: 2.2,
  blockShutdownSeconds: 3,
};

/** The value after a flag, or undefined when the flag is not on the command line. */
function valueOf(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe("parseDaprdHelp", () => {
  it("reads Go flag-package help (daprd 1.9): every '  -name' line, nothing from the usage text", () => {
    const f = parseDaprdHelp(HELP_196);
    expect(f.has("app-id")).toBe(true);
    expect(f.has("dapr-graceful-shutdown-seconds")).toBe(true);
    expect(f.has("enable-metrics")).toBe(true);
    expect(f.has("wait")).toBe(true);
    expect(f.has("dapr-block-shutdown-duration")).toBe(false);
    expect(f.has("metrics-listen-address")).toBe(false);
    // as many names as the text has flag lines
    expect(f.size).toBe(HELP_196.split("\n").filter((l) => /^ {2}-[a-z]/.test(l)).length);
  });

  it("reads pflag help (newer daprd), including a flag with a shorthand", () => {
    const f = parseDaprdHelp(PFLAG_EXCERPT);
    expect(f.has("dapr-block-shutdown-duration")).toBe(true);
    expect(f.has("help")).toBe(true);
    expect(f.has("h")).toBe(false);
    expect(f.size).toBe(PFLAG_EXCERPT.split("\n").length - 1);
  });
});

describe("sidecarArgs", () => {
  it("daprd 1.9.6: only flags the binary has; metrics off instead of an all-interfaces listener; graceful-wait shutdown", () => {
    const d = info(HELP_196, "1.9.6");
    const c = sidecarArgs(d, SPEC);
    const flagsUsed = c.args.filter((a) => a.startsWith("--")).map((a) => a.replace(/^--/, "").replace(/=.*$/, ""));
    for (const f of flagsUsed) expect(d.flags.has(f), `--${f}`).toBe(true);
    expect(c.args).toContain("--enable-metrics=false");
    expect(valueOf(c.args, "--metrics-port")).toBeUndefined();
    expect(valueOf(c.args, "--dapr-block-shutdown-duration")).toBeUndefined();
    expect(valueOf(c.args, "--dapr-graceful-shutdown-seconds")).toBe("3"); // whole seconds, rounded up
    expect(valueOf(c.args, "--config")).toBe("/c.yaml");
    expect(c.shutdown).toBe("graceful-wait");
    expect(c.omitted.map((o) => o.split(" ")[0])).toEqual([
      "--app-channel-address",
      "--dapr-internal-grpc-listen-address",
      "--metrics-listen-address",
      "--dapr-block-shutdown-duration",
    ]);
  });

  it("a daprd with the newer flags: loopback for every listener, block-shutdown in ms, nothing omitted", () => {
    const c = sidecarArgs(info(PFLAG_EXCERPT, "1.18.3"), SPEC);
    expect(valueOf(c.args, "--app-channel-address")).toBe("127.0.0.1");
    expect(valueOf(c.args, "--dapr-internal-grpc-listen-address")).toBe("127.0.0.1");
    expect(valueOf(c.args, "--metrics-listen-address")).toBe("127.0.0.1");
    expect(valueOf(c.args, "--metrics-port")).toBe("4005");
    expect(valueOf(c.args, "--dapr-block-shutdown-duration")).toBe("3000ms");
    expect(valueOf(c.args, "--app-health-probe-timeout")).toBe("1000");
    expect(c.args).not.toContain("--enable-metrics=false");
    expect(c.shutdown).toBe("block-then-graceful");
    expect(c.omitted).toEqual([]);
  });

  it("no health check (the producer): no health flags; no block-shutdown asked, none passed", () => {
    const c = sidecarArgs(info(PFLAG_EXCERPT, "1.18.3"), { ...SPEC, healthCheck: false, configFile: undefined, blockShutdownSeconds: undefined, gracefulShutdownSeconds: 0.2 });
    expect(c.args.some((a) => a.includes("health"))).toBe(false);
    expect(valueOf(c.args, "--config")).toBeUndefined();
    expect(valueOf(c.args, "--dapr-block-shutdown-duration")).toBeUndefined();
    expect(valueOf(c.args, "--dapr-graceful-shutdown-seconds")).toBe("1"); // at least 1
  });
});

describe("which daprd real mode accepts", () => {
  it("1.9.6 and newer, and an unstamped build; not 1.8, not a binary without the health-check flags", () => {
    expect(unsupportedDaprd(info(HELP_196, "1.9.6"))).toBeNull();
    expect(unsupportedDaprd(info(PFLAG_EXCERPT.replace(/--app-health-threshold/, "--x"), "1.18.3"))).toMatch(/--app-health-threshold/);
    expect(unsupportedDaprd(info(HELP_196, "1.8.4"))).toMatch(/needs daprd >= 1.9/);
    expect(unsupportedDaprd(info(HELP_196, "edge"))).toBeNull();
  });

  it("pubsub.jetstream consumer metadata: read from 1.10 on", () => {
    expect(jetstreamReadsConsumerMetadata(info(HELP_196, "1.9.6"))).toBe(false);
    expect(jetstreamReadsConsumerMetadata(info(HELP_196, "1.10.0"))).toBe(true);
    expect(jetstreamReadsConsumerMetadata(info(HELP_196, "2.0.0"))).toBe(true);
    expect(jetstreamReadsConsumerMetadata(info(HELP_196, "edge"))).toBe(true);
  });

  it("the notes and the report line name the version, the shutdown behaviour and the missing flags", () => {
    const n = daprdNotes(info(HELP_196, "1.9.6"));
    expect(n.shutdown).toBe("graceful-wait");
    expect(n.missingFlags).toContain("--dapr-block-shutdown-duration");
    expect(n.missingFlags).not.toContain("--app-health-probe-timeout");
    const line = liveRunLine({ daprd: n, rabbitmq: "3.10.8", timeScale: 0.1 })!;
    expect(line).toContain("daprd 1.9.6");
    expect(line).toContain("waits the whole graceful shutdown period");
    expect(line).toContain("`--dapr-block-shutdown-duration`");
    expect(line).toContain("time scale 0.1");
    expect(liveRunLine({})).toBeNull();
  });

  it("the Configuration turns the AppHealthCheck preview feature on", () => {
    expect(configurationYaml("x")).toMatch(/kind: Configuration[\s\S]*- name: AppHealthCheck\n\s+enabled: true/);
  });
});
