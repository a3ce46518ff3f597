/**
 * Device ids for risk-based sign-in (`risk.deviceCookie`, docs/risk.md "The device cookie"): each
 * browser gets a random id (128 bits from crypto.randomBytes) in a long-lived cookie, authenticated
 * by the server with an HMAC-SHA256 under a key derived from the master key, so a cookie the server
 * did not mint (forged, tampered, truncated) opens as nothing and the browser is given a new one.
 *
 * The raw id stays in the cookie: the risk engine, the audit log and the store only see its
 * per-person keyed digest ({@link DeviceIds.digest}), so two people on one browser do not share a
 * value, and a digest read from the audit log or the store can neither be linked across people
 * nor turned back into a cookie.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** HKDF `info` of the cookie's MAC key and of the digest key: each key serves one purpose. */
const COOKIE_INFO = 'tessera device cookie v1';
const DIGEST_INFO = 'tessera device digest v1';
/** `<id>.<mac>`: 16 random bytes and a SHA-256 HMAC, both base64url without padding. */
const COOKIE_VALUE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export interface DeviceIds {
  /** A new device: its id and the cookie value carrying it. */
  mint(): { id: string; value: string };
  /** The id of a cookie value this server minted; undefined for anything else (never throws). */
  open(value: string | undefined): string | undefined;
  /** What the risk engine and the history see of `id` for this person (base64url, 43 characters). */
  digest(userId: string, id: string): string;
}

function deriveKey(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
}

export function createDeviceIds(masterKey: Buffer): DeviceIds {
  const cookieKey = deriveKey(masterKey, COOKIE_INFO);
  const digestKey = deriveKey(masterKey, DIGEST_INFO);
  const macOf = (id: string) => createHmac('sha256', cookieKey).update(id).digest();

  return {
    mint() {
      const id = randomBytes(16).toString('base64url');
      return { id, value: `${id}.${macOf(id).toString('base64url')}` };
    },
    open(value) {
      const match = value === undefined ? null : COOKIE_VALUE.exec(value);
      const id = match?.[1];
      const presented = match?.[2];
      if (id === undefined || presented === undefined) {
        return undefined;
      }
      // Compared as text: base64url's spare low bits make several strings decode to one MAC.
      const mac = Buffer.from(presented);
      const expected = Buffer.from(macOf(id).toString('base64url'));
      return mac.length === expected.length && timingSafeEqual(mac, expected) ? id : undefined;
    },
    digest(userId, id) {
      // Length-prefixed, so no (person, id) pair can be written as another.
      return createHmac('sha256', digestKey).update(`${userId.length}:${userId}:${id}`).digest('base64url');
    },
  };
}
