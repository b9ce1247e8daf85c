// Paths into a scenario or its ScaledObject, and the values a sweep gives them (issue 18).
//
//   cooldownPeriod=30,60,120,300                                   ScaledObject spec (the default)
//   triggers[0].metadata.messageCount=2..10                        a range, step 1 (2..10:2 = step 2)
//   advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds=0,60,300
//   consumer.startupDelay=[0, 10, {dist: uniform, min: 10, max: 30}]   a YAML flow list of any values
//   hpa.downscaleStabilizationSeconds=60,300                       a scenario field (first segment is one)
//   scaledObject.metadata.annotations["autoscaling.keda.sh/paused-scale-in"]=true,false
//
// A path whose first segment is a top-level scenario field (name, producers, consumer, hpa, ...)
// points into the scenario file; `scaledObject.` points at the ScaledObject document; `spec.` or any
// other first segment points into the ScaledObject's spec, which is where users' knobs live.
// The value `null` removes the field, so the default applies (e.g. no `behavior` = the legacy HPA).
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { scenarioSchema, scaledObjectSpecV1, scaledObjectSpecV2 } from "../scenario/schema.js";

export type Segment = string | number;

/** Where a path points: the scenario document, or the ScaledObject document (root). */
export interface ResolvedPath {
  /** What the user typed (tables and CSV columns use it). */
  text: string;
  target: "scenario" | "scaledObject";
  /** Segments from the target document's root (ScaledObject paths include "spec"). */
  segments: Segment[];
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface VarySpec {
  path: ResolvedPath;
  values: Json[];
}

/** A bad --vary/--bound argument; the CLI prints it and exits 2. */
export class WhatIfInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WhatIfInputError";
  }
}

/** Ctrl-C before there was anything to report (the CLI exits 130, as for an interrupted sweep). */
export class WhatIfInterrupted extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WhatIfInterrupted";
  }
}

const SCENARIO_KEYS: readonly string[] = Object.keys(scenarioSchema.shape);
/** No sweep may produce more values for one field than this (a typo like 1..1e9 must not eat memory). */
export const MAX_VALUES_PER_FIELD = 10_000;

/** Parse `a.b[0]["x.y"].c` into segments. */
export function parseSegments(text: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new WhatIfInputError(`--vary ${text}: ${why}`);
  };
  if (text.trim() === "") fail("empty path");
  while (i < text.length) {
    const c = text[i];
    if (c === ".") {
      if (i === 0 || i === text.length - 1 || text[i + 1] === "." || text[i + 1] === "[") fail(`unexpected "." at character ${i + 1}`);
      i++;
      continue;
    }
    if (c === "[") {
      const close = text.indexOf("]", i);
      if (close < 0) fail(`"[" at character ${i + 1} is not closed`);
      const inner = text.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (/^"[^"]*"$/.test(inner) || /^'[^']*'$/.test(inner)) out.push(inner.slice(1, -1));
      else fail(`[${inner}] must be a list index such as [0] or a quoted key such as ["a.b"]`);
      i = close + 1;
      if (i < text.length && text[i] !== "." && text[i] !== "[") fail(`expected "." or "[" after "]" at character ${i + 1}`);
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== "." && text[j] !== "[") j++;
    const key = text.slice(i, j);
    if (!/^[A-Za-z0-9_$-]+$/.test(key)) fail(`"${key}" is not a field name (letters, digits, _ and -; quote other keys as ["..."])`);
    out.push(key);
    i = j;
  }
  return out;
}

export function formatSegments(segs: readonly Segment[]): string {
  let s = "";
  for (const p of segs) {
    if (typeof p === "number") s += `[${p}]`;
    else if (/^[A-Za-z0-9_$-]+$/.test(p)) s += s ? `.${p}` : p;
    else s += `[${JSON.stringify(p)}]`;
  }
  return s;
}

/** Which document a path points into, and its segments from that document's root. */
export function resolvePath(text: string): ResolvedPath {
  const segs = parseSegments(text.trim());
  const first = segs[0];
  if (typeof first === "number") throw new WhatIfInputError(`--vary ${text}: a path starts with a field name, not an index`);
  if (first === "scaledObject") {
    if (segs.length < 2) throw new WhatIfInputError(`--vary ${text}: name a field of the ScaledObject, e.g. scaledObject.spec.cooldownPeriod`);
    return { text: text.trim(), target: "scaledObject", segments: segs.slice(1) };
  }
  if (SCENARIO_KEYS.includes(first)) return { text: text.trim(), target: "scenario", segments: segs };
  if (first === "spec") return { text: text.trim(), target: "scaledObject", segments: segs };
  return { text: text.trim(), target: "scaledObject", segments: ["spec", ...segs] };
}

/** Split at top-level commas (not inside [], {} or quotes). */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = "";
  for (const c of s) {
    if (quote) {
      cur += c;
      if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    if (c === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function scalar(item: string): Json {
  const t = item.trim();
  if (t === "null" || t === "~") return null;
  if (t === "true") return true;
  if (t === "false") return false;
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^".*"$/.test(t) || /^'.*'$/.test(t)) return t.slice(1, -1);
  if (t.startsWith("{")) return parseFlow(t, t);
  return t;
}

function parseFlow(text: string, where: string): Json {
  try {
    return parseYaml(text) as Json;
  } catch (e) {
    throw new WhatIfInputError(`${where}: not a valid YAML flow value (${(e as Error).message.split("\n")[0]})`);
  }
}

/** `lo..hi` or `lo..hi:step` → the values, or null when `item` is not a range. */
function range(item: string, pathText: string): number[] | null {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)\s*(?::\s*(\d+(?:\.\d+)?))?\s*$/.exec(item);
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  const step = m[3] === undefined ? 1 : Number(m[3]);
  if (!(step > 0)) throw new WhatIfInputError(`--vary ${pathText}=${item}: the step must be > 0`);
  if (hi < lo) throw new WhatIfInputError(`--vary ${pathText}=${item}: empty range (${hi} < ${lo}); write it as ${hi}..${lo}`);
  const n = Math.floor((hi - lo) / step + 1e-9) + 1;
  if (n > MAX_VALUES_PER_FIELD) throw new WhatIfInputError(`--vary ${pathText}=${item}: ${n} values, more than ${MAX_VALUES_PER_FIELD} for one field`);
  // Multiply instead of accumulating, so 0..1:0.1 gives 0.3, not 0.30000000000000004.
  const digits = Math.max(decimals(m[1]), decimals(m[3] ?? "1"));
  return Array.from({ length: n }, (_, k) => Number((lo + k * step).toFixed(digits)));
}

const decimals = (s: string) => (s.includes(".") ? s.split(".")[1].length : 0);

/** Parse the right-hand side of `path=values`. */
export function parseValues(text: string, pathText: string): Json[] {
  const t = text.trim();
  if (t === "") throw new WhatIfInputError(`--vary ${pathText}=: no values (give a list such as 30,60,120 or a range such as 2..10)`);
  let values: Json[];
  if (t.startsWith("[")) {
    const v = parseFlow(t, `--vary ${pathText}`);
    if (!Array.isArray(v)) throw new WhatIfInputError(`--vary ${pathText}: expected a YAML list such as [0, 10, {dist: exponential, mean: 5}]`);
    values = v;
  } else {
    values = [];
    for (const item of splitTopLevel(t)) {
      if (item.trim() === "") throw new WhatIfInputError(`--vary ${pathText}=${text}: an empty value between commas`);
      const r = range(item, pathText);
      if (r) values.push(...r);
      else values.push(scalar(item));
    }
  }
  if (values.length === 0) throw new WhatIfInputError(`--vary ${pathText}=${text}: no values`);
  if (values.length > MAX_VALUES_PER_FIELD) throw new WhatIfInputError(`--vary ${pathText}: ${values.length} values, more than ${MAX_VALUES_PER_FIELD} for one field`);
  // Duplicates would only run the same config twice.
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = JSON.stringify(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Parse one `--vary path=values` argument. */
export function parseVary(arg: string): VarySpec {
  const eq = findAssignment(arg);
  if (eq < 0) throw new WhatIfInputError(`--vary ${arg}: expected path=values, e.g. cooldownPeriod=30,60,120,300`);
  const path = resolvePath(arg.slice(0, eq));
  return { path, values: parseValues(arg.slice(eq + 1), path.text) };
}

/** The "=" that separates path and values: the first one outside [..] (a quoted key may contain "="). */
function findAssignment(arg: string): number {
  let depth = 0;
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === "=" && depth === 0) return i;
  }
  return -1;
}

// ---------------------------------------------------------------- reading and writing documents

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (isObject(v)) return "an object";
  return JSON.stringify(v);
}

/** The value at `segs` in `doc`, or undefined. */
export function getAt(doc: unknown, segs: readonly Segment[]): unknown {
  let cur: unknown = doc;
  for (const s of segs) {
    if (typeof s === "number") {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[s];
    } else {
      if (!isObject(cur)) return undefined;
      cur = cur[s];
    }
  }
  return cur;
}

/**
 * Set `segs` to `value` in `doc` (modified in place; null deletes the field). Missing objects on the
 * way are created; list elements are not (an index must exist). Throws WhatIfInputError naming the
 * path and what exists where it stops.
 */
export function setAt(doc: Record<string, unknown>, path: ResolvedPath, value: Json, docName: string): void {
  const segs = path.segments;
  let cur: unknown = doc;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const last = i === segs.length - 1;
    const here = formatSegments(segs.slice(0, i)) || "(the top)";
    if (typeof s === "number") {
      if (!Array.isArray(cur)) {
        throw new WhatIfInputError(`--vary ${path.text}: ${docName} ${here} is ${cur === undefined ? "not there" : describeValue(cur)}, not a list, so [${s}] does not exist`);
      }
      if (s >= cur.length) {
        throw new WhatIfInputError(`--vary ${path.text}: ${docName} ${here} has ${cur.length} element${cur.length === 1 ? "" : "s"} (${cur.map((_, k) => `[${k}]`).join(", ") || "none"}), so [${s}] does not exist`);
      }
      if (last) {
        if (value === null) cur.splice(s, 1);
        else cur[s] = value;
        return;
      }
      if (cur[s] === undefined || cur[s] === null) cur[s] = typeof segs[i + 1] === "number" ? [] : {};
      cur = cur[s];
    } else {
      if (!isObject(cur)) {
        throw new WhatIfInputError(`--vary ${path.text}: ${docName} ${here} is ${describeValue(cur)}, not an object with fields, so it has no "${s}"`);
      }
      if (last) {
        if (value === null) delete cur[s];
        else cur[s] = value;
        return;
      }
      if (cur[s] === undefined || cur[s] === null) {
        if (typeof segs[i + 1] === "number") {
          throw new WhatIfInputError(`--vary ${path.text}: ${docName} ${formatSegments(segs.slice(0, i + 1))} is not there, so it has no [${segs[i + 1]}]`);
        }
        cur[s] = {};
      }
      cur = cur[s];
    }
  }
}

// ---------------------------------------------------------------- what exists there (error messages)

type AnyZod = z.ZodType;

/** The fields a zod schema allows at `segs` (unwrapping optional/default/arrays), or null when unknown. */
export function schemaFieldsAt(schema: AnyZod, segs: readonly Segment[]): string[] | null {
  let cur: AnyZod | undefined = schema;
  const unwrap = (s: AnyZod): AnyZod => {
    let x = s as unknown as { _zod: { def: { type: string; innerType?: AnyZod; in?: AnyZod } } };
    for (let k = 0; k < 10; k++) {
      const d = x._zod.def;
      if ((d.type === "optional" || d.type === "default" || d.type === "nullable" || d.type === "prefault") && d.innerType) x = d.innerType as never;
      else if (d.type === "pipe" && d.in) x = d.in as never;
      else break;
    }
    return x as unknown as AnyZod;
  };
  for (const s of segs) {
    if (!cur) return null;
    const u = unwrap(cur) as unknown as { _zod: { def: { type: string; shape?: Record<string, AnyZod>; element?: AnyZod } } };
    const d = u._zod.def;
    if (typeof s === "number") {
      if (d.type !== "array" || !d.element) return null;
      cur = d.element;
    } else {
      if (d.type !== "object" || !d.shape) return null;
      cur = d.shape[s];
    }
  }
  if (!cur) return null;
  const u = unwrap(cur) as unknown as { _zod: { def: { type: string; shape?: Record<string, AnyZod> } } };
  return u._zod.def.type === "object" && u._zod.def.shape ? Object.keys(u._zod.def.shape) : null;
}

/** The deepest existing container along `segs` and the fields it has (for "what exists there"). */
export function existingAt(doc: unknown, segs: readonly Segment[]): { at: Segment[]; fields: string[] } {
  let cur: unknown = doc;
  const at: Segment[] = [];
  for (const s of segs) {
    const next = typeof s === "number" ? (Array.isArray(cur) ? cur[s] : undefined) : isObject(cur) ? cur[s] : undefined;
    if (next === undefined || (typeof next !== "object" && at.length < segs.length - 1)) break;
    if (typeof next !== "object" || next === null) break;
    at.push(s);
    cur = next;
  }
  const fields = Array.isArray(cur) ? cur.map((_, k) => `[${k}]`) : isObject(cur) ? Object.keys(cur) : [];
  return { at, fields };
}

/** The schema a ScaledObject's apiVersion is read with (for listing the fields a path may name). */
export function scaledObjectSchema(apiVersion: string): AnyZod | null {
  if (apiVersion === "keda.sh/v1alpha1") return scaledObjectSpecV2 as unknown as AnyZod;
  if (apiVersion === "keda.k8s.io/v1alpha1") return scaledObjectSpecV1 as unknown as AnyZod;
  return null;
}

/** The last field name of a path (charts label points with it: "queueLength=8"). */
export function shortName(p: ResolvedPath): string {
  for (let i = p.segments.length - 1; i >= 0; i--) if (typeof p.segments[i] === "string") return p.segments[i] as string;
  return p.text;
}

/** Unit of a field, for axis titles: seconds for periods and windows, messages for targets, replicas for counts. */
export function unitOfPath(p: ResolvedPath): string {
  const n = shortName(p);
  if (/(Seconds|Period|Interval|Delay|Time)$/i.test(n) || n === "duration") return "s";
  if (["messageCount", "queueLength", "value", "lagThreshold", "activationMessageCount", "activationValue", "activationLagThreshold"].includes(n)) return "messages per replica";
  if (/ReplicaCount$|^replicas$|initialReplicas/.test(n)) return "replicas";
  return "";
}

export { scenarioSchema };
