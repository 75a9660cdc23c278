import type { V1Pod } from '@kubernetes/client-node';
import { fromKubeError, httpStatus } from './errors.js';
import type { FaultContext } from './fault.js';
import type { JournalEntry } from './journal.js';

export const DEFAULT_REVISION = 'default';

/** Labels of the istiod pods of one revision. */
export function istiodSelector(revision: string): Record<string, string> {
  return { app: 'istiod', 'istio.io/rev': revision };
}

export function istiodSelectorText(revision: string): string {
  return Object.entries(istiodSelector(revision))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export async function istiodPods(ctx: FaultContext, revision: string): Promise<V1Pod[]> {
  try {
    const list = await ctx.kube.core.listNamespacedPod({
      namespace: ctx.namespace,
      labelSelector: istiodSelectorText(revision),
    });
    return list.items;
  } catch (err) {
    throw fromKubeError(err, { verb: 'list', resource: 'pods', namespace: ctx.namespace });
  }
}

/**
 * Deletes the istiod pods of a revision so their ReplicaSet replaces them: how the faults
 * restart the control plane (new connections meet a NetworkPolicy, a new CA is loaded) or
 * kill it. Journaled as one step against the Deployment, done at most once per step, so a
 * retried inject does not restart istiod again. Each delete carries a uid precondition, so a
 * pod already replaced is left alone. The ReplicaSet recreates the pods: nothing to revert.
 */
export async function restartControlPlane(
  ctx: FaultContext,
  step: string,
  revision: string,
  deploymentName: string,
  /** A restart done as part of revert is journaled as already `reverted`: nothing to undo later. */
  doneState: 'applied' | 'reverted' = 'applied',
): Promise<void> {
  const pods = (await istiodPods(ctx, revision)).filter((pod) => !pod.metadata?.deletionTimestamp);
  if (ctx.dryRun) {
    for (const pod of pods) {
      ctx.dryRun.push({
        verb: 'delete',
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: ctx.namespace,
        name: pod.metadata?.name ?? '',
      });
    }
    return;
  }
  const done = (await ctx.journal.entries()).find((e) => e.step === step);
  if (done && done.state !== 'planned') return;
  const entry: Omit<JournalEntry, 'at'> = {
    step,
    action: 'delete',
    target: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ctx.namespace,
      name: deploymentName,
    },
    state: 'planned',
  };
  await ctx.journal.record({ ...entry, at: ctx.now().toISOString() });
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    try {
      await ctx.kube.core.deleteNamespacedPod({
        name,
        namespace: ctx.namespace,
        body: { preconditions: { uid: pod.metadata?.uid } },
      });
      ctx.logger.info({ pod: name, step }, 'deleted istiod pod');
    } catch (err) {
      const status = httpStatus(err);
      // 404: already gone; 409: the uid changed, so it is already a new pod.
      if (status === 404 || status === 409) continue;
      throw fromKubeError(err, {
        verb: 'delete',
        resource: 'pods',
        namespace: ctx.namespace,
        name,
      });
    }
  }
  await ctx.journal.record({ ...entry, state: doneState, at: ctx.now().toISOString() });
}
