/**
 * `tessera consents list|revoke` end to end: the commands run in-process against the app listening
 * on 127.0.0.1, through the admin API, like the other online commands.
 */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminClient } from '../../src/cli/admin-client.js';
import { addConsentsCommands } from '../../src/cli/commands/consents.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createCodeClient, createUser } from '../support/login.js';

describe('tessera consents', () => {
  let t: TestServer;
  let url: string;

  beforeAll(async () => {
    t = await bootstrap();
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.close();
  });

  async function run(args: string[]): Promise<string> {
    let out = '';
    const program = new Command('tessera').exitOverride();
    addConsentsCommands(program, () => createAdminClient(t.config, { url, adminToken: t.adminToken }), {
      stdout: { write: (text: string) => (out += text) },
    });
    await program.parseAsync(['node', 'tessera', ...args]);
    return out;
  }

  it('issue 11 item 7 — list --user (by username or id), revoke --user --client, then the consent is gone and a consent revocation is recorded', async () => {
    const user = await createUser(t, 'carol');
    const app = await createCodeClient(t);
    await t.store.grantConsent(user.id, app.id, ['openid', 'read'], t.clock.now());

    expect(await run(['consents', 'list', '--user', 'carol'])).toContain(`${app.id}  openid read  `);
    expect(JSON.parse(await run(['consents', 'list', '--user', user.id, '--json']))).toEqual([
      { client_id: app.id, scope: 'openid read', granted_at: t.clock.now(), subject_choice: null },
    ]);

    expect(await run(['consents', 'revoke', '--user', 'carol', '--client', app.id])).toContain('revoked');
    expect(await t.store.findConsent(user.id, app.id)).toBeUndefined();
    expect(await run(['consents', 'list', '--user', 'carol'])).toBe('No consents.\n');
    const active = await t.store.listActiveRevocations(t.clock.now());
    expect(active.map((event) => event.target)).toContainEqual({
      type: 'consent',
      value: `${app.id} ${user.id}`,
    });
  });

  it("revoking a consent that does not exist fails with the server's not_found, and an unknown username is named", async () => {
    const user = await createUser(t, 'dave');
    await expect(run(['consents', 'revoke', '--user', user.id, '--client', 'cli_nobody'])).rejects.toThrow(
      /No such consent/,
    );
    await expect(run(['consents', 'list', '--user', 'nobody-here'])).rejects.toThrow(/No user named/);
  });
});
