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
