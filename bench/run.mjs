/**
 * `npm run bench` (after `tsc -b`): Tessera side by side with node-oidc-provider (the peer) and a
 * bare Fastify hello-world (the ceiling), in one run on this machine.
 *
 *   node bench/run.mjs [--quick] [--only <scenario>[,<scenario>…]] [--repeats N] [--duration S]
 *                      [--connections N] [--profile]
 *
 * Every server runs in its own process pinned to core 0, the load generator (autocannon) in a child
 * process pinned to core 1, on 127.0.0.1 only. All servers are started first; then each repeat runs
 * every HTTP scenario once (interleaved, so drift of the machine hits all of them alike), each run
 * a warm-up and a bounded measured run. The table shows medians over the repeats; the JSON in
 * bench/results/ holds every run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { failureOf } from './lib/answers.mjs';
import { microSummary, runMicroOnce } from './lib/micro.mjs';
import {
  BENCH_DIR,
  canPin,
  freePort,
  LOAD_CORE,
  peakRssOfServer,
  resetPeakRssOfServer,
  runJsonChild,
  SPREAD_CORES,
  servingPids,
  startServer,
  stopProcess,
  waitUntilIdle,
} from './lib/procs.mjs';
import { jobFor } from './lib/requests.mjs';
import { runRevocation } from './lib/revocation.mjs';
import {
  instanceKey,
  parseBenchArgs,
  pinningNote,
  SCENARIOS,
  selectScenarios,
  withReferences,
} from './lib/scenarios.mjs';
import { formatResults, summarise } from './lib/stats.mjs';
import { benchPassword, startTessera } from './lib/tessera.mjs';

const USAGE = `usage: npm run bench -- [--quick] [--only <scenario>[,…]] [--repeats N] [--duration S] [--connections N] [--profile]
  --quick        1 repeat of 2 s (development)
  --only         ids, prefixes or segments: --only ceiling,peer,tessera.cc-jwt-es256
  --profile      run Tessera under node --cpu-prof (profiles land in the run's temp folder)
scenarios:\n${SCENARIOS.map((s) => `  ${s.id}${s.target === undefined ? '' : `  (target: ${s.target})`}`).join('\n')}`;

function log(line) {
  process.stderr.write(`${line}\n`);
}

function machine(pin) {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${release()} ${arch()}`,
    pinned: pin
      ? `servers on core 0 (taskset -c 0), cluster workers on ${SPREAD_CORES}, load generator on core ${LOAD_CORE}`
      : 'not pinned (taskset or a second core missing)',
  };
}

const PINNING = { spread: SPREAD_CORES, load: LOAD_CORE };

function serverKey(scenario) {
  return scenario.server === 'tessera' ? `tessera:${instanceKey(scenario.instance)}` : scenario.server;
}

async function startCeiling(workDir) {
  const port = await freePort();
  const child = await startServer({
    args: [join(BENCH_DIR, 'servers/fastify-hello.mjs'), String(port)],
    env: { NODE_ENV: 'production' },
    cores: '0',
    logFile: join(workDir, 'fastify-hello.log'),
    readyUrl: `http://127.0.0.1:${port}/`,
  });
  return { child, url: `http://127.0.0.1:${port}`, ctx: {}, close: () => stopProcess(child) };
}

async function startPeer(workDir) {
  const port = await freePort();
  const ctx = {
    clientId: 'bench-peer-client',
    clientSecret: 'bench-peer-secret-9f8e7d6c5b4a39281706',
    opaqueResource: 'https://opaque.bench.local',
  };
  const child = await startServer({
    args: [join(BENCH_DIR, 'servers/oidc-provider.mjs'), String(port), ctx.clientId, ctx.clientSecret],
    env: { NODE_ENV: 'production' },
    cores: '0',
    logFile: join(workDir, 'oidc-provider.log'),
    readyUrl: `http://127.0.0.1:${port}/.well-known/openid-configuration`,
  });
  return { child, url: `http://127.0.0.1:${port}`, ctx, close: () => stopProcess(child) };
}

/**
 * The reference handlers (servers/reference.mjs): clients, a resource server and 1,000 API keys
 * minted here, handed over as SHA-256 digests only; a token obtained once for introspection.
 */
async function startReference(workDir) {
  const port = await freePort();
  const secret = () => randomBytes(32).toString('base64url');
  const digest = (text) => createHash('sha256').update(text).digest('base64url');
  const { password, hash: passwordHash } = await benchPassword();
  const ctx = {
    password,
    clients: Array.from({ length: 7 }, (_, n) => ({ id: `ref-client-${n}`, secret: `tsr_cs_${secret()}` })),
    resourceServer: { id: 'ref-resource-server', secret: `tsr_cs_${secret()}` },
    apiKeys: Array.from({ length: 1000 }, () => `tsr_key_${secret()}`),
  };
  const configPath = join(workDir, 'reference.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      issuer: 'https://auth.bench.local',
      audience: 'https://api.bench.local',
      clients: ctx.clients.map((c) => ({ id: c.id, secretSha256: digest(c.secret) })),
      resourceServer: { id: ctx.resourceServer.id, secretSha256: digest(ctx.resourceServer.secret) },
      apiKeySha256: ctx.apiKeys.map(digest),
      passwordHash,
    }),
  );
  const child = await startServer({
    args: [join(BENCH_DIR, 'servers/reference.mjs'), String(port), configPath],
    env: { NODE_ENV: 'production' },
    cores: '0',
    logFile: join(workDir, 'reference.log'),
    readyUrl: `http://127.0.0.1:${port}/`,
  });
  const url = `http://127.0.0.1:${port}`;
  const prepare = async () => {
    const job = jobFor('ref-cc-es256', ctx);
    const response = await fetch(`${url}${job.request.path}`, {
      method: 'POST',
      headers: { ...job.request.headers, ...job.variants[0].headers },
      body: job.request.body,
    });
    ctx.jwtToken = (await response.json()).access_token;
  };
  await prepare();
  return { child, url, ctx, prepare, close: () => stopProcess(child) };
}

async function startFor(scenario, workDir, options) {
  if (scenario.server === 'reference') {
    return startReference(workDir);
  }
  if (scenario.server === 'fastify') {
    return startCeiling(workDir);
  }
  if (scenario.server === 'oidc-provider') {
    return startPeer(workDir);
  }
  return startTessera(scenario.instance, { workDir, profile: options.profile, log, options });
}

async function main() {
  const options = parseBenchArgs(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const selected = withReferences(SCENARIOS, selectScenarios(SCENARIOS, options.only));
  if (selected.length === 0) {
    throw new Error(`--only matched no scenario\n${USAGE}`);
  }
  const pin = canPin();
  const workDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const startedAt = new Date();
  log(
    `tessera bench: ${selected.length} scenario(s), ${options.repeats} repeat(s) of ${options.duration} s, ${options.connections} connections; work dir ${workDir}`,
  );

  const shared = selected.filter(
    (s) => s.server === 'tessera' && pinningNote(s.instance, PINNING) !== undefined,
  );
  if (shared.length > 0) {
    log(
      `note: ${cpus().length} cores: ${shared.map((s) => s.id).join(', ')} cannot have a core per worker apart from the load generator (core ${LOAD_CORE}); their figures are of the server and the generator sharing a core`,
    );
  }
  const servers = new Map();
  const results = {};
  const runs = {};
  const failed = [];
  try {
    const http = [];
    for (const scenario of selected.filter((s) => s.kind === 'http' || s.kind === 'revocation')) {
      const key = serverKey(scenario);
      if (!servers.has(key)) {
        log(`starting ${key}`);
        try {
          servers.set(key, await startFor(scenario, workDir, options));
        } catch (error) {
          servers.set(key, { error });
          log(`  could not start ${key}: ${error.message}`);
        }
      }
      const server = servers.get(key);
      if (server.error !== undefined) {
        results[scenario.id] = { skipped: server.error.skip ?? 'server failed to start' };
        if (server.error.skip === undefined) {
          failed.push({ id: scenario.id, error: server.error.message });
        }
      } else if (scenario.kind === 'http') {
        http.push(scenario);
      }
    }

    for (let repeat = 0; repeat < options.repeats; repeat += 1) {
      for (const scenario of http) {
        if (results[scenario.id]?.skipped !== undefined || repeat >= (scenario.repeats ?? Infinity)) {
          continue;
        }
        const server = servers.get(serverKey(scenario));
        let job;
        try {
          // A fresh token for each introspection run: a long run outlives a token's 10 minutes.
          if (scenario.request.includes('introspect')) {
            await server.prepare?.();
          }
          // A fresh pool of never-seen tokens for each run of the unseen path.
          if (scenario.request === 'introspect-jwt-unseen') {
            await server.prepareUnseen?.();
          }
          if (scenario.request.startsWith('login')) {
            await server.prepareLogin?.();
          }
          job = jobFor(scenario.request, server.ctx);
        } catch (error) {
          results[scenario.id] = { skipped: error.skip ?? error.message };
          log(`  ${scenario.id}: skipped (${error.message})`);
          continue;
        }
        resetPeakRssOfServer(server.child.pid);
        const out = await runJsonChild(
          join(BENCH_DIR, 'load.mjs'),
          {
            url: server.url,
            connections: scenario.connections ?? options.connections,
            duration: Math.max(options.duration, scenario.minDuration ?? 0),
            warmup: options.warmup,
            serverPids: servingPids(server.child.pid),
            ...job,
          },
          { cores: LOAD_CORE },
        );
        out.peakRssMb = peakRssOfServer(server.child.pid);
        if (scenario.request === 'introspect-jwt-unseen') {
          server.ctx.unseenJwtTokens = undefined; // spent: never sent again
        }
        if (scenario.request.startsWith('login')) {
          await waitUntilIdle(server.child.pid); // queued argon2 work must not spill into the next run
        }
        const pinning = scenario.server === 'tessera' ? pinningNote(scenario.instance, PINNING) : undefined;
        const notes = [
          ...(out.refused > 0 ? [`${out.refused} refused (503/429), never counted`] : []),
          ...(pinning === undefined ? [] : [pinning]),
        ];
        if (notes.length > 0) {
          out.note = notes.join('; ');
        }
        // Issue 18: a scenario that expects only successful answers fails loudly on any other.
        const failure = failureOf(out, job.expect);
        if (failure !== undefined) {
          out.note = [failure, ...notes].join('; ');
          log(`  FAILED ${scenario.id}: ${failure}`);
          if (!failed.some((f) => f.id === scenario.id)) {
            failed.push({ id: scenario.id, error: failure });
          }
        }
        runs[scenario.id] = [...(runs[scenario.id] ?? []), out];
        log(
          `  [${repeat + 1}/${options.repeats}] ${scenario.id}: ${Math.round(out.rps)} req/s, p50 ${out.p50} ms, p99 ${out.p99} ms, RSS ${Math.round(out.peakRssMb)} MB${out.refused > 0 ? `, ${out.refused} refused (503/429)` : ''}${typeof out.serverCpuMsPerOk === 'number' ? `, server CPU ${out.serverCpuMsPerOk.toFixed(3)} ms/answer` : ''}${out.note === undefined ? '' : `, ${out.note}`}`,
        );
      }
    }
    for (const scenario of http) {
      if (runs[scenario.id] !== undefined) {
        const summary = summarise(runs[scenario.id]);
        const notes = runs[scenario.id].map((r) => r.note).filter((n) => n !== undefined);
        results[scenario.id] = notes.length > 0 ? { ...summary, note: notes[0] } : summary;
      }
    }

    // Repeats interleaved across the micro scenarios too (raw node:crypto, jose, the verifier), so
    // the ratios compare runs of the same minute of this shared machine.
    const micro = selected.filter((s) => s.kind === 'micro');
    const microValues = new Map(micro.map((s) => [s.id, []]));
    for (let repeat = 0; repeat < options.repeats; repeat += 1) {
      for (const scenario of micro) {
        if (results[scenario.id]?.skipped !== undefined) {
          continue;
        }
        log(`  [${repeat + 1}/${options.repeats}] ${scenario.id}`);
        try {
          microValues.get(scenario.id).push(await runMicroOnce(scenario, options));
        } catch (error) {
          results[scenario.id] = { skipped: error.skip ?? 'failed' };
          if (error.skip === undefined) {
            failed.push({ id: scenario.id, error: error.message });
          }
          log(`  ${scenario.id}: ${error.message}`);
        }
      }
    }
    for (const scenario of micro) {
      if (results[scenario.id]?.skipped === undefined) {
        results[scenario.id] = microSummary(microValues.get(scenario.id));
      }
    }

    for (const scenario of selected.filter((s) => s.kind === 'revocation')) {
      const server = servers.get(serverKey(scenario));
      if (server.error !== undefined) {
        continue;
      }
      log(`running ${scenario.id}`);
      try {
        results[scenario.id] = await runRevocation(server, options);
      } catch (error) {
        results[scenario.id] = { skipped: error.skip ?? 'failed' };
        if (error.skip === undefined) {
          failed.push({ id: scenario.id, error: error.message });
        }
        log(`  ${scenario.id}: ${error.message}`);
      }
    }
  } finally {
    for (const [key, server] of servers) {
      if (server.close !== undefined) {
        await server.close().catch((error) => log(`stopping ${key}: ${error.message}`));
      }
    }
  }

  const table = formatResults(selected, results);
  const resultsDir = join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const rootPackage = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
        version: rootPackage.version ?? null,
        machine: machine(pin),
        options,
        scenarios: selected.map((s) => ({
          id: s.id,
          target: s.target ?? null,
          peer: s.peer ?? null,
          result: results[s.id] ?? null,
          runs: runs[s.id] ?? [],
        })),
        failed,
        table,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\n${table}\n\nmachine: ${JSON.stringify(machine(pin))}\nresults: ${file}\n`);
  if (failed.length === 0 && !options.profile) {
    rmSync(workDir, { recursive: true, force: true });
  } else {
    log(`kept ${workDir} (logs${options.profile ? ', CPU profiles' : ''})`);
  }
  if (failed.length > 0) {
    log(`failed: ${failed.map((f) => `${f.id}: ${f.error}`).join('; ')}`);
    process.exitCode = 1;
  }
}

await main();
