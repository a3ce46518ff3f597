/**
 * `tessera users …` end to end: the commands run in-process against the app listening on
 * 127.0.0.1, through the admin API, with the password on stdin (never in argv).
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminApiError } from '../../src/cli/admin-client.js';
import { readPasswordFromStdin } from '../../src/cli/commands/users.js';
import { createPasswordHasher } from '../../src/users/password-hasher.js';
import { runUsersCommand } from '../support/admin-token-file.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

describe('tessera users', () => {
  let t: TestServer;
  let url: string;

  beforeAll(async () => {
    t = await bootstrap();
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.close();
  });

  function run(args: string[], stdin = ''): Promise<string> {
    return runUsersCommand(t, url, args, stdin);
  }

  it('reads the password from stdin, dropping one trailing newline only', async () => {
    expect(await readPasswordFromStdin(Readable.from(['  spaced pass  \n']))).toBe('  spaced pass  ');
    expect(await readPasswordFromStdin(Readable.from(['crlf pass\r\n']))).toBe('crlf pass');
  });

  it('create --password-stdin, list, show by username, disable, enable, set-password, delete', async () => {
    const created = JSON.parse(
      await run(
        [
          'users',
          'create',
          '--username',
          'Dana',
          '--email',
          'dana@example.com',
          '--password-stdin',
          '--json',
        ],
        'first passphrase ok\n',
      ),
    );
    expect(created).toMatchObject({ username: 'dana', email: 'dana@example.com', disabled: false });
    const stored = await t.store.findUser(created.id);
    expect(await createPasswordHasher().verify(stored?.passwordHash ?? '', 'first passphrase ok')).toBe(true);

    expect(await run(['users', 'list'])).toContain(`${created.id}  dana  dana@example.com  enabled`);
    expect(JSON.parse(await run(['users', 'show', 'dana'])).id).toBe(created.id);
    expect(await run(['users', 'disable', 'dana'])).toContain('disabled');
    expect(await run(['users', 'enable', created.id])).toContain('enabled');

    expect(
      await run(['users', 'set-password', 'dana', '--password-stdin'], 'second passphrase ok\n'),
    ).toContain('signed out everywhere');
    const changed = await t.store.findUser(created.id);
    expect(await createPasswordHasher().verify(changed?.passwordHash ?? '', 'second passphrase ok')).toBe(
      true,
    );

    expect(await run(['users', 'delete', 'dana'])).toContain('Deleted');
    expect(await t.store.findUser(created.id)).toBeUndefined();
  });

  it('refuses a password on the command line path (no --password-stdin) and weak passwords from the server', async () => {
    await expect(run(['users', 'create', '--username', 'erin'])).rejects.toThrow(/--password-stdin/);
    await expect(
      run(['users', 'create', '--username', 'erin', '--password-stdin'], 'password1\n'),
    ).rejects.toBeInstanceOf(AdminApiError);
    await expect(run(['users', 'show', 'nobody'])).rejects.toThrow(/No user named nobody/);
  });
});
