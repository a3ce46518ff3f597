/**
 * Signing keys are generated so that exporting them cannot deadlock the process on Node 20
 * (keys/keyring.ts `generateSigningKeyPair`): a KeyObject straight from `generateKeyPairSync` shares
 * a mutex with the generator's job, which the job takes when it is garbage-collected, and a JWK
 * export allocates while holding that mutex. The child below generates and exports key pairs with a
 * small young generation and garbage of its own, so collections often fall inside an export; with
 * keys straight from the generator it stops for good within a few thousand rounds on Node 20 (in
 * CI it hung a test server's start, on the RS256 ID-token key). Node 24 does not deadlock either way.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const KEYRING = new URL('../../dist/keys/keyring.js', import.meta.url);
const ROUNDS = 8000;
const REPO = new URL('../../../../', import.meta.url).pathname;
/** The only places that call `generateKeyPairSync`, each asking for DER and reading the key back. */
const DER_GENERATORS = ['packages/server/src/keys/keyring.ts', 'bench/lib/key-pair.mjs'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      return ['node_modules', 'dist', 'results', '.git'].includes(entry.name) ? [] : sourceFiles(path);
    }
    return /\.(ts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

describe('signing-key generation and JWK export', () => {
  it(`${ROUNDS} ES256 key pairs generated and exported as JWKs, collections falling inside the exports: the process never deadlocks`, async () => {
    expect(existsSync(KEYRING), 'dist is built (npm test runs tsc -b first)').toBe(true);
    const child = spawn(
      process.execPath,
      [
        '--max-semi-space-size=1',
        '--input-type=module',
        '-e',
        `import { generateSigningKeyPair } from ${JSON.stringify(KEYRING.href)};
         let garbage = [];
         for (let round = 0; round < ${ROUNDS}; round += 1) {
           const pair = generateSigningKeyPair('ES256');
           for (let n = 0; n < 200; n += 1) garbage.push({ n, text: 'x'.repeat(50) + n });
           if (garbage.length > 20000) garbage = [];
           pair.publicKey.export({ format: 'jwk' });
           pair.privateKey.export({ format: 'jwk' });
           if (round % 500 === 0) process.stdout.write(round + '\\n');
         }
         process.stdout.write('done\\n');`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    // A deadlock never ends; a slow machine still finishes (about 6 s here, unloaded).
    const ended = await new Promise<number | null | 'stuck'>((resolve) => {
      const timer = setTimeout(() => resolve('stuck'), 90_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    if (ended === 'stuck') {
      child.kill('SIGKILL');
    }
    expect(ended, `last rounds reported: ${out.trim().split('\n').slice(-2).join(', ')}`).toBe(0);
    expect(out).toContain('done');
  }, 120_000);

  it('no code outside the DER helpers takes KeyObjects from generateKeyPairSync (tests and bench included: a hung run reports nothing)', () => {
    const callers = [join(REPO, 'packages'), join(REPO, 'bench')]
      .flatMap(sourceFiles)
      .filter((file) => /generateKeyPairSync\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(REPO, file))
      .filter((file) => file !== 'packages/server/test/keys/keygen-deadlock.test.ts');
    expect(callers.sort()).toEqual([...DER_GENERATORS].sort());
  });
});
