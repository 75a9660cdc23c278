/**
 * Istio AuthorizationPolicy evaluation for one HTTP request arriving at a sidecar
 * (https://istio.io/latest/docs/reference/config/security/authorization-policy/).
 *
 * A policy applies when it lives in the destination's namespace or in the root namespace and
 * its `selector.matchLabels` (absent: every workload) are all on the destination. Policies with
 * `targetRef`/`targetRefs` bind to gateways or waypoints, never to sidecars, so they are ignored.
 * Then, as Istio orders it:
 *
 * 1. CUSTOM: delegates to an ext-authz provider. The lab has none, so CUSTOM policies are
 *    treated as not matching and never deny.
 * 2. DENY: any matching rule of any DENY policy denies.
 * 3. ALLOW: if no ALLOW policy applies, the request is allowed; otherwise some rule of some
 *    ALLOW policy must match.
 *
 * AUDIT only marks requests for logging and never changes the decision. Policies annotated
 * `istio.io/dry-run: "true"` are evaluated in a shadow pass and reported, never enforced.
 *
 * Matching follows the RBAC config istiod generates (pilot/pkg/security/authz/model), including
 * its handling of values it cannot translate: see `ruleMatches`.
 */
import type { KubeObject } from '../apiserver/types.js';
import { ipInCidr } from './network-policy.js';

export interface AuthzRequest {
  destination: { namespace: string; labels: Record<string, string> };
  /** Source identity from mTLS; undefined principal/namespace for plaintext or external callers. */
  source: {
    principal?: string;
    namespace?: string;
    /** Source address, for `ipBlocks`/`source.ip`; when undefined no IP block matches it. */
    ip?: string;
  };
  method: string;
  path: string;
  port: number;
  host?: string;
}

export interface AuthzDecision {
  allowed: boolean;
  /**
   * `namespace/name` of the policy that decided (the DENY that matched, or the ALLOW set), absent
   * when no policy applies. Denied for want of a matching ALLOW rule, it lists every enforced
   * ALLOW policy that applied, comma-separated; allowed by one, it names that one.
   */
  policy?: string;
  /** DENY/ALLOW policies carrying `istio.io/dry-run: "true"` whose (shadow) decision would have denied: `namespace/name` each. */
  dryRunDenials: string[];
}

type Action = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

const ACTIONS: readonly string[] = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'];

interface Policy {
  id: string;
  namespace: string;
  action: Action;
  dryRun: boolean;
  rules: unknown[];
  spec: Record<string, unknown>;
}

/**
 * How one policy value compares with the request: `undefined` when istiod could not translate
 * the value (a port that is not a number, a malformed CIDR or header key).
 */
type ValueTest = (value: string) => boolean | undefined;

/** One field of a source, operation or condition: its values ORed, its not-values negated. */
interface Constraint {
  values: string[];
  notValues: string[];
  test: ValueTest;
}

interface CompiledRule {
  /** ORed; each entry the AND of its constraints. Empty: any source. */
  from: Constraint[][];
  /** ORed; each entry the AND of its constraints. Empty: any operation. */
  to: Constraint[][];
  when: Constraint[];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function strings(value: unknown): string[] {
  return list(value).filter((v): v is string => typeof v === 'string');
}

// ---------------------------------------------------------------------------------------------
// Policies and where they apply
// ---------------------------------------------------------------------------------------------

/** istiod reads the annotation with Go's `strconv.ParseBool`. */
const TRUE_STRINGS: readonly string[] = ['1', 't', 'T', 'TRUE', 'true', 'True'];

function toPolicy(obj: KubeObject): Policy | undefined {
  if (obj.kind !== 'AuthorizationPolicy' || !obj.apiVersion.startsWith('security.istio.io/')) {
    return undefined;
  }
  const spec = record(obj['spec']);
  const action = spec['action'] ?? 'ALLOW';
  if (typeof action !== 'string' || !ACTIONS.includes(action)) return undefined;
  const namespace = obj.metadata.namespace ?? '';
  const dryRun = obj.metadata.annotations?.['istio.io/dry-run'];
  return {
    id: `${namespace}/${obj.metadata.name ?? ''}`,
    namespace,
    action: action as Action,
    dryRun: dryRun !== undefined && TRUE_STRINGS.includes(dryRun),
    rules: list(spec['rules']),
    spec,
  };
}

function hasTargetRef(spec: Record<string, unknown>): boolean {
  const targetRef = spec['targetRef'];
  return (targetRef !== undefined && targetRef !== null) || list(spec['targetRefs']).length > 0;
}

function applies(policy: Policy, request: AuthzRequest, rootNamespace: string): boolean {
  if (policy.namespace !== request.destination.namespace && policy.namespace !== rootNamespace) {
    return false;
  }
  if (hasTargetRef(policy.spec)) return false;
  const matchLabels = record(record(policy.spec['selector'])['matchLabels']);
  return Object.entries(matchLabels).every(
    ([key, value]) =>
      Object.hasOwn(request.destination.labels, key) && request.destination.labels[key] === value,
  );
}

/**
 * Root-namespace policies first (istiod puts them in a filter of their own ahead of the
 * namespace's), then by namespace and name, the order Envoy's RBAC engine reports matches in.
 */
function evaluationOrder(rootNamespace: string) {
  return (a: Policy, b: Policy): number => {
    const aRoot = a.namespace === rootNamespace ? 0 : 1;
    const bRoot = b.namespace === rootNamespace ? 0 : 1;
    if (aRoot !== bRoot) return aRoot - bRoot;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** Istio's string match: `*` presence (non-empty), `*abc` suffix, `abc*` prefix, else exact. */
function matchesIstioString(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (p === '*') return v !== '';
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  return v === p;
}

function stringTest(actual: string | undefined, ignoreCase = false): ValueTest {
  return (pattern) => actual !== undefined && matchesIstioString(pattern, actual, ignoreCase);
}

/** Policies name peers as `cluster.local/ns/x/sa/y`; the certificate's URI SAN adds `spiffe://`. */
function principalTest(request: AuthzRequest): ValueTest {
  const principal = request.source.principal;
  return stringTest(principal?.startsWith('spiffe://') ? principal.slice(9) : principal);
}

function portTest(actual: number): ValueTest {
  return (value) => {
    if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) return undefined;
    return Number(value) === actual;
  };
}

/** Single addresses (`10.1.2.3`) and CIDRs (`10.1.0.0/16`), IPv4 or IPv6. */
function ipTest(actual: string | undefined): ValueTest {
  return (value) => {
    const cidr = value.includes('/') ? value : `${value}/${value.includes(':') ? 128 : 32}`;
    // An empty address matches no block but still has the block validated.
    return ipInCidr(actual ?? '', cidr);
  };
}

/** Attributes the lab never carries (JWT claims, SNI, Envoy metadata): nothing is present. */
const absent: ValueTest = () => false;

/** `request.headers[<name>]`. The lab's requests carry no headers. */
function headerTest(bracketed: string): ValueTest {
  const wellFormed = bracketed.startsWith('[') && bracketed.endsWith(']');
  return () => (wellFormed ? false : undefined);
}

/**
 * The test for a `when` key, or undefined for a key istiod does not know (see
 * https://istio.io/latest/docs/reference/config/security/conditions/).
 */
function conditionTest(key: string, request: AuthzRequest): ValueTest | undefined {
  switch (key) {
    case 'source.principal':
      return principalTest(request);
    case 'source.namespace':
      return stringTest(request.source.namespace);
    case 'source.ip':
    case 'remote.ip':
      return ipTest(request.source.ip);
    case 'destination.port':
      return portTest(request.port);
    case 'destination.ip':
      return ipTest(undefined);
    case 'connection.sni':
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
      return absent;
  }
  if (key.startsWith('request.headers')) return headerTest(key.slice('request.headers'.length));
  if (key.startsWith('request.auth.claims') || key.startsWith('experimental.envoy.filters.')) {
    return absent;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

function constraint(
  fields: Record<string, unknown>,
  name: string,
  notName: string,
  test: ValueTest,
): Constraint {
  return { values: strings(fields[name]), notValues: strings(fields[notName]), test };
}

function sourceConstraints(source: Record<string, unknown>, request: AuthzRequest): Constraint[] {
  return [
    constraint(source, 'principals', 'notPrincipals', principalTest(request)),
    constraint(source, 'namespaces', 'notNamespaces', stringTest(request.source.namespace)),
    constraint(source, 'ipBlocks', 'notIpBlocks', ipTest(request.source.ip)),
    // Without trusted proxies (none in the lab) the remote address is the source address.
    constraint(source, 'remoteIpBlocks', 'notRemoteIpBlocks', ipTest(request.source.ip)),
    // No JWTs in the lab: a request principal is never present.
    constraint(source, 'requestPrincipals', 'notRequestPrincipals', absent),
  ];
}

function operationConstraints(
  operation: Record<string, unknown>,
  request: AuthzRequest,
): Constraint[] {
  return [
    constraint(operation, 'hosts', 'notHosts', stringTest(request.host, true)),
    constraint(operation, 'ports', 'notPorts', portTest(request.port)),
    constraint(operation, 'methods', 'notMethods', stringTest(request.method)),
    constraint(operation, 'paths', 'notPaths', stringTest(request.path)),
  ];
}

/** Undefined when a `when` key is unknown. */
function compileRule(
  rule: Record<string, unknown>,
  request: AuthzRequest,
): CompiledRule | undefined {
  const when: Constraint[] = [];
  for (const condition of list(rule['when']).map(record)) {
    const key = typeof condition['key'] === 'string' ? condition['key'] : '';
    const test = conditionTest(key, request);
    if (test === undefined) return undefined;
    when.push(constraint(condition, 'values', 'notValues', test));
  }
  return {
    from: list(rule['from']).map((f) => sourceConstraints(record(record(f)['source']), request)),
    to: list(rule['to']).map((t) => operationConstraints(record(record(t)['operation']), request)),
    when,
  };
}

function hasUntranslatableValue(c: Constraint): boolean {
  return [...c.values, ...c.notValues].some((v) => c.test(v) === undefined);
}

/** Untranslatable values are dropped; a field left without values no longer constrains. */
function holds(c: Constraint): boolean {
  const positive = c.values.map(c.test).filter((r) => r !== undefined);
  const negative = c.notValues.map(c.test).filter((r) => r !== undefined);
  return (positive.length === 0 || positive.includes(true)) && !negative.includes(true);
}

function anyEntryHolds(entries: Constraint[][]): boolean {
  return entries.length === 0 || entries.some((entry) => entry.every(holds));
}

/**
 * One rule. Where istiod cannot translate part of a policy it errs on the side of denying:
 *
 * - A `when` key it does not know makes it skip the whole rule ("skipped invalid rule ...:
 *   unknown attribute"), whatever the action, so the rule matches nothing. (Istio 1.4's docs
 *   said unsupported keys were "silently ignored"; current istiod skips the rule, and the
 *   validating webhook rejects such a policy before it is ever stored.)
 * - A value it cannot translate (port `abc`, CIDR `10.0.0.0/99`, header key without brackets)
 *   makes it skip the whole rule of an ALLOW policy, a smaller allow; in DENY and AUDIT
 *   policies only that value is dropped, a wider deny.
 */
function ruleMatches(rule: unknown, request: AuthzRequest, action: Action): boolean {
  // istiod skips null rules; `{}` is a rule that matches everything.
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return false;
  const compiled = compileRule(rule as Record<string, unknown>, request);
  if (compiled === undefined) return false;
  const constraints = [...compiled.from.flat(), ...compiled.to.flat(), ...compiled.when];
  if (action === 'ALLOW' && constraints.some(hasUntranslatableValue)) return false;
  return anyEntryHolds(compiled.from) && anyEntryHolds(compiled.to) && compiled.when.every(holds);
}

/** `rules` absent or empty matches nothing. */
function policyMatches(policy: Policy, request: AuthzRequest): boolean {
  return policy.rules.some((rule) => ruleMatches(rule, request, policy.action));
}

/** The policy's own decision in the shadow pass: a DENY that matches, an ALLOW that does not. */
function shadowDenies(policy: Policy, request: AuthzRequest): boolean {
  if (policy.action === 'DENY') return policyMatches(policy, request);
  if (policy.action === 'ALLOW') return !policyMatches(policy, request);
  return false;
}

export function evaluateAuthorization(
  policies: readonly KubeObject[],
  request: AuthzRequest,
  rootNamespace = 'istio-system',
): AuthzDecision {
  const applicable = policies
    .map(toPolicy)
    .filter((p): p is Policy => p !== undefined && applies(p, request, rootNamespace))
    .sort(evaluationOrder(rootNamespace));
  const dryRunDenials = applicable
    .filter((p) => p.dryRun && shadowDenies(p, request))
    .map((p) => p.id);
  const enforced = applicable.filter((p) => !p.dryRun);

  // CUSTOM policies would be evaluated here; without an ext-authz provider they never deny.
  const deny = enforced.find((p) => p.action === 'DENY' && policyMatches(p, request));
  if (deny !== undefined) return { allowed: false, policy: deny.id, dryRunDenials };

  const allows = enforced.filter((p) => p.action === 'ALLOW');
  if (allows.length === 0) return { allowed: true, dryRunDenials };
  const allow = allows.find((p) => policyMatches(p, request));
  if (allow !== undefined) return { allowed: true, policy: allow.id, dryRunDenials };
  return { allowed: false, policy: allows.map((p) => p.id).join(','), dryRunDenials };
}
