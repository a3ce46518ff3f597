import { OAuthError } from '@tessera/protocol';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createCallerLimit, createRateLimiter } from './rate-limit.js';

function clock(start = 1_000_000) {
  let now = start;
  return {
    nowMs: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

function refusal(run: () => void): OAuthError {
  try {
    run();
  } catch (error) {
    if (error instanceof OAuthError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a refusal');
}

/** The RateLimit fields a route sets, read back through a real reply. */
async function fieldsOf(consume: (reply: FastifyReply) => void) {
  const app = Fastify();
  app.get('/', (_request, reply) => {
    try {
      consume(reply);
    } catch {
      // the refusal's fields are what is read here
    }
    return reply.send('');
  });
  const response = await app.inject({ method: 'GET', url: '/' });
  await app.close();
  return { policy: response.headers['ratelimit-policy'], state: response.headers.ratelimit };
}

describe('fixed-window limiter (RFC 6585 §4, draft-ietf-httpapi-ratelimit-headers)', () => {
  const options = { limit: 3, window: 60, subject: 'requests', policy: 'p' };

  it('RFC 6585 §4 — the request past the limit is refused with the seconds left in the window', () => {
    const time = clock();
    const limiter = createRateLimiter(options, time.nowMs);
    for (let i = 0; i < 3; i++) {
      limiter.consume('a');
    }
    time.advance(15_500);
    const error = refusal(() => limiter.consume('a'));
    expect(error.code).toBe('rate_limited');
    expect(error.status).toBe(429);
    expect(error.retryAfter).toBe(45);
    // Other keys have their own window.
    expect(() => limiter.consume('b')).not.toThrow();
  });

  it('the window opens with a key’s first request; refused requests still count; a new window starts afresh', () => {
    const time = clock();
    const limiter = createRateLimiter(options, time.nowMs);
    limiter.consume('a');
    time.advance(30_000);
    limiter.consume('a');
    limiter.consume('a');
    expect(() => limiter.consume('a')).toThrow(OAuthError);
    expect(() => limiter.consume('a')).toThrow(OAuthError);
    time.advance(29_999);
    expect(() => limiter.consume('a')).toThrow(OAuthError);
    time.advance(1);
    for (let i = 0; i < 3; i++) {
      limiter.consume('a');
    }
    expect(() => limiter.consume('a')).toThrow(OAuthError);
  });

  it('waitFor counts nothing: 0 while requests remain, the seconds left once the limit is used up', () => {
    const time = clock();
    const limiter = createRateLimiter(options, time.nowMs);
    expect(limiter.waitFor('a')).toBe(0);
    limiter.consume('a');
    limiter.consume('a');
    expect(limiter.waitFor('a')).toBe(0);
    expect(limiter.waitFor('a')).toBe(0);
    limiter.consume('a');
    time.advance(20_000);
    expect(limiter.waitFor('a')).toBe(40);
    time.advance(40_000);
    expect(limiter.waitFor('a')).toBe(0);
    expect(() => limiter.consume('a')).not.toThrow();
  });

  it('draft-ietf-httpapi-ratelimit-headers — the policy and the state, on a counted request and on the refusal', async () => {
    const time = clock();
    const limiter = createRateLimiter(options, time.nowMs);
    expect(await fieldsOf((reply) => limiter.consume('a', reply))).toEqual({
      policy: '"p";q=3;w=60',
      state: '"p";r=2;t=60',
    });
    time.advance(10_001);
    limiter.consume('a');
    limiter.consume('a');
    expect(await fieldsOf((reply) => limiter.consume('a', reply))).toEqual({
      policy: '"p";q=3;w=60',
      state: '"p";r=0;t=50',
    });
  });

  it('a limit of 0 is off', () => {
    const limiter = createRateLimiter({ ...options, limit: 0 });
    for (let i = 0; i < 100; i++) {
      limiter.consume('a');
    }
    expect(limiter.waitFor('a')).toBe(0);
  });

  it('ended windows are swept out, so keys seen once do not pile up', () => {
    const time = clock();
    const limiter = createRateLimiter(options, time.nowMs);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 1000; i++) {
        limiter.consume(`ip:${round}.${i}`);
      }
      expect(limiter.size()).toBeLessThanOrEqual(2000);
      time.advance(61_000);
    }
    limiter.consume('last');
    expect(limiter.size()).toBe(1);
  });
});

describe('per-caller limit: identify answered with or without a promise', () => {
  const options = { limit: 2, window: 60, subject: 'requests', policy: 'p' };
  const request = { ip: '192.0.2.1' } as FastifyRequest;
  /** Enough of a reply for the RateLimit fields. */
  function replyStub(): FastifyReply {
    const headers = new Map<string, unknown>();
    const reply = {
      getHeader: (name: string) => headers.get(name),
      header(name: string, value: unknown) {
        headers.set(name, value);
        return reply;
      },
    };
    return reply as unknown as FastifyReply;
  }
  const refused = () => OAuthError.invalidClient('Client authentication failed');

  it('an answer without a promise is counted against the client and handed back as it is; past the limit 429', () => {
    const limit = createCallerLimit(options);
    const caller = { id: 'cli_a' };
    for (let i = 0; i < 2; i++) {
      expect(
        limit.identify(
          request,
          replyStub(),
          () => caller,
          (c) => c.id,
        ),
      ).toBe(caller);
    }
    const error = refusal(() =>
      limit.identify(
        request,
        replyStub(),
        () => caller,
        (c) => c.id,
      ),
    );
    expect(error.code).toBe('rate_limited');
    // Another client is counted on its own.
    expect(
      limit.identify(
        request,
        replyStub(),
        () => ({ id: 'cli_b' }),
        (c) => c.id,
      ),
    ).toEqual({ id: 'cli_b' });
  });

  it('a refusal thrown without a promise is counted against the address, and rethrown until the address is refused', () => {
    const limit = createCallerLimit(options);
    const identify = (): { id: string } => {
      throw refused();
    };
    expect(refusal(() => limit.identify(request, replyStub(), identify, (c) => c.id)).code).toBe(
      'invalid_client',
    );
    expect(refusal(() => limit.identify(request, replyStub(), identify, (c) => c.id)).code).toBe(
      'invalid_client',
    );
    expect(refusal(() => limit.identify(request, replyStub(), identify, (c) => c.id)).code).toBe(
      'rate_limited',
    );
    expect(refusal(() => limit.screen(request, replyStub())).code).toBe('rate_limited');
  });

  it('the same counts when identify answers with a promise', async () => {
    const limit = createCallerLimit(options);
    const caller = { id: 'cli_a' };
    for (let i = 0; i < 2; i++) {
      await expect(
        limit.identify(
          request,
          replyStub(),
          async () => caller,
          (c) => c.id,
        ),
      ).resolves.toBe(caller);
    }
    await expect(
      limit.identify(
        request,
        replyStub(),
        async () => caller,
        (c) => c.id,
      ),
    ).rejects.toMatchObject({
      code: 'rate_limited',
    });
    const failing = async (): Promise<{ id: string }> => {
      throw refused();
    };
    for (const code of ['invalid_client', 'invalid_client', 'rate_limited']) {
      await expect(limit.identify(request, replyStub(), failing, (c) => c.id)).rejects.toMatchObject({
        code,
      });
    }
  });
});
