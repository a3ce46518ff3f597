/**
 * Validation of the authorization request, in the order RFC 6749 §4.1.2.1 demands:
 *
 * 1. {@link resolveClientAndRedirect}: the client and its redirect URI. Until both are known to be
 *    good, an error is shown to the person on an error page and NEVER redirected (an unvalidated
 *    redirect URI is an open redirector, RFC 9700 §4.11).
 * 2. {@link validateAuthorizationRequest}: everything else; these errors are redirected to the
 *    client with `state` and `iss` (RFC 9207).
 */
import { missingScopes, OAuthError, parseScope } from '@tessera/protocol';
import type { ClientRecord } from '../../store/ports.js';
import { audiencesOutside } from '../../tokens/audience.js';
import { isValidS256Challenge } from '../pkce.js';
import { isRegisteredRedirectUri } from '../redirect-uri.js';
import { defaultScopeOf } from '../scope.js';
import type { AuthorizationRequest, Prompt, RawAuthorizationQuery } from './parse-request.js';

/** The scopes of OpenID Connect Core §5.4 and §11 that Tessera implements. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

const MAX_PARAM_LENGTH = 2048;
const PROMPTS: ReadonlySet<string> = new Set<Prompt>(['login', 'none', 'consent']);

export interface AuthorizeValidationDeps {
  findClient(id: string): Promise<ClientRecord | undefined>;
  /** When true every client must use PKCE; public clients always must (OAuth 2.1 §4.1.1). */
  requirePkce: boolean;
}

export interface ResolvedClient {
  client: ClientRecord;
  redirectUri: string;
  /** `state` as sent, so even early errors go back with it (RFC 6749 §4.1.2.1). */
  state: string | null;
}

function page(description: string): OAuthError {
  return OAuthError.invalidRequest(description, { redirectable: false });
}

function redirected(
  error: (d: string, o?: { redirectable: boolean }) => OAuthError,
  description: string,
): OAuthError {
  return error(description, { redirectable: true });
}

/** Step 1: the client and the exact redirect URI (RFC 6749 §3.1.2.4, RFC 9700 §4.1.3). */
export async function resolveClientAndRedirect(
  raw: RawAuthorizationQuery,
  deps: AuthorizeValidationDeps,
): Promise<ResolvedClient> {
  if (raw.repeated.has('client_id') || raw.repeated.has('redirect_uri')) {
    throw page('client_id and redirect_uri must not be repeated');
  }
  const clientId = raw.values.get('client_id');
  if (clientId === undefined) {
    throw page('client_id is missing');
  }
  const client = await deps.findClient(clientId);
  if (client === undefined || client.disabled) {
    throw page('Unknown or disabled client');
  }
  const redirectUri = raw.values.get('redirect_uri');
  // OAuth 2.1 §4.1.1 / OIDC Core §3.1.2.1: always required here, so the token request can be held
  // to the very same string (RFC 6749 §4.1.3).
  if (redirectUri === undefined) {
    throw page('redirect_uri is missing');
  }
  if (!isRegisteredRedirectUri(client.redirectUris, redirectUri)) {
    throw page('redirect_uri is not registered for this client');
  }
  const state = raw.repeated.has('state') ? null : (raw.values.get('state') ?? null);
  return { client, redirectUri, state };
}

function parsePrompt(value: string | undefined): Prompt[] {
  const prompts = parseScope(value);
  for (const prompt of prompts) {
    if (!PROMPTS.has(prompt)) {
      throw redirected(
        OAuthError.invalidRequest,
        `prompt value ${prompt} is not supported (use login, consent or none)`,
      );
    }
  }
  // OIDC Core §3.1.2.1: "none" with any other value is an error.
  if (prompts.includes('none') && prompts.length > 1) {
    throw redirected(OAuthError.invalidRequest, 'prompt=none must not be combined with other values');
  }
  return prompts as Prompt[];
}

function parseMaxAge(value: string | undefined): number | null {
  if (value === undefined) {
    return null;
  }
  if (!/^\d{1,10}$/.test(value)) {
    throw redirected(OAuthError.invalidRequest, 'max_age must be a non-negative integer');
  }
  return Number(value);
}

function resolveScope(value: string | undefined, client: ClientRecord): string[] {
  const requested = parseScope(value);
  const scope = requested.length > 0 ? requested : defaultScopeOf(client);
  // The OIDC scopes need no registration; everything else must be the client's.
  const notAllowed = new Set(missingScopes(scope, [...client.scope, ...OIDC_SCOPES]));
  for (const s of scope) {
    // OIDC Core §11: offline access only for a client that may use refresh tokens.
    if (s === 'offline_access' && !client.grantTypes.includes('refresh_token')) {
      throw redirected(
        OAuthError.invalidScope,
        'offline_access needs a client allowed the refresh_token grant',
      );
    }
    if (notAllowed.has(s)) {
      throw redirected(OAuthError.invalidScope, `scope ${s} is not allowed for this client`);
    }
  }
  return scope;
}

function resolveAudience(value: string | undefined, client: ClientRecord): string[] {
  if (value === undefined) {
    return client.audiences.slice(0, 1);
  }
  if (audiencesOutside([value], client.audiences).length > 0) {
    throw redirected(OAuthError.invalidTarget, 'resource is not allowed for this client (RFC 8707)');
  }
  return [value];
}

/** Step 2: everything but client and redirect URI; every error here is redirected. */
export function validateAuthorizationRequest(
  raw: RawAuthorizationQuery,
  resolved: ResolvedClient,
  deps: Pick<AuthorizeValidationDeps, 'requirePkce'>,
): AuthorizationRequest {
  const { client } = resolved;
  const v = (name: string) => raw.values.get(name);
  if (raw.repeated.size > 0) {
    throw redirected(OAuthError.invalidRequest, `Parameter ${[...raw.repeated][0]} must not be repeated`);
  }
  for (const [name, value] of raw.values) {
    if (value.length > MAX_PARAM_LENGTH) {
      throw redirected(OAuthError.invalidRequest, `Parameter ${name} is too long`);
    }
  }
  const responseType = v('response_type');
  if (responseType === undefined) {
    throw redirected(OAuthError.invalidRequest, 'response_type is missing');
  }
  // OAuth 2.1 §4.1.1: the implicit grant is gone; only the code flow is served.
  if (responseType !== 'code') {
    throw redirected(OAuthError.unsupportedResponseType, 'Only response_type=code is supported');
  }
  const responseMode = v('response_mode');
  if (responseMode !== undefined && responseMode !== 'query') {
    throw redirected(OAuthError.invalidRequest, 'Only response_mode=query is supported');
  }
  if (v('request') !== undefined || v('request_uri') !== undefined) {
    throw redirected(OAuthError.invalidRequest, 'Request objects (request, request_uri) are not supported');
  }
  if (!client.grantTypes.includes('authorization_code')) {
    throw redirected(OAuthError.unauthorizedClient, 'This client may not use the authorization_code grant');
  }

  // RFC 7636 §4.3 / RFC 9700 §2.1.1: S256 only; a missing method means "plain", which is refused.
  const challenge = v('code_challenge');
  const method = v('code_challenge_method');
  const pkceRequired = deps.requirePkce || client.tokenEndpointAuthMethod === 'none';
  if (challenge === undefined) {
    if (method !== undefined) {
      throw redirected(OAuthError.invalidRequest, 'code_challenge_method without code_challenge');
    }
    if (pkceRequired) {
      throw redirected(
        OAuthError.invalidRequest,
        'PKCE is required: send code_challenge with code_challenge_method=S256',
      );
    }
  } else {
    if (method !== 'S256') {
      throw redirected(
        OAuthError.invalidRequest,
        'code_challenge_method must be S256 (plain is not supported)',
      );
    }
    if (!isValidS256Challenge(challenge)) {
      throw redirected(
        OAuthError.invalidRequest,
        'code_challenge must be 43 base64url characters (RFC 7636 §4.2)',
      );
    }
  }

  // RFC 9449 §10: a JWK SHA-256 thumbprint (RFC 7638), base64url.
  const dpopJkt = v('dpop_jkt');
  if (dpopJkt !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(dpopJkt)) {
    throw redirected(OAuthError.invalidRequest, 'dpop_jkt must be a JWK SHA-256 thumbprint');
  }

  // OIDC Core §3.1.2.1: ui_locales is a preference; tags the pages cannot use are ignored, not refused.
  const uiLocales = parseScope(v('ui_locales'))
    .filter((tag) => /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag))
    .slice(0, 8);

  return {
    ...(dpopJkt === undefined ? {} : { dpopJkt }),
    ...(uiLocales.length === 0 ? {} : { uiLocales }),
    clientId: client.id,
    redirectUri: resolved.redirectUri,
    responseType: 'code',
    scope: resolveScope(v('scope'), client),
    state: resolved.state,
    codeChallenge: challenge ?? null,
    codeChallengeMethod: challenge === undefined ? null : 'S256',
    nonce: v('nonce') ?? null,
    prompt: parsePrompt(v('prompt')),
    maxAge: parseMaxAge(v('max_age')),
    acrValues: parseScope(v('acr_values')),
    loginHint: v('login_hint') ?? null,
    audience: resolveAudience(v('resource'), client),
  };
}
