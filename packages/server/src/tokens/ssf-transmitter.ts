/**
 * The Shared Signals Framework transmitter (OpenID SSF 1.0): Tessera's CAEP-style revocation
 * events as Security Event Tokens (RFC 8417) on one stream per receiver, delivered by RFC 8936 poll.
 *
 * - `queue` runs for each revocation this node records (before it is published, so a long poll
 *   woken by the publication finds the SET): a CAEP event (events/ssf-events.ts) is queued on every
 *   stream that exists then, with a `jti` of its own per stream, until acknowledged or until
 *   `retention` seconds have passed. A stream created later sees only later events.
 * - `poll` first removes what the receiver acknowledged (`ack`) or reported failing (`setErrs`:
 *   RFC 8936 §2.2, a SET reported in error is not sent again), then returns up to `maxEvents`
 *   pending SETs. Each SET is signed as it is returned, with the keyring's current key (as access
 *   tokens are), so a SET held longer than a key is published still verifies against the JWKS.
 *   Its header is `typ: secevent+jwt` (RFC 8417 §2.3); its claims are `iss`, `iat` (when queued),
 *   `jti`, `aud` (the receiver's client id), `txn`, `sub_id` and `events`, never `sub` or `exp`
 *   (SSF 1.0 §4.1.2, §4.1.5).
 */
import type { RevocationEvent } from '@tessera/protocol';
import type { Clock } from '../clock.js';
import { isCaepRevocation, type SecurityEventClaims, toSecurityEvent } from '../events/ssf-events.js';
import { newId } from '../ids.js';
import type { Keyring } from '../keys/keyring.js';
import type { SigningAlgorithm, SsfStore, SsfStreamRecord } from '../store/ports.js';
import { createCompactJwsSigner } from './compact-jws.js';

/** RFC 8936 §2.2 request members, parsed. */
export interface SsfPollRequest {
  ack: readonly string[];
  /** jti → RFC 8936 §2.2 / RFC 8935 §2.3 error (`err`, `description`). */
  setErrs: ReadonlyMap<string, { err: string; description: string | undefined }>;
  maxEvents: number;
}

/** RFC 8936 §2.3 response body. */
export interface SsfPollResponse {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

export interface SsfTransmitter {
  /** Queues a CAEP event's SET on every stream; does nothing for other revocations. */
  queue(event: RevocationEvent): Promise<void>;
  /** The client's stream, created on its first use. */
  stream(clientId: string): Promise<SsfStreamRecord>;
  /** Applies the acknowledgements, then returns up to `maxEvents` signed pending SETs. */
  poll(stream: SsfStreamRecord, request: SsfPollRequest): Promise<SsfPollResponse>;
}

export interface SsfTransmitterDeps {
  issuer: string;
  store: Pick<SsfStore, 'ensureSsfStream' | 'listSsfStreamIds' | 'queueSets' | 'pendingSets' | 'removeSets'>;
  keyring: Pick<Keyring, 'current'>;
  algorithm: SigningAlgorithm;
  clock: Clock;
  /** Seconds an unacknowledged SET is kept (the retention bound). */
  retention: number;
  /** Told of each SET a receiver reported it could not process (logging; never the SET itself). */
  onSetError?: (report: { clientId: string; jti: string; err: string }) => void;
}

export function createSsfTransmitter(deps: SsfTransmitterDeps): SsfTransmitter {
  const signCompact = createCompactJwsSigner('secevent+jwt');

  return {
    async queue(event) {
      if (!isCaepRevocation(event)) {
        return;
      }
      const claims = toSecurityEvent(event, deps.issuer);
      if (claims === undefined) {
        return;
      }
      const streamIds = await deps.store.listSsfStreamIds();
      if (streamIds.length === 0) {
        return;
      }
      const now = deps.clock.now();
      const payload = JSON.stringify({ ...claims, iat: now });
      await deps.store.queueSets(
        streamIds.map((streamId) => ({
          streamId,
          jti: newId('jti'),
          payload,
          createdAt: now,
          expiresAt: now + deps.retention,
        })),
      );
    },

    stream(clientId) {
      return deps.store.ensureSsfStream(clientId, newId('ssf'), deps.clock.now());
    },

    async poll(stream, request) {
      const done = [...new Set([...request.ack, ...request.setErrs.keys()])];
      await deps.store.removeSets(stream.id, done);
      for (const [jti, { err }] of request.setErrs) {
        deps.onSetError?.({ clientId: stream.clientId, jti, err });
      }
      const { sets, more } = await deps.store.pendingSets(stream.id, deps.clock.now(), request.maxEvents);
      const key = deps.keyring.current(deps.algorithm);
      const out: Record<string, string> = {};
      for (const set of sets) {
        const claims = JSON.parse(set.payload) as SecurityEventClaims & { iat: number };
        // RFC 8417 §2.2: iss, iat, jti, aud; the stored claims never hold jti or aud.
        out[set.jti] = signCompact(key, {
          iss: claims.iss,
          iat: claims.iat,
          jti: set.jti,
          aud: stream.clientId,
          txn: claims.txn,
          sub_id: claims.sub_id,
          events: claims.events,
        });
      }
      return { sets: out, moreAvailable: more };
    },
  };
}
