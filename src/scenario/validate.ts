/**
 * Validating a parsed document (from a file or an API request body) into a Scenario or GameDay,
 * with one message per problem, each naming the field it is about.
 */
import type { z } from 'zod';
import { closestNames } from '../suggest.js';
import { API_VERSION, show } from './primitives.js';
import { gameDaySchema, KINDS, scenarioSchema } from './schema.js';
import type { GameDay, Manifest, Scenario } from './schema.js';

export type PathSegment = string | number;

export interface ValidationIssue {
  /** Where in the document, e.g. `['spec', 'fault', 'params', 'memoryLimit']`. */
  path: PathSegment[];
  message: string;
  /** Whether the issue is about the field's value (usual) or its name (unknown fields). */
  target: 'value' | 'key';
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `spec.detection.alerts[0].labels["app.kubernetes.io/name"]`; the empty path is ``. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

function plural(count: number | bigint, noun: string): string {
  return `${count} ${noun}${Number(count) === 1 ? '' : 's'}`;
}

function list(values: readonly unknown[]): string {
  return values.map((value) => (typeof value === 'string' ? value : show(value))).join(', ');
}

/** The keys an object schema declares, from the issue's schema instance. */
function declaredKeys(inst: unknown): string[] {
  const def = (inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def;
  return isRecord(def?.shape) ? Object.keys(def.shape) : [];
}

/**
 * Messages for zod's own issues, worded for scenario authors. Unknown-key issues record the
 * declared keys of their object, by the offending input object, for "did you mean" hints.
 */
function errorMap(declared: WeakMap<object, string[]>) {
  return (issue: z.core.$ZodRawIssue): string | undefined => {
    switch (issue.code) {
      case 'invalid_type':
        if (issue.input === undefined) return 'is required';
        return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${show(issue.input)}`;
      case 'invalid_value':
        return issue.values.length === 1
          ? `must be ${show(issue.values[0])}; got ${show(issue.input)}`
          : `must be one of ${list(issue.values)}; got ${show(issue.input)}`;
      case 'too_small':
        if (issue.origin === 'array') return `must list at least ${plural(issue.minimum, 'item')}`;
        if (issue.origin === 'string') return 'must not be empty';
        return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}; got ${show(issue.input)}`;
      case 'too_big':
        if (issue.origin === 'array') return `must list at most ${plural(issue.maximum, 'item')}`;
        if (issue.origin === 'string')
          return `must be at most ${plural(issue.maximum, 'character')}`;
        return `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}; got ${show(issue.input)}`;
      case 'unrecognized_keys':
        if (isRecord(issue.input)) declared.set(issue.input, declaredKeys(issue.inst));
        return 'unknown field';
      case 'invalid_union':
        if (issue.discriminator !== undefined) {
          const options = (issue as { options?: readonly unknown[] }).options ?? [];
          const value = isRecord(issue.input) ? issue.input[issue.discriminator] : undefined;
          return value === undefined
            ? `is required: one of ${list(options)}`
            : `${show(value)} is not a known ${issue.discriminator}; expected one of ${list(options)}`;
        }
        return issue.input === undefined ? 'is required' : undefined;
      default:
        return undefined;
    }
  };
}

function unknownField(key: string, declared: readonly string[]): string {
  const close = closestNames(key, declared, { max: 1 })[0];
  if (close) return `unknown field '${key}'; did you mean '${close}'?`;
  return declared.length > 0
    ? `unknown field '${key}'; expected one of ${declared.join(', ')}`
    : `unknown field '${key}'`;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let value = data;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === 'number') value = value[segment];
    else if (isRecord(value) && typeof segment === 'string') value = value[segment];
    else return undefined;
  }
  return value;
}

/** Root-level type mismatches: the branch of a union was the wrong shape altogether. */
const wrongShape = (issues: readonly z.core.$ZodIssue[]) =>
  issues.every(
    (issue) =>
      issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_union'),
  );

/** zod's issues as ours: unknown keys one by one, unions reduced to the branch that applies. */
function convert(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PathSegment[],
  data: unknown,
  declared: WeakMap<object, string[]>,
  out: ValidationIssue[],
): void {
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathSegment[])];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const owner = valueAt(data, path);
        const keys = isRecord(owner) ? (declared.get(owner) ?? []) : [];
        for (const key of issue.keys) {
          out.push({ path: [...path, key], message: unknownField(key, keys), target: 'key' });
        }
        break;
      }
      case 'invalid_union': {
        // A branch that got past the shape check is what the author meant; report its issues.
        const branch = issue.errors.find((errors) => !wrongShape(errors));
        if (branch) convert(branch, path, data, declared, out);
        else out.push({ path, message: issue.message, target: 'value' });
        break;
      }
      case 'invalid_key':
        out.push({ path, message: issue.issues[0]?.message ?? issue.message, target: 'key' });
        break;
      default: {
        const at = issue.code === 'custom' && issue.params?.['at'] === 'key' ? 'key' : 'value';
        out.push({ path, message: issue.message, target: at });
      }
    }
  }
}

function run<T>(schema: z.ZodType<T>, data: unknown): ValidationResult<T> {
  const declared = new WeakMap<object, string[]>();
  const result = schema.safeParse(data, { error: errorMap(declared) });
  if (result.success) return { ok: true, value: result.data };
  const issues: ValidationIssue[] = [];
  convert(result.error.issues, [], data, declared, issues);
  return { ok: false, issues };
}

/**
 * Checks `apiVersion` and `kind` first: a document of another version or kind is not read
 * further, so its fields do not drown the one error that matters.
 */
function header(data: unknown, kinds: readonly string[]): ValidationIssue[] {
  if (!isRecord(data)) {
    return [
      {
        path: [],
        message: `expected a mapping with apiVersion, kind, metadata and spec; got ${show(data)}`,
        target: 'value',
      },
    ];
  }
  const issues: ValidationIssue[] = [];
  const { apiVersion, kind } = data;
  if (apiVersion === undefined) {
    issues.push({ path: ['apiVersion'], message: `is required: ${API_VERSION}`, target: 'value' });
  } else if (apiVersion !== API_VERSION) {
    issues.push({
      path: ['apiVersion'],
      message: `unsupported apiVersion ${show(apiVersion)}; expected ${API_VERSION}`,
      target: 'value',
    });
  }
  if (kind === undefined) {
    issues.push({ path: ['kind'], message: `is required: ${kinds.join(' or ')}`, target: 'value' });
  } else if (typeof kind !== 'string' || !kinds.includes(kind)) {
    issues.push({
      path: ['kind'],
      message: `unknown kind ${show(kind)}; expected ${kinds.join(' or ')}`,
      target: 'value',
    });
  }
  return issues;
}

/** Validates a Scenario or GameDay document. */
export function validateManifest(data: unknown): ValidationResult<Manifest> {
  const issues = header(data, KINDS);
  if (issues.length > 0) return { ok: false, issues };
  return (data as { kind: string }).kind === 'GameDay'
    ? run(gameDaySchema, data)
    : run(scenarioSchema, data);
}

/** Validates a document that must be a Scenario. */
export function validateScenario(data: unknown): ValidationResult<Scenario> {
  const issues = header(data, ['Scenario']);
  return issues.length > 0 ? { ok: false, issues } : run(scenarioSchema, data);
}

/** Validates a document that must be a GameDay. */
export function validateGameDay(data: unknown): ValidationResult<GameDay> {
  const issues = header(data, ['GameDay']);
  return issues.length > 0 ? { ok: false, issues } : run(gameDaySchema, data);
}
