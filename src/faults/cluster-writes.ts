import type { KubernetesObject } from '@kubernetes/client-node';
import {
  fromKubeError,
  httpStatus,
  OwnershipConflict,
  TargetNotFound,
  Transient,
} from './errors.js';
import type { FaultContext } from './fault.js';
import type { JournalEntry, ObjectRef } from './journal.js';
import { CHANGED_ANNOTATION, owningRun, PATCHED_BY_ANNOTATION } from './ownership.js';
import { escapeToken, getAt, setAt } from './pointer.js';
import { plannedBody } from '../redact.js';

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
    ctx.dryRun.push({ verb: 'create', ...ref, body: plannedBody(object) });
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

/** A field to change on an object the tool does not own; `value: undefined` removes it. */
export interface FieldChange {
  /** JSON pointer, e.g. `/spec/template/spec/containers/0/resources`. */
  path: string;
  value?: unknown;
}

/** What a patch journal entry keeps: each field's original value (or its absence). */
export interface RecordedPatch {
  fields: Array<{ path: string; present: boolean; value?: unknown }>;
  /** Parent objects the change had to create, removed again on restore if left empty. */
  createdParents: string[];
}

const CONFLICT_RETRIES = 5;
const annotationPath = (key: string) => `/metadata/annotations/${escapeToken(key)}`;

/**
 * Changes fields of an existing object, journaling their original values first, and marks
 * the object with this run's id and the changed paths. Read-modify-replace with the
 * object's resourceVersion, retried on conflict: nothing else the object holds is touched.
 * A repeated call keeps the originals recorded by the first one.
 */
export async function patchRecorded(
  ctx: FaultContext,
  step: string,
  ref: ObjectRef,
  changes: FieldChange[],
): Promise<void> {
  const previous = (await ctx.journal.entries()).find((entry) => entry.step === step);
  const marks: FieldChange[] = [
    { path: annotationPath(PATCHED_BY_ANNOTATION), value: ctx.runId },
    { path: annotationPath(CHANGED_ANNOTATION), value: JSON.stringify(changes.map((c) => c.path)) },
  ];
  for (let attempt = 1; ; attempt++) {
    const current = await readObject<KubernetesObject>(ctx, ref);
    if (!current)
      throw new TargetNotFound(`${ref.kind} ${ref.namespace ?? ''}/${ref.name} not found`);
    const holder = current.metadata?.annotations?.[PATCHED_BY_ANNOTATION];
    if (holder !== undefined && holder !== ctx.runId) {
      throw new OwnershipConflict(
        `${ref.kind} ${ref.namespace ?? ''}/${ref.name} is being changed by run ${holder}; not touching it`,
      );
    }
    const next = structuredClone(current);
    const createdParents: string[] = [];
    const recorded: RecordedPatch = (previous?.original as RecordedPatch | undefined) ?? {
      fields: [...changes, ...marks].map(({ path }) => ({ path, ...getAt(current, path) })),
      createdParents,
    };
    for (const change of [...changes, ...marks]) {
      createdParents.push(
        ...setAt(next, change.path, { present: change.value !== undefined, value: change.value }),
      );
    }
    if (ctx.dryRun) {
      ctx.dryRun.push({
        verb: 'replace',
        ...ref,
        body: plannedBody(next),
        changes: [...changes, ...marks],
      });
      return;
    }
    if (!previous)
      await journal(ctx, {
        step,
        action: 'patch',
        target: ref,
        original: recorded,
        state: 'planned',
      });
    if (await replaceOrConflict(ctx, ref, next)) break;
    if (attempt === CONFLICT_RETRIES)
      throw new Transient(
        `${ref.kind} ${ref.namespace ?? ''}/${ref.name} kept changing under the patch`,
      );
  }
  const entry = (await ctx.journal.entries()).find((e) => e.step === step);
  await journal(ctx, {
    step,
    action: 'patch',
    target: ref,
    original: entry?.original,
    state: 'applied',
  });
}

/** Puts back exactly the recorded original fields. A deleted object counts as restored. */
export async function restoreRecorded(ctx: FaultContext, entry: JournalEntry): Promise<void> {
  const ref = entry.target;
  const recorded = entry.original as RecordedPatch;
  for (let attempt = 1; ; attempt++) {
    const current = await readObject<KubernetesObject>(ctx, ref);
    if (!current) break;
    const holder = current.metadata?.annotations?.[PATCHED_BY_ANNOTATION];
    if (holder !== undefined && holder !== ctx.runId) {
      throw new OwnershipConflict(
        `${ref.kind} ${ref.namespace ?? ''}/${ref.name} is now marked by run ${holder}; refusing to restore over it`,
      );
    }
    // Never changed (an inject that failed before this write) or already restored: no write,
    // so a revert does not depend on the very permission or request that just failed.
    if (holder === undefined && originalsRestored(current, recorded)) break;
    const next = structuredClone(current);
    for (const field of recorded.fields) setAt(next, field.path, field);
    for (const parent of [...recorded.createdParents].reverse()) {
      const left = getAt(next, parent);
      if (left.present && isEmptyObject(left.value)) setAt(next, parent, { present: false });
    }
    if (ctx.dryRun) {
      ctx.dryRun.push({ verb: 'replace', ...ref, body: plannedBody(next) });
      return;
    }
    if (await replaceOrConflict(ctx, ref, next)) break;
    if (attempt === CONFLICT_RETRIES)
      throw new Transient(
        `${ref.kind} ${ref.namespace ?? ''}/${ref.name} kept changing under the restore`,
      );
  }
  await journal(ctx, { ...entry, state: 'reverted' });
}

/** Whether every recorded change is still what the fault set (the fault is in effect). */
export function changesInEffect(
  object: KubernetesObject | undefined,
  changes: FieldChange[],
): boolean {
  if (!object) return false;
  return changes.every((change) => {
    const now = getAt(object, change.path);
    return change.value === undefined
      ? !now.present
      : JSON.stringify(now.value) === JSON.stringify(change.value);
  });
}

/** Whether every recorded field holds its original value again. */
export function originalsRestored(
  object: KubernetesObject | undefined,
  recorded: RecordedPatch,
): boolean {
  if (!object) return true;
  return recorded.fields.every((field) => {
    const now = getAt(object, field.path);
    return (
      now.present === field.present &&
      (!field.present || JSON.stringify(now.value) === JSON.stringify(field.value))
    );
  });
}

async function replaceOrConflict(
  ctx: FaultContext,
  ref: ObjectRef,
  object: KubernetesObject,
): Promise<boolean> {
  try {
    await ctx.kube.objects.replace(object);
    return true;
  } catch (err) {
    if (httpStatus(err) === 409) return false;
    throw fromKubeError(err, { verb: 'update', resource: resourceName(ref), ...ref });
  }
}

function isEmptyObject(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 0
  );
}
