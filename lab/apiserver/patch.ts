/**
 * The PATCH body formats kube-apiserver accepts, as pure functions over stored objects.
 *
 * `applyPatch` reproduces k8s.io/apiserver/pkg/endpoints/handlers/patch.go up to the
 * patched object: content-type checks, body decoding, and the three patch formats
 * (JSON patch, JSON merge patch, strategic merge patch). What kube-apiserver does after
 * that (decoding into the typed object, defaulting, validation, immutability of
 * name/namespace, resourceVersion preconditions) is the caller's job. Server-side apply is
 * not implemented.
 */
import type { KubeObject } from './types.js';
import { badRequest, PatchError } from './patch/errors.js';
import { applyJsonPatch, decodeJsonPatch } from './patch/jsonpatch.js';
import {
  cloneJson,
  decodeJson,
  hasOwn,
  isObject,
  jsonKindName,
  setOwn,
  type JsonObject,
} from './patch/json.js';
import type { StrategicSchema } from './patch/schemas.js';
import { strategicMergeMapPatch } from './patch/strategic.js';

export {
  PatchError,
  UNPROCESSABLE_MESSAGE,
  type PatchErrorKind,
  type PatchErrorOptions,
} from './patch/errors.js';
export {
  BUILTIN_STRATEGIC_SCHEMAS,
  strategicSchemaFor,
  type FieldMeta,
  type PatchStrategy,
  type StrategicSchema,
  type TypeSchema,
} from './patch/schemas.js';
export { MAX_JSON_PATCH_OPERATIONS } from './patch/jsonpatch.js';

export type PatchType =
  | 'application/json-patch+json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

/** Patch types served for built-in kinds, in kube-apiserver's order (installer.go). */
export const BUILTIN_PATCH_TYPES: readonly PatchType[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** Patch types served for custom resources (apiextensions-apiserver's crdHandler). */
export const CUSTOM_RESOURCE_PATCH_TYPES: readonly PatchType[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];

/**
 * Which patch type a PATCH request's `Content-Type` selects, or the 415 kube-apiserver
 * answers. `schema` is the kind's strategic-merge schema (see `strategicSchemaFor`);
 * undefined means a custom resource.
 *
 * Built-in kinds are routed by go-restful first, whose `Consumes` check compares each
 * comma-separated media type with parameters cut and spaces trimmed (an absent header
 * counts as application/octet-stream); when none matches it answers 415 with its own
 * message, "415: Unsupported Media Type". Then `PatchResource` cuts the header at the first
 * `;` (nothing else: no trimming, no lower-casing) and answers 415 "the body of the request
 * was in an unknown format - accepted media types include: ..." for anything else. Custom
 * resources only go through the second check.
 */
export function patchTypeOf(
  contentType: string | undefined,
  schema: StrategicSchema | undefined,
): PatchType {
  const accepted = schema ? BUILTIN_PATCH_TYPES : CUSTOM_RESOURCE_PATCH_TYPES;
  const header = contentType ?? '';
  if (schema && !restfulConsumes(header, accepted)) {
    throw new PatchError('415: Unsupported Media Type', 'UnsupportedMediaType', { details: {} });
  }
  const semicolon = header.indexOf(';');
  const mediaType = semicolon > 0 ? header.slice(0, semicolon) : header;
  const patchType = accepted.find((type) => type === mediaType);
  if (patchType === undefined) {
    throw new PatchError(
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
      'UnsupportedMediaType',
    );
  }
  return patchType;
}

/** go-restful's `Route.matchesContentType`. */
function restfulConsumes(header: string, accepted: readonly string[]): boolean {
  const mimeTypes = header === '' ? 'application/octet-stream' : header;
  return mimeTypes.split(',').some((part) => {
    const semicolon = part.indexOf(';');
    const mimeType = (semicolon >= 0 ? part.slice(0, semicolon) : part).trim();
    return accepted.includes(mimeType);
  });
}

/**
 * Applies a PATCH request body to `original` and returns the patched object, without
 * modifying `original`. `contentType` is the request's `Content-Type` header (parameters
 * such as `; charset=utf-8` are allowed); `schema` is `strategicSchemaFor(group, kind)`,
 * undefined for custom resources. Throws {@link PatchError} carrying the answer
 * kube-apiserver gives.
 *
 * The result is returned as patched; it may change `metadata.name`, drop required fields or
 * not even be an object (a JSON patch can replace the root): the caller validates it as it
 * validates an update.
 */
export function applyPatch(
  contentType: string | undefined,
  original: KubeObject,
  patchBody: string,
  schema: StrategicSchema | undefined,
): unknown {
  const patchType = patchTypeOf(contentType, schema);
  switch (patchType) {
    case 'application/json-patch+json':
      return applyJsonPatch(cloneJson(original), decodeJsonPatch(patchBody));
    case 'application/merge-patch+json':
      return applyMergePatch(cloneJson(original), decodeMergePatch(patchBody));
    case 'application/strategic-merge-patch+json':
      // patchTypeOf only accepts this type when there is a schema.
      return applyStrategicMergePatch(original, patchBody, schema as StrategicSchema);
    case 'application/apply-patch+yaml':
      throw new PatchError(
        'server-side apply (application/apply-patch+yaml) is not implemented by the lab API server; use a merge, strategic merge or JSON patch',
        'UnsupportedMediaType',
      );
  }
}

// --- JSON merge patch (RFC 7386) -----------------------------------------------------------

/**
 * Decodes a merge patch as kube-apiserver does (strict decoding into a map first, then
 * json-patch v4's `MergePatch`, which rejects a `null` body with "Invalid JSON Patch").
 */
function decodeMergePatch(body: string): JsonObject {
  const decoded = decodeJson(body);
  if (!decoded.ok) throw badRequest(`error decoding patch: ${decoded.message}`);
  const patch = decoded.value;
  if (patch === null) throw badRequest('Invalid JSON Patch');
  if (!isObject(patch)) {
    throw badRequest(
      `error decoding patch: json: cannot unmarshal ${jsonKindName(patch)} into Go value of type map[string]interface {}`,
    );
  }
  return patch;
}

/**
 * RFC 7386 as json-patch v4 implements it: null deletes a member, objects merge
 * recursively, anything else replaces. Values put where there was no object lose their
 * nulls, also inside objects nested in lists (v4's `pruneNulls`); nulls that are list
 * elements stay.
 */
export function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
      continue;
    }
    const current = hasOwn(target, key) ? target[key] : null;
    if (isObject(current) && isObject(value)) applyMergePatch(current, value);
    else setOwn(target, key, isObject(current) ? value : pruneNulls(value));
  }
  return target;
}

function pruneNulls(value: unknown): unknown {
  if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (item === null) delete value[key];
      else pruneNulls(item);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) if (item !== null) pruneNulls(item);
  }
  return value;
}

// --- strategic merge patch -----------------------------------------------------------------

const KNOWN_DIRECTIVES = ['$patch', '$retainKeys'];
const KNOWN_DIRECTIVE_PREFIXES = ['$setElementOrder', '$deleteFromPrimitiveList'];

/**
 * Rejects `$`-keys that are no strategic-merge directive. kube-apiserver would treat such a
 * key as an unknown field of the typed object: dropped with a warning by default, a 422
 * under `fieldValidation=Strict` (what kubectl sends). The lab keeps no typed objects, so it
 * refuses them outright instead of storing them.
 */
function checkDirectives(value: unknown, path: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkDirectives(item, `${path}[${i}]`));
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const known =
        KNOWN_DIRECTIVES.includes(key) || KNOWN_DIRECTIVE_PREFIXES.some((p) => key.startsWith(p));
      const fieldPath = path === '' ? key : `${path}.${key}`;
      if (key.startsWith('$') && !known) {
        throw badRequest(
          `strict decoding error: unknown field "${fieldPath}": not a strategic merge patch directive`,
        );
      }
      checkDirectives(item, fieldPath);
    }
  }
}

function applyStrategicMergePatch(
  original: KubeObject,
  body: string,
  schema: StrategicSchema,
): unknown {
  const decoded = decodeJson(body);
  // strategicPatchObject answers decoding errors with the bare decoder message.
  if (!decoded.ok) throw badRequest(decoded.message);
  const patch = decoded.value;
  if (patch !== null && !isObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${jsonKindName(patch)} into Go value of type map[string]interface {}`,
    );
  }
  checkDirectives(patch, '');
  return strategicMergeMapPatch(cloneJson(original) as JsonObject, patch, schema);
}
