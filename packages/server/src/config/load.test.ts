import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, decodeMasterKey, loadConfig, maskSecrets } from './load.js';
import { envName, listOptions, parseDuration } from './schema.js';

const MASTER = 'aa'.repeat(32);
const prod = {
  TESSERA_ISSUER: 'https://auth.example.com',
  TESSERA_MASTER_KEY: MASTER,
  TESSERA_TRUST_PROXY: '1',
};

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-config-'));
}

describe('configuration', () => {
  it('works with no file and no env in --dev, with the documented defaults', () => {
    const config = loadConfig({ env: {}, cwd: tempDir(), overrides: { dev: true } });
    expect(config.port).toBe(4000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.issuer).toBe('http://127.0.0.1:4000');
    expect(config.keys.algorithm).toBe('ES256');
    expect(config.keys.activationDelay).toBe(600);
    expect(config.tokens.accessTokenTtl).toBe(600);
    expect(Object.isFrozen(config) && Object.isFrozen(config.keys)).toBe(true);
  });

  it('merges defaults < file < env < flags', () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'tessera.config.json'),
      JSON.stringify({ port: 5000, host: '127.0.0.2', keys: { algorithm: 'EdDSA' } }),
    );
    const config = loadConfig({
      cwd,
      env: { TESSERA_PORT: '6000' },
      overrides: { dev: true, 'keys.activationDelay': '1h' },
    });
    expect(config.host).toBe('127.0.0.2');
    expect(config.port).toBe(6000);
    expect(config.keys.algorithm).toBe('EdDSA');
    expect(config.keys.activationDelay).toBe(3600);
    expect(
      loadConfig({ cwd, env: { TESSERA_PORT: '6000' }, overrides: { dev: true, port: 7000 } }).port,
    ).toBe(7000);
  });

  it('reads TESSERA_*_FILE for secrets, and refuses both forms at once', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'master.key'), `${MASTER}\n`);
    const config = loadConfig({
      cwd,
      env: { ...prod, TESSERA_MASTER_KEY: undefined, TESSERA_MASTER_KEY_FILE: 'master.key' },
    });
    expect(config.masterKey).toBe(MASTER);
    expect(() => loadConfig({ cwd, env: { ...prod, TESSERA_MASTER_KEY_FILE: 'master.key' } })).toThrow(
      /either TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE/,
    );
    expect(() =>
      loadConfig({
        cwd,
        env: { ...prod, TESSERA_MASTER_KEY: undefined, TESSERA_MASTER_KEY_FILE: 'missing' },
      }),
    ).toThrow(ConfigError);
  });

  it('a bad value stops with one message naming the key, its env name and what is allowed', () => {
    const cwd = tempDir();
    expect(() => loadConfig({ cwd, env: { TESSERA_PORT: 'eighty' }, overrides: { dev: true } })).toThrow(
      /port \(TESSERA_PORT\).*got "eighty".*Allowed: port/,
    );
    expect(() =>
      loadConfig({ cwd, env: { TESSERA_KEYS_ALGORITHM: 'HS256' }, overrides: { dev: true } }),
    ).toThrow(/keys\.algorithm \(TESSERA_KEYS_ALGORITHM\).*Allowed: ES256 \| EdDSA \| RS256/);
    expect(() =>
      loadConfig({ cwd, env: { TESSERA_TOKENS_ACCESS_TOKEN_TTL: 'soon' }, overrides: { dev: true } }),
    ).toThrow(/tokens\.accessTokenTtl.*duration/);
  });

  it('never prints a secret value in an error', () => {
    try {
      loadConfig({
        cwd: tempDir(),
        env: { TESSERA_ADMIN_TOKEN: 'short-secret-value' },
        overrides: { dev: true },
      });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).toMatch(/adminToken \(TESSERA_ADMIN_TOKEN\)/);
      expect(String(error)).not.toContain('short-secret-value');
    }
  });

  it('refuses unknown keys in the config file', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'tessera.config.json'), JSON.stringify({ prot: 4000 }));
    expect(() => loadConfig({ cwd, env: {}, overrides: { dev: true } })).toThrow(/Unknown key "prot"/);
  });

  it('RFC 8414 §2 — the issuer is exact: no query, fragment, path or trailing slash', () => {
    const cwd = tempDir();
    for (const issuer of [
      'https://a.example/',
      'https://a.example/x',
      'https://a.example?x=1',
      'https://a.example#f',
      'ftp://a.example',
      'not a url',
    ]) {
      expect(() => loadConfig({ cwd, env: { ...prod, TESSERA_ISSUER: issuer } }), issuer).toThrow(
        /issuer \(TESSERA_ISSUER\)/,
      );
    }
    expect(loadConfig({ cwd, env: prod }).issuer).toBe('https://auth.example.com');
  });

  it('outside --dev refuses an http issuer, plain HTTP without --trust-proxy or TLS, and a missing master key', () => {
    const cwd = tempDir();
    expect(() => loadConfig({ cwd, env: {} })).toThrow(/issuer.*required outside --dev/);
    expect(() => loadConfig({ cwd, env: { ...prod, TESSERA_ISSUER: 'http://auth.example.com' } })).toThrow(
      /https: URL outside --dev/,
    );
    expect(() => loadConfig({ cwd, env: { ...prod, TESSERA_TRUST_PROXY: 'false' } })).toThrow(
      /Refusing to serve plain HTTP/,
    );
    expect(() => loadConfig({ cwd, env: { ...prod, TESSERA_MASTER_KEY: undefined } })).toThrow(
      /masterKey.*required outside --dev/,
    );
    expect(() => loadConfig({ cwd, env: { ...prod, TESSERA_MASTER_KEY: 'too-short' } })).toThrow(/32 bytes/);
    expect(() => loadConfig({ cwd, env: { ...prod, TESSERA_TLS_CERT: 'c.pem' } })).toThrow(/go together/);
  });

  it('issue 12.5 — dev mode, however switched on (flag, TESSERA_DEV, config file), refuses a non-loopback host and says so', () => {
    const cwd = tempDir();
    const refused = /Refusing dev mode on a non-loopback address: host \(TESSERA_HOST\)/;
    expect(() => loadConfig({ cwd, env: { TESSERA_DEV: 'true', TESSERA_HOST: '0.0.0.0' } })).toThrow(refused);
    expect(() => loadConfig({ cwd, env: { TESSERA_DEV: '1', TESSERA_HOST: '::' } })).toThrow(refused);
    expect(() => loadConfig({ cwd, env: {}, overrides: { dev: true, host: '192.168.1.10' } })).toThrow(
      refused,
    );
    expect(() => loadConfig({ cwd, env: { TESSERA_DEV: 'yes', TESSERA_HOST: 'auth.example.com' } })).toThrow(
      refused,
    );
    expect(() => loadConfig({ cwd, env: { TESSERA_DEV: 'true', TESSERA_HOST: '::ffff:10.0.0.1' } })).toThrow(
      refused,
    );
    const fromFile = tempDir();
    writeFileSync(join(fromFile, 'tessera.config.json'), JSON.stringify({ dev: true, host: '0.0.0.0' }));
    expect(() => loadConfig({ cwd: fromFile, env: {} })).toThrow(refused);
    // The message is a ConfigError (one line, no stack for the operator).
    expect(() => loadConfig({ cwd: fromFile, env: {} })).toThrow(ConfigError);

    for (const host of [
      '127.0.0.1',
      '127.0.0.2',
      '::1',
      '[::1]',
      'localhost',
      'LOCALHOST',
      '::ffff:127.0.0.1',
    ]) {
      expect(loadConfig({ cwd, env: { TESSERA_DEV: 'true', TESSERA_HOST: host } }).dev, host).toBe(true);
    }
    // Outside dev, any host is allowed (the production checks apply instead).
    expect(loadConfig({ cwd, env: { ...prod, TESSERA_HOST: '0.0.0.0' } }).host).toBe('0.0.0.0');
    // `client` commands (they only talk to a server) are not refused.
    expect(
      loadConfig({ cwd, env: { TESSERA_DEV: 'true', TESSERA_HOST: '0.0.0.0' }, purpose: 'client' }).dev,
    ).toBe(true);
  });

  it('issue 12 item 2 — trustProxy takes a hop count or proxy addresses; true (every hop) is refused outside --dev', () => {
    const cwd = tempDir();
    expect(loadConfig({ cwd, env: prod }).trustProxy).toBe(1);
    expect(loadConfig({ cwd, env: { ...prod, TESSERA_TRUST_PROXY: '2' } }).trustProxy).toBe(2);
    expect(
      loadConfig({ cwd, env: { ...prod, TESSERA_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,loopback' } })
        .trustProxy,
    ).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'loopback']);
    expect(() => loadConfig({ cwd, env: { ...prod, TESSERA_TRUST_PROXY: 'true' } })).toThrow(
      /trustProxy \(TESSERA_TRUST_PROXY\) true trusts every X-Forwarded-For hop/,
    );
    expect(() => loadConfig({ cwd, env: prod, overrides: { trustProxy: true } })).toThrow(
      /every X-Forwarded-For hop/,
    );
    for (const bad of ['10.0.0.0/33', 'proxy.example.com', '1.2.3', '10.0.0.1,']) {
      expect(() => loadConfig({ cwd, env: { ...prod, TESSERA_TRUST_PROXY: bad } }), bad).toThrow(
        /trustProxy/,
      );
    }
    expect(
      loadConfig({ cwd, env: { TESSERA_TRUST_PROXY: 'true' }, overrides: { dev: true } }).trustProxy,
    ).toBe(true);
  });

  it('masks every secret in the effective configuration', () => {
    const config = loadConfig({
      cwd: tempDir(),
      env: { ...prod, TESSERA_ADMIN_TOKEN: 'x'.repeat(40), TESSERA_DATABASE_URL: 'postgres://u:pw@h/db' },
    });
    const shown = JSON.stringify(maskSecrets(config));
    expect(shown).not.toContain(MASTER);
    expect(shown).not.toContain('x'.repeat(40));
    expect(shown).not.toContain('pw@');
    expect(shown).toContain('"issuer":"https://auth.example.com"');
  });

  it('names env variables after the dotted path, and every option has a description', () => {
    expect(envName('database.url')).toBe('TESSERA_DATABASE_URL');
    expect(envName('tokens.accessTokenTtl')).toBe('TESSERA_TOKENS_ACCESS_TOKEN_TTL');
    for (const option of listOptions()) {
      expect(option.meta.description.length, option.path).toBeGreaterThan(10);
    }
  });

  it('parses durations and master keys', () => {
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('30d')).toBe(2_592_000);
    expect(parseDuration('1.5h')).toBeUndefined();
    expect(decodeMasterKey(MASTER)?.length).toBe(32);
    expect(decodeMasterKey(Buffer.alloc(32, 7).toString('base64'))?.length).toBe(32);
    expect(decodeMasterKey(Buffer.alloc(32, 7).toString('base64url'))?.length).toBe(32);
    expect(decodeMasterKey('abc')).toBeUndefined();
  });
});
