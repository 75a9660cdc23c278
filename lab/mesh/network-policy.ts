/**
 * Kubernetes NetworkPolicy, ingress side only: which policies isolate a pod, and whether a
 * connection from a peer to one of its ports is allowed
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/).
 *
 * A pod no policy selects for ingress accepts everything. Once isolated, a connection is
 * allowed iff some ingress rule of some isolating policy matches both its peer and its port:
 * policies only ever add allowances, and their order does not matter.
 */
import { BlockList, isIP } from 'node:net';
import {
  labelSelectorFromObject,
  matches,
  SelectorError,
  type LabelSelectorObject,
} from '../apiserver/selectors.js';
import type { KubeObject } from '../apiserver/types.js';

export type Peer =
  { namespace: string; labels: Record<string, string> } | { external: true; ip: string };

export interface IngressTarget {
  namespace: string;
  labels: Record<string, string>;
  /** container ports, to resolve named ports */
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
}

type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** The label every namespace carries since Kubernetes 1.22, set by the API server. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * `metav1.LabelSelectorAsSelector` semantics: `{}` selects everything, absent nothing. A selector
 * the API server would have rejected at admission selects nothing rather than throwing.
 */
function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  const object = typeof selector === 'object' && selector !== null ? selector : undefined;
  try {
    return matches(labelSelectorFromObject(object as LabelSelectorObject | undefined), labels);
  } catch (err) {
    if (err instanceof SelectorError) return false;
    throw err;
  }
}

function spec(policy: KubeObject): Record<string, unknown> {
  return record(policy['spec']);
}

/** `policyTypes` as the API server defaults it: Ingress always, Egress when egress rules exist. */
function policyTypes(policy: KubeObject): string[] {
  const declared = list(spec(policy)['policyTypes']).filter(
    (t): t is string => typeof t === 'string',
  );
  if (declared.length > 0) return declared;
  return list(spec(policy)['egress']).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** Policies that select the pod for ingress (it is isolated for ingress iff this is non-empty). */
export function policiesIsolating(
  policies: readonly KubeObject[],
  target: IngressTarget,
): KubeObject[] {
  return policies.filter(
    (policy) =>
      policy.kind === 'NetworkPolicy' &&
      policy.metadata.namespace === target.namespace &&
      // `podSelector` is a non-pointer field in Go: absent decodes to `{}`, i.e. all pods.
      selectorMatches(spec(policy)['podSelector'] ?? {}, target.labels) &&
      policyTypes(policy).includes('Ingress'),
  );
}

// ---------------------------------------------------------------------------------------------
// CIDRs
// ---------------------------------------------------------------------------------------------

interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const version = isIP(address);
  if (version === 0 || !/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (version === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Whether `ip` lies in `cidr` (`10.0.0.0/8`, `fd00::/8`; host bits are ignored). Addresses of
 * one family never match a block of the other. `undefined` when `cidr` is not a valid CIDR.
 */
export function ipInCidr(ip: string, cidr: string): boolean | undefined {
  const block = parseCidr(cidr);
  if (block === undefined) return undefined;
  const version = isIP(ip);
  if (version === 0 || (version === 4) !== (block.family === 'ipv4')) return false;
  const blocks = new BlockList();
  blocks.addSubnet(block.address, block.prefix, block.family);
  return blocks.check(ip, block.family);
}

/** `ipBlock`: inside `cidr` and outside every `except`. An invalid `cidr` matches nothing. */
function ipBlockMatches(ipBlock: Record<string, unknown>, ip: string): boolean {
  const cidr = ipBlock['cidr'];
  if (typeof cidr !== 'string' || ipInCidr(ip, cidr) !== true) return false;
  return !list(ipBlock['except']).some((e) => typeof e === 'string' && ipInCidr(ip, e) === true);
}

// ---------------------------------------------------------------------------------------------
// Peers and ports
// ---------------------------------------------------------------------------------------------

function namespaceLabels(namespaces: readonly KubeObject[], name: string): Record<string, string> {
  const found = namespaces.find((ns) => ns.kind === 'Namespace' && ns.metadata.name === name);
  return { ...found?.metadata.labels, [NAMESPACE_NAME_LABEL]: name };
}

/**
 * One `from` entry. `podSelector` alone means pods in the policy's namespace; with a
 * `namespaceSelector` both must match. `ipBlock` is meant for cluster-external addresses:
 * whether it also covers pod IPs is left to the network plugin, and in this model a pod peer
 * never matches an ipBlock, nor does an external peer match a pod or namespace selector.
 */
function peerMatches(
  entry: Record<string, unknown>,
  peer: Peer,
  policyNamespace: string,
  namespaces: readonly KubeObject[],
): boolean {
  const podSelector = entry['podSelector'];
  const namespaceSelector = entry['namespaceSelector'];
  const ipBlock = entry['ipBlock'];
  if ('external' in peer) {
    return ipBlock !== undefined && ipBlock !== null && ipBlockMatches(record(ipBlock), peer.ip);
  }
  const hasPodSelector = podSelector !== undefined && podSelector !== null;
  const hasNamespaceSelector = namespaceSelector !== undefined && namespaceSelector !== null;
  // An entry with neither selector (only an ipBlock, or invalid and empty) selects no pod.
  if (!hasPodSelector && !hasNamespaceSelector) return false;
  const namespaceOk = hasNamespaceSelector
    ? selectorMatches(namespaceSelector, namespaceLabels(namespaces, peer.namespace))
    : peer.namespace === policyNamespace;
  return namespaceOk && (!hasPodSelector || selectorMatches(podSelector, peer.labels));
}

/** A named port resolves to the target's container port of that name and protocol. */
function resolvePort(port: unknown, protocol: Protocol, target: IngressTarget): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port !== 'string') return undefined;
  const named = (target.ports ?? []).find(
    (p) => p.name === port && (p.protocol ?? 'TCP') === protocol,
  );
  return named?.containerPort;
}

function portMatches(
  entry: Record<string, unknown>,
  request: { port: number; protocol: Protocol },
  target: IngressTarget,
): boolean {
  const protocol = typeof entry['protocol'] === 'string' ? entry['protocol'] : 'TCP';
  if (protocol !== request.protocol) return false;
  const port = entry['port'];
  // No port: every port of the protocol.
  if (port === undefined || port === null) return true;
  const start = resolvePort(port, request.protocol, target);
  if (start === undefined) return false;
  const endPort = entry['endPort'];
  // endPort is only valid with a numeric port; the API server rejects it with a named one.
  const end = typeof port === 'number' && typeof endPort === 'number' ? endPort : start;
  return request.port >= start && request.port <= end;
}

function ruleMatches(
  rule: Record<string, unknown>,
  policyNamespace: string,
  namespaces: readonly KubeObject[],
  target: IngressTarget,
  request: { port: number; protocol: Protocol },
  peer: Peer,
): boolean {
  const from = list(rule['from']);
  const ports = list(rule['ports']);
  const peerOk =
    from.length === 0 ||
    from.some((entry) => peerMatches(record(entry), peer, policyNamespace, namespaces));
  const portOk =
    ports.length === 0 || ports.some((entry) => portMatches(record(entry), request, target));
  return peerOk && portOk;
}

/**
 * Whether a connection from `peer` to `port` (a container port of the target pod) is
 * allowed. `namespaces` are the Namespace objects, for `namespaceSelector`s; a namespace
 * without one still carries its `kubernetes.io/metadata.name` label.
 */
export function ingressAllowed(
  policies: readonly KubeObject[],
  namespaces: readonly KubeObject[],
  target: IngressTarget,
  port: { port: number; protocol?: Protocol },
  peer: Peer,
): boolean {
  const isolating = policiesIsolating(policies, target);
  if (isolating.length === 0) return true;
  const request = { port: port.port, protocol: port.protocol ?? 'TCP' };
  return isolating.some((policy) =>
    list(spec(policy)['ingress']).some((rule) =>
      ruleMatches(record(rule), target.namespace, namespaces, target, request, peer),
    ),
  );
}
