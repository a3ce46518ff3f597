/**
 * What Tessera does with a verifier's token-use reports (continuous authentication, docs/risk.md):
 * a `refuse` (the token was used from another network or client than its issuance context) ends
 * the token's login session, which revokes its refresh tokens and, through the revocation stream,
 * every access token of the session at every verifier; a `flag` is written to the audit log.
 *
 * A report must carry the token itself, valid and signed by Tessera, with an issuance context
 * (`tctx`) and a session (`sid`), and addressed to one of the reporting client's audiences: only an
 * API the token was meant for, and that saw it, can end its session.
 */
import type { AccessTokenClaims } from '@tessera/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { SessionService } from './session-service.js';

export interface TokenUseReport {
  token: string;
  action: 'flag' | 'refuse';
  factors: string[];
}

export interface TokenUseReportsDeps {
  verifyAccessToken(token: string): Promise<AccessTokenClaims | undefined>;
  sessions: Pick<SessionService, 'end'>;
  audit: Pick<AuditLog, 'record'>;
}

export interface TokenUseReports {
  /** Acts on each report; returns how many were accepted (the others are ignored). */
  accept(
    reporter: { id: string; audiences: readonly string[] },
    reports: readonly TokenUseReport[],
  ): Promise<number>;
}

export function createTokenUseReports(deps: TokenUseReportsDeps): TokenUseReports {
  return {
    async accept(reporter, reports) {
      let accepted = 0;
      for (const report of reports) {
        const claims = await deps.verifyAccessToken(report.token);
        const audiences = typeof claims?.aud === 'string' ? [claims.aud] : (claims?.aud ?? []);
        if (
          claims === undefined ||
          typeof claims.sid !== 'string' ||
          typeof claims.tctx !== 'string' ||
          !audiences.some((aud) => reporter.audiences.includes(aud))
        ) {
          continue;
        }
        accepted += 1;
        deps.audit.record({
          type: report.action === 'refuse' ? 'risk.token_use_refused' : 'risk.token_use_flagged',
          actor: reporter.id,
          subject: claims.sid,
          data: { userId: claims.sub, clientId: claims.client_id, jti: claims.jti, factors: report.factors },
        });
        if (report.action === 'refuse') {
          await deps.sessions.end({ id: claims.sid }, reporter.id);
        }
      }
      return accepted;
    },
  };
}
