import type { ResourceType } from './resources.js';
import type { KubeObject } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resourceVersion: number;
  resource: ResourceType;
  object: KubeObject;
  /** The object before a MODIFIED or DELETED; lets a filtered watch turn a change into ADDED/DELETED. */
  previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

/**
 * The lab's etcd: objects by resource, namespace and name, one cluster-wide resourceVersion
 * counter, and a bounded history of changes so watches can resume from a resourceVersion.
 * It stores and hands out deep copies; semantics (validation, preconditions) live above it.
 */
export class ObjectStore {
  /**
   * Objects by resource (`group/plural`), then by `namespace/name`. Indexed by resource so that a
   * list (which the controllers run on every change) touches only that resource's objects, not
   * every Event and Pod in the lab.
   */
  readonly #objects = new Map<string, { resource: ResourceType; items: Map<string, KubeObject> }>();
  readonly #history: StoreEvent[] = [];
  readonly #listeners = new Set<StoreListener>();
  #revision = 1;

  constructor(private readonly historyLimit = 10_000) {}

  get revision(): number {
    return this.#revision;
  }

  /** The oldest resourceVersion a watch can still resume from. */
  get oldestResumable(): number {
    return this.#history[0]?.resourceVersion ?? this.#revision;
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.#objects.get(resourceKey(resource))?.items.get(itemKey(namespace, name));
    return found && structuredClone(found);
  }

  /** The stored object itself, frozen: {@link get} without the copy, for reads that change nothing. */
  peekOne(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined {
    return this.#objects.get(resourceKey(resource))?.items.get(itemKey(namespace, name));
  }

  /**
   * The stored objects of a resource themselves, frozen, ordered as {@link list} orders them: for the lab's
   * own controllers and mesh model, which read the whole cluster several times a second and
   * would otherwise spend most of their time copying it. Writes go through the registry with
   * a copy (`{ ...object, spec: … }`), never by changing what this returns.
   */
  peek(resource: ResourceType, namespace?: string): readonly KubeObject[] {
    const items = this.#objects.get(resourceKey(resource))?.items;
    if (!items) return [];
    const prefix = namespace === undefined ? '' : `${namespace}/`;
    const found: Array<[string, KubeObject]> = [];
    for (const [k, object] of items) if (k.startsWith(prefix)) found.push([k, object]);
    found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return found.map(([, object]) => object);
  }

  /**
   * Like {@link peek} but in no particular order and without collecting them first: for lookups
   * in resources that grow large, such as Events.
   */
  *scan(resource: ResourceType, namespace?: string): Generator<KubeObject> {
    const items = this.#objects.get(resourceKey(resource))?.items;
    if (!items) return;
    for (const object of items.values()) {
      if (namespace === undefined || object.metadata.namespace === namespace) yield object;
    }
  }

  /** Objects of a resource, in one namespace or all, ordered by namespace then name. */
  list(resource: ResourceType, namespace: string | undefined): KubeObject[] {
    return this.peek(resource, namespace).map((object) => structuredClone(object));
  }

  /** Every stored object whose metadata.ownerReferences name `uid`. */
  dependentsOf(uid: string): Array<{ resource: ResourceType; object: KubeObject }> {
    const out: Array<{ resource: ResourceType; object: KubeObject }> = [];
    for (const { resource, items } of this.#objects.values()) {
      for (const object of items.values()) {
        if (object.metadata.ownerReferences?.some((ref) => ref.uid === uid)) {
          out.push({ resource, object: structuredClone(object) });
        }
      }
    }
    return out;
  }

  /** Stores a new or changed object with the next resourceVersion and tells the watchers. */
  put(resource: ResourceType, object: KubeObject): KubeObject {
    const items = this.#itemsOf(resource);
    const k = itemKey(object.metadata.namespace, object.metadata.name ?? '');
    const previous = items.get(k);
    const revision = ++this.#revision;
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(revision);
    deepFreeze(stored);
    items.set(k, stored);
    this.#emit({
      type: previous ? 'MODIFIED' : 'ADDED',
      resourceVersion: revision,
      resource,
      object: stored,
      ...(previous && { previous }),
    });
    return structuredClone(stored);
  }

  remove(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined {
    const items = this.#objects.get(resourceKey(resource))?.items;
    const k = itemKey(namespace, name);
    const previous = items?.get(k);
    if (!items || !previous) return undefined;
    items.delete(k);
    const revision = ++this.#revision;
    const gone = structuredClone(previous);
    gone.metadata.resourceVersion = String(revision);
    this.#emit({ type: 'DELETED', resourceVersion: revision, resource, object: gone, previous });
    return structuredClone(gone);
  }

  /**
   * Calls `listener` for every change after `fromRevision` still in the history, then for
   * every new change. Returns undefined when `fromRevision` is older than the history kept.
   */
  subscribe(fromRevision: number | undefined, listener: StoreListener): (() => void) | undefined {
    if (fromRevision !== undefined) {
      if (fromRevision < this.oldestResumable - 1) return undefined;
      for (const event of this.#history) if (event.resourceVersion > fromRevision) listener(event);
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #itemsOf(resource: ResourceType): Map<string, KubeObject> {
    const k = resourceKey(resource);
    let entry = this.#objects.get(k);
    if (!entry) this.#objects.set(k, (entry = { resource, items: new Map() }));
    return entry.items;
  }

  #emit(event: StoreEvent): void {
    this.#history.push(event);
    if (this.#history.length > this.historyLimit) this.#history.shift();
    for (const listener of this.#listeners) listener(event);
  }
}

/** Freezes an object and everything in it, so that what {@link ObjectStore.peek} shares stays as stored. */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

function resourceKey(resource: ResourceType): string {
  return `${resource.group}/${resource.plural}`;
}

function itemKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}
