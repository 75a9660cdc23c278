/**
 * Traffic success measured from the client side (SPEC §3 `traffic.http`): a batch of real HTTP(S)
 * requests per sample. Every request opens its own connection (no keep-alive, a fresh agent per
 * sample), so every https request does a full TLS handshake — which is what notices an expired
 * or untrusted gateway certificate that a PromQL ratio over established connections never sees.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Clock, TrafficSample } from '../measure/types.js';
import type { HttpProbe } from '../scenario/schema.js';
import { SignalUnavailable } from './errors.js';
import { describeNetworkError, displayUrl } from './http-client.js';

export interface HttpProberOptions {
  clock: Clock;
  /** Per request, from connecting to the response headers. */
  requestTimeoutMs: number;
}

export interface ProbeSample extends TrafficSample {
  value: number;
  detail: string;
  ok: number;
  total: number;
  /** Failure class → count, e.g. `{ 'TLS handshake failure (CERT_HAS_EXPIRED)': 2 }`. */
  failures: Record<string, number>;
}

/**
 * OpenSSL certificate verification results as Node reports them in `error.code`
 * (X509_V_ERR_* without the prefix).
 */
const CERTIFICATE_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The failure class of a request error. `beforeTls`: an https request whose TLS handshake had not
 * completed (a connection reset then is a handshake failure: e.g. a gateway with no certificate
 * for the SNI name resets the connection).
 */
export function classifyRequestError(
  error: unknown,
  { timedOut, beforeTls }: { timedOut: boolean; beforeTls: boolean },
): string {
  if (timedOut) return 'timeout';
  const code = errorCode(error);
  if (code !== undefined) {
    if (
      CERTIFICATE_ERRORS.has(code) ||
      code.startsWith('ERR_SSL_') ||
      code.startsWith('ERR_TLS_') ||
      (beforeTls && (RESET_CODES.has(code) || code === 'EPROTO'))
    ) {
      return `TLS handshake failure (${code})`;
    }
    if (code === 'ECONNREFUSED') return 'connection refused';
    if (RESET_CODES.has(code)) return 'connection reset';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DNS lookup failed (${code})`;
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') {
      return `host unreachable (${code})`;
    }
    return `error (${code})`;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/socket hang up/i.test(message)) {
    return beforeTls ? 'TLS handshake failure (socket hang up)' : 'connection reset';
  }
  return `error (${describeNetworkError(error)})`;
}

export function classifyStatus(
  status: number,
  expectStatus: readonly number[],
): string | undefined {
  return expectStatus.includes(status) ? undefined : `unexpected status ${status}`;
}

/** `3/5 ok; 2 TLS handshake failure (CERT_HAS_EXPIRED)`: failure classes by count, then name. */
export function summarise(ok: number, total: number, failures: Record<string, number>): string {
  const parts = Object.entries(failures)
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([cls, count]) => `${count} ${cls}`);
  return [`${ok}/${total} ok`, ...parts].join('; ');
}

export class HttpProber {
  readonly #probe: HttpProbe;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #url: URL;
  #ca: Promise<Buffer | undefined> | undefined;

  constructor(probe: HttpProbe, options: HttpProberOptions) {
    this.#probe = probe;
    this.#clock = options.clock;
    this.#timeoutMs = options.requestTimeoutMs;
    this.#url = new URL(probe.url);
  }

  /** The probed URL as shown in messages. */
  get displayUrl(): string {
    return displayUrl(this.#probe.url);
  }

  /**
   * Sends `requestsPerInterval` requests at once and reports the share answered with an
   * expected status. `at` is the tool's clock when the batch started. Throws SignalUnavailable
   * only when the probe itself cannot run (the CA file cannot be read).
   */
  async sample(): Promise<ProbeSample> {
    const ca = await this.#readCa();
    const at = this.#clock.now();
    const isHttps = this.#url.protocol === 'https:';
    const agent = isHttps
      ? new https.Agent({
          keepAlive: false,
          ...(ca !== undefined && { ca }),
          rejectUnauthorized: !(this.#probe.tls?.insecure ?? false),
        })
      : new http.Agent({ keepAlive: false });
    try {
      const total = this.#probe.requestsPerInterval;
      const outcomes = await Promise.all(
        Array.from({ length: total }, () => this.#request(agent, isHttps)),
      );
      const failures: Record<string, number> = {};
      for (const outcome of outcomes) {
        if (outcome !== undefined) failures[outcome] = (failures[outcome] ?? 0) + 1;
      }
      const ok = outcomes.filter((o) => o === undefined).length;
      return {
        at,
        value: total === 0 ? 0 : ok / total,
        detail: summarise(ok, total, failures),
        ok,
        total,
        failures,
      };
    } finally {
      agent.destroy();
    }
  }

  #readCa(): Promise<Buffer | undefined> {
    const caFile = this.#probe.tls?.caFile;
    if (caFile === undefined) return Promise.resolve(undefined);
    this.#ca ??= readFile(caFile).catch((error: unknown) => {
      this.#ca = undefined;
      throw new SignalUnavailable(
        'probe',
        `HTTP probe of ${this.displayUrl}: cannot read tls.caFile ${caFile}: ${errorCode(error) ?? 'read error'}`,
        { retryable: false },
      );
    });
    return this.#ca;
  }

  /**
   * With `connectTo`, the socket goes to that address while the URL's host stays the Host
   * header and the TLS server name (SNI and certificate check), as `curl --connect-to` does.
   */
  #connectTo(isHttps: boolean): http.RequestOptions & { servername?: string } {
    const target = this.#probe.connectTo;
    if (target === undefined) return {};
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    return {
      hostname: host,
      port: Number(target.slice(colon + 1)),
      ...(isHttps && { servername: this.#url.hostname }),
    };
  }

  /** Resolves to undefined on success, else the failure class; never rejects. */
  #request(agent: http.Agent, isHttps: boolean): Promise<string | undefined> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const transport = isHttps ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      let tlsDone = false;
      const settle = (outcome: string | undefined) => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      let request: http.ClientRequest;
      try {
        request = transport.request(this.#url, {
          method: this.#probe.method,
          agent,
          signal,
          headers: { 'user-agent': 'gameday-probe', accept: '*/*', host: this.#url.host },
          ...this.#connectTo(isHttps),
        });
      } catch (error) {
        settle(classifyRequestError(error, { timedOut: false, beforeTls: false }));
        return;
      }
      request.on('socket', (socket) => {
        if (isHttps) (socket as TLSSocket).once('secureConnect', () => (tlsDone = true));
      });
      request.on('error', (error) =>
        settle(
          classifyRequestError(error, {
            timedOut: signal.aborted,
            beforeTls: isHttps && !tlsDone,
          }),
        ),
      );
      request.on('response', (response) => {
        response.on('error', () => undefined);
        response.resume(); // drain and discard the body
        settle(classifyStatus(response.statusCode ?? 0, this.#probe.expectStatus));
      });
      request.end();
    });
  }
}
