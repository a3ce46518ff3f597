/**
 * Sign-In with Ethereum (EIP-4361) with viem, offline: the message is parsed and checked by viem's
 * `parseSiweMessage`/`validateSiweMessage`, and the signer is recovered from the EIP-191
 * `personal_sign` signature (`recoverMessageAddress`), so only externally owned accounts sign in
 * and no chain is ever asked (an ERC-1271 contract wallet cannot be checked without one).
 *
 * The nonce is ours: random, with its expiry, bound by an HMAC to the browser it was issued to
 * (the hash of the CSRF cookie, like passkey challenges), and consumed once in the shared replay
 * store, so a nonce (and so a message) signs in at most once on any node.
 * The person is `did:pkh:eip155:<chain>:<checksummed address>` (the CAIP-10 account id), created
 * on first sign-in with no password.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { OAuthError } from '@tessera/protocol';
import { getAddress, isHex, recoverMessageAddress } from 'viem';
import { parseSiweMessage } from 'viem/siwe';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import {
  ConflictError,
  type LinkedIdentifierStore,
  type ReplayStore,
  type Store,
  type UserRecord,
  type UserStore,
} from '../../store/ports.js';

/**
 * RFC 8176 has no value for a wallet; `swk` (proof of possession of a software-secured key) is the
 * closest: the wallet holds a private key and signs a challenge with it.
 */
export const SIWE_AMR = Object.freeze(['swk']);

const INFO = 'tessera siwe nonce v1';
const MAX_MESSAGE = 4096;
const REFUSED = 'The Ethereum sign-in could not be verified. Try again.';
const NEEDS_SECOND_FACTOR =
  'This account must sign in with two-step verification: use your password and second factor.';

export interface SiweSettings {
  /** The issuer: its host is the message's domain, its origin the message's uri. */
  issuer: string;
  chainIds: number[];
  /** Seconds: nonce lifetime and the oldest `Issued At` accepted. */
  maxAge: number;
}

export interface SiweServiceDeps {
  store: Pick<UserStore, 'findUser' | 'createUser'> &
    Pick<ReplayStore, 'markOnce'> &
    Pick<LinkedIdentifierStore, 'findLinkedIdentifier' | 'linkIdentifier'> &
    Pick<Store, 'transaction'>;
  masterKey: Buffer;
  settings: SiweSettings;
  clock: Clock;
  audit: AuditLog;
}

export interface SiweService {
  /** A fresh nonce for this browser (hash of its CSRF secret): alphanumeric, single use. */
  nonce(browser: string): string;
  /** The person a signed message signs in (created on first sign-in); throws `access_denied`. */
  signIn(
    input: { message: string; signature: string },
    browser: string,
    context: { ip: string; requestId: string },
  ): Promise<{ user: UserRecord; did: string; created: boolean }>;
  /**
   * Links the wallet that signed the message to `user` (the account page): the same checks as
   * sign-in; throws `conflict` when the wallet is linked already, to this person or another.
   */
  link(
    user: UserRecord,
    input: { message: string; signature: string },
    browser: string,
    context: { ip: string; requestId: string },
  ): Promise<{ did: string }>;
}

function refused(detail: string): OAuthError {
  return OAuthError.accessDenied(REFUSED, { status: 400, cause: new Error(detail) });
}

export function didPkhOf(chainId: number, address: string): string {
  return `did:pkh:eip155:${chainId}:${getAddress(address)}`;
}

/** The EIP-55 form of an address; undefined when it is not one. */
export function checksummed(address: string): string | undefined {
  try {
    return getAddress(address);
  } catch {
    return undefined;
  }
}

export function createSiweService(deps: SiweServiceDeps): SiweService {
  const { clock, settings } = deps;
  const key = Buffer.from(hkdfSync('sha256', deps.masterKey, Buffer.alloc(0), INFO, 32));
  const issuerUrl = new URL(settings.issuer);

  function tag(body: string, browser: string): Buffer {
    return createHmac('sha256', key).update(`${body}.${browser}`).digest().subarray(0, 16);
  }

  /** The nonce's expiry when it is ours and this browser's; undefined otherwise. */
  function openNonce(nonce: string, browser: string): number | undefined {
    const match = /^([0-9a-f]{24})([0-9a-f]{12})([0-9a-f]{32})$/.exec(nonce);
    if (match === null) {
      return undefined;
    }
    const [, random, expiry, mac] = match as unknown as [string, string, string, string];
    const expected = tag(`${random}${expiry}`, browser);
    if (!timingSafeEqual(expected, Buffer.from(mac, 'hex'))) {
      return undefined;
    }
    return Number.parseInt(expiry, 16);
  }

  async function failed(
    reason: string,
    context: { ip: string; requestId: string },
    error: OAuthError = refused(reason),
  ): Promise<never> {
    deps.audit.record({
      type: 'siwe.sign_in_failed',
      actor: 'system',
      subject: null,
      data: { reason, ip: context.ip },
      requestId: context.requestId,
    });
    throw error;
  }

  /** Every EIP-4361 check and the single use of the nonce; the signer's did:pkh. */
  async function verify(
    input: { message: string; signature: string },
    browser: string,
    context: { ip: string; requestId: string },
  ): Promise<{ did: string; chainId: number }> {
    if (input.message.length === 0 || input.message.length > MAX_MESSAGE) {
      return failed('message missing or too long', context);
    }
    if (!isHex(input.signature, { strict: true }) || input.signature.length !== 132) {
      return failed('malformed signature', context);
    }
    const message = parseSiweMessage(input.message);
    const { address, chainId, domain, uri, nonce, issuedAt, expirationTime, notBefore, version } = message;
    if (address === undefined || chainId === undefined || nonce === undefined || version !== '1') {
      return failed('malformed message', context);
    }
    // EIP-4361 §Message fields: the address is in its EIP-55 mixed-case checksum form.
    if (checksummed(address) !== address) {
      return failed('address not EIP-55 checksummed', context);
    }
    if (
      [issuedAt, expirationTime, notBefore].some((date) => date !== undefined && Number.isNaN(date.getTime()))
    ) {
      return failed('malformed date', context);
    }
    // EIP-4361 §Verifying: the domain is this server's authority (phishing protection).
    if (domain !== issuerUrl.host) {
      return failed('wrong domain', context);
    }
    // EIP-4361 §Message fields: uri is the resource the person signs in to.
    if (uri === undefined || uri.replace(/\/$/, '') !== issuerUrl.origin) {
      return failed('wrong uri', context);
    }
    if (!settings.chainIds.includes(chainId)) {
      return failed('chain not allowed', context);
    }
    const now = clock.now();
    const nowMs = now * 1000;
    // EIP-4361: issued-at not in the future (a minute of clock skew), not older than the maximum age.
    if (
      issuedAt === undefined ||
      issuedAt.getTime() > nowMs + 60_000 ||
      issuedAt.getTime() < nowMs - settings.maxAge * 1000
    ) {
      return failed('issued-at out of range', context);
    }
    // EIP-4361: a message past its expiration-time or before its not-before is not valid.
    if (expirationTime !== undefined && expirationTime.getTime() <= nowMs) {
      return failed('message expired', context);
    }
    if (notBefore !== undefined && notBefore.getTime() > nowMs) {
      return failed('message not yet valid', context);
    }
    const nonceExpiry = openNonce(nonce, browser);
    if (nonceExpiry === undefined) {
      return failed('nonce not issued to this browser', context);
    }
    if (nonceExpiry <= now) {
      return failed('nonce expired', context);
    }
    let signer: string;
    try {
      signer = await recoverMessageAddress({ message: input.message, signature: input.signature });
    } catch {
      return failed('malformed signature', context);
    }
    if (getAddress(signer) !== getAddress(address)) {
      return failed('signature does not match the address', context);
    }
    // EIP-4361 §Security: a nonce is used once; on every node, checked last so a bad message
    // cannot burn someone else's nonce.
    if (!(await deps.store.markOnce(`siwe:${nonce}`, nonceExpiry, now))) {
      return failed('nonce already used', context);
    }
    return { did: didPkhOf(chainId, address), chainId };
  }

  /** A new person whose user id is the wallet's did:pkh, with the wallet linked, in one transaction. */
  function createWalletPerson(did: string, chainId: number, now: number): Promise<UserRecord> {
    const address = did.slice(did.lastIndexOf(':') + 1);
    return deps.store.transaction(async (tx) => {
      const user = await tx.createUser(
        {
          id: did,
          username: `eth.${chainId}.${address.toLowerCase()}`,
          email: null,
          emailVerified: false,
          name: null,
          // No password: no argon2 hash matches this, so the password form never signs it in.
          passwordHash: '!',
          disabled: false,
          tokensValidAfter: 0,
        },
        now,
      );
      await tx.linkIdentifier({ identifier: did, userId: did, method: 'siwe', createdAt: now });
      return user;
    });
  }

  return {
    nonce(browser) {
      const random = randomBytes(12).toString('hex');
      const expiry = (clock.now() + settings.maxAge).toString(16).padStart(12, '0');
      return `${random}${expiry}${tag(`${random}${expiry}`, browser).toString('hex')}`;
    },

    async signIn(input, browser, context) {
      const { did, chainId } = await verify(input, browser, context);
      // The wallet's person: the one it is linked to (its own account, or one it was linked to on
      // the account page), or a new person on first sign-in.
      let user: UserRecord | undefined;
      let created = false;
      const linked = await deps.store.findLinkedIdentifier(did);
      if (linked !== undefined) {
        user = await deps.store.findUser(linked.userId);
      } else {
        try {
          user = await createWalletPerson(did, chainId, clock.now());
          created = true;
          deps.audit.record({
            type: 'user.created',
            actor: did,
            subject: did,
            data: { username: user.username, via: 'siwe' },
          });
        } catch (error) {
          if (!(error instanceof ConflictError)) {
            throw error;
          }
          // A sign-in of the same wallet on another request won the race.
          const winner = await deps.store.findLinkedIdentifier(did);
          user = winner === undefined ? undefined : await deps.store.findUser(winner.userId);
        }
      }
      if (user === undefined || user.disabled) {
        return failed('person disabled', context);
      }
      // A wallet is one factor: a person an admin requires a second factor of never signs in with
      // a wallet alone.
      if (user.mfaRequired) {
        return failed(
          'second factor required',
          context,
          OAuthError.accessDenied(NEEDS_SECOND_FACTOR, { status: 400 }),
        );
      }
      deps.audit.record({
        type: 'siwe.used',
        actor: user.id,
        subject: user.id,
        data: { chainId, created, ip: context.ip },
        requestId: context.requestId,
      });
      return { user, did, created };
    },

    async link(user, input, browser, context) {
      if (user.mfaRequired) {
        throw OAuthError.invalidRequest(
          'Your account must sign in with two-step verification, and a wallet would sign you in without it.',
        );
      }
      const { did } = await verify(input, browser, context);
      try {
        await deps.store.linkIdentifier({
          identifier: did,
          userId: user.id,
          method: 'siwe',
          createdAt: clock.now(),
        });
      } catch (error) {
        if (!(error instanceof ConflictError)) {
          throw error;
        }
        deps.audit.record({
          type: 'identifier.link_refused',
          actor: user.id,
          subject: user.id,
          data: { method: 'siwe', reason: 'linked already', ip: context.ip },
          requestId: context.requestId,
        });
        throw OAuthError.conflict('That wallet is already linked to an account.');
      }
      deps.audit.record({
        type: 'identifier.linked',
        actor: user.id,
        subject: user.id,
        data: { method: 'siwe', identifier: did },
        requestId: context.requestId,
      });
      return { did };
    },
  };
}
