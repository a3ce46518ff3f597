/**
 * Packaging (issue 12 item 16; STYLE §9.6 "Packaging"): what npm would publish, as a stranger gets
 * it. Each of the five packages is packed with `npm pack`, the tarballs are installed into an empty
 * folder, and that folder's copy is used with plain `node`: every `exports` subpath has its types
 * and imports, the `tessera` bin runs, and `tessera serve --dev` issues a token that the installed
 * `@tessera/verify` accepts. A `files` or `exports` entry that leaves out what a package needs fails
 * here, where the workspace's own tests (which run against the sources) cannot see it.
 *
 * `npm test` builds `dist/` (tsc -b) before vitest runs. Every child process is bounded in time and
 * killed by `afterAll`; the scratch folder is removed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../packages/server/test/support/listening.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['protocol', 'server', 'verify', 'client', 'risk'] as const;
/** Hang bounds: a step this slow is stuck, not slow. */
const INSTALL_HANG_MS = 150_000;
const STEP_HANG_MS = 30_000;
/** Each test runs a few bounded steps; vitest's 20 s default would be a speed claim on a loaded machine. */
const TEST_HANG_MS = 3 * STEP_HANG_MS;

const run = promisify(execFile);

interface Manifest {
  name: string;
  version: string;
  bin?: Record<string, string>;
  exports: Record<string, { types: string; default: string }>;
  license?: string;
  repository?: { type: string; url: string; directory: string };
  engines?: { node?: string };
  dependencies?: Record<string, string>;
}

/** Build, test and lint tools: none belongs in what `npm install @tessera/server` pulls in. */
const DEV_TOOLS =
  /^(typescript|tsx|vitest|@vitest\/.*|@biomejs\/.*|@types\/.*|playwright.*|vite|esbuild|publint|@arethetypeswrong\/.*|fast-check|pino-pretty)$/;

function manifestOf(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** `node` with an ESM script, run from the scratch app so imports resolve to the installed copies. */
async function nodeScript(cwd: string, script: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    timeout: STEP_HANG_MS,
    env: { PATH: process.env.PATH ?? '' },
  });
  return stdout;
}

describe('packaging: the packed tarballs, installed into an empty folder', () => {
  let scratch: string;
  let app: string;
  let tarballs: string[] = [];
  const children: ChildProcess[] = [];

  beforeAll(
    async () => {
      for (const name of PACKAGES) {
        expect(
          existsSync(join(ROOT, 'packages', name, 'dist')),
          `${name} is built (npm test runs tsc -b first)`,
        ).toBe(true);
      }
      scratch = mkdtempSync(join(tmpdir(), 'tessera-packaging-'));
      app = join(scratch, 'app');
      mkdirSync(app);
      const { stdout } = await run(
        'npm',
        [
          'pack',
          ...PACKAGES.flatMap((name) => ['-w', `packages/${name}`]),
          '--pack-destination',
          scratch,
          '--json',
        ],
        { cwd: ROOT, timeout: STEP_HANG_MS, maxBuffer: 16 * 1024 * 1024 },
      );
      tarballs = (JSON.parse(stdout) as { filename: string }[]).map((packed) =>
        join(scratch, packed.filename),
      );
      expect(tarballs).toHaveLength(PACKAGES.length);

      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }),
      );
      // --ignore-scripts: better-sqlite3 would compile from source here (about two minutes); the
      // workspace's already-built native binding is copied in below instead. --offline first: the
      // workspace's install filled npm's cache; a cache that lacks something falls back to the registry.
      const install = (mode: string) =>
        run(
          'npm',
          [
            'install',
            ...tarballs,
            mode,
            '--ignore-scripts',
            '--no-audit',
            '--no-fund',
            '--no-package-lock',
            '--loglevel=error',
          ],
          { cwd: app, timeout: INSTALL_HANG_MS, maxBuffer: 16 * 1024 * 1024 },
        );
      await install('--offline').catch(() => install('--prefer-offline'));
      const binding = join('better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
      mkdirSync(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
      copyFileSync(join(ROOT, 'node_modules', binding), join(app, 'node_modules', binding));
    },
    INSTALL_HANG_MS + 2 * STEP_HANG_MS,
  );

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
    if (scratch !== undefined) {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it(
    'every `exports` subpath of each package ships its types and its module, and imports with plain node from the installed copy',
    async () => {
      const specifiers: string[] = [];
      for (const name of PACKAGES) {
        const dir = join(app, 'node_modules', '@tessera', name);
        const manifest = manifestOf(dir);
        for (const [subpath, entry] of Object.entries(manifest.exports)) {
          const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
          expect(entry.types, specifier).toMatch(/\.d\.ts$/);
          expect(existsSync(join(dir, entry.types)), `${specifier}: ${entry.types} is in the tarball`).toBe(
            true,
          );
          expect(
            existsSync(join(dir, entry.default)),
            `${specifier}: ${entry.default} is in the tarball`,
          ).toBe(true);
          specifiers.push(specifier);
        }
      }
      const out = await nodeScript(
        app,
        `const result = {};
       for (const specifier of ${JSON.stringify(specifiers)}) {
         const module = await import(specifier);
         result[specifier] = { from: import.meta.resolve(specifier), exports: Object.keys(module) };
       }
       console.log(JSON.stringify(result));`,
      );
      const imported = JSON.parse(out) as Record<string, { from: string; exports: string[] }>;
      expect(Object.keys(imported)).toEqual(specifiers);
      for (const [specifier, { from, exports }] of Object.entries(imported)) {
        expect(fileURLToPath(from), specifier).toContain(join(app, 'node_modules'));
        expect(exports.length, `${specifier} exports something`).toBeGreaterThan(0);
      }
      expect(imported['@tessera/protocol']?.exports).toContain('OAuthError');
      expect(imported['@tessera/verify']?.exports).toContain('createVerifier');
      expect(imported['@tessera/client']?.exports).toContain('createTokenClient');
      expect(imported['@tessera/server']?.exports).toContain('createRuntime');
      expect(imported['@tessera/risk/eval']?.exports).toContain('createScorer');
    },
    TEST_HANG_MS,
  );

  it(
    'a strict TypeScript consumer (moduleResolution nodenext) compiles against the installed types, and they are real types, not `any`',
    async () => {
      writeFileSync(
        join(app, 'consumer.ts'),
        `import { OAuthError } from '@tessera/protocol';
import { createVerifier, type VerifiedToken } from '@tessera/verify';
import { protect } from '@tessera/verify/node';
import { createTokenClient, type TokenClient } from '@tessera/client';
import { createWebAppClient } from '@tessera/client/web-app';
import { createBff } from '@tessera/client/bff';
import { createRuntime } from '@tessera/server';

const verifier = createVerifier({ issuer: 'https://auth.example', audience: 'https://api.example' });
protect(verifier, (_req, res, token: VerifiedToken) => {
  res.end(token.subject);
});
const client: TokenClient = createTokenClient({ issuer: 'https://auth.example', clientId: 'c', clientSecret: 's' });
export const used = [client, createWebAppClient, createBff, createRuntime, OAuthError];
// Each line below compiles only while the installed types are real: a .d.ts left out of the
// tarball turns them into \`any\` and the directive into an error.
// @ts-expect-error the audience is required
createVerifier({ issuer: 'https://auth.example' });
// @ts-expect-error a secret or a private key is required
createTokenClient({ issuer: 'https://auth.example', clientId: 'c' });
`,
      );
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      // skipLibCheck: the dependencies' own declarations are theirs to check; ours are exercised by
      // the consumer file. @types/node comes from the workspace (a consumer on Node has it).
      const compiled = await run(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
          '--lib',
          'es2022,dom',
          '--skipLibCheck',
          '--typeRoots',
          join(ROOT, 'node_modules', '@types'),
          '--types',
          'node',
          'consumer.ts',
        ],
        { cwd: app, timeout: STEP_HANG_MS },
      ).catch((error: { stdout?: string }) => ({ stdout: `tsc failed:\n${error.stdout ?? String(error)}` }));
      expect(compiled.stdout).toBe('');
    },
    TEST_HANG_MS,
  );

  it(
    'each tarball is publishable: README, LICENSE, license, repository (with its directory), engines node >=20.19; the server depends on no dev tool',
    () => {
      for (const name of PACKAGES) {
        const dir = join(app, 'node_modules', '@tessera', name);
        const manifest = manifestOf(dir);
        expect(existsSync(join(dir, 'README.md')), `${name}: README.md`).toBe(true);
        expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), `${name}: LICENSE`).toContain('Apache License');
        expect(manifest.license, name).toBe('Apache-2.0');
        expect(manifest.repository, name).toMatchObject({ type: 'git', directory: `packages/${name}` });
        expect(manifest.engines?.node, name).toBe('>=20.19');
        const tools = Object.keys(manifest.dependencies ?? {}).filter((dep) => DEV_TOOLS.test(dep));
        expect(tools, `${name}: dev tools among the runtime dependencies`).toEqual([]);
      }
    },
    TEST_HANG_MS,
  );

  it(
    'publint --strict and @arethetypeswrong/cli (ESM-only profile) pass on every tarball',
    async () => {
      const bin = (tool: string) => join(ROOT, 'node_modules', '.bin', tool);
      for (const tarball of tarballs) {
        // Both exit non-zero on a problem; the output says which.
        const lint = await run(bin('publint'), ['run', tarball, '--strict'], {
          cwd: scratch,
          timeout: STEP_HANG_MS,
        }).catch((error: { stdout?: string; stderr?: string }) => ({
          stdout: `publint failed: ${error.stdout ?? ''}${error.stderr ?? ''}`,
        }));
        expect(lint.stdout, tarball).toContain('All good!');
        // The packages are ESM only (`type: module`, `exports` without `require`), so the CommonJS
        // resolutions (node10, node16 from CJS) are out of scope: the `esm-only` profile.
        const types = await run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'json'], {
          cwd: scratch,
          timeout: STEP_HANG_MS,
          maxBuffer: 16 * 1024 * 1024,
        }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '{}' }));
        const report = JSON.parse(types.stdout) as { analysis?: { problems?: unknown[] } };
        const problems = (report.analysis?.problems ?? []).filter(
          (problem) =>
            !['node10', 'node16-cjs'].includes(
              String((problem as { resolutionKind?: string }).resolutionKind),
            ),
        );
        expect(problems, tarball).toEqual([]);
        expect(report.analysis, `${tarball}: attw analysed it`).toBeDefined();
      }
    },
    TEST_HANG_MS * 2,
  );

  it(
    'container: the Dockerfile is multi-stage, non-root, with a data volume and a health check, and copies only files that exist; compose.yaml runs it read-only beside PostgreSQL',
    () => {
      const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
      const stages = dockerfile.split(/^FROM /m).slice(1);
      expect(stages.length, 'multi-stage').toBeGreaterThanOrEqual(2);
      const runtime = stages.at(-1) ?? '';
      expect(runtime).toMatch(/^USER node$/m);
      expect(runtime).toMatch(/^VOLUME \["\/var\/lib\/tessera"\]$/m);
      expect(runtime).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "\/opt\/tessera\/healthcheck\.mjs"\]$/m);
      expect(runtime).toContain('TESSERA_DATA_DIR=/var/lib/tessera');
      expect(runtime).toMatch(/^ENTRYPOINT \["\/opt\/tessera\/docker-entrypoint\.sh"\]$/m);
      for (const line of dockerfile.split('\n').filter((l) => /^COPY (?!--from)/.test(l))) {
        const sources = line
          .replace(/^COPY /, '')
          .trim()
          .split(/\s+/)
          .slice(0, -1);
        for (const source of sources) {
          expect(existsSync(join(ROOT, source)), `${line}: ${source} exists`).toBe(true);
        }
      }
      const compose = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');
      expect(compose).toMatch(/^ {2}tessera:\n(?: {4}.*\n)*? {4}read_only: true$/m);
      expect(compose).toMatch(/^ {2}postgres:\n {4}image: postgres:/m);
      expect(compose).toContain('TESSERA_DATABASE_URL_FILE: /run/secrets/database_url');
      expect(compose).toContain('tessera-data:/var/lib/tessera');
    },
    TEST_HANG_MS,
  );

  it(
    "container: /opt/tessera laid out from the tarballs runs the image's entrypoint (--version, serve) and its health check answers 0 while serving, 1 after",
    async () => {
      const entrypoint = join(ROOT, 'deploy', 'docker-entrypoint.sh');
      const healthcheck = join(ROOT, 'deploy', 'healthcheck.mjs');
      const data = join(scratch, 'volume');
      mkdirSync(data);
      const port = await freePort();
      // The image's environment, with /opt/tessera and the volume replaced by scratch folders.
      const env = {
        PATH: process.env.PATH ?? '',
        TESSERA_HOME: app,
        TESSERA_DATA_DIR: data,
        TESSERA_PORT: String(port),
        TESSERA_LOG_LEVEL: 'warn',
      };
      const version = await run(entrypoint, ['--version'], { cwd: scratch, env, timeout: STEP_HANG_MS });
      expect(version.stdout.trim()).toBe(manifestOf(join(app, 'node_modules', '@tessera', 'server')).version);

      const child = spawn(entrypoint, ['serve', '--dev'], { cwd: scratch, env });
      children.push(child);
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const hang = setTimeout(() => reject(new Error(`no banner: ${output}`)), STEP_HANG_MS);
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Tessera is listening')) {
            clearTimeout(hang);
            resolve();
          }
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        child.once('exit', (code) => {
          clearTimeout(hang);
          reject(new Error(`exited early with ${code}: ${output}`));
        });
      });
      // Everything it wrote is on the volume: a read-only root filesystem is enough.
      expect(existsSync(join(data, 'tessera.db'))).toBe(true);
      const healthy = await run(process.execPath, [healthcheck], { env, timeout: STEP_HANG_MS });
      expect(healthy.stderr).toBe('');

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const down = await run(process.execPath, [healthcheck], { env, timeout: STEP_HANG_MS }).then(
        () => 0,
        (error: { code?: number }) => error.code,
      );
      expect(down).toBe(1);
    },
    TEST_HANG_MS,
  );

  it(
    'deploy/tessera.service passes systemd-analyze verify (where systemd is installed)',
    async () => {
      const analyze = '/usr/bin/systemd-analyze';
      if (!existsSync(analyze)) {
        return;
      }
      const unit = join(scratch, 'tessera.service');
      copyFileSync(join(ROOT, 'deploy', 'tessera.service'), unit);
      const verified = await run(analyze, ['verify', unit], { timeout: STEP_HANG_MS });
      expect(verified.stderr).toBe('');
    },
    TEST_HANG_MS,
  );

  it(
    'the installed `tessera` bin answers --help',
    async () => {
      const bin = join(app, 'node_modules', '.bin', 'tessera');
      const { stdout } = await run(bin, ['--help'], { cwd: app, timeout: STEP_HANG_MS });
      expect(stdout).toContain('serve');
      expect(stdout).toContain('clients');
    },
    TEST_HANG_MS,
  );

  it(
    '`tessera serve --dev` from the installed package issues a client-credentials token that the installed @tessera/verify accepts',
    async () => {
      const bin = join(app, 'node_modules', '.bin', 'tessera');
      const work = join(scratch, 'work');
      mkdirSync(work);
      const port = await freePort();
      const issuer = `http://127.0.0.1:${port}`;
      const env = { PATH: process.env.PATH ?? '', TESSERA_LOG_LEVEL: 'warn' };
      const child = spawn(bin, ['serve', '--dev', '--port', String(port)], { cwd: work, env });
      children.push(child);
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const hang = setTimeout(
          () => reject(new Error(`no banner within ${STEP_HANG_MS} ms: ${output}`)),
          STEP_HANG_MS,
        );
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Tessera is listening')) {
            clearTimeout(hang);
            resolve();
          }
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        child.once('exit', (code) => {
          clearTimeout(hang);
          reject(new Error(`exited early with ${code}: ${output}`));
        });
      });

      const created = await run(
        bin,
        [
          'clients',
          'create',
          '--name',
          'packaging',
          '--grant-types',
          'client_credentials',
          '--scope',
          'read write',
          '--audience',
          'https://api.example.com',
          '--json',
        ],
        { cwd: work, env, timeout: STEP_HANG_MS },
      );
      const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=read',
        signal: AbortSignal.timeout(STEP_HANG_MS),
      });
      expect(response.status).toBe(200);
      const { access_token: accessToken } = (await response.json()) as { access_token: string };

      const verified = JSON.parse(
        await nodeScript(
          app,
          `import { createVerifier } from '@tessera/verify';
         const verifier = createVerifier({ issuer: ${JSON.stringify(issuer)}, audience: 'https://api.example.com', revocations: false });
         try {
           const token = await verifier.verify(${JSON.stringify(`Bearer ${accessToken}`)});
           console.log(JSON.stringify({ tokenType: token.tokenType, clientId: token.clientId, scope: token.scope }));
         } finally {
           await verifier.close();
         }`,
        ),
      ) as { tokenType: string; clientId: string; scope: string[] };
      expect(verified).toEqual({ tokenType: 'jwt', clientId: client.client_id, scope: ['read'] });

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    },
    TEST_HANG_MS,
  );
});
