/**
 * Type tests of @tessera/verify's public API (issue 12 item 16; STYLE §9.6 "Types"). This file is
 * compiled by `tsc -p tsconfig.test.json` (part of `npm test`) and never run: each
 * `expectTypeOf` fails compilation when a public type changes, and each `@ts-expect-error` line
 * fails it when something that must not compile starts to compile.
 */
import type { OAuthError } from '@tessera/protocol';
import {
  type AuthenticationRequirement,
  buildChallenge,
  createVerifier,
  DEFAULT_ALGORITHMS,
  type ErrorResponse,
  hashToken,
  requireAuthentication,
  requireScope,
  type TokenSource,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
  type VerifierStatus,
  type VerifyError,
  type VerifyInput,
} from '@tessera/verify';
import type { Context } from 'hono';
import { expectTypeOf } from 'vitest';
import { authOf } from '../../src/adapters/express.js';
import type { AuthEnv } from '../../src/adapters/hono.js';
import { protect as protectNode } from '../../src/adapters/node.js';

const verifier = createVerifier({ issuer: 'https://auth.example', audience: 'https://api.example' });
expectTypeOf(verifier).toEqualTypeOf<Verifier>();
expectTypeOf(createVerifier).parameter(0).toEqualTypeOf<VerifierOptions>();

// What an API server hands over: a web Request, a request view, a raw header value, or nothing.
expectTypeOf<VerifyInput>().toExtend<Request | string | undefined | object>();
expectTypeOf(verifier.verify).parameter(0).toEqualTypeOf<VerifyInput>();
expectTypeOf(verifier.verify).returns.resolves.toEqualTypeOf<VerifiedToken>();
expectTypeOf(verifier.ready).returns.toEqualTypeOf<Promise<void>>();
expectTypeOf(verifier.close).returns.toEqualTypeOf<Promise<void>>();
expectTypeOf(verifier.status).returns.toEqualTypeOf<VerifierStatus>();
expectTypeOf<VerifierStatus['discovery']>().toEqualTypeOf<'pending' | 'ready' | 'failed'>();

// The verified token: what a handler may rely on, read-only where it is shared.
expectTypeOf<VerifiedToken>().toEqualTypeOf<{
  tokenType: 'jwt' | 'opaque' | 'api_key';
  subject: string;
  clientId: string;
  scope: readonly string[];
  claims: Readonly<Record<string, unknown>>;
  expiresAt: number | undefined;
  source: TokenSource;
}>();
expectTypeOf<TokenSource>().toEqualTypeOf<'header' | 'body' | 'query' | 'api_key_header'>();

// Errors: a VerifyError is an OAuthError that knows its realm and renders to a response.
expectTypeOf<VerifyError>().toExtend<OAuthError>();
expectTypeOf<VerifyError['realm']>().toEqualTypeOf<string>();
expectTypeOf<VerifyError['credentialsMissing']>().toEqualTypeOf<boolean>();
expectTypeOf<ErrorResponse>().toEqualTypeOf<{
  status: number;
  headers: Record<string, string>;
  body: string;
}>();

expectTypeOf(requireScope).returns.toEqualTypeOf<void>();
expectTypeOf(requireAuthentication).returns.toEqualTypeOf<void>();
expectTypeOf(requireAuthentication).parameter(1).toEqualTypeOf<AuthenticationRequirement>();
// @ts-expect-error RFC 9470: max_age is a number of seconds, not a duration string
requireAuthentication({ claims: {} }, { maxAge: '5m' });
expectTypeOf(hashToken).parameter(0).toEqualTypeOf<string>();
expectTypeOf(buildChallenge).returns.toEqualTypeOf<string>();
expectTypeOf(DEFAULT_ALGORITHMS).toEqualTypeOf<readonly ['ES256', 'EdDSA', 'RS256']>();

// Framework adapters hand the handler the same VerifiedToken.
expectTypeOf(authOf).returns.toEqualTypeOf<VerifiedToken | undefined>();
expectTypeOf<Context<AuthEnv>['var']['auth']>().toEqualTypeOf<VerifiedToken>();
protectNode(verifier, (_req, _res, token) => {
  expectTypeOf(token).toEqualTypeOf<VerifiedToken>();
});

declare const token: VerifiedToken;
// @ts-expect-error a verified token's scopes are shared and read-only
token.scope.push('admin');
// @ts-expect-error claims are read-only
token.claims.sub = 'someone else';

// @ts-expect-error the audience is required: a verifier without one would accept any API's tokens
createVerifier({ issuer: 'https://auth.example' });
// @ts-expect-error the issuer is required
createVerifier({ audience: 'https://api.example' });
// @ts-expect-error revocations are an options object or false, never true
createVerifier({ issuer: 'https://auth.example', audience: 'https://api.example', revocations: true });
// @ts-expect-error a scope is a string or a list of strings
void verifier.verify('token', { scope: 42 });
// @ts-expect-error a number is no token
void verifier.verify(42);
