import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startServer } from '../../src/main.js';
import { TEST_MASTER_KEY } from '../support/bootstrap.js';
import { freePort } from '../support/listening.js';

const fixture = (name: string) => new URL(`../fixtures/tls/${name}`, import.meta.url).pathname;

function fetchTls(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca: readFileSync(fixture('cert.pem')) }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    }).on('error', reject);
  });
}

describe('HTTPS (DESIGN §7)', () => {
  it('terminates TLS itself with --tls-cert/--tls-key, outside --dev, and sends HSTS', async () => {
    const port = await freePort();
    const config = loadConfig({
      env: {},
      overrides: {
        issuer: `https://127.0.0.1:${port}`,
        port,
        'tls.cert': fixture('cert.pem'),
        'tls.key': fixture('key.pem'),
        masterKey: TEST_MASTER_KEY,
        'database.url': ':memory:',
        'log.level': 'silent',
      },
    });
    const server = await startServer(config, { logger: createLogger({ level: 'silent' }) });
    try {
      expect(server.url).toBe(`https://127.0.0.1:${port}`);
      const response = await fetchTls(`https://127.0.0.1:${port}/.well-known/oauth-authorization-server`);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body).issuer).toBe(`https://127.0.0.1:${port}`);
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await server.close();
    }
  });
});
