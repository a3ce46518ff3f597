/**
 * Issues an authorization code (RFC 6749 §4.1.2): a minted `tsr_ac_…` secret stored as its SHA-256,
 * short-lived, single use, bound to the client, the redirect URI, the PKCE challenge, the session
 * and the grant id that will name the refresh-token family (so a replay can revoke what it issued).
 */
import { hashSecret, mintSecret, newId } from '../../ids.js';
import type { AuthorizationCodeStore, SessionRecord } from '../../store/ports.js';
import type { AuthorizationRequest } from './parse-request.js';

export interface IssueCodeDeps {
  store: Pick<AuthorizationCodeStore, 'insertAuthorizationCode'>;
  /** Seconds the code lives. */
  ttl: number;
}

export async function issueAuthorizationCode(
  deps: IssueCodeDeps,
  request: AuthorizationRequest,
  session: SessionRecord,
  now: number,
): Promise<string> {
  const code = mintSecret('ac');
  await deps.store.insertAuthorizationCode({
    hash: hashSecret(code),
    clientId: request.clientId,
    userId: session.userId,
    sessionId: session.id,
    redirectUri: request.redirectUri,
    scope: request.scope,
    audience: request.audience,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
    nonce: request.nonce,
    authTime: session.authTime,
    amr: session.amr,
    acr: session.acr,
    grantId: newId('fam'),
    issuedAt: now,
    expiresAt: now + deps.ttl,
    consumedAt: null,
    ...(request.dpopJkt === undefined ? {} : { dpopJkt: request.dpopJkt }),
  });
  return code;
}

/** The redirect of RFC 6749 §4.1.2 / §4.1.2.1 with `iss` (RFC 9207 §2), keeping any query the URI has. */
export function buildAuthorizationRedirect(
  redirectUri: string,
  params: Record<string, string | null | undefined>,
): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) {
      url.searchParams.append(name, value);
    }
  }
  return url.toString();
}
