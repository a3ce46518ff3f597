/**
 * `tessera admin-tokens create|list|revoke` end to end (issue 12 item 11): the CLI runs in-process
 * against the app listening on 127.0.0.1, through the admin API.
 */

import { parseSecret } from '@tessera/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminApiError } from '../../src/cli/admin-client.js';
import { runCli } from '../support/admin-token-file.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

describe('tessera admin-tokens', () => {
  let t: TestServer;
  let url: string;

  beforeAll(async () => {
    t = await bootstrap();
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.close();
  });

  function run(token: string, ...args: string[]): Promise<string> {
    return runCli(url, token, ...args);
  }

  it('issue 12 item 11 — create --json shows the token once; list shows it without the token; revoke stops it', async () => {
    const created = JSON.parse(
      await run(
        t.adminToken,
        'admin-tokens',
        'create',
        '--name',
        'ci',
        '--scope',
        'clients:read,tokens:write',
        '--expires-in',
        '30d',
        '--json',
      ),
    ) as { id: string; token: string; scopes: string[]; expires_at: number };
    expect(parseSecret(created.token, 'adm')).toBeDefined();
    expect(created.scopes).toEqual(['clients:read', 'tokens:write']);
    expect(created.expires_at).toBe(t.clock.now() + 30 * 86_400);

    const listed = await run(created.token, 'clients', 'list', '--json');
    expect(JSON.parse(listed)).toHaveProperty('items');
    const tokens = await run(t.adminToken, 'admin-tokens', 'list', '--json');
    expect(tokens).toContain(created.id);
    expect(tokens).not.toContain(created.token);

    await run(t.adminToken, 'admin-tokens', 'revoke', created.id);
    const refused = await run(created.token, 'clients', 'list', '--json').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AdminApiError);
    expect((refused as AdminApiError).status).toBe(401);
  });
});
