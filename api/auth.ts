import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ROLES, type Role } from '../src/config.js';
import { HttpError } from './http-error.js';

/** Who is calling: the role of the token, and a name for audit logs that does not reveal it. */
export interface Caller {
  role: Role;
  /** `operator:3f2a9c1e` — the role and the first hex digits of the token's SHA-256. */
  name: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Bearer-token authentication (SPEC §8). Every configured token is compared, in constant time
 * over its SHA-256 (equal lengths), whatever matches first — the time taken does not say which
 * token or how much of it was right.
 */
export function tokenAuthenticator(tokens: Record<Role, readonly string[]>) {
  const known = ROLES.flatMap((role) =>
    tokens[role].map((token) => ({ role, digest: sha256(token) })),
  );
  return (header: string | undefined): Caller | undefined => {
    if (!header?.startsWith('Bearer ')) return undefined;
    const given = sha256(header.slice('Bearer '.length).trim());
    let found: Caller | undefined;
    for (const entry of known) {
      if (timingSafeEqual(given, entry.digest) && !found) {
        found = {
          role: entry.role,
          name: `${entry.role}:${entry.digest.toString('hex').slice(0, 8)}`,
        };
      }
    }
    return found;
  };
}

/** 401 without a valid token; 403 when the token's role is below `role`. */
export function requireRole(
  authenticate: (header: string | undefined) => Caller | undefined,
  role: Role,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const caller = authenticate(req.headers.authorization);
    if (!caller) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="gameday"');
      throw new HttpError(
        401,
        'Unauthorized',
        req.headers.authorization
          ? 'The bearer token is not valid.'
          : 'Send an API token as Authorization: Bearer <token>.',
      );
    }
    if (RANK[caller.role] < RANK[role]) {
      throw new HttpError(
        403,
        'Forbidden',
        `This needs the ${role} role; the token has the ${caller.role} role.`,
      );
    }
    req.caller = caller;
    next();
  };
}
