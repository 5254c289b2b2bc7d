/**
 * One random token per `ui` start guards everything but the health probe. API clients send it as
 * `Authorization: Bearer <token>`; a browser opens `/?token=<token>` once, gets an HttpOnly session cookie
 * (a separate random value, so the token itself never sits in the cookie jar) and is redirected to `/`,
 * which drops the token from the address bar and history. The link works once: a leaked link (shell
 * history, screen share) cannot log in a second browser.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { HttpError } from './errors.js';

/** Who is calling: recorded in `cmd:*` as `by` and in a triggered run's `triggered_by`. */
export type Actor = 'ui' | 'rest_api';
export type UiEnv = { Variables: { actor: Actor } };

const OPEN_PATHS = new Set(['/api/v2/monitor/health']);

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A fresh token for one `ui` start (URL-safe, 256 bits). */
export function generateUiToken(): string {
  return randomBytes(32).toString('base64url');
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

function unauthorizedPage(c: Context, message: string): Response {
  c.header('Content-Type', 'text/plain; charset=utf-8');
  return c.body(`${message}\n`, 401);
}

export function authMiddleware(token: string): MiddlewareHandler<UiEnv> {
  // Cookies are shared by every port of a host, so two `ui` servers on 127.0.0.1 need distinct names;
  // a hash of the token tells them apart without revealing it.
  const cookieName = `airflow_serverless_${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
  const sessions = new Set<string>();
  let linkUsed = false;

  const hasSession = (c: Context): boolean => {
    const session = getCookie(c, cookieName);
    return session !== undefined && [...sessions].some((s) => sameSecret(session, s));
  };

  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();

    const linkToken = c.req.path === '/' ? c.req.query('token') : undefined;
    if (linkToken !== undefined) {
      if (hasSession(c)) return c.redirect('/', 302);
      if (!sameSecret(linkToken, token)) return unauthorizedPage(c, 'This link is not valid for this server.');
      if (linkUsed) {
        return unauthorizedPage(c, 'This link was already used. Restart `airflow-serverless ui` for a new one.');
      }
      linkUsed = true;
      const session = randomBytes(32).toString('base64url');
      sessions.add(session);
      setCookie(c, cookieName, session, { httpOnly: true, sameSite: 'Strict', path: '/', secure: isHttps(c) });
      return c.redirect('/', 302);
    }

    const authorization = c.req.header('authorization');
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    if (bearer !== undefined && sameSecret(bearer, token)) {
      c.set('actor', 'rest_api');
      return next();
    }
    if (hasSession(c)) {
      c.set('actor', 'ui');
      return next();
    }
    if (c.req.path.startsWith('/api/') || c.req.path.startsWith('/ui/')) throw new HttpError(401, 'Not authenticated');
    return unauthorizedPage(c, 'Not authenticated: open the link printed by `airflow-serverless ui`.');
  };
}
