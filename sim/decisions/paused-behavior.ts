// The HPA behavior KEDA writes for the paused-scale-in / paused-scale-out annotations.
// Source (read, not copied): kedacore/keda controllers/keda/hpa.go newHPAForScaledObject (v2.18,
// kedacore/keda#6901): with NeedToPauseScaleIn the HPA's behavior.scaleDown.selectPolicy is
// Disabled (resp. scaleUp for NeedToPauseScaleOut), creating behavior / the rules object when nil.
// The behavior is then non-nil, so the API server's defaulting (kubernetes
// pkg/apis/autoscaling/v2/defaults.go GenerateHPAScaleUpRules / GenerateHPAScaleDownRules, here
// resolveBehavior in hpa.ts) fills in the other direction and the controller leaves the legacy
// normalizeDesiredReplicas path. Before v2.18 the annotations only gated KEDA's own scaling in
// pkg/scaling/executor/scale_scaledobjects.go (scaleToZeroOrIdle / scaleFromZeroOrIdle).
import type { HpaBehavior } from "./hpa.js";
import { kedaPausedScaleInHpaBehavior } from "./versions.js";

export function hpaBehaviorForScaledObject(
  behavior: HpaBehavior | null,
  paused: { pausedScaleIn?: boolean; pausedScaleOut?: boolean },
  kedaVersion: string | undefined,
): HpaBehavior | null {
  if (!kedaPausedScaleInHpaBehavior(kedaVersion) || (!paused.pausedScaleIn && !paused.pausedScaleOut)) return behavior;
  const out: HpaBehavior = { ...(behavior ?? {}) };
  if (paused.pausedScaleIn) out.scaleDown = { ...(out.scaleDown ?? {}), selectPolicy: "Disabled" };
  if (paused.pausedScaleOut) out.scaleUp = { ...(out.scaleUp ?? {}), selectPolicy: "Disabled" };
  return out;
}
