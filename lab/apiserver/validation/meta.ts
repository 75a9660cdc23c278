/**
 * ObjectMeta validation (k8s.io/apimachinery/pkg/api/validation/objectmeta.go) and the label
 * helpers other validators share.
 */
import type { KubeObject } from '../types.js';
import {
  asArray,
  asObject,
  byteLength,
  child,
  forbidden,
  invalid,
  required,
  tooLong,
  type Findings,
} from './field.js';
import { isDNS1123Label, isLabelKey, isLabelValue } from './names.js';

/** nameFn(name, prefix): the error strings for a metadata.name (prefix: a generateName). */
export type NameFn = (name: string, prefix: boolean) => string[];

/** generateName may end in '-'; ValidateObjectMeta masks that before checking the syntax. */
export const asPrefixAware =
  (check: (value: string) => string[]): NameFn =>
  (name, prefix) =>
    check(prefix && name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name);

/** ValidateNamespaceName: a DNS-1123 label. */
const namespaceName: NameFn = asPrefixAware(isDNS1123Label);

const ANNOTATIONS_LIMIT = 256 * 1024;

export function validateLabels(labels: unknown, path: string, out: Findings): void {
  for (const [k, v] of Object.entries(asObject(labels))) {
    for (const msg of isLabelKey(k)) out.invalid.push(invalid(path, k, msg));
    for (const msg of isLabelValue(typeof v === 'string' ? v : '')) {
      out.invalid.push(invalid(path, v, msg));
    }
  }
}

export function validateAnnotations(annotations: unknown, path: string, out: Findings): void {
  let size = 0;
  for (const [k, v] of Object.entries(asObject(annotations))) {
    // Annotation keys follow the label-key rule, ignoring case.
    for (const msg of isLabelKey(k.toLowerCase())) out.invalid.push(invalid(path, k, msg));
    size += byteLength(k) + byteLength(typeof v === 'string' ? v : '');
  }
  if (size > ANNOTATIONS_LIMIT) out.invalid.push(tooLong(path, ANNOTATIONS_LIMIT));
}

function validateOwnerReferences(refs: unknown, path: string, out: Findings): void {
  for (const ref of asArray(refs).map(asObject)) {
    const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
    const parts = apiVersion.split('/');
    const version = parts.length <= 2 ? (parts[parts.length - 1] ?? '') : '';
    if (!version) {
      out.invalid.push(invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    }
    for (const field of ['kind', 'name', 'uid'] as const) {
      const value = typeof ref[field] === 'string' ? ref[field] : '';
      if (!value) out.invalid.push(invalid(child(path, field), value, 'must not be empty'));
    }
  }
}

function validateFinalizers(finalizers: unknown, path: string, out: Findings): void {
  const list = asArray(finalizers).map((f) => (typeof f === 'string' ? f : ''));
  for (const f of list) for (const msg of isLabelKey(f)) out.invalid.push(invalid(path, f, msg));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    out.invalid.push(
      invalid(path, list, 'finalizer orphan and foregroundDeletion cannot be both set'),
    );
  }
}

export interface MetaRules {
  namespaced: boolean;
  name: NameFn;
}

/**
 * ValidateObjectMeta on create. A cluster-scoped object's namespace is not checked: the real
 * server clears it before validation.
 */
export function validateObjectMeta(obj: KubeObject, rules: MetaRules, out: Findings): void {
  const meta = asObject(obj.metadata);
  const name = typeof meta.name === 'string' ? meta.name : '';
  const generateName = typeof meta.generateName === 'string' ? meta.generateName : '';
  if (generateName) {
    for (const msg of rules.name(generateName, true)) {
      out.invalid.push(invalid('metadata.generateName', generateName, msg));
    }
  }
  if (!name) {
    out.invalid.push(required('metadata.name', 'name or generateName is required'));
  } else {
    for (const msg of rules.name(name, false))
      out.invalid.push(invalid('metadata.name', name, msg));
  }
  if (rules.namespaced) {
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
    if (!namespace) out.invalid.push(required('metadata.namespace'));
    else {
      for (const msg of namespaceName(namespace, false)) {
        out.invalid.push(invalid('metadata.namespace', namespace, msg));
      }
    }
  }
  validateMetaCommon(meta, out);
}

function validateMetaCommon(meta: Record<string, unknown>, out: Findings): void {
  validateLabels(meta.labels, 'metadata.labels', out);
  validateAnnotations(meta.annotations, 'metadata.annotations', out);
  validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences', out);
  validateFinalizers(meta.finalizers, 'metadata.finalizers', out);
}

/** Go's `%#v` of a []string, used by the finalizer message. */
const goStringSlice = (list: string[]): string =>
  `[]string{${list.map((s) => JSON.stringify(s)).join(', ')}}`;

/**
 * ValidateObjectMetaAccessorUpdate. creationTimestamp and deletionTimestamp are not compared: the
 * real server copies them from the stored object before validating (rest.BeforeUpdate), so a
 * client can never change them and never gets an error for trying. An empty uid is likewise
 * filled in from the stored object.
 */
export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject, out: Findings): void {
  const meta = asObject(obj.metadata);
  const oldMeta = asObject(old.metadata);
  if (oldMeta.deletionTimestamp) {
    const before = new Set(asArray(oldMeta.finalizers));
    const added = [...new Set(asArray(meta.finalizers))]
      .filter((f): f is string => typeof f === 'string' && !before.has(f))
      .sort();
    if (added.length) {
      out.invalid.push(
        forbidden(
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added)}`,
        ),
      );
    }
  }
  for (const field of ['name', 'namespace', 'uid'] as const) {
    const now = meta[field] ?? '';
    const was = oldMeta[field] ?? '';
    if (field === 'uid' && now === '') continue;
    if (now !== was) out.invalid.push(invalid(`metadata.${field}`, now, 'field is immutable'));
  }
  validateMetaCommon(meta, out);
}
