/**
 * Type tests of @tessera/client's public API (issue 12 item 16; STYLE §9.6 "Types"). This file is
 * compiled by `tsc -p tsconfig.test.json` (part of `npm test`) and never run: each
 * `expectTypeOf` fails compilation when a public type changes, and each `@ts-expect-error` line
 * fails it when something that must not compile starts to compile.
 */
import {
  type AccessToken,
  type ClientErrorCode,
  createTokenClient,
  type DeviceTokens,
  deviceAuthorization,
  type TesseraClientError,
  type TokenClient,
} from '@tessera/client';
import { type Bff, createBff } from '@tessera/client/bff';
import { createWebAppClient, type TokenSet, type WebAppClient } from '@tessera/client/web-app';
import { expectTypeOf } from 'vitest';

const issuer = 'https://auth.example';

const client = createTokenClient({ issuer, clientId: 'cli_1', clientSecret: 'tsr_cs_x' });
expectTypeOf(client).toEqualTypeOf<TokenClient>();
expectTypeOf(client.getToken).returns.toEqualTypeOf<Promise<string>>();
expectTypeOf(client.getTokenInfo).returns.resolves.toEqualTypeOf<AccessToken>();
expectTypeOf(client.fetch).returns.toEqualTypeOf<Promise<Response>>();
expectTypeOf(client.clear).returns.toEqualTypeOf<void>();
expectTypeOf<AccessToken>().toEqualTypeOf<{
  accessToken: string;
  tokenType: string;
  expiresAt: number;
  renewAt: number;
  scope: string[];
}>();

// A private key instead of a secret (private_key_jwt).
declare const key: CryptoKey;
expectTypeOf(createTokenClient({ issuer, clientId: 'cli_1', privateKey: key })).toEqualTypeOf<TokenClient>();

// Errors: an Error with a code an app can switch on.
expectTypeOf<TesseraClientError>().toExtend<Error>();
expectTypeOf<ClientErrorCode>().toEqualTypeOf<
  'discovery_failed' | 'invalid_response' | 'invalid_callback' | 'login_required' | 'network_error'
>();
expectTypeOf<TesseraClientError['reloginRequired']>().toEqualTypeOf<boolean>();
expectTypeOf<TesseraClientError['status']>().toEqualTypeOf<number | undefined>();

// Web app (authorization code + PKCE): tokens come back as a TokenSet.
const webApp = createWebAppClient({
  issuer,
  clientId: 'cli_2',
  clientSecret: 'tsr_cs_y',
  redirectUri: 'https://app.example/callback',
});
expectTypeOf(webApp).toEqualTypeOf<WebAppClient>();
expectTypeOf(webApp.handleCallback).returns.resolves.toEqualTypeOf<TokenSet>();
expectTypeOf(webApp.refresh).returns.resolves.toEqualTypeOf<TokenSet>();
expectTypeOf<TokenSet['refreshToken']>().toEqualTypeOf<string | undefined>();
expectTypeOf<TokenSet['scope']>().toEqualTypeOf<string[]>();

// Backend for frontend.
expectTypeOf(createBff).returns.toEqualTypeOf<Bff>();

// @ts-expect-error a confidential client needs a secret or a private key
createTokenClient({ issuer, clientId: 'cli_1' });
// @ts-expect-error never both a secret and a private key
createTokenClient({ issuer, clientId: 'cli_1', clientSecret: 's', privateKey: key });
// @ts-expect-error a secret's authentication method is basic or post, nothing else
createTokenClient({ issuer, clientId: 'cli_1', clientSecret: 's', tokenEndpointAuthMethod: 'none' });
// @ts-expect-error the issuer is required
createTokenClient({ clientId: 'cli_1', clientSecret: 's' });
// @ts-expect-error a web app needs its redirect URI
createWebAppClient({ issuer, clientId: 'cli_2', clientSecret: 's' });
// @ts-expect-error only access and refresh tokens are revoked (RFC 7009 §2.1 token_type_hint)
void webApp.revoke('token', 'id_token');

// Device flow (RFC 8628): tokens come back; the code goes to the callback.
expectTypeOf(deviceAuthorization).returns.resolves.toEqualTypeOf<DeviceTokens>();
// @ts-expect-error the caller must be given the code to show
void deviceAuthorization({ issuer, clientId: 'cli_3' });
