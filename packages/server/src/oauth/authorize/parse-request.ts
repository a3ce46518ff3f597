/**
 * The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect Core §3.1.2.1) as the
 * rest of the server sees it, and the first, lenient step of reading it: every parameter once.
 * Repeated parameters are remembered rather than refused here, because RFC 6749 §4.1.2.1 wants the
 * error redirected once the client and its redirect URI are known, and shown on a page otherwise.
 */

export type Prompt = 'login' | 'none' | 'consent';

/** A validated authorization request: what the login and consent pages carry and the code binds. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  responseType: 'code';
  scope: string[];
  state: string | null;
  /** RFC 7636: null only when PKCE is optional for this client and it sent none. */
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  nonce: string | null;
  prompt: Prompt[];
  /** OIDC Core §3.1.2.1: seconds since the last active authentication. */
  maxAge: number | null;
  /**
   * OIDC Core §3.1.2.1 / RFC 9470 §4: the authentication levels asked for, in order of preference;
   * the sign-in must reach one of them (absent in interactions sealed before this field existed).
   */
  acrValues?: string[];
  loginHint: string | null;
  /** OIDC Core §3.1.2.1: the person's preferred languages for the pages, best first. */
  uiLocales?: string[];
  /** RFC 8707 resource → access-token audience. */
  audience: string[];
  /** RFC 9449 §10: the code is bound to this DPoP key thumbprint. */
  dpopJkt?: string;
}

export interface RawAuthorizationQuery {
  /** First value of each parameter (empty values count as absent, RFC 6749 §3.1). */
  values: Map<string, string>;
  /** Parameters sent more than once (RFC 6749 §3.1: "MUST NOT be included more than once"). */
  repeated: Set<string>;
}

export function readAuthorizationQuery(query: unknown): RawAuthorizationQuery {
  const values = new Map<string, string>();
  const repeated = new Set<string>();
  if (typeof query !== 'object' || query === null) {
    return { values, repeated };
  }
  for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
    if (Array.isArray(value)) {
      repeated.add(name);
      const first = value.find((v): v is string => typeof v === 'string' && v !== '');
      if (first !== undefined) {
        values.set(name, first);
      }
    } else if (typeof value === 'string' && value !== '') {
      values.set(name, value);
    }
  }
  return { values, repeated };
}
