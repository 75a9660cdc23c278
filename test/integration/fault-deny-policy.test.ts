import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClients } from '../../src/kube/clients.js';
import { denyPolicy, misspell } from '../../src/faults/deny-policy.js';
import { Forbidden, OwnershipConflict } from '../../src/faults/errors.js';
import type { FaultContext, PlannedWrite } from '../../src/faults/fault.js';
import { denyPolicyParams } from '../../src/scenario/fault-params.js';
import { startFaultTestBed, type FaultTestBed } from '../support/fault-testbed.js';
import { waitFor } from '../support/index.js';

const NS = 'orders';
let bed: FaultTestBed;
let admin: KubeClients;

function context(runId: string, kube = admin, extra: Partial<FaultContext> = {}): FaultContext {
  return bed.context(runId, NS, { kube, ...extra });
}

async function policies(runId?: string): Promise<
  Array<{
    metadata: {
      name: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    };
    spec: Record<string, unknown>;
  }>
> {
  const list = (await admin.custom.listNamespacedCustomObject({
    group: 'security.istio.io',
    version: 'v1',
    namespace: NS,
    plural: 'authorizationpolicies',
    ...(runId && { labelSelector: `gameday/run-id=${runId}` }),
  })) as { items: never[] };
  return list.items;
}

beforeAll(async () => {
  bed = await startFaultTestBed();
  admin = bed.admin;
});

afterAll(async () => {
  await bed?.lab.stop();
});

const params = (input: unknown = {}) => denyPolicyParams.parse(input);

describe('deny-policy fault', () => {
  it('injects a DENY policy with the wrong rule, verifies it, and reverts to exactly nothing', async () => {
    const ctx = context('run-deny-1');
    const p = params({
      rule: 'typo-principal',
      principal: 'cluster.local/ns/orders/sa/orders-api',
      selector: { matchLabels: { app: 'orders-api' } },
    });
    expect(await denyPolicy.preflight(ctx, p)).not.toContainEqual(
      expect.objectContaining({ severity: 'blocker' }),
    );
    const before = await policies();

    await denyPolicy.inject(ctx, p);
    expect(await denyPolicy.verify(ctx, p)).toMatchObject({ state: 'in-effect' });
    const [created] = await policies('run-deny-1');
    expect(created?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'gameday',
      'gameday/run-id': 'run-deny-1',
    });
    expect(created?.spec).toEqual({
      action: 'DENY',
      selector: { matchLabels: { app: 'orders-api' } },
      rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/orders/sa/orders-ap'] } }] }],
    });
    expect((await ctx.journal.entries()).map((e) => e.state)).toEqual(['applied']);

    await denyPolicy.revert(ctx, p);
    expect(await denyPolicy.verify(ctx, p)).toMatchObject({ state: 'reverted' });
    expect(await policies('run-deny-1')).toEqual([]);
    expect(await policies()).toEqual(before);
  });

  it('is idempotent: a second inject and a second revert change nothing', async () => {
    const ctx = context('run-deny-2');
    const p = params({ rule: 'deny-all' });
    await denyPolicy.inject(ctx, p);
    await denyPolicy.inject(ctx, p);
    expect(await policies('run-deny-2')).toHaveLength(1);
    expect((await policies('run-deny-2'))[0]?.spec.rules).toEqual([{}]);
    await denyPolicy.revert(ctx, p);
    await denyPolicy.revert(ctx, p);
    expect(await policies('run-deny-2')).toEqual([]);
  });

  it('treats a policy someone else already deleted as reverted', async () => {
    const ctx = context('run-deny-3');
    const p = params();
    await denyPolicy.inject(ctx, p);
    const [created] = await policies('run-deny-3');
    await admin.custom.deleteNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1',
      namespace: NS,
      plural: 'authorizationpolicies',
      name: created?.metadata.name ?? '',
    });
    await expect(denyPolicy.revert(ctx, p)).resolves.toBeUndefined();
    expect((await ctx.journal.entries()).map((e) => e.state)).toEqual(['reverted']);
  });

  it("refuses to revert a policy that carries another run's id", async () => {
    const mine = context('run-deny-4');
    const p = params({ name: 'shared-name' });
    await denyPolicy.inject(mine, p);
    // Another run whose journal points at the same object must not delete it.
    const other = context('run-deny-other', admin, { journal: mine.journal });
    await expect(denyPolicy.revert(other, p)).rejects.toThrow(OwnershipConflict);
    expect(await policies('run-deny-4')).toHaveLength(1);
    await denyPolicy.revert(mine, p);
    expect(await policies('run-deny-4')).toEqual([]);
  });

  it('without the create verb fails with Forbidden naming it, and writes nothing', async () => {
    const ctx = context('run-deny-5', bed.readOnly);
    const p = params();
    const error = await denyPolicy.inject(ctx, p).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Forbidden);
    expect((error as Forbidden).retryable).toBe(false);
    expect((error as Error).message).toContain(
      'create authorizationpolicies.security.istio.io in namespace orders',
    );
    expect(await policies('run-deny-5')).toEqual([]);
    expect((await ctx.journal.entries()).map((e) => e.state)).toEqual(['planned']);
  });

  it('dry-run returns the exact object and sends no write', async () => {
    const events: string[] = [];
    const watch = await new Watch(admin.config).watch(
      `/apis/security.istio.io/v1/namespaces/${NS}/authorizationpolicies`,
      { resourceVersion: (await admin.core.listNamespace()).metadata?.resourceVersion ?? '' },
      (phase, object: { metadata: { name: string } }) =>
        events.push(`${phase} ${object.metadata.name}`),
      () => undefined,
    );
    try {
      const planned: PlannedWrite[] = [];
      const ctx = context('run-deny-6', admin, { dryRun: planned });
      await denyPolicy.inject(ctx, params({ rehearse: true }));
      expect(planned).toHaveLength(1);
      expect(planned[0]).toMatchObject({
        verb: 'create',
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        namespace: NS,
        body: {
          metadata: { annotations: { 'istio.io/dry-run': 'true' } },
          spec: { action: 'DENY', rules: [{}] },
        },
      });
      expect(await ctx.journal.entries()).toEqual([]);
      // A real write made afterwards shows up, proving the watch would have seen one.
      await admin.core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name: 'marker' } },
      });
      await admin.custom.createNamespacedCustomObject({
        group: 'security.istio.io',
        version: 'v1',
        namespace: NS,
        plural: 'authorizationpolicies',
        body: {
          apiVersion: 'security.istio.io/v1',
          kind: 'AuthorizationPolicy',
          metadata: { name: 'marker' },
          spec: {},
        },
      });
      await waitFor(() => events.includes('ADDED marker'), { description: 'the marker policy' });
      expect(events).toEqual(['ADDED marker']);
    } finally {
      watch.abort();
    }
  });
});

describe('misspell', () => {
  it.each([
    ['cluster.local/ns/orders/sa/orders-api', 'cluster.local/ns/orders/sa/orders-ap'],
    ['cluster.local/ns/payments/sa/payments', 'cluster.local/ns/payments/sa/paymnts'],
    ['cluster.local/ns/x/sa/xyz', 'cluster.local/ns/x/sa/xyzx'],
  ])('%s → %s', (input, expected) => {
    expect(misspell(input)).toBe(expected);
  });
});
