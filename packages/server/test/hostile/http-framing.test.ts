/**
 * Issue 12 item 8: hostile HTTP/1.1 on a real socket (node:net to the listening server).
 * - RFC 9112 §9.6: a refused request (431, 400) is answered in full with `Connection: close` and a
 *   JSON `invalid_request` body before the server closes, so a client that pipelined more requests
 *   knows to send them again.
 * - RFC 9112 §3.2: two Host header lines, or an invalid Host → 400.
 * - RFC 9110 §15.5.6: a method the path does not answer → 405 with `Allow`, never 404.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/bootstrap.js';
import { listeningServer } from '../support/listening.js';
import { waitFor } from '../support/wait-for.js';

let t: TestServer & { url: string };
let port: number;

beforeAll(async () => {
  t = await listeningServer();
  port = Number(new URL(t.url).port);
});
afterAll(async () => {
  await t.close();
});

interface RawExchange {
  /** Everything the server sent before it closed (or before the bound). */
  text: string;
  /** True when the server closed the connection. */
  closed: boolean;
  /** True when the connection was reset rather than closed. */
  reset: boolean;
}

/**
 * Writes `request` on a fresh connection and reads until the server closes it, or until `until`
 * says the answer is complete; a 10 s bound fails only on a hang.
 */
function exchange(request: string | Buffer, until?: (text: string) => boolean): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    let reset = false;
    const bound = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within the bound; got ${JSON.stringify(text.slice(0, 200))}`));
    }, 10_000);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (until?.(text) === true) {
        clearTimeout(bound);
        socket.destroy();
        resolve({ text, closed: false, reset });
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      reset = error.code === 'ECONNRESET' || error.code === 'EPIPE';
    });
    socket.on('close', () => {
      clearTimeout(bound);
      resolve({ text, closed: true, reset });
    });
    socket.write(request);
  });
}

/** Splits a raw response stream into responses (by Content-Length; enough for these tests). */
function responses(text: string): { status: number; headers: Record<string, string>; body: string }[] {
  const out: { status: number; headers: Record<string, string>; body: string }[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) {
      break;
    }
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

const host = () => `127.0.0.1:${port}`;

describe('RFC 9112 §9.6 — refused requests are answered in full, with Connection: close', () => {
  it('a request target over 16 KiB → 431 invalid_request, Connection: close, the body complete, then the close', async () => {
    const long = `/jwks?x=${'a'.repeat(17 * 1024)}`;
    const pipelined = `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\n\r\n`;
    const result = await exchange(`GET ${long} HTTP/1.1\r\nHost: ${host()}\r\n\r\n${pipelined}`);
    expect(result.closed).toBe(true);
    const [first, ...others] = responses(result.text);
    expect(first?.status).toBe(431);
    expect(first?.headers.connection).toBe('close');
    expect(first?.headers['content-type']).toMatch(/^application\/json/);
    expect(Buffer.byteLength(first?.body ?? '')).toBe(Number(first?.headers['content-length']));
    expect(JSON.parse(first?.body ?? '{}')).toMatchObject({ error: 'invalid_request' });
    // The pipelined request is not answered on this connection, and the client was told why.
    expect(others).toEqual([]);
  });

  it('headers over 16 KiB → 431 with Connection: close', async () => {
    const result = await exchange(
      `GET /jwks HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`,
    );
    const [first] = responses(result.text);
    expect(first?.status).toBe(431);
    expect(first?.headers.connection).toBe('close');
    expect(JSON.parse(first?.body ?? '{}').error).toBe('invalid_request');
  });

  it.each([
    ['a malformed request line', 'GET\r\n\r\n'],
    ['an unknown method token', `FROB /jwks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`],
    ['a bad header line', `GET /jwks HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n`],
    [
      'Content-Length and Transfer-Encoding together',
      'POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['a NUL in a header value', 'GET /jwks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\u0000b\r\n\r\n'],
  ])('%s → 400 invalid_request with Connection: close', async (_name, request) => {
    const result = await exchange(request);
    expect(result.closed).toBe(true);
    const [first] = responses(result.text);
    expect(first?.status).toBe(400);
    expect(first?.headers.connection).toBe('close');
    expect(JSON.parse(first?.body ?? '{}').error).toBe('invalid_request');
  });

  it('a good request before the bad one on the same connection is answered normally first', async () => {
    const result = await exchange(
      `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\n\r\nGET /${'c'.repeat(17 * 1024)} HTTP/1.1\r\nHost: ${host()}\r\n\r\n`,
    );
    const [first, second] = responses(result.text);
    expect(first?.status).toBe(200);
    expect(second?.status).toBe(431);
    expect(second?.headers.connection).toBe('close');
  });
});

describe('RFC 9112 §7.1 / §6.3 — a body that breaks the framing is answered at once', () => {
  // The parser refuses these only once the body starts, while the request is already routed and
  // waiting for its body: the refusal must not wait for that request's own response.
  it.each([
    ['a chunk size that is not hex', 'zz\r\ngrant_type=client_credentials\r\n0\r\n\r\n'],
    ['a chunk size past any limit', 'ffffffffffffffffff\r\nx\r\n0\r\n\r\n'],
    ['a chunk line ended by a bare LF', '1d\ngrant_type=client_credentials\n0\n\n'],
  ])(
    'POST /token with %s → 400 invalid_request with Connection: close (it was never answered)',
    async (_name, chunks) => {
      const result = await exchange(
        `POST /token HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}`,
      );
      const [first] = responses(result.text);
      expect(first?.status).toBe(400);
      expect(first?.headers.connection).toBe('close');
      expect(JSON.parse(first?.body ?? '{}').error).toBe('invalid_request');
    },
  );
});

describe('slowloris — a request held back is bounded', () => {
  it('the whole request (headers and body) must arrive within a bound; Fastify leaves it unbounded', () => {
    // Node answers a request not received in time with 408 (client-error.ts); with 0 a client that
    // sent the headers and held the body back kept its connection forever.
    expect(t.app.server.requestTimeout).toBeGreaterThan(0);
    expect(t.app.server.requestTimeout).toBeLessThanOrEqual(60_000);
  });
});

/** `tessera_oauth_errors_total` for one code, from GET /metrics. */
async function errorCount(code: string): Promise<number> {
  const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`tessera_oauth_errors_total{code="${code}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('refusals of malformed input are counted by the code they answer, never as server_error', () => {
  it('a malformed JSON body at the admin API → 400 invalid_request, counted as invalid_request', async () => {
    const before = { server: await errorCount('server_error'), invalid: await errorCount('invalid_request') };
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { ...t.adminHeaders, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
    expect(await errorCount('server_error')).toBe(before.server);
    expect(await errorCount('invalid_request')).toBe(before.invalid + 1);
  });

  it('a client that hangs up halfway through its body is not a database outage nor a server error', async () => {
    const before = {
      server: await errorCount('server_error'),
      unavailable: await errorCount('temporarily_unavailable'),
      invalid: await errorCount('invalid_request'),
    };
    await new Promise<void>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.write(
          `POST /token HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=`,
        );
        // Once the request is routed and reading its body, the client goes away.
        setTimeout(() => socket.destroy(), 100);
      });
      socket.on('close', () => resolve());
    });
    await waitFor(() => errorCount('invalid_request'), {
      what: 'the aborted request is counted',
      until: (count) => count > before.invalid,
    });
    expect(await errorCount('server_error')).toBe(before.server);
    expect(await errorCount('temporarily_unavailable')).toBe(before.unavailable);
  });
});

describe('RFC 9112 §3.2 — Host', () => {
  it('two Host header lines → 400 invalid_request, Connection: close', async () => {
    const result = await exchange(
      `GET /jwks HTTP/1.1\r\nHost: ${host()}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
    );
    const [first] = responses(result.text);
    expect(first?.status).toBe(400);
    expect(first?.headers.connection).toBe('close');
    expect(JSON.parse(first?.body ?? '{}').error).toBe('invalid_request');
  });

  it.each([
    ['a space inside', 'evil example'],
    ['a path', 'evil.example/x'],
    ['userinfo', 'user@evil.example'],
    ['a bad port', '127.0.0.1:http'],
    ['an unclosed IP literal', '[::1'],
  ])('an invalid Host (%s) → 400 invalid_request', async (_name, value) => {
    const result = await exchange(`GET /jwks HTTP/1.1\r\nHost: ${value}\r\nConnection: close\r\n\r\n`);
    const [first] = responses(result.text);
    expect(first?.status).toBe(400);
    expect(JSON.parse(first?.body ?? '{}').error).toBe('invalid_request');
  });

  it('no Host in HTTP/1.1 → 400 (Node refuses it; answered by the same handler)', async () => {
    const result = await exchange('GET /jwks HTTP/1.1\r\n\r\n');
    const [first] = responses(result.text);
    expect(first?.status).toBe(400);
  });

  it('a valid Host, with or without a port, or an IP literal, is served', async () => {
    for (const value of [host(), 'localhost', '[::1]:8080', 'tessera.test']) {
      const result = await exchange(`GET /healthz HTTP/1.1\r\nHost: ${value}\r\nConnection: close\r\n\r\n`);
      expect(responses(result.text)[0]?.status, value).toBe(200);
    }
  });
});

describe('DESIGN §8 — paths the router cannot decode get the one error body, not Fastify’s own', () => {
  it.each([
    ['a broken escape', '/admin/clients/%zz', 400],
    ['an escape that is not UTF-8', '/admin/clients/%FF', 400],
    ['a path parameter over 2048 characters', `/admin/clients/${'x'.repeat(3000)}`, 414],
    ['a broken escape, with the admin credential', '/admin/users/%E0%80', 400],
  ])('%s → invalid_request JSON with no-store, the path not echoed', async (_name, url, status) => {
    for (const headers of [{}, t.adminHeaders]) {
      const response = await t.app.inject({ method: 'GET', url, headers });
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.json();
      expect(body.error).toBe('invalid_request');
      expect(Object.keys(body).sort()).toEqual(['error', 'error_description', 'request_id']);
      expect(response.body).not.toContain(url.slice(15, 40));
    }
  });
});

describe('RFC 9110 §5.3 / RFC 6749 §2.3 — two Authorization header lines → 400 invalid_request', () => {
  // Node keeps only the first of two Authorization lines; a proxy in front may act on the other.
  it.each([
    ['/token', 'POST', 'grant_type=client_credentials'],
    ['/introspect', 'POST', 'token=x'],
    ['/userinfo', 'GET', undefined],
    ['/admin/clients', 'GET', undefined],
  ])('%s → 400 invalid_request, whichever credential comes first', async (path, method, body) => {
    const framing =
      body === undefined
        ? ''
        : `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n`;
    const result = await exchange(
      `${method} ${path} HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${t.adminToken}\r\nAuthorization: Basic YTpi\r\n${framing}Connection: close\r\n\r\n${body ?? ''}`,
    );
    const [first] = responses(result.text);
    expect(first?.status).toBe(400);
    expect(JSON.parse(first?.body ?? '{}').error).toBe('invalid_request');
  });
});

describe('RFC 9110 §15.5.6 — a method the path does not answer → 405 with Allow', () => {
  it.each([
    ['DELETE', '/jwks', ['GET', 'HEAD']],
    ['PUT', '/.well-known/openid-configuration', ['GET', 'HEAD']],
    ['PROPFIND', '/token', ['POST']],
    ['DELETE', '/healthz', ['GET', 'HEAD']],
  ])('%s %s → 405 invalid_request, Allow names the methods that work', async (method, path, methods) => {
    const response = await t.app.inject({ method: method as 'DELETE', url: path });
    expect(response.statusCode).toBe(405);
    expect(response.json().error).toBe('invalid_request');
    const allow = String(response.headers.allow).split(/,\s*/);
    for (const m of methods) {
      expect(allow).toContain(m);
    }
  });

  it.each([
    ['TRACE', '/token'],
    ['PROPFIND', '/introspect'],
    ['TRACE', '/revoke'],
    ['PROPFIND', '/device_authorization'],
    ['TRACE', '/api-keys/verify'],
  ])(
    'RFC 9110 §10.2.1 — %s %s → 405 whose Allow names only POST, not the methods that answer 405 too',
    async (method, path) => {
      const response = await t.app.inject({ method: method as 'DELETE', url: path });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('POST');
    },
  );

  it('an unknown path is still 404', async () => {
    const response = await t.app.inject({ method: 'DELETE', url: '/no-such-thing' });
    expect(response.statusCode).toBe(404);
  });

  it('a method Node parses but nothing registers (PROPFIND) on a real socket → 405, not 404', async () => {
    const result = await exchange(`PROPFIND /jwks HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
    const [first] = responses(result.text);
    expect(first?.status).toBe(405);
    expect(first?.headers.allow).toContain('GET');
  });
});
