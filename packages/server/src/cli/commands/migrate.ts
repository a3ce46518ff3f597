/** `tessera migrate`: apply pending migrations and exit (an offline command). */
import type { Config } from '../../config/schema.js';
import { databaseUrlOf, openMigratedStore } from '../../main.js';
import { explained, maskedUrl } from '../explain.js';

export async function runMigrate(config: Readonly<Config>): Promise<void> {
  const { store, applied } = await explained(databaseUrlOf(config), () => openMigratedStore(config));
  await store.close();
  const where = maskedUrl(databaseUrlOf(config));
  process.stdout.write(
    applied.length === 0
      ? `Database ${where} is up to date.\n`
      : `Applied ${applied.join(', ')} to ${where}.\n`,
  );
}
