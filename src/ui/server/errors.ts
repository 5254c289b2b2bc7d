/**
 * The server's error vocabulary, shaped like Airflow 3's FastAPI errors so API clients written for Airflow
 * keep working: `{"detail": "..."}` for 400/401/404/409/503 and pydantic's list of issues for 422. This is the
 * one place errors become HTTP responses (STYLE 10).
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../../logger.js';
import { UserInputError } from '../../service/errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 503,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}

/** One entry of FastAPI's 422 body (pydantic's ValidationError, as JSON). */
export interface ValidationIssue {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

export class RequestValidationError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
    this.name = 'RequestValidationError';
  }
}

export const notFound = (detail: string): HttpError => new HttpError(404, detail);

/** Turns any thrown error into a response; unknown errors never leak their message (it may hold a secret). */
export function toErrorResponse(error: unknown, c: Context, logger: Logger): Response {
  if (error instanceof HttpError) {
    const headers: Record<string, string> = error.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
    return c.json({ detail: error.detail }, error.status as ContentfulStatusCode, headers);
  }
  if (error instanceof RequestValidationError) {
    return c.json({ detail: error.issues }, 422);
  }
  // The service layer's selection rules (shared with the CLI) refuse bad input with a one-line message.
  if (error instanceof UserInputError) {
    return c.json({ detail: error.message }, 400);
  }
  logger.error('ui: request failed', { method: c.req.method, path: c.req.path, error: String(error) });
  return c.json({ detail: 'Internal Server Error' }, 500);
}
