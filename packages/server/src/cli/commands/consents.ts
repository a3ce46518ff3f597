/**
 * `tessera consents list --user U` and `tessera consents revoke --user U --client C`: through the
 * running server's admin API, so a revocation reaches its denylist and revocation stream at once.
 * `U` is a user id (`usr_…`) or a username.
 */
import type { Command } from 'commander';
import type { AdminClient } from '../admin-client.js';
import { resolveId } from './users.js';

interface ConsentView {
  client_id: string;
  scope: string;
  granted_at: number;
}

export interface ConsentsCommandIo {
  stdout: { write(text: string): unknown };
}

export function addConsentsCommands(
  program: Command,
  admin: () => AdminClient,
  io: ConsentsCommandIo = { stdout: process.stdout },
): void {
  const consents = program
    .command('consents')
    .description('see and revoke the clients people allowed (on the running server)');

  consents
    .command('list')
    .description("list a user's consents: client, scopes, when granted")
    .requiredOption('--user <user>', 'user id (usr_…) or username')
    .option('--json', 'print JSON')
    .action(async (opts: { user: string; json?: boolean }) => {
      const client = admin();
      const id = await resolveId(client, opts.user);
      const { items } = await client.request<{ items: ConsentView[] }>(
        'GET',
        `/admin/users/${encodeURIComponent(id)}/consents`,
      );
      if (opts.json === true) {
        io.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
        return;
      }
      if (items.length === 0) {
        io.stdout.write('No consents.\n');
      }
      for (const consent of items) {
        const when = new Date(consent.granted_at * 1000).toISOString();
        io.stdout.write(`${consent.client_id}  ${consent.scope}  ${when}\n`);
      }
    });

  consents
    .command('revoke')
    .description('revoke a consent: every token the user granted the client stops working')
    .requiredOption('--user <user>', 'user id (usr_…) or username')
    .requiredOption('--client <client_id>', 'the client (cli_…)')
    .action(async (opts: { user: string; client: string }) => {
      const client = admin();
      const id = await resolveId(client, opts.user);
      await client.request<undefined>(
        'DELETE',
        `/admin/users/${encodeURIComponent(id)}/consents/${encodeURIComponent(opts.client)}`,
      );
      io.stdout.write('Consent revoked; the tokens issued under it no longer work.\n');
    });
}
