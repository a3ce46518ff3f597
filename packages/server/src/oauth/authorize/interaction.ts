/**
 * The interaction: an authorization request in progress between `/authorize` and the login and
 * consent pages. It travels sealed (AES-256-GCM under a key derived from the master key), so the
 * original parameters reach the code exactly as validated and cannot be edited on the way, and any
 * node or worker can continue it. It is bound to the browser that started it (the hash of the
 * browser's CSRF cookie) and it can complete only once: completion is recorded in the shared
 * replay store under its random id.
 */
import { createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { seal, UnsealError, unseal } from '../../keys/seal.js';
import type { AuthorizationRequest } from './parse-request.js';

export interface Interaction {
  /** Random; the key under which completion is recorded. */
  id: string;
  /** SHA-256 of the browser-binding cookie. */
  browser: string;
  request: AuthorizationRequest;
  createdAt: number;
  expiresAt: number;
  /** The session a login made for this request created (so `prompt=login` is satisfied once). */
  loginSession?: string;
  /**
   * A path on this server to continue at once signed in, instead of issuing a code: a page of
   * Tessera's own (the device verification page) that sends people through the same login.
   */
  returnTo?: string;
  /**
   * The password was right and a second factor is due (users/authn/second-factors.ts): who, with
   * what methods so far (RFC 8176), and when.
   */
  pendingLogin?: { userId: string; amr: string[]; at: number };
}

export interface InteractionSealer {
  create(
    request: AuthorizationRequest,
    browserSecret: string,
    now: number,
    returnTo?: string,
  ): { interaction: Interaction; sealed: string };
  /** Seals a changed interaction (same id, binding and expiry). */
  reseal(interaction: Interaction): string;
  /** The interaction when it opens, is unexpired and belongs to this browser; else undefined. */
  open(sealed: string, browserSecret: string | undefined, now: number): Interaction | undefined;
}

const AAD = 'tessera interaction v1';

export function hashBrowserSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function createInteractionSealer(masterKey: Buffer, ttl: number): InteractionSealer {
  // A key of its own: a sealed interaction can never be confused with a sealed signing key.
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), AAD, 32));
  return {
    create(request, browserSecret, now, returnTo) {
      const interaction: Interaction = {
        id: randomBytes(16).toString('base64url'),
        browser: hashBrowserSecret(browserSecret),
        request,
        createdAt: now,
        expiresAt: now + ttl,
        ...(returnTo === undefined ? {} : { returnTo }),
      };
      return { interaction, sealed: seal(key, JSON.stringify(interaction), AAD) };
    },
    reseal(interaction) {
      return seal(key, JSON.stringify(interaction), AAD);
    },
    open(sealed, browserSecret, now) {
      if (browserSecret === undefined || sealed.length > 16_384) {
        return undefined;
      }
      let interaction: Interaction;
      try {
        interaction = JSON.parse(unseal(key, sealed, AAD)) as Interaction;
      } catch (error) {
        if (error instanceof UnsealError || error instanceof SyntaxError) {
          return undefined;
        }
        throw error;
      }
      const presented = Buffer.from(hashBrowserSecret(browserSecret));
      const bound = Buffer.from(interaction.browser);
      if (
        presented.length !== bound.length ||
        !timingSafeEqual(presented, bound) ||
        interaction.expiresAt <= now
      ) {
        return undefined;
      }
      return interaction;
    },
  };
}
