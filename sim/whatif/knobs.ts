// The ScaledObject's own knobs that `advise` searches, with default bounds around the user's values.
// Each knob is a path (as sweep's --vary takes it) and a list of values; the user's value (or
// "unset" = KEDA's default) is always one of them, so "change nothing" is in the space.
import { HPA_CONTROLLER_DEFAULTS } from "../decisions/hpa.js";
import { KEDA_DEFAULTS } from "../decisions/keda.js";
import type { WhatIfBase } from "./base.js";
import { getAt, isObject, resolvePath, type Json, type ResolvedPath, type VarySpec, WhatIfInputError } from "./paths.js";

export interface Knob {
  path: ResolvedPath;
  /** Candidate values; null = the field removed (KEDA's/the HPA's default applies). */
  values: Json[];
  /** Index of the user's value (as written, or null when the field is absent). */
  current: number;
  /** What the value means when the field is absent (for display). */
  defaultText: string | null;
}

const uniqSorted = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

/** The path of a field in the ScaledObject: where the user wrote it (v1: maybe under scaleTargetRef), else spec.<name>. */
function soField(base: WhatIfBase, name: string): ResolvedPath {
  const so = base.scaledObject;
  if (base.apiVersion === "keda.k8s.io/v1alpha1" && getAt(so, ["spec", name]) === undefined && getAt(so, ["spec", "scaleTargetRef", name]) !== undefined) {
    return resolvePath(`scaleTargetRef.${name}`);
  }
  return resolvePath(name);
}

/** A knob from candidate numbers; the user's value is added; an absent field is the `null` choice (its default dropped from the list). */
function numberKnob(base: WhatIfBase, path: ResolvedPath, candidates: number[], def: number | null, asString = false): Knob {
  const cur = getAt(base.scaledObject, path.segments);
  const curNum = cur === undefined ? null : Number(cur);
  let nums = uniqSorted(candidates.filter((x) => Number.isFinite(x)));
  if (curNum !== null && Number.isFinite(curNum)) nums = uniqSorted([...nums, curNum]);
  if (cur === undefined && def !== null) nums = nums.filter((x) => x !== def);
  const conv = (x: number): Json => (asString ? String(x) : x);
  const values: Json[] = nums.map(conv);
  let current: number;
  if (cur === undefined) {
    values.unshift(null);
    current = 0;
  } else {
    current = nums.indexOf(curNum!);
    values[current] = cur as Json; // exactly as written ('5' stays a string)
  }
  return { path, values, current, defaultText: cur === undefined && def !== null ? String(def) : null };
}

const TARGET_KEYS = ["messageCount", "queueLength", "value", "lagThreshold"];
const DEFAULT_TARGET_KEY: Record<string, string> = { "azure-servicebus": "messageCount", rabbitmq: "value", kafka: "lagThreshold", "nats-jetstream": "lagThreshold", "aws-sqs-queue": "queueLength", "azure-queue": "queueLength", "redis-streams": "pendingEntriesCount" };

/** The default knob space of a scenario's ScaledObject. */
export function defaultKnobs(base: WhatIfBase): Knob[] {
  const sc = base.scenario.scaledObject;
  const knobs: Knob[] = [];
  // 1. The first trigger's target (HPA proposal = ceil(metric / target)).
  const trig = getAt(base.scaledObject, ["spec", "triggers", 0]);
  if (isObject(trig) && isObject(trig.metadata)) {
    const md = trig.metadata;
    // redis-streams: the mode decides which key is the target (redis_streams_scaler.go Validate).
    const redisKey = trig.type === "redis-streams" ? (md.consumerGroup === undefined ? "streamLength" : md.lagCount !== undefined && String(md.lagCount).trim() !== "0" ? "lagCount" : "pendingEntriesCount") : undefined;
    const key = redisKey ?? TARGET_KEYS.find((k) => md[k] !== undefined) ?? DEFAULT_TARGET_KEY[String(trig.type)];
    if (key) {
      const t = sc.triggers[0].target;
      const cands = [0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 3, 4].map((f) => Math.max(1, Math.round(t * f)));
      knobs.push(numberKnob(base, resolvePath(`triggers[0].metadata.${key}`), cands, md[key] === undefined ? t : null, true));
    }
  }
  // 2. KEDA's loop and its scale to zero.
  knobs.push(numberKnob(base, soField(base, "pollingInterval"), [5, 10, 15, 30, 60], KEDA_DEFAULTS.pollingInterval));
  knobs.push(numberKnob(base, soField(base, "cooldownPeriod"), [0, 15, 30, 60, 120, 300, 600], KEDA_DEFAULTS.cooldownPeriod));
  // 3. Bounds.
  const max = sc.maxReplicaCount;
  knobs.push(numberKnob(base, soField(base, "minReplicaCount"), [0, 1, 2].filter((x) => x <= max), KEDA_DEFAULTS.minReplicaCount));
  knobs.push(numberKnob(base, soField(base, "maxReplicaCount"), [0.5, 1, 1.5, 2, 3].map((f) => Math.max(1, Math.round(max * f))), KEDA_DEFAULTS.maxReplicaCount));
  // 4. HPA behavior (keda.sh/v1alpha1 only: KEDA v1's HPA had none).
  if (base.apiVersion === "keda.sh/v1alpha1") {
    const B = "advanced.horizontalPodAutoscalerConfig.behavior";
    knobs.push(numberKnob(base, resolvePath(`${B}.scaleDown.stabilizationWindowSeconds`), [0, 30, 60, 120, 300], HPA_CONTROLLER_DEFAULTS.downscaleStabilizationSeconds));
    knobs.push(policyKnob(base, `${B}.scaleUp.policies`, [[{ type: "Percent", value: 100, periodSeconds: 15 }], [{ type: "Percent", value: 400, periodSeconds: 15 }], [{ type: "Pods", value: 10, periodSeconds: 15 }]]));
    knobs.push(policyKnob(base, `${B}.scaleDown.policies`, [[{ type: "Percent", value: 100, periodSeconds: 15 }], [{ type: "Percent", value: 50, periodSeconds: 60 }], [{ type: "Pods", value: 1, periodSeconds: 60 }]]));
  }
  return knobs;
}

function policyKnob(base: WhatIfBase, pathText: string, options: Json[]): Knob {
  const path = resolvePath(pathText);
  const cur = getAt(base.scaledObject, path.segments);
  const values: Json[] = [cur === undefined ? null : (cur as Json)];
  for (const o of options) if (JSON.stringify(o) !== JSON.stringify(cur)) values.push(o);
  return { path, values, current: 0, defaultText: cur === undefined ? "the HPA's default" : null };
}

const samePath = (a: ResolvedPath, b: ResolvedPath) => a.target === b.target && JSON.stringify(a.segments) === JSON.stringify(b.segments);

/** Apply --bound (replace or add a knob's values) and --fix (drop a knob). */
export function withBounds(base: WhatIfBase, knobs: Knob[], bounds: readonly VarySpec[], fixed: readonly string[]): Knob[] {
  let out = knobs.slice();
  for (const f of fixed) {
    const p = resolvePath(f);
    const before = out.length;
    out = out.filter((k) => !samePath(k.path, p));
    if (out.length === before) throw new WhatIfInputError(`--fix ${f}: not a knob the search changes (knobs: ${knobs.map((k) => k.path.text).join(", ")})`);
  }
  for (const b of bounds) {
    const cur = getAt(b.path.target === "scenario" ? base.raw : base.scaledObject, b.path.segments);
    const values = b.values.slice();
    // The user's own value stays in the space, so "change nothing" can always be the answer.
    const curJson = cur === undefined ? null : (cur as Json);
    let current = values.findIndex((v) => JSON.stringify(v) === JSON.stringify(curJson) || (cur !== undefined && v !== null && String(v) === String(cur)));
    if (current < 0) {
      values.unshift(curJson);
      current = 0;
    } else values[current] = curJson;
    const k: Knob = { path: b.path, values, current, defaultText: cur === undefined ? "default" : null };
    const i = out.findIndex((x) => samePath(x.path, b.path));
    if (i >= 0) out[i] = k;
    else out.push(k);
  }
  return out;
}

/** How a knob's value reads in tables ("30", "unset (default 300)"). */
export function valueText(k: Knob, i: number): string {
  const v = k.values[i];
  if (v === null) return k.defaultText ? `unset (${k.defaultText})` : "unset";
  return typeof v === "string" ? v : JSON.stringify(v);
}
