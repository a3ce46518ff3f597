/**
 * `/readyz` answers within its own limit (`database.readyTimeout`) when the database ping hangs
 * (issue "Survive the database", item 3), while `/healthz` is untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

describe('readiness with a hung database', () => {
  let t: TestServer;
  let restore: (() => void) | undefined;

  beforeAll(async () => {
    t = await bootstrap({ 'database.readyTimeout': '200ms' });
  });
  afterAll(async () => {
    restore?.();
    await t?.close();
  });

  it('issue 20 item 3 — a ping that never answers → /readyz 503 at database.readyTimeout, /healthz 200', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const ping = t.store.ping;
    restore = () => {
      t.store.ping = ping;
    };
    t.store.ping = () => new Promise<void>(() => {});
    // Without the limit this inject never resolves and the test times out.
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', reason: 'store is not ready' });
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    restore();
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});
