/**
 * Applying a strategic merge patch, ported from the apply half of
 * k8s.io/apimachinery/pkg/util/strategicpatch/patch.go (v0.3x: `StrategicMergeMapPatch` with
 * `MergeParallelList` and `IgnoreUnmatchedNulls`, the options kube-apiserver uses).
 *
 * The port keeps the original's structure and function names so it can be compared with
 * it line by line, including its quirks:
 * - `$patch: delete` on an object yields `{}` (the typed round trip in kube-apiserver then
 *   drops it where the field is `omitempty`), not an absent field;
 * - `$patch: merge` is rejected everywhere, as the original does ("unknown patch type" on an
 *   object, "merging lists cannot yet be specified in the patch" in a list);
 * - values added where the original had nothing lose their nulls and any sub-object carrying
 *   `$patch`, but list elements appended by merge key are taken as sent;
 * - a list without `patchStrategy: merge` is replaced by the patch's list as sent.
 *
 * Errors are classified as kube-apiserver's `interpretStrategicMergePatchError` does:
 * malformed directives are 400, lists of lists 422, everything else a 500 carrying the Go
 * error text.
 */
import { badRequest, internal, unprocessable, type PatchError } from './errors.js';
import { goFormat, goTypeName, hasOwn, isObject, setOwn, type JsonObject } from './json.js';
import type { FieldMeta, TypeSchema } from './schemas.js';

const DIRECTIVE_MARKER = '$patch';
const DELETE_DIRECTIVE = 'delete';
const REPLACE_DIRECTIVE = 'replace';
const MERGE_DIRECTIVE = 'merge';
const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder';

// mergepatch's sentinel errors.
const ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST = 'invalid patch format of primitive list';
const ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS = 'invalid patch format of retainKeys';
const ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST =
  'invalid patch format of setElementOrder list';
const ERR_NO_LIST_OF_LISTS = 'lists of lists are not supported';

const errNoMergeKey = (m: unknown, key: string): PatchError =>
  internal(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const errBadArgType = (expected: 'map' | 'slice', actual: unknown): PatchError =>
  internal(
    `expected a ${expected === 'map' ? 'map[string]interface {}' : '[]interface {}'}, but received a ${goTypeName(actual)}`,
  );
const errBadPatchType = (patchType: unknown, m: unknown): PatchError =>
  internal(
    `unknown patch type: ${typeof patchType === 'string' ? patchType : `%!s(${goTypeName(patchType)}=${goFormat(patchType)})`} in map: ${goFormat(m)}`,
  );

/** The Go `reflect.Kind` distinctions the algorithm makes between decoded JSON values. */
type Kind = 'map' | 'slice' | 'string' | 'int64' | 'float64' | 'bool' | 'nil';

function kindOf(value: unknown): Kind {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return 'slice';
  if (isObject(value)) return 'map';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  return 'string';
}

/** Go's `==` on two `interface{}` values holding decoded JSON scalars. */
function goEqual(a: unknown, b: unknown): boolean {
  return kindOf(a) === kindOf(b) && (a === b || (a == null && b == null));
}

interface Strategy {
  patchStrategy: string;
  mergeKey: string;
  schema: TypeSchema | undefined;
}

/** `LookupPatchMetadataForStruct/ForSlice` followed by `extractRetainKeysPatchStrategy`. */
function lookup(schema: TypeSchema | undefined, key: string): Strategy {
  const meta: FieldMeta | undefined =
    schema && hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
  const strategies = (meta?.patchStrategy ?? '').split(',').filter((s) => s !== '');
  return {
    patchStrategy: strategies.find((s) => s !== 'retainKeys') ?? '',
    mergeKey: meta?.patchMergeKey ?? '',
    schema: meta?.type,
  };
}

/** Applies `patch` to `original`, both already owned by the caller (they are modified). */
export function strategicMergeMapPatch(
  original: JsonObject,
  patch: JsonObject | null,
  schema: TypeSchema,
): JsonObject {
  return mergeMap(original, patch ?? {}, schema);
}

function mergeMap(
  originalIn: JsonObject | undefined,
  patch: JsonObject,
  schema: TypeSchema | undefined,
): JsonObject {
  if (hasOwn(patch, DIRECTIVE_MARKER))
    return handleDirectiveInMergeMap(patch[DIRECTIVE_MARKER], patch);

  const original = originalIn ?? {};
  applyRetainKeysDirective(original, patch);
  mergePatchIntoOriginal(original, patch, schema);

  for (const [patchKey, patchV] of Object.entries(patch)) {
    let k = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      k = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST_PREFIX) || patchKey;
      isDeleteList = true;
    }

    // A null deletes the key; IgnoreUnmatchedNulls drops it when there is nothing to delete.
    if (patchV === null) {
      delete original[k];
      continue;
    }

    if (!hasOwn(original, k) || kindOf(original[k]) !== kindOf(patchV)) {
      if (!isDeleteList) {
        discardNullValuesFromPatch(patchV);
        const [value, keep] = removeDirectives(patchV);
        if (keep) setOwn(original, k, value);
        else delete original[k];
      }
      continue;
    }

    const current = original[k];
    const { patchStrategy, mergeKey, schema: subschema } = lookup(schema, k);
    if (isObject(current) && isObject(patchV)) {
      setOwn(
        original,
        k,
        patchStrategy !== REPLACE_DIRECTIVE ? mergeMap(current, patchV, subschema) : patchV,
      );
    } else if (Array.isArray(current) && Array.isArray(patchV)) {
      setOwn(
        original,
        k,
        mergeSliceHandler(current, patchV, subschema, patchStrategy, mergeKey, isDeleteList),
      );
    } else {
      const [value, keep] = removeDirectives(patchV);
      if (keep) setOwn(original, k, value);
      else delete original[k];
    }
  }
  return original;
}

function handleDirectiveInMergeMap(directive: unknown, patch: JsonObject): JsonObject {
  if (directive === REPLACE_DIRECTIVE) {
    // Use the patch itself, as sent, in place of the original object.
    delete patch[DIRECTIVE_MARKER];
    return patch;
  }
  if (directive === DELETE_DIRECTIVE) return {};
  throw errBadPatchType(directive, patch);
}

/** Removes every null property value in objects, recursively (nulls in lists stay). */
function discardNullValuesFromPatch(value: unknown): void {
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === null) delete value[k];
      else discardNullValuesFromPatch(v);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) discardNullValuesFromPatch(v);
  }
}

/** Drops every object carrying `$patch` (and list elements that are such objects). */
function removeDirectives(value: unknown): [unknown, boolean] {
  if (isObject(value)) {
    if (hasOwn(value, DIRECTIVE_MARKER)) return [undefined, false];
    for (const [k, v] of Object.entries(value)) {
      const [kept, keep] = removeDirectives(v);
      if (keep) setOwn(value, k, kept);
      else delete value[k];
    }
    return [value, true];
  }
  if (Array.isArray(value)) {
    const result: unknown[] = [];
    for (const v of value) {
      const [kept, keep] = removeDirectives(v);
      if (keep) result.push(kept);
    }
    return [result, true];
  }
  return [value, true];
}

/** `$deleteFromPrimitiveList/finalizers` → `finalizers`. */
function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    throw badRequest(
      prefix === DELETE_FROM_PRIMITIVE_LIST_PREFIX
        ? ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST
        : ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST,
    );
  }
  return s.slice(slash + 1);
}

/**
 * `$retainKeys: [a, b]` clears every key of the original not listed; every non-null key of the
 * patch must be listed.
 */
function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retainKeys = patch[RETAIN_KEYS_DIRECTIVE];
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(retainKeys)) throw badRequest(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS);

  const retained = new Set<unknown>(retainKeys);
  for (const [k, v] of Object.entries(patch)) {
    if (
      v === null ||
      k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) ||
      k.startsWith(SET_ELEMENT_ORDER_PREFIX)
    ) {
      continue;
    }
    if (!retained.has(k)) throw badRequest(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS);
  }
  for (const k of Object.keys(original)) {
    if (!retained.has(k)) delete original[k];
  }
}

/**
 * Processes each `$setElementOrder/<list>` with its list: merges the list and orders the
 * result by the directive (precedence: `$setElementOrder` > order in the patch > order in
 * the live list). Both keys are removed from the patch.
 */
function mergePatchIntoOriginal(
  original: JsonObject,
  patch: JsonObject,
  schema: TypeSchema | undefined,
): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const setElementOrder = patch[key];
    delete patch[key];
    if (!Array.isArray(setElementOrder)) throw errBadArgType('slice', setElementOrder);

    const originalKey = extractKey(key, SET_ELEMENT_ORDER_PREFIX);
    const foundOriginal = hasOwn(original, originalKey);
    const foundPatch = hasOwn(patch, originalKey);
    const originalList = original[originalKey];
    const patchList = patch[originalKey];
    let originalFieldValue: unknown[] = [];
    let patchFieldValue: unknown[] = [];
    if (foundOriginal) {
      if (!Array.isArray(originalList)) throw errBadArgType('slice', originalList);
      originalFieldValue = originalList;
    }
    if (foundPatch) {
      if (!Array.isArray(patchList)) throw errBadArgType('slice', patchList);
      patchFieldValue = patchList;
    }
    const { patchStrategy, mergeKey, schema: subschema } = lookup(schema, originalKey);
    validatePatchWithSetOrderList(patchFieldValue, setElementOrder, mergeKey);

    let merged: unknown[];
    if (foundOriginal && !foundPatch) {
      merged = originalFieldValue;
    } else if (!foundOriginal && foundPatch) {
      merged = removeDirectives(patchFieldValue)[0] as unknown[];
    } else if (foundOriginal && foundPatch) {
      merged = mergeSliceHandler(
        originalFieldValue,
        patchFieldValue,
        subschema,
        patchStrategy,
        mergeKey,
        false,
      );
    } else {
      continue;
    }

    const [patchItems, serverOnlyItems] =
      mergeKey === ''
        ? partitionPrimitivesByPresentInList(merged, setElementOrder)
        : partitionMapsByPresentInList(merged, setElementOrder, mergeKey);
    const kind = sliceElementType(originalFieldValue, patchFieldValue);
    setOwn(
      original,
      originalKey,
      normalizeElementOrder(
        patchItems,
        serverOnlyItems,
        setElementOrder,
        originalFieldValue,
        mergeKey,
        kind,
      ),
    );
    delete patch[originalKey];
  }
}

/** The patch list's elements must appear in the `$setElementOrder` list, in the same order. */
function validatePatchWithSetOrderList(
  patchList: unknown[],
  setOrderList: unknown[],
  mergeKey: string,
): void {
  if (setOrderList.length === 0 || patchList.length === 0) return;
  const nonDeleteList = mergeKey !== '' ? extractToDeleteItems(patchList)[0] : patchList;
  let patchIndex = 0;
  let setOrderIndex = 0;
  while (patchIndex < nonDeleteList.length && setOrderIndex < setOrderList.length) {
    const item = nonDeleteList[patchIndex];
    if (isObject(item) && hasOwn(item, DIRECTIVE_MARKER)) {
      patchIndex++;
      continue;
    }
    if (mergeKeyValueEqual(item, setOrderList[setOrderIndex], mergeKey)) patchIndex++;
    setOrderIndex++;
  }
  if (patchIndex < nonDeleteList.length && setOrderIndex >= setOrderList.length) {
    throw internal(
      `the order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goFormat(setOrderList)}`,
    );
  }
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (mergeKey === '') return goEqual(left, right);
  if (!isObject(left)) throw errBadArgType('map', left);
  if (!isObject(right)) throw errBadArgType('map', right);
  if (!hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return goEqual(left[mergeKey], right[mergeKey]);
}

function mergeSliceHandler(
  original: unknown[],
  patch: unknown[],
  schema: TypeSchema | undefined,
  patchStrategy: string,
  mergeKey: string,
  isDeleteList: boolean,
): unknown[] {
  // Delete lists are handled the same way whatever the field's patch strategy.
  if (patchStrategy === MERGE_DIRECTIVE || isDeleteList) {
    return mergeSlice(original, patch, schema, mergeKey, isDeleteList);
  }
  return patch;
}

function mergeSlice(
  originalIn: unknown[],
  patchIn: unknown[],
  schema: TypeSchema | undefined,
  mergeKey: string,
  isDeleteList: boolean,
): unknown[] {
  if (originalIn.length === 0 && patchIn.length === 0) return originalIn;
  const kind = sliceElementType(originalIn, patchIn);

  let original = originalIn;
  let patch = patchIn;
  let merged: unknown[];
  if (kind !== 'map') {
    if (isDeleteList) return deleteFromSlice(original, patch);
    merged = deduplicateScalars([...original, ...patch]);
  } else {
    if (mergeKey === '') {
      // Go names the element type's reflect.Kind here.
      throw internal(`cannot merge lists without merge key for ${schema ? 'struct' : 'string'}`);
    }
    [original, patch] = mergeSliceWithSpecialElements(original, patch, mergeKey);
    merged = mergeSliceWithoutSpecialElements(original, patch, mergeKey, schema);
  }

  // Enforce the order: patch items in patch order, server-only items in their live order.
  const [patchItems, serverOnlyItems] =
    mergeKey === ''
      ? partitionPrimitivesByPresentInList(merged, patch)
      : partitionMapsByPresentInList(merged, patch, mergeKey);
  return normalizeElementOrder(patchItems, serverOnlyItems, patch, original, mergeKey, kind);
}

/** Handles list elements carrying `$patch`; returns the updated original and the other elements. */
function mergeSliceWithSpecialElements(
  originalIn: unknown[],
  patch: unknown[],
  mergeKey: string,
): [unknown[], unknown[]] {
  let original = originalIn;
  const patchWithoutSpecialElements: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const typedV = v as JsonObject;
    if (!hasOwn(typedV, DIRECTIVE_MARKER)) {
      patchWithoutSpecialElements.push(v);
      continue;
    }
    const patchType = typedV[DIRECTIVE_MARKER];
    if (patchType === DELETE_DIRECTIVE) {
      if (!hasOwn(typedV, mergeKey)) throw errNoMergeKey(typedV, mergeKey);
      original = deleteMatchingEntries(original, mergeKey, typedV[mergeKey]);
    } else if (patchType === REPLACE_DIRECTIVE) {
      // Keep going to prune the other $patch elements.
      replace = true;
    } else if (patchType === MERGE_DIRECTIVE) {
      throw internal('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(patchType, typedV);
    }
  }
  return replace ? [patchWithoutSpecialElements, []] : [original, patchWithoutSpecialElements];
}

function deleteMatchingEntries(
  original: unknown[],
  mergeKey: string,
  mergeValue: unknown,
): unknown[] {
  const result = [...original];
  for (;;) {
    const found = findMapInSliceBasedOnKeyValue(result, mergeKey, mergeValue);
    if (!found) return result;
    result.splice(found.index, 1);
  }
}

function mergeSliceWithoutSpecialElements(
  originalIn: unknown[],
  patch: unknown[],
  mergeKey: string,
  schema: TypeSchema | undefined,
): unknown[] {
  const original = [...originalIn];
  for (const v of patch) {
    const typedV = v as JsonObject;
    if (!hasOwn(typedV, mergeKey)) throw errNoMergeKey(typedV, mergeKey);
    const found = findMapInSliceBasedOnKeyValue(original, mergeKey, typedV[mergeKey]);
    if (found) original[found.index] = mergeMap(found.map, typedV, schema);
    else original.push(v);
  }
  return original;
}

function deleteFromSlice(current: unknown[], toDelete: unknown[]): unknown[] {
  return current.filter((v) => !toDelete.some((d) => goEqual(d, v)));
}

function findMapInSliceBasedOnKeyValue(
  m: unknown[],
  key: string,
  value: unknown,
): { map: JsonObject; index: number } | undefined {
  for (const [index, v] of m.entries()) {
    if (!isObject(v)) throw internal(`value for key ${index} is not a map.`);
    if (hasOwn(v, key) && goEqual(v[key], value)) return { map: v, index };
  }
  return undefined;
}

function partitionPrimitivesByPresentInList(
  original: unknown[],
  partitionBy: unknown[],
): [unknown[], unknown[]] {
  const patch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of original) {
    if (partitionBy.some((p) => goEqual(p, v))) patch.push(v);
    else serverOnly.push(v);
  }
  return [patch, serverOnly];
}

function partitionMapsByPresentInList(
  original: unknown[],
  partitionBy: unknown[],
  mergeKey: string,
): [unknown[], unknown[]] {
  const patch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of original) {
    if (!isObject(v)) throw errBadArgType('map', v);
    if (!hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    if (findMapInSliceBasedOnKeyValue(partitionBy, mergeKey, v[mergeKey])) patch.push(v);
    else serverOnly.push(v);
  }
  return [patch, serverOnly];
}

/**
 * Sorts `patch` by `patchOrder` and `serverOnly` by `serverOrder`, then interleaves them,
 * keeping each list's relative order.
 */
function normalizeElementOrder(
  patch: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: Kind,
): unknown[] {
  const sortedPatch = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const sortedServerOnly = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(sortedServerOnly, sortedPatch, serverOrder, mergeKey, kind);
}

/**
 * Merges the two sorted lists by their positions in the live list: an item of `left` goes
 * before the first item of `right` that the live list has after it.
 */
function mergeSortedSlice(
  left: unknown[],
  right: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: Kind,
): unknown[] {
  const result: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const li = index(serverOrder, left[i], mergeKey, kind);
    const ri = index(serverOrder, right[j], mergeKey, kind);
    if (li >= 0 && ri >= 0 && li < ri) result.push(left[i++]);
    else result.push(right[j++]);
  }
  return [...result, ...left.slice(i), ...right.slice(j)];
}

/** Position of an item in a list, matched by merge key value for objects. */
function index(list: unknown[], item: unknown, mergeKey: string, kind: Kind): number {
  const valueOf = (v: unknown): unknown =>
    kind !== 'map' ? v : isObject(v) && hasOwn(v, mergeKey) ? v[mergeKey] : null;
  const wanted = valueOf(item);
  return list.findIndex((v) => goEqual(valueOf(v), wanted));
}

function extractToDeleteItems(list: unknown[]): [unknown[], unknown[]] {
  const nonDelete: unknown[] = [];
  const toDelete: unknown[] = [];
  for (const v of list) {
    if (!isObject(v)) throw errBadArgType('map', v);
    if (hasOwn(v, DIRECTIVE_MARKER) && v[DIRECTIVE_MARKER] === DELETE_DIRECTIVE) toDelete.push(v);
    else nonDelete.push(v);
  }
  return [nonDelete, toDelete];
}

function validateMergeKeyInLists(mergeKey: string, ...lists: unknown[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isObject(item)) throw errBadArgType('map', item);
      if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
  }
}

/**
 * Sorts `toSort` by position in `order`; `$patch: delete` elements go last. Go uses
 * `sort.SliceStable` with a "less" that is true whenever either item is missing from
 * `order`; insertion sort with the same "less" gives Go's result for lists of up to 20
 * items (Go's insertion-sort block size) and for any list whose items are all in `order`,
 * which is every list the algorithm actually sorts.
 */
function normalizeSliceOrder(
  toSortIn: unknown[],
  order: unknown[],
  mergeKey: string,
  kind: Kind,
): unknown[] {
  let toSort = [...toSortIn];
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    validateMergeKeyInLists(mergeKey, toSort, order);
    [toSort, toDelete] = extractToDeleteItems(toSort);
  }
  const less = (a: unknown, b: unknown): boolean => {
    const ia = index(order, a, mergeKey, kind);
    const ib = index(order, b, mergeKey, kind);
    return ia >= 0 && ib >= 0 ? ia < ib : true;
  };
  for (let i = 1; i < toSort.length; i++) {
    for (let j = i; j > 0 && less(toSort[j], toSort[j - 1]); j--) {
      [toSort[j], toSort[j - 1]] = [toSort[j - 1], toSort[j]];
    }
  }
  return [...toSort, ...toDelete];
}

/** Removes repeated scalars, keeping the first of each (order is restored by the caller). */
function deduplicateScalars(s: unknown[]): unknown[] {
  const result: unknown[] = [];
  for (const v of s) if (!result.some((r) => goEqual(r, v))) result.push(v);
  return result;
}

/** The one element kind of the given lists; errors when they mix kinds or nest lists. */
function sliceElementType(...slices: unknown[][]): Kind {
  let prev: Kind | undefined;
  for (const slice of slices) {
    for (const v of slice) {
      const current = kindOf(v);
      if (prev === undefined) {
        prev = current;
        if (prev === 'slice') throw unprocessable(ERR_NO_LIST_OF_LISTS);
      } else if (prev !== current) {
        throw internal(`list element types are not identical: ${goFormat(slices)}`);
      }
    }
  }
  if (prev === undefined) throw internal('no elements in any of the given slices');
  return prev;
}
