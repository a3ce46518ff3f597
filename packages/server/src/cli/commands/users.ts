/**
 * `tessera users create|list|show|update|disable|enable|set-password|delete|mfa reset|grant-admin|revoke-admin`:
 * through the running
 * server's admin API, so a password change or disable ends sessions and revokes tokens there.
 * Passwords are read from stdin only (`--password-stdin`): never from argv, where `ps` and shell
 * history would see them.
 */
import type { Command } from 'commander';
import { ADMIN_READ_SCOPES } from '../../tokens/admin-tokens/scopes.js';
import type { AdminClient } from '../admin-client.js';

interface UserView {
  id: string;
  username: string;
  email: string | null;
  email_verified: boolean;
  name: string | null;
  disabled: boolean;
  mfa_required?: boolean;
  mfa?: { totp: boolean; recovery_codes_left: number };
  admin_scopes?: string[] | null;
  created_at: number;
  updated_at: number;
}

/** Reads stdin to the end and drops one trailing newline (what `echo` and here-strings add). */
export async function readPasswordFromStdin(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
): Promise<string> {
  if (stdin.isTTY === true) {
    process.stderr.write('Password (end with Ctrl-D): ');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Where the commands read passwords and print (injected by tests). */
export interface UsersCommandIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(text: string): unknown };
}

function printer(io: UsersCommandIo) {
  return function print(users: UserView[], json: boolean): void {
    if (json) {
      io.stdout.write(`${JSON.stringify(users.length === 1 ? users[0] : users, null, 2)}\n`);
      return;
    }
    for (const u of users) {
      const role = u.admin_scopes == null ? '' : `  admin: ${u.admin_scopes.join(',')}`;
      io.stdout.write(
        `${u.id}  ${u.username}  ${u.email ?? '-'}  ${u.disabled ? 'disabled' : 'enabled'}${role}\n`,
      );
    }
  };
}

interface AdminRoleOptions {
  admin?: boolean;
  adminReadOnly?: boolean;
  adminScopes?: string;
}

/** The admin scopes the role options ask for: undefined for none; a TypeError if they conflict. */
export function adminScopesOf(opts: AdminRoleOptions): string[] | undefined {
  const chosen = [opts.admin === true, opts.adminReadOnly === true, opts.adminScopes !== undefined];
  if (chosen.filter(Boolean).length > 1) {
    throw new TypeError('Use one of --admin, --admin-read-only and --admin-scopes');
  }
  if (opts.admin === true) {
    return ['admin'];
  }
  if (opts.adminReadOnly === true) {
    return [...ADMIN_READ_SCOPES];
  }
  return opts.adminScopes?.split(/[\s,]+/).filter((scope) => scope !== '');
}

/** A user id (`usr_…`) as is; anything else is looked up as a username. */
export async function resolveId(client: AdminClient, idOrName: string): Promise<string> {
  if (idOrName.startsWith('usr_')) {
    return idOrName;
  }
  const { items } = await client.request<{ items: UserView[] }>(
    'GET',
    `/admin/users?username=${encodeURIComponent(idOrName)}`,
  );
  const user = items[0];
  if (user === undefined) {
    throw new Error(`No user named ${idOrName}`);
  }
  return user.id;
}

export function addUsersCommands(
  program: Command,
  admin: () => AdminClient,
  io: UsersCommandIo = { stdin: process.stdin, stdout: process.stdout },
): void {
  const print = printer(io);
  const users = program.command('users').description('manage the people who sign in (on the running server)');

  users
    .command('create')
    .description('create a user; the password is read from stdin')
    .requiredOption('--username <name>', 'sign-in name (case-insensitive)')
    .option('--email <email>', 'email address')
    .option('--name <name>', 'display name')
    .option('--mfa-required', 'every sign-in of this person needs a second factor')
    .option('--admin', 'an operator with every admin scope (the console)')
    .option('--admin-read-only', 'an operator who sees everything and changes nothing')
    .option('--admin-scopes <scopes>', 'an operator with these admin scopes, comma-separated')
    .option('--password-stdin', 'read the password from stdin (required)')
    .option('--json', 'print JSON')
    .action(
      async (
        opts: {
          username: string;
          email?: string;
          name?: string;
          mfaRequired?: boolean;
          passwordStdin?: boolean;
          json?: boolean;
        } & AdminRoleOptions,
      ) => {
        if (opts.passwordStdin !== true) {
          throw new Error('Pass the password on stdin with --password-stdin (never on the command line)');
        }
        const scopes = adminScopesOf(opts);
        const password = await readPasswordFromStdin(io.stdin);
        const client = admin();
        let user = await client.request<UserView>('POST', '/admin/users', {
          username: opts.username,
          password,
          ...(opts.email === undefined ? {} : { email: opts.email }),
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.mfaRequired === true ? { mfa_required: true } : {}),
        });
        if (scopes !== undefined) {
          try {
            user = await client.request<UserView>('PUT', `/admin/users/${user.id}/admin`, { scopes });
          } catch (error) {
            // One command, one outcome: a person whose role was refused is not left behind.
            await client.request<undefined>('DELETE', `/admin/users/${user.id}`);
            throw error;
          }
        }
        print([user], opts.json === true);
      },
    );

  users
    .command('list')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const client = admin();
      const all: UserView[] = [];
      let cursor: string | undefined;
      do {
        const page: { items: UserView[]; next?: string } = await client.request(
          'GET',
          `/admin/users${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`,
        );
        all.push(...page.items);
        cursor = page.next;
      } while (cursor !== undefined);
      print(all, opts.json === true);
    });

  users
    .command('show <user>')
    .description('show a user by id (usr_…) or username')
    .option('--json', 'print JSON')
    .action(async (user: string, opts: { json?: boolean }) => {
      const client = admin();
      print(
        [await client.request<UserView>('GET', `/admin/users/${await resolveId(client, user)}`)],
        opts.json !== false,
      );
    });

  for (const [name, action, description] of [
    ['disable', 'disable', 'disable a user: ends their sessions and revokes their tokens'],
    ['enable', 'enable', 'enable a disabled user'],
  ] as const) {
    users
      .command(`${name} <user>`)
      .description(description)
      .option('--json', 'print JSON')
      .action(async (user: string, opts: { json?: boolean }) => {
        const client = admin();
        print(
          [await client.request<UserView>('POST', `/admin/users/${await resolveId(client, user)}/${action}`)],
          opts.json === true,
        );
      });
  }

  users
    .command('update <user>')
    .description("change a user's settings")
    .option('--mfa-required', 'every sign-in of this person needs a second factor')
    .option(
      '--no-mfa-required',
      'a password alone is enough again (unless the client or server says otherwise)',
    )
    .option('--json', 'print JSON')
    .action(async (user: string, opts: { mfaRequired?: boolean; json?: boolean }) => {
      const client = admin();
      const body = opts.mfaRequired === undefined ? {} : { mfa_required: opts.mfaRequired };
      print(
        [await client.request<UserView>('PATCH', `/admin/users/${await resolveId(client, user)}`, body)],
        opts.json === true,
      );
    });

  users
    .command('mfa')
    .description("a user's second factors")
    .command('reset <user>')
    .description('remove the authenticator app and recovery codes (e.g. after a lost phone)')
    .action(async (user: string) => {
      const client = admin();
      const state = await client.request<{ removed: boolean }>(
        'POST',
        `/admin/users/${await resolveId(client, user)}/mfa/reset`,
      );
      io.stdout.write(state.removed ? 'Second factors removed.\n' : 'The user had no second factor.\n');
    });

  users
    .command('grant-admin <user>')
    .description('make a person an operator of the console (every admin scope unless --scopes/--read-only)')
    .option('--scopes <scopes>', 'admin scopes, comma-separated (e.g. clients:write,users:read)')
    .option('--read-only', 'every area, read only')
    .option('--json', 'print JSON')
    .action(async (user: string, opts: { scopes?: string; readOnly?: boolean; json?: boolean }) => {
      const client = admin();
      const scopes = adminScopesOf({
        ...(opts.scopes === undefined ? {} : { adminScopes: opts.scopes }),
        ...(opts.readOnly === true ? { adminReadOnly: true } : {}),
      }) ?? ['admin'];
      print(
        [
          await client.request<UserView>('PUT', `/admin/users/${await resolveId(client, user)}/admin`, {
            scopes,
          }),
        ],
        opts.json === true,
      );
    });

  users
    .command('revoke-admin <user>')
    .description("take a person's admin role away (their console access ends at once)")
    .option('--json', 'print JSON')
    .action(async (user: string, opts: { json?: boolean }) => {
      const client = admin();
      print(
        [await client.request<UserView>('DELETE', `/admin/users/${await resolveId(client, user)}/admin`)],
        opts.json === true,
      );
    });

  users
    .command('set-password <user>')
    .description('set a new password (read from stdin): ends their sessions and revokes their tokens')
    .option('--password-stdin', 'read the password from stdin (the default and only way)')
    .action(async (user: string) => {
      const client = admin();
      const id = await resolveId(client, user);
      const password = await readPasswordFromStdin(io.stdin);
      await client.request<UserView>('POST', `/admin/users/${id}/password`, { password });
      io.stdout.write('Password changed; the user was signed out everywhere.\n');
    });

  users
    .command('delete <user>')
    .description('delete a user: ends their sessions and revokes their tokens')
    .action(async (user: string) => {
      const client = admin();
      await client.request<undefined>('DELETE', `/admin/users/${await resolveId(client, user)}`);
      io.stdout.write('Deleted.\n');
    });
}
