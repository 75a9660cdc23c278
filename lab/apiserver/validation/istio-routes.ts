/** Istio's ValidateVirtualService and ValidateDestinationRule. */
import { isIP } from 'node:net';
import {
  asArray,
  asObject,
  asString,
  child,
  goQuote,
  index,
  isObject,
  type Json,
} from './field.js';
import {
  dnsLabelsError,
  exportToErrors,
  isIstioLabel,
  labelErrors,
  portError,
  present,
  strList,
  wildcardDomainError,
  workloadSelectorErrors,
  type Deny,
} from './istio-common.js';

// ---- VirtualService (ValidateVirtualService) ----
function hostMatches(a: string, b: string): boolean {
  const aw = a.startsWith('*');
  const bw = b.startsWith('*');
  if (aw && bw)
    return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/** host.Name.SubsetOf: every host `a` names is also named by `b`. */
function subsetOf(a: string, b: string): boolean {
  if (a.startsWith('*')) return b.startsWith('*') && a.slice(1).endsWith(b.slice(1));
  return b.startsWith('*') ? a.endsWith(b.slice(1)) : a === b;
}

function gatewayNameErrors(gateways: string[]): string[] {
  const errs: string[] = [];
  for (const gw of gateways) {
    const slash = gw.indexOf('/');
    if (slash < 0) {
      // Old-style FQDN names; upstream stops checking the list after the first one.
      const name = gw.endsWith('.') ? gw.slice(0, -1) : gw;
      const e =
        gw.length > 255
          ? `domain name ${goQuote(gw)} too long (max 255)`
          : gw === ''
            ? 'empty domain name not allowed'
            : dnsLabelsError(name);
      if (e) errs.push(e);
      return errs;
    }
    const ns = gw.slice(0, slash);
    const name = gw.slice(slash + 1);
    if (!ns || !name) errs.push('config namespace and gateway name cannot be empty');
    if (!isIstioLabel(ns)) errs.push(`invalid value for namespace: ${goQuote(ns)}`);
    if (!isIstioLabel(name)) errs.push(`invalid value for gateway name: ${goQuote(name)}`);
  }
  return errs;
}

function destinationErrors(raw: unknown): string[] {
  if (!isObject(raw)) return [];
  const host = asString(raw.host);
  const errs: string[] = [];
  const hostErr = host === '*' ? `invalid destination host ${host}` : wildcardDomainError(host);
  if (hostErr) errs.push(hostErr);
  const subset = asString(raw.subset);
  if (subset && !isIstioLabel(subset)) errs.push(`subset name is invalid: ${subset}`);
  if (isObject(raw.port)) {
    const e = portError(Number(raw.port.number ?? 0));
    if (e) errs.push(e);
  }
  return errs;
}

function routeDestinationErrors(routes: unknown[], deny: Deny, at: string): void {
  let total = 0;
  routes.forEach((raw, i) => {
    const route = asObject(raw);
    const path = index(at, i);
    destinationErrors(route.destination).forEach((e) => deny(child(path, 'destination'), e));
    const weight = Number(route.weight ?? 0);
    if (weight < 0 || weight > 100)
      deny(child(path, 'weight'), `percentage ${weight} is not in range 0..100`);
    total += weight;
  });
  if (routes.length > 1 && total !== 100) deny(at, `total destination weight ${total} != 100`);
}

function validateHTTPRoute(http: Json, at: string, deny: Deny): void {
  const routes = asArray(http.route);
  if (present(http.redirect)) {
    if (routes.length) deny(at, 'HTTP route cannot contain both route and redirect');
    if (present(http.fault)) deny(at, 'HTTP route cannot contain both fault and redirect');
    if (present(http.rewrite)) deny(at, 'HTTP route rule cannot contain both rewrite and redirect');
  } else if (!routes.length && !present(http.directResponse)) {
    deny(at, 'HTTP route, redirect or direct_response is required');
  }
  const fault = asObject(http.fault);
  if (present(http.fault)) {
    if (!present(fault.abort) && !present(fault.delay))
      deny(child(at, 'fault'), 'HTTP fault injection must have an abort and/or a delay');
    const abort = asObject(fault.abort);
    if (present(abort.grpcStatus))
      deny(child(at, 'fault.abort'), 'gRPC abort fault injection not supported yet');
    if (present(abort.http2Error))
      deny(child(at, 'fault.abort'), 'HTTP/2 abort fault injection not supported yet');
    if (
      typeof abort.httpStatus === 'number' &&
      (abort.httpStatus < 200 || abort.httpStatus > 600)
    ) {
      deny(
        child(at, 'fault.abort.httpStatus'),
        `HTTP status ${abort.httpStatus} is not in range 200-599`,
      );
    }
    if (present(asObject(fault.delay).exponentialDelay))
      deny(child(at, 'fault.delay'), 'exponentialDelay not supported yet');
  }
  asArray(http.match).forEach((raw, i) => {
    const match = asObject(raw);
    const path = index(child(at, 'match'), i);
    if (match.port !== undefined) {
      const e = portError(Number(match.port));
      if (e && Number(match.port) !== 0) deny(child(path, 'port'), e);
    }
    labelErrors(match.sourceLabels).forEach((e) => deny(child(path, 'sourceLabels'), e));
    gatewayNameErrors(strList(match.gateways)).forEach((e) => deny(child(path, 'gateways'), e));
  });
  const mirrorPct = asObject(http.mirrorPercentage).value;
  if (typeof mirrorPct === 'number' && mirrorPct > 100) {
    deny(
      child(at, 'mirrorPercentage'),
      `mirror_percentage must have a max value of 100 (it has ${mirrorPct.toFixed(6)})`,
    );
  }
  destinationErrors(http.mirror).forEach((e) => deny(child(at, 'mirror'), e));
  const retries = asObject(http.retries);
  if (present(http.retries)) {
    const attempts = Number(retries.attempts ?? 0);
    if (attempts < 0) deny(child(at, 'retries.attempts'), 'attempts cannot be negative');
    if (
      attempts === 0 &&
      (present(retries.perTryTimeout) ||
        asString(retries.retryOn) ||
        present(retries.retryRemoteLocalities))
    ) {
      deny(
        child(at, 'retries'),
        'http retry policy configured when attempts are set to 0 (disabled)',
      );
    }
  }
  routeDestinationErrors(routes, deny, child(at, 'route'));
}

export function validateVirtualService(namespace: string, spec: Json, deny: Deny): void {
  const hosts = strList(spec.hosts);
  const gateways = strList(spec.gateways);
  // Without hosts a VirtualService is a delegate, which only gateways' root routes refer to.
  const isDelegate = hosts.length === 0;
  if (isDelegate) {
    if (gateways.length)
      deny('spec.gateways', 'delegate virtual service must have no gateways specified');
    if (asArray(spec.tls).length)
      deny('spec.tls', 'delegate virtual service must have no tls route specified');
    if (asArray(spec.tcp).length)
      deny('spec.tcp', 'delegate virtual service must have no tcp route specified');
  }
  const appliesToMesh = gateways.length === 0 || gateways.includes('mesh');
  const appliesToGateway = gateways.some((g) => g !== 'mesh');
  gatewayNameErrors(gateways).forEach((e) => deny('spec.gateways', e));
  let allHostsValid = true;
  hosts.forEach((h, i) => {
    const e = wildcardDomainError(h);
    if (e && isIP(h) === 0) {
      deny(index('spec.hosts', i), e);
      allHostsValid = false;
    } else if (!e && appliesToMesh && h === '*') {
      deny(
        index('spec.hosts', i),
        'wildcard host * is not allowed for virtual services bound to the mesh gateway',
      );
      allHostsValid = false;
    }
  });
  if (allHostsValid) {
    hosts.forEach((a, i) =>
      hosts.slice(i + 1).forEach((b) => {
        if (hostMatches(a, b))
          deny('spec.hosts', `duplicate hosts in virtual service: ${a} & ${b}`);
      }),
    );
  }
  const http = asArray(spec.http);
  const tcp = asArray(spec.tcp);
  const tls = asArray(spec.tls);
  if (!http.length && !tcp.length && !tls.length)
    deny('spec', 'http, tcp or tls must be provided in virtual service');
  http.forEach((raw, i) => {
    const route = asObject(raw);
    if (!appliesToGateway && present(route.delegate))
      deny(index('spec.http', i), 'http delegate only applies to gateway');
    validateHTTPRoute(route, index('spec.http', i), deny);
  });
  tls.forEach((raw, i) => {
    const route = asObject(raw);
    const at = index('spec.tls', i);
    if (!asArray(route.match).length)
      deny(child(at, 'match'), 'TLS route must have at least one match condition');
    asArray(route.match).forEach((m, j) => {
      const sni = strList(asObject(m).sniHosts);
      if (!sni.length)
        deny(index(child(at, 'match'), j), 'TLS match must have at least one SNI host');
      for (const s of sni) {
        const e = wildcardDomainError(s);
        if (e && isIP(s) === 0) deny(child(index(child(at, 'match'), j), 'sniHosts'), e);
        else if (!hosts.some((h) => subsetOf(s, h))) {
          deny(
            child(index(child(at, 'match'), j), 'sniHosts'),
            `SNI host ${goQuote(s)} is not a compatible subset of any of the virtual service hosts: [${hosts.join(', ')}]`,
          );
        }
      }
    });
    if (!asArray(route.route).length) deny(child(at, 'route'), 'TLS route is required');
    routeDestinationErrors(asArray(route.route), deny, child(at, 'route'));
  });
  tcp.forEach((raw, i) => {
    const route = asObject(raw);
    const at = index('spec.tcp', i);
    if (!asArray(route.route).length) deny(child(at, 'route'), 'TCP route is required');
    routeDestinationErrors(asArray(route.route), deny, child(at, 'route'));
  });
  exportToErrors(namespace, strList(spec.exportTo), false).forEach((e) => deny('spec.exportTo', e));
}

// ---- DestinationRule (ValidateDestinationRule) ----
const POLICY_FIELDS = [
  'outlierDetection',
  'connectionPool',
  'loadBalancer',
  'tls',
  'portLevelSettings',
  'tunnel',
  'proxyProtocol',
  'retryBudget',
];

function trafficPolicyErrors(raw: unknown, deny: Deny, at: string): void {
  if (!present(raw)) return;
  const policy = asObject(raw);
  if (POLICY_FIELDS.every((f) => !present(policy[f]))) {
    deny(at, 'traffic policy must have at least one field');
    return;
  }
  if (present(policy.tunnel) && present(policy.proxyProtocol)) {
    deny(at, 'tunnel and proxyProtocol must not be specified at the same time');
    return;
  }
  const outlier = asObject(policy.outlierDetection);
  if (
    !outlier.splitExternalLocalOriginErrors &&
    Number(outlier.consecutiveLocalOriginFailures ?? 0) > 0
  ) {
    deny(
      child(at, 'outlierDetection'),
      'outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
    );
  }
  for (const f of ['maxEjectionPercent', 'minHealthPercent']) {
    const v = Number(outlier[f] ?? 0);
    if (v < 0 || v > 100)
      deny(child(child(at, 'outlierDetection'), f), `percentage ${v} is not in range 0..100`);
  }
  const tls = asObject(policy.tls);
  const mode = asString(tls.mode);
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && asString(tls.credentialName)) {
    if (
      ['clientCertificate', 'caCertificates', 'privateKey', 'caCrl'].some((k) => asString(tls[k]))
    ) {
      deny(
        child(at, 'tls'),
        'cannot specify client certificates or CA certificate or CA CRL If credentialName is set',
      );
    }
  } else if (mode === 'MUTUAL') {
    if (!asString(tls.clientCertificate))
      deny(child(at, 'tls'), 'client certificate required for mutual tls');
    if (!asString(tls.privateKey)) deny(child(at, 'tls'), 'private key required for mutual tls');
  }
  asArray(policy.portLevelSettings).forEach((raw, i) => {
    const path = index(child(at, 'portLevelSettings'), i);
    const p = asObject(raw);
    if (!present(p.port)) deny(path, 'portTrafficPolicy must have valid port');
    if (
      ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls'].every((f) => !present(p[f]))
    ) {
      deny(path, 'port traffic policy must have at least one field');
    }
  });
}

export function validateDestinationRule(namespace: string, spec: Json, deny: Deny): void {
  const hostErr = wildcardDomainError(asString(spec.host));
  if (hostErr) deny('spec.host', hostErr);
  trafficPolicyErrors(spec.trafficPolicy, deny, 'spec.trafficPolicy');
  const names = new Set<string>();
  asArray(spec.subsets).forEach((raw, i) => {
    const at = index('spec.subsets', i);
    if (!isObject(raw)) {
      deny(at, 'subset may not be null');
      return;
    }
    const name = asString(raw.name);
    if (names.has(name)) deny(child(at, 'name'), `duplicate subset names: ${name}`);
    names.add(name);
    if (!name) deny(child(at, 'name'), 'subset name cannot be empty');
    else if (!isIstioLabel(name)) deny(child(at, 'name'), `subset name is invalid: ${name}`);
    labelErrors(raw.labels).forEach((e) => deny(child(at, 'labels'), e));
    trafficPolicyErrors(raw.trafficPolicy, deny, child(at, 'trafficPolicy'));
  });
  exportToErrors(namespace, strList(spec.exportTo), present(spec.workloadSelector)).forEach((e) =>
    deny('spec.exportTo', e),
  );
  workloadSelectorErrors(spec.workloadSelector).forEach((e) => deny('spec.workloadSelector', e));
}
