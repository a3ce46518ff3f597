/**
 * `deviceAuthorization()` against a REAL Tessera on 127.0.0.1 (RFC 8628): it shows the code,
 * polls at the interval the server asks for, backs off on `slow_down`, returns tokens once the
 * person approves, and stops on denial, expiry or abort. The waits are the test's: each moves the
 * server's clock instead of sleeping.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeviceClient, verifyInBrowser } from '../../server/test/device/device-support.js';
import type { TestClient } from '../../server/test/support/clients.js';
import { Browser, createUser } from '../../server/test/support/login.js';
import { type DeviceCode, deviceAuthorization, TesseraClientError } from '../src/index.js';
import { type ListeningTessera, startTessera } from './support/tessera.js';

let tessera: ListeningTessera;
let device: TestClient;

beforeEach(async () => {
  tessera = await startTessera();
  await createUser(tessera.t);
  device = await createDeviceClient(tessera.t);
});
afterEach(async () => {
  await tessera.close();
});

describe('deviceAuthorization() (RFC 8628)', () => {
  it('RFC 8628 §3.2–3.5 — shows the code, polls at the interval, returns tokens once the person approves', async () => {
    const shown: DeviceCode[] = [];
    const waits: number[] = [];
    let polls = 0;
    const tokens = await deviceAuthorization({
      issuer: tessera.issuer,
      clientId: device.id,
      scope: 'openid offline_access',
      onCode: (code) => {
        shown.push(code);
      },
      sleep: async (seconds) => {
        waits.push(seconds);
        tessera.t.clock.advance(seconds);
        polls++;
        if (polls === 3) {
          await verifyInBrowser(new Browser(tessera.t), shown[0]?.userCode ?? '');
        }
      },
    });
    expect(shown).toEqual([
      {
        userCode: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
        verificationUri: `${tessera.issuer}/device`,
        verificationUriComplete: expect.stringContaining('/device?user_code='),
        expiresIn: 600,
      },
    ]);
    expect(waits).toEqual([5, 5, 5]);
    expect(tokens).toMatchObject({
      tokenType: 'bearer',
      refreshToken: expect.stringMatching(/^tsr_rt_/),
      idToken: expect.any(String),
      scope: 'openid offline_access',
    });
  });

  it('RFC 8628 §3.5 — after slow_down it waits 5 seconds longer for every later poll', async () => {
    const shown: DeviceCode[] = [];
    const waits: number[] = [];
    await deviceAuthorization({
      issuer: tessera.issuer,
      clientId: device.id,
      onCode: (code) => {
        shown.push(code);
      },
      sleep: async (seconds) => {
        waits.push(seconds);
        // The second wait is cut short (as a too-eager device would): the server says slow_down.
        tessera.t.clock.advance(waits.length === 2 ? 1 : seconds);
        if (waits.length === 4) {
          await verifyInBrowser(new Browser(tessera.t), shown[0]?.userCode ?? '');
        }
      },
    });
    expect(waits).toEqual([5, 5, 10, 10]);
  });

  it('RFC 8628 §3.5 — the person denies → TesseraClientError access_denied', async () => {
    const shown: DeviceCode[] = [];
    const run = deviceAuthorization({
      issuer: tessera.issuer,
      clientId: device.id,
      onCode: async (code) => {
        shown.push(code);
        await verifyInBrowser(new Browser(tessera.t), code.userCode, { decision: 'deny' });
      },
      sleep: async (seconds) => tessera.t.clock.advance(seconds),
    });
    await expect(run).rejects.toBeInstanceOf(TesseraClientError);
    await expect(run).rejects.toMatchObject({ code: 'access_denied' });
  });

  it('RFC 8628 §3.5 — nobody answers before expires_in → expired_token', async () => {
    const run = deviceAuthorization({
      issuer: tessera.issuer,
      clientId: device.id,
      onCode: () => {},
      sleep: async () => tessera.t.clock.advance(120),
    });
    await expect(run).rejects.toMatchObject({ code: 'expired_token' });
  });

  it('abortable: aborting while it waits rejects with the reason and polls no more', async () => {
    const controller = new AbortController();
    const before = await tessera.tokenRequests();
    const run = deviceAuthorization({
      issuer: tessera.issuer,
      clientId: device.id,
      signal: controller.signal,
      onCode: () => {},
      // A wait that ends only when the signal it is given aborts.
      sleep: (_seconds, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          controller.abort(new Error('user pressed Ctrl-C'));
        }),
    });
    await expect(run).rejects.toThrow('user pressed Ctrl-C');
    expect(await tessera.tokenRequests()).toBe(before);
  });
});
