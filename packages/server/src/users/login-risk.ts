/**
 * Risk-based sign-in (docs/risk.md): when `risk.enabled`, every sign-in is scored by `@tessera/risk`
 * from the address, the User-Agent, the time and the person's earlier sign-ins **before** a session
 * is granted. The score maps through the policy to `allow`, `step_up` (above `risk.stepUpScore`: the
 * sign-in must include a second factor, a passkey or TOTP) or `deny` (above `risk.denyScore`).
 * Each decision is audited as `risk.decision` with the score and its top three factors (and the
 * `device` factor whenever the sign-in had one).
 *
 * Only a completed sign-in (after its step-up) joins the person's history ({@link LoginRisk.learn});
 * failed password attempts feed the velocity factors ({@link LoginRisk.failed}; summed across nodes
 * through the store with the global tables). Each learned sign-in is audited as `risk.learned`, so
 * the histories can be rebuilt from the audit log (`tessera risk retrain`, risk-retrain.ts). With a
 * {@link RiskState} the history is read from the store before scoring and written back after
 * learning, so every node scores alike (risk-state.ts).
 *
 * With {@link LoginRiskDeps.devices} (`risk.deviceCookie`) a sign-in that brings the browser's
 * verified device id is scored with it as `Device ID` (the `device` factor: a device the person
 * signed in on before, or one never seen), always as the per-person keyed digest of it
 * (device-ids.ts): the raw id goes into neither the audit log nor the store.
 */
import {
  createRiskEngine,
  type GeoLookup,
  type GeoRecord,
  noGeo,
  type RiskEngine,
  type RiskEvent,
} from '@tessera/risk';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { ACR_MFA, acrFor, acrLevel } from './authn/context.js';
import type { DeviceIds } from './device-ids.js';
import type { RiskState } from './risk-state.js';

export type RiskDecision = 'allow' | 'step_up' | 'deny';

/** What the sign-in came with. */
export interface SignInContext {
  ip: string | null;
  userAgent: string | null;
  /** RFC 8176 methods used so far in this sign-in. */
  amr: readonly string[];
  requestId?: string;
  /** The browser's verified device id (its device cookie's), when `risk.deviceCookie` is on. */
  deviceId?: string;
}

/** The audit event of every decision. */
export const RISK_DECISION_EVENT = 'risk.decision';
/**
 * The audit event of every sign-in that joined a history: what `learn` was given (the address, the
 * User-Agent and the place as looked up then), so `tessera risk retrain` can replay it (risk-retrain.ts).
 */
export const RISK_LEARNED_EVENT = 'risk.learned';

/** `risk.learned`'s data: the engine's input for one completed sign-in, less the person and the time. */
export type RiskLearnedData = {
  ip: string | null;
  userAgent: string | null;
  asn?: string | number;
  country?: string;
  region?: string;
  city?: string;
  latitude?: number | string;
  longitude?: number | string;
  /** The device's per-person digest (`Device ID`), never the cookie's id. */
  device?: string;
};

function learnedData(event: RiskEvent): RiskLearnedData {
  return {
    ip: event['IP Address'] ?? null,
    userAgent: event['User Agent String'] ?? null,
    ...(event.ASN === undefined ? {} : { asn: event.ASN }),
    ...(event.Country === undefined ? {} : { country: event.Country }),
    ...(event.Region === undefined ? {} : { region: event.Region }),
    ...(event.City === undefined ? {} : { city: event.City }),
    ...(event.Latitude === undefined || event.Longitude === undefined
      ? {}
      : { latitude: event.Latitude, longitude: event.Longitude }),
    ...(event['Device ID'] === undefined ? {} : { device: event['Device ID'] }),
  };
}

/**
 * What the sign-in flow does with a decision:
 * - `proceed`: grant the session;
 * - `second_factor`: ask for the person's passkey or TOTP first;
 * - `no_second_factor`: a step-up is due and the person has neither: refuse, and say why;
 * - `deny`: refuse.
 */
export type RiskOutcome = 'proceed' | 'second_factor' | 'no_second_factor' | 'deny';

export interface LoginRisk {
  /**
   * Scores the sign-in, decides, audits the decision (with `outcome`) and returns what to do.
   * `hasSecondFactor`: the person has a passkey or TOTP to step up with.
   */
  check(
    user: { id: string },
    context: SignInContext & { hasSecondFactor: boolean },
  ): Promise<{ decision: RiskDecision; outcome: RiskOutcome; score: number }>;
  /** A completed sign-in (after any step-up): it joins the person's history. */
  learn(user: { id: string }, context: SignInContext, sessionId: string): Promise<void>;
  /** A failed sign-in attempt (wrong password): counted for velocity, learned from never. */
  failed(context: Omit<SignInContext, 'amr'>, userId: string | undefined): void;
  /** `risk.secondFactor`: `always` asks people with a factor for it at every password sign-in. */
  readonly secondFactor: 'always' | 'on_risk';
  /** `risk.deviceCookie`: the device ids the login pages set and read (absent: off). */
  readonly devices?: DeviceIds;
}

export interface LoginRiskDeps {
  audit: Pick<AuditLog, 'record'>;
  clock: Pick<Clock, 'now'>;
  /** Scores above this need a step-up. */
  stepUpScore: number;
  /** Scores above this are refused. */
  denyScore: number;
  secondFactor: 'always' | 'on_risk';
  /** IP → ASN, country, region, city (users/geo-database.ts); none: scored without them. */
  geo?: GeoLookup;
  engine?: RiskEngine;
  /** The engine's state in the store (built over `engine`); none: in this process only. */
  state?: RiskState;
  /** Told each decision: the usage counters. */
  onDecision?: (decision: RiskDecision) => void;
  /** `risk.deviceCookie`: device ids (users/device-ids.ts); absent, sign-ins carry no `Device ID`. */
  devices?: DeviceIds;
}

/** The sign-in's methods already include a second factor (level `mfa` or phishing-resistant). */
export function steppedUp(amr: readonly string[]): boolean {
  return acrLevel(acrFor(amr)) >= acrLevel(ACR_MFA);
}

/** The RBA columns of a geo record (absent fields stay absent). */
function placeOf(record: GeoRecord): Partial<RiskEvent> {
  return {
    ...(record.asn === undefined ? {} : { ASN: record.asn }),
    ...(record.country === undefined ? {} : { Country: record.country }),
    ...(record.region === undefined ? {} : { Region: record.region }),
    ...(record.city === undefined ? {} : { City: record.city }),
    ...(record.latitude === undefined || record.longitude === undefined
      ? {}
      : { Latitude: record.latitude, Longitude: record.longitude }),
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

/** The audited factors: the top three, and the `device` factor whenever the sign-in had one. */
function auditedFactors(
  factors: readonly { name: string; value: number }[],
): { name: string; value: number }[] {
  const top = factors.slice(0, 3);
  const device = factors.find((factor) => factor.name === 'device');
  const audited = device === undefined || top.includes(device) ? top : [...top, device];
  return audited.map((f) => ({ name: f.name, value: round(f.value) }));
}

export function createLoginRisk(deps: LoginRiskDeps): LoginRisk {
  const engine = deps.engine ?? createRiskEngine();
  const geo = deps.geo ?? noGeo;
  const { devices } = deps;
  const eventOf = (userId: string | undefined, context: Omit<SignInContext, 'amr'>): RiskEvent => ({
    ...(userId === undefined ? {} : { 'User ID': userId }),
    ...(devices === undefined || userId === undefined || context.deviceId === undefined
      ? {}
      : { 'Device ID': devices.digest(userId, context.deviceId) }),
    ...placeOf(context.ip === null ? {} : geo.lookup(context.ip)),
    'IP Address': context.ip ?? undefined,
    'User Agent String': context.userAgent ?? undefined,
    'Event Type': 'login',
    'Epoch ms': deps.clock.now() * 1000,
  });

  function decide(score: number): RiskDecision {
    if (score > deps.denyScore) {
      return 'deny';
    }
    return score > deps.stepUpScore ? 'step_up' : 'allow';
  }

  function outcomeOf(
    decision: RiskDecision,
    context: { amr: readonly string[]; hasSecondFactor: boolean },
  ): RiskOutcome {
    if (decision === 'deny') {
      return 'deny';
    }
    if (decision === 'allow' || steppedUp(context.amr)) {
      return 'proceed';
    }
    return context.hasSecondFactor ? 'second_factor' : 'no_second_factor';
  }

  return {
    secondFactor: deps.secondFactor,
    ...(devices === undefined ? {} : { devices }),
    async check(user, context) {
      await deps.state?.load(user.id);
      const { score, factors } = engine.assess(eventOf(user.id, context));
      const decision = decide(score);
      const outcome = outcomeOf(decision, context);
      deps.audit.record({
        type: RISK_DECISION_EVENT,
        actor: user.id,
        subject: user.id,
        data: {
          score: round(score),
          decision,
          outcome,
          amr: [...context.amr],
          ip: context.ip,
          factors: auditedFactors(factors),
        },
        requestId: context.requestId ?? null,
      });
      deps.onDecision?.(decision);
      return { decision, outcome, score };
    },
    async learn(user, context, sessionId) {
      const event = {
        ...eventOf(user.id, context),
        'User ID': user.id,
        'Session ID': sessionId,
        'Login Successful': true,
      };
      engine.observe(event);
      deps.audit.record({
        type: RISK_LEARNED_EVENT,
        actor: user.id,
        subject: user.id,
        data: learnedData(event),
        requestId: context.requestId ?? null,
      });
      if (deps.state === undefined) {
        engine.learn(event);
      } else {
        await deps.state.learn(event);
      }
    },
    failed(context, userId) {
      engine.observe({ ...eventOf(userId, context), 'Login Successful': false });
    },
  };
}
