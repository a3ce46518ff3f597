import { OAuthError } from '@tessera/protocol';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerFormBody, single } from './plugins/form-body.js';
import { bearerChallenge, renderError } from './render-error.js';

function appWith(handler: () => unknown, config: { challenge?: 'basic' | 'bearer' } = {}) {
  const app = Fastify({ genReqId: () => 'req_test' });
  registerFormBody(app);
  app.setErrorHandler(function handle(error, request, reply) {
    return renderError.call({ realm: 'https://issuer.test' }, error, request, reply);
  });
  app.post('/x', { config }, async (request) => {
    handler();
    return { got: single(request.body as Record<string, string>, 'a') ?? null };
  });
  return app;
}

describe('render-error: the one place errors become responses', () => {
  it('an unexpected error → 500 server_error with the request id and no internals', async () => {
    const app = appWith(() => {
      throw new Error('connection to db password=hunter2 failed');
    });
    const response = await app.inject({ method: 'POST', url: '/x' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      error: 'server_error',
      error_description: 'The server met an unexpected condition',
      request_id: 'req_test',
    });
    expect(response.body).not.toContain('hunter2');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('RFC 6749 §5.2 — invalid_client after Basic auth → 401 with WWW-Authenticate: Basic', async () => {
    const app = appWith(
      () => {
        throw OAuthError.invalidClient('Client authentication failed');
      },
      { challenge: 'basic' },
    );
    const response = await app.inject({ method: 'POST', url: '/x' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="https://issuer.test", charset="UTF-8"');
  });

  it('RFC 6750 §3 — insufficient_scope carries the scope in the Bearer challenge', async () => {
    const app = appWith(
      () => {
        throw OAuthError.insufficientScope('Needs more', { scope: 'cookies:eat' });
      },
      { challenge: 'bearer' },
    );
    const response = await app.inject({ method: 'POST', url: '/x' });
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="https://issuer.test", error="insufficient_scope", error_description="Needs more", scope="cookies:eat"',
    );
  });

  describe('issue 20 item 2 — the database unavailable → 503 temporarily_unavailable with Retry-After (RFC 6749 §5.2 body)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const cases: [string, () => unknown][] = [
      ['PostgreSQL refuses connections', () => refused],
      ['a connection terminated mid-query', () => new Error('Connection terminated unexpectedly')],
      ['a hung server (client read timeout)', () => new Error('Query read timeout')],
      [
        'statement_timeout (SQLSTATE 57014)',
        () => Object.assign(new Error('canceling statement'), { code: '57014' }),
      ],
      [
        'SQLite busy past the deadline',
        () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }),
      ],
      [
        'an outage wrapped as server_error',
        () => OAuthError.serverError('lookup failed', { cause: refused }),
      ],
      [
        'a refused dual-stack connect (AggregateError)',
        () => new AggregateError([refused], 'connect failed'),
      ],
    ];
    for (const [name, make] of cases) {
      it(name, async () => {
        const app = appWith(() => {
          throw make();
        });
        const response = await app.inject({ method: 'POST', url: '/x' });
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toBe('5');
        expect(response.headers['cache-control']).toBe('no-store');
        expect(response.json()).toEqual({
          error: 'temporarily_unavailable',
          error_description: 'The service is temporarily unavailable; retry later',
        });
      });
    }

    it('a unique violation or a deliberate OAuth error is not an outage', async () => {
      const unique = appWith(() => {
        throw Object.assign(new Error('duplicate key'), { code: '23505' });
      });
      expect((await unique.inject({ method: 'POST', url: '/x' })).statusCode).toBe(500);
      const grant = appWith(() => {
        throw OAuthError.invalidGrant('expired', { cause: refused });
      });
      expect((await grant.inject({ method: 'POST', url: '/x' })).statusCode).toBe(400);
    });
  });

  it('rate_limited → 429 with Retry-After', async () => {
    const app = appWith(() => {
      throw OAuthError.rateLimited('Slow down', { retryAfter: 2.2 });
    });
    const response = await app.inject({ method: 'POST', url: '/x' });
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('3');
  });

  it('RFC 6749 §3.1 — a repeated form parameter → invalid_request', async () => {
    const app = appWith(() => undefined);
    const response = await app.inject({
      method: 'POST',
      url: '/x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=1&a=2',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: 'invalid_request',
      error_description: 'Parameter a must not be repeated',
    });
  });

  it('non-UTF-8 bytes and broken percent-escapes in a form → 400 invalid_request', async () => {
    const app = appWith(() => undefined);
    for (const payload of [Buffer.from([0x61, 0x3d, 0xff, 0xfe]), Buffer.from('a=%E0%A4%A')]) {
      const response = await app.inject({
        method: 'POST',
        url: '/x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toBe('invalid_request');
    }
  });

  it('form values decode + and percent-escapes; empty values count as absent (RFC 6749 §3.1)', async () => {
    const app = appWith(() => undefined);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect(
      (await app.inject({ method: 'POST', url: '/x', headers: form, payload: 'a=b+c%20d' })).json(),
    ).toEqual({ got: 'b c d' });
    expect((await app.inject({ method: 'POST', url: '/x', headers: form, payload: 'a=' })).json()).toEqual({
      got: null,
    });
  });

  it('a challenge with no error code when no credentials were sent (RFC 6750 §3.1)', () => {
    expect(bearerChallenge('r')).toBe('Bearer realm="r"');
    expect(bearerChallenge('r', OAuthError.invalidToken('bad "x"'))).toBe(
      'Bearer realm="r", error="invalid_token", error_description="bad ?x?"',
    );
  });
});
