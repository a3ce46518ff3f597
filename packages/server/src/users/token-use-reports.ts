/**
 * What Tessera does with a verifier's token-use reports (continuous authentication, docs/risk.md).
 *
 * Two kinds arrive in one batch:
 * - **reports**: a use the verifier's own check flagged or refused. A `refuse` (the token was used
 *   from another network or client than its issuance context) ends the token's login session,
 *   which revokes its refresh tokens and, through the revocation stream, every access token of the
 *   session at every verifier; a `flag` is written to the audit log. A report must carry the token
 *   itself, valid (a JWT signed by Tessera, or an opaque token found by its hash and active), with
 *   an issuance context (`tctx`) and a session (`sid`), and addressed to one of the reporting
 *   client's audiences.
 * - **uses**: compact facts about every use of a session's token (time, a network digest salted
 *   per session, the endpoint, the `sid` and `jti`; no token, no address). Tessera scores each
 *   session's stream with `@tessera/risk`'s session usage scorer (rate above the session's own,
 *   endpoint mix, new network, interleaved use from two networks) and acts by the default policy:
 *   `flag` → audit; `step_up` → an OpenID CAEP `assurance-level-change` for the session on the
 *   revocation stream (its tokens below `stepUpAcr` get an RFC 9470 challenge at every verifier);
 *   `end` → the session ends, as for a refusal. Uses of a session that is not live are ignored.
 */
import { type AccessTokenClaims, assuranceTargetValue, type RevocationTarget } from '@tessera/protocol';
import { createSessionUsageScorer, defaultSessionUsagePolicy, type SessionUse } from '@tessera/risk';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { ClientRecord, SessionStore } from '../store/ports.js';
import type { RevocationDenylist } from '../tokens/revocations.js';
import type { SessionService } from './session-service.js';

export interface TokenUseReport {
  token: string;
  action: 'flag' | 'refuse';
  factors: string[];
}

/** One use of a session's token as a verifier saw it (`at` in milliseconds since the epoch). */
export interface ReportedUse {
  sid: string;
  jti: string | undefined;
  at: number;
  network: string;
  endpoint: string;
}

/** The opaque-token introspector's shape (oauth/introspection.ts), without importing oauth/. */
export interface OpaqueTokenLookup {
  accepts(token: string): boolean;
  introspect(token: string, caller: ClientRecord): Promise<{ active: boolean; [member: string]: unknown }>;
}

export interface TokenUseReportsDeps {
  verifyAccessToken(token: string): Promise<AccessTokenClaims | undefined>;
  /** Opaque access tokens: looked up by their hash, answered as introspection would (RFC 7662 §2.2). */
  opaque: OpaqueTokenLookup;
  sessions: Pick<SessionService, 'end'>;
  store: Pick<SessionStore, 'findSession'>;
  revocations: Pick<RevocationDenylist, 'revoke' | 'hasTarget'>;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  /** The `acr` a session must reach again after a step-up decision. */
  stepUpAcr: string;
  /** Seconds an assurance event stays in force (the longest access-token lifetime). */
  maxAccessTokenTtl: number;
  /** Sessions whose usage is remembered (bounded memory). */
  maxSessions?: number;
}

export interface TokenUseReports {
  /** Acts on each report and use; returns how many were accepted (the others are ignored). */
  accept(
    reporter: ClientRecord,
    reports: readonly TokenUseReport[],
    uses?: readonly ReportedUse[],
  ): Promise<number>;
}

export function createTokenUseReports(deps: TokenUseReportsDeps): TokenUseReports {
  const scorer = createSessionUsageScorer({ maxSessions: deps.maxSessions ?? 100_000 });

  async function claimsOf(token: string, reporter: ClientRecord): Promise<AccessTokenClaims | undefined> {
    if (!deps.opaque.accepts(token)) {
      return deps.verifyAccessToken(token);
    }
    const { active, ...claims } = await deps.opaque.introspect(token, reporter);
    return active ? (claims as AccessTokenClaims) : undefined;
  }

  async function acceptReport(reporter: ClientRecord, report: TokenUseReport) {
    const claims = await claimsOf(report.token, reporter);
    const audiences = typeof claims?.aud === 'string' ? [claims.aud] : (claims?.aud ?? []);
    if (
      claims === undefined ||
      typeof claims.sid !== 'string' ||
      typeof claims.tctx !== 'string' ||
      !audiences.some((aud) => reporter.audiences.includes(aud))
    ) {
      return false;
    }
    deps.audit.record({
      type: report.action === 'refuse' ? 'risk.token_use_refused' : 'risk.token_use_flagged',
      actor: reporter.id,
      subject: claims.sid,
      data: { userId: claims.sub, clientId: claims.client_id, jti: claims.jti, factors: report.factors },
    });
    if (report.action === 'refuse') {
      scorer.forget(claims.sid);
      await deps.sessions.end({ id: claims.sid }, reporter.id);
    }
    return true;
  }

  async function acceptUse(reporter: { id: string }, use: ReportedUse) {
    const now = deps.clock.now();
    const session = await deps.store.findSession(use.sid);
    if (session === undefined || session.expiresAt <= now) {
      return false;
    }
    // A verifier's clock may run ahead: never score a use as later than now.
    const scored: SessionUse = {
      session: use.sid,
      at: Math.min(use.at, deps.clock.nowMs()),
      network: use.network,
      endpoint: use.endpoint,
    };
    const assessment = scorer.observe(scored);
    const action = defaultSessionUsagePolicy(assessment);
    if (action === 'allow') {
      return true;
    }
    const factors = assessment.factors.map((f) => f.name);
    deps.audit.record({
      type: `risk.session_usage_${action === 'flag' ? 'flagged' : action === 'end' ? 'ended' : 'stepped_up'}`,
      actor: reporter.id,
      subject: use.sid,
      data: { userId: session.userId, jti: use.jti, score: assessment.score, factors },
    });
    if (action === 'end') {
      scorer.forget(use.sid);
      await deps.sessions.end({ id: use.sid }, reporter.id);
    } else if (action === 'step_up') {
      const target: RevocationTarget = {
        type: 'assurance',
        value: assuranceTargetValue(use.sid, deps.stepUpAcr),
      };
      if (!deps.revocations.hasTarget(target)) {
        await deps.revocations.revoke(target, now + deps.maxAccessTokenTtl);
      }
    }
    return true;
  }

  return {
    async accept(reporter, reports, uses = []) {
      let accepted = 0;
      for (const report of reports) {
        accepted += (await acceptReport(reporter, report)) ? 1 : 0;
      }
      for (const use of uses) {
        accepted += (await acceptUse(reporter, use)) ? 1 : 0;
      }
      return accepted;
    },
  };
}
