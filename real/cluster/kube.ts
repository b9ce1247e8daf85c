// Kubernetes API helpers on @kubernetes/client-node: a KubeConfig from a file, server-side apply of
// manifests (the same as `kubectl apply --server-side`), and waiting for conditions.
import { readFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";

export type Obj = k8s.KubernetesObject & { spec?: unknown; status?: unknown; [k: string]: unknown };

export function loadKubeConfig(file: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** The YAML documents of a file (comments and empty documents dropped). */
export function yamlObjects(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null && typeof o === "object");
}

/** HTTP status of a client-node error (ApiException), or null. */
export function statusOf(e: unknown): number | null {
  const c = (e as { code?: unknown }).code;
  return typeof c === "number" ? c : null;
}

/** Short text of a client-node error: the API's own message when there is one. */
export function apiMessage(e: unknown): string {
  const err = e as { code?: number; body?: unknown; message?: string };
  let body = err.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      /* keep the string */
    }
  }
  const msg = body && typeof body === "object" && "message" in body ? String((body as { message: unknown }).message) : typeof body === "string" && body ? body : err.message ?? String(e);
  return err.code ? `HTTP ${err.code}: ${msg}` : msg;
}

export class Kube {
  readonly kc: k8s.KubeConfig;
  readonly objects: k8s.KubernetesObjectApi;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly custom: k8s.CustomObjectsApi;
  readonly coordination: k8s.CoordinationV1Api;

  constructor(kc: k8s.KubeConfig) {
    this.kc = kc;
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.coordination = kc.makeApiClient(k8s.CoordinationV1Api);
  }

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? "(no cluster in kubeconfig)";
  }

  /** Server-side apply, field manager "kedasim", conflicts forced (we own what we apply). */
  async apply<T extends Obj>(obj: T): Promise<T> {
    // Through loadYaml: client-node serializes known kinds by their TypeScript models and would drop
    // keys spelled the wire way (x-kubernetes-int-or-string in a CRD schema) unless the object was
    // deserialized into the model first. Custom resources pass through unchanged.
    const typed = k8s.loadYaml<T>(JSON.stringify(obj));
    return (await this.objects.patch(typed, undefined, undefined, "kedasim", true, k8s.PatchStrategy.ServerSideApply)) as T;
  }

  async read<T extends Obj>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T | null> {
    try {
      return (await this.objects.read({ apiVersion, kind, metadata: { name, namespace } })) as T;
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  async remove(apiVersion: string, kind: string, name: string, namespace?: string, gracePeriodSeconds?: number): Promise<boolean> {
    try {
      await this.objects.delete({ apiVersion, kind, metadata: { name, namespace } }, undefined, undefined, gracePeriodSeconds, undefined, "Background");
      return true;
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw e;
    }
  }
}

/** Poll fn every intervalMs until it returns a value (not undefined), or throw after timeoutMs with the last reason. */
export async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | { notYet: string }>, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && !(v && typeof v === "object" && "notYet" in (v as object))) return v as T;
      if (v && typeof v === "object" && "notYet" in (v as object)) last = (v as { notYet: string }).notYet;
    } catch (e) {
      last = apiMessage(e);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${(timeoutMs / 1000).toFixed(0)} s${last ? ` (last: ${last})` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
