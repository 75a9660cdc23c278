/**
 * A small JSON-over-HTTP GET client for Prometheus and Alertmanager.
 *
 * Built on node:http/node:https rather than `fetch`: a custom CA (HttpEndpoint.caFile) needs
 * either undici's Agent, which is only a transitive development dependency here (not installed in
 * production), or node:https's `ca`; one transport for both cases keeps error mapping in one place.
 * Connections are kept alive per client, so polling and clock-offset probes do not pay a TCP/TLS
 * handshake each time; a request that fails because the server closed an idle connection just as
 * it was reused is retried once on a fresh one.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { HttpEndpoint } from '../config.js';
import { type SignalSource, SignalUnavailable, sourceName } from './errors.js';

export const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_DETAIL_CHARS = 300;

export interface JsonHttpClientOptions {
  source: Exclude<SignalSource, 'probe'>;
  /** Per request, from sending it to the whole body received. Default 5 s. */
  timeoutMs?: number;
}

interface RawResponse {
  status: number;
  statusText: string;
  body: string;
}

/** The URL as shown in messages: scheme, host, port and path; never user info or query. */
export function displayUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(invalid URL)';
  }
}

export class JsonHttpClient {
  readonly source: Exclude<SignalSource, 'probe'>;
  readonly timeoutMs: number;
  /** The endpoint as shown in messages. */
  readonly displayUrl: string;
  readonly #endpoint: HttpEndpoint;
  readonly #base: URL;
  #agent: Promise<http.Agent> | undefined;
  #agentValue: http.Agent | undefined;
  /** The token last read from a bearerFile, kept only to scrub it from messages. */
  #fileToken = '';

  constructor(endpoint: HttpEndpoint, options: JsonHttpClientOptions) {
    this.source = options.source;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#endpoint = endpoint;
    this.displayUrl = displayUrl(endpoint.url);
    try {
      this.#base = new URL(endpoint.url);
    } catch {
      throw new SignalUnavailable(this.source, `${this.#name} URL is not a valid URL`, {
        retryable: false,
      });
    }
    if (this.#base.protocol !== 'http:' && this.#base.protocol !== 'https:') {
      throw new SignalUnavailable(this.source, `${this.#name} URL must be http:// or https://`, {
        retryable: false,
      });
    }
  }

  get #name(): string {
    return sourceName(this.source);
  }

  get #at(): string {
    return `${this.#name} at ${this.displayUrl}`;
  }

  /**
   * GET `path` (relative to the endpoint URL, which may itself have a path prefix) and parse the
   * JSON body. Throws SignalUnavailable on a network error, a timeout, a non-2xx answer, invalid
   * JSON, or a Prometheus-style `{status: "error"}` body.
   */
  async get(path: string, query: Record<string, string | undefined> = {}): Promise<unknown> {
    const url = new URL(this.#base.href);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'gameday',
      ...(await this.#authorization()),
    };
    const agent = await this.#getAgent();
    let response: RawResponse;
    try {
      response = await this.#request(url, headers, agent);
    } catch (error) {
      if (error instanceof RetryOnFreshConnection) {
        response = await this.#request(url, headers, agent, false);
      } else throw error;
    }
    return this.#interpret(path, response);
  }

  /** Drops kept-alive connections. The client remains usable. */
  close(): void {
    this.#agentValue?.destroy();
    this.#agent = undefined;
    this.#agentValue = undefined;
  }

  #secrets(extra: string[] = []): string[] {
    const auth = this.#endpoint.auth;
    const secrets = [...extra, this.#fileToken, this.#base.password, this.#base.username];
    if (auth?.type === 'bearer') secrets.push(auth.token);
    if (auth?.type === 'basic') secrets.push(auth.password);
    return secrets.filter((s) => s.length >= 4);
  }

  /** Removes any credential from text that came from elsewhere (an error, a response body). */
  #scrub(text: string, extra: string[] = []): string {
    let out = text;
    for (const secret of this.#secrets(extra)) out = out.split(secret).join('[REDACTED]');
    return out;
  }

  async #authorization(): Promise<Record<string, string>> {
    const auth = this.#endpoint.auth;
    if (auth === undefined) return {};
    switch (auth.type) {
      case 'bearer':
        return { authorization: `Bearer ${auth.token}` };
      case 'basic':
        return {
          authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
        };
      case 'bearerFile': {
        // Re-read on every request: projected service-account tokens are rotated in place.
        let token: string;
        try {
          token = (await readFile(auth.path, 'utf8')).trim();
        } catch (error) {
          throw new SignalUnavailable(
            this.source,
            `${this.#at}: cannot read the bearer token file ${auth.path}: ${errorCode(error) ?? 'read error'}`,
          );
        }
        if (token === '') {
          throw new SignalUnavailable(
            this.source,
            `${this.#at}: the bearer token file ${auth.path} is empty`,
          );
        }
        this.#fileToken = token;
        return { authorization: `Bearer ${token}` };
      }
    }
  }

  #getAgent(): Promise<http.Agent> {
    this.#agent ??= this.#createAgent().then(
      (agent) => (this.#agentValue = agent),
      (error: unknown) => {
        this.#agent = undefined; // a CA file fixed later is picked up on the next request
        throw error;
      },
    );
    return this.#agent;
  }

  async #createAgent(): Promise<http.Agent> {
    const options = { keepAlive: true, maxSockets: 8, maxFreeSockets: 2 };
    if (this.#base.protocol === 'http:') return new http.Agent(options);
    const caFile = this.#endpoint.caFile;
    if (caFile === undefined) return new https.Agent(options);
    let ca: Buffer;
    try {
      ca = await readFile(caFile);
    } catch (error) {
      throw new SignalUnavailable(
        this.source,
        `${this.#at}: cannot read the CA file ${caFile}: ${errorCode(error) ?? 'read error'}`,
      );
    }
    return new https.Agent({ ...options, ca });
  }

  #request(
    url: URL,
    headers: Record<string, string>,
    agent: http.Agent,
    mayRetry = true,
  ): Promise<RawResponse> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown, reused: boolean) => {
        if (settled) return;
        settled = true;
        if (mayRetry && reused && isReset(error) && !signal.aborted) {
          reject(new RetryOnFreshConnection());
        } else reject(this.#networkError(error, signal));
      };
      const request = transport.request(url, { method: 'GET', headers, agent, signal });
      request.on('error', (error) => fail(error, request.reusedSocket));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            response.destroy();
            if (!settled) {
              settled = true;
              reject(
                new SignalUnavailable(
                  this.source,
                  `${this.#at} answered ${url.pathname} with more than ${MAX_BODY_BYTES / 1024 / 1024} MiB`,
                ),
              );
            }
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => fail(error, false));
        response.on('aborted', () => fail(new Error('response aborted'), false));
        response.on('end', () => {
          if (settled) return;
          settled = true;
          resolve({
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? '',
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      });
      request.end();
    });
  }

  #networkError(error: unknown, signal: AbortSignal): SignalUnavailable {
    if (signal.aborted) {
      return new SignalUnavailable(
        this.source,
        `${this.#at} did not answer within ${this.timeoutMs} ms`,
      );
    }
    return new SignalUnavailable(
      this.source,
      `${this.#at} unreachable: ${this.#scrub(describeNetworkError(error))}`,
    );
  }

  #interpret(path: string, response: RawResponse): unknown {
    const where = `${this.#at} (${path})`;
    let body: unknown;
    let parsed = false;
    try {
      body = JSON.parse(response.body);
      parsed = true;
    } catch {
      // handled below
    }
    const apiError = parsed ? describeApiError(body) : undefined;
    if (response.status < 200 || response.status > 299) {
      const detail = apiError ?? snippet(response.body);
      const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      return this.#throw(`${where} answered ${status}${detail ? `: ${detail}` : ''}`, {
        status: response.status,
        retryable: response.status !== 400 && response.status !== 422,
      });
    }
    if (!parsed) {
      return this.#throw(`${where} answered with invalid JSON: ${snippet(response.body)}`, {
        status: response.status,
      });
    }
    if (isRecord(body) && body['status'] === 'error') {
      return this.#throw(`${where} answered with an error: ${apiError ?? 'no reason given'}`, {
        status: response.status,
      });
    }
    return body;
  }

  #throw(reason: string, options: { status: number; retryable?: boolean }): never {
    throw new SignalUnavailable(this.source, this.#scrub(reason), options);
  }
}

class RetryOnFreshConnection extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorCode(error: unknown): string | undefined {
  if (!isRecord(error)) return undefined;
  const code = error['code'];
  return typeof code === 'string' ? code : undefined;
}

function isReset(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED';
}

/** `connect ECONNREFUSED 127.0.0.1:9090`, `certificate has expired (CERT_HAS_EXPIRED)`. */
export function describeNetworkError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Happy-eyeballs connects report one error per address tried.
    return [...new Set(error.errors.map(describeNetworkError))].join('; ');
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  if (code === undefined || message.includes(code)) return message || code || 'network error';
  return `${message} (${code})`;
}

/** Prometheus `{status:"error", errorType, error}`, Alertmanager `"text"` or `{message}`. */
function describeApiError(body: unknown): string | undefined {
  if (typeof body === 'string') return snippet(body);
  if (!isRecord(body)) return undefined;
  const error = body['error'];
  const type = body['errorType'];
  if (typeof error === 'string') {
    return snippet(typeof type === 'string' && type !== '' ? `${type}: ${error}` : error);
  }
  const message = body['message'];
  return typeof message === 'string' ? snippet(message) : undefined;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_DETAIL_CHARS ? `${flat.slice(0, MAX_DETAIL_CHARS)}…` : flat;
}
