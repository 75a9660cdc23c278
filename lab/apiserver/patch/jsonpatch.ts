/**
 * RFC 6902 JSON patch as kube-apiserver applies it: with gopkg.in/evanphx/json-patch.v4
 * (the version k8s.io/apiserver vendors). fast-json-patch performs the operations; this
 * module first resolves every path the way json-patch v4 does, because v4 departs from the
 * RFC in ways clients can observe:
 * - `replace` of a missing object member adds it (v4's object `get` never fails);
 * - negative array indices count from the end (`SupportNegativeIndices` defaults to true);
 * - `copy` from a missing object member copies `null`;
 * - `test` of a missing or null member passes when the value is null or absent;
 * - `add`/`replace` without a `value` write `null`; `add` at the root path fails;
 * - a path without a leading `/` addresses its last segment in the root object.
 * Errors are the server's: 400 for a body that does not decode, 413 above 10000
 * operations, 422 for an operation that does not apply.
 */
import jsonpatch from 'fast-json-patch';
import { badRequest, PatchError, unprocessable } from './errors.js';
import {
  cloneJson,
  decodeJson,
  hasOwn,
  isObject,
  jsonEqual,
  jsonKindName,
  type JsonObject,
} from './json.js';

/** k8s.io/apiserver/pkg/endpoints/handlers/patch.go `maxJSONPatchOperations`. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/** One decoded operation; null stands for a `null` element of the patch array. */
type Operation = JsonObject | null;

/**
 * Decodes the body as kube-apiserver does for the default field validation (Warn/Strict):
 * `kjson.UnmarshalStrict` into `[]jsonPatchOp`, whose `op`, `path` and `from` are strings.
 */
export function decodeJsonPatch(body: string): Operation[] {
  const decoded = decodeJson(body);
  const fail = (message: string): PatchError => badRequest(`error decoding patch: ${message}`);
  if (!decoded.ok) throw fail(decoded.message);
  const patch = decoded.value;
  if (patch === null) return [];
  if (!Array.isArray(patch)) {
    throw fail(
      `json: cannot unmarshal ${jsonKindName(patch)} into Go value of type []handlers.jsonPatchOp`,
    );
  }
  for (const element of patch) {
    if (element === null) continue;
    if (!isObject(element)) {
      throw fail(
        `json: cannot unmarshal ${jsonKindName(element)} into Go value of type handlers.jsonPatchOp`,
      );
    }
    for (const [field, value] of Object.entries(element)) {
      if (
        (field === 'op' || field === 'path' || field === 'from') &&
        value !== null &&
        typeof value !== 'string'
      ) {
        throw fail(
          `json: cannot unmarshal ${jsonKindName(value)} into Go struct field jsonPatchOp.${field} of type string`,
        );
      }
    }
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
      'RequestEntityTooLarge',
    );
  }
  return patch as Operation[];
}

/** Applies decoded operations in order to `document`, which is modified; returns the result. */
export function applyJsonPatch(document: unknown, operations: readonly Operation[]): unknown {
  let doc = document;
  for (const operation of operations) doc = applyOperation(doc, operation ?? {});
  return doc;
}

class OperationFailed extends Error {}

const missing = (what: string): OperationFailed => new OperationFailed(`${what}: missing value`);

function stringField(operation: JsonObject, field: string): string | undefined {
  const value = operation[field];
  return typeof value === 'string' ? value : undefined;
}

function applyOperation(doc: unknown, operation: JsonObject): unknown {
  const kind = stringField(operation, 'op') ?? 'unknown';
  try {
    switch (kind) {
      case 'add':
        return add(doc, operation);
      case 'remove':
        return remove(doc, operation);
      case 'replace':
        return replace(doc, operation);
      case 'move':
        return move(doc, operation);
      case 'copy':
        return copy(doc, operation);
      case 'test':
        return test(doc, operation);
      default:
        throw new OperationFailed(`Unexpected kind: ${kind}`);
    }
  } catch (err) {
    if (err instanceof OperationFailed || err instanceof jsonpatch.JsonPatchError) {
      throw unprocessable(err.message);
    }
    // fast-json-patch refuses `__proto__` members with a TypeError.
    if (err instanceof TypeError && err.message.startsWith('JSON-Patch:')) {
      throw unprocessable(err.message);
    }
    throw err;
  }
}

/** The operation's `value`; json-patch v4 reads an absent value as null. */
function valueOf(operation: JsonObject): unknown {
  return hasOwn(operation, 'value') ? cloneJson(operation['value']) : null;
}

function pathOf(operation: JsonObject, field: 'path' | 'from', opName: string): string {
  const path = stringField(operation, field);
  if (path === undefined) throw missing(`${opName} operation failed to decode ${field}`);
  return path;
}

// --- JSON pointers as json-patch v4 resolves them ---------------------------------------

type Container = JsonObject | unknown[];

interface Location {
  container: Container;
  /** RFC 6901 tokens (unescaped) leading to the container, for fast-json-patch. */
  tokens: string[];
  /** The last path segment, unescaped. */
  key: string;
}

const unescapeToken = (token: string): string => token.replace(/~1/g, '/').replace(/~0/g, '~');
const pointer = (tokens: readonly string[]): string =>
  tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** Go's `strconv.Atoi`. */
function atoi(key: string): number | undefined {
  return /^[+-]?\d+$/.test(key) ? Number.parseInt(key, 10) : undefined;
}

/** v4 `partialArray.get`: an existing index, negative ones counting from the end. */
function arrayIndex(array: unknown[], key: string): number | undefined {
  let idx = atoi(key);
  if (idx === undefined) return undefined;
  if (idx < 0) {
    if (idx < -array.length) return undefined;
    idx += array.length;
  }
  return idx < array.length ? idx : undefined;
}

/** v4 `findObject`: the container the path's last segment is in. */
function findObject(doc: unknown, path: string): Location | undefined {
  const split = path.split('/');
  if (split.length < 2 || !(isObject(doc) || Array.isArray(doc))) return undefined;
  let container: Container = doc;
  const tokens: string[] = [];
  for (const part of split.slice(1, -1)) {
    const token = unescapeToken(part);
    let next: unknown;
    if (Array.isArray(container)) {
      const idx = arrayIndex(container, token);
      if (idx === undefined) return undefined;
      next = container[idx];
      tokens.push(String(idx));
    } else {
      next = hasOwn(container, token) ? container[token] : undefined;
      tokens.push(token);
    }
    if (!(isObject(next) || Array.isArray(next))) return undefined;
    container = next;
  }
  return { container, tokens, key: unescapeToken(split[split.length - 1] ?? '') };
}

/** The member or element a location points at; undefined when there is none. */
function getAt(location: Location, what: string): unknown {
  const { container, key } = location;
  if (Array.isArray(container)) {
    const idx = arrayIndex(container, key);
    if (idx === undefined)
      throw new OperationFailed(
        `${what}: Unable to access invalid index: ${key}: invalid index referenced`,
      );
    return container[idx];
  }
  return hasOwn(container, key) ? container[key] : undefined;
}

function addAt(doc: unknown, location: Location, value: unknown, what: string): unknown {
  const { container, tokens, key } = location;
  let token = key;
  if (Array.isArray(container) && key !== '-') {
    let idx = atoi(key);
    if (idx === undefined)
      throw new OperationFailed(`${what}: value was not a proper array index: '${key}'`);
    const size = container.length + 1;
    if (idx >= size || idx < -size) {
      throw new OperationFailed(
        `${what}: Unable to access invalid index: ${idx}: invalid index referenced`,
      );
    }
    if (idx < 0) idx += size;
    token = String(idx);
  }
  return jsonpatch.applyOperation(
    doc,
    { op: 'add', path: pointer([...tokens, token]), value },
    true,
    true,
  ).newDocument;
}

function removeAt(doc: unknown, location: Location, what: string): unknown {
  const { container, tokens, key } = location;
  let token = key;
  if (Array.isArray(container)) {
    const idx = arrayIndex(container, key);
    if (idx === undefined)
      throw new OperationFailed(
        `${what}: Unable to access invalid index: ${key}: invalid index referenced`,
      );
    token = String(idx);
  } else if (!hasOwn(container, key)) {
    throw missing(`${what}: Unable to remove nonexistent key: ${key}`);
  }
  return jsonpatch.applyOperation(
    doc,
    { op: 'remove', path: pointer([...tokens, token]) },
    true,
    true,
  ).newDocument;
}

// --- the six operations ------------------------------------------------------------------

function add(doc: unknown, operation: JsonObject): unknown {
  const path = pathOf(operation, 'path', 'add');
  const location = findObject(doc, path);
  if (!location) throw missing(`add operation does not apply: doc is missing path: "${path}"`);
  return addAt(doc, location, valueOf(operation), `error in add for path: '${path}'`);
}

function remove(doc: unknown, operation: JsonObject): unknown {
  const path = pathOf(operation, 'path', 'remove');
  const location = findObject(doc, path);
  if (!location) throw missing(`remove operation does not apply: doc is missing path: "${path}"`);
  return removeAt(doc, location, `error in remove for path: '${path}'`);
}

function replace(doc: unknown, operation: JsonObject): unknown {
  const path = pathOf(operation, 'path', 'replace');
  const value = valueOf(operation);
  if (path === '') {
    if (!(isObject(value) || Array.isArray(value))) {
      throw new OperationFailed('replace operation value must be object or array');
    }
    return value;
  }
  const location = findObject(doc, path);
  if (!location) throw missing(`replace operation does not apply: doc is missing path: ${path}`);
  const { container, tokens, key } = location;
  if (!Array.isArray(container)) {
    // v4 sets the member whether or not it exists.
    return jsonpatch.applyOperation(
      doc,
      { op: 'add', path: pointer([...tokens, key]), value },
      true,
      true,
    ).newDocument;
  }
  const idx = arrayIndex(container, key);
  if (idx === undefined)
    throw missing(`replace operation does not apply: doc is missing key: ${path}`);
  return jsonpatch.applyOperation(
    doc,
    { op: 'replace', path: pointer([...tokens, String(idx)]), value },
    true,
    true,
  ).newDocument;
}

function move(doc: unknown, operation: JsonObject): unknown {
  const from = pathOf(operation, 'from', 'move');
  const source = findObject(doc, from);
  if (!source) throw missing(`move operation does not apply: doc is missing from path: ${from}`);
  const value = getAt(source, `error in move for path: '${source.key}'`);
  const removed = removeAt(doc, source, `error in move for path: '${source.key}'`);
  const path = pathOf(operation, 'path', 'move');
  const target = findObject(removed, path);
  if (!target)
    throw missing(`move operation does not apply: doc is missing destination path: ${path}`);
  return addAt(removed, target, value ?? null, `error in move for path: '${path}'`);
}

function copy(doc: unknown, operation: JsonObject): unknown {
  const from = pathOf(operation, 'from', 'copy');
  const source = findObject(doc, from);
  if (!source) throw missing(`copy operation does not apply: doc is missing from path: ${from}`);
  const value = cloneJson(getAt(source, `error in copy for from: '${from}'`) ?? null);
  const path = pathOf(operation, 'path', 'copy');
  const target = findObject(doc, path);
  if (!target)
    throw missing(`copy operation does not apply: doc is missing destination path: ${path}`);
  return addAt(doc, target, value, 'error while adding value during copy');
}

function test(doc: unknown, operation: JsonObject): unknown {
  const path = pathOf(operation, 'path', 'test');
  const failed = (): OperationFailed =>
    new OperationFailed(`testing value ${path} failed: test failed`);
  const hasValue = hasOwn(operation, 'value');
  const expected = operation['value'];
  if (path === '') {
    if (!hasValue || !jsonEqual(doc, expected)) throw failed();
    return doc;
  }
  const location = findObject(doc, path);
  if (!location) throw missing(`test operation does not apply: is missing path: ${path}`);
  const actual = getAt(location, `error in test for path: '${path}'`);
  if (actual === undefined || actual === null) {
    if (expected === undefined || expected === null) return doc;
    throw failed();
  }
  if (!hasValue) throw failed();
  const { tokens, container, key } = location;
  const token = Array.isArray(container) ? String(arrayIndex(container, key)) : key;
  try {
    jsonpatch.applyOperation(
      doc,
      { op: 'test', path: pointer([...tokens, token]), value: expected },
      true,
      true,
    );
  } catch (err) {
    if (err instanceof jsonpatch.JsonPatchError) throw failed();
    throw err;
  }
  return doc;
}
