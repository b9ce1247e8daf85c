// Certificates and the admin kubeconfig of the local plane, made with openssl (generated once into
// the state directory, never into the repo). What kube-apiserver needs on loopback: a cluster CA; a
// serving certificate for 127.0.0.1 / 10.0.0.1 (the first service IP) / kubernetes.default...; an
// admin client certificate in group system:masters; a front-proxy CA and client certificate for the
// aggregation layer (the KEDA metrics adapter); an RSA key pair for service-account tokens.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PORTS } from "./components.js";

export class PkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PkiError";
  }
}

export interface Pki {
  dir: string;
  caCrt: string;
  caKey: string;
  apiserverCrt: string;
  apiserverKey: string;
  adminCrt: string;
  adminKey: string;
  frontProxyCaCrt: string;
  frontProxyClientCrt: string;
  frontProxyClientKey: string;
  saKey: string;
  saPub: string;
  kubeconfig: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.error) throw new PkiError(`cannot run openssl (${r.error.message}); install it (apt-get install openssl)`);
  if (r.status !== 0) throw new PkiError(`openssl ${args.slice(0, 2).join(" ")} failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ")}`);
}

/** A key and a certificate signed by `ca`, with the extensions given (subjectAltName, extendedKeyUsage). */
function signed(dir: string, name: string, subj: string, ca: string, ext: string[]): void {
  if (existsSync(join(dir, `${name}.crt`)) && existsSync(join(dir, `${name}.key`))) return;
  writeFileSync(join(dir, `${name}.ext`), ext.join("\n") + "\n");
  openssl(["genrsa", "-out", `${name}.key`, "2048"], dir);
  openssl(["req", "-new", "-key", `${name}.key`, "-subj", subj, "-out", `${name}.csr`], dir);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.crt`], dir);
}

function selfSignedCa(dir: string, name: string, cn: string): void {
  if (existsSync(join(dir, `${name}.crt`)) && existsSync(join(dir, `${name}.key`))) return;
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "3650", "-sha256", "-subj", `/CN=${cn}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"], dir);
}

export function kubeconfigYaml(o: { server: string; caCrt: string; certFile: string; keyFile: string; user: string }): string {
  const b64 = (f: string) => readFileSync(f).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: kedasim",
    "  cluster:",
    `    server: ${o.server}`,
    `    certificate-authority-data: ${b64(o.caCrt)}`,
    "users:",
    `- name: ${o.user}`,
    "  user:",
    `    client-certificate-data: ${b64(o.certFile)}`,
    `    client-key-data: ${b64(o.keyFile)}`,
    "contexts:",
    "- name: kedasim",
    "  context:",
    "    cluster: kedasim",
    `    user: ${o.user}`,
    "current-context: kedasim",
    "",
  ].join("\n");
}

/** Create whatever is missing (idempotent) and return the paths. */
export function ensurePki(stateDir: string): Pki {
  const dir = join(stateDir, "pki");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  selfSignedCa(dir, "ca", "kedasim-cluster-ca");
  signed(dir, "apiserver", "/CN=kube-apiserver", "ca", [
    "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local",
    "extendedKeyUsage=serverAuth",
    "keyUsage=critical,digitalSignature,keyEncipherment",
  ]);
  signed(dir, "admin", "/O=system:masters/CN=kedasim-admin", "ca", ["extendedKeyUsage=clientAuth", "keyUsage=critical,digitalSignature,keyEncipherment"]);
  selfSignedCa(dir, "front-proxy-ca", "kedasim-front-proxy-ca");
  signed(dir, "front-proxy-client", "/CN=front-proxy-client", "front-proxy-ca", ["extendedKeyUsage=clientAuth", "keyUsage=critical,digitalSignature,keyEncipherment"]);
  if (!existsSync(join(dir, "sa.key")) || !existsSync(join(dir, "sa.pub"))) {
    openssl(["genrsa", "-out", "sa.key", "2048"], dir);
    openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  }
  const p = (f: string) => join(dir, f);
  const kubeconfig = join(stateDir, "admin.kubeconfig");
  const text = kubeconfigYaml({ server: `https://127.0.0.1:${PORTS.apiserver}`, caCrt: p("ca.crt"), certFile: p("admin.crt"), keyFile: p("admin.key"), user: "kedasim-admin" });
  if (!existsSync(kubeconfig) || readFileSync(kubeconfig, "utf8") !== text) writeFileSync(kubeconfig, text, { mode: 0o600 });
  return {
    dir,
    caCrt: p("ca.crt"),
    caKey: p("ca.key"),
    apiserverCrt: p("apiserver.crt"),
    apiserverKey: p("apiserver.key"),
    adminCrt: p("admin.crt"),
    adminKey: p("admin.key"),
    frontProxyCaCrt: p("front-proxy-ca.crt"),
    frontProxyClientCrt: p("front-proxy-client.crt"),
    frontProxyClientKey: p("front-proxy-client.key"),
    saKey: p("sa.key"),
    saPub: p("sa.pub"),
    kubeconfig,
  };
}
