/**
 * Reads `WWW-Authenticate` challenges (RFC 9110 §11.6.1, RFC 6750 §3) so the token client can tell
 * "this token is no longer valid" (`error="invalid_token"`, worth one renewal and one retry) from
 * "this token lacks a scope" (`insufficient_scope`, where a new token would not help).
 */

/**
 * One challenge: its scheme (lower-cased) and its auth-params (names lower-cased).
 *
 * @example
 * ```ts
 * const [bearer] = parseChallenges('Bearer realm="api", error="invalid_token"');
 * bearer?.params.error; // 'invalid_token'
 * ```
 */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Parses a `WWW-Authenticate` header value into its challenges. Malformed parts end the parse;
 * what was read until then is returned (a header from a broken server is no reason to throw).
 *
 * @example
 * ```ts
 * parseChallenges('Basic realm="x", Bearer error="invalid_token"').map((c) => c.scheme); // ['basic', 'bearer']
 * ```
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let rest = header;
  let current: Challenge | undefined;
  const skip = (pattern: RegExp) => {
    rest = rest.replace(pattern, '');
  };
  while (true) {
    skip(/^[\s,]+/);
    const name = TOKEN.exec(rest)?.[0];
    if (name === undefined) {
      break;
    }
    rest = rest.slice(name.length);
    const equals = /^\s*=\s*/.exec(rest);
    // token68 (`Basic dXNlcg==`) or a param name: a scheme is a token not followed by `=`.
    if (equals === null || current === undefined) {
      if (equals !== null) {
        break;
      }
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
      const token68 = /^\s+([A-Za-z0-9\-._~+/]+=*)(?=\s*(,|$))/.exec(rest);
      if (token68 !== null) {
        rest = rest.slice(token68[0].length);
      }
      continue;
    }
    rest = rest.slice(equals[0].length);
    let value: string | undefined;
    if (rest.startsWith('"')) {
      const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (quoted === null) {
        break;
      }
      value = (quoted[1] ?? '').replace(/\\(.)/g, '$1');
      rest = rest.slice(quoted[0].length);
    } else {
      value = TOKEN.exec(rest)?.[0];
      if (value === undefined) {
        break;
      }
      rest = rest.slice(value.length);
    }
    current.params[name.toLowerCase()] = value;
  }
  return challenges;
}

/**
 * True when a response says the presented bearer token is invalid (RFC 6750 §3.1 `invalid_token`):
 * a 401 whose `WWW-Authenticate` has a Bearer (or, for a DPoP-bound token, RFC 9449 §7.1 DPoP)
 * challenge with `error="invalid_token"`.
 *
 * @example
 * ```ts
 * if (isInvalidTokenResponse(response)) {
 *   await client.getToken({ forceRenewal: true });
 * }
 * ```
 */
export function isInvalidTokenResponse(response: Response): boolean {
  if (response.status !== 401) {
    return false;
  }
  const header = response.headers.get('www-authenticate');
  if (header === null) {
    return false;
  }
  return parseChallenges(header).some(
    (challenge) =>
      (challenge.scheme === 'bearer' || challenge.scheme === 'dpop') &&
      challenge.params.error === 'invalid_token',
  );
}

/**
 * What an RFC 9470 §3 step-up challenge asks of a new sign-in.
 *
 * @example
 * ```ts
 * const needs: StepUpChallenge = { acrValues: 'urn:tessera:acr:phr', maxAge: 300 };
 * ```
 */
export interface StepUpChallenge {
  /** Space-separated `acr` values, as the resource sent them. */
  acrValues?: string;
  /** Seconds. */
  maxAge?: number;
}

/**
 * The step-up a response asks for (RFC 9470 §3): a 401 whose Bearer challenge has
 * `error="insufficient_user_authentication"`, with its `acr_values` and `max_age`; otherwise
 * undefined.
 *
 * @example
 * ```ts
 * const stepUp = stepUpChallengeOf(response);
 * if (stepUp !== undefined) {
 *   await webApp.startAuthorization({ extraParams: { acr_values: stepUp.acrValues ?? '' } });
 * }
 * ```
 */
export function stepUpChallengeOf(
  response: Pick<Response, 'status' | 'headers'>,
): StepUpChallenge | undefined {
  if (response.status !== 401) {
    return undefined;
  }
  const header = response.headers.get('www-authenticate');
  const bearer =
    header === null
      ? undefined
      : parseChallenges(header).find(
          (challenge) =>
            challenge.scheme === 'bearer' && challenge.params.error === 'insufficient_user_authentication',
        );
  if (bearer === undefined) {
    return undefined;
  }
  const out: StepUpChallenge = {};
  const acr = bearer.params.acr_values;
  if (acr !== undefined && isAcrValues(acr)) {
    out.acrValues = acr;
  }
  const maxAge = bearer.params.max_age;
  if (maxAge !== undefined && /^\d{1,10}$/.test(maxAge)) {
    out.maxAge = Number(maxAge);
  }
  return out;
}

/**
 * True for space-separated tokens of printable ASCII without quotes or backslashes (like a scope).
 *
 * @example
 * ```ts
 * isAcrValues('urn:tessera:acr:mfa urn:tessera:acr:phr'); // true
 * ```
 */
export function isAcrValues(value: string): boolean {
  return value.length <= 1024 && /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(value);
}
