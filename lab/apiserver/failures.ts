import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attributes } from './auth.js';
import { ApiError, errors, type StatusReason } from './errors.js';
import type { ResourceType } from './resources.js';

/**
 * Request-failure injection: rules the API server consults for every authenticated resource
 * request (after authentication and RBAC, before serving it) to answer it with an error status,
 * never answer it, or drop its connection — the ways a real API server, its load balancer or
 * its priority-and-fairness filter fail clients.
 */

export type ApiVerb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/**
 * - `{ status }`: a `Status` answer as kube-apiserver sends it (429 and 503 with `Retry-After`,
 *   403 worded like RBAC's denial, 409 like an optimistic-concurrency conflict…);
 * - `timeout`: never answer; the request stays open until the client gives up (or the lab stops);
 * - `drop`: destroy the connection without an answer (a network error for the client).
 */
export type FailureAction =
  { status: number; retryAfterSeconds?: number; message?: string } | 'timeout' | 'drop';

export interface FailureRule {
  /** Verbs the rule applies to (RBAC verbs, `watch` and `deletecollection` included). */
  verbs: ApiVerb[];
  /** API group ('' for the core group); any when omitted. */
  group?: string;
  /** Plural resource name, e.g. `secrets`, `gateways`; any when omitted. */
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Only requests of this user. */
  user?: string;
  action: FailureAction;
  /**
   * Serve the request first — the change takes effect — and only then fail its answer: what a
   * client sees when the connection breaks (or times out, or a proxy errors) after the write.
   */
  afterCommit?: boolean;
  /** Let the first `nth - 1` matching requests through; fail from the nth on. */
  nth?: number;
  /** Fail this many matching requests, then let them through. Default: 1 with `nth`, else unlimited. */
  times?: number;
}

/** One request a rule matched, failed or let through. */
export interface FailureHit {
  at: number;
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
  failed: boolean;
}

export interface ActiveFailure extends FailureRule {
  id: string;
  /** Every request the rule matched, in order. */
  hits: FailureHit[];
  /** How many of them it failed. */
  failed: number;
}

/** What the server knows about a request when it consults the rules: RBAC's attributes. */
export type FailureRequest = Attributes & { user: string };

export class ApiFailures {
  readonly #rules = new Map<string, ActiveFailure>();
  readonly #held = new Set<ServerResponse>();
  #next = 1;

  /** Adds a rule; returns its id (for `remove`). */
  add(rule: FailureRule): string {
    const id = `failure-${this.#next++}`;
    this.#rules.set(id, { ...structuredClone(rule), id, hits: [], failed: 0 });
    return id;
  }

  remove(id: string): boolean {
    return this.#rules.delete(id);
  }

  /** Removes every rule. Requests already held open by `timeout` stay open until the client gives up. */
  clear(): void {
    this.#rules.clear();
  }

  /** The rules with what they matched so far (copies). */
  list(): ActiveFailure[] {
    return [...this.#rules.values()].map((rule) => structuredClone(rule));
  }

  get(id: string): ActiveFailure | undefined {
    const rule = this.#rules.get(id);
    return rule && structuredClone(rule);
  }

  /** Requests currently held open by a `timeout` rule. */
  get held(): number {
    return this.#held.size;
  }

  /** The rule (first added first) that fails this request, recording the request on every matching rule. */
  take(request: FailureRequest, now = Date.now()): ActiveFailure | undefined {
    let chosen: ActiveFailure | undefined;
    for (const rule of this.#rules.values()) {
      if (!matches(rule, request)) continue;
      const seen = rule.hits.length + 1;
      const first = rule.nth ?? 1;
      const times = rule.times ?? (rule.nth !== undefined ? 1 : Infinity);
      const fails = !chosen && seen >= first && rule.failed < times;
      rule.hits.push({
        at: now,
        verb: request.verb,
        resource: request.resource,
        ...(request.namespace !== undefined && { namespace: request.namespace }),
        ...(request.name !== undefined && { name: request.name }),
        failed: fails,
      });
      if (fails) {
        rule.failed++;
        chosen = rule;
      }
    }
    return chosen;
  }

  /**
   * Answers a request the way `rule` says. `serve` serves it normally; with `afterCommit` it is
   * called first with the response swallowed. A status is thrown as an ApiError for the server's
   * error path to send.
   */
  async apply(
    rule: FailureRule,
    target: {
      user: string;
      verb: string;
      resource: ResourceType;
      namespace?: string;
      name?: string;
    },
    req: IncomingMessage,
    res: ServerResponse,
    serve: () => Promise<void>,
  ): Promise<void> {
    if (rule.afterCommit) await swallowed(res, serve);
    const { action } = rule;
    if (action === 'drop') {
      req.socket.destroy();
      return;
    }
    if (action === 'timeout') {
      // Never answered: the client's timeout, or closing the server, ends it.
      this.#held.add(res);
      res.once('close', () => this.#held.delete(res));
      req.resume();
      return;
    }
    const error = statusError(action, target);
    if (error.details?.retryAfterSeconds !== undefined) {
      res.setHeader('Retry-After', String(error.details.retryAfterSeconds));
    }
    throw error;
  }
}

function matches(rule: FailureRule, request: FailureRequest): boolean {
  return (
    rule.verbs.includes(request.verb as ApiVerb) &&
    (rule.group === undefined || rule.group === request.group) &&
    (rule.resource === undefined || rule.resource === request.resource) &&
    (rule.subresource === undefined || rule.subresource === request.subresource) &&
    (rule.namespace === undefined || rule.namespace === request.namespace) &&
    (rule.name === undefined || rule.name === request.name) &&
    (rule.user === undefined || rule.user === request.user)
  );
}

/** Runs `serve` with its answer discarded, so the caller can answer (or not) instead. */
async function swallowed(res: ServerResponse, serve: () => Promise<void>): Promise<void> {
  const { writeHead, write, end } = res;
  // The status is kept (audit reports what the server did); nothing reaches the client.
  res.writeHead = ((code: number) => {
    res.statusCode = code;
    return res;
  }) as typeof res.writeHead;
  res.write = (() => true) as typeof res.write;
  res.end = (() => res) as typeof res.end;
  try {
    await serve();
  } catch {
    // The request failed on its own; the rule's answer replaces it all the same.
  } finally {
    res.writeHead = writeHead;
    res.write = write;
    res.end = end;
  }
}

const REASONS: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The error kube-apiserver (or its filters) answers with for this status code. */
function statusError(
  action: { status: number; retryAfterSeconds?: number; message?: string },
  target: { user: string; verb: string; resource: ResourceType; namespace?: string; name?: string },
): ApiError {
  const { status, message } = action;
  const { resource, name = '' } = target;
  switch (status) {
    case 403: {
      const rbac = errors.forbidden(
        target.user,
        target.verb,
        resource,
        target.namespace,
        target.name,
      );
      return message ? new ApiError(403, 'Forbidden', message, rbac.details) : rbac;
    }
    case 404:
      return errors.notFound(resource, name);
    case 409:
      return errors.conflict(
        resource,
        name,
        message ??
          'the object has been modified; please apply your changes to the latest version and try again',
      );
    case 429: {
      // The priority-and-fairness filter's answer when a priority level's queues are full.
      const retryAfterSeconds = action.retryAfterSeconds ?? 1;
      return new ApiError(
        429,
        'TooManyRequests',
        message ?? 'Too many requests, please try again later.',
        { retryAfterSeconds },
      );
    }
    case 503: {
      const retryAfterSeconds = action.retryAfterSeconds ?? 1;
      return new ApiError(
        503,
        'ServiceUnavailable',
        message ?? 'the server is currently unable to handle the request',
        { retryAfterSeconds },
      );
    }
    case 500:
      return new ApiError(
        500,
        'InternalError',
        `Internal error occurred: ${message ?? 'etcdserver: request timed out'}`,
      );
    case 504:
      return new ApiError(
        504,
        'Timeout',
        message ?? 'Timeout: request did not complete within the allotted timeout',
        { retryAfterSeconds: action.retryAfterSeconds ?? 1 },
      );
    default:
      return new ApiError(
        status,
        REASONS[status] ?? '',
        message ?? `injected failure (HTTP ${status})`,
      );
  }
}
