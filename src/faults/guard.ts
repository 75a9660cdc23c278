import { NotAllowed } from './errors.js';

export interface SafetyPolicy {
  /** Namespaces the tool may change (GAMEDAY_NAMESPACE_ALLOWLIST). */
  allowlist: readonly string[];
  /** The run's explicit consent to faults that break the whole mesh. */
  allowMeshWide: boolean;
}

/**
 * Checked before any write: the target namespace must be allowlisted, and a mesh-wide
 * fault needs `allowMeshWide` on the run as well. Whatever a scenario asks, the tool never
 * changes a namespace outside the allowlist.
 */
export function assertAllowed(
  policy: SafetyPolicy,
  target: { namespace: string; meshWide: boolean; faultType: string },
): void {
  if (!policy.allowlist.includes(target.namespace)) {
    throw new NotAllowed(
      `namespace ${target.namespace} is not in the allowlist (GAMEDAY_NAMESPACE_ALLOWLIST: ${policy.allowlist.join(', ') || 'empty'}); the tool will not change it`,
    );
  }
  if (target.meshWide && !policy.allowMeshWide) {
    throw new NotAllowed(
      `${target.faultType} affects the whole mesh: start the run with allowMeshWide: true to confirm`,
      'mesh-wide-consent',
    );
  }
}
