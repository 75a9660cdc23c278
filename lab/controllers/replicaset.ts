import { ApiError } from '../apiserver/errors.js';
import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import type { LabClock } from './clock.js';
import { recordEvent } from './events.js';
import { controllerReference, dict, isControlledBy, list, PODS, REPLICASETS } from './objects.js';

const COMPONENT = 'replicaset-controller';

export function isPodReady(pod: KubeObject): boolean {
  return list(dict(pod.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Keeps as many pods as the ReplicaSet asks for, and reports how many are ready. */
export function reconcileReplicaSet(registry: Registry, clock: LabClock, rs: KubeObject): void {
  const namespace = rs.metadata.namespace ?? '';
  const pods = registry.store.peek(PODS, namespace).filter((pod) => isControlledBy(pod, rs));
  const spec = dict(rs.spec);
  const desired = Number(spec.replicas ?? 1);

  if (pods.length < desired) {
    for (let i = pods.length; i < desired; i++) {
      if (!createPod(registry, clock, rs)) break;
    }
  } else if (pods.length > desired) {
    // Not-ready pods go first, then the newest: what ReplicaSet scale-down prefers.
    const victims = [...pods]
      .sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || compareCreation(b, a))
      .slice(0, pods.length - desired);
    for (const pod of victims) {
      registry.delete(PODS, namespace, pod.metadata.name ?? '');
      recordEvent(registry, clock, rs, {
        type: 'Normal',
        reason: 'SuccessfulDelete',
        message: `Deleted pod: ${pod.metadata.name}`,
        component: COMPONENT,
      });
    }
  }

  const current = registry.store.peek(PODS, namespace).filter((pod) => isControlledBy(pod, rs));
  const ready = current.filter(isPodReady).length;
  const status = {
    replicas: current.length,
    fullyLabeledReplicas: current.length,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: rs.metadata.generation,
  };
  const fresh = registry.store.peekOne(REPLICASETS, namespace, rs.metadata.name ?? '');
  if (fresh && JSON.stringify(fresh.status ?? {}) !== JSON.stringify(status)) {
    registry.replace(
      REPLICASETS,
      namespace,
      rs.metadata.name ?? '',
      { ...fresh, status },
      { subresource: 'status' },
    );
  }
}

function createPod(registry: Registry, clock: LabClock, rs: KubeObject): boolean {
  const template = dict(dict(rs.spec).template);
  const templateMeta = dict(template.metadata);
  try {
    const pod = registry.create(PODS, rs.metadata.namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${rs.metadata.name}-`,
        labels: templateMeta.labels,
        ...(templateMeta.annotations !== undefined && { annotations: templateMeta.annotations }),
        ownerReferences: [controllerReference(rs)],
      },
      spec: template.spec,
    });
    recordEvent(registry, clock, rs, {
      type: 'Normal',
      reason: 'SuccessfulCreate',
      message: `Created pod: ${pod.metadata.name}`,
      component: COMPONENT,
    });
    return true;
  } catch (err) {
    // E.g. the sidecar injector's webhook is unreachable: the rollout stalls, as in a cluster.
    const message = err instanceof ApiError ? err.message : String(err);
    recordEvent(registry, clock, rs, {
      type: 'Warning',
      reason: 'FailedCreate',
      message: `Error creating: ${message}`,
      component: COMPONENT,
    });
    return false;
  }
}

function compareCreation(a: KubeObject, b: KubeObject): number {
  const key = (pod: KubeObject) =>
    `${pod.metadata.creationTimestamp ?? ''} ${pod.metadata.name ?? ''}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
