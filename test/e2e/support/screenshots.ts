/**
 * Where the Chromium tests save their screenshots. The pages in docs/ show the ones in docs/img/;
 * a run refreshes them only when asked (`TESSERA_SCREENSHOTS=docs`), so an ordinary test run leaves
 * the working tree as it was. Otherwise they go to a folder under the system's temporary folder.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DOCS_IMAGES = join(import.meta.dirname, '..', '..', '..', 'docs', 'img');

/** The path to save the screenshot `name` (e.g. `account-page.png`) at; its folder exists. */
export function screenshotPath(name: string): string {
  const folder =
    process.env.TESSERA_SCREENSHOTS === 'docs' ? DOCS_IMAGES : join(tmpdir(), 'tessera-screenshots');
  mkdirSync(folder, { recursive: true });
  return join(folder, name);
}
