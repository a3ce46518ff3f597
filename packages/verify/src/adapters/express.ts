/**
 * `@tessera/verify/express`: Express 5 middleware. The verified token is left on
 * `res.locals.auth`. Body tokens (when enabled) are read from `req.body` when `express.urlencoded()`
 * ran first, otherwise from the raw form body.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { protect } from '@tessera/verify/express';
 *
 * const app = express();
 * app.get('/cookies', protect(verifier, { scope: 'cookies:read' }), (req, res) => {
 *   res.json({ for: res.locals.auth.subject });
 * });
 * ```
 *
 * @packageDocumentation
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Verifier } from '../create-verifier.js';
import { successHeadersOf } from '../success-headers.js';
import type { VerifiedToken } from '../verified-token.js';
import { VerifyError } from '../verify-error.js';
import { type ProtectOptions, requestViewOfNode } from './node.js';

export type { ProtectOptions } from './node.js';

/**
 * The token {@link protect} verified for this response.
 *
 * @example
 * ```ts
 * const token = authOf(res); // VerifiedToken | undefined
 * ```
 */
export function authOf(res: Response): VerifiedToken | undefined {
  return res.locals.auth as VerifiedToken | undefined;
}

/**
 * Middleware that verifies the request (and the scopes given) or answers with the RFC 6750 error.
 *
 * @example
 * ```ts
 * app.post('/cookies/eat', protect(verifier, { scope: 'cookies:eat' }), eatCookie);
 * ```
 */
export function protect(verifier: Verifier, options: ProtectOptions = {}): RequestHandler {
  return function tesseraProtect(req: Request, res: Response, next: NextFunction): void {
    verifier.verify(requestViewOfNode(req), options).then(
      (token) => {
        res.locals.auth = token;
        res.set(successHeadersOf(token));
        next();
      },
      (error: unknown) => {
        const { status, headers, body } = VerifyError.from(error, verifier.realm).toResponse();
        res.status(status).set(headers).send(body);
      },
    );
  };
}
