/** `tessera migrate`: apply pending migrations and exit (an offline command). */
import type { Config } from '../../config/schema.js';
import { databaseUrlOf, openMigratedStore } from '../../main.js';

export async function runMigrate(config: Readonly<Config>): Promise<void> {
  const { store, applied } = await openMigratedStore(config);
  await store.close();
  const where = databaseUrlOf(config).replace(/\/\/[^@/]*@/, '//***@');
  process.stdout.write(
    applied.length === 0
      ? `Database ${where} is up to date.\n`
      : `Applied ${applied.join(', ')} to ${where}.\n`,
  );
}
