/**
 * `tessera api-keys create|list|show|update|disable|enable|revoke|rotate`: through the running
 * server's admin API (`/admin/api-keys`), so every node's key cache and the revocation stream see
 * each change at once (STYLE §9.1). The server validates; this file turns flags into the wire body
 * and prints the answer. The key is printed once, by `create` and `rotate`; `--json` prints exactly
 * one JSON object.
 */
import type { Command } from 'commander';
import type { AdminClient } from '../admin-client.js';
import { collect, parseMetaPairs } from '../flags.js';
import { iso, printJson, printRows, printSecretOnce, write } from '../output.js';

/** The wire view of a key, as the admin API returns it. */
interface ApiKeyView {
  id: string;
  name: string;
  start: string;
  owner: string;
  scope: string;
  audiences: string[];
  meta: Record<string, unknown>;
  rate_limit: { limit: number; window: number; kind: 'fixed' | 'sliding' } | null;
  status: string;
  disabled: boolean;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  replaced_by: string | null;
  last_used_at: number | null;
  usage_count: number;
  dpop_jkt?: string | null;
  anomaly_policy?: string;
  anomalies?: { at: number; kind: string; value: string; action: string; open: boolean }[];
  open_anomalies?: number;
  key?: string;
  previous?: ApiKeyView;
}

/** Flags shared by `create` and `update`, as commander parses them. */
export interface ApiKeyFlags {
  name?: string;
  owner?: string;
  scope?: string;
  audience?: string[];
  expiresIn?: string;
  /** `--no-expiry` (update): commander sets `expiry` false. */
  expiry?: boolean;
  /** `--no-rate-limit` (update) sets it to false. */
  rateLimit?: string | boolean;
  sliding?: boolean;
  meta?: string[];
  /** `--bind-jkt` (create only): RFC 9449 DPoP key thumbprint. */
  bindJkt?: string;
  /** `--anomaly-policy off|flag|alert|deny|disable`. */
  anomalyPolicy?: string;
  json?: boolean;
}

/** `--rate-limit 100/1m [--sliding]` → the wire form; `--no-rate-limit` → null. */
function rateLimitOf(flags: ApiKeyFlags): unknown {
  if (flags.rateLimit === false) {
    return null;
  }
  if (typeof flags.rateLimit !== 'string') {
    if (flags.sliding === true) {
      throw new Error('--sliding needs --rate-limit, e.g. --rate-limit 100/1m --sliding');
    }
    return undefined;
  }
  const match = /^\s*(\d+)\s*\/\s*(\w+)\s*$/.exec(flags.rateLimit);
  if (match === null) {
    throw new Error(`--rate-limit expects LIMIT/WINDOW such as 100/1m, got "${flags.rateLimit}"`);
  }
  const window = /^\d+$/.test(match[2] ?? '')
    ? Number(match[2])
    : /^[smhd]$/.test(match[2] ?? '')
      ? `1${match[2]}`
      : match[2];
  return { limit: Number(match[1]), window, kind: flags.sliding === true ? 'sliding' : 'fixed' };
}

/** The wire body for the flags that were given (PATCH semantics: absent flags stay absent). */
export function apiKeyBodyOf(flags: ApiKeyFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) {
      body[key] = value;
    }
  };
  set('name', flags.name);
  set('owner', flags.owner);
  set('scope', flags.scope);
  set('audiences', flags.audience);
  set('meta', flags.meta === undefined ? undefined : parseMetaPairs(flags.meta));
  set('rate_limit', rateLimitOf(flags));
  set('expires_in', flags.expiresIn);
  set('dpop_jkt', flags.bindJkt);
  set('anomaly_policy', flags.anomalyPolicy);
  if (flags.expiry === false) {
    if (flags.expiresIn !== undefined) {
      throw new Error('Give --expires-in or --no-expiry, not both');
    }
    body.expires_at = null;
  }
  return body;
}

function describeRateLimit(limit: ApiKeyView['rate_limit']): string {
  if (limit === null) {
    return 'none';
  }
  const units: [number, string][] = [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'm'],
  ];
  const unit = units.find(([seconds]) => limit.window % seconds === 0);
  const window = unit === undefined ? `${limit.window}s` : `${limit.window / unit[0]}${unit[1]}`;
  return `${limit.limit}/${window} (${limit.kind} window)`;
}

function printKey(view: ApiKeyView): void {
  const rows: [string, string][] = [
    ['id', view.id],
    ['name', view.name],
    ['start', `tsr_key_${view.start}…`],
    ['owner', view.owner],
    ['status', view.status],
    ['scope', view.scope || '-'],
    ['audiences', view.audiences.join(' ') || '-'],
    ['meta', Object.keys(view.meta).length === 0 ? '-' : JSON.stringify(view.meta)],
    ['rate_limit', describeRateLimit(view.rate_limit)],
    ['expires_at', iso(view.expires_at)],
    ['created_at', iso(view.created_at)],
    ['last_used_at', view.last_used_at === null ? 'never' : iso(view.last_used_at)],
    ['usage_count', String(view.usage_count)],
    ['dpop_jkt', view.dpop_jkt ?? '-'],
    ['anomaly_policy', view.anomaly_policy ?? '-'],
  ];
  for (const anomaly of view.anomalies ?? []) {
    rows.push([
      anomaly.open ? 'anomaly (open)' : 'anomaly',
      `${iso(anomaly.at)} ${anomaly.kind} ${anomaly.value} (${anomaly.action})`,
    ]);
  }
  if (view.revoked_at !== null) {
    rows.push(['revoked_at', iso(view.revoked_at)]);
  }
  if (view.replaced_by !== null) {
    rows.push(['replaced_by', view.replaced_by]);
  }
  printRows(rows);
}

function printKeyOnce(key: string): void {
  printSecretOnce('key', key, 'key');
}

function path(id: string, action = ''): string {
  return `/admin/api-keys/${encodeURIComponent(id)}${action}`;
}

export async function runApiKeysCreate(client: AdminClient, flags: ApiKeyFlags): Promise<void> {
  const created = await client.request<ApiKeyView>('POST', '/admin/api-keys', apiKeyBodyOf(flags));
  if (flags.json === true) {
    printJson(created);
    return;
  }
  const { key, ...view } = created;
  write(`Created API key ${view.id}\n\n`);
  printKey(view);
  if (key !== undefined) {
    printKeyOnce(key);
  }
}

export async function runApiKeysList(
  client: AdminClient,
  options: { owner?: string; limit?: string; cursor?: string; anomalous?: boolean; json?: boolean },
): Promise<void> {
  const query = new URLSearchParams();
  for (const name of ['owner', 'limit', 'cursor'] as const) {
    const value = options[name];
    if (value !== undefined) {
      query.set(name, value);
    }
  }
  if (options.anomalous === true) {
    query.set('anomalous', 'true');
  }
  const suffix = query.toString() === '' ? '' : `?${query.toString()}`;
  const page = await client.request<{ items: ApiKeyView[]; next?: string }>(
    'GET',
    `/admin/api-keys${suffix}`,
  );
  if (options.json === true) {
    printJson(page);
    return;
  }
  if (page.items.length === 0) {
    write('No API keys.\n');
  }
  for (const k of page.items) {
    const open = (k.open_anomalies ?? 0) > 0 ? `  open anomalies: ${k.open_anomalies}` : '';
    write(
      `${k.id}  tsr_key_${k.start}…  ${k.name}  owner: ${k.owner}  scope: ${k.scope || '-'}  ${k.status}${open}\n`,
    );
  }
  if (page.next !== undefined) {
    write(`More: tessera api-keys list --cursor ${page.next}\n`);
  }
}

export async function runApiKeysShow(client: AdminClient, id: string, json: boolean): Promise<void> {
  const view = await client.request<ApiKeyView>('GET', path(id));
  if (json) {
    printJson(view);
    return;
  }
  printKey(view);
}

export async function runApiKeysUpdate(client: AdminClient, id: string, flags: ApiKeyFlags): Promise<void> {
  const body = apiKeyBodyOf(flags);
  if (Object.keys(body).length === 0) {
    throw new Error('Nothing to update: give at least one flag, e.g. --scope "read write"');
  }
  const view = await client.request<ApiKeyView>('PATCH', path(id), body);
  if (flags.json === true) {
    printJson(view);
    return;
  }
  write(`Updated API key ${view.id} (the key itself is unchanged)\n\n`);
  printKey(view);
}

export async function runApiKeysAction(
  client: AdminClient,
  id: string,
  action: 'disable' | 'enable' | 'revoke' | 'acknowledge-anomalies',
  json: boolean,
): Promise<void> {
  const view = await client.request<ApiKeyView>('POST', path(id, `/${action}`));
  if (json) {
    printJson(view);
    return;
  }
  const done = {
    disable: 'Disabled',
    enable: 'Enabled',
    revoke: 'Revoked',
    'acknowledge-anomalies': 'Acknowledged the anomalies of',
  }[action];
  write(`${done} API key ${view.id} (status: ${view.status}).\n`);
}

export async function runApiKeysRotate(
  client: AdminClient,
  id: string,
  options: { grace?: string; json?: boolean },
): Promise<void> {
  const rotated = await client.request<ApiKeyView>(
    'POST',
    path(id, '/rotate'),
    options.grace === undefined
      ? {}
      : { grace: /^\d+$/.test(options.grace) ? Number(options.grace) : options.grace },
  );
  if (options.json === true) {
    printJson(rotated);
    return;
  }
  const { key, previous, ...view } = rotated;
  write(`Rotated ${id}: the new key is ${view.id}.\n`);
  if (previous !== undefined) {
    write(
      previous.status === 'revoked'
        ? 'The old key no longer works.\n'
        : `The old key keeps working until ${iso(previous.expires_at)}.\n`,
    );
  }
  write('\n');
  printKey(view);
  if (key !== undefined) {
    printKeyOnce(key);
  }
}

/** The flags shared by `create` and `update`. */
function addKeyFlags(command: Command, forUpdate: boolean): Command {
  if (forUpdate) {
    command
      .option('--name <name>', 'display name')
      .option('--no-expiry', 'remove the expiry')
      .option('--no-rate-limit', 'remove the rate limit');
  }
  return command
    .option('--scope <scopes>', 'space-separated scopes the key carries, e.g. "read write"')
    .option('--audience <uri>', 'an audience (RFC 8707 resource) the key is for; repeat for more', collect)
    .option('--expires-in <duration>', 'lifetime from now, e.g. 30d, 12h or seconds')
    .option('--rate-limit <spec>', 'verifications allowed per window, e.g. 100/1m, 10/1s, 5000/1d')
    .option('--sliding', 'use a sliding window for --rate-limit (default: fixed)')
    .option(
      '--anomaly-policy <policy>',
      'what anomalies (new ASN, country or endpoint, a rate beyond its own) lead to: off, flag, alert, deny or disable (default: the server setting, flag)',
    )
    .option(
      '--meta <key=value>',
      `metadata returned on verification; repeat for more${forUpdate ? ' (replaces all meta)' : ''}`,
      collect,
    )
    .option('--json', 'print one JSON object');
}

/** Adds the `api-keys` command group; `admin` builds the admin API client when a command runs. */
export function addApiKeysCommands(program: Command, admin: () => AdminClient): void {
  const keys = program.command('api-keys').description('manage API keys on the running server');

  addKeyFlags(
    keys
      .command('create')
      .description('mint an API key; prints it once')
      .requiredOption('--name <name>', 'display name')
      .requiredOption('--owner <id>', 'the owning client (cli_…) or user (usr_…)')
      .option(
        '--bind-jkt <thumbprint>',
        'bind the key to a DPoP key (RFC 7638 thumbprint): it then works only with a DPoP proof by that key',
      ),
    false,
  ).action(async (flags: ApiKeyFlags) => runApiKeysCreate(admin(), flags));

  keys
    .command('list')
    .description('list API keys, oldest first (never the keys themselves)')
    .option('--owner <id>', 'only the keys of this client or user')
    .option('--limit <n>', 'page size (1 to 100)')
    .option('--cursor <cursor>', 'the cursor printed by the previous page')
    .option('--anomalous', 'only keys with open anomaly alerts')
    .option('--json', 'print one JSON object: {items, next}')
    .action(
      async (options: {
        owner?: string;
        limit?: string;
        cursor?: string;
        anomalous?: boolean;
        json?: boolean;
      }) => runApiKeysList(admin(), options),
    );

  keys
    .command('show <id>')
    .description('show one API key (never the key itself)')
    .option('--json', 'print one JSON object')
    .action(async (id: string, options: { json?: boolean }) =>
      runApiKeysShow(admin(), id, options.json === true),
    );

  addKeyFlags(
    keys
      .command('update <id>')
      .description(
        'change scope, audiences, meta, rate limit, expiry, anomaly policy or name; the key stays the same',
      ),
    true,
  ).action(async (id: string, flags: ApiKeyFlags) => runApiKeysUpdate(admin(), id, flags));

  for (const [action, description] of [
    ['disable', 'stop the key from verifying until enabled again'],
    ['enable', 'let a disabled key verify again'],
    ['revoke', 'end the key for good, at once on every node and at every verifier'],
    ['acknowledge-anomalies', "close the key's open anomaly alerts"],
  ] as const) {
    keys
      .command(`${action} <id>`)
      .description(description)
      .option('--json', 'print one JSON object')
      .action(async (id: string, options: { json?: boolean }) =>
        runApiKeysAction(admin(), id, action, options.json === true),
      );
  }

  keys
    .command('rotate <id>')
    .description('mint a new key with the same settings ("reroll"); prints it once')
    .option(
      '--grace <duration>',
      'how long the old key keeps working, e.g. 24h, 30m, or 0 to end it now (default 24h)',
    )
    .option('--json', 'print one JSON object')
    .action(async (id: string, options: { grace?: string; json?: boolean }) =>
      runApiKeysRotate(admin(), id, options),
    );
}
