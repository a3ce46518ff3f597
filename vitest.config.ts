import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './test/summary-reporter.js';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
const file = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against sources, so `npm test` never depends on a stale build.
    alias: {
      '@tessera/protocol/aead': file('protocol/src/aead.ts'),
      '@tessera/protocol': src('protocol'),
      '@tessera/verify/express': file('verify/src/adapters/express.ts'),
      '@tessera/verify/fastify': file('verify/src/adapters/fastify.ts'),
      '@tessera/verify/hono': file('verify/src/adapters/hono.ts'),
      '@tessera/verify/node': file('verify/src/adapters/node.ts'),
      '@tessera/verify': src('verify'),
      // Subpaths before their package: the first matching alias wins.
      '@tessera/client/web-app': file('client/src/web-app/index.ts'),
      '@tessera/client/bff/express': file('client/src/bff/express.ts'),
      '@tessera/client/bff/fastify': file('client/src/bff/fastify.ts'),
      '@tessera/client/bff': file('client/src/bff/index.ts'),
      '@tessera/client': src('client'),
      '@tessera/risk/eval': file('risk/src/eval.ts'),
      '@tessera/risk': src('risk'),
    },
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // One temporary folder per run, removed at its end (test/temp-folder.ts).
    globalSetup: ['./test/temp-folder.ts'],
    // A focused test (`.only`) fails the run instead of silently running alone (issue 12.15).
    allowOnly: false,
    reporters: ['default', new SummaryReporter()],
  },
});
