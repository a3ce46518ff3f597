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
 *   unproven session are ignored, and audited once per batch.
 *
 * A session's usage state lives in the store (session-usage-state.ts), not in this node: any node
 * can take any batch and scores it on the uses every node received. A store that fails answers the
 * batch 503 (`temporarily_unavailable`), so the verifier sends it again; nothing is dropped.
 */
import {
  type AccessTokenClaims,
  assuranceTargetValue,
  OAuthError,
  type RevocationTarget,
} from '@tessera/protocol';
import type { SessionUsageAction } from '@tessera/risk';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { ClientRecord, SessionRecord, SessionStore, SessionUsageStore } from '../store/ports.js';
import type { RevocationDenylist } from '../tokens/revocations.js';
import type { SessionService } from './session-service.js';
import { createSessionUsageState, type GroupUse, type ScoredUse } from './session-usage-state.js';

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
  /** The answer, or a promise of it (an introspector answers from memory without one). */
  introspect(
    token: string,
    caller: ClientRecord,
  ): { active: boolean; [member: string]: unknown } | Promise<{ active: boolean; [member: string]: unknown }>;
}

export interface TokenUseReportsDeps {
  /**
   * Tessera's access-token introspectors (JWT, opaque): a token counts only when one of them
   * answers it active (RFC 7662 §2.2: signature or lookup by hash, not expired, not revoked, its
   * client enabled).
   */
  accessTokens: readonly AccessTokenLookup[];
  sessions: Pick<SessionService, 'end'>;
  store: Pick<SessionStore, 'findSession'> & SessionUsageStore;
  revocations: Pick<RevocationDenylist, 'revoke' | 'hasTarget'>;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  /** The `acr` a session must reach again after a step-up decision. */
  stepUpAcr: string;
  /** Seconds an assurance event stays in force (the longest access-token lifetime). */
  maxAccessTokenTtl: number;
  /** A session's absolute lifetime, seconds (`login.sessionMaxAge`): its usage state is kept as long. */
  sessionMaxAge: number;
  log: { warn(details: object, message: string): void };
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

/** What a 503 answer asks the verifier to wait before sending the batch again. */
const RETRY_AFTER_SECONDS = 2;

export function createTokenUseReports(deps: TokenUseReportsDeps): TokenUseReports {
  const usage = createSessionUsageState({ store: deps.store, log: deps.log });

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
      await deps.sessions.end({ id: claims.sid }, reporter.id);
    }
    return true;
  }

  /** Audits one scored use by its action (nothing for `allow`). */
  function auditUse(reporter: { id: string }, sid: string, session: SessionRecord, scored: ScoredUse) {
    if (scored.action === 'allow') {
      return;
    }
    const { action, assessment } = scored;
    deps.audit.record({
      type: `risk.session_usage_${action === 'flag' ? 'flagged' : action === 'end' ? 'ended' : 'stepped_up'}`,
      actor: reporter.id,
      subject: sid,
      data: {
        userId: session.userId,
        jti: scored.use.jti,
        score: assessment.score,
        factors: assessment.factors.map((f) => f.name),
      },
    });
  }

  /** Ends the session or demands a step-up for it; both may be taken again (a batch sent twice). */
  async function act(reporter: { id: string }, sid: string, action: SessionUsageAction) {
    if (action === 'end') {
      await deps.sessions.end({ id: sid }, reporter.id);
    } else if (action === 'step_up') {
      const target: RevocationTarget = {
        type: 'assurance',
        value: assuranceTargetValue(sid, deps.stepUpAcr),
      };
      if (!deps.revocations.hasTarget(target)) {
        await deps.revocations.revoke(target, deps.clock.now() + deps.maxAccessTokenTtl);
      }
    }
  }

  /**
   * Scores each live session's uses on its stored state and acts on them; returns the uses
   * accepted. Uses of a session that is not live are ignored.
   */
  async function acceptUses(reporter: { id: string }, uses: readonly ReportedUse[]): Promise<number> {
    const groups = new Map<string, ReportedUse[]>();
    for (const use of uses) {
      const group = groups.get(use.sid);
      if (group === undefined) {
        groups.set(use.sid, [use]);
      } else {
        group.push(use);
      }
    }
    const now = deps.clock.now();
    const live = new Map<string, SessionRecord>();
    for (const sid of groups.keys()) {
      const session = await deps.store.findSession(sid);
      if (session !== undefined && session.expiresAt > now) {
        live.set(sid, session);
      }
    }
    const records = await usage.load([...live.keys()]);
    let accepted = 0;
    for (const [sid, session] of live) {
      // A verifier's clock may run ahead: never score a use as later than now.
      const group: GroupUse[] = (groups.get(sid) ?? []).map((use) => ({
        jti: use.jti,
        reportedAt: use.at,
        at: Math.min(use.at, deps.clock.nowMs()),
        network: use.network,
        endpoint: use.endpoint,
      }));
      const outcome = await usage.score(
        sid,
        group,
        records.get(sid),
        session.createdAt + deps.sessionMaxAge,
        now,
      );
      if (outcome.kind === 'replayed') {
        accepted += group.length;
        await act(reporter, sid, outcome.action);
        continue;
      }
      accepted += outcome.uses.length;
      for (const scored of outcome.uses) {
        auditUse(reporter, sid, session, scored);
      }
      const actions = new Set(outcome.uses.map((scored) => scored.action));
      await act(reporter, sid, actions.has('end') ? 'end' : actions.has('step_up') ? 'step_up' : 'allow');
    }
    return accepted;
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
      try {
        accepted += await acceptUses(
          reporter,
          batch.uses.filter((use) => proven.has(use.sid)),
        );
      } catch (error) {
        // Nothing dropped: the verifier sends a batch answered 503 again (a group already scored
        // is recognised and not counted twice).
        throw OAuthError.temporarilyUnavailable('The token uses could not be scored now; retry later', {
          cause: error,
          retryAfter: RETRY_AFTER_SECONDS,
        });
      }
      return accepted;
    },
  };
}
