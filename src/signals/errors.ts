/** Failures of the signal sources (Prometheus, Alertmanager, the HTTP probe). */

export type SignalSource = 'prometheus' | 'alertmanager' | 'probe';

const SOURCE_NAMES: Record<SignalSource, string> = {
  prometheus: 'Prometheus',
  alertmanager: 'Alertmanager',
  probe: 'HTTP probe',
};

/** How a source is named in messages: `Prometheus`, `Alertmanager`, `HTTP probe`. */
export function sourceName(source: SignalSource): string {
  return SOURCE_NAMES[source];
}

export interface SignalUnavailableOptions {
  /**
   * False when asking again cannot help (the request itself is wrong, e.g. a PromQL syntax
   * error or an expression returning a range vector). Default true.
   */
  retryable?: boolean;
  /** The HTTP status the source answered with, when it answered. */
  status?: number;
}

/**
 * A signal could not be read: the source is down, slow, refused the request or answered with
 * something unusable. The measurement then says `unknown` with this reason rather than guessing.
 *
 * `message` (= `reason`) is meant for reports and logs: it names the source and its URL (without
 * user info or query) and never contains credentials. No `cause` is attached, so that nothing
 * that could carry a header or token travels along with it.
 */
export class SignalUnavailable extends Error {
  override readonly name = 'SignalUnavailable';
  readonly source: SignalSource;
  /** Human reason, e.g. `Prometheus at http://127.0.0.1:9090 unreachable: connect ECONNREFUSED 127.0.0.1:9090`. */
  readonly reason: string;
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(source: SignalSource, reason: string, options: SignalUnavailableOptions = {}) {
    super(reason);
    this.source = source;
    this.reason = reason;
    this.retryable = options.retryable ?? true;
    this.status = options.status;
  }
}

export function isSignalUnavailable(error: unknown): error is SignalUnavailable {
  return error instanceof SignalUnavailable;
}
