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
 * - **proofs**: a use names a session but carries no token, so the batch must prove each session its
 *   uses name with one access token of it (`proofs`, keyed by `sid`), checked exactly like a
 *   report's token. Without a proof a client allowed to report that learnt a `sid` (it is in ID and
 *   access tokens) could end or step up someone else's session with invented uses. Uses of an
 *   unproven session are ignored, and audited once per batch. Nothing is remembered between
 *   batches, so any node can take any batch.
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

/** An access-token introspector's shape (oauth/introspection.ts), without importing oauth/. */
export interface AccessTokenLookup {
  accepts(token: string): boolean;
  introspect(token: string, caller: ClientRecord): Promise<{ active: boolean; [member: string]: unknown }>;
}

export interface TokenUseReportsDeps {
  /**
   * Tessera's access-token introspectors (JWT, opaque): a token counts only when one of them
   * answers it active (RFC 7662 §2.2: signature or lookup by hash, not expired, not revoked, its
   * client enabled).
   */
  accessTokens: readonly AccessTokenLookup[];
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

/** One batch of `POST /risk/reports`. */
export interface TokenUseBatch {
  reports: readonly TokenUseReport[];
  uses: readonly ReportedUse[];
  /** Per `sid`: one access token of that session the verifier saw (the proof its uses are real). */
  proofs: ReadonlyMap<string, string>;
}

export interface TokenUseReports {
  /** Acts on each report and proven use; returns how many were accepted (the others are ignored). */
  accept(reporter: ClientRecord, batch: TokenUseBatch): Promise<number>;
}

export function createTokenUseReports(deps: TokenUseReportsDeps): TokenUseReports {
  const scorer = createSessionUsageScorer({ maxSessions: deps.maxSessions ?? 100_000 });

  /**
   * The claims of a session's access token the reporter may speak for: active (as introspection
   * would answer it), with a session (`sid`) and an issuance context (`tctx`), and addressed to one
   * of the reporter's audiences. Undefined for anything else. Reports and proofs both pass here.
   */
  async function sessionTokenClaims(
    token: string,
    reporter: ClientRecord,
  ): Promise<(AccessTokenClaims & { sid: string }) | undefined> {
    const lookup = deps.accessTokens.find((candidate) => candidate.accepts(token));
    if (lookup === undefined) {
      return undefined;
    }
    const { active, ...answer } = await lookup.introspect(token, reporter);
    const claims = answer as AccessTokenClaims;
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
    if (
      !active ||
      typeof claims.sid !== 'string' ||
      typeof claims.tctx !== 'string' ||
      !audiences.some((aud) => reporter.audiences.includes(aud))
    ) {
      return undefined;
    }
    return claims as AccessTokenClaims & { sid: string };
  }

  /** The sessions the batch's uses name that its proofs prove (each proof checked once). */
  async function provenSessions(reporter: ClientRecord, batch: TokenUseBatch): Promise<Set<string>> {
    const proven = new Set<string>();
    for (const sid of new Set(batch.uses.map((use) => use.sid))) {
      const proof = batch.proofs.get(sid);
      if (proof !== undefined && (await sessionTokenClaims(proof, reporter))?.sid === sid) {
        proven.add(sid);
      }
    }
    return proven;
  }

  async function acceptReport(reporter: ClientRecord, report: TokenUseReport) {
    const claims = await sessionTokenClaims(report.token, reporter);
    if (claims === undefined) {
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

  /** One audit event per batch for the uses whose session was not proven (never the tokens). */
  function recordUnproven(reporter: ClientRecord, unproven: readonly ReportedUse[]) {
    if (unproven.length > 0) {
      deps.audit.record({
        type: 'risk.session_usage_unproven',
        actor: reporter.id,
        subject: null,
        data: { uses: unproven.length, sessions: new Set(unproven.map((use) => use.sid)).size },
      });
    }
  }

  return {
    async accept(reporter, batch) {
      // Every proof is checked before anything is acted on.
      const proven = await provenSessions(reporter, batch);
      let accepted = 0;
      for (const report of batch.reports) {
        accepted += (await acceptReport(reporter, report)) ? 1 : 0;
      }
      recordUnproven(
        reporter,
        batch.uses.filter((use) => !proven.has(use.sid)),
      );
      for (const use of batch.uses) {
        if (proven.has(use.sid)) {
          accepted += (await acceptUse(reporter, use)) ? 1 : 0;
        }
      }
      return accepted;
    },
  };
}
