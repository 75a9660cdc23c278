import { Watch, type V1NetworkPolicy, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KubeClients } from '../../src/kube/clients.js';
import { Forbidden, OwnershipConflict } from '../../src/faults/errors.js';
import type { FaultContext, PlannedWrite } from '../../src/faults/fault.js';
import { portBlock, selectorMatches } from '../../src/faults/port-block.js';
import { portBlockParams } from '../../src/scenario/fault-params.js';
import { startFaultTestBed, type FaultTestBed } from '../support/fault-testbed.js';
import { waitFor } from '../support/index.js';

const NS = 'istio-system';
const ISTIOD = 'app=istiod,istio.io/rev=default';
let bed: FaultTestBed;
let admin: KubeClients;
let readOnly: KubeClients;

function context(runId: string, kube = admin, extra: Partial<FaultContext> = {}): FaultContext {
  return bed.context(runId, NS, { kube, waitTimeoutMs: 10_000, ...extra });
}

async function policies(runId?: string): Promise<V1NetworkPolicy[]> {
  const list = await admin.networking.listNamespacedNetworkPolicy({
    namespace: NS,
    ...(runId && { labelSelector: `gameday/run-id=${runId}` }),
  });
  return list.items;
}

async function istiodPods(): Promise<V1Pod[]> {
  return (await admin.core.listNamespacedPod({ namespace: NS, labelSelector: ISTIOD })).items;
}

const podNames = async (): Promise<string[]> =>
  (await istiodPods()).map((pod) => pod.metadata?.name ?? '').sort();

const params = (input: unknown) => portBlockParams.parse(input);

beforeAll(async () => {
  bed = await startFaultTestBed();
  admin = bed.admin;
  readOnly = bed.readOnly;
});

afterAll(async () => {
  await bed?.lab.stop();
});

describe('port-block fault', () => {
  // Every test starts with istiod's pods present (a restart in an earlier test may still be
  // settling) and without policies; a failed test's leftovers are removed so it fails alone.
  beforeEach(async () => {
    await waitFor(async () => (await istiodPods()).length > 0, { description: 'istiod pods' });
    for (const policy of await policies()) {
      await admin.networking.deleteNamespacedNetworkPolicy({
        namespace: NS,
        name: policy.metadata?.name ?? '',
      });
    }
  });

  it('blocks 15012 with a policy that keeps every other istiod port, and reverts to nothing', async () => {
    const ctx = context('run-block-1');
    const p = params({ ports: [15012], restartControlPlane: false });
    expect(await portBlock.preflight(ctx, p)).not.toContainEqual(
      expect.objectContaining({ severity: 'blocker' }),
    );
    expect(portBlock.meshWide(p)).toBe(true);

    await portBlock.inject(ctx, p);
    expect(await portBlock.verify(ctx, p)).toMatchObject({ state: 'in-effect' });
    const created = await policies('run-block-1');
    expect(created).toHaveLength(1);
    expect(created[0]?.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'gameday',
      'gameday/run-id': 'run-block-1',
    });
    expect(created[0]?.spec).toEqual({
      podSelector: { matchLabels: { app: 'istiod', 'istio.io/rev': 'default' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          ports: [8080, 15010, 15014, 15017].map((port) => ({ port, protocol: 'TCP' })),
        },
      ],
    });
    // The policy selects exactly the istiod pods.
    for (const pod of await istiodPods()) {
      expect(selectorMatches(created[0]?.spec?.podSelector, pod.metadata?.labels ?? {})).toBe(true);
    }
    expect((await ctx.journal.entries()).map((e) => e.state)).toEqual(['applied']);

    await portBlock.revert(ctx, p);
    expect(await portBlock.verify(ctx, p)).toMatchObject({ state: 'reverted' });
    expect(await policies('run-block-1')).toEqual([]);
    expect(await policies()).toEqual([]);
  });

  it('restarts the istiod pods of the revision by default', async () => {
    const ctx = context('run-block-2');
    const p = params({ ports: [15017] });
    const before = await podNames();
    await portBlock.inject(ctx, p);
    // The deletes are sent before inject returns: none of the old pods is left.
    expect((await podNames()).filter((name) => before.includes(name))).toEqual([]);
    const after = await waitFor(
      async () => {
        const names = await podNames();
        return names.length > 0 && names.every((name) => !before.includes(name)) && names;
      },
      { description: 'replacement istiod pods' },
    );
    expect(after).not.toEqual(before);
    expect(
      (await policies('run-block-2'))[0]?.spec?.ingress?.[0]?.ports?.map((p) => p.port),
    ).toEqual([8080, 15010, 15012, 15014]);
    await portBlock.revert(ctx, p);
    expect(await policies('run-block-2')).toEqual([]);
    expect((await ctx.journal.entries()).map((e) => [e.step, e.state])).toEqual([
      ['networkpolicy', 'reverted'],
      ['restart-control-plane', 'reverted'],
    ]);
  });

  it('leaves the istiod pods alone with restartControlPlane: false', async () => {
    const ctx = context('run-block-3');
    const p = params({ ports: [15012], restartControlPlane: false });
    const before = (await istiodPods()).map((pod) => pod.metadata?.uid).sort();
    await portBlock.inject(ctx, p);
    expect((await istiodPods()).map((pod) => pod.metadata?.uid).sort()).toEqual(before);
    expect((await ctx.journal.entries()).map((e) => e.step)).toEqual(['networkpolicy']);
    await portBlock.revert(ctx, p);
  });

  it('is idempotent: a second inject and a second revert change nothing', async () => {
    const ctx = context('run-block-4');
    const p = params({ ports: [15010, 15012] });
    await portBlock.inject(ctx, p);
    const restarted = await waitFor(
      async () => {
        const pods = await istiodPods();
        return pods.length > 0 && pods.map((pod) => pod.metadata?.uid).sort();
      },
      { description: 'replacement istiod pods' },
    );
    await portBlock.inject(ctx, p);
    // No second restart: the pods the first inject brought up are still the ones running.
    expect((await istiodPods()).map((pod) => pod.metadata?.uid).sort()).toEqual(restarted);
    expect(await policies('run-block-4')).toHaveLength(1);
    expect(
      (await policies('run-block-4'))[0]?.spec?.ingress?.[0]?.ports?.map((p) => p.port),
    ).toEqual([8080, 15014, 15017]);
    await portBlock.revert(ctx, p);
    await portBlock.revert(ctx, p);
    expect(await policies('run-block-4')).toEqual([]);
    expect(await portBlock.verify(ctx, p)).toMatchObject({ state: 'reverted' });
  });

  it('treats a policy someone else already deleted as reverted', async () => {
    const ctx = context('run-block-5');
    const p = params({ ports: [15012], restartControlPlane: false });
    await portBlock.inject(ctx, p);
    const [created] = await policies('run-block-5');
    await admin.networking.deleteNamespacedNetworkPolicy({
      namespace: NS,
      name: created?.metadata?.name ?? '',
    });
    expect(await portBlock.verify(ctx, p)).toMatchObject({ state: 'reverted' });
    await expect(portBlock.revert(ctx, p)).resolves.toBeUndefined();
    expect((await ctx.journal.entries()).map((e) => e.state)).toEqual(['reverted']);
  });

  it("refuses to revert a policy that carries another run's id", async () => {
    const mine = context('run-block-6');
    const p = params({ ports: [15012], restartControlPlane: false });
    await portBlock.inject(mine, p);
    // Another run whose journal points at the same object must not delete it.
    const other = context('run-block-other', admin, { journal: mine.journal });
    await expect(portBlock.revert(other, p)).rejects.toThrow(OwnershipConflict);
    expect(await portBlock.verify(other, p)).toMatchObject({ state: 'reverted' });
    expect(await policies('run-block-6')).toHaveLength(1);
    await portBlock.revert(mine, p);
    expect(await policies('run-block-6')).toEqual([]);
  });

  it('without the create verb fails with Forbidden naming it, and writes nothing', async () => {
    const ctx = context('run-block-7', readOnly);
    const p = params({ ports: [15012] });
    const before = await podNames();
    const error = await portBlock.inject(ctx, p).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Forbidden);
    expect((error as Forbidden).retryable).toBe(false);
    expect((error as Error).message).toContain(
      'create networkpolicies.networking.k8s.io in namespace istio-system',
    );
    expect(await policies('run-block-7')).toEqual([]);
    expect(await podNames()).toEqual(before);
    expect((await ctx.journal.entries()).map((e) => e.state)).toEqual(['planned']);
  });

  it('dry-run returns the exact policy and pod deletes, and sends no write', async () => {
    const resourceVersion = (await admin.core.listNamespace()).metadata?.resourceVersion ?? '';
    const events: string[] = [];
    const record =
      (kind: string) =>
      (phase: string, object: { metadata: { name: string } }): void => {
        events.push(`${phase} ${kind} ${object.metadata.name}`);
      };
    const watch = new Watch(admin.config);
    const policyWatch = await watch.watch(
      `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`,
      { resourceVersion },
      record('networkpolicy'),
      () => undefined,
    );
    const podWatch = await watch.watch(
      `/api/v1/namespaces/${NS}/pods`,
      { resourceVersion, labelSelector: ISTIOD },
      record('pod'),
      () => undefined,
    );
    try {
      const planned: PlannedWrite[] = [];
      const ctx = context('run-block-8', admin, { dryRun: planned });
      const pods = await podNames();
      expect(pods.length).toBeGreaterThan(0);
      await portBlock.inject(ctx, params({ ports: [15017] }));
      expect(planned).toEqual([
        {
          verb: 'create',
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          namespace: NS,
          name: 'gameday-port-block-run-block-8',
          body: {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'NetworkPolicy',
            metadata: {
              name: 'gameday-port-block-run-block-8',
              namespace: NS,
              labels: {
                'app.kubernetes.io/managed-by': 'gameday',
                'gameday/run-id': 'run-block-8',
              },
              annotations: { 'gameday/fault': 'port-block', 'gameday/blocked-ports': '15017' },
            },
            spec: {
              podSelector: { matchLabels: { app: 'istiod', 'istio.io/rev': 'default' } },
              policyTypes: ['Ingress'],
              ingress: [
                { ports: [8080, 15010, 15012, 15014].map((port) => ({ port, protocol: 'TCP' })) },
              ],
            },
          },
        },
        ...pods.map((name) => ({
          verb: 'delete',
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: NS,
          name,
        })),
      ]);
      expect(await ctx.journal.entries()).toEqual([]);
      expect(await podNames()).toEqual(pods);
      // Real writes made afterwards show up, proving the watches would have seen one.
      await admin.networking.createNamespacedNetworkPolicy({
        namespace: NS,
        body: { metadata: { name: 'marker' }, spec: { podSelector: { matchLabels: { x: 'y' } } } },
      });
      await waitFor(() => events.includes('ADDED networkpolicy marker'), {
        description: 'the marker policy',
      });
      const [victim] = pods;
      await admin.core.deleteNamespacedPod({ namespace: NS, name: victim ?? '' });
      await waitFor(() => events.includes(`DELETED pod ${victim}`), {
        description: 'the marker pod delete',
      });
      expect(events.filter((e) => e.includes(' networkpolicy '))).toEqual([
        'ADDED networkpolicy marker',
      ]);
      expect(events.filter((e) => e.startsWith('DELETED pod'))).toEqual([`DELETED pod ${victim}`]);
    } finally {
      policyWatch.abort();
      podWatch.abort();
      await admin.networking.deleteNamespacedNetworkPolicy({ namespace: NS, name: 'marker' });
    }
  });

  describe('preflight', () => {
    it('warns that proxies use 15012 when only 15010 is blocked', async () => {
      const findings = await portBlock.preflight(context('run-pre-1'), params({ ports: [15010] }));
      expect(findings).not.toContainEqual(expect.objectContaining({ severity: 'blocker' }));
      expect(findings).toContainEqual({
        severity: 'warning',
        message: expect.stringMatching(/proxies use 15012.*expect no impact/),
      });
      expect(findings).toContainEqual({
        severity: 'info',
        message: expect.stringContaining('NetworkPolicy enforcement depends on the CNI'),
      });
      const on15012 = await portBlock.preflight(context('run-pre-1'), params({ ports: [15012] }));
      expect(on15012.map((f) => f.message).join('\n')).not.toContain('proxies use');
    });

    it('explains that blocking 15017 breaks the webhooks, not existing traffic', async () => {
      const findings = await portBlock.preflight(context('run-pre-2'), params({ ports: [15017] }));
      expect(findings).toContainEqual({
        severity: 'info',
        message: expect.stringMatching(/sidecar-injector.*existing pods is not affected/),
      });
    });

    it('names other NetworkPolicies that select istiod: allows are unioned', async () => {
      const p = params({ ports: [15012] });
      const create = (name: string, podSelector: V1NetworkPolicy['spec']) =>
        admin.networking.createNamespacedNetworkPolicy({
          namespace: NS,
          body: { metadata: { name }, spec: podSelector },
        });
      const clean = await portBlock.preflight(context('run-pre-3'), p);
      expect(clean.map((f) => f.message).join('\n')).not.toContain('unioned');
      await create('allow-istiod', {
        podSelector: { matchLabels: { app: 'istiod' } },
        ingress: [{}],
      });
      await create('allow-pilot', {
        podSelector: { matchExpressions: [{ key: 'istio', operator: 'In', values: ['pilot'] }] },
        policyTypes: ['Ingress'],
      });
      await create('allow-gateway', {
        podSelector: { matchLabels: { app: 'istio-ingressgateway' } },
        ingress: [{}],
      });
      await create('egress-only', {
        podSelector: {},
        policyTypes: ['Egress'],
      });
      try {
        const findings = await portBlock.preflight(context('run-pre-3'), p);
        const unioned = findings.filter((f) => f.message.includes('allows are unioned'));
        expect(unioned).toHaveLength(1);
        expect(unioned[0]?.severity).toBe('warning');
        expect(unioned[0]?.message).toContain('(allow-istiod, allow-pilot)');
      } finally {
        for (const name of ['allow-istiod', 'allow-pilot', 'allow-gateway', 'egress-only']) {
          await admin.networking.deleteNamespacedNetworkPolicy({ namespace: NS, name });
        }
      }
    });

    it('blocks an unknown revision, naming the Deployment it looked for', async () => {
      const findings = await portBlock.preflight(
        context('run-pre-4'),
        params({ ports: [15012], revision: 'canary' }),
      );
      const blockers = findings.filter((f) => f.severity === 'blocker');
      expect(blockers.map((f) => f.message)).toEqual([
        expect.stringContaining('istiod-canary'),
        expect.stringContaining('app=istiod,istio.io/rev=canary'),
      ]);
    });
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'istiod', 'istio.io/rev': 'default', istio: 'pilot' };
  it.each([
    [{}, true],
    [{ matchLabels: { app: 'istiod' } }, true],
    [{ matchLabels: { app: 'istiod', 'istio.io/rev': 'canary' } }, false],
    [{ matchExpressions: [{ key: 'istio', operator: 'In', values: ['pilot', 'x'] }] }, true],
    [{ matchExpressions: [{ key: 'istio', operator: 'NotIn', values: ['pilot'] }] }, false],
    [{ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
  ])('%j → %s', (selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});
