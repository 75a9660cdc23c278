/**
 * admissionregistration.k8s.io/v1 MutatingWebhookConfiguration, as
 * pkg/apis/admissionregistration/validation validates it on create.
 */
import {
  asArray,
  asObject,
  asString,
  child,
  duplicate,
  index,
  invalid,
  notSupported,
  required,
  type Findings,
} from './field.js';
import { asPrefixAware } from './meta.js';
import { isDNS1035Label, isDNS1123Subdomain, isValidPortNum } from './names.js';
import { validateLabelSelector } from './selector.js';
import type { KindValidator } from './kinds.js';

// Sorted, as sets.String.List() returns them.
const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const REINVOCATION_POLICIES = ['IfNeeded', 'Never'];
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const SCOPES = ['*', 'Cluster', 'Namespaced'];
const REVIEW_VERSIONS = ['v1', 'v1beta1', 'v1alpha1'];

/** utilvalidation.IsFullyQualifiedName: a DNS subdomain with at least three segments. */
function fullyQualifiedName(name: string, path: string, out: Findings): void {
  if (!name) {
    out.invalid.push(required(path));
    return;
  }
  const errs = isDNS1123Subdomain(name);
  if (errs.length) out.invalid.push(invalid(path, name, errs.join(',')));
  else if (name.split('.').length < 3) {
    out.invalid.push(
      invalid(path, name, 'should be a domain with at least three segments separated by dots'),
    );
  }
}

function validateRule(raw: unknown, path: string, out: Findings): void {
  const rule = asObject(raw);
  const operations = asArray(rule.operations);
  if (operations.length === 0) out.invalid.push(required(child(path, 'operations')));
  if (operations.length > 1 && operations.includes('*')) {
    out.invalid.push(
      invalid(
        child(path, 'operations'),
        operations,
        "if '*' is present, must not specify other operations",
      ),
    );
  }
  operations.forEach((op, i) => {
    if (!OPERATIONS.includes(String(op))) {
      out.invalid.push(notSupported(index(child(path, 'operations'), i), op, OPERATIONS));
    }
  });
  for (const [field, what] of [
    ['apiGroups', 'API groups'],
    ['apiVersions', 'API versions'],
  ] as const) {
    const list = asArray(rule[field]);
    if (list.length === 0) out.invalid.push(required(child(path, field)));
    if (list.length > 1 && list.includes('*')) {
      out.invalid.push(
        invalid(child(path, field), list, `if '*' is present, must not specify other ${what}`),
      );
    }
  }
  asArray(rule.apiVersions).forEach((v, i) => {
    if (v === '') out.invalid.push(required(index(child(path, 'apiVersions'), i)));
  });
  const resources = asArray(rule.resources);
  if (resources.length === 0) out.invalid.push(required(child(path, 'resources')));
  resources.forEach((r, i) => {
    if (r === '') out.invalid.push(required(index(child(path, 'resources'), i)));
  });
  if (resources.length > 1 && resources.includes('*/*')) {
    out.invalid.push(
      invalid(
        child(path, 'resources'),
        resources,
        "if '*/*' is present, must not specify other resources",
      ),
    );
  }
  if (rule.scope !== undefined && !SCOPES.includes(String(rule.scope))) {
    out.invalid.push(notSupported(child(path, 'scope'), rule.scope, SCOPES));
  }
}

/** webhook.ValidateWebhookURL with forceHttps. */
function validateURL(url: string, path: string, out: Findings): void {
  const form = '; desired format: https://host[/path]';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Go's url.Parse accepts far more than WHATWG URL; a relative reference has no scheme/host.
    out.invalid.push(invalid(path, '', `'https' is the only allowed URL scheme${form}`));
    out.invalid.push(invalid(path, '', `host must be specified${form}`));
    return;
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme !== 'https') {
    out.invalid.push(invalid(path, scheme, `'https' is the only allowed URL scheme${form}`));
  }
  if (!parsed.host) out.invalid.push(invalid(path, parsed.host, `host must be specified${form}`));
  if (parsed.username || parsed.password) {
    const user = parsed.password ? `${parsed.username}:${parsed.password}` : parsed.username;
    out.invalid.push(invalid(path, user, 'user information is not permitted in the URL'));
  }
  if (parsed.hash) {
    out.invalid.push(invalid(path, parsed.hash.slice(1), 'fragments are not permitted in the URL'));
  }
  if (parsed.search) {
    out.invalid.push(
      invalid(path, parsed.search.slice(1), 'query parameters are not permitted in the URL'),
    );
  }
}

/** webhook.ValidateWebhookService. */
function validateService(raw: unknown, path: string, out: Findings): void {
  const svc = asObject(raw);
  if (!asString(svc.name))
    out.invalid.push(required(child(path, 'name'), 'service name is required'));
  if (!asString(svc.namespace)) {
    out.invalid.push(required(child(path, 'namespace'), 'service namespace is required'));
  }
  const port = typeof svc.port === 'number' ? svc.port : 443;
  const portErrs = isValidPortNum(port);
  if (portErrs.length) {
    out.invalid.push(
      invalid(child(path, 'port'), port, `port is not valid: ${portErrs.join(', ')}`),
    );
  }
  if (typeof svc.path !== 'string' || svc.path === '' || svc.path === '/') return;
  const urlPath = svc.path;
  const at = child(path, 'path');
  if (urlPath === '//') {
    out.invalid.push(invalid(at, urlPath, 'segment[0] may not be empty'));
    return;
  }
  if (!urlPath.startsWith('/')) out.invalid.push(invalid(at, urlPath, "must start with a '/'"));
  const steps = urlPath.slice(1).replace(/\/$/, '').split('/');
  steps.forEach((step, i) => {
    if (!step) out.invalid.push(invalid(at, urlPath, `segment[${i}] may not be empty`));
    else {
      for (const msg of isDNS1123Subdomain(step)) {
        out.invalid.push(invalid(at, urlPath, `segment[${i}]: ${msg}`));
      }
    }
  });
}

function validateWebhook(raw: unknown, path: string, out: Findings): void {
  const hook = asObject(raw);
  fullyQualifiedName(asString(hook.name), child(path, 'name'), out);
  asArray(hook.rules).forEach((r, i) => validateRule(r, index(child(path, 'rules'), i), out));
  const enumCheck = (field: string, valid: string[]): void => {
    if (hook[field] !== undefined && hook[field] !== null && !valid.includes(String(hook[field]))) {
      out.invalid.push(notSupported(child(path, field), hook[field], valid));
    }
  };
  enumCheck('failurePolicy', FAILURE_POLICIES);
  enumCheck('matchPolicy', MATCH_POLICIES);
  if (hook.sideEffects === undefined || hook.sideEffects === null) {
    out.invalid.push(
      required(child(path, 'sideEffects'), `must specify one of ${SIDE_EFFECTS.join(', ')}`),
    );
  }
  enumCheck('sideEffects', SIDE_EFFECTS);
  const timeout = hook.timeoutSeconds;
  if (typeof timeout === 'number' && (timeout > 30 || timeout < 1)) {
    out.invalid.push(
      invalid(
        child(path, 'timeoutSeconds'),
        timeout,
        'the timeout value must be between 1 and 30 seconds',
      ),
    );
  }
  for (const sel of ['namespaceSelector', 'objectSelector']) {
    if (hook[sel] !== undefined && hook[sel] !== null)
      validateLabelSelector(hook[sel], child(path, sel), out);
  }
  enumCheck('reinvocationPolicy', REINVOCATION_POLICIES);
  const cc = asObject(hook.clientConfig);
  const hasURL = typeof cc.url === 'string';
  const hasService = cc.service !== undefined && cc.service !== null;
  if (hasURL === hasService) {
    out.invalid.push(
      required(child(path, 'clientConfig'), 'exactly one of url or service is required'),
    );
  } else if (hasURL) {
    validateURL(asString(cc.url), child(child(path, 'clientConfig'), 'url'), out);
  } else {
    validateService(cc.service, child(child(path, 'clientConfig'), 'service'), out);
  }
}

function validateReviewVersions(raw: unknown, path: string, out: Findings): void {
  const versions = asArray(raw);
  if (versions.length === 0) {
    out.invalid.push(required(path, `must specify one of ${REVIEW_VERSIONS.join(', ')}`));
    return;
  }
  const seen = new Set<unknown>();
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      out.invalid.push(invalid(index(path, i), v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const msg of isDNS1035Label(asString(v)))
      out.invalid.push(invalid(index(path, i), v, msg));
  });
  if (!versions.some((v) => REVIEW_VERSIONS.includes(String(v)))) {
    out.invalid.push(
      invalid(path, versions, `must include at least one of ${REVIEW_VERSIONS.join(', ')}`),
    );
  }
}

const mutatingWebhookConfiguration: KindValidator = {
  meta: { namespaced: false, name: asPrefixAware(isDNS1123Subdomain) },
  fields: ['webhooks'],
  validate(obj, out) {
    const names = new Set<string>();
    asArray(obj.webhooks).forEach((hook, i) => {
      const at = index('webhooks', i);
      validateWebhook(hook, at, out);
      validateReviewVersions(
        asObject(hook).admissionReviewVersions,
        child(at, 'admissionReviewVersions'),
        out,
      );
      const name = asString(asObject(hook).name);
      if (name && names.has(name)) out.invalid.push(duplicate(child(at, 'name'), name));
      names.add(name);
    });
  },
};

export const ADMISSION_KINDS: Record<string, KindValidator> = {
  MutatingWebhookConfiguration: mutatingWebhookConfiguration,
};
