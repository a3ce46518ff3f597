/**
 * `tessera init`: writes what a production start needs into one folder, nothing else, and prints the
 * next steps. Secrets (master key, admin credential, a database URL with its password) go in files
 * of mode 0600 and an environment file that names them (`TESSERA_*_FILE`, read by systemd's
 * `EnvironmentFile=` or `set -a; . tessera.env`); the JSON config holds only non-secret settings.
 * The result is checked with the same loader `serve` uses before anything is reported done, and
 * nothing that exists is overwritten without `--force`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../config/load.js';
import { mintSecret } from '../../ids.js';

export interface InitOptions {
  issuer: string;
  dir: string;
  tlsCert?: string;
  tlsKey?: string;
  trustProxy?: string;
  databaseUrl?: string;
  port?: string;
  force?: boolean;
}

export interface InitResult {
  dir: string;
  files: string[];
}

export function runInit(
  options: InitOptions,
  out: (text: string) => void = (t) => process.stdout.write(t),
): InitResult {
  const dir = resolve(options.dir);
  const configPath = join(dir, 'tessera.config.json');
  const envPath = join(dir, 'tessera.env');
  const masterKeyPath = join(dir, 'master.key');
  const adminTokenPath = join(dir, 'admin.token');
  const databaseUrlPath = join(dir, 'database.url');
  const targets = [configPath, envPath, masterKeyPath, adminTokenPath];
  if (options.databaseUrl !== undefined) {
    targets.push(databaseUrlPath);
  }
  const existing = targets.filter((path) => existsSync(path));
  if (existing.length > 0 && options.force !== true) {
    throw new ConfigError(
      `Refusing to overwrite ${existing.join(', ')}: a master key replaced by a new one can no longer open the signing keys it sealed. Move them away or pass --force.`,
    );
  }

  const tls = options.tlsCert !== undefined || options.tlsKey !== undefined;
  const settings: Record<string, unknown> = {
    issuer: options.issuer,
    // Behind a TLS-terminating proxy (the default) listen on loopback only; with TLS here, everywhere.
    host: tls ? '0.0.0.0' : '127.0.0.1',
    port: options.port === undefined ? (tls ? 443 : 4000) : Number(options.port),
    dataDir: join(dir, 'data'),
    ...(tls
      ? {
          tls: {
            cert: options.tlsCert && resolve(options.tlsCert),
            key: options.tlsKey && resolve(options.tlsKey),
          },
        }
      : { trustProxy: options.trustProxy === undefined ? 1 : toTrustProxy(options.trustProxy) }),
  };
  const env = [
    '# Read by `tessera` through the environment: systemd EnvironmentFile=, or `set -a; . ./tessera.env; set +a`.',
    `TESSERA_MASTER_KEY_FILE=${masterKeyPath}`,
    `TESSERA_ADMIN_TOKEN_FILE=${adminTokenPath}`,
    ...(options.databaseUrl === undefined ? [] : [`TESSERA_DATABASE_URL_FILE=${databaseUrlPath}`]),
  ];

  // Checked before anything is written: the same loader and rules as `tessera serve`.
  const secrets = {
    masterKey: randomBytes(32).toString('hex'),
    adminToken: mintSecret('adm'),
  };
  loadConfig({
    env: {},
    overrides: flatten(settings, {
      masterKey: secrets.masterKey,
      adminToken: secrets.adminToken,
      ...(options.databaseUrl === undefined ? {} : { 'database.url': options.databaseUrl }),
    }),
    cwd: dir,
    file: undefined,
  });

  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });
  writeFileSync(configPath, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o644 });
  writeSecret(masterKeyPath, secrets.masterKey);
  writeSecret(adminTokenPath, secrets.adminToken);
  if (options.databaseUrl !== undefined) {
    writeSecret(databaseUrlPath, options.databaseUrl);
  }
  writeSecret(envPath, env.join('\n'));

  const run = `set -a; . ${envPath}; set +a`;
  out(
    [
      `Wrote ${configPath}, ${envPath}, ${masterKeyPath} and ${adminTokenPath}${options.databaseUrl === undefined ? '' : ` and ${databaseUrlPath}`} (secrets 0600).`,
      'Next steps:',
      `  1. Back up ${masterKeyPath} apart from the database: without it the signing keys cannot be opened.`,
      `  2. Check the result:   ${run}; tessera --config ${configPath} config check`,
      `  3. Create the schema:  ${run}; tessera --config ${configPath} migrate`,
      `  4. Start it:           ${run}; tessera --config ${configPath} serve   (or the systemd unit in deploy/)`,
      tls
        ? '  5. Open the port to clients.'
        : `  5. Put a TLS-terminating proxy in front of http://127.0.0.1:${String(settings.port)} for ${options.issuer}.`,
      `  The admin credential is in ${adminTokenPath}: \`tessera --admin-token-file ${adminTokenPath} clients list\`.`,
      '',
    ].join('\n'),
  );
  return { dir, files: targets };
}

function writeSecret(path: string, value: string): void {
  // 0600 at creation, so the secret is never readable by others, not even for a moment.
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  // With --force the file may have existed with a looser mode, which writeFileSync keeps.
  chmodSync(path, 0o600);
}

function toTrustProxy(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}

function flatten(tree: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, path);
      } else {
        out[path] = value;
      }
    }
  };
  walk(tree, '');
  return { ...out, ...extra };
}
