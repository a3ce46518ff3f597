/**
 * What the login feature adds to discovery (RFC 8414 §2, OIDC Discovery §3): the authorization,
 * userinfo and logout endpoints, the code flow with PKCE, the OIDC scopes and claims, and the
 * request features Tessera does not support, said out loud.
 */
import { OIDC_SCOPES } from '../../oauth/authorize/validate-request.js';
import type { Capabilities } from '../../oauth/discovery.js';
import { SUPPORTED_CLAIMS } from '../../oauth/oidc/claims.js';
import type { SigningAlgorithm } from '../../store/ports.js';
import { ACR_VALUES_SUPPORTED } from '../../users/authn/context.js';

export function advertiseLogin(
  caps: Capabilities,
  options: { idTokenAlgorithms: readonly SigningAlgorithm[] },
): void {
  caps.endpoints.set('authorization_endpoint', '/authorize');
  caps.endpoints.set('userinfo_endpoint', '/userinfo');
  caps.endpoints.set('end_session_endpoint', '/end-session');
  caps.responseTypes.add('code');
  caps.responseModes.add('query');
  caps.codeChallengeMethods.add('S256');
  // Public clients send only client_id (OAuth 2.1 §2.4) at /token (these two grants) and /revoke
  // (RFC 7009 §2.1), never at /introspect (RFC 7662 §2.1), so `none` is added per endpoint
  // rather than to the shared method list. Runs after the OAuth core registered its methods.
  for (const endpoint of ['token_endpoint', 'revocation_endpoint']) {
    if (caps.endpoints.has(endpoint)) {
      caps.extra.set(`${endpoint}_auth_methods_supported`, [...caps.tokenEndpointAuthMethods, 'none']);
    }
  }
  for (const scope of OIDC_SCOPES) {
    caps.scopes.add(scope);
  }
  for (const claim of SUPPORTED_CLAIMS) {
    caps.claims.add(claim);
  }
  for (const alg of options.idTokenAlgorithms) {
    caps.idTokenSigningAlgorithms.add(alg);
  }
  // RFC 9207 §3: `iss` is in every authorization response.
  caps.extra.set('authorization_response_iss_parameter_supported', true);
  caps.extra.set('prompt_values_supported', ['none', 'login', 'consent']);
  // OIDC Discovery §3 / RFC 9470 §6: the authentication levels `acr_values` may ask for.
  caps.extra.set('acr_values_supported', [...ACR_VALUES_SUPPORTED]);
  caps.extra.set('claims_parameter_supported', false);
  caps.extra.set('request_parameter_supported', false);
  // OIDC Discovery §3: the default is true, so say it.
  caps.extra.set('request_uri_parameter_supported', false);
}
