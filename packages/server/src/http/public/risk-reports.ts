/**
 * `POST /risk/reports`: `@tessera/verify` reports token uses that differ from the token's issuance
 * context (continuous authentication, docs/risk.md), in batches, as JSON
 * `{"reports": [{"token": "…", "action": "flag" | "refuse", "factors": ["token_network"]}]}`.
 * The verifier authenticates as its client (RFC 6749 §2.3) and needs the `revocations:stream`
 * permission: the one every verifier following the revocation stream already has.
 * Answers 202 `{"accepted": n}`; malformed bodies get 400 `invalid_request`.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { TokenUseReport, TokenUseReports } from '../../users/token-use-reports.js';
import { authenticateRequest } from '../plugins/oauth-post.js';

export const RISK_REPORTS_PATH = '/risk/reports';
const PERMISSION = 'revocations:stream';
const MAX_REPORTS = 100;

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
  const reports = (body as { reports?: unknown } | null)?.reports;
  if (!Array.isArray(reports) || reports.length > MAX_REPORTS) {
    throw OAuthError.invalidRequest(
      `The body must be JSON {"reports": [...]} with at most ${MAX_REPORTS} reports`,
    );
  }
  return reports.map((report: unknown) => {
    const { token, action, factors } = (report ?? {}) as Record<string, unknown>;
    if (
      typeof token !== 'string' ||
      token.length > 16_384 ||
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
    const accepted = await deps.reports.accept(client, reportsOf(request.body));
    return reply.code(202).type('application/json; charset=utf-8').send({ accepted });
  });
}
