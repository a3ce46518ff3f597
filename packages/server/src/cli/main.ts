/**
 * The `tessera` command. Offline commands (`migrate`, `config`, `master-key`) work on the configuration and the
 * database directly; online commands go through a running server's admin API.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { AdminApiError, createAdminClient } from './admin-client.js';
import { addAdminTokensCommands } from './commands/admin-tokens.js';
import { addApiKeysCommands } from './commands/api-keys.js';
import { addClientsCommands } from './commands/clients.js';
import { runConfigCheck, runConfigDocs } from './commands/config.js';
import { addConsentsCommands } from './commands/consents.js';
import { type InitOptions, runInit } from './commands/init.js';
import { runMasterKeyRotate } from './commands/master-key.js';
import { runMigrate } from './commands/migrate.js';
import { runRiskRetrain } from './commands/risk.js';
import { runServe } from './commands/serve.js';
import { runSigningKeysList, runSigningKeysRevoke, runSigningKeysRotate } from './commands/signing-keys.js';
import { runTokensRevoke } from './commands/tokens.js';
import { addUsersCommands } from './commands/users.js';

interface GlobalOptions {
  config?: string;
  dataDir?: string;
  url?: string;
  adminToken?: string;
  adminTokenFile?: string;
}

function load(
  program: Command,
  overrides: Record<string, unknown> = {},
  purpose: 'serve' | 'client' = 'serve',
): Readonly<Config> {
  const opts = program.opts<GlobalOptions>();
  return loadConfig({ file: opts.config, overrides: { dataDir: opts.dataDir, ...overrides }, purpose });
}

/** The admin API client for online commands (they need only the server's address and credential). */
export function admin(program: Command) {
  const opts = program.opts<GlobalOptions>();
  if (opts.adminToken !== undefined) {
    throw new Error(
      '--admin-token on the command line is refused (shell history, ps): use --admin-token-file PATH (- for stdin) or TESSERA_ADMIN_TOKEN',
    );
  }
  return createAdminClient(load(program, {}, 'client'), {
    url: opts.url,
    adminTokenFile: opts.adminTokenFile,
  });
}

/** The version in @tessera/server's package.json (two levels up from src/cli and from dist/cli). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

export function buildCli(): Command {
  const program = new Command('tessera')
    .description('Tessera: API-token authentication server')
    .version(packageVersion(), '-V, --version', 'print the version of @tessera/server')
    .option('--config <path>', 'JSON config file (default: ./tessera.config.json when present)')
    .option('--data-dir <path>', 'data folder (default ./.tessera)')
    .option(
      '--url <url>',
      'server URL for online commands (default: the running dev server, else the issuer)',
    )
    .option(
      '--admin-token-file <path>',
      'file holding the admin credential, - for stdin (default: TESSERA_ADMIN_TOKEN, or the dev token file)',
    )
    .addOption(
      new Option('--admin-token <token>', 'refused: a credential on the command line leaks').hideHelp(),
    )
    .showHelpAfterError();

  program
    .command('serve')
    .description('run the authorization server')
    .option('--dev', 'development mode: http issuer, generated master key and admin token')
    .option('--host <host>', 'address to listen on')
    .addOption(new Option('--port <port>', 'port to listen on'))
    .option('--issuer <url>', 'exact issuer URL')
    .option('--tls-cert <path>', 'PEM certificate chain: terminate TLS here')
    .option('--tls-key <path>', 'PEM private key for --tls-cert')
    .option(
      '--trust-proxy <hops|addresses>',
      'behind TLS-terminating proxies: their number (1) or addresses/CIDRs',
    )
    .option('--workers <n>', 'worker processes')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const config = load(program, {
        dev: opts.dev,
        host: opts.host,
        port: opts.port,
        issuer: opts.issuer,
        'tls.cert': opts.tlsCert,
        'tls.key': opts.tlsKey,
        trustProxy: opts.trustProxy,
        workers: opts.workers,
      });
      await runServe(config);
    });

  program
    .command('init')
    .description(
      'write a production config, a master key and an admin credential (0600) into a folder, and print the next steps',
    )
    .requiredOption('--issuer <url>', 'the https issuer URL clients will use, e.g. https://auth.example.com')
    .option('--dir <path>', 'folder to write into', '.')
    .option('--tls-cert <path>', 'PEM certificate chain: terminate TLS in Tessera (default: behind a proxy)')
    .option('--tls-key <path>', 'PEM private key for --tls-cert')
    .option('--trust-proxy <hops|addresses>', 'without TLS here: the proxies in front (default 1)')
    .option(
      '--database-url <url>',
      'PostgreSQL URL (default: SQLite in DIR/data); stored 0600, not in the config',
    )
    .option('--port <port>', 'port to listen on (default 4000, or 443 with TLS)')
    .option('--force', 'overwrite existing files (a replaced master key cannot open what the old one sealed)')
    .action((opts: InitOptions) => {
      runInit(opts);
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    // Only what it uses: the database (database.url or dataDir), not the serve-only settings.
    .action(async () => runMigrate(load(program, {}, 'client')));

  program
    .command('master-key')
    .description('manage the master key that seals signing keys (offline: works on the database)')
    .command('rotate')
    .description(
      're-seal every signing key with the new master key, in one transaction (keys from files, stdin or env, never argv)',
    )
    .option(
      '--old-key-file <path>',
      'the current master key (- for stdin; default TESSERA_MASTER_KEY_PREVIOUS)',
    )
    .option('--new-key-file <path>', 'the new master key (- for stdin; default TESSERA_MASTER_KEY)')
    .option('--json', 'print JSON')
    .action(async (opts: { oldKeyFile?: string; newKeyFile?: string; json?: boolean }) =>
      runMasterKeyRotate(load(program, {}, 'client'), opts),
    );

  program
    .command('risk')
    .description("the risk engine's state (offline: works on the database)")
    .command('retrain')
    .description(
      'rebuild the risk histories and global sums from the risk.learned audit events, replacing those in the database',
    )
    .option('--dry-run', 'replay and print the counts; write nothing')
    .option('--json', 'print JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }) =>
      runRiskRetrain(load(program, {}, 'client'), opts),
    );

  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the configuration and print it with secrets masked')
    .option('--dev', 'check as `serve --dev` would')
    .action((opts: { dev?: boolean }) => runConfigCheck(load(program, { dev: opts.dev })));
  config
    .command('docs')
    .description('print docs/configuration.md, generated from the schema')
    .action(() => runConfigDocs());

  const keys = program.command('signing-keys').description('manage signing keys of the running server');
  keys
    .command('list')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => runSigningKeysList(admin(program), opts.json === true));
  keys
    .command('rotate')
    .description('publish a new key now; it signs after keys.activationDelay (or at once with --now)')
    .option('--now', 'emergency: the new key signs at once')
    .option('--json', 'print JSON')
    .action(async (opts: { now?: boolean; json?: boolean }) =>
      runSigningKeysRotate(admin(program), opts.now === true, opts.json === true),
    );
  keys
    .command('revoke <kid>')
    .description('pull a compromised key: unpublish it on every node and revoke every token it signed')
    .option('--rotate', 'when it is the only key of its algorithm, first mint a replacement that signs now')
    .option('--json', 'print JSON')
    .action(async (kid: string, opts: { rotate?: boolean; json?: boolean }) =>
      runSigningKeysRevoke(admin(program), kid, opts.rotate === true, opts.json === true),
    );

  addClientsCommands(program, () => admin(program));

  addApiKeysCommands(program, () => admin(program));

  const tokens = program.command('tokens').description('revoke access tokens on the running server');
  tokens
    .command('revoke [token]')
    .description('revoke one token (TOKEN), a token id (--jti), or everything a client holds (--client)')
    .option('--jti <id>', 'revoke by token id (jti), e.g. from logs or introspection')
    .option(
      '--expires-at <seconds>',
      'with --jti: keep it denied until this time (default: now + tokens.maxAccessTokenTtl)',
    )
    .option('--client <client_id>', 'revoke every access token the client holds now')
    .option('--json', 'print JSON')
    .action(
      async (
        token: string | undefined,
        opts: { jti?: string; expiresAt?: string; client?: string; json?: boolean },
      ) => runTokensRevoke(admin(program), { token, ...opts }),
    );

  addUsersCommands(program, () => admin(program));
  addConsentsCommands(program, () => admin(program));

  addAdminTokensCommands(program, () => admin(program));

  return program;
}

/** Runs the CLI; prints operator-friendly errors instead of stack traces. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof AdminApiError) {
      process.stderr.write(`tessera: ${error.message}\n`);
    } else {
      process.stderr.write(`tessera: ${(error as Error).message ?? String(error)}\n`);
    }
    process.exitCode = 1;
  }
}
