/**
 * Security headers (helmet's defaults plus our CSP and HSTS choices), computed ONCE at start and
 * copied onto every response. `@fastify/helmet` re-runs helmet's middleware chain, CSP parsing
 * included, on every request: that cost a fifth of the token endpoint's throughput (bench/,
 * docs/performance.md). Pages that need another CSP (login, consent) set their own header later.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/** Runs helmet once against a recording response and returns the headers it set. */
export function computeSecurityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  } as unknown as ServerResponse;
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder, (error?: unknown) => {
    failure = error;
  });
  if (failure !== undefined) {
    throw failure;
  }
  return headers;
}

/** The headers every response starts with (request-guard.ts copies them in its onRequest hook). */
export function securityHeadersFor(options: { https: boolean }): Readonly<Record<string, string>> {
  return computeSecurityHeaders({
    // JSON API by default: nothing may load, frame, post from or set a base for these answers. Only
    // these directives (no helmet defaults: they would add font-src, img-src, style-src
    // 'unsafe-inline' … and so allow what default-src 'none' forbids); base-uri and form-action do
    // not fall back to default-src (CSP Level 3 §6), so they are named. Pages (login, consent,
    // account, console) set their own CSP.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    // The same as frame-ancestors 'none' for browsers that only know X-Frame-Options (RFC 7034).
    xFrameOptions: { action: 'deny' },
    // HSTS only makes sense when the issuer is https (RFC 6797 §7.2: ignored over http anyway).
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
}
