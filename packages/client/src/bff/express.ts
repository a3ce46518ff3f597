/// <reference types="node" />
/**
 * `@tessera/client/bff/express`: the BFF as Express 5 middleware. Mount it before any body parser
 * (`express.json()` would consume the bodies the proxy forwards), or at least before the parsers
 * see `/api`.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createBff } from '@tessera/client/bff';
 * import { bffMiddleware } from '@tessera/client/bff/express';
 *
 * const app = express();
 * app.use(bffMiddleware(createBff(options)));
 * app.use(express.static('public'));
 * ```
 *
 * @packageDocumentation
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Bff, BffResponse } from './bff.js';
import { bffRequestOf, readBody } from './node-request.js';

function send(res: Response, response: BffResponse): void {
  res.status(response.status);
  for (const [name, value] of Object.entries(response.headers)) {
    res.setHeader(name, value);
  }
  res.end(
    response.body === undefined
      ? undefined
      : typeof response.body === 'string'
        ? response.body
        : Buffer.from(response.body),
  );
}

/**
 * Express middleware answering the BFF's routes and passing every other request on.
 *
 * @example
 * ```ts
 * app.use(bffMiddleware(bff));
 * ```
 */
export function bffMiddleware(bff: Bff): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const request = bffRequestOf(req.method, req.originalUrl, req.headers, async () =>
      req.readableEnded ? undefined : readBody(req),
    );
    bff.handle(request).then(
      (response) => {
        if (response === undefined) {
          next();
          return;
        }
        send(res, response);
      },
      (error: unknown) => {
        if (error instanceof RangeError) {
          res.status(413).type('text/plain').send('Request body too large');
          return;
        }
        next(error);
      },
    );
  };
}
