/**
 * The one configuration schema: every key's type, default and one-line description (STYLE §9.4).
 * `docs/configuration.md` is generated from it (`tessera config docs`); a test fails when stale.
 *
 * Environment names are `TESSERA_` + the dotted path in UPPER_SNAKE (`database.url` →
 * `TESSERA_DATABASE_URL`); keys marked secret also accept `TESSERA_…_FILE` naming a file.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** Documentation attached to each leaf of the schema. */
export interface OptionMeta {
  description: string;
  /** The type as a reader should see it (`duration`, `port`, `url`…). */
  typeLabel: string;
  /** Masked in `tessera config check` and accepted from `*_FILE`. */
  secret?: boolean;
  /** How the default is shown when it is computed rather than fixed. */
  defaultLabel?: string;
}

/** `127.0.0.1:9464`, `localhost:9464` or `[::1]:9464` → host and port; undefined if malformed. */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  return host === undefined || !(port <= 65_535) ? undefined : { host, port };
}

const registry = z.registry<OptionMeta>();

/** Registers documentation for a leaf and returns it unchanged. */
function option<T extends z.ZodType>(schema: T, meta: OptionMeta): T {
  registry.add(schema, meta);
  return schema;
}

export function optionMeta(schema: z.ZodType): OptionMeta | undefined {
  return registry.get(schema);
}

const DURATION_RE = /^(\d+)\s*(ms|s|m|h|d)?$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses `90`, `30s`, `10m`, `1h`, `30d` to whole seconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 ? value : undefined;
  }
  const match = DURATION_RE.exec(value.trim());
  if (match === null) {
    return undefined;
  }
  const amount = Number(match[1]);
  const unit = match[2] ?? 's';
  if (unit === 'ms') {
    return Math.floor(amount / 1000);
  }
  return amount * (UNIT_SECONDS[unit] ?? 1);
}

const duration = (maxSeconds = Number.POSITIVE_INFINITY) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const seconds = parseDuration(value);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a duration such as 90, 30s, 10m, 1h or 30d' });
      return z.NEVER;
    }
    if (seconds > maxSeconds) {
      ctx.addIssue({ code: 'custom', message: `expected at most ${maxSeconds} seconds` });
      return z.NEVER;
    }
    return seconds;
  });

/** Parses `250ms`, `2s`, `1m` (a bare number is seconds, as in {@link parseDuration}) to milliseconds. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 ? value * 1000 : undefined;
  }
  const match = DURATION_RE.exec(value.trim());
  if (match === null) {
    return undefined;
  }
  const amount = Number(match[1]);
  const unit = match[2] ?? 's';
  return unit === 'ms' ? amount : amount * (UNIT_SECONDS[unit] ?? 1) * 1000;
}

/** A duration kept in milliseconds, for bounds below a second; at least `minMs`. */
const durationMs = (minMs: number) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined || ms < minMs) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration of at least ${minMs} ms such as 500ms, 5s or 1m`,
      });
      return z.NEVER;
    }
    return ms;
  });

const boolean = () =>
  z.preprocess((value) => {
    if (value === 'true' || value === '1' || value === 'yes') {
      return true;
    }
    if (value === 'false' || value === '0' || value === 'no' || value === '') {
      return false;
    }
    return value;
  }, z.boolean());

const integer = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
    z.number().int().min(min).max(max),
  );

/** `loopback`, `linklocal`, `uniquelocal` (proxy-addr's names), an IP address, or an address/prefix. */
function isProxyAddress(value: string): boolean {
  if (value === 'loopback' || value === 'linklocal' || value === 'uniquelocal') {
    return true;
  }
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const family = isIP(address);
  if (family === 0) {
    return false;
  }
  if (slash < 0) {
    return true;
  }
  const prefix = value.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * What Fastify's `trustProxy` takes, minus the function: `false`, `true` (every hop; refused outside
 * --dev by load.ts), a hop count, or a list of proxy addresses. From env or a flag: `1`, or
 * `10.0.0.0/8,127.0.0.1`.
 */
const trustProxy = () =>
  z.preprocess(
    (value) => {
      if (typeof value !== 'string') {
        return value === 0 ? false : value;
      }
      const text = value.trim();
      if (text === 'true' || text === 'yes') {
        return true;
      }
      if (text === 'false' || text === 'no' || text === '' || text === '0') {
        return false;
      }
      if (/^\d+$/.test(text)) {
        return Number(text);
      }
      return text.split(',').map((part) => part.trim());
    },
    z.union([
      z.boolean(),
      z.number().int().min(1).max(64),
      z
        .array(
          z.string().refine(isProxyAddress, {
            message: 'expected proxy IP addresses or CIDRs such as 10.0.0.0/8, or a hop count',
          }),
        )
        .min(1),
    ]),
  );

const origins = () =>
  z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',').map((part) => part.trim()) : value),
    z
      .array(
        z.string().refine(
          (value) => {
            try {
              const url = new URL(value);
              return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
            } catch {
              return false;
            }
          },
          { message: 'expected origins such as https://app.example.com (no path, no trailing slash)' },
        ),
      )
      .min(1),
  );

/** An absolute http(s) URL for a link on the pages. */
const pageLink = () =>
  z
    .string()
    .refine(
      (value) => {
        try {
          const url = new URL(value);
          return url.protocol === 'https:' || url.protocol === 'http:';
        } catch {
          return false;
        }
      },
      { message: 'expected an absolute http: or https: URL' },
    )
    .optional();

const issuer = () =>
  z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an absolute URL such as https://auth.example.com' });
      return;
    }
    // RFC 8414 §2: the issuer is a URL with no query or fragment; we also refuse a path, so the
    // well-known documents live at one unambiguous place, and a trailing slash (an inexact issuer).
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'expected an http: or https: URL' });
    } else if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
      ctx.addIssue({ code: 'custom', message: 'must not have a query or fragment (RFC 8414 §2)' });
    } else if (url.pathname !== '/' || value.endsWith('/')) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an origin without a path or trailing slash, e.g. https://auth.example.com',
      });
    } else if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
    }
  });

/** Splits a comma- or space-separated list from env or a flag; an array passes through. */
function splitList(value: unknown): unknown {
  return typeof value === 'string' ? value.split(/[\s,]+/).filter((part) => part.length > 0) : value;
}

/** A list of some of `words`, without repeats. */
function wordList<const T extends readonly [string, ...string[]]>(words: T) {
  return z.preprocess(
    splitList,
    z.array(z.enum(words)).transform((items) => [...new Set(items)]),
  );
}

/** A list of non-empty strings, without repeats. */
function stringList() {
  return z.preprocess(
    splitList,
    z.array(z.string().min(1)).transform((items) => [...new Set(items)]),
  );
}

/** A list of EIP-155 chain ids, without repeats. */
function chainIdList() {
  return z.preprocess(
    splitList,
    z
      .array(integer(1, 2 ** 53 - 1))
      .min(1)
      .transform((items) => [...new Set(items)]),
  );
}

export const configSchema = z.object({
  dev: option(boolean().default(false), {
    typeLabel: 'boolean',
    description:
      'Development mode: allows an http: issuer, generates the master key and admin token in the data folder. Only on a loopback host (127.0.0.1, ::1, localhost), however it is switched on. Never in production.',
  }),
  issuer: option(issuer().optional(), {
    typeLabel: 'url',
    description:
      'The exact issuer URL (iss), an origin with no path or trailing slash. Required outside --dev.',
    defaultLabel: 'http://HOST:PORT in --dev',
  }),
  host: option(z.string().min(1).default('127.0.0.1'), {
    typeLabel: 'string',
    description: 'Address to listen on. Loopback by default; use 0.0.0.0 to accept remote connections.',
  }),
  port: option(integer(0, 65_535).default(4000), {
    typeLabel: 'port',
    description: 'TCP port to listen on (0 picks a free one).',
  }),
  trustProxy: option(trustProxy().default(false), {
    typeLabel: 'false | hop count | addresses',
    description:
      'Proxies in front whose X-Forwarded-* to trust: a hop count (1: one proxy) or a comma-separated list of proxy addresses/CIDRs; allows an https issuer while serving plain http. `true` (every hop) only in --dev.',
  }),
  workers: option(integer(1, 256).default(1), {
    typeLabel: 'integer',
    description: 'Worker processes (node:cluster) sharing the port; set it to the number of cores.',
  }),
  dataDir: option(z.string().min(1).default('./.tessera'), {
    typeLabel: 'path',
    description:
      'Folder for the embedded SQLite database and, in --dev, the generated master key and admin token.',
  }),
  masterKey: option(z.string().min(1).optional(), {
    typeLabel: 'string',
    secret: true,
    description:
      'Master key that seals signing keys at rest (AES-256-GCM): 32 bytes as 64 hex characters or base64. Required outside --dev.',
    defaultLabel: 'generated into DATA_DIR/master.key in --dev',
  }),
  masterKeyPrevious: option(z.string().min(1).optional(), {
    typeLabel: 'string',
    secret: true,
    description:
      'The master key being replaced, during a master-key rotation: signing keys it sealed still open, new ones are sealed with masterKey. Remove it once `tessera master-key rotate` has re-sealed every key.',
  }),
  adminToken: option(z.string().min(32).optional(), {
    typeLabel: 'string',
    secret: true,
    description:
      'Bearer credential for the admin API (at least 32 characters). Without it the admin API is closed.',
    defaultLabel: 'generated into DATA_DIR/admin.token in --dev',
  }),
  database: z
    .object({
      url: option(z.string().min(1).optional(), {
        typeLabel: 'url',
        secret: true,
        description: 'postgres://… for PostgreSQL; a file path (or sqlite:PATH) for SQLite.',
        defaultLabel: 'SQLite at DATA_DIR/tessera.db',
      }),
      schema: option(
        z
          .string()
          .regex(/^[a-z_][a-z0-9_]{0,62}$/)
          .optional(),
        {
          typeLabel: 'string',
          description:
            'PostgreSQL only: the schema to use (created when absent), so several deployments or test runs can share one database.',
          defaultLabel: 'the search_path default (public)',
        },
      ),
      connectTimeout: option(durationMs(100).prefault('5s'), {
        typeLabel: 'duration',
        description:
          'PostgreSQL only: longest wait for a connection (new, or from a full pool); then the request gets 503 temporarily_unavailable.',
      }),
      statementTimeout: option(durationMs(100).prefault('5s'), {
        typeLabel: 'duration',
        description:
          'PostgreSQL only: statement_timeout of every connection; a server that does not answer at all is given up 1 s later (the connection is dropped). Either way the request gets 503.',
      }),
      lockTimeout: option(durationMs(10).prefault('5s'), {
        typeLabel: 'duration',
        description:
          'SQLite only: longest wait for the write lock while another process holds it, counting the wait behind queries queued in this process; then the request gets 503. The wait never blocks the event loop for more than a few ms at a time.',
      }),
      readyTimeout: option(durationMs(100).prefault('2s'), {
        typeLabel: 'duration',
        description:
          'How long /readyz waits for the database to answer a ping, and then to take its one-row write probe, before it answers 503.',
      }),
    })
    .prefault({}),
  tls: z
    .object({
      cert: option(z.string().min(1).optional(), {
        typeLabel: 'path',
        description: 'PEM certificate chain file; with tls.key the server terminates TLS itself.',
      }),
      key: option(z.string().min(1).optional(), {
        typeLabel: 'path',
        description: 'PEM private key file for tls.cert.',
      }),
    })
    .prefault({}),
  keys: z
    .object({
      algorithm: option(z.enum(['ES256', 'EdDSA', 'RS256']).default('ES256'), {
        typeLabel: 'ES256 | EdDSA | RS256',
        description: 'Signature algorithm of new access-token signing keys.',
      }),
      activationDelay: option(duration().prefault('10m'), {
        typeLabel: 'duration',
        description:
          'How long a rotated-in key is published in the JWKS before it signs, so verifiers fetch it first.',
      }),
    })
    .prefault({}),
  tokens: z
    .object({
      accessTokenTtl: option(duration().prefault('10m'), {
        typeLabel: 'duration',
        description: 'Default access-token lifetime; a client may set its own.',
      }),
      maxAccessTokenTtl: option(duration().prefault('24h'), {
        typeLabel: 'duration',
        description:
          'Upper bound of any access-token lifetime; retired signing keys stay published this long.',
      }),
    })
    .prefault({}),
  dpop: z
    .object({
      signingAlgorithms: option(
        z
          .preprocess(
            (value) => (typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value),
            z.array(z.enum(['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'])).min(1),
          )
          .default(['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256']),
        {
          typeLabel: 'list of ES256 | EdDSA | Ed25519 | RS256 | PS256',
          description:
            'DPoP proof algorithms accepted (RFC 9449 §5.1 dpop_signing_alg_values_supported); comma-separated in env.',
        },
      ),
      proofWindow: option(duration(600).prefault('60s'), {
        typeLabel: 'duration',
        description:
          "How far a DPoP proof's iat may lie from the server clock, either way (RFC 9449 §11.1); proof jtis are remembered this long.",
      }),
      requireNonce: option(boolean().default(false), {
        typeLabel: 'boolean',
        description:
          'When true, every DPoP proof at the token and userinfo endpoints must carry a server nonce (RFC 9449 §8, use_dpop_nonce).',
      }),
      nonceLifetime: option(duration(3600).pipe(z.number().int().min(1)).prefault('5m'), {
        typeLabel: 'duration',
        description:
          'How long a server DPoP nonce stays current; the previous one is still accepted, so a nonce lives up to twice this.',
      }),
    })
    .prefault({}),
  revocations: z
    .object({
      pollInterval: option(duration().pipe(z.number().int().min(1).max(3600)).prefault('5s'), {
        typeLabel: 'duration',
        description:
          'How often each node reads revocations made elsewhere from the store, a safety net for a lost bus connection (1s to 1h).',
      }),
      requireBusForReadiness: option(boolean().default(false), {
        typeLabel: 'boolean',
        description:
          'When true, /readyz answers 503 while the cross-node bus connection is down (fail closed); by default it only reports it, since the poll still brings revocations.',
      }),
    })
    .prefault({}),
  http: z
    .object({
      bodyLimit: option(integer(1024, 10 * 1024 * 1024).default(64 * 1024), {
        typeLabel: 'bytes',
        description: 'Largest accepted request body; larger ones get 413.',
      }),
    })
    .prefault({}),
  clients: z
    .object({
      secretRotationGrace: option(duration().prefault('1h'), {
        typeLabel: 'duration',
        description:
          'How long the previous client secret keeps working after `rotate-secret` when no grace is given; 0 revokes it at once.',
      }),
      allowPrivateJwksUri: option(boolean().default(false), {
        typeLabel: 'boolean',
        description:
          "Let a client's `jwks_uri` name or resolve to a loopback, private, link-local, unique-local, CGNAT, multicast or other non-public address (off: such URIs are refused at registration and at fetch time, after DNS resolution). `--dev` does not turn it on.",
      }),
      jwksFetchTimeout: option(duration().prefault('5s'), {
        typeLabel: 'duration',
        description:
          "Longest a fetch of a client's `jwks_uri` may take, body included; redirects are never followed.",
      }),
      jwksMaxBytes: option(integer(1024, 1_048_576).default(65_536), {
        typeLabel: 'integer',
        description: "Largest accepted response from a client's `jwks_uri`, in bytes.",
      }),
      didMethods: option(wordList(['key', 'jwk', 'web'] as const).default([]), {
        typeLabel: 'list',
        description:
          'DID methods whose DIDs are accepted as `client_id` without registration (`key`, `jwk`, `web`, comma-separated; empty: none). Such a client authenticates with `private_key_jwt` using a key of its DID document and gets what the `clients.unregistered*` policy allows. `did:web` documents are fetched like a `jwks_uri`.',
      }),
      metadataDocuments: option(boolean().default(false), {
        typeLabel: 'boolean',
        description:
          "Accept an https URL as `client_id` without registration: its Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document) is fetched like a `jwks_uri` and gives the client's name, redirect URIs and keys; the consent page shows the name with the URL's origin. Such a client gets what the `clients.unregistered*` policy allows.",
      }),
      registration: option(z.enum(['off', 'token', 'open']).default('off'), {
        typeLabel: 'off | token | open',
        description:
          'Dynamic Client Registration at `/register` (RFC 7591, managed per RFC 7592): `off`; `token`, with an initial access token (an admin token with the `clients:register` scope); or `open` to anyone. Registered clients are held to the rules of admin-created ones and get at most what the `clients.unregistered*` policy allows.',
      }),
      resolutionTtl: option(duration(86_400).prefault('10m'), {
        typeLabel: 'duration',
        description:
          'How long a client resolved from its id (a DID, a metadata document without caching headers) is trusted before it is resolved again; at most 1d.',
      }),
      unregisteredGrantTypes: option(
        wordList(['client_credentials', 'authorization_code', 'refresh_token'] as const).default([
          'client_credentials',
          'authorization_code',
          'refresh_token',
        ]),
        {
          typeLabel: 'list',
          description:
            'Grant types an unregistered client (a DID, a Client ID Metadata Document) may use, comma-separated; a client registered under that id gets its own.',
        },
      ),
      unregisteredScope: option(z.string().max(4096).default(''), {
        typeLabel: 'scope',
        description:
          'Scopes an unregistered client may be granted (space-separated); a request naming none gets all of them.',
      }),
      unregisteredAudiences: option(stringList().default([]), {
        typeLabel: 'list',
        description:
          'Resources (RFC 8707) an unregistered client may name, comma-separated; the first is its default audience (empty: the issuer only).',
      }),
      unregisteredRateLimit: option(integer(0, 10_000_000).default(60), {
        typeLabel: 'integer',
        description:
          'Token-endpoint requests per unregistered client (each DID or metadata document URL) per rateLimit.window, besides rateLimit.tokenPerClient (0: no limit).',
      }),
      fetchCaFile: option(z.string().optional(), {
        typeLabel: 'path',
        description:
          "A PEM file of extra certificate authorities trusted when fetching a client's `jwks_uri`, `did:web` document or metadata document (for a private PKI); the system ones are trusted as well.",
      }),
    })
    .prefault({}),
  login: z
    .object({
      passwordMinLength: option(integer(8, 128).default(10), {
        typeLabel: 'integer',
        description:
          'Shortest accepted user password (NIST SP 800-63B §5.1.1.2); common passwords are refused whatever their length.',
      }),
      sessionTtl: option(duration().prefault('12h'), {
        typeLabel: 'duration',
        description: 'A login session ends after this long without use (sliding).',
      }),
      sessionMaxAge: option(duration().prefault('7d'), {
        typeLabel: 'duration',
        description: 'A login session ends this long after the login, however often it is used (absolute).',
      }),
      interactionTtl: option(duration().prefault('15m'), {
        typeLabel: 'duration',
        description:
          'How long a person has to finish the login and consent pages of one authorization request.',
      }),
      codeTtl: option(duration().prefault('60s'), {
        typeLabel: 'duration',
        description: 'Authorization code lifetime (RFC 6749 §4.1.2: short, single use).',
      }),
      requirePkce: option(boolean().default(true), {
        typeLabel: 'boolean',
        description:
          'Require PKCE (S256) from every client (RFC 9700 §2.1.1); when false, still required from public clients.',
      }),
      freeAttempts: option(integer(1, 100).default(5), {
        typeLabel: 'integer',
        description:
          'Login attempts per username (and 4x that per IP) before each further attempt waits, doubling each time; counted in the database, shared by all workers and nodes.',
      }),
      maxBackoff: option(duration().prefault('15m'), {
        typeLabel: 'duration',
        description: 'Longest wait imposed between failed logins.',
      }),
      verifyConcurrency: option(integer(1, 256).optional(), {
        typeLabel: 'integer',
        description:
          'Password (argon2id) verifications run at once per process; more wait in login.verifyQueue. More than the cores the process may use verify no faster and take CPU from the event loop, which must keep a share to answer (and refuse) promptly.',
        defaultLabel: 'the cores this process may use (os.availableParallelism()), at most 4',
      }),
      verifyQueue: option(integer(0, 100_000).default(64), {
        typeLabel: 'integer',
        description:
          'Password verifications that may wait for a turn per process; past it a login gets 503 with Retry-After.',
      }),
      verifyMaxWait: option(durationMs(10).prefault('5s'), {
        typeLabel: 'duration',
        description:
          'Longest wait of a password verification for its turn; then the login gets 503 with Retry-After, unverified (how fast the queue drains depends on the CPU argon2 gets).',
      }),
      requireMfa: option(boolean().default(false), {
        typeLabel: 'boolean',
        description:
          'Every sign-in needs a second factor (acr urn:tessera:acr:mfa or stronger); a person without one is sent to set one up (docs/mfa.md).',
      }),
      externalUrl: option(pageLink(), {
        typeLabel: 'URL',
        description:
          'Send the login step to this external page with a signed, single-use login_challenge; it answers through POST /admin/login/accept (docs/customize.md).',
      }),
      mfaFreshAuth: option(duration().prefault('5m'), {
        typeLabel: 'duration',
        description:
          'Removing a second factor, replacing recovery codes, unlinking a wallet or DID, or deleting one’s account needs a sign-in at most this old (auth_time).',
      }),
    })
    .prefault({}),
  webauthn: z
    .object({
      rpId: option(z.string().min(1).max(253).optional(), {
        typeLabel: 'domain',
        defaultLabel: "the issuer's host name",
        description:
          "WebAuthn Relying Party ID for passkeys (WebAuthn L3 §5.1.2): the issuer's host or a registrable suffix of it; passkeys are bound to it, so changing it orphans every registered passkey.",
      }),
      origins: option(origins().optional(), {
        typeLabel: 'list of origins',
        defaultLabel: "the issuer's origin",
        description:
          "Origins whose passkey ceremonies are accepted (WebAuthn L3 §7.1 step 9), comma-separated; set it when another front-end origin under the RP ID runs them. The issuer's origin is always included.",
      }),
      challengeTtl: option(duration(600).prefault('5m'), {
        typeLabel: 'duration',
        description: 'How long a passkey challenge stays valid (single use, at most 10m).',
      }),
    })
    .prefault({}),
  account: z
    .object({
      didMethods: option(wordList(['key', 'jwk', 'web'] as const).default([]), {
        typeLabel: 'list',
        description:
          'DID methods a person may link to their account on `/account` by signing a single-use challenge with a key of the DID (`key`, `jwk`, `web`, comma-separated; empty: none). `did:web` documents are fetched like a `jwks_uri` (docs/decentralized.md §6).',
      }),
    })
    .prefault({}),
  siwe: z
    .object({
      enabled: option(boolean().default(false), {
        typeLabel: 'boolean',
        description:
          'Sign-In with Ethereum (EIP-4361) on the login page: a wallet signs a message and the person is signed in as `did:pkh:eip155:<chain>:<address>`, created on first sign-in (docs/decentralized.md).',
      }),
      chainIds: option(chainIdList().prefault([1]), {
        typeLabel: 'list of integers',
        description: 'EIP-155 chain ids whose Sign-In with Ethereum messages are accepted, comma-separated.',
      }),
      messageMaxAge: option(duration(3600).prefault('5m'), {
        typeLabel: 'duration',
        description:
          'How long a Sign-In with Ethereum nonce and message stay valid after issue (single use, at most 1h).',
      }),
    })
    .prefault({}),
  console: z
    .object({
      enabled: option(boolean().default(true), {
        typeLabel: 'boolean',
        description:
          'Serve the admin console at `/console`: operators (people given an admin role with `tessera users grant-admin`) sign in through this server and act through the admin API (docs/console.md). Off: `/console` answers 404.',
      }),
      requireMfa: option(boolean().default(true), {
        typeLabel: 'boolean',
        description:
          "An operator's access token to the admin API must show a second factor (`acr` of `urn:tessera:acr:mfa` or stronger); without one the admin API answers 403 and the console asks the person to set one up on /account.",
      }),
    })
    .prefault({}),
  risk: z
    .object({
      enabled: option(boolean().default(false), {
        typeLabel: 'boolean',
        description:
          "Score every sign-in with @tessera/risk before its session is granted and enforce the decision: `allow`, `step_up` (the person's passkey or TOTP is asked for) or `deny`; each decision and its top factors go to the audit log (`risk.decision`, `GET /admin/risk/decisions`). Also gives a sign-in session's access tokens their issuance context (`tctx`) for continuous authentication at @tessera/verify, and accepts its reports at `POST /risk/reports` (docs/risk.md).",
      }),
      stepUpScore: option(integer(0, 100).default(4), {
        typeLabel: 'integer',
        description:
          "Risk score (a natural-log likelihood ratio whose network, place and client part counts at half weight) above which a sign-in needs a step-up: a passkey or TOTP code on top of what the person signed in with. A person with neither is refused and told why. 4 steps up about 1 % of returning people's sign-ins in the published evaluation (docs/risk.md).",
      }),
      denyScore: option(integer(0, 100).default(10), {
        typeLabel: 'integer',
        description:
          'Risk score above which a sign-in is refused outright, whatever factors it used (10: no legitimate sign-in of the published evaluation scored that high). At most `risk.stepUpScore` makes every step-up a refusal.',
      }),
      secondFactor: option(z.enum(['always', 'on_risk']).default('always'), {
        typeLabel: 'always | on_risk',
        description:
          "When a person who has a second factor is asked for it after their password: `always` (every sign-in), or `on_risk` (only when the sign-in's risk calls for a step-up, and the MFA policy or the client's `acr_values` do not ask for it anyway). Needs `risk.enabled`.",
      }),
      deviceCookie: option(boolean().default(true), {
        typeLabel: 'boolean',
        description:
          'With `risk.enabled`: give each browser a long-lived device cookie on the login pages (a random id authenticated with a key derived from the master key; `__Host-tessera_device` on an https issuer, HttpOnly, SameSite=Lax, 400 days, renewed at each use), and score each sign-in with it: a device the person signed in on before lowers the score, an unknown one raises it a little (the `device` factor). The engine, the audit log and the store see only a per-person keyed digest of the id. `false`: no cookie, no `device` factor (docs/risk.md).',
      }),
      syncInterval: option(integer(1, 3600).default(5), {
        typeLabel: 'seconds',
        description:
          "How often each node adds what its risk engine learned about everyone (novelty rates, UA counts, per-network statistics) and the failed sign-ins it counted (velocity per address, network and account) to the store and reloads what the other nodes added, so all nodes score alike; velocity is at most this late across nodes. A person's own history is read and written at each sign-in, not on this timer. A flush that fails is kept for the next one (docs/risk.md).",
      }),
      geoDatabase: option(z.string().min(1).optional(), {
        typeLabel: 'path',
        description:
          'A MaxMind-format (.mmdb) city or country database (GeoLite2-City, or an `@ip-location-db/*-city-mmdb` / `*-country-mmdb` package) giving sign-ins their country, region and city for risk scoring, and API-key verifications their country for key anomalies. Missing or unreadable: logged, and both run without it (docs/risk.md).',
      }),
      asnDatabase: option(z.string().min(1).optional(), {
        typeLabel: 'path',
        description:
          'A MaxMind-format (.mmdb) ASN database (GeoLite2-ASN or one with `autonomous_system_number`) giving sign-ins their network (ASN) for risk scoring, and API-key verifications theirs for key anomalies. Missing or unreadable: logged, and both run without it.',
      }),
    })
    .prefault({}),
  pages: z
    .object({
      templateDir: option(z.string().min(1).optional(), {
        typeLabel: 'path',
        description:
          'A folder that makes the login, consent, device and error pages your own: `theme.css`, `logo.svg` or `logo.png`, and `texts.<lang>.json` (texts, translations and scope descriptions); read at startup (docs/customize.md).',
      }),
      brandName: option(z.string().min(1).max(100).optional(), {
        typeLabel: 'string',
        description: 'The name shown above every page (beside the logo, and as its text alternative).',
      }),
      defaultLocale: option(
        z
          .string()
          .regex(/^[a-z]{2,3}$/)
          .default('en'),
        {
          typeLabel: 'language',
          description:
            "The language of the pages when neither the `ui_locales` of the request (OIDC Core §3.1.2.1) nor the browser's Accept-Language names one they have (shipped: en, de).",
        },
      ),
      privacyUrl: option(pageLink(), {
        typeLabel: 'URL',
        description: 'A "Privacy" link below every page.',
      }),
      termsUrl: option(pageLink(), {
        typeLabel: 'URL',
        description: 'A "Terms" link below every page.',
      }),
      helpUrl: option(pageLink(), {
        typeLabel: 'URL',
        description: 'A "Help" link below every page.',
      }),
    })
    .prefault({}),
  device: z
    .object({
      codeTtl: option(duration().prefault('10m'), {
        typeLabel: 'duration',
        description:
          'Lifetime of a device authorization request: its device_code and user_code (RFC 8628 §3.2 expires_in).',
      }),
      interval: option(integer(1, 60).default(5), {
        typeLabel: 'integer',
        description:
          'Seconds a device waits between polls (RFC 8628 §3.2 interval); each too-early poll adds 5 (slow_down, §3.5).',
      }),
      freeAttempts: option(integer(1, 100).default(5), {
        typeLabel: 'integer',
        description:
          'Wrong user codes a browser address may enter on /device before each further try waits, doubling (RFC 8628 §5.1).',
      }),
      maxFailedConfirmations: option(integer(1, 100).default(5), {
        typeLabel: 'integer',
        description:
          'Wrong entries matching a live user code in its first half before that code is locked and its device denied (RFC 8628 §5.1).',
      }),
    })
    .prefault({}),
  refreshTokens: z
    .object({
      idleTtl: option(duration().prefault('14d'), {
        typeLabel: 'duration',
        description:
          'A refresh token expires after this long unused; each rotation starts it again (sliding).',
      }),
      maxTtl: option(duration().prefault('90d'), {
        typeLabel: 'duration',
        description: 'No refresh token of a grant outlives this, counted from the authorization (absolute).',
      }),
      reuseGrace: option(duration(300).prefault('10s'), {
        typeLabel: 'duration',
        description:
          'After a rotation, the old refresh token presented again by its client within this window, while its successor is unused, returns that same successor instead of revoking the family (RFC 9700 §4.14.2): a lost response does not log the person out. 0 disables; at most 5m.',
      }),
    })
    .prefault({}),
  oidc: z
    .object({
      idTokenAlgorithm: option(z.enum(['RS256', 'ES256', 'EdDSA']).default('RS256'), {
        typeLabel: 'RS256 | ES256 | EdDSA',
        description:
          'ID token signature algorithm (OpenID Connect Core §3.1.3.7: RS256 is the one every RP supports).',
      }),
      idTokenTtl: option(duration().prefault('10m'), {
        typeLabel: 'duration',
        description: 'ID token lifetime.',
      }),
      endSessionHintMaxAge: option(duration().prefault('1h'), {
        typeLabel: 'duration',
        description:
          "How old (by its `iat`) an `id_token_hint` at `/end-session` may be and still end the session it names when the browser's own session is not that user's; an older hint gets a confirmation page, and confirming ends only the browser's own session (RP-Initiated Logout 1.0 §2, §6).",
      }),
    })
    .prefault({}),
  rateLimit: z
    .object({
      tokenPerIp: option(integer(0, 10_000_000).default(1200), {
        typeLabel: 'integer',
        description:
          'Token-endpoint requests allowed per client IP address per rateLimit.window, counted before authentication (0: no limit).',
      }),
      tokenPerClient: option(integer(0, 10_000_000).default(600), {
        typeLabel: 'integer',
        description:
          'Token-endpoint requests allowed per authenticated client per rateLimit.window (0: no limit).',
      }),
      introspect: option(integer(0, 10_000_000).default(6000), {
        typeLabel: 'integer',
        description:
          '/introspect requests per caller (the authenticated client, else the IP address) per rateLimit.window (0: no limit).',
      }),
      revoke: option(integer(0, 10_000_000).default(600), {
        typeLabel: 'integer',
        description:
          '/revoke requests per caller (the authenticated client, else the IP address) per rateLimit.window (0: no limit).',
      }),
      apiKeyVerify: option(integer(0, 10_000_000).default(6000), {
        typeLabel: 'integer',
        description:
          "/api-keys/verify requests per caller (the authenticated client, else the IP address) per rateLimit.window; a key's own limit is separate (0: no limit).",
      }),
      userinfo: option(integer(0, 10_000_000).default(600), {
        typeLabel: 'integer',
        description:
          "/userinfo requests per caller (the access token's client, else the IP address) per rateLimit.window (0: no limit).",
      }),
      authorize: option(integer(0, 10_000_000).default(300), {
        typeLabel: 'integer',
        description: '/authorize requests per IP address per rateLimit.window (0: no limit).',
      }),
      endSession: option(integer(0, 10_000_000).default(120), {
        typeLabel: 'integer',
        description: '/end-session requests per IP address per rateLimit.window (0: no limit).',
      }),
      admin: option(integer(0, 10_000_000).default(1200), {
        typeLabel: 'integer',
        description:
          'Admin API requests per IP address per rateLimit.window, counted before the credential is checked (0: no limit).',
      }),
      window: option(duration().prefault('1m'), {
        typeLabel: 'duration',
        description:
          'Window of the rate limits above; excess requests get 429 rate_limited with Retry-After and RateLimit fields.',
      }),
      clientAuthFreeFailures: option(integer(1, 10_000).default(20), {
        typeLabel: 'integer',
        description:
          'Failed secret authentications per client id (per hour) before each further attempt waits, doubling; counted in the database, shared by all nodes.',
      }),
      clientAuthMaxBackoff: option(duration().prefault('1m'), {
        typeLabel: 'duration',
        description:
          'Longest wait imposed on a client id after repeated invalid_client; every attempt in the wait gets 429 with Retry-After.',
      }),
    })
    .prefault({}),
  apiKeys: z
    .object({
      rotationGrace: option(duration().prefault('24h'), {
        typeLabel: 'duration',
        description:
          'How long the old API key keeps working after `api-keys rotate` when no grace is given; 0 revokes it at once.',
      }),
      changeRetention: option(duration().prefault('5m'), {
        typeLabel: 'duration',
        description:
          'How long an `api_key_changed` event (a key disabled, enabled, updated or rotated) stays on the revocation stream, so a verifier that reconnects within it still forgets what it cached for the key; keep it at least the longest `cache.introspectionTtl` of your verifiers (30 s by default).',
      }),
      usageFlushInterval: option(duration().prefault('5s'), {
        typeLabel: 'duration',
        description:
          'How often API-key last-used times and usage counts are written, in one batch (also on graceful shutdown).',
      }),
      anomalyPolicy: option(z.enum(['off', 'flag', 'alert', 'deny', 'disable']).default('flag'), {
        typeLabel: 'off | flag | alert | deny | disable',
        description:
          "What a new API key's anomalies (a new ASN, country or endpoint, or a rate beyond its own) lead to, unless its creator chooses (`anomaly_policy`): `off`, `flag` (audit `api_key.anomaly`), `alert` (also listed for the owner in the admin API), `deny` (that verification answers `valid: false`) or `disable` (the key is disabled at once). ASN and country need `risk.asnDatabase` / `risk.geoDatabase` (docs/api-keys.md).",
      }),
      anomalyLearningUses: option(integer(0, 1_000_000).default(100), {
        typeLabel: 'integer',
        description:
          "Verifications an API key's usage profile only learns from before its anomalies are judged (together with `apiKeys.anomalyLearningPeriod`).",
      }),
      anomalyLearningPeriod: option(duration().prefault('24h'), {
        typeLabel: 'duration',
        description:
          "How long after its first verification an API key's usage profile only learns before its anomalies are judged (together with `apiKeys.anomalyLearningUses`).",
      }),
    })
    .prefault({}),
  audit: z
    .object({
      retention: option(duration().prefault('90d'), {
        typeLabel: 'duration',
        description:
          'How long audit events are kept; the maintenance job deletes older ones. 0 keeps them forever.',
      }),
      maxBuffered: option(integer(1, 10_000_000).default(10_000), {
        typeLabel: 'integer',
        description:
          'Audit events held in memory while the database refuses writes (retried with backoff); beyond it new events are dropped and counted.',
      }),
    })
    .prefault({}),
  revocationStream: z
    .object({
      maxStreamsPerClient: option(integer(0, 100_000).default(10), {
        typeLabel: 'integer',
        description:
          'Revocation streams (GET /revocations/stream) one client may hold open at once; more get 429 rate_limited with Retry-After (0: no limit).',
      }),
      maxStreams: option(integer(0, 1_000_000).default(1000), {
        typeLabel: 'integer',
        description:
          'Revocation streams open at once on this server process, all clients together; more get 429 rate_limited (0: no limit).',
      }),
    })
    .prefault({}),
  ssf: z
    .object({
      retention: option(
        duration()
          .pipe(
            z
              .number()
              .int()
              .min(60)
              .max(90 * 86_400),
          )
          .prefault('7d'),
        {
          typeLabel: 'duration',
          description:
            'How long a Security Event Token waits on a Shared Signals Framework stream for its receiver to acknowledge it (RFC 8936 poll); older ones are dropped (1 minute to 90 days).',
        },
      ),
      longPollWait: option(duration().pipe(z.number().int().min(0).max(60)).prefault('15s'), {
        typeLabel: 'duration',
        description:
          'How long an RFC 8936 poll without returnImmediately waits for a first event when none is queued (0 to 60 s; 0: answer at once).',
      }),
    })
    .prefault({}),
  maintenance: z
    .object({
      interval: option(duration().prefault('10m'), {
        typeLabel: 'duration',
        description:
          'How often the maintenance job deletes expired tokens, codes, sessions, revocations, replay marks, rate-limit counters and old audit events (0: never).',
      }),
      batchSize: option(integer(1, 100_000).default(1000), {
        typeLabel: 'integer',
        description:
          'Rows deleted per statement by the maintenance job (bounded batches, never one long lock).',
      }),
    })
    .prefault({}),
  metrics: z
    .object({
      listen: option(
        z
          .string()
          .refine((value) => parseHostPort(value) !== undefined, {
            message: 'expected host:port, e.g. 127.0.0.1:9464 or [::1]:9464',
          })
          .optional(),
        {
          typeLabel: 'host:port',
          description:
            'Serve GET /metrics on this separate address instead of the public port (with --workers N the primary serves it, for the whole process group).',
        },
      ),
      token: option(z.string().min(16).optional(), {
        typeLabel: 'string',
        secret: true,
        description:
          'Bearer credential GET /metrics requires (at least 16 characters, compared in constant time). Without it /metrics is open to whoever reaches its address.',
      }),
    })
    .prefault({}),
  log: z
    .object({
      level: option(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), {
        typeLabel: 'fatal | error | warn | info | debug | trace | silent',
        description: 'Minimum level of the JSON log on stdout.',
      }),
    })
    .prefault({}),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** A leaf of the schema with its dotted path and environment name. */
export interface ConfigOption {
  path: string;
  env: string;
  schema: z.ZodType;
  meta: OptionMeta;
}

/** `database.url` → `TESSERA_DATABASE_URL`. */
export function envName(path: string): string {
  return `TESSERA_${path
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_')}`;
}

function unwrapObject(schema: z.ZodType): z.ZodObject | undefined {
  if (schema instanceof z.ZodObject) {
    return schema;
  }
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) {
    return unwrapObject(schema.def.innerType as z.ZodType);
  }
  return undefined;
}

/** Every leaf option of the schema, in declaration order. */
export function listOptions(schema: z.ZodObject = configSchema, prefix = ''): ConfigOption[] {
  const out: ConfigOption[] = [];
  for (const [key, child] of Object.entries(schema.shape)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const object = unwrapObject(child as z.ZodType);
    if (object !== undefined) {
      out.push(...listOptions(object, path));
      continue;
    }
    const meta = optionMeta(child as z.ZodType);
    if (meta === undefined) {
      throw new Error(`config option ${path} has no description`);
    }
    out.push({ path, env: envName(path), schema: child as z.ZodType, meta });
  }
  return out;
}

/** The fixed default of a leaf, if any. */
export function defaultOf(schema: z.ZodType): unknown {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) {
    return schema.def.defaultValue;
  }
  return undefined;
}
