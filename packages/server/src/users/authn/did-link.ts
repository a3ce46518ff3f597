/**
 * Linking a DID (`did:key`, `did:jwk`, `did:web`; W3C DID Core) to an account on the account page:
 * the page shows a challenge, the person signs it with a key of their DID (a CLI or a wallet makes
 * a compact JWS, RFC 7515) and posts the DID and the JWS.
 *
 * The challenge is a nonce of ours: random, with its expiry, bound by an HMAC (a key derived from
 * the master key) to the account session it was shown to, so a nonce copied into another browser
 * or another person's session is refused; it is consumed once in the shared replay store, so a
 * proof links at most once on any node, and only after every other check passed, so a bad proof
 * cannot burn it. The JWS must:
 * - carry `alg` (an asymmetric one) and `kid`, a verification method of the DID (DID Core §5.2)
 *   that its document lists under `authentication` or `assertionMethod`;
 * - verify with that key (jose);
 * - name Tessera's issuer as `aud`, carry the nonce and an `iat` not in the future (a minute of
 *   skew) nor older than the challenge lifetime; `iss`, `sub` and `exp`, when present, must agree
 *   (the DID, the DID, not passed).
 * A DID belongs to at most one account. Every refusal is audited with its reason.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import {
  ConflictError,
  type LinkedIdentifierStore,
  type ReplayStore,
  type UserRecord,
} from '../../store/ports.js';

const INFO = 'tessera did link nonce v1';
/** How long a challenge stays valid: long enough to copy it into a CLI and paste the proof back. */
export const DID_CHALLENGE_TTL = 600;
const MAX_DID = 2048;
const MAX_JWS = 8192;
/** Asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1); never `none` nor an HMAC. */
const ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'ES256K', 'ES384', 'ES512', 'RS256', 'PS256'];

/** Why a proof was refused: the page says which, in its language; the audit trail too. */
export type DidLinkRefusal =
  | 'malformed_did'
  | 'malformed_proof'
  | 'unresolvable'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_audience'
  | 'bad_nonce'
  | 'expired'
  | 'replayed'
  | 'linked_already';

export class DidLinkRefusedError extends Error {
  constructor(readonly reason: DidLinkRefusal) {
    super(`DID link refused: ${reason}`);
    this.name = 'DidLinkRefusedError';
  }
}

export interface DidLinking {
  /** A fresh challenge for this account session; its expiry (seconds since the epoch). */
  challenge(sessionId: string): { nonce: string; expiresAt: number };
  /** Verifies the proof and links the DID to `user`; throws {@link DidLinkRefusedError}. */
  link(
    user: UserRecord,
    sessionId: string,
    input: { did: string; jws: string },
    context: { ip: string; requestId: string },
  ): Promise<{ did: string }>;
}

/** DIDs of the enabled methods and their keys (oauth/client-resolution/did.ts, `createDidKeyResolver`). */
export interface DidKeys {
  matches(id: string): boolean;
  resolveKeys(did: string): Promise<{ keys: Record<string, unknown>[] } | { refused: string }>;
}

export interface DidLinkingDeps {
  dids: DidKeys;
  store: Pick<ReplayStore, 'markOnce'> & Pick<LinkedIdentifierStore, 'linkIdentifier'>;
  masterKey: Buffer;
  /** The issuer: the proof's `aud`. */
  issuer: string;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  /** Why a DID did not resolve (for the log; the person sees "could not be resolved"). */
  onUnresolved?: (did: string, reason: string) => void;
}

export function createDidLinking(deps: DidLinkingDeps): DidLinking {
  const { clock } = deps;
  const key = Buffer.from(hkdfSync('sha256', deps.masterKey, Buffer.alloc(0), INFO, 32));

  function tag(body: string, sessionId: string): Buffer {
    return createHmac('sha256', key).update(`${body}.${sessionId}`).digest().subarray(0, 16);
  }

  /** The nonce's expiry when it is ours and this session's; undefined otherwise. */
  function openNonce(nonce: unknown, sessionId: string): number | undefined {
    const match =
      typeof nonce === 'string' ? /^([0-9a-f]{24})([0-9a-f]{12})([0-9a-f]{32})$/.exec(nonce) : null;
    if (match === null) {
      return undefined;
    }
    const [, random, expiry, mac] = match as unknown as [string, string, string, string];
    if (!timingSafeEqual(tag(`${random}${expiry}`, sessionId), Buffer.from(mac, 'hex'))) {
      return undefined;
    }
    return Number.parseInt(expiry, 16);
  }

  function refuse(
    reason: DidLinkRefusal,
    user: UserRecord,
    context: { ip: string; requestId: string },
  ): never {
    deps.audit.record({
      type: 'identifier.link_refused',
      actor: user.id,
      subject: user.id,
      data: { method: 'did', reason, ip: context.ip },
      requestId: context.requestId,
    });
    throw new DidLinkRefusedError(reason);
  }

  /** The JWS's `alg` and absolute `kid` (a DID URL of this DID), or undefined when malformed. */
  function headerOf(jws: string, did: string): { alg: string; kid: string } | undefined {
    if (jws.length === 0 || jws.length > MAX_JWS || jws.split('.').length !== 3) {
      return undefined;
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(jws);
    } catch {
      return undefined;
    }
    const { alg, kid } = header;
    if (typeof alg !== 'string' || !ALGORITHMS.includes(alg) || typeof kid !== 'string') {
      return undefined;
    }
    const absolute = kid.startsWith('#') ? `${did}${kid}` : kid;
    return absolute.startsWith(`${did}#`) ? { alg, kid: absolute } : undefined;
  }

  return {
    challenge(sessionId) {
      const random = randomBytes(12).toString('hex');
      const expiresAt = clock.now() + DID_CHALLENGE_TTL;
      const expiry = expiresAt.toString(16).padStart(12, '0');
      return {
        nonce: `${random}${expiry}${tag(`${random}${expiry}`, sessionId).toString('hex')}`,
        expiresAt,
      };
    },

    async link(user, sessionId, input, context) {
      const did = input.did.trim();
      if (did.length > MAX_DID || !deps.dids.matches(did)) {
        return refuse('malformed_did', user, context);
      }
      const header = headerOf(input.jws.trim(), did);
      if (header === undefined) {
        return refuse('malformed_proof', user, context);
      }
      const resolved = await deps.dids.resolveKeys(did);
      if ('refused' in resolved) {
        deps.onUnresolved?.(did.slice(0, 200), resolved.refused);
        return refuse('unresolvable', user, context);
      }
      // DID Core §5.3.1: only a key the document lists for authentication (or assertions) proves it.
      const jwk = resolved.keys.find((candidate) => candidate.kid === header.kid);
      if (jwk === undefined) {
        return refuse('unknown_key', user, context);
      }
      const now = clock.now();
      let payload: Record<string, unknown>;
      try {
        const { kid: _kid, ...publicJwk } = jwk;
        const publicKey = await importJWK(publicJwk as JWK, header.alg);
        ({ payload } = await jwtVerify(input.jws.trim(), publicKey, {
          algorithms: [header.alg],
          currentDate: new Date(now * 1000),
          clockTolerance: 60,
        }));
      } catch (error) {
        const code = (error as { code?: string }).code;
        return refuse(code === 'ERR_JWT_EXPIRED' ? 'expired' : 'bad_signature', user, context);
      }
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!audiences.includes(deps.issuer)) {
        return refuse('wrong_audience', user, context);
      }
      if (
        (payload.iss !== undefined && payload.iss !== did) ||
        (payload.sub !== undefined && payload.sub !== did)
      ) {
        return refuse('malformed_proof', user, context);
      }
      const expiry = openNonce(payload.nonce, sessionId);
      if (expiry === undefined) {
        return refuse('bad_nonce', user, context);
      }
      const iat = payload.iat;
      if (
        expiry <= now ||
        typeof iat !== 'number' ||
        iat > now + 60 ||
        iat < expiry - DID_CHALLENGE_TTL - 60
      ) {
        return refuse('expired', user, context);
      }
      // Last, so a bad proof cannot burn the nonce; on every node.
      if (!(await deps.store.markOnce(`did-link:${String(payload.nonce)}`, expiry, now))) {
        return refuse('replayed', user, context);
      }
      try {
        await deps.store.linkIdentifier({ identifier: did, userId: user.id, method: 'did', createdAt: now });
      } catch (error) {
        if (error instanceof ConflictError) {
          return refuse('linked_already', user, context);
        }
        throw error;
      }
      deps.audit.record({
        type: 'identifier.linked',
        actor: user.id,
        subject: user.id,
        data: { method: 'did', identifier: did },
        requestId: context.requestId,
      });
      return { did };
    },
  };
}
