/** A person's code flow through the sign-in pages, and how a test expects a verifier's refusal. */
import type { TokenResponse } from '@tessera/protocol';
import { expect } from 'vitest';
import { FORM, form, type TestClient } from '../../../server/test/support/clients.js';
import {
  authorizeUrl,
  type Browser,
  pkcePair,
  REDIRECT_URI,
  signIn,
} from '../../../server/test/support/login.js';
import { VerifyError } from '../../src/index.js';
import type { Tessera } from './tessera.js';

/** Authorization code flow with PKCE through the sign-in pages in `browser`; returns the tokens. */
export async function codeFlow(
  t: Pick<Tessera, 'url' | 'app'>,
  client: TestClient,
  browser: Browser,
  scope: string,
  /** More headers on the token request (e.g. the user agent the issuance context records). */
  headers: Record<string, string> = {},
): Promise<TokenResponse> {
  const pkce = pkcePair();
  const { code } = await signIn(
    browser,
    authorizeUrl(client.client, { scope, code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
    { issuer: t.url },
  );
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: client.basic, ...headers },
    payload: form({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce.verifier,
    }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<TokenResponse>();
}

/** The VerifyError `promise` rejects with (fails the test if it resolves or throws anything else). */
export async function refusal(promise: Promise<unknown>): Promise<VerifyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(VerifyError);
  return error as VerifyError;
}
