import {
  contract,
  pathOf,
  type CallInput,
  type Operation,
  type OperationId,
  type SuccessBody,
} from '../src/contract/operations.js';
import { ApiError, type FieldError } from './errors.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export interface ClientConfig {
  baseUrl: string;
  token: string | undefined;
}

/** `$GAMEDAY_API_URL` (default {@link DEFAULT_API_URL}) and `$GAMEDAY_TOKEN`. */
export function clientConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  return {
    baseUrl: (env['GAMEDAY_API_URL'] || DEFAULT_API_URL).replace(/\/+$/, ''),
    token: env['GAMEDAY_TOKEN'] || undefined,
  };
}

type Op<I extends OperationId> = (typeof contract)[I];

/**
 * The client of the gameday API, typed by its contract (src/contract/operations.ts): an
 * operation's id names its method and path, its parameters and body are the contract's, and so
 * is what it answers. problem+json answers become {@link ApiError}.
 */
export class ApiClient {
  constructor(private readonly config: ClientConfig) {}

  /** Calls an operation that answers JSON (or nothing) and returns its body. */
  async call<I extends OperationId>(id: I, input: CallInput<Op<I>>): Promise<SuccessBody<Op<I>>> {
    const { text, contentType } = await this.#send(contract[id], input);
    if (text === '') return undefined as SuccessBody<Op<I>>;
    try {
      return JSON.parse(text) as SuccessBody<Op<I>>;
    } catch {
      throw new ApiError(
        `${id}: expected JSON, got ${contentType || 'no content type'}`,
        undefined,
      );
    }
  }

  /** Calls an operation that answers text (reports) and returns it as it came. */
  async text<I extends OperationId>(id: I, input: CallInput<Op<I>>): Promise<string> {
    return (await this.#send(contract[id], input)).text;
  }

  async #send(
    op: Operation,
    input: { params?: unknown; query?: unknown; body?: unknown },
  ): Promise<{ text: string; contentType: string }> {
    const url = new URL(this.config.baseUrl + pathOf(op, input.params as Record<string, string>));
    for (const [key, value] of Object.entries((input.query ?? {}) as Record<string, unknown>)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json, */*;q=0.5' };
    if (this.config.token !== undefined) headers['authorization'] = `Bearer ${this.config.token}`;
    if (input.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method: op.method.toUpperCase(),
        headers,
        ...(input.body !== undefined && { body: JSON.stringify(input.body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new ApiError(
        `cannot reach the gameday API at ${this.config.baseUrl} (${why}); set GAMEDAY_API_URL`,
        undefined,
      );
    }
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok) throw problemError(response.status, contentType, text, this.config);
    return { text, contentType };
  }
}

function problemError(
  status: number,
  contentType: string,
  text: string,
  config: ClientConfig,
): ApiError {
  let problem: { title?: unknown; detail?: unknown; errors?: unknown } = {};
  if (contentType.includes('json')) {
    try {
      problem = JSON.parse(text) as typeof problem;
    } catch {
      // not JSON after all: fall back to the status line
    }
  }
  const title = typeof problem.title === 'string' ? problem.title : `HTTP ${status}`;
  let message = typeof problem.detail === 'string' ? `${title}: ${problem.detail}` : title;
  if (status === 401 && config.token === undefined) message += ' (set GAMEDAY_TOKEN)';
  const errors = Array.isArray(problem.errors)
    ? (problem.errors as unknown[]).filter(
        (e): e is FieldError =>
          typeof e === 'object' &&
          e !== null &&
          typeof (e as FieldError).field === 'string' &&
          typeof (e as FieldError).message === 'string',
      )
    : [];
  return new ApiError(message, status, errors);
}
