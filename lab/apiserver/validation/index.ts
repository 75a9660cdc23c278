/**
 * The validation a real kube-apiserver (plus Istio's validating webhook, for Istio kinds) applies
 * to the kinds the lab serves, and the messages it answers with.
 *
 * The real server rejects a bad write at one of four stages, and only the third carries causes:
 *   1. decoding: a malformed value (bad base64, a non-quantity) → 400 BadRequest,
 *      `<Kind> in version "<v>" cannot be handled as a <Kind>: <error>`;
 *   2. unknown fields: with fieldValidation=Strict (kubectl's default) → 400 BadRequest,
 *      `... strict decoding error: unknown field "spec.foo", ...`; with Warn (the default for
 *      other clients, e.g. @kubernetes/client-node) the fields are dropped and each is reported in
 *      a `Warning: 299 - "unknown field \"spec.foo\""` header; with Ignore they are dropped silently;
 *   3. validation: the type's rules, or the CRD's schema and CEL rules → 422 Invalid with causes;
 *   4. validating webhooks: Istio's → 400, `admission webhook "validation.istio.io" denied the
 *      request: configuration is invalid: ...`; they only see objects that passed stage 3.
 * checkObject() sorts findings into those stages (a server answers with the first non-empty one,
 * minding fieldValidation for stage 2); validateObject() returns them all in that order for
 * callers that only want the causes. Unknown-field causes use reason `FieldValueUnknown`; only
 * stage-3 messages are `field.Error.ErrorBody()` text, the others carry the text the real server
 * puts in its message (see malformedMessage, strictDecodingMessage, denialMessage).
 *
 * Absent fields count as their API defaults, as the real server validates after defaulting.
 */
import type { FieldCause, KubeObject } from '../types.js';
import { ADMISSION_KINDS } from './admission.js';
import { APPS_KINDS } from './apps.js';
import { CORE_KINDS } from './core.js';
import { child, goQuote, isObject, newFindings, plain, type Findings } from './field.js';
import { NETWORKING_ISTIO_KINDS, SECURITY_ISTIO_KINDS } from './istio.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { NETWORKING_KINDS } from './networking.js';
import type { KindValidator, ValidationContext } from './kinds.js';

export type { ValidationContext } from './kinds.js';
export type Verdict = Findings;
export { parseQuantity, formatQuantity } from '../../../src/quantity.js';

const KINDS: Record<string, Record<string, KindValidator>> = {
  '': CORE_KINDS,
  apps: APPS_KINDS,
  'networking.k8s.io': NETWORKING_KINDS,
  'admissionregistration.k8s.io': ADMISSION_KINDS,
  'security.istio.io': SECURITY_ISTIO_KINDS,
  'networking.istio.io': NETWORKING_ISTIO_KINDS,
};

const OBJECT_META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation',
  'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations',
  'ownerReferences', 'finalizers', 'managedFields',
]); // prettier-ignore

function unknownFields(obj: KubeObject, validator: KindValidator, out: Findings): void {
  const unknown = (path: string) =>
    out.unknown.push(plain('FieldValueUnknown', path, `unknown field ${JSON.stringify(path)}`));
  if (validator.fields) {
    const known = new Set(['apiVersion', 'kind', 'metadata', ...validator.fields]);
    for (const k of Object.keys(obj)) if (!known.has(k)) unknown(k);
  }
  if (isObject(obj.metadata)) {
    for (const k of Object.keys(obj.metadata)) {
      if (!OBJECT_META_FIELDS.has(k)) unknown(child('metadata', k));
    }
  }
}

/** Every finding for a write, sorted by the stage of the real server that reports it. */
export function checkObject(
  group: string,
  kind: string,
  obj: KubeObject,
  ctx: ValidationContext,
): Verdict {
  const out = newFindings();
  const validator = KINDS[group]?.[kind];
  if (!validator) return out;
  unknownFields(obj, validator, out);
  const old = ctx.operation === 'update' ? ctx.old : undefined;
  const checkMeta = () =>
    old ? validateObjectMetaUpdate(obj, old, out) : validateObjectMeta(obj, validator.meta, out);
  if (validator.metaAfterType) {
    validator.validate(obj, out, ctx);
    if (out.invalid.length === 0) checkMeta();
  } else {
    checkMeta();
    validator.validate(obj, out, ctx);
  }
  return out;
}

/** All causes for a write, [] when the real server (and Istio's webhook) would accept it. */
export function validateObject(
  group: string,
  kind: string,
  obj: KubeObject,
  ctx: ValidationContext,
): FieldCause[] {
  const v = checkObject(group, kind, obj, ctx);
  return [...v.malformed, ...v.unknown, ...v.invalid, ...v.denied];
}

/**
 * The message of a 422 Invalid Status, as errors.NewInvalid builds it:
 * `Deployment.apps "web" is invalid: <field>: <detail>`, several joined with ", " inside [...],
 * repeated ones dropped.
 */
export function invalidMessage(
  kind: string,
  group: string,
  name: string,
  causes: readonly FieldCause[],
): string {
  const messages = [...new Set(causes.map((c) => `${c.field}: ${c.message}`))];
  const detail = messages.length === 1 ? (messages[0] ?? '') : `[${messages.join(', ')}]`;
  return `${group ? `${kind}.${group}` : kind} ${goQuote(name)} is invalid: ${detail}`;
}

const cannotHandle = (kind: string, version: string, detail: string): string =>
  `${kind} in version ${goQuote(version)} cannot be handled as a ${kind}: ${detail}`;

/** The 400 BadRequest message for malformed values (the first one, as the decoder stops there). */
export function malformedMessage(
  kind: string,
  version: string,
  malformed: readonly FieldCause[],
): string {
  return cannotHandle(kind, version, malformed[0]?.message ?? '');
}

/** The 400 BadRequest message for unknown fields under fieldValidation=Strict. */
export function strictDecodingMessage(
  kind: string,
  version: string,
  unknown: readonly FieldCause[],
): string {
  return cannotHandle(
    kind,
    version,
    `strict decoding error: ${unknown.map((c) => c.message).join(', ')}`,
  );
}

/**
 * The 400 message when Istio's webhook denies the write. Errors are listed as hashicorp/multierror
 * prints them; AuthorizationPolicy errors carry Istio's `invalid policy <name>.<namespace>:` prefix.
 */
export function denialMessage(
  kind: string,
  name: string,
  namespace: string,
  denied: readonly FieldCause[],
  webhook = 'validation.istio.io',
): string {
  const errors = denied.map((c) =>
    kind === 'AuthorizationPolicy' && !c.field.startsWith('metadata.')
      ? `invalid policy ${name}.${namespace}: ${c.message}`
      : c.message,
  );
  const body =
    errors.length === 1
      ? (errors[0] ?? '')
      : `${errors.length} errors occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
  return `admission webhook ${goQuote(webhook)} denied the request: configuration is invalid: ${body}`;
}

/** Kinds this module validates, by API group ('' for core). */
export const validatedKinds = (): Record<string, string[]> =>
  Object.fromEntries(Object.entries(KINDS).map(([g, kinds]) => [g, Object.keys(kinds)]));
