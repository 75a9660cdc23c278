/** metav1.LabelSelector: ValidateLabelSelector and selector matching. */
import {
  asArray,
  asObject,
  asString,
  asStringMap,
  child,
  forbidden,
  index,
  invalid,
  required,
  type Findings,
} from './field.js';
import { validateLabels } from './meta.js';
import { isLabelKey, isLabelValue } from './names.js';

/** Validates a selector; returns whether it converts to a labels.Selector. */
export function validateLabelSelector(selector: unknown, path: string, out: Findings): boolean {
  const before = out.invalid.length;
  const sel = asObject(selector);
  validateLabels(sel.matchLabels, child(path, 'matchLabels'), out);
  asArray(sel.matchExpressions).forEach((raw, i) => {
    const expr = asObject(raw);
    const at = index(child(path, 'matchExpressions'), i);
    const values = asArray(expr.values);
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          out.invalid.push(
            required(child(at, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          out.invalid.push(
            forbidden(
              child(at, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        out.invalid.push(
          invalid(child(at, 'operator'), expr.operator ?? '', 'not a valid selector operator'),
        );
    }
    const keyText = asString(expr.key);
    for (const msg of isLabelKey(keyText))
      out.invalid.push(invalid(child(at, 'key'), keyText, msg));
    values.forEach((v, j) => {
      for (const msg of isLabelValue(asString(v))) {
        out.invalid.push(invalid(index(child(at, 'values'), j), v, msg));
      }
    });
  });
  return out.invalid.length === before;
}

export const isEmptySelector = (selector: unknown): boolean => {
  const sel = asObject(selector);
  return (
    Object.keys(asObject(sel.matchLabels)).length === 0 &&
    asArray(sel.matchExpressions).length === 0
  );
};

/** Whether a (valid) selector matches a label set; an empty selector matches everything. */
export function selectorMatches(selector: unknown, labels: unknown): boolean {
  const sel = asObject(selector);
  const set = asStringMap(labels);
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(set, k);
  for (const [k, v] of Object.entries(asStringMap(sel.matchLabels))) {
    if (!has(k) || set[k] !== v) return false;
  }
  return asArray(sel.matchExpressions).every((raw) => {
    const expr = asObject(raw);
    const k = asString(expr.key);
    const values = asArray(expr.values);
    switch (expr.operator) {
      case 'In':
        return has(k) && values.includes(set[k]);
      case 'NotIn':
        return !has(k) || !values.includes(set[k]);
      case 'Exists':
        return has(k);
      case 'DoesNotExist':
        return !has(k);
      default:
        return false;
    }
  });
}
