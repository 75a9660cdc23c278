import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { istiodOomParams, type IstiodOomParams } from '../scenario/fault-params.js';
import {
  originalsRestored,
  patchRecorded,
  pendingReverts,
  readObject,
  restoreRecorded,
  type FieldChange,
  type RecordedPatch,
} from './cluster-writes.js';
import { NotInEffect } from './errors.js';
import type { Fault, FaultContext, Finding, Verification } from './fault.js';
import type { ObjectRef } from './journal.js';
import { DEFAULT_REVISION, istiodPods, restartControlPlane } from './control-plane.js';
import { PATCHED_BY_ANNOTATION } from './ownership.js';
import { pollUntil } from './wait.js';

const CONTAINER = 'discovery';
const STEP = 'istiod-deployment';

/**
 * `istiod-oom`: the discovery container's memory request and limit go below its working set
 * and the strategy to maxSurge 0 / maxUnavailable 100%, so every istiod replica is replaced
 * by a pod that is OOM-killed and crash-loops. (With the chart's 100%/25% strategy a limit
 * patch alone leaves the old pod serving; preflight says so.) `mode: kill` only deletes the
 * pods. Revision-aware: Deployment `istiod` or `istiod-<rev>`, pods `app=istiod,istio.io/rev=<rev>`.
 */
export const istiodOom: Fault<IstiodOomParams> = {
  type: 'istiod-oom',
  paramsSchema: istiodOomParams,
  meshWide: () => true,

  async preflight(ctx, params) {
    const deployment = await readObject<V1Deployment>(ctx, deploymentRef(ctx, params));
    if (!deployment) {
      return [
        {
          severity: 'blocker',
          message: `no Deployment ${deploymentName(params)} in ${ctx.namespace} (revision ${params.revision ?? 'default'})`,
        },
      ];
    }
    const findings: Finding[] = [];
    const containers = deployment.spec?.template.spec?.containers ?? [];
    if (!containers.some((c) => c.name === CONTAINER)) {
      return [
        {
          severity: 'blocker',
          message: `Deployment ${deploymentName(params)} has no container named ${CONTAINER}`,
        },
      ];
    }
    const replicas = deployment.spec?.replicas ?? 1;
    if (params.mode === 'kill') {
      findings.push({
        severity: 'info',
        message: `kill deletes the ${replicas} istiod pod(s); the ReplicaSet replaces them at once, so expect a short control-plane gap only`,
      });
      return findings;
    }
    const current = deployment.spec?.strategy?.rollingUpdate;
    findings.push({
      severity: 'info',
      message: `current strategy maxSurge ${String(current?.maxSurge ?? '25%')} / maxUnavailable ${String(current?.maxUnavailable ?? '25%')}: a memory patch alone would leave the old pod serving and only stall the rollout; the fault sets maxSurge ${String(params.strategy.maxSurge)} / maxUnavailable ${String(params.strategy.maxUnavailable)} for its duration`,
    });
    if (!replacesEveryReplica(params.strategy, replicas)) {
      findings.push({
        severity: 'warning',
        message: `with maxSurge ${String(params.strategy.maxSurge)} / maxUnavailable ${String(params.strategy.maxUnavailable)} and ${replicas} replica(s) some old istiod pods keep serving: the rollout stalls instead of taking the control plane down`,
      });
    }
    if (deployment.metadata?.annotations?.[PATCHED_BY_ANNOTATION]) {
      findings.push({
        severity: 'blocker',
        message: `Deployment ${deploymentName(params)} is already changed by run ${deployment.metadata.annotations[PATCHED_BY_ANNOTATION]}`,
      });
    }
    findings.push({
      severity: 'info',
      message:
        'an HPA on istiod may scale it while the fault is in effect; every new replica crash-loops the same way',
    });
    return findings;
  },

  async inject(ctx, params) {
    if (params.mode === 'kill') {
      await killPods(ctx, params);
      return;
    }
    const ref = deploymentRef(ctx, params);
    const deployment = await readObject<V1Deployment>(ctx, ref);
    const containers = deployment?.spec?.template.spec?.containers ?? [];
    const index = containers.findIndex((c) => c.name === CONTAINER);
    if (!deployment || index < 0)
      throw new NotInEffect(`no ${CONTAINER} container in Deployment ${ref.namespace}/${ref.name}`);
    const resources = containers[index]?.resources ?? {};
    const memory = params.memoryLimit;
    const changes: FieldChange[] = [
      { path: '/spec/strategy', value: { type: 'RollingUpdate', rollingUpdate: params.strategy } },
      {
        path: `/spec/template/spec/containers/${index}/resources`,
        value: {
          ...resources,
          requests: { ...resources.requests, memory },
          limits: { ...resources.limits, memory },
        },
      },
    ];
    await patchRecorded(ctx, STEP, ref, changes);
    if (ctx.dryRun) return;
    const crashing = await pollUntil(
      async () => (await crashLoopingPod(ctx, params)) ?? undefined,
      ctx.waitTimeoutMs,
    );
    if (!crashing) {
      throw new NotInEffect(
        `istiod pods did not start crash-looping within ${ctx.waitTimeoutMs} ms of the memory patch`,
      );
    }
  },

  async revert(ctx, params) {
    for (const entry of await pendingReverts(ctx)) {
      if (entry.action === 'patch') await restoreRecorded(ctx, entry);
      // Deleted pods need no undo: their ReplicaSet has already replaced them.
      else await ctx.journal.record({ ...entry, state: 'reverted', at: ctx.now().toISOString() });
    }
    if (ctx.dryRun || params.mode === 'kill') return;
    const available = await pollUntil(
      async () => ((await rolledOut(ctx, params)) ? true : undefined),
      ctx.waitTimeoutMs,
    );
    if (!available) {
      throw new NotInEffect(
        `istiod was restored but is not Available after ${ctx.waitTimeoutMs} ms`,
      );
    }
  },

  async verify(ctx, params): Promise<Verification> {
    const deployment = await readObject<V1Deployment>(ctx, deploymentRef(ctx, params));
    if (params.mode === 'kill') {
      return (await rolledOut(ctx, params))
        ? { state: 'reverted', details: ['istiod is rolled out and available'] }
        : { state: 'in-effect', details: ['istiod pods are being replaced'] };
    }
    const entry = (await ctx.journal.entries()).find((e) => e.step === STEP);
    const markedByRun = deployment?.metadata?.annotations?.[PATCHED_BY_ANNOTATION] === ctx.runId;
    if (markedByRun)
      return {
        state: 'in-effect',
        details: [`Deployment ${deploymentName(params)} carries this run's memory patch`],
      };
    if (!entry || originalsRestored(deployment, entry.original as RecordedPatch)) {
      return {
        state: 'reverted',
        details: ['strategy and discovery resources are as recorded before the run'],
      };
    }
    return {
      state: 'partial',
      details: ['the run mark is gone but the recorded fields differ from their originals'],
    };
  },
};

function deploymentName(params: IstiodOomParams): string {
  return params.revision ? `istiod-${params.revision}` : 'istiod';
}

function deploymentRef(ctx: FaultContext, params: IstiodOomParams): ObjectRef {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: ctx.namespace,
    name: deploymentName(params),
  };
}

async function crashLoopingPod(
  ctx: FaultContext,
  params: IstiodOomParams,
): Promise<V1Pod | undefined> {
  return (await istiodPods(ctx, params.revision ?? DEFAULT_REVISION)).find((pod) =>
    (pod.status?.containerStatuses ?? []).some(
      (c) =>
        c.name === CONTAINER &&
        (c.lastState?.terminated?.reason === 'OOMKilled' ||
          c.state?.waiting?.reason === 'CrashLoopBackOff'),
    ),
  );
}

async function rolledOut(ctx: FaultContext, params: IstiodOomParams): Promise<boolean> {
  const d = await readObject<V1Deployment>(ctx, deploymentRef(ctx, params));
  const want = d?.spec?.replicas ?? 1;
  const status = d?.status;
  return (
    !!d &&
    (status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    status?.updatedReplicas === want &&
    status.replicas === want &&
    status.availableReplicas === want &&
    (status.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True')
  );
}

async function killPods(ctx: FaultContext, params: IstiodOomParams): Promise<void> {
  await restartControlPlane(
    ctx,
    'kill',
    params.revision ?? DEFAULT_REVISION,
    deploymentName(params),
  );
}

/** Whether the strategy takes every replica down: maxUnavailable (rounded down) covers them all. */
function replacesEveryReplica(
  strategy: { maxSurge: number | string; maxUnavailable: number | string },
  replicas: number,
): boolean {
  const value = strategy.maxUnavailable;
  const unavailable =
    typeof value === 'number' ? value : Math.floor((Number.parseInt(value, 10) * replicas) / 100);
  return unavailable >= replicas;
}
