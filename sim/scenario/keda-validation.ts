// What a cluster accepts for a ScaledObject's replica counts.
// Sources (read, not copied): kedacore/keda apis/keda/v1alpha1/scaledobject_types.go — the CRD
// markers on ScaledObjectSpec (idleReplicaCount, minReplicaCount: +kubebuilder:validation:Minimum=0;
// maxReplicaCount: Minimum=1) and CheckReplicaCountBoundsAreValid, called from
// scaledobject_webhook.go's validation: minReplicas is 0 when minReplicaCount is unset, else
// GetHPAMinReplicas() (which is at least 1), maxReplicas is GetHPAMaxReplicas(); min > max and
// idle >= min are rejected. So idleReplicaCount 0 with an explicit minReplicaCount 0 is accepted
// (0 < GetHPAMinReplicas() = 1), while idleReplicaCount 0 with minReplicaCount unset is not.
import type { ScaledObjectConfig } from "../decisions/keda.js";
import { hpaMinReplicas } from "../decisions/keda.js";

/**
 * The first rule the replica counts break, naming the field and KEDA's rule, or null.
 * `spec`: the keda.sh/v1alpha1 spec as written (to see which fields were set); null for the
 * keda.k8s.io shape (no CRD minimum on maxReplicaCount there; min is treated as set when > 0).
 */
export function replicaCountBoundsError(so: ScaledObjectConfig, spec: Record<string, unknown> | null): { path: string; expected: string } | null {
  if (spec !== null && spec.maxReplicaCount === 0) {
    return { path: "spec.maxReplicaCount", expected: "must be >= 1 (KEDA's CRD: +kubebuilder:validation:Minimum=1; the HPA requires maxReplicas > 0), got 0" };
  }
  const minSet = spec !== null ? spec.minReplicaCount !== undefined && spec.minReplicaCount !== null : so.minReplicaCount > 0;
  const min = minSet ? hpaMinReplicas(so) : 0;
  const max = so.maxReplicaCount;
  if (min > max) {
    return { path: "spec.maxReplicaCount", expected: `MinReplicaCount=${min} must be less than MaxReplicaCount=${max} (KEDA's admission webhook, CheckReplicaCountBoundsAreValid)` };
  }
  if (so.idleReplicaCount !== null && so.idleReplicaCount >= min) {
    return {
      path: "spec.idleReplicaCount",
      expected: `IdleReplicaCount=${so.idleReplicaCount} must be less than MinReplicaCount=${min} (KEDA's admission webhook, CheckReplicaCountBoundsAreValid${minSet ? "" : "; minReplicaCount is unset, so 0"})`,
    };
  }
  return null;
}
