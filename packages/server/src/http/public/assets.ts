/**
 * `GET /assets/…`: the few script files the pages load (their CSP allows `script-src 'self'`, no
 * inline script): the `@simplewebauthn/browser` bundle served from Tessera (no CDN) and the passkey
 * page scripts. Fixed content, cached for an hour, `nosniff` from the security headers.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  PASSKEY_REGISTER_PATH,
  PASSKEY_REGISTER_SCRIPT,
  PASSKEY_SIGN_IN_PATH,
  PASSKEY_SIGN_IN_SCRIPT,
  WEBAUTHN_BUNDLE_PATH,
  webAuthnBrowserBundle,
} from '../pages/passkey-scripts.js';
import { SIWE_SIGN_IN_PATH, SIWE_SIGN_IN_SCRIPT } from '../pages/siwe-scripts.js';

export function registerAssets(app: FastifyInstance): void {
  const files: Array<[string, () => string]> = [
    [WEBAUTHN_BUNDLE_PATH, webAuthnBrowserBundle],
    [PASSKEY_SIGN_IN_PATH, () => PASSKEY_SIGN_IN_SCRIPT],
    [PASSKEY_REGISTER_PATH, () => PASSKEY_REGISTER_SCRIPT],
    [SIWE_SIGN_IN_PATH, () => SIWE_SIGN_IN_SCRIPT],
  ];
  for (const [path, load] of files) {
    const body = load();
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    app.get(path, async (request, reply) => {
      reply.header('etag', etag).header('cache-control', 'public, max-age=3600');
      if (request.headers['if-none-match'] === etag) {
        return reply.code(304).send();
      }
      return reply.type('text/javascript; charset=utf-8').send(body);
    });
  }
}
