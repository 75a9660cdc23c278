import { parse as parseYaml } from 'yaml';
import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import type { LabClock } from '../controllers/clock.js';
import { dict, list, NAMESPACES, NETWORK_POLICIES, PODS } from '../controllers/objects.js';
import { containerRunning, hasContainer, identityOf, labelsOf, SIDECAR } from './cluster.js';
import type { Istiod } from './control-plane.js';
import { ingressAllowed } from './network-policy.js';
import type { MeshEvents, WorkloadIdentity } from './types.js';

/** Istio's default MaxConnectionAge: istiod closes every xDS stream after 30 min, proxies reconnect. */
const MAX_CONNECTION_AGE_MS = 30 * 60_000;

export interface Endpoint {
  podUid: string;
  pod: string;
  namespace: string;
}

/** What istiod pushes: endpoints per service host, and the authorization policies. */
export interface ProxyConfig {
  version: string;
  endpoints: ReadonlyMap<string, readonly Endpoint[]>;
  authorizationPolicies: readonly KubeObject[];
}

export interface Stream {
  istiod: Istiod;
  /** Wall-clock ms after which istiod recycles the stream. */
  recycleAt: number;
}

/** One Envoy and what it knows. Config survives a lost stream (Envoy keeps its last config). */
export interface Proxy {
  uid: string;
  namespace: string;
  pod: string;
  kind: 'sidecar' | 'gateway';
  identity: WorkloadIdentity;
  labels: Record<string, string>;
  xdsPort: 15010 | 15012;
  running: boolean;
  /** The proxy process this state belongs to; config is lost when the container restarts. */
  startedAt: string;
  stream?: Stream;
  config?: ProxyConfig;
}

function xdsPortOf(pod: KubeObject): 15010 | 15012 {
  const proxyConfig = pod.metadata.annotations?.['proxy.istio.io/config'];
  if (!proxyConfig) return 15012;
  try {
    const address = String(dict(parseYaml(proxyConfig)).discoveryAddress ?? '');
    return address.endsWith(':15010') ? 15010 : 15012;
  } catch {
    return 15012;
  }
}

function sidecarStartedAt(pod: KubeObject): string {
  const status = list(dict(pod.status).containerStatuses).find((c) => c.name === SIDECAR);
  return String(dict(dict(status?.state).running).startedAt ?? '');
}

/**
 * The xDS side of the mesh: which proxies hold a stream to which istiod, and what config
 * each proxy has. A stream opens only to a serving istiod whose NetworkPolicies admit the
 * proxy on the port it dials; it lasts until that istiod process goes away or recycles it
 * (existing connections survive a new NetworkPolicy, as on most CNIs).
 */
export class XdsModel {
  readonly proxies = new Map<string, Proxy>();

  constructor(
    private readonly registry: Registry,
    private readonly clock: LabClock,
    private readonly events: () => MeshEvents,
    private readonly random: () => number,
  ) {}

  /** One reconcile step against the current API state and the config istiod would push now. */
  sync(istiods: readonly Istiod[], config: ProxyConfig): void {
    this.#syncProxies();
    const serving = istiods.filter((i) => i.ready);
    const admission = {
      policies: this.registry.store.peek(NETWORK_POLICIES, undefined),
      namespaces: this.registry.store.peek(NAMESPACES, undefined),
    };
    const byUid = new Map(istiods.map((i) => [i.uid, i]));
    for (const proxy of this.proxies.values()) {
      if (!proxy.running) {
        delete proxy.stream;
        continue;
      }
      const current = proxy.stream && byUid.get(proxy.stream.istiod.uid);
      if (
        proxy.stream &&
        (!current ||
          !current.running ||
          current.incarnation !== proxy.stream.istiod.incarnation ||
          Date.now() >= proxy.stream.recycleAt)
      ) {
        delete proxy.stream;
      }
      if (!proxy.stream) this.#connect(proxy, serving, config, admission);
      else if (proxy.config?.version !== config.version) this.#push(proxy, config, ['eds', 'lds']);
    }
  }

  connectedTo(istiodUid: string): number {
    let count = 0;
    for (const proxy of this.proxies.values()) if (proxy.stream?.istiod.uid === istiodUid) count++;
    return count;
  }

  /** Has this pod's proxy received config since its container started (its readiness)? */
  hasConfig(pod: KubeObject): boolean {
    const proxy = this.proxies.get(pod.metadata.uid ?? '');
    return proxy?.config !== undefined && proxy.startedAt === sidecarStartedAt(pod);
  }

  #syncProxies(): void {
    const seen = new Set<string>();
    for (const pod of this.registry.store.peek(PODS, undefined)) {
      if (!hasContainer(pod, SIDECAR)) continue;
      const uid = pod.metadata.uid ?? '';
      seen.add(uid);
      const running = containerRunning(pod, SIDECAR);
      const startedAt = sidecarStartedAt(pod);
      let proxy = this.proxies.get(uid);
      if (!proxy || proxy.startedAt !== startedAt) {
        proxy = {
          uid,
          namespace: pod.metadata.namespace ?? '',
          pod: pod.metadata.name ?? '',
          kind: labelsOf(pod).istio === 'ingressgateway' ? 'gateway' : 'sidecar',
          identity: identityOf(this.registry, pod),
          labels: labelsOf(pod),
          xdsPort: xdsPortOf(pod),
          running,
          startedAt,
        };
        this.proxies.set(uid, proxy);
      }
      proxy.running = running;
    }
    for (const uid of this.proxies.keys()) if (!seen.has(uid)) this.proxies.delete(uid);
  }

  #connect(
    proxy: Proxy,
    serving: readonly Istiod[],
    config: ProxyConfig,
    {
      policies,
      namespaces,
    }: { policies: readonly KubeObject[]; namespaces: readonly KubeObject[] },
  ): void {
    const reachable = serving.filter((istiod) =>
      ingressAllowed(
        policies,
        namespaces,
        {
          namespace: istiod.namespace,
          labels: labelsOf(istiod.pod),
          ports: list(list(dict(istiod.pod.spec).containers)[0]?.ports).map((p) => ({
            containerPort: Number(p.containerPort),
            ...(typeof p.name === 'string' && { name: p.name }),
          })),
        },
        { port: proxy.xdsPort, protocol: 'TCP' },
        { namespace: proxy.namespace, labels: proxy.labels },
      ),
    );
    if (reachable.length === 0) return;
    // Like the Service's load balancing: the least-loaded replica, ties broken at random.
    const load = (i: Istiod) => this.connectedTo(i.uid) + this.random() / 2;
    const istiod = reachable.reduce((best, i) => (load(i) < load(best) ? i : best));
    const jitter = 0.9 + this.random() * 0.2;
    proxy.stream = {
      istiod,
      recycleAt: Date.now() + this.clock.wall(MAX_CONNECTION_AGE_MS * jitter),
    };
    this.#push(proxy, config, ['cds', 'eds', 'lds', 'rds']);
  }

  #push(proxy: Proxy, config: ProxyConfig, types: Array<'cds' | 'eds' | 'lds' | 'rds'>): void {
    const istiod = proxy.stream?.istiod;
    if (!istiod) return;
    const at = { namespace: istiod.namespace, pod: istiod.name };
    const events = this.events();
    for (const type of types) events.xdsPush(at, type);
    events.convergence(at, 0.01 + this.random() * 0.09);
    proxy.config = config;
  }
}
