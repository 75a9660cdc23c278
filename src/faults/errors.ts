import { ApiException } from '@kubernetes/client-node';
import type { FindingCode } from './fault.js';

/**
 * What can go wrong when a fault touches a cluster, typed so the run engine knows whether
 * trying again can help (`retryable`) and operators get a message they can act on.
 */
export abstract class FaultError extends Error {
  abstract readonly retryable: boolean;
}

/** The object the fault must act on does not exist (wrong revision, namespace, name). */
export class TargetNotFound extends FaultError {
  readonly retryable = false;
  override name = 'TargetNotFound';
}

/** The tool's credentials lack a permission; the message names the verb and resource to grant. */
export class Forbidden extends FaultError {
  readonly retryable = false;
  override name = 'Forbidden';
  constructor(
    readonly verb: string,
    readonly resource: string,
    readonly namespace: string | undefined,
    detail: string,
  ) {
    super(
      `missing permission: ${verb} ${resource}${namespace ? ` in namespace ${namespace}` : ' (cluster scope)'} — grant it to the gameday service account (${detail})`,
    );
  }
}

/** The scenario asks for something the configuration forbids (allowlist, mesh-wide gate). */
export class NotAllowed extends FaultError {
  readonly retryable = false;
  override name = 'NotAllowed';
  constructor(
    message: string,
    /** Set when the run itself could lift the refusal (see Finding.code). */
    readonly code?: FindingCode,
  ) {
    super(message);
  }
}

/** The object belongs to another run (or to nobody the tool knows): it will not touch it. */
export class OwnershipConflict extends FaultError {
  readonly retryable = false;
  override name = 'OwnershipConflict';
}

/** A failure that may pass: timeouts, 5xx, 429, a 409 on update, a dropped connection. */
export class Transient extends FaultError {
  readonly retryable = true;
  override name = 'Transient';
  constructor(
    message: string,
    /** How long the server asked clients to wait before trying again (`Retry-After`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Anything else the API server refused (invalid object, bad request): retrying will not help. */
export class Rejected extends FaultError {
  readonly retryable = false;
  override name = 'Rejected';
}

export interface KubeCall {
  verb: string;
  /** `deployments.apps`, `authorizationpolicies.security.istio.io`, … */
  resource: string;
  namespace?: string;
  name?: string;
}

/** Translates a client-node failure into a FaultError that says what to do about it. */
export function fromKubeError(err: unknown, call: KubeCall): FaultError {
  if (err instanceof FaultError) return err;
  const target = `${call.resource}${call.name ? ` "${call.name}"` : ''}${call.namespace ? ` in ${call.namespace}` : ''}`;
  if (err instanceof ApiException) {
    const detail = statusMessage(err) ?? `HTTP ${err.code}`;
    switch (true) {
      case err.code === 403:
        return new Forbidden(call.verb, call.resource, call.namespace, detail);
      case err.code === 401:
        return new NotAllowed(
          `the API server rejected the tool's credentials while trying to ${call.verb} ${target}: ${detail}`,
        );
      case err.code === 404:
        return new TargetNotFound(`${target} not found (${call.verb}): ${detail}`);
      case err.code === 409 && call.verb !== 'create':
      case err.code === 429:
      case err.code >= 500:
        return new Transient(
          `${call.verb} ${target} failed with HTTP ${err.code}: ${detail}`,
          retryAfterMs(err),
        );
      default:
        return new Rejected(`${call.verb} ${target} was refused (HTTP ${err.code}): ${detail}`);
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  // Network-level failures (reset, refused, timeout) have no HTTP status: they may pass.
  return new Transient(`${call.verb} ${target} failed: ${message}`);
}

/** The server's `Retry-After` (header, else the Status's details.retryAfterSeconds), in ms. */
function retryAfterMs(err: ApiException<unknown>): number | undefined {
  const header = Object.entries(err.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'retry-after',
  )?.[1];
  let seconds = header !== undefined && /^\d+$/.test(header.trim()) ? Number(header) : undefined;
  if (seconds === undefined) {
    const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : (err.body as unknown);
    const details = (body as { details?: { retryAfterSeconds?: unknown } } | undefined)?.details;
    if (typeof details?.retryAfterSeconds === 'number') seconds = details.retryAfterSeconds;
  }
  return seconds !== undefined && seconds > 0 ? seconds * 1000 : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function statusMessage(err: ApiException<unknown>): string | undefined {
  const body = err.body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body || undefined;
    }
  }
  return (body as { message?: string } | undefined)?.message;
}

/** The HTTP status of a client-node failure, if it has one. */
export function httpStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The write was accepted but the expected failure never showed (or revert never settled) in time. */
export class NotInEffect extends FaultError {
  readonly retryable = false;
  override name = 'NotInEffect';
}
