/**
 * `tessera signing-keys revoke KID` end to end (issue 11 item 8): the CLI runs in-process against
 * the app listening on 127.0.0.1, through the admin API, as an operator would use it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminApiError } from '../../src/cli/admin-client.js';
import { runCli } from '../support/admin-token-file.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

describe('tessera signing-keys revoke', () => {
  let t: TestServer;
  let url: string;

  beforeAll(async () => {
    t = await bootstrap();
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.close();
  });

  function run(...args: string[]): Promise<string> {
    return runCli(url, t.adminToken, ...args);
  }

  async function jwksKids(): Promise<string[]> {
    const response = await t.app.inject({ method: 'GET', url: '/jwks' });
    return response.json<{ keys: { kid: string }[] }>().keys.map((k) => k.kid);
  }

  it('issue 11 item 8 — the only signer is refused (conflict), --rotate mints a replacement and pulls it', async () => {
    const kid = t.keyring.current(t.config.keys.algorithm).kid;
    const refused = await run('signing-keys', 'revoke', kid).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(AdminApiError);
    expect((refused as AdminApiError).status).toBe(409);
    expect(await jwksKids()).toContain(kid);

    const result = JSON.parse(await run('signing-keys', 'revoke', kid, '--rotate', '--json')) as {
      kid: string;
      added: { kid: string }[];
    };
    expect(result.kid).toBe(kid);
    expect(result.added).toHaveLength(1);
    expect(await jwksKids()).not.toContain(kid);
    expect(t.keyring.current(t.config.keys.algorithm).kid).toBe(result.added[0]?.kid);
  });

  it('issue 11 "Done when" — an unknown kid → not_found (404)', async () => {
    const error = await run('signing-keys', 'revoke', 'no-such-kid').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AdminApiError);
    expect((error as AdminApiError).status).toBe(404);
  });
});
