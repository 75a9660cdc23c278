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

export interface ApiResponse {
  status: number;
  contentType: string;
  text: string;
}

type Query = Record<string, string | undefined>;

/** A thin client of the gameday API: JSON in, JSON out, problem+json turned into ApiError. */
export class ApiClient {
  constructor(private readonly config: ClientConfig) {}

  async request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { body?: unknown; query?: Query } = {},
  ): Promise<ApiResponse> {
    const url = new URL(this.config.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const headers: Record<string, string> = { accept: 'application/json, */*;q=0.5' };
    if (this.config.token !== undefined) headers['authorization'] = `Bearer ${this.config.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
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
    return { status: response.status, contentType, text };
  }

  async json<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { body?: unknown; query?: Query } = {},
  ): Promise<T> {
    const response = await this.request(method, path, options);
    if (response.text === '') return undefined as T;
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw new ApiError(
        `${method} ${path}: expected JSON, got ${response.contentType || 'no content type'}`,
        response.status,
      );
    }
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
