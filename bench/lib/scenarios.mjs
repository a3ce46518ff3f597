/**
 * The benchmark scenarios. Pure data: `run.mjs` groups the HTTP ones by the server instance they
 * need (one process per instance, started once) and runs the in-process ones in their own pinned
 * process.
 *
 * Fields:
 * - `kind`: `http` (autocannon against a server), `micro` (in-process `@tessera/verify`),
 *   `revocation` (propagation latency over the SSE stream).
 * - `server`: `fastify` (the ceiling), `oidc-provider` (the peer) or `tessera`.
 * - `instance`: for Tessera, what the server process needs (database, algorithm, workers, seeding).
 * - `request`: which request the load generator sends (see `lib/requests.mjs`).
 * - `peer`: the scenario id the `× peer` column divides by.
 * - `reference`: the reference handler's scenario id the `× ref` column divides by (issue 18: the
 *   minimal hand-written route doing only the irreducible work, `servers/reference.mjs`).
 * - `target`: the target, printed in docs.
 * - `connections`, `repeats`, `minDuration` (optional): this scenario's own load, number of runs and
 *   shortest measured run, where the command line's would not measure what it is for (the flood).
 */

const SQLITE_ES256 = { db: 'sqlite', algorithm: 'ES256', workers: 1 };

export const SCENARIOS = [
  { id: 'ceiling.fastify-hello', kind: 'http', server: 'fastify', request: 'hello' },
  { id: 'peer.oidc-provider.cc-jwt-es256', kind: 'http', server: 'oidc-provider', request: 'cc-peer' },
  { id: 'reference.cc-jwt-es256', kind: 'http', server: 'reference', request: 'ref-cc-es256' },
  { id: 'reference.cc-jwt-eddsa', kind: 'http', server: 'reference', request: 'ref-cc-eddsa' },
  { id: 'reference.cc-jwt-rs256', kind: 'http', server: 'reference', request: 'ref-cc-rs256' },
  { id: 'reference.api-key-verify', kind: 'http', server: 'reference', request: 'ref-api-key-verify' },
  { id: 'reference.introspect-jwt', kind: 'http', server: 'reference', request: 'ref-introspect-jwt' },
  { id: 'reference.login-argon2', kind: 'http', server: 'reference', request: 'ref-argon2-verify' },
  {
    id: 'peer.oidc-provider.cc-opaque',
    kind: 'http',
    server: 'oidc-provider',
    request: 'cc-peer-opaque',
  },
  {
    id: 'tessera.cc-jwt-es256',
    kind: 'http',
    server: 'tessera',
    instance: SQLITE_ES256,
    request: 'cc-jwt',
    reference: 'reference.cc-jwt-es256',
    peer: 'peer.oidc-provider.cc-jwt-es256',
    target: '≥ 0.85× reference and ≥ 4× peer',
  },
  {
    id: 'tessera.cc-jwt-eddsa',
    kind: 'http',
    server: 'tessera',
    instance: { ...SQLITE_ES256, algorithm: 'EdDSA' },
    request: 'cc-jwt',
    reference: 'reference.cc-jwt-eddsa',
    peer: 'peer.oidc-provider.cc-jwt-es256',
    target: '≥ 0.85× reference',
  },
  {
    id: 'tessera.cc-jwt-rs256',
    kind: 'http',
    server: 'tessera',
    instance: { ...SQLITE_ES256, algorithm: 'RS256' },
    request: 'cc-jwt',
    reference: 'reference.cc-jwt-rs256',
    peer: 'peer.oidc-provider.cc-jwt-es256',
    target: '≥ 0.85× reference',
  },
  {
    id: 'tessera.cc-opaque',
    kind: 'http',
    server: 'tessera',
    instance: SQLITE_ES256,
    request: 'cc-opaque',
    peer: 'peer.oidc-provider.cc-opaque',
    target: '≥ 3× peer (its opaque tokens)',
  },
  {
    id: 'tessera.cc-opaque.postgres',
    kind: 'http',
    server: 'tessera',
    instance: { ...SQLITE_ES256, db: 'postgres' },
    request: 'cc-opaque',
    peer: 'peer.oidc-provider.cc-opaque',
    target: '≥ 3× peer (its opaque tokens)',
  },
  {
    id: 'tessera.introspect-jwt',
    kind: 'http',
    server: 'tessera',
    instance: SQLITE_ES256,
    request: 'introspect-jwt',
    reference: 'reference.introspect-jwt',
    target: '≥ 0.5× ceiling (a token seen before)',
  },
  {
    // The unseen path: a different token per request, never sent before. The reference row is the
    // seen path (one token again and again), so × ref here is how far below that path it falls.
    id: 'tessera.introspect-jwt-unseen',
    kind: 'http',
    server: 'tessera',
    instance: SQLITE_ES256,
    request: 'introspect-jwt-unseen',
    reference: 'reference.introspect-jwt',
  },
  {
    id: 'tessera.introspect-opaque',
    kind: 'http',
    server: 'tessera',
    instance: SQLITE_ES256,
    request: 'introspect-opaque',
  },
  {
    id: 'tessera.api-key-verify',
    kind: 'http',
    server: 'tessera',
    instance: SQLITE_ES256,
    request: 'api-key-verify',
    reference: 'reference.api-key-verify',
    target: '≥ 0.75× ceiling and ≥ 0.85× reference',
  },
  {
    // A complete password sign-in at the account page (CSRF double submit, throttle, argon2id,
    // session, audit) against one raw argon2id verification with the same parameters.
    id: 'tessera.login',
    kind: 'http',
    server: 'tessera',
    instance: SQLITE_ES256,
    request: 'login',
    reference: 'reference.login-argon2',
    target: '≥ 0.9× reference (raw @node-rs/argon2 verify)',
  },
  {
    // More sign-ins at once than login.verifyConcurrency (the server's cores, at most 4; 1 on its
    // pinned core) + login.verifyQueue (64) admit: the bound must refuse the rest (503) before any
    // argon2 memory is spent, so RSS stays flat.
    id: 'flood.login',
    kind: 'http',
    server: 'tessera',
    instance: SQLITE_ES256,
    request: 'login-flood',
    connections: 256,
    // Its figure is a peak (the highest of the repeats anyway): one run is enough, and the rest of
    // the bench keeps to its time.
    repeats: 1,
    // Long enough for the queue of 64 to fill and drain and for 10 s timeouts to show.
    minDuration: 15,
    target:
      "peak RSS no higher than tessera.login's (at most 4 verifications × 19 MiB at once); only 303, 503 or 429",
  },
  {
    // The refresh client has ES256 ID tokens (id_token_signed_response_alg, OIDC Registration §2).
    id: 'tessera.refresh-rotation.sqlite',
    kind: 'http',
    server: 'tessera',
    instance: SQLITE_ES256,
    request: 'refresh',
    target: '≥ 3,000/s',
  },
  {
    // The same with the server's default RS256 ID tokens: the RSA signature per rotation.
    id: 'tessera.refresh-rotation-rs256.sqlite',
    kind: 'http',
    server: 'tessera',
    instance: SQLITE_ES256,
    request: 'refresh-rs256',
  },
  {
    id: 'tessera.cc-jwt-es256.postgres',
    kind: 'http',
    server: 'tessera',
    instance: { ...SQLITE_ES256, db: 'postgres' },
    request: 'cc-jwt',
    reference: 'reference.cc-jwt-es256',
    peer: 'peer.oidc-provider.cc-jwt-es256',
  },
  {
    id: 'tessera.refresh-rotation.postgres',
    kind: 'http',
    server: 'tessera',
    instance: { ...SQLITE_ES256, db: 'postgres' },
    request: 'refresh',
    target: '≥ 2,000/s',
  },
  {
    id: 'growth.cc-jwt-es256.clients-100k',
    kind: 'http',
    server: 'tessera',
    instance: { ...SQLITE_ES256, seedClients: 100_000 },
    request: 'cc-jwt',
    reference: 'reference.cc-jwt-es256',
    peer: 'tessera.cc-jwt-es256',
    target: '≥ 0.90× the 10-client figure (tessera.cc-jwt-es256)',
  },
  {
    id: 'growth.api-key-verify.keys-1m',
    kind: 'http',
    server: 'tessera',
    instance: { ...SQLITE_ES256, seedKeys: 1_000_000 },
    request: 'api-key-verify',
    reference: 'reference.api-key-verify',
    peer: 'tessera.api-key-verify',
    target: '≥ 0.90× the 1,000-key figure (tessera.api-key-verify)',
  },
  {
    // Issue 18: peak RSS ≤ 200 MB per worker with 1,000,000 API keys and 100,000 clients stored.
    id: 'memory.api-key-verify.clients-100k-keys-1m',
    kind: 'http',
    server: 'tessera',
    instance: { ...SQLITE_ES256, seedClients: 100_000, seedKeys: 1_000_000 },
    request: 'api-key-verify',
    target: 'peak RSS ≤ 200 MB',
  },
  {
    id: 'memory.cc-jwt-es256.clients-100k-keys-1m',
    kind: 'http',
    server: 'tessera',
    instance: { ...SQLITE_ES256, seedClients: 100_000, seedKeys: 1_000_000 },
    request: 'cc-jwt',
    target: 'peak RSS ≤ 200 MB',
  },
  {
    id: 'workers.cc-jwt-es256.w1',
    kind: 'http',
    server: 'tessera',
    // One worker on core 0, the load generator on its own core: the clean single-process figure.
    instance: { ...SQLITE_ES256, workers: 1, cores: '0' },
    request: 'cc-jwt',
  },
  {
    id: 'workers.cc-jwt-es256.w2',
    kind: 'http',
    server: 'tessera',
    instance: { ...SQLITE_ES256, workers: 2, cores: 'spread' },
    request: 'cc-jwt',
    peer: 'workers.cc-jwt-es256.w1',
  },
  { id: 'verify.raw-node-crypto', kind: 'micro', bench: 'node-crypto' },
  { id: 'verify.raw-jose-jwtVerify', kind: 'micro', bench: 'jose', peer: 'verify.raw-node-crypto' },
  {
    id: 'verify.tessera-uncached',
    kind: 'micro',
    bench: 'uncached',
    peer: 'verify.raw-node-crypto',
    target: '≥ 0.9× raw node:crypto',
  },
  { id: 'verify.tessera-cached', kind: 'micro', bench: 'cached', target: '≥ 1,000,000/s' },
  {
    id: 'revocation.propagation',
    kind: 'revocation',
    server: 'tessera',
    instance: SQLITE_ES256,
    target: 'p99 < 1,000 ms',
  },
];

/**
 * The scenarios `--only` selects: each comma-separated pattern matches an id exactly, or else as a
 * prefix (`tessera.cc`) or a dotted segment (`introspect-jwt`). No patterns → all of them.
 */
export function selectScenarios(scenarios, only) {
  const patterns = (only ?? [])
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (patterns.length === 0) {
    return [...scenarios];
  }
  const ids = new Set(scenarios.map((s) => s.id));
  // A pattern that is a whole id selects just that scenario (not `tessera.cc-jwt-es256.postgres`).
  const matches = (id, p) =>
    ids.has(p) ? id === p : id.startsWith(p) || id.split('.').includes(p) || id.includes(`.${p}`);
  return scenarios.filter((s) => patterns.some((p) => matches(s.id, p)));
}

/**
 * The selection plus the reference handler of every selected scenario that names one, each placed
 * just before its first user, so the two run alternately in the same time window (issue 18).
 */
export function withReferences(all, selected) {
  const byId = new Map(all.map((s) => [s.id, s]));
  const used = new Set(selected.map((s) => s.reference).filter((id) => id !== undefined));
  const out = [];
  for (const scenario of selected) {
    if (used.has(scenario.id)) {
      continue; // placed before its first user below
    }
    const reference = scenario.reference === undefined ? undefined : byId.get(scenario.reference);
    if (reference !== undefined && !out.includes(reference)) {
      out.push(reference);
    }
    out.push(scenario);
  }
  return out;
}

/** The cores of a taskset list (`0`, `0-2`, `0,3`). */
export function tasksetCores(list) {
  return String(list)
    .split(',')
    .flatMap((part) => {
      const [from, to = from] = part.split('-').map(Number);
      return Array.from({ length: to - from + 1 }, (_, n) => from + n);
    });
}

/**
 * What a Tessera scenario's pinning cannot keep apart, or undefined: with `cores: 'spread'` on a
 * machine with fewer cores than workers + 1, the workers share a core with the load generator (on 2
 * cores, 2 workers pinned to 2 cores with the generator elsewhere is impossible), so the figure is
 * of the server and the generator competing, not of the server alone.
 */
export function pinningNote(instance, { spread, load }) {
  const cores = instance?.cores === 'spread' ? spread : (instance?.cores ?? '0');
  if (!tasksetCores(cores).includes(Number(load))) {
    return undefined;
  }
  return `shares core ${load} with the load generator (workers on ${cores})`;
}

/** A stable key for the Tessera process a scenario needs; scenarios with the same key share it. */
export function instanceKey(instance) {
  const i = {
    db: 'sqlite',
    algorithm: 'ES256',
    workers: 1,
    seedClients: 10,
    seedKeys: 1000,
    cores: '0',
    ...instance,
  };
  return `${i.db}/${i.algorithm}/w${i.workers}/c${i.seedClients}/k${i.seedKeys}/cpu${i.cores}`;
}

/** Parses the command line: `--quick`, `--only a,b` (repeatable), `--repeats N`, `--duration S`, `--connections N`. */
export function parseBenchArgs(argv) {
  const options = {
    quick: false,
    only: [],
    repeats: 3,
    duration: 5,
    warmup: 2,
    connections: 32,
    profile: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const next = () => {
      const value = argv[i + 1];
      if (value === undefined) {
        throw new Error(`${arg} needs a value`);
      }
      i += 1;
      return value;
    };
    if (arg === '--quick') {
      options.quick = true;
    } else if (arg === '--only') {
      options.only.push(next());
    } else if (arg.startsWith('--only=')) {
      options.only.push(arg.slice('--only='.length));
    } else if (arg === '--repeats') {
      options.repeats = Number(next());
    } else if (arg === '--duration') {
      options.duration = Number(next());
    } else if (arg === '--connections') {
      options.connections = Number(next());
    } else if (arg === '--profile') {
      options.profile = true;
    } else if (arg === '--help' || arg === '-h') {
      options.help = true;
    } else {
      throw new Error(`unknown argument ${arg}`);
    }
  }
  if (options.quick) {
    options.repeats = 1;
    options.duration = 2;
    options.warmup = 1;
  }
  for (const name of ['repeats', 'duration', 'connections']) {
    if (!Number.isInteger(options[name]) || options[name] < 1) {
      throw new Error(`--${name} must be a positive integer`);
    }
  }
  return options;
}
