/**
 * A small structural-schema validator for custom resources, reporting what the real
 * apiextensions-apiserver reports: unknown (pruned) fields, OpenAPI type / enum / required /
 * bounds errors in kube-openapi's wording, and x-kubernetes-validations (CEL) rules, which the
 * schemas below express as plain predicates.
 */
import {
  child,
  goFloat,
  index,
  invalid,
  key,
  notSupported,
  plain,
  required,
  tooLong,
  tooMany,
  typeInvalid,
  type Findings,
} from './field.js';
import type { FieldCause } from '../types.js';

/** An x-kubernetes-validations rule: the message, and the predicate its CEL expression computes. */
export interface Rule {
  message: string;
  /** true when valid; a string when evaluation fails (reported as `<error> evaluating rule: <msg>`). */
  test: (value: never) => boolean | string;
}

interface StringOpts {
  enum?: readonly string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  rules?: Rule[];
}
interface NumberOpts {
  minimum?: number;
  maximum?: number;
  rules?: Rule[];
}
type StringSchema = { type: 'string' } & StringOpts;
type NumberSchema = { type: 'integer' | 'number' } & NumberOpts;
interface ObjectSchema {
  type: 'object';
  properties: Record<string, Schema>;
  required?: readonly string[];
  /** CRD `oneOf: [not anyOf required…, required a, required b…]`: at most one of each group. */
  atMostOne?: readonly (readonly string[])[];
  rules?: Rule[];
}
interface MapSchema {
  type: 'map';
  values: Schema;
  maxProperties?: number;
  rules?: Rule[];
}
interface ArraySchema {
  type: 'array';
  items: Schema;
  minItems?: number;
  maxItems?: number;
  rules?: Rule[];
}
/** `any` is x-kubernetes-preserve-unknown-fields: anything goes. */
export type Schema =
  | StringSchema
  | NumberSchema
  | { type: 'boolean'; rules?: Rule[] }
  | ObjectSchema
  | MapSchema
  | ArraySchema
  | { type: 'any'; rules?: Rule[] };

// Declarative builders, so each field of a schema table is one line.
export const str = (o: StringOpts = {}): Schema => ({ type: 'string', ...o });
export const int = (o: NumberOpts = {}): Schema => ({ type: 'integer', ...o });
export const num = (o: NumberOpts = {}): Schema => ({ type: 'number', ...o });
export const bool: Schema = { type: 'boolean' };
export const any: Schema = { type: 'any' };
export const uint32 = int({ minimum: 0, maximum: 4294967295 });
export const strs = (o: { maxItems?: number } = {}): Schema => ({
  type: 'array',
  items: str(),
  ...o,
});
export const arr = (items: Schema, o: Omit<ArraySchema, 'type' | 'items'> = {}): Schema => ({
  type: 'array',
  items,
  ...o,
});
export const map = (values: Schema, o: Omit<MapSchema, 'type' | 'values'> = {}): Schema => ({
  type: 'map',
  values,
  ...o,
});
export const enumOf = (...values: string[]): Schema => str({ enum: values });
export const obj = (
  properties: Record<string, Schema>,
  o: Omit<ObjectSchema, 'type' | 'properties'> = {},
): Schema => ({ type: 'object', properties, ...o });
/** Shorthand for `has(self.x) ? 1 : 0) + … <= 1`. */
export const onlyOne = (message: string, ...fields: string[]): Rule => ({
  message,
  test: (v: Record<string, unknown>) => fields.filter((f) => v[f] !== undefined).length <= 1,
});

/** The JSON type name kube-openapi reports for a value. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** The schema type CEL rule errors print as the bad value (`Invalid value: "object": …`). */
function celType(schema: Schema): string {
  if (schema.type === 'map') return 'object';
  return schema.type === 'any' ? 'object' : schema.type;
}

class Walker {
  readonly schemaErrors: FieldCause[] = [];
  readonly celErrors: FieldCause[] = [];
  constructor(private readonly out: Findings) {}

  walk(value: unknown, schema: Schema, path: string): void {
    if (value === null || value === undefined || schema.type === 'any') return;
    if (!this.typeMatches(value, schema, path)) return;
    switch (schema.type) {
      case 'string':
        return this.string(value as string, schema, path);
      case 'integer':
      case 'number':
        return this.number(value as number, schema, path);
      case 'object':
        return this.object(value as Record<string, unknown>, schema, path);
      case 'map':
        return this.map(value as Record<string, unknown>, schema, path);
      case 'array':
        return this.array(value as unknown[], schema, path);
      default:
        return this.rules(value, schema, path);
    }
  }

  private typeMatches(value: unknown, schema: Schema, path: string): boolean {
    const actual = typeName(value);
    const wanted = schema.type === 'map' ? 'object' : schema.type;
    const ok = actual === wanted || (wanted === 'number' && actual === 'integer');
    if (!ok) {
      this.schemaErrors.push(
        typeInvalid(
          path,
          actual,
          `${path} in body must be of type ${wanted}: ${JSON.stringify(actual)}`,
        ),
      );
    }
    return ok;
  }

  private string(value: string, schema: StringSchema, path: string): void {
    if (schema.enum && !schema.enum.includes(value)) {
      this.schemaErrors.push(notSupported(path, value, schema.enum));
    }
    const chars = [...value].length;
    if (schema.maxLength !== undefined && chars > schema.maxLength) {
      this.schemaErrors.push(tooLong(path, schema.maxLength));
    }
    if (schema.minLength !== undefined && chars < schema.minLength) {
      this.schemaErrors.push(
        invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`),
      );
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      this.schemaErrors.push(
        invalid(path, value, `${path} in body should match '${schema.pattern}'`),
      );
    }
    this.rules(value, schema, path);
  }

  private number(value: number, schema: NumberSchema, path: string) {
    if (schema.minimum !== undefined && value < schema.minimum) {
      this.schemaErrors.push(
        invalid(
          path,
          value,
          `${path} in body should be greater than or equal to ${goFloat(schema.minimum)}`,
        ),
      );
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      this.schemaErrors.push(
        invalid(
          path,
          value,
          `${path} in body should be less than or equal to ${goFloat(schema.maximum)}`,
        ),
      );
    }
    this.rules(value, schema, path);
  }

  private object(value: Record<string, unknown>, schema: ObjectSchema, path: string) {
    for (const k of Object.keys(value)) {
      if (!(k in schema.properties)) {
        const at = child(path, k);
        this.out.unknown.push(
          plain('FieldValueUnknown', at, `unknown field ${JSON.stringify(at)}`),
        );
      }
    }
    for (const r of schema.required ?? []) {
      if (value[r] === undefined || value[r] === null)
        this.schemaErrors.push(required(child(path, r)));
    }
    for (const [k, sub] of Object.entries(schema.properties))
      this.walk(value[k], sub, child(path, k));
    for (const group of schema.atMostOne ?? []) {
      const set = group.filter((k) => value[k] !== undefined && value[k] !== null).length;
      if (set > 1) {
        // kube-openapi reports a failed oneOf without a field name, so the server prints <nil>.
        this.schemaErrors.push(
          invalid(
            '<nil>',
            '',
            `${JSON.stringify(path)} must validate one and only one schema (oneOf). Found ${set} valid alternatives`,
          ),
        );
      }
    }
    this.rules(value, schema, path);
  }

  private map(value: Record<string, unknown>, schema: MapSchema, path: string) {
    const size = Object.keys(value).length;
    if (schema.maxProperties !== undefined && size > schema.maxProperties) {
      this.schemaErrors.push(tooMany(path, size, schema.maxProperties));
    }
    for (const [k, v] of Object.entries(value)) this.walk(v, schema.values, key(path, k));
    this.rules(value, schema, path);
  }

  private array(value: unknown[], schema: ArraySchema, path: string) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      this.schemaErrors.push(tooMany(path, value.length, schema.maxItems));
    }
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      this.schemaErrors.push(
        invalid(
          path,
          value.length,
          `${path} in body should have at least ${schema.minItems} items`,
        ),
      );
    }
    value.forEach((item, i) => this.walk(item, schema.items, index(path, i)));
    this.rules(value, schema, path);
  }

  private rules(value: unknown, schema: Schema, path: string): void {
    for (const rule of schema.rules ?? []) {
      const result = rule.test(value as never);
      if (result === true) continue;
      const detail =
        typeof result === 'string' ? `${result} evaluating rule: ${rule.message}` : rule.message;
      this.celErrors.push(invalid(path, celType(schema), detail));
    }
  }
}

/**
 * Validates `value` against `schema` at `path`, appending CEL rule errors after the structural ones
 * as the real server does.
 */
export function validateSchema(value: unknown, schema: Schema, path: string, out: Findings): void {
  const walker = new Walker(out);
  walker.walk(value, schema, path);
  out.invalid.push(...walker.schemaErrors);
  // Type and enum errors stop CEL rules from running (apiextensions' hasBlockingErr).
  const blocking = walker.schemaErrors.some(
    (c) => c.reason === 'FieldValueTypeInvalid' || c.reason === 'FieldValueNotSupported',
  );
  if (blocking) {
    out.invalid.push(
      invalid(
        '<nil>',
        null,
        'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      ),
    );
  } else {
    out.invalid.push(...walker.celErrors);
  }
}
