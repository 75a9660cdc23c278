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
  readonly #objects = new Map<string, KubeObject>();
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
    const found = this.#objects.get(key(resource, namespace, name));
    return found && structuredClone(found);
  }

  /** Objects of a resource, in one namespace or all, ordered by namespace then name. */
  list(resource: ResourceType, namespace: string | undefined): KubeObject[] {
    const prefix =
      namespace === undefined
        ? `${resourceKey(resource)}/`
        : `${resourceKey(resource)}/${namespace}/`;
    const found: Array<[string, KubeObject]> = [];
    for (const [k, object] of this.#objects) if (k.startsWith(prefix)) found.push([k, object]);
    found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return found.map(([, object]) => structuredClone(object));
  }

  /** Every stored object whose metadata.ownerReferences name `uid`. */
  dependentsOf(uid: string): Array<{ resource: ResourceType; object: KubeObject }> {
    const out: Array<{ resource: ResourceType; object: KubeObject }> = [];
    for (const [k, object] of this.#objects) {
      if (object.metadata.ownerReferences?.some((ref) => ref.uid === uid)) {
        out.push({ resource: this.#resourceOf(k), object: structuredClone(object) });
      }
    }
    return out;
  }

  /** Stores a new or changed object with the next resourceVersion and tells the watchers. */
  put(resource: ResourceType, object: KubeObject): KubeObject {
    const k = key(resource, object.metadata.namespace, object.metadata.name ?? '');
    const previous = this.#objects.get(k);
    const revision = ++this.#revision;
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(revision);
    this.#objects.set(k, stored);
    this.#resources.set(resourceKey(resource), resource);
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
    const k = key(resource, namespace, name);
    const previous = this.#objects.get(k);
    if (!previous) return undefined;
    this.#objects.delete(k);
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

  readonly #resources = new Map<string, ResourceType>();

  #resourceOf(objectKey: string): ResourceType {
    const [group, plural] = objectKey.split('/');
    const resource = this.#resources.get(`${group}/${plural}`);
    if (!resource) throw new Error(`no resource type recorded for ${objectKey}`);
    return resource;
  }

  #emit(event: StoreEvent): void {
    this.#history.push(event);
    if (this.#history.length > this.historyLimit) this.#history.shift();
    for (const listener of this.#listeners) listener(event);
  }
}

function resourceKey(resource: ResourceType): string {
  return `${resource.group}/${resource.plural}`;
}

function key(resource: ResourceType, namespace: string | undefined, name: string): string {
  return `${resourceKey(resource)}/${namespace ?? ''}/${name}`;
}
