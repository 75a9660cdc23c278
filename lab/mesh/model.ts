import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import type { LabClock } from '../controllers/clock.js';
import type { ContainerBehaviour, WorkingSet } from '../controllers/kubelet.js';
import {
  AUTHORIZATION_POLICIES,
  dict,
  DEPLOYMENTS,
  list,
  PODS,
  SERVICES,
} from '../controllers/objects.js';
import { gatewayCertNotAfter } from './certificates.js';
import { labelsOf, podReady, podsOf, serviceHost, SIDECAR } from './cluster.js';
import {
  DISCOVERY,
  istiodExit,
  istiods,
  meshCa,
  type Istiod,
  type MeshCa,
} from './control-plane.js';
import { sidecarInjector } from './injector.js';
import {
  ingressDestination,
  SEED_CALLS,
  sendRequest,
  type CallGraph,
  type Outcome,
  type TrafficDeps,
} from './traffic.js';
import type { IstiodInstance, MeshEvents, MeshState, ProxyInstance } from './types.js';
import { XdsModel, type Endpoint, type Proxy, type ProxyConfig } from './xds.js';

const MiB = 1024 * 1024;
/** Wall-clock period of the mesh loop (pushes, traffic, churn). */
const TICK_MS = 100;
const HOUR = 3_600_000;

export interface MeshOptions {
  /** Synthetic requests per second entering through the ingress gateway (default 10). */
  requestsPerSecond?: number;
  /** Host the synthetic clients ask the gateway for (default shop.example.com). */
  ingressHost?: string;
  /** Cluster time between two restarts of a workload pod (default 60 s); 0 turns churn off. */
  churnIntervalMs?: number;
  /** Cluster time a restarting pod drains (out of endpoints, still serving) before it dies (default 5 s). */
  drainMs?: number;
  /** Lifetime of workload certificates, cluster time (default 24 h, rotated at 80 %). */
  workloadCertTtlMs?: number;
  /** What each workload calls while serving (default: frontend → orders → payments). */
  calls?: CallGraph;
  random?: () => number;
}

/** Checks a client would make before a request reaches the gateway: can it complete TLS? */
export interface GatewayCredentials {
  credentialFor(serverName: string): { ok: true } | { ok: false; reason: string };
}

interface WorkloadCert {
  notAfter: Date;
  /** Wall-clock ms at which the proxy asks for a new one. */
  renewAt: number;
}

/** Events nobody listens to: the model's default until `start`, and a base for test doubles. */
export const NO_MESH_EVENTS: MeshEvents = {
  request: () => undefined,
  xdsPush: () => undefined,
  convergence: () => undefined,
  xdsReject: () => undefined,
  injection: () => undefined,
  webhookCall: () => undefined,
  sslConnectionError: () => undefined,
};

/**
 * The mesh, derived from the lab's API objects as istiod and the proxies would derive it:
 * control plane health, xDS streams, sidecar injection, workload certificates, endpoint
 * churn and synthetic traffic. It reports what happens through `MeshEvents` and answers
 * `MeshState` for the telemetry exporter.
 */
export class MeshModel implements MeshState {
  readonly #xds: XdsModel;
  readonly #options: Required<Omit<MeshOptions, 'random'>>;
  readonly #random: () => number;
  #events: MeshEvents = NO_MESH_EVENTS;
  #gateway: GatewayCredentials | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastTick = Date.now();
  #requestsDue = 0;
  #nextChurn = 0;
  readonly #draining = new Map<string, { namespace: string; name: string; deleteAt: number }>();
  readonly #certs = new Map<string, WorkloadCert>();
  /** The CA each istiod process loaded when it started (it does not reread it while running). */
  readonly #loadedCa = new Map<string, MeshCa>();
  #istiods: Istiod[] = [];

  readonly workingSet: WorkingSet;
  readonly behaviour: ContainerBehaviour;

  constructor(
    private readonly registry: Registry,
    private readonly clock: LabClock,
    baseWorkingSet: WorkingSet,
    options: MeshOptions = {},
  ) {
    this.#random = options.random ?? Math.random;
    this.#options = {
      requestsPerSecond: options.requestsPerSecond ?? 10,
      ingressHost: options.ingressHost ?? 'shop.example.com',
      churnIntervalMs: options.churnIntervalMs ?? 60_000,
      drainMs: options.drainMs ?? 5_000,
      workloadCertTtlMs: options.workloadCertTtlMs ?? 24 * HOUR,
      calls: options.calls ?? SEED_CALLS,
    };
    this.#xds = new XdsModel(registry, clock, () => this.#events, this.#random);
    this.workingSet = (pod, container) =>
      container.name === DISCOVERY && labelsOf(pod).app === 'istiod'
        ? this.#istiodWorkingSet(pod)
        : baseWorkingSet(pod, container);
    this.behaviour = {
      exitAfterStart: (pod, container) =>
        istiodExit(registry, pod, String(container.name), clock.now()),
      ready: (pod, container) => container.name !== SIDECAR || this.#xds.hasConfig(pod),
    };
    registry.admission.push(
      sidecarInjector(
        registry,
        () => this.#events,
        () => {
          const serving = this.#istiods.find((i) => i.ready);
          return serving && { namespace: serving.namespace, pod: serving.name };
        },
      ),
    );
  }

  /** Starts the mesh loop, reporting to `events`. */
  start(events: MeshEvents): void {
    this.#events = events;
    this.#lastTick = Date.now();
    this.#nextChurn = Date.now() + this.#churnDelay();
    this.#timer = setInterval(() => this.tick(), TICK_MS);
    this.#timer.unref();
  }

  /** The ingress gateway's TLS credentials, once its listener runs. */
  attachGateway(gateway: GatewayCredentials): void {
    this.#gateway = gateway;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Resolves once every Deployment is Available and every proxy has config. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const waiting = this.#notReady();
      if (waiting.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`the mesh did not become ready: ${waiting.slice(0, 5).join('; ')}`);
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
  }

  /** One step of the mesh: derive state, push config, renew certificates, churn, send traffic. */
  tick(): void {
    const now = Date.now();
    const elapsed = now - this.#lastTick;
    this.#lastTick = now;
    this.#istiods = istiods(this.registry);
    this.#rememberLoadedCa();
    this.#xds.sync(this.#istiods, this.#config());
    this.#renewCertificates(now);
    this.#churn(now);
    this.#requestsDue += (this.#options.requestsPerSecond * elapsed) / 1000;
    const requests = Math.floor(this.#requestsDue);
    this.#requestsDue -= requests;
    if (requests === 0) return;
    const deps = this.#trafficDeps();
    for (let i = 0; i < requests; i++) this.#syntheticClient(deps);
  }

  /** What the mesh answers a client that reached the gateway (the listener calls this). */
  route(
    request: { host: string; method: string; path: string },
    deps: TrafficDeps = this.#trafficDeps(),
  ): Outcome {
    const gateway = this.#gatewayProxy();
    if (!gateway) return { code: 503, flags: 'UH', body: 'no healthy upstream', durationMs: 0 };
    const host = ingressDestination(this.registry, request.host.replace(/:\d+$/, ''));
    if (!host) return { code: 404, flags: 'NR', body: '', durationMs: 0 };
    return sendRequest(deps, gateway, host, request);
  }

  istiods(): IstiodInstance[] {
    return this.#istiods.map((istiod) => {
      const ca = this.#loadedCa.get(istiod.incarnation);
      return {
        namespace: istiod.namespace,
        pod: istiod.name,
        revision: istiod.revision,
        running: istiod.running,
        incarnation: istiod.incarnation,
        connectedProxies: this.#xds.connectedTo(istiod.uid),
        ...(ca?.certChainNotAfter && { certChainNotAfter: ca.certChainNotAfter }),
        ...(ca?.rootNotAfter && { rootNotAfter: ca.rootNotAfter }),
      };
    });
  }

  proxies(): ProxyInstance[] {
    return [...this.#xds.proxies.values()].map((proxy) => {
      const certNotAfter =
        proxy.kind === 'gateway'
          ? gatewayCertNotAfter(this.registry, { namespace: proxy.namespace, labels: proxy.labels })
          : this.#certs.get(proxy.uid)?.notAfter;
      return {
        namespace: proxy.namespace,
        pod: proxy.pod,
        workload: proxy.identity.workload,
        kind: proxy.kind,
        running: proxy.running,
        connected: proxy.stream !== undefined,
        xdsPort: proxy.xdsPort,
        ...(certNotAfter && { certNotAfter }),
      };
    });
  }

  #syntheticClient(deps: TrafficDeps): void {
    const gateway = this.#gatewayProxy();
    if (!gateway) return;
    const credential = this.#gateway?.credentialFor(this.#options.ingressHost);
    if (credential && !credential.ok) {
      this.#events.sslConnectionError(
        { namespace: gateway.namespace, pod: gateway.pod },
        '0.0.0.0_8443',
      );
      return;
    }
    this.route({ host: this.#options.ingressHost, method: 'GET', path: '/' }, deps);
  }

  /** A running gateway pod, to terminate the gateway listener's connections. */
  gatewayWorkload():
    { namespace: string; pod: string; labels: Record<string, string> } | undefined {
    const proxy = this.#gatewayProxy();
    return proxy && { namespace: proxy.namespace, pod: proxy.pod, labels: proxy.labels };
  }

  #gatewayProxy(): Proxy | undefined {
    const gateways = [...this.#xds.proxies.values()].filter(
      (p) => p.kind === 'gateway' && p.running && p.config,
    );
    return gateways[Math.floor(this.#random() * gateways.length)];
  }

  /** A snapshot of the cluster for the requests of one tick (or one external request). */
  #trafficDeps(): TrafficDeps {
    const pods = new Map<string, KubeObject>();
    for (const pod of this.registry.store.peek(PODS, undefined))
      pods.set(pod.metadata.uid ?? '', pod);
    const now = this.clock.now();
    return {
      registry: this.registry,
      proxies: this.#xds.proxies,
      pods,
      events: this.#events,
      random: this.#random,
      calls: this.#options.calls,
      certExpired: (proxy: Proxy) => {
        const cert = this.#certs.get(proxy.uid);
        return cert !== undefined && cert.notAfter < now;
      },
    };
  }

  /** What istiod would push now: ready, non-draining endpoints per service, and the policies. */
  #config(): ProxyConfig {
    const endpoints = new Map<string, Endpoint[]>();
    const keys: string[] = [];
    for (const service of this.registry.store.peek(SERVICES, undefined)) {
      const ready = podsOf(this.registry, service)
        .filter((pod) => podReady(pod) && !this.#draining.has(pod.metadata.uid ?? ''))
        .map((pod) => ({
          podUid: pod.metadata.uid ?? '',
          pod: pod.metadata.name ?? '',
          namespace: pod.metadata.namespace ?? '',
        }));
      const host = serviceHost(service);
      endpoints.set(host, ready);
      keys.push(`${host}=${ready.map((e) => e.podUid).join(',')}`);
    }
    const authorizationPolicies = this.registry.store.peek(AUTHORIZATION_POLICIES, undefined);
    keys.push(
      ...authorizationPolicies.map((p) => `${p.metadata.uid}@${p.metadata.resourceVersion}`),
    );
    return { version: keys.join(';'), endpoints, authorizationPolicies };
  }

  #rememberLoadedCa(): void {
    const live = new Set<string>();
    for (const istiod of this.#istiods) {
      live.add(istiod.incarnation);
      if (istiod.running && !this.#loadedCa.has(istiod.incarnation))
        this.#loadedCa.set(
          istiod.incarnation,
          meshCa(this.registry, istiod.namespace, this.clock.now()),
        );
    }
    for (const key of this.#loadedCa.keys()) if (!live.has(key)) this.#loadedCa.delete(key);
  }

  /** Connected sidecars get a certificate from their istiod, and renew it at 80 % of its life. */
  #renewCertificates(now: number): void {
    const ttl = this.#options.workloadCertTtlMs;
    for (const proxy of this.#xds.proxies.values()) {
      const cert = this.#certs.get(proxy.uid);
      if (!proxy.stream || (cert && now < cert.renewAt)) continue;
      const ca = this.#loadedCa.get(proxy.stream.istiod.incarnation);
      const wanted = new Date(this.clock.now().getTime() + ttl);
      const notAfter =
        ca?.certChainNotAfter && ca.certChainNotAfter < wanted ? ca.certChainNotAfter : wanted;
      this.#certs.set(proxy.uid, { notAfter, renewAt: now + this.clock.wall(ttl * 0.8) });
    }
    for (const uid of this.#certs.keys()) if (!this.#xds.proxies.has(uid)) this.#certs.delete(uid);
  }

  /** Now and then a workload pod restarts: it leaves the endpoints, drains, then goes away. */
  #churn(now: number): void {
    for (const [uid, pod] of this.#draining) {
      if (now < pod.deleteAt) continue;
      this.#draining.delete(uid);
      try {
        this.registry.delete(PODS, pod.namespace, pod.name);
      } catch {
        // Already gone: someone else deleted it meanwhile.
      }
    }
    if (this.#options.churnIntervalMs <= 0 || now < this.#nextChurn) return;
    this.#nextChurn = now + this.#churnDelay();
    const candidates = this.registry.store
      .list(PODS, undefined)
      .filter(
        (pod) =>
          list(dict(pod.spec).containers).some((c) => c.name === SIDECAR) &&
          labelsOf(pod).istio !== 'ingressgateway' &&
          podReady(pod) &&
          !this.#draining.has(pod.metadata.uid ?? ''),
      );
    const victim = candidates[Math.floor(this.#random() * candidates.length)];
    if (!victim) return;
    this.#draining.set(victim.metadata.uid ?? '', {
      namespace: victim.metadata.namespace ?? '',
      name: victim.metadata.name ?? '',
      deleteAt: now + this.clock.wall(this.#options.drainMs),
    });
  }

  #churnDelay(): number {
    return this.clock.wall(this.#options.churnIntervalMs * (0.5 + this.#random()));
  }

  /** istiod's memory grows with the proxies it serves and the config it holds. */
  #istiodWorkingSet(pod: KubeObject): number {
    const configObjects =
      this.registry.store.peek(SERVICES, undefined).length +
      this.registry.store.peek(PODS, undefined).length +
      this.registry.store.peek(AUTHORIZATION_POLICIES, undefined).length;
    return (
      72 * MiB + this.#xds.connectedTo(pod.metadata.uid ?? '') * 2 * MiB + configObjects * 32 * 1024
    );
  }

  #notReady(): string[] {
    const waiting: string[] = [];
    for (const deployment of this.registry.store.peek(DEPLOYMENTS, undefined)) {
      const available = list(dict(deployment.status).conditions).some(
        (c) => c.type === 'Available' && c.status === 'True',
      );
      const replicas = Number(dict(deployment.spec).replicas ?? 1);
      if (!available || Number(dict(deployment.status).readyReplicas ?? 0) < replicas)
        waiting.push(
          `deployment ${deployment.metadata.namespace}/${deployment.metadata.name} not available`,
        );
    }
    for (const proxy of this.#xds.proxies.values())
      if (!proxy.config) waiting.push(`proxy ${proxy.namespace}/${proxy.pod} has no config`);
    return waiting;
  }
}
