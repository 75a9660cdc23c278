import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../lab/index.js';
import { NotAllowed } from '../../src/faults/errors.js';
import type { PlannedWrite } from '../../src/faults/fault.js';
import { guardFault } from '../../src/faults/guarded.js';
import { loadScenarioDirectory, type Scenario } from '../../src/scenario/index.js';
import { startFaultTestBed, type FaultTestBed } from '../support/fault-testbed.js';
import { waitFor } from '../support/index.js';

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

let bed: FaultTestBed;
let scenarios: Scenario[];
let requests: AuditEvent[] = [];
let unsubscribe: () => void;

const writes = () => requests.filter((r) => WRITE_VERBS.has(r.verb));

const describeWrite = (w: AuditEvent) => `${w.verb} ${w.resource} in ${w.namespace ?? '-'}`;

/** Proves the audit hook would have seen a write: one made now must show up. */
async function expectAuditSeesWrites(namespace: string, name: string): Promise<void> {
  await bed.admin.core.createNamespacedConfigMap({ namespace, body: { metadata: { name } } });
  await waitFor(() => writes().some((w) => w.resource === 'configmaps'), {
    description: `the audit event of ConfigMap ${name}`,
  });
}

beforeAll(async () => {
  bed = await startFaultTestBed();
  unsubscribe = bed.lab.onRequest((event) => requests.push(event));
  const { documents, errors } = await loadScenarioDirectory('scenarios');
  expect(errors.map(String)).toEqual([]);
  scenarios = documents.filter((doc): doc is Scenario => doc.kind === 'Scenario');
});

afterAll(async () => {
  unsubscribe?.();
  await bed?.lab.stop();
});

describe('the safety guard in front of every fault', () => {
  it('writes nothing for any catalogue scenario whose namespace is outside the allowlist, dry-run included', async () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(4);
    requests = [];
    for (const scenario of scenarios) {
      const namespace = scenario.spec.target.namespace;
      const fault = guardFault(scenario.spec.fault, {
        allowlist: ['some-other-namespace'],
        allowMeshWide: true,
      });
      const planned: PlannedWrite[] = [];
      const ctx = bed.context(`run-${scenario.metadata.name}`, namespace);

      const findings = await fault.preflight(ctx);
      expect(findings, scenario.metadata.name).toEqual([
        {
          severity: 'blocker',
          message: expect.stringContaining(`namespace ${namespace} is not in the allowlist`),
        },
      ]);
      await expect(fault.inject(ctx), scenario.metadata.name).rejects.toThrow(NotAllowed);
      await expect(fault.inject({ ...ctx, dryRun: planned })).rejects.toThrow(NotAllowed);
      expect(planned).toEqual([]);
      expect(await ctx.journal.entries()).toEqual([]);
    }
    // Preflight of a refused fault does not even read the cluster.
    expect(requests).toEqual([]);
    await expectAuditSeesWrites('payments', 'allowlist-marker-1');
    expect(writes().map(describeWrite)).toEqual(['create configmaps in payments']);
  });

  it('refuses a mesh-wide fault in an allowlisted namespace unless the run allows mesh-wide', async () => {
    const meshWide = scenarios.filter((s) => guardFault(s.spec.fault, POLICY_ALL).meshWide);
    expect(meshWide.map((s) => s.spec.fault.type)).toEqual(
      expect.arrayContaining(['istiod-oom', 'port-block', 'cert-expiry']),
    );
    requests = [];
    for (const scenario of meshWide) {
      const fault = guardFault(scenario.spec.fault, { ...POLICY_ALL, allowMeshWide: false });
      const ctx = bed.context(`run-${scenario.metadata.name}`, scenario.spec.target.namespace);
      await expect(fault.inject(ctx), scenario.metadata.name).rejects.toThrow(
        /affects the whole mesh: start the run with allowMeshWide: true/,
      );
      expect(await ctx.journal.entries()).toEqual([]);
    }
    await expectAuditSeesWrites('payments', 'allowlist-marker-2');
    expect(writes().map(describeWrite)).toEqual(['create configmaps in payments']);
  });

  it('dry-run of every catalogue scenario plans its writes and sends none', async () => {
    requests = [];
    for (const scenario of scenarios) {
      const fault = guardFault(scenario.spec.fault, POLICY_ALL);
      const planned: PlannedWrite[] = [];
      const ctx = bed.context(`run-dry-${scenario.metadata.name}`, scenario.spec.target.namespace, {
        dryRun: planned,
      });
      await fault.inject(ctx);
      expect(planned.length, scenario.metadata.name).toBeGreaterThan(0);
      expect(await ctx.journal.entries()).toEqual([]);
    }
    expect(writes().map(describeWrite)).toEqual([]);
    // Dry-run reads the cluster to plan, so the audit hook saw this test's requests.
    expect(requests.length).toBeGreaterThan(0);
  });

  it('lets an allowed fault through, and still reverts it after the allowlist changed', async () => {
    const scenario = scenarios.find((s) => s.spec.fault.type === 'deny-policy');
    if (!scenario) throw new Error('the catalogue has no deny-policy scenario');
    const namespace = scenario.spec.target.namespace;
    const ctx = bed.context('run-allowed', namespace);
    requests = [];
    await guardFault(scenario.spec.fault, { allowlist: [namespace], allowMeshWide: false }).inject(
      ctx,
    );
    expect(writes()).toContainEqual(
      expect.objectContaining({ verb: 'create', resource: 'authorizationpolicies', namespace }),
    );
    const narrowed = guardFault(scenario.spec.fault, { allowlist: [], allowMeshWide: false });
    expect((await narrowed.verify(ctx)).state).toBe('in-effect');
    await narrowed.revert(ctx);
    expect((await narrowed.verify(ctx)).state).toBe('reverted');
  });
});

const POLICY_ALL = {
  allowlist: ['istio-system', 'payments', 'orders', 'frontend'],
  allowMeshWide: true,
};
