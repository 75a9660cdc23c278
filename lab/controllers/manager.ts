import type { Registry } from '../apiserver/registry.js';
import type { StoreEvent } from '../apiserver/store.js';
import type { LabClock } from './clock.js';
import { reconcileDeployment } from './deployment.js';
import { Kubelet, type ContainerBehaviour, type WorkingSet } from './kubelet.js';
import { DEPLOYMENTS, EVENTS, REPLICASETS } from './objects.js';
import { reconcileReplicaSet } from './replicaset.js';

/** Wall-clock interval of the resync that drives time-based transitions (back-off, deadlines). */
const RESYNC_MS = 100;

export interface ControllerManager {
  /** Resolves after the next full reconcile pass; tests use it instead of sleeping. */
  settled(): Promise<void>;
  stop(): void;
}

/**
 * Runs the lab's control loops: on every change (except Events) and on a short resync,
 * Deployments, then ReplicaSets, then pods on the node. The loops are level-triggered and
 * idempotent, like Kubernetes controllers, so a full pass over a lab-sized cluster is cheap.
 */
export function startControllers(
  registry: Registry,
  clock: LabClock,
  workingSet: WorkingSet,
  behaviour: ContainerBehaviour = {},
): ControllerManager {
  const kubelet = new Kubelet(registry, clock, workingSet, behaviour);
  let scheduled = false;
  let running = false;
  let waiters: Array<() => void> = [];

  const pass = () => {
    scheduled = false;
    if (running) return;
    running = true;
    try {
      for (const deployment of registry.store.peek(DEPLOYMENTS, undefined))
        reconcileDeployment(registry, clock, deployment);
      for (const rs of registry.store.peek(REPLICASETS, undefined))
        reconcileReplicaSet(registry, clock, rs);
      kubelet.syncAll();
    } catch (err) {
      // A conflict with a concurrent writer is retried on the next pass, as controllers requeue.
      if (!(err instanceof Error && 'code' in err)) throw err;
    } finally {
      running = false;
    }
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pass);
  };

  const unsubscribe = registry.subscribe(undefined, (event: StoreEvent) => {
    if (event.resource !== EVENTS) schedule();
  });
  const timer = setInterval(schedule, RESYNC_MS);
  schedule();

  return {
    settled: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        schedule();
      }),
    stop: () => {
      clearInterval(timer);
      unsubscribe?.();
    },
  };
}
