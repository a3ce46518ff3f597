/**
 * The example's web server: Express serving one static page, with the Tessera BFF mounted in
 * front. The page talks only to this server (`/auth/*`, `/api/*`); the BFF holds the tokens.
 */
import { fileURLToPath } from 'node:url';
import { createBff } from '@tessera/client/bff';
import { bffMiddleware } from '@tessera/client/bff/express';
import express, { type Express } from 'express';

/** What the example needs to know (see main.ts for the environment variables). */
export interface BffWebOptions {
  /** Tessera's issuer URL. */
  issuer: string;
  /** This app's client at Tessera (authorization_code + refresh_token, redirect URI `<baseUrl>/auth/callback`). */
  clientId: string;
  clientSecret: string;
  /** Where this server is reached by the browser, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** The cookie-jar API's base URL. */
  api: string;
  /** The API's resource identifier at Tessera (RFC 8707), if not the client's default audience. */
  resource?: string;
  /** 32 bytes as 64 hex characters: encrypts the server-side sessions. */
  sessionKey: string;
  /** For tests: the clock the BFF uses. */
  clock?: { now(): number };
}

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

export function createBffWebApp(options: BffWebOptions): Express {
  const bff = createBff({
    issuer: options.issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    baseUrl: options.baseUrl,
    api: options.api,
    ...(options.resource === undefined ? {} : { resource: options.resource }),
    scope: 'openid profile offline_access cookies:read cookies:eat',
    sessionKey: options.sessionKey,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    onError: (error, context) =>
      console.error(`[bff] ${context}:`, error instanceof Error ? error.message : error),
  });
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    // The page runs only its own script: an injected script would find no token anyway, but
    // could still call /api as the user, so keep the page locked down.
    res.setHeader(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self' " +
        new URL(options.issuer).origin +
        "; frame-ancestors 'none'; base-uri 'none'",
    );
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'same-origin');
    next();
  });
  app.use(bffMiddleware(bff));
  app.use(express.static(PUBLIC_DIR));
  return app;
}
