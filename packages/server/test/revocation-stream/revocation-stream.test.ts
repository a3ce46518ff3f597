/**
 * `GET /revocations/stream` (issue 5, DESIGN §5): client authentication and permission, discovery,
 * backlog with and without Last-Event-ID (WHATWG HTML §9.2), live events, clean shutdown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/bootstrap.js';
import { basicAuthorization, createTestClient, type TestClient } from '../support/clients.js';
import { listeningServer } from '../support/listening.js';

let t: (TestServer & { url: string }) | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(): Promise<{ t: TestServer & { url: string }; reader: TestClient }> {
  t = await listeningServer();
  const reader = await createTestClient(t, { permissions: ['revocations:stream'] });
  return { t, reader };
}

/** Reads the stream until `until` matches the text received so far, then aborts. */
async function readStream(
  url: string,
  headers: Record<string, string>,
  until: (text: string) => boolean,
): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = (response.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>)
    .getReader();
  let text = '';
  while (!until(text)) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    text += value;
  }
  controller.abort();
  return text;
}

function eventIds(text: string): number[] {
  return [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
}

describe('GET /revocations/stream', () => {
  it('RFC 8414 §2 (Tessera extension) — discovery advertises revocation_stream_endpoint', async () => {
    const { t } = await start();
    const meta = (await t.app.inject({ url: '/.well-known/oauth-authorization-server' })).json();
    expect(meta.revocation_stream_endpoint).toBe(`${t.url}/revocations/stream`);
  });

  it('RFC 6749 §2.3.1 — no client credentials → 401 invalid_client with a Basic challenge', async () => {
    const { t } = await start();
    const response = await t.app.inject({ url: '/revocations/stream' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'invalid_client' });
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });

  it('RFC 6749 §5.2 — a wrong secret → 401 invalid_client', async () => {
    const { t, reader } = await start();
    const response = await t.app.inject({
      url: '/revocations/stream',
      headers: { authorization: basicAuthorization(reader.id, 'tsr_cs_wrong') },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('a client without the revocations:stream permission → 403 insufficient_scope', async () => {
    const { t } = await start();
    const other = await createTestClient(t);
    const response = await t.app.inject({
      url: '/revocations/stream',
      headers: { authorization: other.basic },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('WHATWG HTML §9.2.4 — a malformed Last-Event-ID → 400 invalid_request', async () => {
    const { t, reader } = await start();
    const response = await t.app.inject({
      url: '/revocations/stream',
      headers: { authorization: reader.basic, 'last-event-id': 'abc' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('without Last-Event-ID: every active revocation (expired ones left out), then ready', async () => {
    const { t, reader } = await start();
    const now = t.clock.now();
    await t.store.addRevocation({ type: 'jti', value: 'jti_expired' }, now - 100, now - 1);
    const active = await t.store.addRevocation({ type: 'jti', value: 'jti_active' }, now, now + 600);
    const text = await readStream(`${t.url}/revocations/stream`, { authorization: reader.basic }, (so) =>
      so.includes('event: ready'),
    );
    expect(eventIds(text)).toEqual([active.id]);
    expect(text).toContain(`data: ${JSON.stringify(active)}`);
    expect(text.indexOf('event: ready')).toBeGreaterThan(text.indexOf('jti_active'));
  });

  it('with Last-Event-ID: the revocations after it, with a small overlap before it', async () => {
    const { t, reader } = await start();
    const now = t.clock.now();
    const events = [];
    for (let i = 0; i < 5; i++) {
      events.push(await t.store.addRevocation({ type: 'jti', value: `jti_${i}` }, now, now + 600));
    }
    const last = events.at(-1)?.id ?? 0;
    const text = await readStream(
      `${t.url}/revocations/stream`,
      { authorization: reader.basic, 'last-event-id': String(last - 2) },
      (so) => so.includes('event: ready'),
    );
    // Ids are replayed from before Last-Event-ID too (commit order may differ from id order).
    expect(eventIds(text)).toEqual(events.map((event) => event.id));
  });

  it('server shutdown ends open streams, so close() does not hang', async () => {
    const { t: server, reader } = await start();
    const response = await fetch(`${server.url}/revocations/stream`, {
      headers: { authorization: reader.basic },
    });
    const body = (response.body as ReadableStream<Uint8Array>).getReader();
    await body.read();
    await server.close();
    t = undefined;
    // The stream ends (done) rather than hanging.
    for (;;) {
      const { done } = await body.read();
      if (done) {
        break;
      }
    }
    expect(true).toBe(true);
  });
});
