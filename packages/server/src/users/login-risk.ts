/**
 * Risk-based sign-in, first step: when `risk.enabled`, every session start (password or
 * passkey sign-in) is scored by `@tessera/risk` from the address, the User-Agent, the time and the
 * person's earlier sign-ins, and the decision (`allow` or `step_up` past `risk.stepUpScore`) is
 * written to the audit log with the top three factors. The decision is recorded, not yet enforced:
 * the login pages do not ask for a step-up from it. No geo database is wired in, so the engine sees
 * the address and its /24 but no ASN or country (docs/risk.md).
 *
 * Every completed sign-in joins the person's history: until step-up is enforced, an attacker who
 * signs in successfully is learned as well.
 */
import { createRiskEngine, type RiskEngine, type RiskEvent } from '@tessera/risk';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { SessionService } from './session-service.js';

export interface LoginRiskDeps {
  audit: Pick<AuditLog, 'record'>;
  clock: Pick<Clock, 'now'>;
  /** Scores above this are recorded as `step_up`. */
  stepUpScore: number;
  engine?: RiskEngine;
}

/** The same session service, with each start scored and audited. */
export function withLoginRisk(sessions: SessionService, deps: LoginRiskDeps): SessionService {
  const engine = deps.engine ?? createRiskEngine();
  return {
    ...sessions,
    async start(user, meta) {
      const event: RiskEvent = {
        'User ID': user.id,
        'IP Address': meta.ip ?? undefined,
        'User Agent String': meta.userAgent ?? undefined,
        'Event Type': 'login',
        'Epoch ms': deps.clock.now() * 1000,
      };
      const { score, factors } = engine.assess(event);
      const started = await sessions.start(user, meta);
      deps.audit.record({
        type: 'login.risk_assessed',
        actor: user.id,
        subject: started.session.id,
        data: {
          score: Math.round(score * 100) / 100,
          decision: score > deps.stepUpScore ? 'step_up' : 'allow',
          enforced: false,
          factors: factors.slice(0, 3).map((f) => ({ name: f.name, value: Math.round(f.value * 100) / 100 })),
        },
      });
      const learned = { ...event, 'Session ID': started.session.id, 'Login Successful': true };
      engine.observe(learned);
      engine.learn(learned);
      return started;
    },
  };
}
