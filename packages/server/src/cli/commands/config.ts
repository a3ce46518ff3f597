/** `tessera config check` and `tessera config docs`. */

import { renderConfigurationDocs } from '../../config/docs.js';
import { maskSecrets } from '../../config/load.js';
import type { Config } from '../../config/schema.js';

export function runConfigCheck(config: Readonly<Config>): void {
  process.stdout.write(`${JSON.stringify(maskSecrets(config), null, 2)}\nConfiguration is valid.\n`);
}

export function runConfigDocs(): void {
  process.stdout.write(renderConfigurationDocs());
}
