/**
 * Building blocks of the scenario schema: names, durations, quantities, labels, comparisons and
 * schedules, each with the message an SRE needs to fix the value.
 *
 * Conventions shared by every schema here:
 * - A schema's own type mismatch says what was expected (`expected a duration such as 90s…`); a
 *   missing value is left to the caller's error map, which says "is required".
 * - Checks add `custom` issues; `params.at === 'key'` marks an issue about a field's name rather
 *   than its value, so the loader can point at the key.
 * - Parsed forms of the small languages (comparisons, schedules, matchers) are also accepted as
 *   input, so a validated document validates again unchanged (the API stores what it validated and
 *   the worker may check it once more).
 */
import cronParser from 'cron-parser';
import { z } from 'zod';
import { DURATION_HINT, parseDuration } from '../duration.js';
import { parseQuantity, quantityError, quantityText } from '../quantity.js';

export const API_VERSION = 'gameday/v1';

/** A value as a message shows it: strings quoted, everything else as JSON, long values cut. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = `'${value}'`;
  else if (value === undefined) text = 'nothing';
  else if (Array.isArray(value)) text = 'a list';
  else if (typeof value === 'object' && value !== null) text = 'a mapping';
  // JSON.stringify throws on a BigInt.
  else if (typeof value === 'bigint') text = String(value);
  else text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

interface IssueLike {
  readonly code?: string;
  readonly input?: unknown;
}

/**
 * An error callback for a schema's own type mismatch: `expected <what>, got <value>`. A missing
 * value yields undefined, so the parse-level error map reports it as required.
 */
export function expected(what: string): (issue: IssueLike) => string | undefined {
  return (issue) =>
    (issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input !== undefined
      ? `expected ${what}, got ${show(issue.input)}`
      : undefined;
}

/** A string schema with one check that explains itself, plus JSON Schema hints for editors. */
export function checkedString(
  what: string,
  check: (text: string) => string | undefined,
  jsonSchema: Record<string, unknown> = {},
) {
  return z
    .string({ error: expected(what) })
    .superRefine((text, ctx) => {
      const message = check(text);
      if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: text });
    })
    .meta(jsonSchema);
}

export const nonEmptyString = (what = 'a string') =>
  checkedString(what, (text) => (text.trim() === '' ? 'must not be empty' : undefined), {
    minLength: 1,
  });

/**
 * Defaults a transform applies itself (so that it can tell an omitted field from a given one), to
 * be shown as `default` in the input JSON Schema all the same; zod only shows `.default()`s.
 */
export const documentedDefaults = new WeakMap<object, unknown>();

export function withDocumentedDefault<S extends z.ZodType>(schema: S, value: z.input<S>): S {
  documentedDefaults.set(schema, value);
  return schema;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes names and labels
// ---------------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function dnsLabelError(text: string): string | undefined {
  if (text.length <= 63 && DNS_LABEL.test(text)) return undefined;
  return `must be a DNS-1123 label (at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit); got ${show(text)}`;
}

export function dnsSubdomainError(text: string): string | undefined {
  if (text.length <= 253 && DNS_SUBDOMAIN.test(text)) return undefined;
  return `must be a DNS-1123 subdomain (at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit); got ${show(text)}`;
}

/** A DNS-1123 label: names of scenarios, namespaces, revisions. */
export const dnsLabel = () =>
  checkedString('a DNS-1123 label', dnsLabelError, {
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    maxLength: 63,
  });

/** A DNS-1123 subdomain: names of most Kubernetes objects. */
export const dnsSubdomain = () =>
  checkedString('a Kubernetes object name', dnsSubdomainError, {
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    maxLength: 253,
  });

function labelKeyError(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk =
    prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix) && prefix !== '');
  if (prefixOk && name.length <= 63 && LABEL_NAME.test(name)) return undefined;
  return `${show(key)} is not a valid label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
}

function labelValueError(value: string): string | undefined {
  if (value === '' || (value.length <= 63 && LABEL_NAME.test(value))) return undefined;
  return `must be a label value (empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit); got ${show(value)}`;
}

/** Kubernetes labels (`metadata.labels`, `matchLabels`): keys and values checked as the API server does. */
export const kubernetesLabels = ({ nonEmpty = false } = {}) =>
  z
    .record(z.string(), z.string({ error: expected('a string label value') }), {
      error: expected('a mapping of label names to values'),
    })
    .superRefine((labels, ctx) => {
      const keys = Object.keys(labels);
      if (nonEmpty && keys.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'must list at least one label', input: labels });
      }
      for (const key of keys) {
        const keyError = labelKeyError(key);
        if (keyError !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: keyError,
            path: [key],
            params: { at: 'key' },
            input: key,
          });
          continue;
        }
        const valueError = labelValueError(labels[key] ?? '');
        if (valueError !== undefined) {
          ctx.addIssue({ code: 'custom', message: valueError, path: [key], input: labels[key] });
        }
      }
    });

export const PROMETHEUS_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Prometheus labels to match exactly: names as Prometheus allows them, any value. */
export const prometheusLabels = () =>
  z
    .record(z.string(), z.string({ error: expected('a string label value') }), {
      error: expected('a mapping of label names to values'),
    })
    .superRefine((labels, ctx) => {
      for (const key of Object.keys(labels)) {
        if (!PROMETHEUS_LABEL_NAME.test(key)) {
          ctx.addIssue({
            code: 'custom',
            message: `${show(key)} is not a Prometheus label name (letters, digits and '_', not starting with a digit)`,
            path: [key],
            params: { at: 'key' },
            input: key,
          });
        }
      }
    });

// ---------------------------------------------------------------------------------------------
// Durations and quantities
// ---------------------------------------------------------------------------------------------

/** The JSON Schema pattern of a duration, for editors (parseDuration is the authority). */
const DURATION_PATTERN = '^(?=\\d)(\\d+w)?(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?(\\d+ms)?$';

function durationError(text: string, positive: boolean): string | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) return `must be ${DURATION_HINT}; got ${show(text)}`;
  if (positive && ms === 0) return 'must be longer than 0s';
  return undefined;
}

/**
 * A duration string such as `90s` or `1h30m`, kept as written (reports show it as the author wrote
 * it); read it with {@link durationMs}.
 */
export const duration = (description?: string) =>
  checkedString(DURATION_HINT, (text) => durationError(text, false), {
    pattern: DURATION_PATTERN,
    ...(description !== undefined && { description }),
  });

/** A duration that must be longer than zero (timeouts, intervals). */
export const positiveDuration = (description?: string) =>
  checkedString(DURATION_HINT, (text) => durationError(text, true), {
    pattern: DURATION_PATTERN,
    ...(description !== undefined && { description }),
  });

/** Milliseconds of a duration the schema validated; throws RangeError on anything else. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new RangeError(`not a duration: ${JSON.stringify(text)}`);
  return ms;
}

/**
 * A Kubernetes quantity greater than zero, e.g. `32Mi`. A bare YAML number is accepted as the API
 * server accepts it; the output is always the (trimmed) text.
 */
export const positiveQuantity = (description?: string) =>
  z
    .union([z.string(), z.number()], { error: expected('a Kubernetes quantity such as 32Mi') })
    .transform((raw, ctx) => {
      const text = quantityText(raw) ?? '';
      const error = quantityError(text);
      if (error !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a Kubernetes quantity such as 32Mi or 1Gi (${error}); got ${show(raw)}`,
          input: raw,
        });
        return z.NEVER;
      }
      if ((parseQuantity(text) ?? 0) <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be greater than 0; got ${show(raw)}` });
        return z.NEVER;
      }
      return text;
    })
    .meta(description !== undefined ? { description } : {});

const INT_OR_PERCENT = "a non-negative integer or a percentage such as '25%'";

/** A non-negative integer or a percentage such as `25%` (Deployment rollout parameters). */
export const intOrPercent = (maxPercent?: number) =>
  z
    .union(
      [
        z.int().min(0),
        z.string().regex(/^\d+%$/, {
          error: (issue) => `expected ${INT_OR_PERCENT}, got ${show(issue.input)}`,
        }),
      ],
      { error: expected(INT_OR_PERCENT) },
    )
    .superRefine((value, ctx) => {
      if (maxPercent !== undefined && typeof value === 'string' && parseInt(value) > maxPercent) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${maxPercent}%; got ${value}` });
      }
    });

// ---------------------------------------------------------------------------------------------
// Comparisons (guards, recovery signals)
// ---------------------------------------------------------------------------------------------

export const COMPARISON_OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];
/** `abortIf: "> 0"` parsed: the query's value `op` `value`. */
export interface Comparison {
  op: ComparisonOperator;
  value: number;
}

const COMPARISON = /^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;
export const COMPARISON_HINT = "a comparison such as '> 0', '>= 0.5', '< 0.9', '== 1' or '!= 0'";

export function parseComparison(text: string): Comparison | undefined {
  const match = COMPARISON.exec(text);
  if (!match) return undefined;
  return { op: match[1] as ComparisonOperator, value: Number(match[2]) };
}

export function formatComparison(comparison: Comparison): string {
  return `${comparison.op} ${comparison.value}`;
}

/** Whether `sample op value` holds (NaN compares false, except with `!=`, as in PromQL). */
export function compare(comparison: Comparison, sample: number): boolean {
  const { op, value } = comparison;
  switch (op) {
    case '>':
      return sample > value;
    case '>=':
      return sample >= value;
    case '<':
      return sample < value;
    case '<=':
      return sample <= value;
    case '==':
      return sample === value;
    case '!=':
      return sample !== value;
  }
}

/** A comparison: the string form (`"> 0"`) or its parsed form (`{ op: '>', value: 0 }`). */
export const comparison = (description?: string) =>
  z
    .union(
      [
        z.string(),
        z.strictObject({
          op: z.enum(COMPARISON_OPERATORS),
          value: z.number({ error: expected('a number') }),
        }),
      ],
      { error: expected(COMPARISON_HINT) },
    )
    .transform((value, ctx): Comparison => {
      if (typeof value !== 'string') return { op: value.op, value: value.value };
      const parsed = parseComparison(value);
      if (parsed === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `must be ${COMPARISON_HINT} (quote it in YAML); got ${show(value)}`,
          input: value,
        });
        return z.NEVER;
      }
      return parsed;
    })
    .meta(description !== undefined ? { description } : {});

// ---------------------------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------------------------

/** A cron schedule and the IANA time zone its fields are read in. */
export interface Schedule {
  cron: string;
  timezone: string;
}

export const DEFAULT_TIMEZONE = 'UTC';
const CRON_FIELDS = 'minute hour day-of-month month day-of-week';

/** Why the text is not a 5-field cron expression BullMQ can schedule, or undefined. */
export function cronError(text: string, timezone = DEFAULT_TIMEZONE): string | undefined {
  const fields = text.trim() === '' ? [] : text.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `must be a cron expression with 5 fields (${CRON_FIELDS}), e.g. '0 10 * * 6'; got ${fields.length} field${fields.length === 1 ? '' : 's'} in ${show(text)}`;
  }
  try {
    // The parser BullMQ's job schedulers use, so what validates here also schedules there.
    cronParser.parseExpression(text, { tz: timezone }).next();
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `invalid cron expression ${show(text)} (${CRON_FIELDS}): ${reason}`;
  }
}

/** Why the text is not a time zone the runtime knows, or undefined. */
export function timezoneError(text: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: text });
    return undefined;
  } catch {
    return `unknown time zone ${show(text)}; use an IANA zone name such as Europe/Berlin, America/New_York or UTC`;
  }
}

/**
 * `schedule: "0 10 * * 6"` (read in UTC) or `schedule: { cron: "0 10 * * 6", timezone:
 * Europe/Berlin }`; the output is always the object form.
 */
export const schedule = () =>
  z
    .union(
      [
        z.string(),
        z.strictObject({
          cron: z.string({ error: expected('a cron expression') }),
          timezone: z
            .string({ error: expected('an IANA time zone name') })
            .default(DEFAULT_TIMEZONE)
            .meta({ description: 'IANA time zone the cron fields are read in.' }),
        }),
      ],
      { error: expected("a cron expression such as '0 10 * * 6' or { cron, timezone }") },
    )
    .transform((value, ctx): Schedule => {
      const spec = typeof value === 'string' ? { cron: value, timezone: DEFAULT_TIMEZONE } : value;
      const at = (field: string) => (typeof value === 'string' ? [] : [field]);
      const zoneError = timezoneError(spec.timezone);
      if (zoneError !== undefined) {
        ctx.addIssue({ code: 'custom', message: zoneError, path: at('timezone') });
        return z.NEVER;
      }
      const error = cronError(spec.cron, spec.timezone);
      if (error !== undefined) {
        ctx.addIssue({ code: 'custom', message: error, path: at('cron') });
        return z.NEVER;
      }
      return { cron: spec.cron.trim(), timezone: spec.timezone };
    })
    .meta({
      description:
        'Cron expression (5 fields: minute hour day-of-month month day-of-week), read in UTC, or { cron, timezone } with an IANA time zone.',
    });

// ---------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------

export const httpUrl = () =>
  checkedString(
    'an http:// or https:// URL',
    (text) => {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        return `must be an absolute http:// or https:// URL; got ${show(text)}`;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return `must be an http:// or https:// URL; got ${show(text)}`;
      }
      return undefined;
    },
    { format: 'uri' },
  );
