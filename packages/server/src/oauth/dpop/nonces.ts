/**
 * Server-provided DPoP nonces (RFC 9449 §8): an HMAC of the current time slot under a key derived
 * from the master key. Every node computes the same value without shared state, the value rotates
 * each slot, and a nonce of the current or previous slot is accepted, so a client holding one is
 * never refused for a slot change it could not see.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock.js';

const INFO = Buffer.from('tessera dpop nonce v1');

export interface DpopNonces {
  /** The nonce to hand out now (`DPoP-Nonce` response header). */
  current(): string;
  accepts(nonce: string): boolean;
}

export function createDpopNonces(deps: { masterKey: Buffer; clock: Clock; lifetime: number }): DpopNonces {
  const key = Buffer.from(hkdfSync('sha256', deps.masterKey, Buffer.alloc(0), INFO, 32));
  const slotLength = Math.max(1, deps.lifetime);

  function nonceOf(slot: number): string {
    return createHmac('sha256', key).update(String(slot)).digest('base64url');
  }
  function slotNow(): number {
    return Math.floor(deps.clock.now() / slotLength);
  }

  return {
    current: () => nonceOf(slotNow()),
    accepts(nonce) {
      const presented = Buffer.from(nonce);
      const slot = slotNow();
      return [slot, slot - 1].some((candidate) => {
        const expected = Buffer.from(nonceOf(candidate));
        return expected.length === presented.length && timingSafeEqual(expected, presented);
      });
    },
  };
}
