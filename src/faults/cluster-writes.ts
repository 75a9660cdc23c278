import type { KubernetesObject } from '@kubernetes/client-node';
import { fromKubeError, httpStatus, OwnershipConflict } from './errors.js';
import type { FaultContext } from './fault.js';
import type { JournalEntry, ObjectRef } from './journal.js';
import { owningRun } from './ownership.js';

/**
 * Every change a fault makes goes through here: journaled as `planned` before it is sent,
 * `applied` after, and in dry-run only recorded. Creates and deletes are idempotent, so a
 * retried inject or revert (by this worker or another) is a no-op the second time.
 */

export function refOf(object: KubernetesObject): ObjectRef {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    ...(object.metadata?.namespace !== undefined && { namespace: object.metadata.namespace }),
    name: object.metadata?.name ?? '',
  };
}

/** RBAC resource names of the kinds the faults write, for Forbidden messages an operator can act on. */
const RESOURCES: Record<string, string> = {
  Deployment: 'deployments.apps',
  Pod: 'pods',
  Secret: 'secrets',
  NetworkPolicy: 'networkpolicies.networking.k8s.io',
  AuthorizationPolicy: 'authorizationpolicies.security.istio.io',
  Gateway: 'gateways.networking.istio.io',
};

function resourceName(ref: ObjectRef): string {
  return RESOURCES[ref.kind] ?? ref.kind;
}

function header(ref: ObjectRef) {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, ...(ref.namespace !== undefined && { namespace: ref.namespace }) },
  };
}

async function journal(ctx: FaultContext, entry: Omit<JournalEntry, 'at'>): Promise<void> {
  await ctx.journal.record({ ...entry, at: ctx.now().toISOString() });
}

/** The object as it is in the cluster now, or undefined when it does not exist. */
export async function readObject<T extends KubernetesObject>(
  ctx: FaultContext,
  ref: ObjectRef,
): Promise<T | undefined> {
  try {
    return await ctx.kube.objects.read<T>(header(ref));
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw fromKubeError(err, { verb: 'get', resource: resourceName(ref), ...ref });
  }
}

/** Creates an object this run owns; finding it already there with this run's id is success. */
export async function createOwned(
  ctx: FaultContext,
  step: string,
  object: KubernetesObject,
): Promise<void> {
  const ref = refOf(object);
  if (ctx.dryRun) {
    ctx.dryRun.push({ verb: 'create', ...ref, body: object });
    return;
  }
  await journal(ctx, { step, action: 'create', target: ref, state: 'planned' });
  try {
    await ctx.kube.objects.create(object);
  } catch (err) {
    if (httpStatus(err) !== 409)
      throw fromKubeError(err, { verb: 'create', resource: resourceName(ref), ...ref });
    const existing = await readObject(ctx, ref);
    const owner = owningRun(existing?.metadata);
    if (owner !== ctx.runId) {
      throw new OwnershipConflict(
        `${ref.kind} ${ref.namespace ?? ''}/${ref.name} already exists and ${owner ? `belongs to run ${owner}` : 'was not created by gameday'}; not touching it`,
      );
    }
  }
  await journal(ctx, { step, action: 'create', target: ref, state: 'applied' });
}

/**
 * Deletes an object this run created. "Already gone" is success; an object owned by
 * another run (or by nobody the tool knows) is refused.
 */
export async function deleteOwned(ctx: FaultContext, entry: JournalEntry): Promise<void> {
  const ref = entry.target;
  if (ctx.dryRun) {
    ctx.dryRun.push({ verb: 'delete', ...ref });
    return;
  }
  const existing = await readObject(ctx, ref);
  if (existing) {
    const owner = owningRun(existing.metadata);
    if (owner !== ctx.runId) {
      throw new OwnershipConflict(
        `${ref.kind} ${ref.namespace ?? ''}/${ref.name} ${owner ? `belongs to run ${owner}` : 'was not created by gameday'}; refusing to delete it`,
      );
    }
    try {
      await ctx.kube.objects.delete(
        header(ref),
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        {
          preconditions: { uid: existing.metadata?.uid },
        },
      );
    } catch (err) {
      if (httpStatus(err) !== 404)
        throw fromKubeError(err, { verb: 'delete', resource: resourceName(ref), ...ref });
    }
  }
  await journal(ctx, { ...entry, state: 'reverted' });
}

/** The journal entries of this run that revert still has to undo, newest first. */
export async function pendingReverts(ctx: FaultContext): Promise<JournalEntry[]> {
  const entries = await ctx.journal.entries();
  return entries.filter((entry) => entry.state !== 'reverted').reverse();
}
