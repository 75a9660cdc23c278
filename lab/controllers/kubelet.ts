import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import { parseQuantity } from '../../src/quantity.js';
import { kubeTime, type LabClock } from './clock.js';
import { recordEvent } from './events.js';
import { dict, list, PODS, type Dict } from './objects.js';

export const NODE_NAME = 'gameday-lab-node';
export const NODE_IP = '10.89.0.2';
/** Cluster time from container creation to running. */
const START_UP_MS = 1_000;
/**
 * Cluster time a container over its memory limit runs before the kernel OOM-kills it: well
 * inside start-up, so such a container never passes its first readiness probe.
 */
const TIME_TO_OOM_MS = 300;
/** When a container without a readiness probe counts as ready after starting. */
const NO_PROBE_READY_MS = 0;
const BACK_OFF_INITIAL_MS = 10_000;
const BACK_OFF_MAX_MS = 300_000;

/** How much memory a container uses; the mesh model supplies istiod's real working set. */
export type WorkingSet = (pod: KubeObject, container: Dict) => number;

/** How a container's process ends when it is not killed for memory, e.g. istiod refusing an expired CA. */
export interface ContainerExit {
  exitCode: number;
  reason: string;
  message?: string;
}

/**
 * What the processes inside containers do, beyond using memory: the mesh model decides
 * whether a process exits right after starting, and whether it passes its readiness probe
 * (a sidecar is ready only once it has config from istiod).
 */
export interface ContainerBehaviour {
  exitAfterStart?(pod: KubeObject, container: Dict): ContainerExit | undefined;
  ready?(pod: KubeObject, container: Dict): boolean;
}

interface ContainerRuntime {
  phase: 'creating' | 'running' | 'backoff';
  /** Wall-clock ms when the current phase began. */
  since: number;
  startedAt: string;
  restarts: number;
  lastTermination?: Dict;
  /** How the process started this time will end, decided when it starts (not re-read while it runs). */
  exit?: ContainerExit;
}

/**
 * A node's kubelet for every pod: schedules it, starts its containers, OOM-kills those
 * whose working set exceeds their memory limit and restarts them with CrashLoopBackOff
 * back-off (10 s doubling to 5 min, in cluster time), and reports it all in pod status.
 */
export class Kubelet {
  readonly #runtime = new Map<string, Map<string, ContainerRuntime>>();
  #podIndex = 10;
  readonly #podIPs = new Map<string, string>();

  constructor(
    private readonly registry: Registry,
    private readonly clock: LabClock,
    private readonly workingSet: WorkingSet,
    private readonly behaviour: ContainerBehaviour = {},
  ) {}

  syncAll(): void {
    const pods = this.registry.store.peek(PODS, undefined);
    const live = new Set(pods.map((pod) => pod.metadata.uid ?? ''));
    for (const uid of this.#runtime.keys()) if (!live.has(uid)) this.#forget(uid);
    for (const pod of pods) this.sync(pod);
  }

  sync(pod: KubeObject): void {
    const uid = pod.metadata.uid ?? '';
    const spec = dict(pod.spec);
    if (!spec.nodeName) {
      recordEvent(this.registry, this.clock, pod, {
        type: 'Normal',
        reason: 'Scheduled',
        message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${NODE_NAME}`,
        component: 'default-scheduler',
      });
      pod = this.registry.replace(PODS, pod.metadata.namespace, pod.metadata.name ?? '', {
        ...pod,
        spec: { ...spec, nodeName: NODE_NAME },
      });
    }
    const containers = list(dict(pod.spec).containers);
    const runtimes = this.#runtime.get(uid) ?? new Map<string, ContainerRuntime>();
    this.#runtime.set(uid, runtimes);
    const now = Date.now();
    const statuses = containers.map((container) => {
      const name = String(container.name);
      let rt = runtimes.get(name);
      if (!rt) {
        rt = { phase: 'creating', since: now, startedAt: kubeTime(this.clock.now()), restarts: 0 };
        runtimes.set(name, rt);
        this.#create(pod, container, rt, now);
      }
      this.#advance(pod, container, rt, now);
      return this.#containerStatus(pod, container, rt);
    });
    this.#writeStatus(pod, statuses);
  }

  #advance(pod: KubeObject, container: Dict, rt: ContainerRuntime, now: number): void {
    const name = String(container.name);
    const elapsed = now - rt.since;
    if (rt.phase === 'creating' && elapsed >= this.clock.wall(START_UP_MS)) {
      rt.phase = 'running';
      rt.since = now;
      rt.startedAt = kubeTime(this.clock.now());
      const exit = this.behaviour.exitAfterStart?.(pod, container);
      if (exit) rt.exit = exit;
      else delete rt.exit;
      this.#event(pod, name, 'Normal', 'Started', `Started container ${name}`);
    } else if (rt.phase === 'running' && elapsed >= this.clock.wall(TIME_TO_OOM_MS)) {
      const exit = this.#overLimit(pod, container)
        ? { exitCode: 137, reason: 'OOMKilled' }
        : rt.exit;
      if (!exit) return;
      rt.lastTermination = {
        terminated: {
          ...exit,
          startedAt: rt.startedAt,
          finishedAt: kubeTime(this.clock.now()),
          containerID: containerId(pod, name, rt.restarts),
        },
      };
      rt.restarts += 1;
      rt.phase = 'backoff';
      rt.since = now;
      this.#event(pod, name, 'Warning', 'BackOff', 'Back-off restarting failed container');
    } else if (rt.phase === 'backoff' && elapsed >= this.clock.wall(backOff(rt.restarts))) {
      this.#create(pod, container, rt, now);
    }
  }

  /** Creates (or re-creates, after back-off) a container, with the kubelet's events. */
  #create(pod: KubeObject, container: Dict, rt: ContainerRuntime, now: number): void {
    const name = String(container.name);
    rt.phase = 'creating';
    rt.since = now;
    const image = String(container.image);
    this.#event(
      pod,
      name,
      'Normal',
      'Pulled',
      `Container image "${image}" already present on machine`,
    );
    this.#event(pod, name, 'Normal', 'Created', `Created container ${name}`);
  }

  #overLimit(pod: KubeObject, container: Dict): boolean {
    const limit = parseQuantity(String(dict(dict(container.resources).limits).memory ?? ''));
    return limit !== undefined && this.workingSet(pod, container) > limit;
  }

  #containerStatus(pod: KubeObject, container: Dict, rt: ContainerRuntime): Dict {
    const name = String(container.name);
    const state =
      rt.phase === 'running'
        ? { running: { startedAt: rt.startedAt } }
        : rt.phase === 'backoff'
          ? {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off ${backOff(rt.restarts) / 1000}s restarting failed container=${name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
              },
            }
          : { waiting: { reason: 'ContainerCreating' } };
    return {
      name,
      state,
      lastState: rt.lastTermination ?? {},
      ready:
        rt.phase === 'running' &&
        Date.now() - rt.since >= this.clock.wall(readinessDelay(container)) &&
        (this.behaviour.ready?.(pod, container) ?? true),
      restartCount: rt.restarts,
      image: container.image,
      imageID: `docker-pullable://${String(container.image)}`,
      ...(rt.phase !== 'creating' || rt.restarts > 0
        ? { containerID: containerId(pod, name, rt.restarts) }
        : {}),
      started: rt.phase === 'running',
    };
  }

  #writeStatus(pod: KubeObject, containerStatuses: Dict[]): void {
    const fresh = this.registry.store.peekOne(
      PODS,
      pod.metadata.namespace,
      pod.metadata.name ?? '',
    );
    if (!fresh) return;
    const allReady =
      containerStatuses.length > 0 && containerStatuses.every((c) => c.ready === true);
    const anyStarted = containerStatuses.some(
      (c) => c.started === true || Number(c.restartCount) > 0,
    );
    const previous = dict(fresh.status);
    const now = kubeTime(this.clock.now());
    const condition = (type: string, status: boolean) => {
      const old = list(previous.conditions).find((c) => c.type === type);
      const value = status ? 'True' : 'False';
      return {
        type,
        status: value,
        lastProbeTime: null,
        lastTransitionTime: old && old.status === value ? old.lastTransitionTime : now,
        ...(!status &&
          type !== 'PodScheduled' && {
            reason: 'ContainersNotReady',
            message: `containers with unready status: [${containerStatuses
              .filter((c) => !c.ready)
              .map((c) => String(c.name))
              .join(' ')}]`,
          }),
      };
    };
    const podIP = this.#podIP(fresh.metadata.uid ?? '');
    const status = {
      phase: anyStarted ? 'Running' : 'Pending',
      conditions: [
        condition('PodReadyToStartContainers', true),
        condition('Initialized', true),
        condition('Ready', allReady),
        condition('ContainersReady', allReady),
        condition('PodScheduled', true),
      ],
      hostIP: NODE_IP,
      hostIPs: [{ ip: NODE_IP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: previous.startTime ?? now,
      containerStatuses,
      qosClass: qosClass(list(dict(fresh.spec).containers)),
    };
    if (JSON.stringify(status) !== JSON.stringify(fresh.status ?? {})) {
      this.registry.replace(
        PODS,
        fresh.metadata.namespace,
        fresh.metadata.name ?? '',
        { ...fresh, status },
        { subresource: 'status' },
      );
    }
  }

  #event(
    pod: KubeObject,
    container: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    recordEvent(this.registry, this.clock, pod, {
      type,
      reason,
      message,
      component: 'kubelet',
      fieldPath: `spec.containers{${container}}`,
    });
  }

  #podIP(uid: string): string {
    let ip = this.#podIPs.get(uid);
    if (!ip) {
      this.#podIndex += 1;
      ip = `10.244.${Math.floor(this.#podIndex / 250)}.${(this.#podIndex % 250) + 2}`;
      this.#podIPs.set(uid, ip);
    }
    return ip;
  }

  #forget(uid: string): void {
    this.#runtime.delete(uid);
    this.#podIPs.delete(uid);
  }
}

/** When the first readiness probe runs: initialDelaySeconds, at least one second when probed. */
function readinessDelay(container: Dict): number {
  const probe = container.readinessProbe;
  if (!probe) return NO_PROBE_READY_MS;
  return Math.max(1, Number(dict(probe).initialDelaySeconds ?? 0)) * 1000;
}

/** The kubelet's restart back-off after `restarts` crashes. */
export function backOff(restarts: number): number {
  return Math.min(BACK_OFF_INITIAL_MS * 2 ** Math.max(0, restarts - 1), BACK_OFF_MAX_MS);
}

function containerId(pod: KubeObject, name: string, restarts: number): string {
  let hash = 0;
  for (const char of `${pod.metadata.uid}/${name}/${restarts}`)
    hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return `containerd://${hash.toString(16).padStart(8, '0').repeat(8)}`;
}

function qosClass(containers: Dict[]): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const resources = containers.map((c) => dict(c.resources));
  const none = resources.every(
    (r) => Object.keys(dict(r.requests)).length === 0 && Object.keys(dict(r.limits)).length === 0,
  );
  if (none) return 'BestEffort';
  const guaranteed = resources.every((r) => {
    const limits = dict(r.limits);
    const requests = { ...limits, ...dict(r.requests) };
    return ['cpu', 'memory'].every(
      (k) => limits[k] !== undefined && String(requests[k]) === String(limits[k]),
    );
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
