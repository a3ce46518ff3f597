/**
 * `tessera admin-tokens create|list|revoke`: admin credentials (`tsr_adm_…`) with a name, scopes and
 * an expiry, through the running server's admin API (`/admin/admin-tokens`). The token is printed
 * once, by `create`; `--json` prints exactly one JSON object.
 */
import type { Command } from 'commander';
import type { AdminClient } from '../admin-client.js';
import { collectList } from '../flags.js';
import { iso, printJson, printRows, printSecretOnce, write } from '../output.js';

interface AdminTokenView {
  id: string;
  name: string;
  scopes: string[];
  start: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  token?: string;
}

function rows(view: AdminTokenView): [string, string][] {
  return [
    ['id', view.id],
    ['name', view.name],
    ['scopes', view.scopes.join(',')],
    ['start', view.start],
    ['created', iso(view.created_at)],
    ['expires', iso(view.expires_at)],
    ['revoked', iso(view.revoked_at)],
  ];
}

export function addAdminTokensCommands(program: Command, admin: () => AdminClient): void {
  const tokens = program
    .command('admin-tokens')
    .description('admin API credentials (tsr_adm_…) with scopes and an expiry');

  tokens
    .command('create')
    .description('mint an admin token; it is shown once')
    .requiredOption('--name <name>', 'who or what uses it, e.g. "deploy pipeline"')
    .requiredOption(
      '--scope <scopes>',
      'comma-separated: admin, or <area>:read|write for clients, api_keys, users, signing_keys, tokens, admin_tokens, risk, stats',
      collectList,
    )
    .option('--expires-in <duration>', 'e.g. 30d, 12h (default: never)')
    .option('--json', 'print JSON')
    .action(async (opts: { name: string; scope: string[]; expiresIn?: string; json?: boolean }) => {
      const created = await admin().request<AdminTokenView>('POST', '/admin/admin-tokens', {
        name: opts.name,
        scopes: opts.scope,
        ...(opts.expiresIn === undefined ? {} : { expires_in: opts.expiresIn }),
      });
      if (opts.json === true) {
        printJson(created);
        return;
      }
      printRows(rows(created));
      printSecretOnce('token', created.token ?? '', 'admin token');
    });

  tokens
    .command('list')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { items } = await admin().request<{ items: AdminTokenView[] }>('GET', '/admin/admin-tokens');
      if (opts.json === true) {
        printJson({ items });
        return;
      }
      for (const item of items) {
        write(
          `${item.id}  ${item.name}  ${item.scopes.join(',')}  expires ${iso(item.expires_at)}  revoked ${iso(item.revoked_at)}\n`,
        );
      }
    });

  tokens
    .command('revoke <id>')
    .description('revoke an admin token at once')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const result = await admin().request<{ id: string; revoked: boolean }>(
        'POST',
        `/admin/admin-tokens/${encodeURIComponent(id)}/revoke`,
      );
      if (opts.json === true) {
        printJson(result);
        return;
      }
      write(`Revoked ${result.id}.\n`);
    });
}
