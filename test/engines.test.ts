/**
 * Issue 12.19: every installed dependency supports the Node versions the project declares, so
 * `npm install` / `npm ci` print no EBADENGINE warning (npm checks each package's `engines.node`
 * against the running Node). Read from the committed lockfile, so a dependency bump that needs a
 * newer Node fails here, not on a user's machine.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

interface Semver {
  satisfies(version: string, range: string, options?: { includePrerelease?: boolean }): boolean;
  minVersion(range: string): { version: string } | null;
}
const semver = createRequire(import.meta.url)('semver') as Semver;

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const lock = read('../package-lock.json') as {
  packages: Record<string, { version?: string; optional?: boolean; engines?: { node?: string } }>;
};
const declared = (read('../package.json') as { engines: { node: string } }).engines.node;

/** Packages whose `engines.node` refuses `version`, as npm's EBADENGINE check would report them. */
function refusing(version: string): string[] {
  return Object.entries(lock.packages)
    .filter(([path, pkg]) => path !== '' && !pkg.optional && typeof pkg.engines?.node === 'string')
    .filter(([, pkg]) => !semver.satisfies(version, pkg.engines?.node ?? '*', { includePrerelease: true }))
    .map(([path, pkg]) => `${path}@${pkg.version} (node ${pkg.engines?.node})`);
}

describe('engines (issue 12.19)', () => {
  it('issue 12.19 — no locked dependency refuses the lowest Node the project declares (no EBADENGINE)', () => {
    const lowest = semver.minVersion(declared)?.version ?? '';
    expect(lowest).toBe('20.19.0');
    expect(refusing(lowest)).toEqual([]);
  });

  it('issue 12.19 — no locked dependency refuses the Node running the tests (npm ci here prints no EBADENGINE)', () => {
    expect(semver.satisfies(process.versions.node, declared)).toBe(true);
    expect(refusing(process.versions.node)).toEqual([]);
  });
});
