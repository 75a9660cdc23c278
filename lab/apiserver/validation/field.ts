/**
 * The pieces of k8s.io/apimachinery/pkg/util/validation/field the validators need: field paths,
 * `field.Error` constructors whose `message` is exactly `ErrorBody()`, and Go's `%q` / `%v` /
 * `encoding/json` renderings of the bad value, so messages match the real API server byte for byte.
 */
import type { FieldCause } from '../types.js';

/** Where each cause goes, mirroring how the real server reports it. See index.ts. */
export interface Findings {
  /** The body cannot be decoded into the typed object: 400 BadRequest, no causes. */
  malformed: FieldCause[];
  /** Fields the type or CRD schema does not declare. */
  unknown: FieldCause[];
  /** 422 Invalid: the type's validation, or the CRD's structural schema and CEL rules. */
  invalid: FieldCause[];
  /** Istio's validating webhook: 400 with `admission webhook ... denied the request`. */
  denied: FieldCause[];
}

export function newFindings(): Findings {
  return { malformed: [], unknown: [], invalid: [], denied: [] };
}

// Field paths, formatted like field.Path.String().
export const child = (path: string, name: string): string => (path ? `${path}.${name}` : name);
export const index = (path: string, i: number): string => `${path}[${i}]`;
export const key = (path: string, k: string): string => `${path}[${k}]`;

/** Go's strconv.Quote, which `%q` uses for string bad values. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp === 0x07) out += '\\a';
    else if (cp === 0x08) out += '\\b';
    else if (cp === 0x0c) out += '\\f';
    else if (cp === 0x0a) out += '\\n';
    else if (cp === 0x0d) out += '\\r';
    else if (cp === 0x09) out += '\\t';
    else if (cp === 0x0b) out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0x80 && cp < 0xa0) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Go's `%v` for a float64 (strconv 'g', shortest): exponent form when the decimal exponent is
 * below -4 or at least 6, so the uint32 bound 4294967295 prints as `4.294967295e+09`.
 */
export function goFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa = '0', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

/** A number as Go prints it: integers as int64 (`%v`), anything else as float64. */
export function goNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? BigInt(n).toString() : goFloat(n);
}

/** encoding/json.Marshal as Go applies it to maps and slices: sorted keys, HTML-safe escapes. */
export function goJSON(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029');
  }
  if (typeof value === 'number') return Number.isInteger(value) ? goNumber(value) : String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(goJSON).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${goJSON(k)}:${goJSON(v)}`).join(',')}}`;
  }
  return 'null';
}

/** A bad value already rendered, for Go structs whose JSON field order matters. */
export class Rendered {
  constructor(readonly text: string) {}
}

/** The `%v`-or-JSON rendering ErrorBody applies to a bad value. */
export function goValue(value: unknown): string {
  if (value instanceof Rendered) return value.text;
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  return goJSON(value);
}

function cause(reason: FieldCause['reason'], field: string, message: string): FieldCause {
  return { reason, field, message };
}

const withDetail = (body: string, detail: string): string => (detail ? `${body}: ${detail}` : body);

export const invalid = (field: string, value: unknown, detail: string): FieldCause =>
  cause('FieldValueInvalid', field, withDetail(`Invalid value: ${goValue(value)}`, detail));

export const required = (field: string, detail = ''): FieldCause =>
  cause('FieldValueRequired', field, withDetail('Required value', detail));

export const forbidden = (field: string, detail: string): FieldCause =>
  cause('FieldValueForbidden', field, withDetail('Forbidden', detail));

export const duplicate = (field: string, value: unknown): FieldCause =>
  cause('FieldValueDuplicate', field, `Duplicate value: ${goValue(value)}`);

export const notSupported = (field: string, value: unknown, valid: readonly string[]): FieldCause =>
  cause(
    'FieldValueNotSupported',
    field,
    withDetail(
      `Unsupported value: ${goValue(value)}`,
      valid.length ? `supported values: ${valid.map(goQuote).join(', ')}` : '',
    ),
  );

export const tooLong = (field: string, maxBytes: number): FieldCause =>
  cause(
    'FieldValueTooLong',
    field,
    `Too long: may not be more than ${maxBytes} ${maxBytes === 1 ? 'byte' : 'bytes'}`,
  );

/** field.TooMany; the FieldCause type has no `FieldValueTooMany`, so it reports as too long. */
export const tooMany = (field: string, actual: number, max: number): FieldCause =>
  cause(
    'FieldValueTooLong',
    field,
    `Too many: ${actual}: must have at most ${max} ${max === 1 ? 'item' : 'items'}`,
  );

export const typeInvalid = (field: string, value: unknown, detail: string): FieldCause =>
  cause('FieldValueTypeInvalid', field, withDetail(`Invalid value: ${goValue(value)}`, detail));

/** A cause whose message is plain text: decode errors, unknown fields and webhook denials. */
export const plain = (reason: FieldCause['reason'], field: string, message: string): FieldCause =>
  cause(reason, field, message);

// JSON shape helpers shared by every validator.
export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const asObject = (v: unknown): Json => (isObject(v) ? v : {});
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const asString = (v: unknown): string => (typeof v === 'string' ? v : '');
export const asStringMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asObject(v))) out[k] = typeof val === 'string' ? val : '';
  return out;
};
/** Go's `len(s)` counts UTF-8 bytes, not UTF-16 units. */
export const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

export const notFound = (field: string, value: unknown): FieldCause =>
  cause('FieldValueNotFound', field, `Not found: ${goValue(value)}`);
