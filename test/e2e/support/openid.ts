/** An authorization code + PKCE request built by openid-client, with the checks its answer needs. */
import * as oidc from 'openid-client';

export interface CodeRequest {
  url: URL;
  /** For oidc.authorizationCodeGrant: the PKCE verifier, the state and (if sent) the nonce. */
  checks: { pkceCodeVerifier: string; expectedState: string; expectedNonce?: string };
}

export async function codeRequest(
  config: oidc.Configuration,
  options: { redirectUri: string; scope: string; nonce?: boolean },
): Promise<CodeRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = options.nonce === false ? undefined : oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: options.redirectUri,
    scope: options.scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(nonce === undefined ? {} : { nonce }),
  });
  return {
    url,
    checks: {
      pkceCodeVerifier: verifier,
      expectedState: state,
      ...(nonce === undefined ? {} : { expectedNonce: nonce }),
    },
  };
}
