/**
 * The cookies the login pages use: the session secret, the browser's CSRF secret and, with
 * risk-based sign-in, the device cookie (users/device-ids.ts).
 *
 * On an https issuer they are `__Host-` cookies (RFC 6265bis §4.1.3.2: Secure, Path=/, no Domain, so
 * no sibling subdomain can plant or overwrite them). On an http issuer (--dev) browsers drop
 * `Secure` and `__Host-` cookies, so the nearest safe equivalent is used: the same name without
 * the prefix, without Secure, still HttpOnly, SameSite=Lax, Path=/, host-only.
 *
 * CSRF is a double submit bound to the server: every form carries the CSRF secret, it must equal
 * the cookie (compared in constant time), and the sealed interaction it posts is bound to the
 * cookie's hash, so a cross-site form can neither read nor guess what to send.
 *
 * The device cookie lives {@link DEVICE_COOKIE_MAX_AGE} seconds (RFC 6265bis §5.6.2 caps Max-Age at
 * 400 days) and is set again, with the same id, each time it is read, so a browser in use keeps it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceIds } from '../../users/device-ids.js';

/** 400 days: the longest a browser keeps a cookie (RFC 6265bis §5.6.2). */
export const DEVICE_COOKIE_MAX_AGE = 400 * 86_400;

export interface BrowserCookies {
  sessionSecret(request: FastifyRequest): string | undefined;
  setSession(reply: FastifyReply, secret: string, maxAge: number): void;
  clearSession(reply: FastifyReply): void;
  /** The browser's CSRF secret, minting (and setting) one when it has none. */
  csrfSecret(request: FastifyRequest, reply: FastifyReply): string;
  /** The CSRF cookie as sent, without minting. */
  presentedCsrf(request: FastifyRequest): string | undefined;
  /** True when the form's `csrf_token` equals the CSRF cookie (constant time). */
  checkCsrf(request: FastifyRequest, formToken: string | undefined): boolean;
  /**
   * The browser's verified device id: the presented device cookie's when `devices` minted it,
   * else a new one (a missing, forged, tampered or malformed cookie is replaced, never an error).
   * Sets the cookie (again) on the reply, once per request.
   */
  deviceId(request: FastifyRequest, reply: FastifyReply, devices: DeviceIds): string;
}

/** Needs `@fastify/cookie` registered on the routes' scope (the login feature does it). */
function readCookie(request: FastifyRequest, name: string): string | undefined {
  const value = request.cookies[name];
  return value === undefined || value === '' ? undefined : value;
}

export function createBrowserCookies(options: { secure: boolean }): BrowserCookies {
  const prefix = options.secure ? '__Host-' : '';
  const sessionName = `${prefix}tessera_session`;
  const csrfName = `${prefix}tessera_csrf`;
  const deviceName = `${prefix}tessera_device`;
  const base = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: options.secure };
  const minted = new WeakMap<FastifyRequest, string>();
  const devicesSet = new WeakMap<FastifyRequest, string>();

  return {
    sessionSecret(request) {
      return readCookie(request, sessionName);
    },
    setSession(reply, secret, maxAge) {
      reply.setCookie(sessionName, secret, { ...base, maxAge });
    },
    clearSession(reply) {
      reply.setCookie(sessionName, '', { ...base, maxAge: 0 });
    },
    csrfSecret(request, reply) {
      const existing = readCookie(request, csrfName) ?? minted.get(request);
      if (existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing)) {
        return existing;
      }
      const secret = randomBytes(32).toString('base64url');
      minted.set(request, secret);
      // A session cookie (no Max-Age): it only has to outlive one sign-in.
      reply.setCookie(csrfName, secret, base);
      return secret;
    },
    presentedCsrf(request) {
      return readCookie(request, csrfName);
    },
    checkCsrf(request, formToken) {
      const cookie = readCookie(request, csrfName);
      if (cookie === undefined || formToken === undefined) {
        return false;
      }
      const a = Buffer.from(cookie);
      const b = Buffer.from(formToken);
      return a.length === b.length && timingSafeEqual(a, b);
    },
    deviceId(request, reply, devices) {
      const already = devicesSet.get(request);
      if (already !== undefined) {
        return already;
      }
      const value = readCookie(request, deviceName);
      const presented = devices.open(value);
      const device =
        presented === undefined || value === undefined ? devices.mint() : { id: presented, value };
      devicesSet.set(request, device.id);
      reply.setCookie(deviceName, device.value, { ...base, maxAge: DEVICE_COOKIE_MAX_AGE });
      return device.id;
    },
  };
}
