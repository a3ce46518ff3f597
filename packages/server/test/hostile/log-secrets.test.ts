/**
 * Issue 12 item 9: a client secret sent in any spelling of a query or path parameter never reaches
 * the log. Real requests go through the real app with a logger at `debug` (every request logged),
 * and the whole log output is searched for canary secrets in every encoding.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { TEST_ADMIN_TOKEN, TEST_ISSUER, TEST_MASTER_KEY } from '../support/bootstrap.js';
import { createTestClient, type TestClient } from '../support/clients.js';

/** Every byte percent-encoded, as a hostile or sloppy client may send it. */
function encodeAll(value: string): string {
  return [...Buffer.from(value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** The ways a secret named `client_secret` can be spelled in a request target. */
function hostileTargets(path: string, secret: string): string[] {
  const enc = encodeURIComponent(secret);
  return [
    `${path}?client_secret=${secret}`,
    `${path}?x=1&client_secret=${secret}`,
    `${path};client_secret=${secret}`,
    `${path}?a=1;client_secret=${secret}`,
    `${path}?client%5Fsecret=${secret}`,
    `${path}?client%5fsecret=${enc}`,
    `${path}?client_secret%3D${secret}`,
    `${path}?client_secret[]=${secret}`,
    `${path}?client_secret%5B%5D=${secret}`,
    `${path}?CLIENT_SECRET=${secret}`,
    `${path}?client_secret=${encodeAll(secret)}`,
    `${path}?${encodeAll(`client_secret=${secret}`)}`,
    `${path}%3Fclient_secret=${secret}`,
    `${path}%3bclient_secret=${secret}`,
    `${path}?password=${secret}&code=${secret}&token=${secret}`,
    `${path}?client_secret=${secret}#frag`,
  ];
}

describe('issue 12 item 9 — secrets in request targets never reach the log', () => {
  const lines: string[] = [];
  let runtime: Runtime;
  let client: TestClient;

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const config = loadConfig({
      env: {},
      overrides: {
        dev: true,
        issuer: TEST_ISSUER,
        'database.url': ':memory:',
        masterKey: TEST_MASTER_KEY,
        adminToken: TEST_ADMIN_TOKEN,
        'log.level': 'debug',
      },
    });
    const clock = createFixedClock(Math.floor(Date.now() / 1000));
    runtime = await createRuntime(config, { clock, logger: createLogger({ level: 'debug', destination }) });
    await runtime.app.ready();
    client = await createTestClient({ store: runtime.store, clock });
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('canary secrets in every encoding, on matched, refused and unknown routes, appear in no log line', async () => {
    const canary = `${client.secret}`;
    const paths = [
      '/token',
      '/introspect',
      '/revoke',
      '/authorize',
      '/userinfo',
      '/jwks',
      '/no-such-route',
      '/admin/clients',
    ];
    let requests = 0;
    for (const path of paths) {
      for (const url of hostileTargets(path, canary)) {
        for (const method of ['GET', 'POST'] as const) {
          await runtime.app.inject({
            method,
            url,
            ...(method === 'POST'
              ? {
                  headers: { 'content-type': 'application/x-www-form-urlencoded' },
                  payload: 'grant_type=client_credentials',
                }
              : {}),
          });
          requests += 1;
        }
      }
    }
    const output = lines.join('');
    // The log did record these requests (so the search below searched something).
    expect(lines.length).toBeGreaterThanOrEqual(requests);
    const secretPart = canary.slice('tsr_cs_'.length);
    for (const needle of [
      canary,
      secretPart,
      encodeURIComponent(canary),
      encodeAll(canary),
      encodeAll(secretPart),
    ]) {
      expect(output.toLowerCase()).not.toContain(needle.toLowerCase());
    }
    expect(output).toContain('"url":"/token?[query not logged]"');
  });
});
