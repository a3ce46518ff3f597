/**
 * `tessera master-key rotate`: an offline command (it works on the database directly, like
 * `migrate`) that re-seals every signing key under a new master key in one transaction.
 *
 * Keys never come from argv (shell history, `ps`): the old key is `--old-key-file PATH` or
 * `masterKeyPrevious` (TESSERA_MASTER_KEY_PREVIOUS[_FILE]); the new key is `--new-key-file PATH` or
 * `masterKey` (TESSERA_MASTER_KEY[_FILE]). `-` as a path reads the key from stdin.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, decodeMasterKey } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { rotateMasterKey } from '../../keys/master-key-rotation.js';
import { openMigratedStore } from '../../main.js';

export interface MasterKeyRotateOptions {
  oldKeyFile?: string | undefined;
  newKeyFile?: string | undefined;
  json?: boolean | undefined;
  /** Reads stdin (`-`); injectable for tests. */
  readStdin?: () => string;
}

function readKey(
  what: 'old' | 'new',
  file: string | undefined,
  configured: string | undefined,
  readStdin: () => string,
): Buffer {
  let text: string | undefined = configured;
  let source = what === 'old' ? 'TESSERA_MASTER_KEY_PREVIOUS' : 'TESSERA_MASTER_KEY';
  if (file !== undefined) {
    source = file === '-' ? 'stdin' : file;
    try {
      text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `Cannot read the ${what} master key from ${source}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (text === undefined) {
    throw new ConfigError(
      what === 'old'
        ? 'No old master key: set TESSERA_MASTER_KEY_PREVIOUS (or _FILE), or pass --old-key-file PATH (- for stdin)'
        : 'No new master key: set TESSERA_MASTER_KEY (or _FILE), or pass --new-key-file PATH (- for stdin)',
    );
  }
  const key = decodeMasterKey(text);
  if (key === undefined) {
    throw new ConfigError(
      `The ${what} master key (${source}) is malformed: expected 32 bytes as 64 hex characters or base64`,
    );
  }
  return key;
}

export async function runMasterKeyRotate(
  config: Readonly<Config>,
  options: MasterKeyRotateOptions = {},
): Promise<void> {
  if (options.oldKeyFile === '-' && options.newKeyFile === '-') {
    throw new ConfigError('Only one of --old-key-file and --new-key-file can be - (stdin)');
  }
  const readStdin = options.readStdin ?? (() => readFileSync(0, 'utf8'));
  const oldKey = readKey('old', options.oldKeyFile, config.masterKeyPrevious, readStdin);
  const newKey = readKey('new', options.newKeyFile, config.masterKey, readStdin);
  const { store } = await openMigratedStore(config);
  try {
    const result = await rotateMasterKey({ transaction: (fn) => store.transaction(fn), oldKey, newKey });
    if (options.json === true) {
      process.stdout.write(
        `${JSON.stringify({ master_key_id: result.masterKeyId, resealed: result.resealed, already_current: result.alreadyCurrent, totp_resealed: result.totpResealed, server_secrets_resealed: result.serverSecretsResealed }, null, 2)}\n`,
      );
      return;
    }
    process.stdout.write(
      `Re-sealed ${result.resealed.length} signing key(s) with master key ${result.masterKeyId}` +
        `${result.alreadyCurrent.length > 0 ? ` (${result.alreadyCurrent.length} already were)` : ''}` +
        `${result.totpResealed > 0 ? `, and ${result.totpResealed} TOTP secret(s)` : ''}` +
        `${result.serverSecretsResealed > 0 ? `, and ${result.serverSecretsResealed} server secret(s) (the pairwise subject key)` : ''}.\n` +
        'Every node must now run with TESSERA_MASTER_KEY set to the new key; then remove TESSERA_MASTER_KEY_PREVIOUS.\n',
    );
  } finally {
    await store.close();
  }
}
