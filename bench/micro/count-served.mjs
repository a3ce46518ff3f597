/**
 * Instructions per served answer, load-independently: one server (a build of Tessera, a copy of
 * packages/server with its `dist/`, or the reference handlers of servers/reference.mjs) runs under
 * `valgrind --tool=callgrind`, the load (autocannon, served-ab-load.mjs's process) outside it. Instrumentation is
 * off while the server starts and answers `warm` requests (so JIT tiers settle), then on; the
 * counters are zeroed, `n1` answers are loaded and dumped, `n2` more are loaded and dumped
 * (`callgrind_control`); a full collection (`--expose-gc`, asked over stdin) precedes each zeroed
 * window, outside the count, so each window starts from the same heap. Per answer = (I(n2) − I(n1)) / (n2 − n1): what a window costs whatever its
 * length (the commands, the idle loop between windows) cancels out.
 *
 *   node bench/micro/count-served.mjs <api-key-verify|cc-jwt-es256|introspect-jwt|introspect-opaque|refresh|login-busy> <build dir|reference> \
 *     [n1=2000] [n2=4000] [warm=3000] [config.key=value …]
 *
 * Every interval timer the server sets (the usage batch, stats and audit flushes, the revocation
 * poll and prune, maintenance, risk sync) is stretched to a day for the run: under valgrind a second
 * is a few hundred answers, so timers fire far more often per answer than in production and would
 * swamp the count (docs/performance.md, "API-key path"). So the count is the per-request cost
 * alone; what those timers amortise over answers is not in it. Tessera builds run with the
 * production settings of lib/served-build.mjs; `config.key=value` arguments are added to the
 * configuration (numbers and booleans parsed), e.g. `log.level=silent` for an ablation.
 * The counted node runs with `--no-opt` by default (`COUNT_SERVED_NODE_FLAGS` replaces it): under
 * valgrind V8's optimising tier never settled (with 4,000 answers of warm-up, half of each later
 * window was still TurboFan compiling and most code ran at the baseline tier, so two windows of one
 * build differed by 2 ×). Without it the counts are of baseline code (Sparkplug): JavaScript weighs
 * more against native work than in production, but two windows agree within a few per cent and an
 * ablation's difference is work removed, not JIT timing.
 * The caches' TTLs are NOT stretched (they live in the caches' constructors, not in timers): under
 * valgrind 1,500 answers outlast the API-key cache's 60 s, so the longer window reloads most keys
 * and the two windows disagree. For a comparison, count copies of both builds with the TTLs
 * stretched in their `dist/` (docs/performance.md, "Client authentication and the API-key path,
 * counted").
 * `introspect-jwt` / `introspect-opaque`: one token introspected again and again by a resource server
 * (the seen path, lib/served-build.mjs); the reference counts `introspect-jwt` only (its
 * `/introspect` verifies its own ES256 JWT, got from its `/es256/token` before the count).
 * The dumps are kept (printed path) for `callgrind_annotate --inclusive=yes <file>`.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Loaded into the counted server (either kind): a full collection when stdin says `gc`. */
const GC_ON_REQUEST = `data:text/javascript,${encodeURIComponent(
  "import{createInterface}from'node:readline';createInterface({input:process.stdin}).on('line',(l)=>{if(l==='gc'){globalThis.gc();process.stdout.write('gc done\\n');}});",
)}`;

if (process.argv[2] === '--target') {
  await serveTarget(process.argv[3], process.argv[4], JSON.parse(process.argv[5]));
} else {
  await count();
}

/** Inside valgrind: a Tessera build with every interval timer stretched; prints `ready <job>`. */
async function serveTarget(dir, scenario, overrides) {
  const realSetInterval = globalThis.setInterval;
  globalThis.setInterval = (fn, ms, ...args) =>
    realSetInterval(fn, Math.max(Number(ms) || 0, 86_400_000), ...args);
  const { startBuild } = await import('../lib/served-build.mjs');
  const build = await startBuild(dir, 'counted', overrides, scenario);
  process.stdout.write(`ready ${JSON.stringify(build.job)}\n`);

  process.on('SIGTERM', () => {
    build.close().then(() => process.exit(0));
  });
}

function parseOverrides(args) {
  const overrides = {};
  for (const arg of args) {
    const at = arg.indexOf('=');
    const raw = arg.slice(at + 1);
    overrides[arg.slice(0, at)] =
      raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  return overrides;
}

/** The reference handlers' config (as bench/run.mjs makes it) and the job for a scenario. */
function referenceSetup(outDir, scenario) {
  const secret = () => randomBytes(32).toString('base64url');
  const digest = (text) => createHash('sha256').update(text).digest('base64url');
  const client = { id: 'ref-client-0', secret: `tsr_cs_${secret()}` };
  const resourceServer = { id: 'ref-resource-server', secret: `tsr_cs_${secret()}` };
  const apiKeys = Array.from({ length: 1000 }, () => `tsr_key_${secret()}`);
  const configPath = join(outDir, 'reference.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      issuer: 'https://auth.bench.local',
      audience: 'https://api.bench.local',
      clients: [{ id: client.id, secretSha256: digest(client.secret) }],
      resourceServer: { id: resourceServer.id, secretSha256: digest(resourceServer.secret) },
      apiKeySha256: apiKeys.map(digest),
    }),
  );
  const basic = (c) => `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}`;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const job =
    scenario === 'introspect-jwt'
      ? {
          path: '/introspect',
          headers: { ...form, authorization: basic(resourceServer) },
          // The token itself comes from the reference's /es256/token once it listens (referenceToken).
          bodies: [],
          tokenFrom: { path: '/es256/token', authorization: basic(client) },
          expect: '"active":true',
        }
      : scenario === 'cc-jwt-es256'
        ? {
            path: '/es256/token',
            headers: { ...form, authorization: basic(client) },
            bodies: ['grant_type=client_credentials&scope=read'],
            expect: '"access_token"',
          }
        : {
            path: '/api-keys/verify',
            headers: { ...form, authorization: basic(resourceServer) },
            bodies: apiKeys.map((key) => `key=${encodeURIComponent(key)}`),
            expect: '"valid":true',
          };
  return { args: [join(HERE, '../servers/reference.mjs'), '0', configPath], job };
}

/** The reference's introspection scenario: one ES256 JWT from its own token endpoint. */
async function referenceToken(job) {
  const response = await fetch(`http://127.0.0.1:${job.port}${job.tokenFrom.path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: job.tokenFrom.authorization,
    },
    body: 'grant_type=client_credentials&scope=read',
  });
  const token = (await response.json()).access_token;
  if (typeof token !== 'string') {
    throw new Error(`the reference issued no token (${response.status})`);
  }
  const { tokenFrom: _, ...rest } = job;
  return { ...rest, bodies: [`token=${encodeURIComponent(token)}`] };
}

/** Exactly `amount` requests from served-ab-load.mjs's loader (8 connections); all must succeed. */
async function load(job, amount) {
  const loader = fork(join(HERE, 'served-ab-load.mjs'));
  try {
    const { ok, total, tokens } = await new Promise((resolve, reject) => {
      loader.once('message', resolve);
      loader.once('exit', (code) => reject(new Error(`the loader exited with ${code}`)));
      // Under valgrind an answer may take long; a request is not given up before 10 minutes.
      loader.send({ ...job, amount, connections: 8, timeout: 600 });
    });
    if (ok !== amount || total !== amount) {
      throw new Error(`${ok} successes of ${total} answers, ${amount} asked`);
    }
    if (job.rotate !== undefined) {
      // Refresh rotation: the next load spends the tokens this one got back, never a spent one.
      job.rotate.tokens = tokens;
    }
  } finally {
    loader.kill();
  }
}

function control(pid, ...args) {
  const run = spawnSync('callgrind_control', [...args, String(pid)], { encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(`callgrind_control ${args.join(' ')}: ${run.stderr}${run.stdout}`);
  }
}

/**
 * Instructions spent compiling and deoptimising in a dump (the inclusive cost of V8's runtime entries
 * for them; with --single-threaded they run on the main thread, called from JavaScript). Under
 * valgrind the optimising tier is still at work thousands of answers into a run, unevenly between
 * windows, so the count is also given without it.
 */
function jitInstructions(file) {
  const run = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  let total = 0;
  for (const match of run.stdout.matchAll(
    /^\s*([\d,]+) .*?v8::internal::Runtime_(?:CompileOptimized\w*|CompileLazy|CompileBaseline|InstallBaselineCode|NotifyDeoptimized|CompileOptimizedOSR\w*)\(/gm,
  )) {
    total += Number(match[1].replaceAll(',', ''));
  }
  return total;
}

/** Waits for the n-th dump file and reads its total instruction count. */
async function dumped(outDir, pid, n) {
  const name = `callgrind.out.${pid}.${n}`;
  for (let tries = 0; tries < 600; tries += 1) {
    if (readdirSync(outDir).includes(name)) {
      const text = readFileSync(join(outDir, name), 'utf8');
      const totals = /^(?:totals|summary): (\d+)/m.exec(text);
      if (totals !== null) {
        const file = join(outDir, name);
        return { file, instructions: Number(totals[1]), jit: jitInstructions(file) };
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no dump ${name}`);
}

async function count() {
  const [scenario, target, n1Arg, n2Arg, warmArg, ...rest] = process.argv.slice(2);
  const scenarios = [
    'api-key-verify',
    'cc-jwt-es256',
    'introspect-jwt',
    ...(target === 'reference' ? [] : ['introspect-opaque', 'refresh', 'login-busy']),
  ];
  if (!scenarios.includes(scenario) || target === undefined) {
    process.stderr.write(
      'usage: node bench/micro/count-served.mjs <api-key-verify|cc-jwt-es256|introspect-jwt|introspect-opaque|refresh|login-busy> <build dir|reference> [n1] [n2] [warm] [key=value …] (introspect-opaque, refresh, login-busy: a build only)\n',
    );
    process.exit(2);
  }
  const n1 = Number(n1Arg ?? 2000);
  const n2 = Number(n2Arg ?? 4000);
  const warm = Number(warmArg ?? 3000);
  const outDir = mkdtempSync(join(tmpdir(), 'count-served-'));
  let args;
  let job;
  if (target === 'reference') {
    ({ args, job } = referenceSetup(outDir, scenario));
  } else {
    args = [
      fileURLToPath(import.meta.url),
      '--target',
      resolve(target),
      scenario,
      JSON.stringify(parseOverrides(rest)),
    ];
  }
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${join(outDir, 'callgrind.out.%p')}`,
      process.execPath,
      '--expose-gc',
      '--single-threaded',
      ...(process.env.COUNT_SERVED_NODE_FLAGS ?? '--no-opt').split(' ').filter(Boolean),
      `--import=${GC_ON_REQUEST}`,
      ...args,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  const waiting = [];
  const ready = new Promise((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('ready ')) {
        const rest = line.slice('ready '.length);
        resolve(rest.startsWith('{') ? JSON.parse(rest) : { ...job, port: Number(rest) });
      } else if (line === 'gc done') {
        waiting.shift()?.();
      }
    });
  });
  job = await ready;
  if (job.tokenFrom !== undefined) {
    job = await referenceToken(job);
  }
  const collect = () =>
    new Promise((resolve) => {
      waiting.push(resolve);
      child.stdin.write('gc\n');
    });
  try {
    await load(job, warm);
    control(child.pid, '-i', 'on');
    await collect();
    control(child.pid, '-z');
    await load(job, n1);
    control(child.pid, '-d');
    const first = await dumped(outDir, child.pid, 1);
    await collect();
    control(child.pid, '-z');
    await load(job, n2);
    control(child.pid, '-d');
    const second = await dumped(outDir, child.pid, 2);
    const perAnswer = (second.instructions - first.instructions) / (n2 - n1);
    const withoutJit = (w) => w.instructions - w.jit;
    const perAnswerWithoutJit = (withoutJit(second) - withoutJit(first)) / (n2 - n1);
    const fmt = (n) => Math.round(n).toLocaleString('en');
    process.stdout.write(
      `count-served ${scenario} ${target} ${rest.join(' ')}: without JIT ${fmt(perAnswerWithoutJit)} instructions per answer ` +
        `(${fmt(withoutJit(first) / n1)} and ${fmt(withoutJit(second) / n2)} per answer in each window; JIT ${fmt(first.jit)} and ${fmt(second.jit)})\n`,
    );
    process.stdout.write(
      `count-served ${scenario} ${target} ${rest.join(' ')}: ${Math.round(perAnswer).toLocaleString('en')} instructions per answer ` +
        `(I(${n1}) ${first.instructions.toLocaleString('en')}, I(${n2}) ${second.instructions.toLocaleString('en')}; ` +
        `${Math.round(first.instructions / n1).toLocaleString('en')} and ${Math.round(second.instructions / n2).toLocaleString('en')} per answer each) dumps ${first.file} ${second.file}\n`,
    );
  } finally {
    // Closed gracefully (a Tessera build removes its data directory), killed if that hangs.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    await exited;
    clearTimeout(timer);
  }
}
