// ScaledObject annotations read as KEDA reads them.
// Source (read, not copied): kedacore/keda apis/keda/v1alpha1/scaledobject_types.go getBoolAnnotation
// (NeedToPauseScaleIn, NeedToPauseScaleOut, NeedToForceActivation, NeedToBePausedByAnnotation):
// absent => false; otherwise Go's strconv.ParseBool, and a value it cannot parse counts as true.

/** strconv.ParseBool's accepted spellings. */
const GO_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const GO_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** getBoolAnnotation: absent -> false; ParseBool's value; unparsable (e.g. "yes", "") -> true. */
export function boolAnnotation(annotations: Record<string, unknown>, key: string): boolean {
  if (!Object.prototype.hasOwnProperty.call(annotations, key)) return false;
  const v = String(annotations[key]);
  if (GO_TRUE.has(v)) return true;
  if (GO_FALSE.has(v)) return false;
  return true;
}

/** Thrown for an annotation KEDA's controller could not use (the loader turns it into exit 2). */
export class AnnotationError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path}: ${expected}`);
  }
}

/** What the ScaledObject's KEDA annotations set (absent fields: not set). */
export interface PauseAnnotations {
  paused?: true;
  pausedReplicas?: number;
  forceActivation?: true;
  pausedScaleIn?: true;
  pausedScaleOut?: true;
}

/**
 * autoscaling.keda.sh/paused, paused-replicas, force-activation, paused-scale-in and
 * paused-scale-out (scaledobject_types.go NeedToBePausedByAnnotation, GetPausedReplicaCount,
 * NeedToForceActivation, NeedToPauseScaleIn, NeedToPauseScaleOut). paused-replicas is
 * read with strconv.ParseInt(val, 10, 32); a value it rejects makes upstream's reconcile fail
 * ("failed to parse paused replica count"), so it is rejected here, naming the annotation.
 * A negative count is rejected too: the scale subresource refuses spec.replicas < 0.
 */
export function pauseAnnotations(
  annotations: Record<string, unknown>,
  where: string,
): PauseAnnotations {
  const out: PauseAnnotations = {};
  if (boolAnnotation(annotations, "autoscaling.keda.sh/paused")) out.paused = true;
  if (boolAnnotation(annotations, "autoscaling.keda.sh/force-activation")) out.forceActivation = true;
  if (boolAnnotation(annotations, "autoscaling.keda.sh/paused-scale-in")) out.pausedScaleIn = true;
  if (boolAnnotation(annotations, "autoscaling.keda.sh/paused-scale-out")) out.pausedScaleOut = true;
  const key = "autoscaling.keda.sh/paused-replicas";
  if (Object.prototype.hasOwnProperty.call(annotations, key)) {
    const raw = String(annotations[key]);
    const n = /^[+-]?[0-9]{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(n) || n > 2147483647 || n < -2147483648) {
      throw new AnnotationError(`${where}["${key}"]`, `expected a 32-bit decimal integer (KEDA GetPausedReplicaCount: strconv.ParseInt(value, 10, 32)), got "${raw}"`);
    }
    if (n < 0) throw new AnnotationError(`${where}["${key}"]`, `expected >= 0 (the scale subresource rejects spec.replicas ${n}), got "${raw}"`);
    out.pausedReplicas = n;
  }
  return out;
}
