import type { z } from 'zod';
import { formatPath, type ValidationResult } from '../src/scenario/validate.js';
import type { Problem } from './problem.js';

/** A field a request got wrong, as RFC 9457 `errors` entries name it (a JSON pointer-ish path). */
export interface FieldError {
  /** e.g. `body.overrides.recovery.holdFor`, `query.limit`, `params.id` */
  field: string;
  message: string;
}

/** An error the API answers with as problem+json; its message is safe to show to the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpError';
  }

  toProblem(): Problem {
    return { title: this.title, status: this.status, detail: this.message, ...this.extensions };
  }
}

export const badRequest = (detail: string, errors: FieldError[] = []) =>
  new HttpError(400, 'Bad Request', detail, errors.length > 0 ? { errors } : {});
export const notFoundError = (detail: string) => new HttpError(404, 'Not Found', detail);
export const conflict = (detail: string, extensions: Record<string, unknown> = {}) =>
  new HttpError(409, 'Conflict', detail, extensions);

/** The zod issues of one part of the request, as field errors. */
export function fieldErrors(part: 'body' | 'query' | 'params', error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/** Parses one part of a request or throws a 400 naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(
  part: 'body' | 'query' | 'params',
  schema: S,
  value: unknown,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = fieldErrors(part, parsed.error);
  const first = errors[0];
  throw badRequest(
    first
      ? `${first.field}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`
      : `invalid ${part}`,
    errors,
  );
}

/**
 * A document a request names: a catalogue entry by name, or an inline document validated as
 * files are, each bad field reported under `field` (e.g. `body.scenario.spec.traffic.interval`).
 */
export function resolveNamedOrInline<T>(
  field: string,
  what: string,
  input: string | Record<string, unknown>,
  lookup: (name: string) => T | undefined,
  validate: (document: unknown) => ValidationResult<T>,
): T {
  if (typeof input === 'string') {
    const found = lookup(input);
    if (found === undefined) {
      const message = `no ${what} named '${input}' in the catalogue`;
      throw badRequest(`${field}: ${message}`, [{ field, message }]);
    }
    return found;
  }
  const result = validate(input);
  if (result.ok) return result.value;
  const errors = result.issues.map((issue) => ({
    field:
      issue.path.length > 0 ? `${field}.${formatPath(issue.path)}`.replace(/\.\[/g, '[') : field,
    message: issue.message,
  }));
  throw badRequest(`${errors[0]!.field}: ${errors[0]!.message}`, errors);
}
