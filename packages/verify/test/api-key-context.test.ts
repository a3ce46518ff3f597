/**
 * `apiKeyContext` (Tessera docs/api-keys.md, "Anomalies"): the verifier sends each API key's use
 * context — the caller's address and the route pattern the adapter matched — with its introspection,
 * so a real Tessera judges the key's anomaly policy: after learning, a `deny` key used on a route it
 * never used is refused at the API; its own routes keep working.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fastifyAdapter from '../src/adapters/fastify.js';
import { createApiKeyContext } from '../src/api-key-context.js';
import { createVerifier, type Verifier } from '../src/index.js';
import { API, createApiServerClient, startTessera, type Tessera } from './support/tessera.js';

let t: Tessera;
let api: FastifyInstance;
let apiUrl: string;
let verifier: Verifier;
const sent: URLSearchParams[] = [];

beforeAll(async () => {
  t = await startTessera({ 'apiKeys.anomalyLearningUses': 20, 'apiKeys.anomalyLearningPeriod': '1h' });
  const rs = await createApiServerClient(t);
  verifier = createVerifier({
    issuer: t.url,
    audience: API,
    client: { clientId: rs.clientId, clientSecret: rs.clientSecret },
    revocations: false,
    apiKeyContext: true,
    fetch: async (input, init) => {
      if (String(input).endsWith('/introspect') && typeof init?.body === 'string') {
        sent.push(new URLSearchParams(init.body));
      }
      return fetch(input, init);
    },
  });
  api = Fastify();
  const protect = fastifyAdapter.protect(verifier);
  api.get('/orders/:id', { preHandler: protect }, async () => ({ ok: true }));
  api.delete('/orders/:id', { preHandler: protect }, async () => ({ deleted: true }));
  await api.listen({ port: 0, host: '127.0.0.1' });
  apiUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await api.close();
  await verifier.close();
  await t.close();
});

describe('apiKeyContext', () => {
  it('sends client_ip and the route pattern with each use of a key, and Tessera’s deny policy refuses a new endpoint', async () => {
    const owner = await t.createClient();
    const { key } = await t.admin<{ key: string }>('POST', '/api-keys', {
      name: 'orders',
      owner: owner.clientId,
      scope: 'cookies:read',
      anomaly_policy: 'deny',
    });
    for (let i = 0; i < 70; i += 1) {
      const response = await fetch(`${apiUrl}/orders/${i}`, { headers: { 'x-api-key': key } });
      expect(response.status).toBe(200);
      t.clock.advance(60);
    }
    // Every use reached Tessera (no cache), with the address and the route, never the path with its id.
    expect(sent).toHaveLength(70);
    expect(sent.at(-1)?.get('client_ip')).toBe('127.0.0.1');
    expect(sent.at(-1)?.get('endpoint')).toBe('GET /orders/:id');
    const refused = await fetch(`${apiUrl}/orders/7`, { method: 'DELETE', headers: { 'x-api-key': key } });
    expect(refused.status).toBe(401);
    expect(sent.at(-1)?.get('endpoint')).toBe('DELETE /orders/:id');
    expect((await fetch(`${apiUrl}/orders/71`, { headers: { 'x-api-key': key } })).status).toBe(200);
  });

  it('leaves out what Tessera would refuse, and sends nothing for a bare header string', () => {
    const contextOf = createApiKeyContext({ endpoint: () => 'GET orders', clientIp: () => 'not an address' });
    expect(contextOf({ method: 'GET', header: () => undefined })).toEqual({});
    const defaults = createApiKeyContext(true);
    expect(defaults('Bearer tsr_key_x')).toBeUndefined();
    // Without a route pattern no endpoint is sent (a path with ids would make every id new).
    expect(defaults({ method: 'get', url: '/orders/7', clientIp: '::1', header: () => undefined })).toEqual({
      clientIp: '::1',
    });
    expect(defaults({ method: 'get', route: '/orders/:id', header: () => undefined })).toEqual({
      endpoint: 'GET /orders/:id',
    });
  });
});
