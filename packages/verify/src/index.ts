/**
 * `@tessera/verify`: verify Tessera access tokens and API keys at an API server.
 *
 * - JWT access tokens (RFC 9068) are verified locally against the issuer's JWKS and cached;
 * - opaque tokens (`tsr_at_…`) and API keys (`tsr_key_…`) are introspected (RFC 7662) and cached;
 * - revocations are pushed by the issuer's revocation stream and applied to the caches at once;
 * - DPoP-bound tokens (RFC 9449 §7) need the `DPoP` scheme and a proof by the bound key;
 * - every refusal is a {@link VerifyError} that renders as an RFC 6750 §3 challenge (and a
 *   RFC 9449 §7.1 `DPoP` challenge beside it).
 *
 * Subpath exports, one per framework: `@tessera/verify/node` (node:http),
 * `@tessera/verify/express` (Express 5), `@tessera/verify/fastify` (Fastify 5) and
 * `@tessera/verify/hono` (Hono 4).
 *
 * @example
 * ```ts
 * import { createVerifier } from '@tessera/verify';
 *
 * const verifier = createVerifier({ issuer: 'http://localhost:4000', audience: 'http://localhost:3000' });
 * const token = await verifier.verify(request.headers.get('authorization') ?? undefined);
 * ```
 *
 * @packageDocumentation
 */
export type { ApiKeyContextOptions, ApiKeyUseContext } from './api-key-context.js';
export {
  extractToken,
  isFormContentType,
  parseAuthorizationHeader,
  type RequestView,
  requestViewOf,
  type TokenSource,
  type TokenSourceOptions,
} from './bearer.js';
export {
  buildChallenge,
  buildDpopChallenge,
  type ChallengeParams,
  type DpopChallengeParams,
} from './challenge.js';
export {
  createVerifier,
  DEFAULT_ALGORITHMS,
  type Verifier,
  type VerifierOptions,
  type VerifierStatus,
  type VerifyInput,
  type VerifyOptions,
} from './create-verifier.js';
export {
  type CredentialChangeAction,
  type CredentialChangePolicy,
  defaultCredentialChangePolicy,
} from './credential-change-policy.js';
export type { CredentialChangeSeen } from './denylist.js';
export { metadataUrlOf, type VerifierEndpoints } from './discovery.js';
export type { DpopOptions } from './dpop.js';
export type { ClientCredentials } from './introspection.js';
export { type AuthenticationRequirement, requireAuthentication } from './require-authentication.js';
export { requireScope } from './require-scope.js';
export {
  type ResourceMetadata,
  type ResourceMetadataOptions,
  resourceMetadata,
  resourceMetadataPath,
  resourceMetadataUrl,
} from './resource-metadata.js';
export type { RevocationStreamState, RevocationStreamStatus } from './revocation-stream.js';
export { successHeadersOf } from './success-headers.js';
export { hashToken } from './token-hash.js';
export type { VerifiedToken } from './verified-token.js';
export { type DpopChallenge, type ErrorResponse, VerifyError } from './verify-error.js';
