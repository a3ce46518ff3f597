/**
 * `POST /risk/reports`: `@tessera/verify` reports token uses that differ from the token's issuance
 * context (continuous authentication, docs/risk.md), in batches, as JSON
 * `{"reports": [{"token": "…", "action": "flag" | "refuse", "factors": ["token_network"]}],
 *   "uses": [{"sid": "ses_…", "jti": "…", "at": 1765000000000, "network": "<digest>", "endpoint": "GET /cookies"}],
 *   "proofs": {"ses_…": "<an access token of that session>"}}`
 * (`uses`: every use of a session's token, no token and no address; `proofs`: per session the uses
 * name, one of its access tokens, without which its uses are ignored; see users/token-use-reports.ts).
 * The verifier authenticates as its client (RFC 6749 §2.3) and needs the `revocations:stream`
 * permission: the one every verifier following the revocation stream already has.
 * Answers 202 `{"accepted": n}`; malformed bodies get 400 `invalid_request`.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { ReportedUse, TokenUseReport, TokenUseReports } from '../../users/token-use-reports.js';
import { authenticateRequest } from '../plugins/oauth-post.js';

export const RISK_REPORTS_PATH = '/risk/reports';
const PERMISSION = 'revocations:stream';
const MAX_REPORTS = 100;
const MAX_USES = 1000;
const MAX_TOKEN_LENGTH = 16_384;

export interface RiskReportsRouteDeps {
  issuer: string;
  authenticate: AuthenticateClient;
  reports: TokenUseReports;
}

function isStringArray(value: unknown, max: number): value is string[] {
  return (
    Array.isArray(value) &&
    value.length <= max &&
    value.every((item) => typeof item === 'string' && item.length <= 64)
  );
}

function reportsOf(body: unknown): TokenUseReport[] {
  const { reports = [], uses } = (body ?? {}) as { reports?: unknown; uses?: unknown };
  if (
    !Array.isArray(reports) ||
    reports.length > MAX_REPORTS ||
    (reports.length === 0 && uses === undefined)
  ) {
    throw OAuthError.invalidRequest(
      `The body must be JSON {"reports": [...], "uses": [...]} with at most ${MAX_REPORTS} reports`,
    );
  }
  return reports.map((report: unknown) => {
    const { token, action, factors } = (report ?? {}) as Record<string, unknown>;
    if (
      typeof token !== 'string' ||
      token.length > MAX_TOKEN_LENGTH ||
      (action !== 'flag' && action !== 'refuse') ||
      !isStringArray(factors ?? [], 10)
    ) {
      throw OAuthError.invalidRequest(
        'Each report needs a token, an action (flag or refuse) and factor names',
      );
    }
    return { token, action, factors: (factors ?? []) as string[] };
  });
}

function shortString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function usesOf(body: unknown): ReportedUse[] {
  const uses = (body as { uses?: unknown } | null)?.uses ?? [];
  if (!Array.isArray(uses) || uses.length > MAX_USES) {
    throw OAuthError.invalidRequest(`"uses" must be an array of at most ${MAX_USES} uses`);
  }
  return uses.map((use: unknown) => {
    const { sid, jti, at, network, endpoint } = (use ?? {}) as Record<string, unknown>;
    if (
      !shortString(sid, 128) ||
      (jti !== undefined && !shortString(jti, 128)) ||
      typeof at !== 'number' ||
      !Number.isSafeInteger(at) ||
      at < 0 ||
      !shortString(network, 64) ||
      !shortString(endpoint, 256)
    ) {
      throw OAuthError.invalidRequest(
        'Each use needs a sid, a time (epoch milliseconds), a network digest and an endpoint',
      );
    }
    return { sid, jti: jti as string | undefined, at, network, endpoint };
  });
}

/** `proofs`: an object from `sid` to one access token of that session (at most one per use). */
function proofsOf(body: unknown): Map<string, string> {
  // Absent means none; `null` is a malformed proof, not an empty one.
  const { proofs = {} } = (body ?? {}) as { proofs?: unknown };
  const entries =
    typeof proofs === 'object' && proofs !== null && !Array.isArray(proofs)
      ? Object.entries(proofs)
      : undefined;
  if (
    entries === undefined ||
    entries.length > MAX_USES ||
    !entries.every(([sid, token]) => shortString(sid, 128) && shortString(token, MAX_TOKEN_LENGTH))
  ) {
    throw OAuthError.invalidRequest(
      `"proofs" must be an object from session ids to access tokens, at most ${MAX_USES}`,
    );
  }
  return new Map(entries as [string, string][]);
}

export function registerRiskReportsRoute(app: FastifyInstance, deps: RiskReportsRouteDeps): void {
  const endpoint = deps.issuer + RISK_REPORTS_PATH;
  app.post(RISK_REPORTS_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const { client, method } = await authenticateRequest(request, deps.authenticate, {}, endpoint);
    if (method === 'none') {
      throw OAuthError.invalidClient('Risk reports require client authentication');
    }
    if (!client.permissions.includes(PERMISSION)) {
      throw OAuthError.accessDenied(`The client lacks the ${PERMISSION} permission`);
    }
    const batch = {
      reports: reportsOf(request.body),
      uses: usesOf(request.body),
      proofs: proofsOf(request.body),
    };
    const accepted = await deps.reports.accept(client, batch);
    return reply.code(202).type('application/json; charset=utf-8').send({ accepted });
  });
}
