import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import { dict, list, VIRTUAL_SERVICES } from '../controllers/objects.js';
import { containerRunning, identityOf, SIDECAR, TRUST_DOMAIN } from './cluster.js';
import { evaluateAuthorization } from './authorization.js';
import type { Proxy } from './xds.js';
import type { MeshEvents, RequestRecord, WorkloadIdentity } from './types.js';

/** Istio's default retry policy: 2 retries on connect failures, each to another host. */
const ATTEMPTS = 3;
const APP_PORT = 8080;

export interface Outcome {
  code: number;
  flags: string;
  body: string;
  durationMs: number;
}

const BODIES: Record<string, string> = {
  UH: 'no healthy upstream',
  UF: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
  NC: 'no cluster found',
  NR: '',
};

/** What each workload calls while serving a request: `namespace/workload` → service hosts. */
export type CallGraph = Readonly<Record<string, readonly string[]>>;

export const SEED_CALLS: CallGraph = {
  'frontend/frontend-web': [`orders-api.orders.svc.${TRUST_DOMAIN}`],
  'orders/orders-api': [`payments-api.payments.svc.${TRUST_DOMAIN}`],
};

export interface TrafficDeps {
  registry: Registry;
  proxies: ReadonlyMap<string, Proxy>;
  pods: ReadonlyMap<string, KubeObject>;
  events: MeshEvents;
  random: () => number;
  calls: CallGraph;
  /** Certificates the proxies hold: a request fails mTLS when either side's has expired. */
  certExpired: (proxy: Proxy) => boolean;
}

/**
 * One request through the mesh as Envoy would handle it, with the calls the destination
 * makes in turn; every hop is reported by both proxies, as Istio's telemetry does. Proxies
 * route with the config they last received, so a proxy cut off from istiod keeps sending
 * to endpoints that are gone.
 */
export function sendRequest(
  deps: TrafficDeps,
  source: Proxy,
  host: string,
  request: { method: string; path: string } = { method: 'GET', path: '/' },
): Outcome {
  const sourceIdentity = source.identity;
  const endpoints = source.config?.endpoints.get(host);
  const destinationService = {
    service: host,
    serviceName: host.split('.')[0] ?? host,
  };
  if (!source.config) return unreached(deps, source, host, fail(503, 'NC'));
  if (!endpoints || endpoints.length === 0) return unreached(deps, source, host, fail(503, 'UH'));

  const candidates = shuffle([...endpoints], deps.random).slice(0, ATTEMPTS);
  let reached: { pod: KubeObject; proxy: Proxy } | undefined;
  for (const endpoint of candidates) {
    const pod = deps.pods.get(endpoint.podUid);
    const proxy = deps.proxies.get(endpoint.podUid);
    if (!pod || !proxy?.running || !containerRunning(pod, appContainer(pod))) continue;
    if (deps.certExpired(source) || deps.certExpired(proxy)) {
      deps.events.sslConnectionError(
        { namespace: proxy.namespace, pod: proxy.pod },
        '0.0.0.0_15006',
      );
      continue;
    }
    reached = { pod, proxy };
    break;
  }
  if (!reached) {
    const outcome = fail(503, candidates.length > 1 ? 'UF,URX' : 'UF');
    return unreached(deps, source, host, outcome);
  }

  const destination = reached.proxy;
  const destinationIdentity = identityOf(deps.registry, reached.pod);
  const decision = evaluateAuthorization([...(destination.config?.authorizationPolicies ?? [])], {
    destination: { namespace: destination.namespace, labels: destination.labels },
    source: { principal: sourceIdentity.principal, namespace: sourceIdentity.namespace },
    method: request.method,
    path: request.path,
    port: APP_PORT,
  });
  if (decision.dryRunDenials.length > 0)
    deps.events.rbacShadowDenied?.({ namespace: destination.namespace, pod: destination.pod });
  let outcome: Outcome;
  if (!decision.allowed) {
    outcome = { code: 403, flags: '-', body: 'RBAC: access denied', durationMs: 1 };
  } else {
    outcome = { code: 200, flags: '-', body: 'ok', durationMs: 2 + deps.random() * 8 };
    for (const next of deps.calls[`${destination.namespace}/${destinationIdentity.workload}`] ??
      []) {
      const downstream = sendRequest(deps, destination, next, request);
      outcome.durationMs += downstream.durationMs;
      if (downstream.code >= 400) {
        // The application passes a failed dependency's status on.
        outcome = { ...downstream, flags: '-', durationMs: outcome.durationMs };
        break;
      }
    }
  }
  const record = (reporter: RequestRecord['reporter'], at: Proxy) =>
    deps.events.request({
      reporter,
      reporterPod: { namespace: at.namespace, pod: at.pod },
      source: sourceIdentity,
      destination: { ...destinationIdentity, ...destinationService },
      requestProtocol: 'http',
      responseCode: outcome.code,
      responseFlags: outcome.flags,
      connectionSecurityPolicy: 'mutual_tls',
      durationMs: outcome.durationMs,
    });
  record('destination', destination);
  if (source.kind === 'sidecar' || source.kind === 'gateway') record('source', source);
  return outcome;
}

function fail(code: number, flags: string): Outcome {
  return { code, flags, body: BODIES[flags.split(',')[0] ?? ''] ?? '', durationMs: 1 };
}

/** A hop that never reached a destination proxy: only the source reports it. */
function unreached(deps: TrafficDeps, source: Proxy, host: string, outcome: Outcome): Outcome {
  const [serviceName = host, namespace = 'unknown'] = host.split('.');
  const unknownDestination: WorkloadIdentity = {
    workload: 'unknown',
    namespace,
    principal: 'unknown',
    app: 'unknown',
    version: 'unknown',
    canonicalService: serviceName,
    canonicalRevision: 'latest',
  };
  deps.events.request({
    reporter: 'source',
    reporterPod: { namespace: source.namespace, pod: source.pod },
    source: source.identity,
    destination: { ...unknownDestination, service: host, serviceName },
    requestProtocol: 'http',
    responseCode: outcome.code,
    responseFlags: outcome.flags,
    connectionSecurityPolicy: 'unknown',
    durationMs: outcome.durationMs,
  });
  return outcome;
}

function appContainer(pod: KubeObject): string {
  const app = list(dict(pod.spec).containers).find((c) => c.name !== SIDECAR);
  return String(app?.name ?? SIDECAR);
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The service a Gateway routes `host` to, from the VirtualServices bound to gateways. */
export function ingressDestination(registry: Registry, host: string): string | undefined {
  for (const vs of registry.store.peek(VIRTUAL_SERVICES, undefined)) {
    const spec = dict(vs.spec);
    const hosts = list(spec.hosts).map(String);
    if (list(spec.gateways).length === 0 || !hosts.some((h) => hostMatches(h, host))) continue;
    const route = list(list(spec.http)[0]?.route)[0];
    const destination = String(dict(dict(route).destination).host ?? '');
    if (!destination) continue;
    return destination.includes('.')
      ? destination
      : `${destination}.${vs.metadata.namespace ?? ''}.svc.${TRUST_DOMAIN}`;
  }
  return undefined;
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*' || pattern === host) return true;
  return pattern.startsWith('*.') && host.endsWith(pattern.slice(1));
}
