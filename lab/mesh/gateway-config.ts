import type { Registry } from '../apiserver/registry.js';
import { findResourceByKind, type ResourceType } from '../apiserver/resources.js';
import type { KubeObject } from '../apiserver/types.js';
import { dict, list } from '../controllers/objects.js';

/**
 * Which Istio Gateway servers the ingress gateway pod serves, and which of them answers a
 * given SNI or Host, as istiod derives a gateway's listeners from `networking.istio.io`
 * Gateways.
 */

export function servedResource(apiVersion: string, kind: string): ResourceType {
  const found = findResourceByKind(apiVersion, kind);
  if (!found) throw new Error(`the lab serves no ${apiVersion} ${kind}`);
  return found;
}

const GATEWAYS = servedResource('networking.istio.io/v1', 'Gateway');

export interface GatewayWorkload {
  namespace: string;
  pod: string;
  labels: Record<string, string>;
}

export interface GatewayServer {
  /** `namespace/name` of the Gateway declaring it. */
  gateway: string;
  gatewayResourceVersion: string;
  /** Index in `spec.servers`. */
  index: number;
  protocol: string;
  portNumber: number;
  /** The hosts with any `namespace/` prefix removed. */
  hosts: string[];
  tlsMode?: string;
  credentialName?: string;
  httpsRedirect: boolean;
}

/**
 * Service port → gateway container port of the Helm chart's `istio-ingressgateway` Service
 * (80 → 8080, 443 → 8443). A Gateway server may name either: istiod maps the Service port to
 * its targetPort, and a server declaring the container port directly binds it as is.
 */
const HTTPS_PORTS = new Set([443, 8443]);
const HTTP_PORTS = new Set([80, 8080]);
const TERMINATING_TLS_MODES = new Set(['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL']);

/**
 * Gateways whose selector is a subset of the workload's labels. Istio matches a Gateway's
 * selector against gateway workloads in every namespace (unless PILOT_SCOPE_GATEWAY_TO_NAMESPACE
 * is set, which the seeded istiod does not), oldest Gateway first as istiod merges them.
 */
export function selectedGateways(registry: Registry, workload: GatewayWorkload): KubeObject[] {
  return registry.store
    .list(GATEWAYS, undefined)
    .filter((gateway) => {
      const selector = dict(dict(gateway.spec).selector);
      return Object.entries(selector).every(([key, value]) => workload.labels[key] === value);
    })
    .sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
        gatewayKey(a).localeCompare(gatewayKey(b)),
    );
}

function gatewayKey(gateway: KubeObject): string {
  return `${gateway.metadata.namespace ?? ''}/${gateway.metadata.name ?? ''}`;
}

export function serversOf(gateway: KubeObject): GatewayServer[] {
  return list(dict(gateway.spec).servers).map((server, index) => {
    const port = dict(server.port);
    const tls = dict(server.tls);
    return {
      gateway: gatewayKey(gateway),
      gatewayResourceVersion: gateway.metadata.resourceVersion ?? '',
      index,
      protocol: typeof port.protocol === 'string' ? port.protocol.toUpperCase() : '',
      portNumber: typeof port.number === 'number' ? port.number : 0,
      hosts: (Array.isArray(server.hosts) ? server.hosts : [])
        .filter((host): host is string => typeof host === 'string')
        .map((host) => host.slice(host.indexOf('/') + 1)),
      ...(typeof tls.mode === 'string' && { tlsMode: tls.mode }),
      ...(typeof tls.credentialName === 'string' && { credentialName: tls.credentialName }),
      httpsRedirect: tls.httpsRedirect === true,
    };
  });
}

/** Servers terminating TLS on the gateway's HTTPS listener (`0.0.0.0_8443`). */
export function httpsServers(gateways: KubeObject[]): GatewayServer[] {
  return gateways
    .flatMap(serversOf)
    .filter(
      (s) =>
        s.protocol === 'HTTPS' &&
        HTTPS_PORTS.has(s.portNumber) &&
        TERMINATING_TLS_MODES.has(s.tlsMode ?? ''),
    );
}

/** Servers of the gateway's plain HTTP listener (`0.0.0.0_8080`). */
export function httpServers(gateways: KubeObject[]): GatewayServer[] {
  return gateways
    .flatMap(serversOf)
    .filter(
      (s) => (s.protocol === 'HTTP' || s.protocol === 'HTTP2') && HTTP_PORTS.has(s.portNumber),
    );
}

/**
 * How specifically `pattern` (a Gateway host) matches `host`: exact beats the longest
 * wildcard suffix, which beats `*`; undefined when it does not match. Like Envoy's
 * server_names, `*.example.com` matches any name below example.com, at any depth.
 */
export function hostMatch(pattern: string, host: string): number | undefined {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === '*') return 0;
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    return h.length > suffix.length && h.endsWith(suffix) ? suffix.length : undefined;
  }
  return p === h ? Number.MAX_SAFE_INTEGER : undefined;
}

/** The server whose hosts match `host` most specifically; the first declared wins a tie. */
export function bestServer(servers: GatewayServer[], host: string): GatewayServer | undefined {
  let best: { server: GatewayServer; score: number } | undefined;
  for (const server of servers) {
    for (const pattern of server.hosts) {
      const score = hostMatch(pattern, host);
      if (score !== undefined && (!best || score > best.score)) best = { server, score };
    }
  }
  return best?.server;
}
