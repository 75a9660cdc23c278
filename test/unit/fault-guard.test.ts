import { describe, expect, it } from 'vitest';
import { NotAllowed } from '../../src/faults/errors.js';
import { assertAllowed } from '../../src/faults/guard.js';

const allowlist = ['istio-system', 'payments'];

describe('assertAllowed', () => {
  it('lets an allowlisted namespace through', () => {
    expect(() =>
      assertAllowed(
        { allowlist, allowMeshWide: false },
        { namespace: 'payments', meshWide: false, faultType: 'deny-policy' },
      ),
    ).not.toThrow();
    expect(() =>
      assertAllowed(
        { allowlist, allowMeshWide: true },
        { namespace: 'istio-system', meshWide: true, faultType: 'istiod-oom' },
      ),
    ).not.toThrow();
  });

  it('refuses a namespace outside the allowlist, even for a mesh-wide run', () => {
    const attempt = () =>
      assertAllowed(
        { allowlist, allowMeshWide: true },
        { namespace: 'kube-system', meshWide: false, faultType: 'deny-policy' },
      );
    expect(attempt).toThrow(NotAllowed);
    expect(attempt).toThrow(
      'namespace kube-system is not in the allowlist (GAMEDAY_NAMESPACE_ALLOWLIST: istio-system, payments)',
    );
  });

  it('refuses a mesh-wide fault without allowMeshWide', () => {
    const attempt = () =>
      assertAllowed(
        { allowlist, allowMeshWide: false },
        { namespace: 'istio-system', meshWide: true, faultType: 'istiod-oom' },
      );
    expect(attempt).toThrow(
      'istiod-oom affects the whole mesh: start the run with allowMeshWide: true to confirm',
    );
  });

  it('refuses everything with an empty allowlist', () => {
    expect(() =>
      assertAllowed(
        { allowlist: [], allowMeshWide: true },
        { namespace: 'payments', meshWide: false, faultType: 'deny-policy' },
      ),
    ).toThrow('GAMEDAY_NAMESPACE_ALLOWLIST: empty');
  });
});
