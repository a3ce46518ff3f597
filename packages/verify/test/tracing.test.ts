/**
 * Issue 19 item 5: `verifier.verify()` is one OpenTelemetry span (`tessera.verify`) through
 * `@opentelemetry/api`, seen here by a real SDK (`@opentelemetry/sdk-trace-base`, in-memory
 * exporter): the outcome and `error.type` (RFC 6750 §3.1 codes), never the token. Without an SDK there
 * is no span at all, and a token seen before is answered from the cache without one (seen-token.test.ts).
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier } from '../src/index.js';
import {
  API,
  createApiServerClient,
  type RegisteredClient,
  startTessera,
  type Tessera,
} from './support/tessera.js';

const exporter = new InMemorySpanExporter();
let t: Tessera;
let app: RegisteredClient;
let verifier: Verifier;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  t = await startTessera();
  app = await t.createClient();
  const api = await createApiServerClient(t);
  verifier = createVerifier({
    issuer: t.url,
    audience: API,
    client: { clientId: api.clientId, clientSecret: api.clientSecret },
    now: () => t.clock.now(),
  });
  await verifier.ready();
});
afterAll(async () => {
  await verifier.close();
  await t.close();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const verifySpans = () => exporter.getFinishedSpans().filter((span) => span.name === 'tessera.verify');

describe('@tessera/verify traces (issue 19 item 5)', () => {
  it('RFC 9068 §4 — a verified JWT is one tessera.verify span with the token type and client, and no part of the token', async () => {
    const token = await t.token(app);
    await verifier.verify(`Bearer ${token}`, { scope: 'cookies:read' });
    let spans = verifySpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes).toEqual({ 'tessera.token.type': 'jwt', 'oauth.client_id': app.clientId });
    // Seen again (a cache hit): with an SDK registered it is still one span per verify.
    await verifier.verify(`Bearer ${token}`, { scope: 'cookies:read' });
    spans = verifySpans();
    expect(spans).toHaveLength(2);
    expect(spans[1]?.attributes).toEqual({ 'tessera.token.type': 'jwt', 'oauth.client_id': app.clientId });
    expect(spans[0]?.status.code).not.toBe(SpanStatusCode.ERROR);
    const text = JSON.stringify(exporter.getFinishedSpans().map((s) => [s.name, s.attributes, s.events]));
    for (const part of token.split('.')) {
      expect(text).not.toContain(part);
    }
  });

  it('RFC 6750 §3.1 — a refused token ends the span as an error with error.type, and without the token', async () => {
    const token = await t.token(app);
    await expect(verifier.verify(`Bearer ${token}`, { scope: 'cookies:admin' })).rejects.toMatchObject({
      code: 'insufficient_scope',
    });
    const forged = `${token.slice(0, -6)}AAAAAA`;
    await expect(verifier.verify(`Bearer ${forged}`)).rejects.toMatchObject({ code: 'invalid_token' });
    const spans = verifySpans();
    expect(spans.map((span) => span.attributes['error.type'])).toEqual([
      'insufficient_scope',
      'invalid_token',
    ]);
    expect(spans.every((span) => span.status.code === SpanStatusCode.ERROR)).toBe(true);
    const text = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events, s.status]));
    expect(text).not.toContain(forged.split('.')[2]);
    expect(text).not.toContain(token.split('.')[2]);
  });
});
