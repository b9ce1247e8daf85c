// Small HTTPS client for health endpoints that need client certificates (kube-apiserver /readyz) or
// accept self-signed serving certificates (controller-manager and scheduler /healthz on loopback).
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  /** Loopback health endpoints with self-signed certificates (controller-manager, scheduler). */
  insecure?: boolean;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

export function httpGet(url: string, tls: TlsFiles = {}, timeoutMs = 3000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const opts: https.RequestOptions = { method: "GET", timeout: timeoutMs };
    if (u.protocol === "https:") {
      if (tls.ca) opts.ca = readFileSync(tls.ca);
      if (tls.cert) opts.cert = readFileSync(tls.cert);
      if (tls.key) opts.key = readFileSync(tls.key);
      if (tls.insecure) opts.rejectUnauthorized = false;
    }
    const req = (u.protocol === "https:" ? https : http).request(u, opts, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        if (body.length < 65536) body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** null when GET url answers 200, else why not (for readiness polling). */
export async function probe(url: string, tls: TlsFiles = {}, timeoutMs = 3000): Promise<string | null> {
  try {
    const r = await httpGet(url, tls, timeoutMs);
    return r.status === 200 ? null : `HTTP ${r.status}: ${r.body.trim().split("\n").slice(0, 3).join(" / ").slice(0, 300)}`;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return err.code ? `${err.code} ${err.message}` : err.message;
  }
}
