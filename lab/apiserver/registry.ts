import { randomUUID } from 'node:crypto';
import { applyDefaults } from './defaults.js';
import { ApiError, errors, type StatusDetails, type StatusReason } from './errors.js';
import { applyPatch, PatchError, strategicSchemaFor } from './patch.js';
import { groupVersion, RESOURCE_TYPES, type ResourceType } from './resources.js';
import {
  matches,
  matchesFields,
  objectFieldValues,
  parseFieldSelectorForKind,
  parseLabelSelector,
  SelectorError,
} from './selectors.js';
import { ObjectStore, type StoreEvent } from './store.js';
import type { KubeObject } from './types.js';
import {
  checkObject,
  denialMessage,
  invalidMessage,
  malformedMessage,
  strictDecodingMessage,
} from './validation/index.js';

export interface WriteOptions {
  /** `dryRun=All`: run every check, store nothing. */
  dryRun?: boolean;
  subresource?: 'status';
  /** The API version the request was sent to; the body must be of that version. */
  version?: string;
}

export interface DeleteOptions {
  dryRun?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

/**
 * Checks run on every create and update after validation, e.g. the sidecar-injection
 * webhook the mesh model adds. Throwing an ApiError rejects the write.
 */
export type AdmissionHook = (
  operation: 'create' | 'update',
  resource: ResourceType,
  object: KubeObject,
) => void;

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const NAMESPACE = RESOURCE_TYPES.find((type) => type.plural === 'namespaces')!;
/** Kinds whose metadata.generation tracks spec changes (core kinds other than these do not). */
const WITHOUT_GENERATION = new Set([
  'Pod',
  'Service',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'Event',
  'Namespace',
]);

/**
 * The generic REST semantics of kube-apiserver over the object store: defaulting of
 * server-owned metadata, validation, preconditions, status subresources, patches,
 * selectors, cascading deletion. The HTTP layer and the lab's controllers both go through it.
 */
export class Registry {
  readonly admission: AdmissionHook[] = [];

  constructor(
    readonly store: ObjectStore = new ObjectStore(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(resource, namespace, name);
    if (!found) throw errors.notFound(resource, name);
    return found;
  }

  list(
    resource: ResourceType,
    namespace: string | undefined,
    options: ListOptions = {},
  ): ListResult {
    const filter = this.filterFor(resource, options.labelSelector, options.fieldSelector);
    const all = this.store.list(resource, namespace).filter(filter);
    const resourceVersion = String(this.store.revision);
    const start = options.continueToken ? decodeContinue(options.continueToken) : 0;
    if (!options.limit || options.limit <= 0) return { items: all.slice(start), resourceVersion };
    const end = start + options.limit;
    const items = all.slice(start, end);
    if (end >= all.length) return { items, resourceVersion };
    return {
      items,
      resourceVersion,
      continueToken: encodeContinue(end),
      remainingItemCount: all.length - end,
    };
  }

  /** A predicate for label and field selectors, validated as the real server does (400 on error). */
  filterFor(
    resource: ResourceType,
    labelSelector?: string,
    fieldSelector?: string,
  ): (o: KubeObject) => boolean {
    try {
      const labels = parseLabelSelector(labelSelector ?? '');
      const fields = parseFieldSelectorForKind(
        fieldSelector ?? '',
        resource.kind,
        groupVersion(resource.group, resource.versions[0] ?? ''),
      );
      return (object) =>
        matches(labels, object.metadata.labels) && matchesFields(fields, objectFieldValues(object));
    } catch (err) {
      if (err instanceof SelectorError) throw errors.badRequest(err.message);
      throw err;
    }
  }

  create(
    resource: ResourceType,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const object = this.checkBody(resource, namespace, body, options.version);
    if (resource.namespaced) {
      object.metadata.namespace = namespace;
      if (!this.store.peekOne(NAMESPACE, undefined, namespace ?? ''))
        throw errors.namespaceNotFound(namespace ?? '');
    } else {
      delete object.metadata.namespace;
    }
    if (!object.metadata.name && object.metadata.generateName) {
      object.metadata.name = object.metadata.generateName + randomSuffix();
    }
    const name = object.metadata.name ?? '';
    if (this.store.peekOne(resource, namespace, name)) throw errors.alreadyExists(resource, name);

    object.metadata.uid = randomUUID();
    object.metadata.creationTimestamp = this.timestamp();
    delete object.metadata.resourceVersion;
    delete object.metadata.deletionTimestamp;
    if (!WITHOUT_GENERATION.has(resource.kind)) object.metadata.generation = 1;
    else delete object.metadata.generation;
    if (resource.subresources?.includes('status') && resource.kind !== 'Namespace')
      delete object.status;
    if (resource.kind === 'Namespace') object.status = { phase: 'Active' };

    applyDefaults(resource.group, resource.kind, object);
    if (resource.kind === 'Service') this.allocateClusterIP(object);
    this.validate(resource, object, { operation: 'create' });
    for (const hook of this.admission) hook('create', resource, object);
    return options.dryRun ? object : this.store.put(resource, object);
  }

  replace(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const incoming = this.checkBody(resource, namespace, body, options.version);
    return this.commitUpdate(resource, this.get(resource, namespace, name), incoming, options);
  }

  patch(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patchBody: string,
    options: WriteOptions = {},
  ): KubeObject {
    const current = this.get(resource, namespace, name);
    let patched: unknown;
    try {
      patched = applyPatch(
        contentType,
        current,
        patchBody,
        strategicSchemaFor(resource.group, resource.kind),
      );
    } catch (err) {
      if (err instanceof PatchError) throw patchErrorToApi(err);
      throw err;
    }
    return this.commitUpdate(
      resource,
      current,
      this.checkBody(resource, namespace, patched),
      options,
    );
  }

  delete(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject {
    const current = this.get(resource, namespace, name);
    const { uid, resourceVersion } = options.preconditions ?? {};
    if (uid !== undefined && uid !== current.metadata.uid) {
      throw errors.conflict(
        resource,
        name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion) {
      throw errors.conflict(
        resource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    if (options.dryRun) return current;
    const removed = this.store.remove(resource, namespace, name) ?? current;
    this.collectGarbage(removed, options.propagationPolicy ?? 'Background');
    if (resource.kind === 'Namespace') this.emptyNamespace(name);
    return removed;
  }

  deleteCollection(
    resource: ResourceType,
    namespace: string | undefined,
    options: ListOptions & DeleteOptions,
  ): KubeObject[] {
    const { items } = this.list(resource, namespace, { ...options, limit: 0 });
    return items.map((item) =>
      this.delete(resource, item.metadata.namespace, item.metadata.name ?? '', {
        ...(options.dryRun !== undefined && { dryRun: options.dryRun }),
        ...(options.propagationPolicy !== undefined && {
          propagationPolicy: options.propagationPolicy,
        }),
      }),
    );
  }

  /** Store events from `fromRevision` on; undefined when that revision is no longer kept. */
  subscribe(
    fromRevision: number | undefined,
    listener: (event: StoreEvent) => void,
  ): (() => void) | undefined {
    return this.store.subscribe(fromRevision, listener);
  }

  /** The shared tail of replace and patch: preconditions, server-owned fields, checks, store. */
  private commitUpdate(
    resource: ResourceType,
    current: KubeObject,
    incoming: KubeObject,
    options: WriteOptions,
  ): KubeObject {
    const meta = current.metadata;
    const { name, resourceVersion } = incoming.metadata;
    if (name !== undefined && name !== meta.name) {
      throw errors.badRequest(
        `the name of the object (${name}) does not match the name on the URL (${meta.name})`,
      );
    }
    if (
      resourceVersion !== undefined &&
      resourceVersion !== '' &&
      resourceVersion !== meta.resourceVersion
    ) {
      throw errors.conflict(
        resource,
        meta.name ?? '',
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    const next = structuredClone(incoming);
    // Server-owned metadata survives any update; the client cannot set it.
    next.metadata = {
      ...next.metadata,
      name: meta.name,
      uid: incoming.metadata.uid ?? meta.uid,
      creationTimestamp: meta.creationTimestamp,
      resourceVersion: meta.resourceVersion,
      ...(meta.namespace !== undefined && { namespace: meta.namespace }),
    };
    if (options.subresource === 'status') {
      // A status update changes only status.
      const status = next.status;
      Object.assign(next, structuredClone({ ...current, status }));
      next.metadata = structuredClone(current.metadata);
    } else if (resource.subresources?.includes('status')) {
      if (current.status === undefined) delete next.status;
      else next.status = structuredClone(current.status);
    }
    if (!WITHOUT_GENERATION.has(resource.kind)) {
      next.metadata.generation = (meta.generation ?? 1) + (specChanged(current, next) ? 1 : 0);
    } else {
      delete next.metadata.generation;
    }
    applyDefaults(resource.group, resource.kind, next);
    this.validate(resource, next, { operation: 'update', old: current });
    for (const hook of this.admission) hook('update', resource, next);
    if (options.dryRun) return next;
    if (JSON.stringify(next) === JSON.stringify(current)) return current;
    return this.store.put(resource, next);
  }

  /** Parses the body into an object of the right kind and version, or answers 400. */
  private checkBody(
    resource: ResourceType,
    namespace: string | undefined,
    body: unknown,
    version = resource.versions[0] ?? '',
  ): KubeObject {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw errors.badRequest(
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
      );
    }
    const object = structuredClone(body) as KubeObject;
    if (object.kind !== undefined && object.kind !== resource.kind) {
      throw errors.badRequest(
        `${resource.kind} in version "${version}" cannot be handled as a ${resource.kind}: kind "${String(object.kind)}" is not ${resource.kind}`,
      );
    }
    const expected = groupVersion(resource.group, version);
    if (object.apiVersion !== undefined && object.apiVersion !== expected) {
      throw errors.badRequest(
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    object.apiVersion = groupVersion(resource.group, resource.versions[0] ?? '');
    object.kind = resource.kind;
    if (
      object.metadata === undefined ||
      object.metadata === null ||
      typeof object.metadata !== 'object'
    ) {
      object.metadata = {};
    }
    const bodyNamespace = object.metadata.namespace;
    if (
      resource.namespaced &&
      bodyNamespace !== undefined &&
      bodyNamespace !== '' &&
      bodyNamespace !== namespace
    ) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    return object;
  }

  /**
   * Rejects the object at the stage the real server would: undecodable values and unknown
   * fields are 400s from decoding (the lab decodes strictly, as kubectl asks), invalid values
   * a 422 with causes, and Istio kinds a 400 denial from istiod's validating webhook.
   */
  private validate(
    resource: ResourceType,
    object: KubeObject,
    context: { operation: 'create' | 'update'; old?: KubeObject },
  ): void {
    const verdict = checkObject(resource.group, resource.kind, object, context);
    const name = object.metadata.name ?? '';
    const version = groupVersion(resource.group, resource.versions[0] ?? '');
    if (verdict.malformed.length > 0)
      throw errors.badRequest(malformedMessage(resource.kind, version, verdict.malformed));
    if (verdict.unknown.length > 0)
      throw errors.badRequest(strictDecodingMessage(resource.kind, version, verdict.unknown));
    if (verdict.invalid.length > 0) {
      throw errors.invalid(
        resource,
        name,
        invalidMessage(resource.kind, resource.group, name, verdict.invalid),
        verdict.invalid,
      );
    }
    if (verdict.denied.length > 0) {
      throw errors.badRequest(
        denialMessage(resource.kind, name, object.metadata.namespace ?? '', verdict.denied),
      );
    }
  }

  private collectGarbage(
    owner: KubeObject,
    policy: NonNullable<DeleteOptions['propagationPolicy']>,
  ): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const { resource, object } of this.store.dependentsOf(uid)) {
      const name = object.metadata.name ?? '';
      if (policy === 'Orphan') {
        object.metadata.ownerReferences = object.metadata.ownerReferences?.filter(
          (ref) => ref.uid !== uid,
        );
        this.store.put(resource, object);
      } else {
        const removed = this.store.remove(resource, object.metadata.namespace, name);
        if (removed) this.collectGarbage(removed, policy);
      }
    }
  }

  private emptyNamespace(namespace: string): void {
    for (const resource of RESOURCE_TYPES) {
      if (!resource.namespaced) continue;
      for (const object of this.store.list(resource, namespace)) {
        this.store.remove(resource, namespace, object.metadata.name ?? '');
      }
    }
  }

  #nextServiceIP = 1;

  /** Services get an address from 10.96.0.0/12 unless they ask for one or for none (headless). */
  private allocateClusterIP(service: KubeObject): void {
    const spec = (service.spec ?? {}) as Record<string, unknown>;
    if (spec.clusterIP === undefined || spec.clusterIP === '') {
      const n = this.#nextServiceIP++;
      spec.clusterIP = `10.96.${Math.floor(n / 254)}.${(n % 254) + 1}`;
    }
    spec.clusterIPs ??= [spec.clusterIP];
    service.spec = spec;
  }

  private timestamp(): string {
    // Kubernetes timestamps are RFC 3339 with second precision.
    return this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }
}

function specChanged(before: KubeObject, after: KubeObject): boolean {
  const strip = ({ metadata: _m, status: _s, ...rest }: KubeObject) => JSON.stringify(rest);
  return strip(before) !== strip(after);
}

function randomSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++)
    out += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return out;
}

function encodeContinue(offset: number): string {
  return Buffer.from(JSON.stringify({ v: 'gameday.lab/v1', offset })).toString('base64');
}

function decodeContinue(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      offset?: unknown;
    };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0)
      return parsed.offset;
  } catch {
    // fall through
  }
  throw errors.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

function patchErrorToApi(err: PatchError): ApiError {
  return new ApiError(
    err.code,
    err.reason as StatusReason | '',
    err.message,
    err.details as StatusDetails | undefined,
  );
}
