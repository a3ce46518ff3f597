/**
 * `tessera clients create|list|show|update|delete|rotate-secret`: through the running server's
 * admin API (`/admin/clients`), so its caches and the bus see every change at once (STYLE §9.1).
 * The server validates; this file only turns flags into the wire body and prints the answer.
 * `--json` prints exactly one JSON object.
 */
import { type Command, Option } from 'commander';
import type { AdminClient } from '../admin-client.js';
import { collect, collectList, parseMetaPairs } from '../flags.js';
import { iso, printJson, printRows, printSecretOnce, write } from '../output.js';

/** The wire view of a client, as the admin API returns it. */
interface ClientView {
  client_id: string;
  name: string;
  grant_types: string[];
  scope: string;
  default_scope: string;
  audiences: string[];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  token_endpoint_auth_method: string;
  token_format: string;
  access_token_ttl: number | null;
  metadata: Record<string, unknown>;
  jwks: unknown;
  jwks_uri: string | null;
  subject_type?: string;
  sector_identifier_uri?: string | null;
  first_party: boolean;
  dpop_bound_access_tokens: boolean;
  require_mfa?: boolean;
  permissions: string[];
  disabled: boolean;
  secrets: { start: string; created_at: number; expires_at: number | null }[];
  created_at: number;
  updated_at: number;
  client_secret?: string;
  previous_secrets_expire_at?: number;
}

/** Flags shared by `create` and `update`, as commander parses them. */
export interface ClientFlags {
  name?: string;
  grantTypes?: string[];
  scope?: string;
  defaultScope?: string;
  audience?: string[];
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  tokenFormat?: string;
  accessTokenTtl?: string;
  authMethod?: string;
  public?: boolean;
  firstParty?: boolean;
  dpopBound?: boolean;
  requireMfa?: boolean;
  permission?: string[];
  meta?: string[];
  jwksUri?: string;
  subjectType?: string;
  sectorIdentifierUri?: string;
  disabled?: boolean;
  json?: boolean;
}

/** The wire body for the flags that were given (PATCH semantics: absent flags stay absent). */
export function bodyOf(flags: ClientFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) {
      body[key] = value;
    }
  };
  set('name', flags.name);
  set('grant_types', flags.grantTypes);
  set('scope', flags.scope);
  set('default_scope', flags.defaultScope);
  set('audiences', flags.audience);
  set('redirect_uris', flags.redirectUri);
  set('post_logout_redirect_uris', flags.postLogoutRedirectUri);
  set('token_format', flags.tokenFormat);
  // `default` goes back to the server default (tokens.accessTokenTtl).
  set('access_token_ttl', flags.accessTokenTtl === 'default' ? null : flags.accessTokenTtl);
  set('token_endpoint_auth_method', flags.public === true ? 'none' : flags.authMethod);
  set('first_party', flags.firstParty);
  set('dpop_bound_access_tokens', flags.dpopBound);
  set('require_mfa', flags.requireMfa);
  set('permissions', flags.permission);
  set('metadata', flags.meta === undefined ? undefined : parseMetaPairs(flags.meta));
  set('jwks_uri', flags.jwksUri);
  set('subject_type', flags.subjectType);
  // `none` removes it (the sector is then the host of the redirect URIs).
  set('sector_identifier_uri', flags.sectorIdentifierUri === 'none' ? null : flags.sectorIdentifierUri);
  set('disabled', flags.disabled);
  return body;
}

function printClient(client: ClientView): void {
  const rows: [string, string][] = [
    ['client_id', client.client_id],
    ['name', client.name],
    ['grant_types', client.grant_types.join(' ')],
    ['scope', client.scope || '-'],
    ['default_scope', client.default_scope || '(all of scope)'],
    ['audiences', client.audiences.join(' ') || '-'],
    ['redirect_uris', client.redirect_uris.join(' ') || '-'],
    ['auth_method', client.token_endpoint_auth_method],
    ['token_format', client.token_format],
    ['access_token_ttl', client.access_token_ttl === null ? 'server default' : `${client.access_token_ttl}s`],
    ['metadata', Object.keys(client.metadata).length === 0 ? '-' : JSON.stringify(client.metadata)],
    ['jwks', client.jwks_uri ?? (client.jwks === null ? '-' : 'registered key set')],
    ['subject_type', client.subject_type ?? 'public'],
    ['sector_identifier_uri', client.sector_identifier_uri ?? '-'],
    ['first_party', String(client.first_party)],
    ['dpop_bound', String(client.dpop_bound_access_tokens)],
    ['require_mfa', String(client.require_mfa ?? false)],
    ['permissions', client.permissions.join(' ') || '-'],
    ['disabled', String(client.disabled)],
    [
      'secrets',
      client.secrets.map((s) => `tsr_cs_${s.start}… (expires ${iso(s.expires_at)})`).join(', ') ||
        (client.token_endpoint_auth_method === 'none' ? 'none (public client)' : 'none'),
    ],
    ['created_at', iso(client.created_at)],
    ['updated_at', iso(client.updated_at)],
  ];
  printRows(rows);
}

export async function runClientsCreate(client: AdminClient, flags: ClientFlags): Promise<void> {
  const created = await client.request<ClientView>('POST', '/admin/clients', bodyOf(flags));
  if (flags.json === true) {
    printJson(created);
    return;
  }
  write(`Created client ${created.client_id}\n\n`);
  const { client_secret: secret, ...view } = created;
  printClient(view);
  if (secret !== undefined) {
    printSecretOnce('client_secret', secret, 'client secret');
  }
}

export async function runClientsList(
  client: AdminClient,
  options: { limit?: string; cursor?: string; json?: boolean },
): Promise<void> {
  const query = new URLSearchParams();
  if (options.limit !== undefined) {
    query.set('limit', options.limit);
  }
  if (options.cursor !== undefined) {
    query.set('cursor', options.cursor);
  }
  const suffix = query.toString() === '' ? '' : `?${query.toString()}`;
  const page = await client.request<{ items: ClientView[]; next?: string }>('GET', `/admin/clients${suffix}`);
  if (options.json === true) {
    printJson(page);
    return;
  }
  if (page.items.length === 0) {
    write('No clients.\n');
  }
  for (const c of page.items) {
    const state = c.disabled ? '  [disabled]' : '';
    write(
      `${c.client_id}  ${c.name}  grants: ${c.grant_types.join(',')}  scope: ${c.scope || '-'}${state}\n`,
    );
  }
  if (page.next !== undefined) {
    write(`More: tessera clients list --cursor ${page.next}\n`);
  }
}

export async function runClientsShow(client: AdminClient, id: string, json: boolean): Promise<void> {
  const view = await client.request<ClientView>('GET', `/admin/clients/${encodeURIComponent(id)}`);
  if (json) {
    printJson(view);
    return;
  }
  printClient(view);
}

export async function runClientsUpdate(client: AdminClient, id: string, flags: ClientFlags): Promise<void> {
  const body = bodyOf(flags);
  if (Object.keys(body).length === 0) {
    throw new Error('Nothing to update: give at least one flag, e.g. --scope "read write"');
  }
  const view = await client.request<ClientView>('PATCH', `/admin/clients/${encodeURIComponent(id)}`, body);
  if (flags.json === true) {
    printJson(view);
    return;
  }
  write(`Updated client ${view.client_id}\n\n`);
  printClient(view);
}

export async function runClientsDelete(client: AdminClient, id: string, json: boolean): Promise<void> {
  await client.request<undefined>('DELETE', `/admin/clients/${encodeURIComponent(id)}`);
  if (json) {
    printJson({ client_id: id, deleted: true });
    return;
  }
  write(
    `Deleted client ${id} (its secrets, codes, refresh tokens and opaque tokens are gone; its tokens are revoked).\n`,
  );
}

export async function runClientsRotateSecret(
  client: AdminClient,
  id: string,
  options: { grace?: string; json?: boolean },
): Promise<void> {
  const rotated = await client.request<ClientView>(
    'POST',
    `/admin/clients/${encodeURIComponent(id)}/rotate-secret`,
    options.grace === undefined ? {} : { grace: options.grace },
  );
  if (options.json === true) {
    printJson(rotated);
    return;
  }
  const until = rotated.previous_secrets_expire_at ?? null;
  write(`Rotated the secret of ${rotated.client_id}.\n`);
  write(
    until !== null && until * 1000 > Date.now()
      ? `The previous secret keeps working until ${iso(until)}.\n`
      : 'The previous secret no longer works.\n',
  );
  if (rotated.client_secret !== undefined) {
    printSecretOnce('client_secret', rotated.client_secret, 'client secret');
  }
}

/** The flags shared by `create` and `update`. */
function addClientFlags(command: Command, forUpdate: boolean): Command {
  if (forUpdate) {
    command.option('--name <name>', 'display name');
  }
  return command
    .option(
      '--grant-types <grants>',
      'client_credentials, authorization_code, refresh_token (comma-separated or repeated)',
      collectList,
    )
    .option('--scope <scopes>', 'space-separated scopes the client may be granted, e.g. "read write"')
    .option('--default-scope <scopes>', 'scopes granted when a request names none (default: all of --scope)')
    .option(
      '--audience <uri>',
      'an audience (RFC 8707 resource) the client may ask for; repeat for more; the first is the default',
      collect,
    )
    .option('--redirect-uri <uri>', 'an exact redirect URI (authorization_code); repeat for more', collect)
    .option('--post-logout-redirect-uri <uri>', 'an exact post-logout redirect URI; repeat for more', collect)
    .addOption(new Option('--token-format <format>', 'access-token format').choices(['jwt', 'opaque']))
    .option(
      '--access-token-ttl <duration>',
      `access-token lifetime, e.g. 10m, 1h or seconds${forUpdate ? ', or "default" for the server default' : ''}`,
    )
    .addOption(
      new Option('--auth-method <method>', 'token endpoint authentication').choices([
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'none',
      ]),
    )
    .option('--public', 'a public client (browser or mobile app): no secret, same as --auth-method none')
    .option('--first-party', 'skip the consent page for this client')
    .option('--no-first-party', forUpdate ? 'require consent again' : 'require consent (the default)')
    .option('--dpop-bound', 'refuse token requests without a DPoP proof (RFC 9449 dpop_bound_access_tokens)')
    .option(
      '--no-dpop-bound',
      forUpdate
        ? 'accept token requests without a DPoP proof again'
        : 'accept requests without a DPoP proof (the default)',
    )
    .option('--require-mfa', 'every sign-in for this client needs a second factor (docs/mfa.md)')
    .option(
      '--no-require-mfa',
      forUpdate ? 'a password alone is enough again' : 'a password alone is enough (the default)',
    )
    .option(
      '--permission <permission>',
      'revocations:stream, ssf:receive, api_keys:verify or introspect; repeat for more',
      collect,
    )
    .option(
      '--meta <key=value>',
      `a static claim for the client's tokens; repeat for more${forUpdate ? ' (replaces all metadata)' : ''}`,
      collect,
    )
    .option('--jwks-uri <url>', 'https URL of the client JWK Set (private_key_jwt)')
    .addOption(
      new Option(
        '--subject-type <type>',
        'the sub the client sees: public (the user id) or pairwise (per sector, OpenID Connect Core section 8)',
      ).choices(['public', 'pairwise']),
    )
    .option(
      '--sector-identifier-uri <url>',
      `https URL of a JSON array listing every redirect URI; its host is the pairwise sector${forUpdate ? ' ("none" removes it)' : ''}`,
    )
    .option('--json', 'print one JSON object');
}

/** Adds the `clients` command group; `admin` builds the admin API client when a command runs. */
export function addClientsCommands(program: Command, admin: () => AdminClient): void {
  const clients = program
    .command('clients')
    .description('manage the clients (applications) of the running server');

  addClientFlags(
    clients
      .command('create')
      .description('register a client; prints its secret once')
      .requiredOption('--name <name>', 'display name'),
    false,
  ).action(async (flags: ClientFlags) => runClientsCreate(admin(), flags));

  clients
    .command('list')
    .description('list clients, oldest first')
    .option('--limit <n>', 'page size (1 to 100)')
    .option('--cursor <cursor>', 'the cursor printed by the previous page')
    .option('--json', 'print one JSON object: {items, next}')
    .action(async (options: { limit?: string; cursor?: string; json?: boolean }) =>
      runClientsList(admin(), options),
    );

  clients
    .command('show <client_id>')
    .description('show one client (never its secret)')
    .option('--json', 'print one JSON object')
    .action(async (id: string, options: { json?: boolean }) =>
      runClientsShow(admin(), id, options.json === true),
    );

  addClientFlags(
    clients.command('update <client_id>').description('change the given settings of a client'),
    true,
  )
    .option('--disable', 'disable the client: it cannot authenticate, and its tokens are revoked')
    .option('--enable', 'enable a disabled client')
    .action(async (id: string, flags: ClientFlags & { disable?: boolean; enable?: boolean }) => {
      if (flags.disable === true && flags.enable === true) {
        throw new Error('Give --disable or --enable, not both');
      }
      const disabled = flags.disable === true ? true : flags.enable === true ? false : undefined;
      await runClientsUpdate(admin(), id, { ...flags, ...(disabled === undefined ? {} : { disabled }) });
    });

  clients
    .command('delete <client_id>')
    .description('delete a client and everything it owns')
    .option('--json', 'print one JSON object')
    .action(async (id: string, options: { json?: boolean }) =>
      runClientsDelete(admin(), id, options.json === true),
    );

  clients
    .command('block <client_id>')
    .description('block a DID or metadata document URL client; its tokens are revoked (unblock: delete)')
    .option('--json', 'print one JSON object')
    .action(async (id: string, options: { json?: boolean }) => {
      const blocked = await admin().request<ClientView>(
        'POST',
        `/admin/clients/${encodeURIComponent(id)}/block`,
      );
      if (options.json === true) {
        printJson(blocked);
        return;
      }
      write(`Blocked client ${id}; its tokens are revoked. Unblock with: tessera clients delete ${id}\n`);
    });

  clients
    .command('rotate-secret <client_id>')
    .description('mint a new secret; the old one keeps working for the grace period')
    .option(
      '--grace <duration>',
      'how long the old secret keeps working, e.g. 1h, 30m, or 0 to end it now (default 1h)',
    )
    .option('--json', 'print one JSON object')
    .action(async (id: string, options: { grace?: string; json?: boolean }) =>
      runClientsRotateSecret(admin(), id, options),
    );
}
