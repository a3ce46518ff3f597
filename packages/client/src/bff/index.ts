/// <reference types="node" />
/**
 * `@tessera/client/bff`: a backend-for-frontend for browser apps (Node only: sessions are
 * encrypted with node:crypto). The browser holds only an HttpOnly session cookie; tokens stay on
 * the server. Framework adapters: `@tessera/client/bff/express` and `@tessera/client/bff/fastify`.
 *
 * @example
 * ```ts
 * import { createBff } from '@tessera/client/bff';
 *
 * const bff = createBff({
 *   issuer: 'https://auth.example',
 *   clientId: 'cli_bff',
 *   clientSecret: process.env.TESSERA_CLIENT_SECRET ?? '',
 *   baseUrl: 'https://app.example',
 *   api: 'https://cookies.example',
 *   sessionKey: process.env.BFF_SESSION_KEY ?? '',
 * });
 * ```
 *
 * @packageDocumentation
 */
export {
  type Bff,
  type BffOptions,
  type BffRequest,
  type BffResponse,
  type BffRoutes,
  createBff,
} from './bff.js';
export { CSRF_HEADER, type HeaderView, isSameOrigin, isTrustedApiCall } from './csrf.js';
export { createMemorySessionBackend, type SessionBackend, type SessionRecord } from './session-backend.js';
export { createSessionCipher, parseSessionKey, type SessionCipher } from './session-cipher.js';
export { type SessionCookie, sessionCookieFor } from './session-cookie.js';
export type { Session, SessionData, SessionStore } from './session-store.js';
export { createSqliteSessionBackend, type SqliteDatabase } from './sqlite-session-backend.js';
