import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { HttpError } from './http-error.js';

/** An RFC 9457 problem details document; extension members go alongside the standard ones. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function sendProblem(res: Response, problem: Problem): void {
  res
    .status(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ type: 'about:blank', ...problem }));
}

export const notFound: RequestHandler = (req, res) => {
  sendProblem(res, {
    title: 'Not Found',
    status: 404,
    detail: `No resource at ${req.method} ${req.path}`,
  });
};

interface HttpErrorLike {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  expose?: unknown;
}

/**
 * The last error handler: client errors raised by body parsing keep their status and
 * safe message; everything else is a 500 whose details stay in the server log.
 */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  if (err instanceof HttpError) {
    sendProblem(res, err.toProblem());
    return;
  }
  const httpError = (err ?? {}) as HttpErrorLike;
  const status = Number(httpError.status ?? httpError.statusCode);
  // The router marks a path parameter that is not valid percent-encoding (`/runs/%ZZ`) as a 400
  // URIError, without http-errors' `expose`.
  const badPath = err instanceof URIError && status === 400;
  if (status >= 400 && status < 500 && (httpError.expose === true || badPath)) {
    const detail = describeClientError(httpError, err);
    sendProblem(res, {
      title: clientErrorTitle(status),
      status,
      detail,
      // Like every other refused body, name the field: here the body as a whole.
      ...(httpError.type === 'entity.parse.failed' && {
        errors: [{ field: 'body', message: 'expected a JSON object or array' }],
      }),
    });
    return;
  }
  req.log.error({ err }, 'request failed');
  sendProblem(res, {
    title: 'Internal Server Error',
    status: 500,
    detail: 'The server could not complete the request; the error has been logged.',
  });
};

function clientErrorTitle(status: number): string {
  switch (status) {
    case 413:
      return 'Content Too Large';
    case 415:
      return 'Unsupported Media Type';
    default:
      return 'Bad Request';
  }
}

function describeClientError(httpError: HttpErrorLike, err: unknown): string {
  if (err instanceof URIError) return 'The request path is not valid percent-encoding.';
  switch (httpError.type) {
    case 'entity.parse.failed':
      return 'The request body is not valid JSON.';
    case 'entity.too.large':
      return 'The request body is larger than the server accepts.';
    default:
      return err instanceof Error ? err.message : 'The request could not be processed.';
  }
}
