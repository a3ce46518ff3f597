/**
 * `tessera risk retrain`: an offline command (it works on the database directly, like `migrate`)
 * that rebuilds the risk engine's histories and global sums from the `risk.learned` events in the
 * audit log, replacing those in the store (users/risk-retrain.ts); `--dry-run` only counts.
 */

import { systemClock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import { openMigratedStore } from '../../main.js';
import { retrainRisk } from '../../users/risk-retrain.js';

export interface RiskRetrainOptions {
  dryRun?: boolean | undefined;
  json?: boolean | undefined;
}

export async function runRiskRetrain(
  config: Readonly<Config>,
  options: RiskRetrainOptions = {},
): Promise<void> {
  const { store } = await openMigratedStore(config);
  try {
    const dryRun = options.dryRun === true;
    const result = await retrainRisk({ store, clock: systemClock, dryRun });
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify({ dry_run: dryRun, ...result }, null, 2)}\n`);
      return;
    }
    const span =
      result.from === undefined || result.to === undefined
        ? ''
        : ` from ${new Date(result.from * 1000).toISOString()} to ${new Date(result.to * 1000).toISOString()}`;
    process.stdout.write(
      `Replayed ${result.events} learned sign-in(s)${span}` +
        `${result.skipped > 0 ? ` (${result.skipped} unreadable, skipped)` : ''}: ` +
        `${result.people} history(ies), ${result.sums} global sum(s).\n` +
        (dryRun
          ? 'Dry run: nothing was written.\n'
          : `Replaced the stored risk state: ${result.written} history(ies) written` +
            `${result.people > result.written ? ` (${result.people - result.written} of people deleted since, skipped)` : ''}. ` +
            'Restart the servers so no node keeps what it held in memory.\n'),
    );
  } finally {
    await store.close();
  }
}
