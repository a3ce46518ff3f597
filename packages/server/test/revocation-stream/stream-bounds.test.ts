/**
 * Bounded revocation streams (issue 11 item 10): a long-lived stream remembers a bounded number of
 * event ids while every event still arrives exactly once, and open streams are capped per client
 * and in total (429 rate_limited with Retry-After, RFC 6585 §4), the slot coming back on disconnect.
 */
import type { RevocationEvent } from '@tessera/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/bootstrap.js';
import { createTestClient, type TestClient } from '../support/clients.js';
import { listeningServer } from '../support/listening.js';
import { waitFor } from '../support/wait-for.js';

let t: (TestServer & { url: string }) | undefined;
const streams: OpenStream[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) {
    stream.close();
  }
  await t?.close();
  t = undefined;
});

interface OpenStream {
  status: number;
  headers: Headers;
  body: string;
  /** Resolves once the text received so far matches (bounded: fails on a hang, not on speed). */
  until(done: (text: string) => boolean): Promise<string>;
  close(): void;
}

async function open(url: string, reader: TestClient): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(`${url}/revocations/stream`, {
    headers: { authorization: reader.basic },
    signal: controller.signal,
  });
  let text = '';
  let ended = false;
  if (response.status === 200 && response.body !== null) {
    const decoder = new TextDecoder();
    const body = response.body.getReader();
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await body.read();
          if (done) {
            break;
          }
          text += decoder.decode(value, { stream: true });
        }
      } catch {
        // aborted
      } finally {
        ended = true;
      }
    })();
  }
  const stream: OpenStream = {
    status: response.status,
    headers: response.headers,
    body: response.status === 200 ? '' : await response.text(),
    async until(done) {
      const started = Date.now();
      while (!done(text) && !ended && Date.now() - started < 15_000) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return text;
    },
    close: () => controller.abort(),
  };
  streams.push(stream);
  return stream;
}

function ids(text: string): number[] {
  return [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
}

async function metric(server: TestServer, name: string): Promise<number> {
  const body = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(body);
  return Number(match?.[1] ?? Number.NaN);
}

describe('revocation stream bounds', () => {
  it('issue 11 item 10 — a long-lived stream remembers a bounded number of ids, and every event arrives exactly once', async () => {
    t = await listeningServer();
    const reader = await createTestClient(t, { permissions: ['revocations:stream'] });
    const stream = await open(t.url, reader);
    expect(stream.status).toBe(200);
    await stream.until((text) => text.includes('event: ready'));

    const total = 6000;
    const now = t.clock.now();
    for (let id = 1; id <= total; id++) {
      const event: RevocationEvent = {
        id,
        target: { type: 'jti', value: `jti-${id}` },
        revokedAt: now,
        expiresAt: now + 600,
      };
      t.bus.publish('revocation.created', event);
      if (id % 500 === 0) {
        // Let the reader keep up, as a real consumer would (a stalled one is cut off by design).
        await stream.until((text) => text.includes(`id: ${id}\n`));
      }
    }
    // A repeat of a recent event (a replay after a bus reconnect) is not sent again.
    t.bus.publish('revocation.created', {
      id: total,
      target: { type: 'jti', value: `jti-${total}` },
      revokedAt: now,
      expiresAt: now + 600,
    });
    t.bus.publish('revocation.created', {
      id: total + 1,
      target: { type: 'jti', value: 'last' },
      revokedAt: now,
      expiresAt: now + 600,
    });
    const text = await stream.until((received) => received.includes(`id: ${total + 1}\n`));

    expect(ids(text)).toEqual(Array.from({ length: total + 1 }, (_, i) => i + 1));
    expect(await metric(t, 'tessera_revocation_streams_open')).toBe(1);
    expect(await metric(t, 'tessera_revocation_stream_tracked_ids')).toBeLessThanOrEqual(4096);
  });

  it('issue 11 item 10 — RFC 6585 §4: over the per-client cap → 429 rate_limited with Retry-After; a closed stream frees its slot', async () => {
    t = await listeningServer({
      'revocationStream.maxStreamsPerClient': 2,
      'revocationStream.maxStreams': 0,
    });
    const reader = await createTestClient(t, { permissions: ['revocations:stream'] });
    const other = await createTestClient(t, { permissions: ['revocations:stream'] });
    const first = await open(t.url, reader);
    const second = await open(t.url, reader);
    await first.until((text) => text.includes('event: ready'));
    await second.until((text) => text.includes('event: ready'));

    const refused = await open(t.url, reader);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'rate_limited' });
    // Another client is not affected by this client's cap.
    expect((await open(t.url, other)).status).toBe(200);

    first.close();
    const url = t.url;
    const { value: again } = await waitFor(() => open(url, reader), {
      what: 'a stream slot freed by the closed stream',
      until: (answer) => answer.status !== 429,
      intervalMs: 20,
    });
    expect(again.status).toBe(200);
  });

  it('issue 11 item 10 — over the global cap (revocationStream.maxStreams) → 429 for every client', async () => {
    t = await listeningServer({
      'revocationStream.maxStreamsPerClient': 0,
      'revocationStream.maxStreams': 2,
    });
    const a = await createTestClient(t, { permissions: ['revocations:stream'] });
    const b = await createTestClient(t, { permissions: ['revocations:stream'] });
    expect((await open(t.url, a)).status).toBe(200);
    expect((await open(t.url, a)).status).toBe(200);
    const refused = await open(t.url, b);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    // Unauthenticated callers still learn nothing but 401.
    const anonymous = await fetch(`${t.url}/revocations/stream`);
    expect(anonymous.status).toBe(401);
  });
});
