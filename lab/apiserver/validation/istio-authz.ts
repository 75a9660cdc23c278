/** Istio's ValidateAuthorizationPolicy (security.istio.io AuthorizationPolicy). */
import { isIP } from 'node:net';
import { asArray, asObject, asString, child, goQuote, index, type Json } from './field.js';
import { present, strList, workloadSelectorErrors, type Deny } from './istio-common.js';

// ---- AuthorizationPolicy (ValidateAuthorizationPolicy) ----
const SOURCE_FIELDS = [
  'principals', 'requestPrincipals', 'namespaces', 'ipBlocks', 'remoteIpBlocks', 'notPrincipals',
  'notRequestPrincipals', 'notNamespaces', 'notIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts',
  'notServiceAccounts',
]; // prettier-ignore
const EMPTY_CHECKED_SOURCE = [
  'principals', 'requestPrincipals', 'namespaces', 'serviceAccounts', 'ipBlocks', 'remoteIpBlocks',
  'notPrincipals', 'notRequestPrincipals', 'notNamespaces', 'notServiceAccounts', 'notIpBlocks',
  'notRemoteIpBlocks',
]; // prettier-ignore
const OPERATION_FIELDS = [
  'ports',
  'methods',
  'paths',
  'hosts',
  'notPorts',
  'notMethods',
  'notPaths',
  'notHosts',
];
const CUSTOM_UNSUPPORTED = [
  'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'principals',
  'notPrincipals', 'requestPrincipals', 'notRequestPrincipals',
]; // prettier-ignore
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Go's netip.ParseAddr / ParsePrefix, reduced to the error text security.ValidateIPs wraps. */
function ipErrors(values: string[]): string[] {
  const errs: string[] = [];
  for (const v of values) {
    if (!v.includes('/')) {
      if (isIP(v) === 0) errs.push(`bad IP address (${v})`);
      continue;
    }
    const slash = v.lastIndexOf('/');
    const addr = v.slice(0, slash);
    const bits = v.slice(slash + 1);
    const family = isIP(addr);
    let reason: string | undefined;
    if (family === 0) reason = `ParseAddr(${goQuote(addr)}): unable to parse IP`;
    else if (!/^(0|[1-9][0-9]*)$/.test(bits)) reason = `bad bits after slash: ${goQuote(bits)}`;
    else if (Number(bits) > (family === 6 ? 128 : 32)) reason = 'prefix length out of range';
    if (reason) errs.push(`bad CIDR range (${v}): netip.ParsePrefix(${goQuote(v)}): ${reason}`);
  }
  return errs;
}

function portListErrors(values: string[]): string[] {
  return values.flatMap((p) => {
    if (!/^[0-9]+$/.test(p))
      return [`bad port (${p}): strconv.ParseUint: parsing ${goQuote(p)}: invalid syntax`];
    if (BigInt(p) > 4294967295n)
      return [`bad port (${p}): strconv.ParseUint: parsing ${goQuote(p)}: value out of range`];
    return Number(p) > 65535 ? [`bad port (${p}): <nil>`] : [];
  });
}

const ATTRIBUTES_EXACT = new Set([
  'source.namespace', 'source.principal', 'source.serviceAccount', 'request.auth.principal',
  'request.auth.audiences', 'request.auth.presenter', 'connection.sni',
]); // prettier-ignore
const IP_ATTRIBUTES = new Set(['source.ip', 'remote.ip', 'destination.ip']);
const MAP_ATTRIBUTES = ['request.headers', 'request.auth.claims', 'experimental.envoy.filters.'];
const DISABLED_ATTRIBUTES = ['destination.name', 'destination.namespace', 'destination.user'];

/** security.ValidateAttribute: the condition key is known and its values well-formed. */
function attributeError(k: string, values: string[]): string | undefined {
  if (k.startsWith('destination.labels') || DISABLED_ATTRIBUTES.includes(k))
    return `disabled attribute ${k}`;
  if (MAP_ATTRIBUTES.some((p) => k.startsWith(p))) {
    const open = k.indexOf('[');
    return k.endsWith(']') && open > 0 && open < k.length - 2
      ? undefined
      : `bad key (${k}): should have format a[b]`;
  }
  if (IP_ATTRIBUTES.has(k)) {
    const errs = ipErrors(values);
    return errs.length ? errs.join('; ') : undefined;
  }
  if (k === 'destination.port') {
    const errs = portListErrors(values);
    return errs.length ? errs.join('; ') : undefined;
  }
  return ATTRIBUTES_EXACT.has(k) ? undefined : `unknown attribute: ${k}`;
}

export function validateAuthorizationPolicy(spec: Json, deny: Deny): void {
  const action = asString(spec.action) || 'ALLOW';
  const rules = asArray(spec.rules);
  const hasRules = rules.length > 0;
  const selectorKinds =
    [spec.selector, spec.targetRef].filter(present).length +
    (asArray(spec.targetRefs).length ? 1 : 0);
  if (selectorKinds > 1) deny('spec', 'only one of targetRefs or workloadSelector can be set');
  for (const e of workloadSelectorErrors(spec.selector)) deny('spec.selector', e);
  const refs = [
    ...(present(spec.targetRef) ? [['spec.targetRef', spec.targetRef]] : []),
    ...asArray(spec.targetRefs).map((r, i) => [index('spec.targetRefs', i), r]),
  ] as Array<[string, unknown]>;
  for (const [at, raw] of refs) {
    const ref = asObject(raw);
    if (!asString(ref.name)) deny(at, 'targetRef name must be set');
    if (asString(ref.namespace))
      deny(at, 'targetRef namespace must not be set; cross namespace referencing is not supported');
  }
  if (action === 'CUSTOM') {
    if (!hasRules) {
      deny(
        'spec.rules',
        'CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
      );
    } else if (!asString(asObject(spec.provider).name)) {
      deny('spec.provider.name', '`provider.name` must not be empty');
    }
    rules.forEach((raw, i) => {
      const rule = asObject(raw);
      asArray(rule.from).forEach((f, j) => {
        const src = asObject(asObject(f).source);
        for (const field of CUSTOM_UNSUPPORTED) {
          if (asArray(src[field]).length) {
            deny(
              child(index(child(index('spec.rules', i), 'from'), j), `source.${field}`),
              `From.${capitalize(field)} is currently not supported with CUSTOM action`,
            );
          }
        }
      });
      asArray(rule.when).forEach((w, j) => {
        const k = asString(asObject(w).key);
        if (
          ['source.namespace', 'source.serviceAccount', 'source.principal'].includes(k) ||
          k.startsWith('request.auth.')
        ) {
          deny(
            child(index(child(index('spec.rules', i), 'when'), j), 'key'),
            `${k} is currently not supported with CUSTOM action`,
          );
        }
      });
    });
  }
  if (present(spec.provider) && action !== 'CUSTOM') {
    deny('spec.provider', `\`provider\` must not be with non CUSTOM action, found ${action}`);
  }
  if (action === 'DENY' && !hasRules) {
    deny(
      'spec.rules',
      'DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
    );
  }
  rules.forEach((raw, i) => validateAuthzRule(asObject(raw), i, deny));
}

function validateAuthzRule(rule: Json, i: number, deny: Deny): void {
  const at = index('spec.rules', i);
  asArray(rule.from).forEach((raw, j) => {
    const path = index(child(at, 'from'), j);
    const from = asObject(raw);
    if (!present(from.source)) {
      deny(path, `\`from.source\` must not be nil, found at rule ${i}`);
      return;
    }
    const src = asObject(from.source);
    const count = (fields: string[]) => fields.reduce((n, f) => n + asArray(src[f]).length, 0);
    if (
      count(['principals', 'notPrincipals', 'namespaces', 'notNamespaces']) > 0 &&
      count(['serviceAccounts', 'notServiceAccounts']) > 0
    ) {
      deny(
        child(path, 'source'),
        `cannot set serviceAccounts with namespaces or principals, found at rule ${i}`,
      );
    }
    if (count(SOURCE_FIELDS) === 0)
      deny(child(path, 'source'), `\`from.source\` must not be empty, found at rule ${i}`);
    for (const f of ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks']) {
      for (const e of ipErrors(strList(src[f]))) deny(child(child(path, 'source'), f), e);
    }
    for (const f of EMPTY_CHECKED_SOURCE) {
      if (strList(src[f]).includes(''))
        deny(child(child(path, 'source'), f), `empty value not allowed, found in ${capitalize(f)}`);
    }
  });
  asArray(rule.to).forEach((raw, j) => {
    const path = index(child(at, 'to'), j);
    const to = asObject(raw);
    if (!present(to.operation)) {
      deny(path, `\`to.operation\` must not be nil, found at rule ${i}`);
      return;
    }
    const op = asObject(to.operation);
    if (OPERATION_FIELDS.every((f) => asArray(op[f]).length === 0)) {
      deny(child(path, 'operation'), `\`to.operation\` must not be empty, found at rule ${i}`);
    }
    for (const f of ['ports', 'notPorts']) {
      for (const e of portListErrors(strList(op[f]))) deny(child(child(path, 'operation'), f), e);
    }
    for (const f of OPERATION_FIELDS) {
      if (strList(op[f]).includes(''))
        deny(
          child(child(path, 'operation'), f),
          `empty value not allowed, found in ${capitalize(f)}`,
        );
    }
  });
  asArray(rule.when).forEach((raw, j) => {
    const path = index(child(at, 'when'), j);
    const cond = asObject(raw);
    const k = asString(cond.key);
    if (!k) {
      deny(child(path, 'key'), '`key` must not be empty');
      return;
    }
    const values = strList(cond.values);
    const notValues = strList(cond.notValues);
    if (!values.length && !notValues.length) {
      deny(path, `at least one of \`values\` or \`notValues\` must be set for key ${k}`);
      return;
    }
    const valueErr = attributeError(k, values);
    if (valueErr) deny(child(path, 'values'), `invalid \`value\` for \`key\` ${k}: ${valueErr}`);
    const notValueErr = attributeError(k, notValues);
    if (notValueErr)
      deny(child(path, 'notValues'), `invalid \`notValue\` for \`key\` ${k}: ${notValueErr}`);
  });
}
