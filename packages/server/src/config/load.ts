/**
 * Loads the one configuration object: defaults, then a JSON file, then `TESSERA_*` environment
 * variables (and `TESSERA_*_FILE` for secrets), then command-line flags. Validated once, frozen.
 * This module is the only reader of `process.env` (STYLE §9.1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { resolve } from 'node:path';
import { type Config, type ConfigOption, configSchema, listOptions } from './schema.js';

/** A configuration problem, worded for the operator: names the key and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LoadConfigOptions {
  /** Path of a JSON config file; default `tessera.config.json` in `cwd` when it exists. */
  file?: string | undefined;
  /** Environment to read; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Values from flags, by dotted path; they win over everything else. */
  overrides?: Record<string, unknown>;
  cwd?: string;
  /**
   * `serve` (default) enforces the production rules (DESIGN §7); `client` is for CLI commands that
   * only talk to a running server and need nothing but its address and credential.
   */
  purpose?: 'serve' | 'client';
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) {
      node[part] = {};
    }
    node = node[part] as Tree;
  }
  node[parts[parts.length - 1] as string] = value;
}

function getPath(tree: Tree, path: string): unknown {
  let node: unknown = tree;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) {
      return undefined;
    }
    node = (node as Tree)[part];
  }
  return node;
}

function readConfigFile(file: string, options: ConfigOption[], problems: string[]): Tree {
  const path = file;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${path} must hold a JSON object`);
  }
  const known = new Set(options.map((o) => o.path));
  const groups = new Set(options.flatMap((o) => o.path.split('.').slice(0, -1)));
  const walk = (node: Tree, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const dotted = prefix === '' ? key : `${prefix}.${key}`;
      if (groups.has(dotted) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        walk(value as Tree, dotted);
      } else if (!known.has(dotted)) {
        problems.push(
          `Unknown key "${dotted}" in config file ${path}; see docs/configuration.md for the keys`,
        );
        delete node[key];
      }
    }
  };
  walk(parsed as Tree, '');
  return parsed as Tree;
}

function describeIssue(
  option: ConfigOption | undefined,
  path: string,
  message: string,
  value: unknown,
): string {
  const where = option === undefined ? path : `${path} (${option.env})`;
  const shown = option?.meta.secret === true ? '[secret]' : JSON.stringify(value);
  const allowed = option === undefined ? '' : ` Allowed: ${option.meta.typeLabel}.`;
  return `Invalid configuration: ${where}: ${message}${value === undefined ? '' : `, got ${shown}`}.${allowed}`;
}

/** One error for every problem found, so an operator fixes them all in one go. */
function problemsError(problems: readonly string[]): ConfigError {
  if (problems.length === 1) {
    return new ConfigError(problems[0]);
  }
  return new ConfigError(
    `${problems.length} configuration problems:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
  );
}

function deletePath(tree: Tree, path: readonly PropertyKey[]): void {
  let node: unknown = tree;
  for (const [index, part] of path.entries()) {
    if (typeof node !== 'object' || node === null) {
      return;
    }
    if (index === path.length - 1) {
      delete (node as Record<PropertyKey, unknown>)[part];
      return;
    }
    node = (node as Record<PropertyKey, unknown>)[part];
  }
}

/**
 * Reads, merges and validates the configuration. Throws one {@link ConfigError} listing every
 * problem: those of the file and the environment, every invalid value, and (checked on the rest
 * with the invalid values left at their defaults) every production rule the settings break.
 */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const all = listOptions();
  const input: Tree = {};
  const problems: string[] = [];

  const file =
    options.file ?? (existsSync(resolve(cwd, 'tessera.config.json')) ? 'tessera.config.json' : undefined);
  if (file !== undefined) {
    const path = resolve(cwd, file);
    if (!existsSync(path)) {
      throw new ConfigError(`Config file ${path} does not exist`);
    }
    Object.assign(input, readConfigFile(path, all, problems));
  }

  for (const option of all) {
    const direct = env[option.env];
    const fromFile = option.meta.secret === true ? env[`${option.env}_FILE`] : undefined;
    if (direct !== undefined && fromFile !== undefined) {
      problems.push(`Set either ${option.env} or ${option.env}_FILE, not both`);
      continue;
    }
    if (direct !== undefined) {
      setPath(input, option.path, direct);
    } else if (fromFile !== undefined) {
      try {
        setPath(input, option.path, readFileSync(resolve(cwd, fromFile), 'utf8').trim());
      } catch (error) {
        problems.push(
          `Cannot read ${option.env}_FILE (${fromFile}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    }
  }

  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) {
      setPath(input, path, value);
    }
  }

  let result = configSchema.safeParse(input);
  const invalid: string[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.join('.');
      const option = all.find((o) => o.path === path);
      problems.push(describeIssue(option, path, issue.message, getPath(input, path)));
      invalid.push(path);
      deletePath(input, issue.path);
    }
    // The production rules below are checked too, on the valid values (the invalid ones at their
    // defaults), so the operator sees every problem now rather than one per attempt.
    result = configSchema.safeParse(input);
    if (!result.success) {
      throw problemsError(problems);
    }
  }
  const config = result.data;
  if (config.dev && config.issuer === undefined) {
    // A `tessera serve --workers N` worker takes the port its primary chose for `--port 0`.
    const chosen = Number(env[DEV_CHOSEN_PORT_ENV]);
    if (config.port === 0 && Number.isInteger(chosen) && chosen > 0 && chosen <= 65_535) {
      config.port = chosen;
    }
    config.issuer = devIssuer(config);
  }
  if (options.purpose !== 'client') {
    for (const problem of safetyProblems(config)) {
      // A rule about a value already reported as invalid would only repeat it.
      if (!invalid.some((path) => problem.includes(`${path} (`))) {
        problems.push(problem);
      }
    }
  }
  if (problems.length > 0) {
    throw problemsError(problems);
  }
  return deepFreeze(config);
}

/**
 * Set by `tessera serve` for its workers when it chose the port of `--dev --port 0`
 * (cli/commands/serve.ts): a worker's configuration takes it, and the issuer with it.
 */
export const DEV_CHOSEN_PORT_ENV = 'TESSERA_DEV_CHOSEN_PORT';

/**
 * The issuer `--dev` derives when none is given: the origin it listens on (`0.0.0.0` and `::` as
 * 127.0.0.1). With port 0 that is `:0` until `tessera serve` has chosen the port (cli/commands/serve.ts).
 *
 * @example
 * ```ts
 * devIssuer({ tls: {}, host: '127.0.0.1', port: 3000 }); // 'http://127.0.0.1:3000'
 * ```
 */
export function devIssuer(config: {
  tls: { cert?: string | undefined };
  host: string;
  port: number;
}): string {
  const scheme = config.tls.cert === undefined ? 'http' : 'https';
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

/** Outside --dev, the settings that would be insecure in production (DESIGN §7), each worded for the operator. */
function safetyProblems(config: Config): string[] {
  const problems: string[] = [];
  if ((config.tls.cert === undefined) !== (config.tls.key === undefined)) {
    problems.push(
      'Invalid configuration: tls.cert (TESSERA_TLS_CERT) and tls.key (TESSERA_TLS_KEY) go together: set both or neither.',
    );
  }
  if (config.masterKey !== undefined && decodeMasterKey(config.masterKey) === undefined) {
    problems.push(
      'Invalid configuration: masterKey (TESSERA_MASTER_KEY): expected 32 bytes as 64 hex characters or base64/base64url.',
    );
  }
  if (config.masterKeyPrevious !== undefined && decodeMasterKey(config.masterKeyPrevious) === undefined) {
    problems.push(
      'Invalid configuration: masterKeyPrevious (TESSERA_MASTER_KEY_PREVIOUS): expected 32 bytes as 64 hex characters or base64/base64url.',
    );
  }
  if (config.dev) {
    // --dev drops every production check, and `dev` can come from a config file or
    // TESSERA_DEV as well as the flag: keep it to this machine whatever switched it on.
    if (!isLoopbackHost(config.host)) {
      problems.push(
        `Refusing dev mode on a non-loopback address: host (TESSERA_HOST) is ${JSON.stringify(config.host)}. Dev mode skips the production checks, so it listens only on 127.0.0.1, ::1 or localhost; turn off dev (--dev, TESSERA_DEV, "dev" in the config file) to serve other hosts.`,
      );
    }
    return problems;
  }
  if (config.issuer === undefined) {
    problems.push(
      'Invalid configuration: issuer (TESSERA_ISSUER) is required outside --dev, e.g. https://auth.example.com.',
    );
  } else if (!config.issuer.startsWith('https:')) {
    problems.push(
      'Invalid configuration: issuer (TESSERA_ISSUER) must be an https: URL outside --dev (RFC 8414 §2).',
    );
  }
  if (config.trustProxy === true) {
    problems.push(
      'Invalid configuration: trustProxy (TESSERA_TRUST_PROXY) true trusts every X-Forwarded-For hop, so any client could choose its own address and slip past per-address limits; outside --dev give the number of proxies in front (e.g. 1) or their addresses (e.g. 10.0.0.0/8).',
    );
  }
  if (config.tls.cert === undefined && config.trustProxy === false) {
    problems.push(
      'Refusing to serve plain HTTP outside --dev: give tls.cert and tls.key (--tls-cert/--tls-key), or set trustProxy (--trust-proxy) behind a TLS-terminating proxy.',
    );
  }
  if (config.masterKey === undefined) {
    problems.push(
      'Invalid configuration: masterKey (TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE) is required outside --dev; create one with `openssl rand -hex 32`.',
    );
  }
  return problems;
}

/** True for an address only this machine can reach: 127.0.0.0/8, ::1 (also IPv4-mapped) or localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const name = bare.toLowerCase();
  if (name === 'localhost' || name === '::1' || name === '0:0:0:0:0:0:0:1') {
    return true;
  }
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name;
  return isIPv4(v4) && v4.startsWith('127.');
}

/** 32 bytes from 64 hex characters or base64/base64url; undefined for anything else. */
export function decodeMasterKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    return Buffer.from(trimmed, 'hex');
  }
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return bytes.length === 32 ? bytes : undefined;
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
    Object.freeze(value);
  }
  return value;
}

/** The effective configuration with every secret masked, for `tessera config check`. */
export function maskSecrets(config: Readonly<Config>): Record<string, unknown> {
  const out: Tree = {};
  for (const option of listOptions()) {
    const value = getPath(config as unknown as Tree, option.path);
    setPath(out, option.path, option.meta.secret === true && value !== undefined ? '********' : value);
  }
  return out;
}
