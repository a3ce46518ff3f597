/**
 * The verification ticket: after a person typed a valid user code on `/device`, which request they
 * are confirming travels sealed (AES-256-GCM under a key derived from the master key) in the
 * confirmation page's URL and form, bound to the browser that typed the code (the hash of its CSRF
 * cookie) and short-lived. A link with a ticket is worthless in another browser, so the code must
 * be typed (or a `verification_uri_complete` confirmed) where it is approved (RFC 8628 §5.4).
 */
import { hkdfSync, timingSafeEqual } from 'node:crypto';
import { seal, UnsealError, unseal } from '../../keys/seal.js';
import { hashBrowserSecret } from '../authorize/interaction.js';

export interface VerificationTicket {
  /** The device authorization request (`dev_…`). */
  requestId: string;
  browser: string;
  expiresAt: number;
}

export interface VerificationTicketSealer {
  create(requestId: string, browserSecret: string, expiresAt: number): string;
  /** The ticket when it opens, is unexpired and belongs to this browser; else undefined. */
  open(sealed: string, browserSecret: string | undefined, now: number): VerificationTicket | undefined;
}

const AAD = 'tessera device verification v1';

export function createVerificationTicketSealer(masterKey: Buffer): VerificationTicketSealer {
  // A key of its own: a ticket can never be confused with an interaction or a signing key.
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), AAD, 32));
  return {
    create(requestId, browserSecret, expiresAt) {
      const ticket: VerificationTicket = { requestId, browser: hashBrowserSecret(browserSecret), expiresAt };
      return seal(key, JSON.stringify(ticket), AAD);
    },
    open(sealed, browserSecret, now) {
      if (browserSecret === undefined || sealed.length > 4096) {
        return undefined;
      }
      let ticket: VerificationTicket;
      try {
        ticket = JSON.parse(unseal(key, sealed, AAD)) as VerificationTicket;
      } catch (error) {
        if (error instanceof UnsealError || error instanceof SyntaxError) {
          return undefined;
        }
        throw error;
      }
      const presented = Buffer.from(hashBrowserSecret(browserSecret));
      const bound = Buffer.from(String(ticket.browser));
      if (
        presented.length !== bound.length ||
        !timingSafeEqual(presented, bound) ||
        ticket.expiresAt <= now
      ) {
        return undefined;
      }
      return ticket;
    },
  };
}
