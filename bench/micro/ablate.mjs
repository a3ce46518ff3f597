/**
 * A copy of the server's build with one piece of a hot path taken out, for the served ablations of
 * docs/performance.md (69.): what the rest of the answer costs without it, measured beside the
 * reference handler in the same minute.
 *
 *   node bench/micro/ablate.mjs <variant> <out-dir> [<server-dir>]
 *   TESSERA_BENCH_SERVER_DIR=<out-dir>/server npm run bench -- --only tessera.api-key-verify --repeats 3
 *
 * Copies `<server-dir>` (default the checkout's packages/server, built: `npm run bench` and
 * `tsc -b` build it) to `<out-dir>/server`, links `<out-dir>/node_modules` to the checkout's (the
 * copy resolves its dependencies from there), edits one line of its `dist/` and prints the copy's
 * path. Each edit is found by the exact text of a line of the compiled JavaScript, which must occur
 * once: when the source changes under it, the script fails (exit 1) instead of measuring something
 * else. Never for production: an ablated build skips checks on purpose. The variants:
 *
 * - `api-key-answer-at-once`: `POST /api-keys/verify` sets `Cache-Control: no-store` and answers a
 *   constant valid verification: what Fastify, the request guard (Host check, 12 security headers),
 *   the route's rate-limit screen, the form parser, metrics and the access log cost;
 * - `api-key-after-client-auth`: the same constant after the caller's client authentication and its
 *   rate limit (RateLimit fields included);
 * - `api-key-after-key-checks`: every check of the key (revocation, expiry, owner, anomaly judge,
 *   usage record), then the constant instead of the key's own answer (a key that is not valid is
 *   an error, so the bench fails rather than count it);
 * - `token-answer-at-once`: `POST /token` answers a constant access-token response (no signature)
 *   as soon as its handler runs;
 * - `token-after-client-auth`: the same after client authentication and the per-client limit;
 * - `no-security-headers`: the request guard sets none of the 12 security headers (the Host check
 *   stays);
 * - `no-ratelimit-fields`: no RateLimit / RateLimit-Policy fields (the limits still count and refuse).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT_DIR } from '../lib/procs.mjs';

const KEY_ANSWER = JSON.stringify({ valid: true, key_id: 'ablated', owner: 'ablated', scopes: [] });
const TOKEN_ANSWER = JSON.stringify({
  access_token: `eyJ${'a'.repeat(300)}`,
  token_type: 'Bearer',
  expires_in: 900,
  scope: 'read',
});
const sendKeyAnswer = `return void reply.code(200).type('application/json; charset=utf-8').send('${KEY_ANSWER}');`;
const sendTokenAnswer = `return reply.type('application/json; charset=utf-8').send('${TOKEN_ANSWER}');`;

/** Per variant: the compiled file, the line (trimmed) it acts on, and what goes after it or instead. */
const VARIANTS = {
  'api-key-answer-at-once': {
    file: 'http/public/api-key-verify.js',
    line: 'const caller = deps.limit.identify(request, reply, () => identifyCaller(request), (identified) => identified.client.id);',
    before: sendKeyAnswer,
  },
  'api-key-after-client-auth': {
    file: 'http/public/api-key-verify.js',
    line: 'function verifyFor(reply, { client, params }) {',
    after: sendKeyAnswer,
  },
  'api-key-after-key-checks': {
    file: 'http/public/api-key-verify.js',
    line: "return reply.code(200).type('application/json; charset=utf-8').send(bodyOf(result));",
    instead: `if (result.valid !== true) { throw new Error('ablation: the key is not valid'); } ${sendKeyAnswer}`,
  },
  'token-answer-at-once': {
    file: 'http/public/token.js',
    line: 'const body = formOf(request);',
    after: sendTokenAnswer,
  },
  'token-after-client-auth': {
    file: 'http/public/token.js',
    line: 'deps.limits.perClient.consume(client.id, reply);',
    after: sendTokenAnswer,
  },
  'no-security-headers': {
    file: 'http/plugins/request-guard.js',
    line: 'reply.headers(securityHeaders);',
    instead: 'void securityHeaders;',
  },
  'no-ratelimit-fields': {
    file: 'http/plugins/rate-limit.js',
    line: 'export function addRateLimitFields(reply, policy, state) {',
    after: 'return;',
  },
};

/** Applies `variant` to the source of one compiled file; throws unless its line occurs exactly once. */
function ablate(source, variant) {
  const lines = source.split('\n');
  const at = lines.flatMap((text, index) => (text.trim() === variant.line ? [index] : []));
  if (at.length !== 1) {
    throw new Error(
      `${variant.file}: the line to edit occurs ${at.length} times, not once (the source changed?): ${variant.line}`,
    );
  }
  const index = at[0];
  const indent = /^\s*/.exec(lines[index])[0];
  if (variant.instead !== undefined) {
    lines[index] = `${indent}${variant.instead}`;
  } else if (variant.before !== undefined) {
    lines.splice(index, 0, `${indent}${variant.before}`);
  } else {
    // Inside the block a line opens, else beside it.
    const inner = variant.line.endsWith('{') ? `${indent}    ` : indent;
    lines.splice(index + 1, 0, `${inner}${variant.after}`);
  }
  return lines.join('\n');
}

const [name, outArg, serverArg] = process.argv.slice(2);
const variant = VARIANTS[name];
if (variant === undefined || outArg === undefined) {
  process.stderr.write(
    `usage: node bench/micro/ablate.mjs <${Object.keys(VARIANTS).join('|')}> <out-dir> [<server-dir>]\n`,
  );
  process.exit(2);
}
const from = resolve(serverArg ?? join(ROOT_DIR, 'packages/server'));
const out = resolve(outArg);
const server = join(out, 'server');
if (!existsSync(join(from, 'dist', variant.file))) {
  process.stderr.write(`${from} has no dist/${variant.file}: build it first (npx tsc -b)\n`);
  process.exit(1);
}
if (existsSync(server)) {
  process.stderr.write(`${server} exists: give a new out-dir\n`);
  process.exit(1);
}
mkdirSync(out, { recursive: true });
cpSync(from, server, { recursive: true, filter: (path) => !path.includes(`${from}/src`) });
if (!existsSync(join(out, 'node_modules'))) {
  symlinkSync(join(ROOT_DIR, 'node_modules'), join(out, 'node_modules'), 'dir');
}
const file = join(server, 'dist', variant.file);
try {
  writeFileSync(file, ablate(readFileSync(file, 'utf8'), variant));
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
process.stdout.write(`${server}\n`);
