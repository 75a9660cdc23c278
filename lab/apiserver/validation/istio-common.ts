/**
 * Helpers Istio's validation webhook shares across kinds: host names, labels, ports and exportTo
 * (istio/istio pkg/config/labels, pkg/config/validation/agent). Each returns Istio's error text.
 */
import { asArray, asObject, asString, goQuote, plain, type Findings } from './field.js';

export type Deny = (path: string, message: string) => void;
export const denier =
  (out: Findings): Deny =>
  (path, message) =>
    out.denied.push(plain('FieldValueInvalid', path, message));

export const present = (v: unknown): boolean => v !== undefined && v !== null;
export const strList = (v: unknown): string[] => asArray(v).map(asString);

// ---- hosts, labels and ports (pkg/config/labels, pkg/config/validation/agent) ----
const ISTIO_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
/** A label, `*`, or a label after a leading `*` or `*-`. */
const WILDCARD_LABEL = /^(\*|(\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;
export const isIstioLabel = (s: string): boolean => s.length <= 63 && ISTIO_LABEL.test(s);
const isWildcardLabel = (s: string): boolean => s.length <= 63 && WILDCARD_LABEL.test(s);

export function dnsLabelsError(domain: string): string | undefined {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1] ?? '';
  if (/^[+-]?\d+$/.test(tld)) {
    return `domain name ${goQuote(domain)} invalid (top level domain ${goQuote(tld)} cannot be all-numeric)`;
  }
  for (const [i, label] of parts.entries()) {
    if (i === parts.length - 1 && label === '') return undefined;
    if (!isIstioLabel(label))
      return `domain name ${goQuote(domain)} invalid (label ${goQuote(label)} invalid)`;
  }
  return undefined;
}

/** ValidateWildcardDomain: a DNS name whose first label may be a wildcard. */
export function wildcardDomainError(domain: string): string | undefined {
  if (domain.length > 255) return `domain name ${goQuote(domain)} too long (max 255)`;
  if (domain.length === 0) return 'empty domain name not allowed';
  const dot = domain.indexOf('.');
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!isWildcardLabel(first))
    return `domain name ${goQuote(domain)} invalid (label ${goQuote(first)} invalid)`;
  return dot < 0 ? undefined : dnsLabelsError(domain.slice(dot + 1));
}

export const portError = (n: number): string | undefined =>
  n >= 1 && n <= 65535 ? undefined : `port number ${n} must be in the range 1..65535`;

/** Istio's labels.Instance.Validate for subset labels and sourceLabels. */
export function labelErrors(labels: unknown): string[] {
  const errs: string[] = [];
  for (const [k, v] of Object.entries(asObject(labels))) {
    const parts = k.split('/');
    const name = parts[parts.length - 1] ?? '';
    const prefixOk =
      parts.length === 1 ||
      (parts.length === 2 &&
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(parts[0] ?? ''));
    if (
      parts.length > 2 ||
      !prefixOk ||
      !/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name) ||
      name.length > 63
    ) {
      errs.push(`invalid tag key: ${goQuote(k)}`);
    }
    if (
      !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(asString(v)) ||
      asString(v).length > 63
    ) {
      errs.push(`invalid tag value: ${goQuote(asString(v))}`);
    }
  }
  return errs;
}

/** validateExportTo for everything but ServiceEntry. */
export function exportToErrors(
  namespace: string,
  exportTo: string[],
  drWithSelector: boolean,
): string[] {
  const errs: string[] = [];
  const set = new Set<string>();
  for (const e of exportTo) {
    const k = e === '.' ? namespace : e;
    if (set.has(k)) {
      errs.push(
        k !== e
          ? `duplicate entries in exportTo: . and current namespace ${namespace}`
          : `duplicate entries in exportTo for entry ${e}`,
      );
    } else if (k === '~') {
      errs.push('exportTo ~ (none) is not allowed for Istio configuration objects');
    } else if (k !== '*' && !isIstioLabel(k)) {
      errs.push('only .,*, or a valid DNS 1123 label is allowed as exportTo entry');
    } else {
      set.add(k);
    }
  }
  if (drWithSelector && set.size > 0) {
    if (!set.has(namespace))
      errs.push(
        'destination rule with workload selector cannot have exportTo beyond current namespace',
      );
    else if (set.size > 1)
      errs.push('destination rule with workload selector cannot have multiple entries in exportTo');
  }
  if (set.has('*') && exportTo.length > 1) {
    errs.push('cannot have both public (*) and non-public exportTo values for a resource');
  }
  return errs;
}

export function workloadSelectorErrors(selector: unknown): string[] {
  if (!present(selector)) return [];
  const errs: string[] = [];
  for (const [k, v] of Object.entries(asObject(asObject(selector).matchLabels))) {
    const pair = goQuote(`${k}=${asString(v)}`);
    if (k === '') errs.push(`empty key is not supported in selector: ${pair}`);
    if (k.includes('*') || asString(v).includes('*'))
      errs.push(`wildcard is not supported in selector: ${pair}`);
  }
  return errs;
}
