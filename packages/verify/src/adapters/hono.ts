/**
 * `@tessera/verify/hono`: Hono 4 middleware. The verified token is available as `c.get('auth')`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { protect, type AuthEnv } from '@tessera/verify/hono';
 *
 * const app = new Hono<AuthEnv>();
 * app.get('/cookies', protect(verifier, { scope: 'cookies:read' }), (c) => c.json({ for: c.get('auth').subject }));
 * ```
 *
 * @packageDocumentation
 */
import type { Context, Handler, MiddlewareHandler } from 'hono';
import { isFormContentType, type RequestView } from '../bearer.js';
import type { Verifier, VerifyOptions } from '../create-verifier.js';
import { type ResourceMetadataOptions, resourceMetadata } from '../resource-metadata.js';
import { successHeadersOf } from '../success-headers.js';
import type { VerifiedToken } from '../verified-token.js';
import { VerifyError } from '../verify-error.js';

/**
 * The Hono environment the middleware provides: `c.get('auth')` is the verified token.
 *
 * @example
 * ```ts
 * const app = new Hono<AuthEnv>();
 * ```
 */
export interface AuthEnv {
  Variables: { auth: VerifiedToken };
}

/** Route options of the adapter. */
export interface ProtectOptions extends VerifyOptions {}

/**
 * The {@link RequestView} of a Hono context (form bodies through Hono's cached `parseBody`).
 *
 * @example
 * ```ts
 * await verifier.verify(requestViewOfHono(c));
 * ```
 */
export function requestViewOfHono(c: Context): RequestView {
  return {
    method: c.req.method,
    url: c.req.url,
    // The pattern of the route (or middleware) running; the address depends on the runtime: none here.
    route: c.req.routePath,
    header: (name) => c.req.header(name),
    query: (name) => c.req.queries(name) ?? [],
    async form(name) {
      if (!isFormContentType(c.req.header('content-type'))) {
        return undefined;
      }
      const body = await c.req.parseBody({ all: true });
      const value = body[name];
      if (value === undefined) {
        return [];
      }
      const values = Array.isArray(value) ? value : [value];
      return values.map((item) => (typeof item === 'string' ? item : '\0'));
    },
  };
}

/**
 * Middleware that verifies the request (and the scopes given) or answers with the RFC 6750 error.
 *
 * @example
 * ```ts
 * app.post('/cookies/eat', protect(verifier, { scope: 'cookies:eat' }), (c) => c.json({ eaten: 1 }));
 * ```
 */
export function protect(verifier: Verifier, options: ProtectOptions = {}): MiddlewareHandler<AuthEnv> {
  return async function tesseraProtect(c, next) {
    let token: VerifiedToken;
    try {
      token = await verifier.verify(requestViewOfHono(c), options);
    } catch (error) {
      const { status, headers, body } = VerifyError.from(error, verifier.realm).toResponse();
      return new Response(body, { status, headers });
    }
    c.set('auth', token);
    for (const [name, value] of Object.entries(successHeadersOf(token))) {
      c.header(name, value);
    }
    await next();
    return undefined;
  };
}

/**
 * A handler serving the Protected Resource Metadata document (RFC 9728 §3.2); mount it at
 * `resourceMetadataPath(resource)`.
 *
 * @example
 * ```ts
 * app.get(resourceMetadataPath(resource), serveResourceMetadata({ resource, authorizationServers: [issuer] }));
 * ```
 */
export function serveResourceMetadata(options: ResourceMetadataOptions): Handler {
  const document = resourceMetadata(options);
  return (c) => c.json(document, 200, { 'cache-control': 'public, max-age=3600' });
}
