import { randomBytes } from 'node:crypto';
import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import { kubeTime, type LabClock } from './clock.js';
import { EVENTS } from './objects.js';

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  component: string;
  fieldPath?: string;
}

/**
 * Records a core/v1 Event about `object`, counting repeats of the same reason and message
 * on one Event the way the kubelet's and controllers' event recorders aggregate them.
 */
export function recordEvent(
  registry: Registry,
  clock: LabClock,
  object: KubeObject,
  spec: EventSpec,
): void {
  const namespace = object.metadata.namespace ?? 'default';
  const now = kubeTime(clock.now());
  let existing: KubeObject | undefined;
  for (const event of registry.store.scan(EVENTS, namespace)) {
    if (
      (event.involvedObject as { uid?: string } | undefined)?.uid === object.metadata.uid &&
      event.reason === spec.reason &&
      event.message === spec.message
    ) {
      existing = event;
      break;
    }
  }
  try {
    if (existing) {
      registry.replace(EVENTS, namespace, existing.metadata.name ?? '', {
        ...existing,
        count: Number(existing.count ?? 1) + 1,
        lastTimestamp: now,
      });
      return;
    }
    registry.create(EVENTS, namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${object.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
        ...(spec.fieldPath && { fieldPath: spec.fieldPath }),
      },
      reason: spec.reason,
      message: spec.message,
      type: spec.type,
      source: { component: spec.component },
      reportingComponent: spec.component,
      reportingInstance: '',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  } catch {
    // Events are best effort, as in Kubernetes: a lost event must never break a controller.
  }
}
