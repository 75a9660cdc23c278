import type { V1Deployment } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Forbidden, OwnershipConflict } from '../../src/faults/errors.js';
import type { FaultContext, PlannedWrite } from '../../src/faults/fault.js';
import { istiodOom } from '../../src/faults/istiod-oom.js';
import type { KubeClients } from '../../src/kube/clients.js';
import { istiodOomParams } from '../../src/scenario/fault-params.js';
import { startFaultTestBed, type FaultTestBed } from '../support/fault-testbed.js';
import { waitFor } from '../support/index.js';

const NS = 'istio-system';
let bed: FaultTestBed;
let admin: KubeClients;

function context(runId: string, extra: Partial<FaultContext> = {}): FaultContext {
  return bed.context(runId, NS, extra);
}

const istiod = () => admin.apps.readNamespacedDeployment({ name: 'istiod', namespace: NS });
/** What the fault changes; the revision annotation is the Deployment controller's to bump. */
const recordedFields = (d: V1Deployment) => {
  const { 'deployment.kubernetes.io/revision': _revision, ...annotations } =
    d.metadata?.annotations ?? {};
  return {
    strategy: d.spec?.strategy,
    template: d.spec?.template,
    annotations,
  };
};
const available = async () =>
  waitFor(
    async () => {
      const d = await istiod();
      return d.status?.availableReplicas === 1 &&
        d.status.updatedReplicas === 1 &&
        d.status.replicas === 1
        ? d
        : undefined;
    },
    { description: 'istiod to be available', timeoutMs: 20_000 },
  );

beforeEach(async () => {
  bed = await startFaultTestBed();
  admin = bed.admin;
  await available();
});

afterEach(async () => {
  await bed?.lab.stop();
});

describe('istiod-oom fault', () => {
  it('crash-loops istiod with OOMKilled, then restores strategy and resources exactly', async () => {
    const ctx = context('run-oom-1');
    const params = istiodOomParams.parse({ memoryLimit: '32Mi' });
    const before = recordedFields(await istiod());
    const findings = await istiodOom.preflight(ctx, params);
    expect(findings.filter((f) => f.severity === 'blocker')).toEqual([]);
    expect(findings.map((f) => f.message).join('\n')).toContain(
      'maxSurge 100% / maxUnavailable 25%',
    );

    await istiodOom.inject(ctx, params);
    const pods = await admin.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=istiod' });
    expect(
      pods.items.some(
        (p) => p.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled',
      ),
    ).toBe(true);
    expect(await istiodOom.verify(ctx, params)).toMatchObject({ state: 'in-effect' });
    const patched = await istiod();
    expect(patched.spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: '100%' },
    });
    expect(patched.spec?.template.spec?.containers[0]?.resources).toEqual({
      requests: { cpu: '500m', memory: '32Mi' },
      limits: { memory: '32Mi' },
    });
    expect(patched.metadata?.annotations?.['gameday/run-id']).toBe('run-oom-1');

    await istiodOom.revert(ctx, params);
    expect(await istiodOom.verify(ctx, params)).toMatchObject({ state: 'reverted' });
    expect(recordedFields(await available())).toEqual(before);
  });

  it('is idempotent: inject twice keeps the true originals, revert twice is a no-op', async () => {
    const ctx = context('run-oom-2');
    const params = istiodOomParams.parse({});
    const before = recordedFields(await istiod());
    await istiodOom.inject(ctx, params);
    await istiodOom.inject(ctx, params);
    await istiodOom.revert(ctx, params);
    await istiodOom.revert(ctx, params);
    expect(recordedFields(await available())).toEqual(before);
  });

  it("refuses to touch istiod while another run's patch is on it", async () => {
    const first = context('run-oom-3');
    const params = istiodOomParams.parse({});
    await istiodOom.inject(first, params);
    await expect(istiodOom.inject(context('run-oom-other'), params)).rejects.toThrow(
      OwnershipConflict,
    );
    await istiodOom.revert(first, params);
  });

  it('without update rights fails with Forbidden naming it, and changes nothing', async () => {
    const ctx = context('run-oom-4', { kube: bed.readOnly });
    const before = await istiod();
    const error = await istiodOom
      .inject(ctx, istiodOomParams.parse({}))
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Forbidden);
    expect((error as Error).message).toContain('update deployments.apps in namespace istio-system');
    expect((await istiod()).metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('dry-run returns the exact replacement and sends nothing', async () => {
    const planned: PlannedWrite[] = [];
    const before = await istiod();
    await istiodOom.inject(
      context('run-oom-5', { dryRun: planned }),
      istiodOomParams.parse({ memoryLimit: '16Mi' }),
    );
    expect(planned).toHaveLength(1);
    expect(planned[0]).toMatchObject({
      verb: 'replace',
      kind: 'Deployment',
      name: 'istiod',
      namespace: NS,
    });
    const body = planned[0]?.body as V1Deployment;
    expect(body.spec?.template.spec?.containers[0]?.resources?.limits).toEqual({ memory: '16Mi' });
    expect((await istiod()).metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('mode kill replaces the istiod pods and needs no restore', async () => {
    const ctx = context('run-oom-6');
    const params = istiodOomParams.parse({ mode: 'kill' });
    const [old] = (
      await admin.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=istiod' })
    ).items;
    await istiodOom.inject(ctx, params);
    await waitFor(
      async () =>
        (
          await admin.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=istiod' })
        ).items.some((p) => p.metadata?.name !== old?.metadata?.name),
      { description: 'a replacement istiod pod' },
    );
    await istiodOom.revert(ctx, params);
    await available();
    expect(await istiodOom.verify(ctx, params)).toMatchObject({ state: 'reverted' });
    expect((await ctx.journal.entries()).every((e) => e.state === 'reverted')).toBe(true);
  });

  it('preflight blocks an unknown revision', async () => {
    const findings = await istiodOom.preflight(
      context('run-oom-7'),
      istiodOomParams.parse({ revision: 'canary' }),
    );
    expect(findings).toContainEqual({
      severity: 'blocker',
      message: expect.stringContaining('no Deployment istiod-canary'),
    });
  });
});
