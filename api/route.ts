import type { Request, RequestHandler, Response, Router } from 'express';

/** An Express app or router: where routes are registered. */
type Routes = Pick<Router, 'get' | 'post' | 'put' | 'delete'>;
import type { Operation, ParsedRequest, Reply } from '../src/contract/operations.js';
import type { Caller } from './auth.js';
import { requireRole } from './auth.js';
import { parseOrThrow } from './http-error.js';

export interface RouteOptions {
  /** Middleware before the handler, e.g. a body parser for YAML. */
  before?: RequestHandler[];
  /**
   * The handler reads the body itself (it is not parsed with the contract's schema): for
   * validation endpoints that answer a bad document with 422 rather than 400.
   */
  rawBody?: boolean;
  /** Parse a missing body as `{}` (bodies whose every field has a default). */
  emptyBodyIsObject?: boolean;
}

export type Handler<O extends Operation> = (
  input: ParsedRequest<O> & { caller: Caller | undefined },
  req: Request,
  res: Response,
) => Promise<Reply<O>>;

/**
 * Registers one operation of the contract: its method and path, the role it needs, its
 * parameters, query and body parsed with the contract's schemas (a 400 naming each bad field),
 * and the handler's typed reply sent as the contract says (JSON, text or no body).
 */
export function route<O extends Operation>(
  router: Routes,
  authenticate: (header: string | undefined) => Caller | undefined,
  op: O,
  handler: Handler<O>,
  options: RouteOptions = {},
): void {
  if (op.auth === 'webhook') throw new Error(`${op.path}: the webhook has its own router`);
  const guards = op.auth === 'none' ? [] : [requireRole(authenticate, op.auth)];
  router[op.method](op.path, ...guards, ...(options.before ?? []), async (req, res) => {
    const input = {
      params: op.params ? parseOrThrow('params', op.params, req.params) : undefined,
      query: op.query ? parseOrThrow('query', op.query, req.query) : undefined,
      body:
        op.body && !options.rawBody
          ? parseOrThrow('body', op.body, options.emptyBodyIsObject ? (req.body ?? {}) : req.body)
          : undefined,
      caller: req.caller,
    } as ParsedRequest<O> & { caller: Caller | undefined };
    const reply = await handler(input, req, res);
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    res.status(reply.status);
    if (reply.body === undefined) res.end();
    else if (reply.contentType !== undefined) res.type(reply.contentType).send(reply.body);
    else res.json(reply.body);
  });
}
