/**
 * Fixed-window rate limits kept in memory, per key (an IP, a client id). Exceeding one is
 * `rate_limited` (429) with `Retry-After` (RFC 6585 §4). In memory on purpose: the check stays off
 * the database on the hot path; with several nodes each enforces its own share.
 *
 * A key's window opens with its first request and lasts `window` seconds; within it the key has
 * `limit` requests, and every request past that is refused (and still counted) until the window
 * ends. The count is one `Map` entry per key, checked synchronously: no promise, result object or
 * timer per request (docs/performance.md). Ended windows are swept out at most once per window
 * length, so the map holds only the keys seen in the last two windows.
 *
 * Counted responses and every 429 carry the draft-ietf-httpapi-ratelimit-headers fields in their
 * combined form, as `/api-keys/verify` does for a key's own limit: `RateLimit-Policy: "name";q=;w=`
 * and `RateLimit: "name";r=;t=`. Several policies on one response are listed in one field.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The per-address limit (by name, see {@link registerRouteRateLimits}) this route counts against. */
    rateLimit?: string;
  }
}

export interface RateLimiter {
  /**
   * Counts one request for `key`, or throws `rate_limited` with the seconds to wait. With `reply`,
   * sets the RateLimit fields on it (on the 429 too).
   */
  consume(key: string, reply?: FastifyReply): void;
  /** Seconds until `key` may make a request again, without counting one; 0 when it may now. */
  waitFor(key: string): number;
}

export interface RateLimitOptions {
  /** Requests allowed per window; 0 turns the limit off. */
  limit: number;
  /** Window length in seconds. */
  window: number;
  /** What is limited, for the error description ("requests from this address"). */
  subject: string;
  /** The policy name in the RateLimit fields (a short token such as `token_ip`). */
  policy?: string;
}

/** A synchronous check before the body is read: returns, or throws an OAuthError (a 429, say). */
export type RequestCheck = (request: FastifyRequest, reply: FastifyReply) => void;

/** A synchronous check as an onRequest hook (callback style: no promise per request). */
export function checkHook(check: RequestCheck): onRequestHookHandler {
  return function runCheck(request, reply, done) {
    try {
      check(request, reply);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  };
}

/** Appends one policy's member to a RateLimit field (a Structured Fields list). */
function appendField(reply: FastifyReply, name: string, member: string): void {
  const existing = reply.getHeader(name);
  reply.header(name, existing === undefined ? member : `${String(existing)}, ${member}`);
}

/** draft-ietf-httpapi-ratelimit-headers: the policy (`q` quota, `w` window) and its state (`r`, `t`). */
export function addRateLimitFields(
  reply: FastifyReply,
  policy: string,
  state: { limit: number; window: number; remaining: number; reset: number },
): void {
  appendField(reply, 'ratelimit-policy', `"${policy}";q=${state.limit};w=${state.window}`);
  appendField(reply, 'ratelimit', `"${policy}";r=${state.remaining};t=${state.reset}`);
}

function secondsOf(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** One key's window: requests counted in it, and when it ends (ms since the epoch). */
interface Window {
  count: number;
  endsAt: number;
}

export interface MemoryRateLimiter extends RateLimiter {
  /** The keys held now (windows not yet swept out). */
  size(): number;
}

/** @param nowMs the clock (milliseconds since the epoch); tests pass their own. */
export function createRateLimiter(
  options: RateLimitOptions,
  nowMs: () => number = Date.now,
): MemoryRateLimiter {
  if (options.limit <= 0) {
    return { consume: () => undefined, waitFor: () => 0, size: () => 0 };
  }
  const { limit } = options;
  const window = Math.max(1, options.window);
  const windowMs = window * 1000;
  const policy = options.policy ?? 'default';
  const windows = new Map<string, Window>();
  let sweepAt = nowMs() + windowMs;

  /** Drops every ended window; runs at most once per window length, so it costs O(1) per request. */
  function sweep(now: number): void {
    sweepAt = now + windowMs;
    for (const [key, entry] of windows) {
      if (entry.endsAt <= now) {
        windows.delete(key);
      }
    }
  }

  return {
    consume(key, reply) {
      const now = nowMs();
      if (now >= sweepAt) {
        sweep(now);
      }
      let entry = windows.get(key);
      if (entry === undefined || entry.endsAt <= now) {
        entry = { count: 0, endsAt: now + windowMs };
        windows.set(key, entry);
      }
      entry.count += 1;
      const reset = secondsOf(entry.endsAt - now);
      if (entry.count > limit) {
        if (reply !== undefined) {
          addRateLimitFields(reply, policy, { limit, window, remaining: 0, reset });
        }
        throw OAuthError.rateLimited(`Too many ${options.subject}; retry later`, { retryAfter: reset });
      }
      if (reply !== undefined) {
        addRateLimitFields(reply, policy, { limit, window, remaining: limit - entry.count, reset });
      }
    },
    waitFor(key) {
      const entry = windows.get(key);
      if (entry === undefined) {
        return 0;
      }
      const now = nowMs();
      return entry.endsAt > now && entry.count >= limit ? secondsOf(entry.endsAt - now) : 0;
    },
    size: () => windows.size,
  };
}

/**
 * A limit per caller: the authenticated client where the request names one that proves itself,
 * else the client's address. Requests that fail before a client is identified (bad credentials,
 * malformed input) count against the address; once an address has used up its allowance, its
 * requests are refused before any credential is checked.
 */
export interface CallerLimit {
  /** onRequest: refuses an address that has used up its allowance (counts nothing). */
  screen(request: FastifyRequest, reply: FastifyReply): void;
  /**
   * Runs `identify` (client authentication, token verification); counts the request against the
   * client it names, or against the address when it throws or rejects (and rethrows, or throws
   * 429). When `identify` answers without a promise, so does this (no microtask on the hot path);
   * a refusal is then thrown, else rejected.
   */
  identify<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    identify: () => T | Promise<T>,
    clientIdOf: (identified: T) => string,
  ): T | Promise<T>;
}

export function createCallerLimit(options: RateLimitOptions): CallerLimit {
  const limiter = createRateLimiter(options);
  const policy = options.policy ?? 'default';
  return {
    screen(request, reply) {
      const wait = limiter.waitFor(`ip:${request.ip}`);
      if (wait > 0) {
        addRateLimitFields(reply, policy, {
          limit: options.limit,
          window: options.window,
          remaining: 0,
          reset: wait,
        });
        throw OAuthError.rateLimited(`Too many ${options.subject}; retry later`, { retryAfter: wait });
      }
    },
    identify<T>(
      request: FastifyRequest,
      reply: FastifyReply,
      identify: () => T | Promise<T>,
      clientIdOf: (identified: T) => string,
    ): T | Promise<T> {
      const refused = (error: unknown): never => {
        limiter.consume(`ip:${request.ip}`, reply);
        throw error;
      };
      const counted = (identified: T): T => {
        limiter.consume(`client:${clientIdOf(identified)}`, reply);
        return identified;
      };
      let answer: T | Promise<T>;
      try {
        answer = identify();
      } catch (error) {
        return refused(error);
      }
      return answer instanceof Promise ? answer.then(counted, refused) : counted(answer);
    },
  };
}

/** An onRequest hook counting each request against `limiter` by the caller's address. */
export function addressLimitHook(limiter: RateLimiter): onRequestHookHandler {
  return checkHook(function limitAddress(request, reply) {
    limiter.consume(`ip:${request.ip}`, reply);
  });
}

/**
 * Per-address limits by route: a route names one in `config.rateLimit` and is counted before
 * anything else of the route runs (before a page is rendered). The limiter is looked up once, when
 * the route is registered, and becomes the route's first onRequest hook, so a route without a limit
 * pays nothing per request. Call on the root instance before any route is registered. (The admin
 * API counts its limit in a hook of its own scope, ahead of the admin credential check: app.ts.)
 */
export function registerRouteRateLimits(
  app: FastifyInstance,
  limits: ReadonlyMap<string, RateLimiter>,
): void {
  app.addHook('onRoute', (route) => {
    const name = route.config?.rateLimit;
    const limiter = name === undefined ? undefined : limits.get(name);
    if (limiter === undefined) {
      return;
    }
    const existing = route.onRequest;
    route.onRequest = [
      addressLimitHook(limiter),
      ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
    ];
  });
}
