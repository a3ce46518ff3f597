/**
 * Issue 19 item 5: OpenTelemetry traces through `@opentelemetry/api`, seen by a real SDK
 * (`@opentelemetry/sdk-trace-base` with an in-memory exporter, and the AsyncLocalStorage context
 * manager an operator's `@opentelemetry/sdk-node` registers). A token request yields the span tree
 * endpoint → grant → SQL queries, with semantic-convention attributes and no secret in any of them.
 *
 * Without an SDK the API hands out non-recording no-op spans: nothing is kept or exported, and the
 * cost is a few object allocations per request and per query (not timed here; speed goes to benches).
 */
import { createHash } from 'node:crypto';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { basicAuthorization, createTestClient, FORM, form, type TestClient } from '../support/clients.js';

const exporter = new InMemorySpanExporter();
let t: TestServer;
let client: TestClient;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  t = await bootstrap();
  client = await createTestClient(t, { grantTypes: ['client_credentials'], permissions: ['introspect'] });
});
afterAll(async () => {
  await t.close();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** Every span of the trace rooted at `root`, root first. */
function treeOf(root: ReadableSpan, spans: ReadableSpan[]): ReadableSpan[] {
  const children = spans.filter((span) => parentOf(span) === idOf(root));
  return [root, ...children.flatMap((child) => treeOf(child, spans))];
}

/** Every string a span carries: its name, its attributes and its events. */
function textOf(span: ReadableSpan): string {
  return JSON.stringify([span.name, span.attributes, span.events, span.status]);
}

function expectNoSecret(spans: ReadableSpan[], secrets: string[]): void {
  for (const span of spans) {
    for (const secret of secrets) {
      expect(textOf(span), `${span.name} carries a secret`).not.toContain(secret);
    }
  }
}

const sha256 = (value: string, encoding: 'hex' | 'base64url') =>
  createHash('sha256').update(value).digest(encoding);

describe('OpenTelemetry traces (issue 19 item 5)', () => {
  it('RFC 6749 §4.4 — a client-credentials token request is one span tree: POST /token → oauth.grant client_credentials, SQL queries inside it, no secret anywhere', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ grant_type: 'client_credentials' }),
    });
    expect(response.statusCode).toBe(200);
    const accessToken: string = response.json().access_token;

    const spans = exporter.getFinishedSpans();
    const roots = spans.filter((span) => span.name === 'POST /token');
    expect(roots).toHaveLength(1);
    const root = roots[0] as ReadableSpan;
    expect(parentOf(root)).toBeUndefined();
    expect(root.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/token',
      'http.response.status_code': 200,
      'oauth.grant_type': 'client_credentials',
      'oauth.client_id': client.id,
    });

    const tree = treeOf(root, spans);
    const grant = tree.find((span) => span.name === 'oauth.grant client_credentials');
    expect(grant && parentOf(grant)).toBe(idOf(root));
    expect(grant?.attributes['oauth.grant_type']).toBe('client_credentials');
    // The client is read from the store on its first use: its query is a child of the request.
    const queries = tree.filter((span) => span.attributes['db.system'] === 'sqlite');
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      expect(query.attributes).toMatchObject({ 'db.system.name': 'sqlite' });
      expect(query.name).toBe(query.attributes['db.operation.name']);
      expect(String(query.attributes['db.query.text'])).toMatch(/^(select|insert|update|delete)/i);
    }
    expect(tree.every((span) => span.status.code !== SpanStatusCode.ERROR)).toBe(true);

    expectNoSecret(spans, [
      client.secret,
      sha256(client.secret, 'hex'),
      sha256(client.secret, 'base64url'),
      accessToken,
      accessToken.split('.')[2] ?? accessToken,
      client.basic.slice('Basic '.length),
    ]);
  });

  it('RFC 6749 §5.2 — a refused token request ends its span as an error with error.type and the status, and without the wrong secret', async () => {
    const wrong = `${client.secret.slice(0, -4)}AAAA`;
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: basicAuthorization(client.id, wrong) },
      payload: form({ grant_type: 'client_credentials' }),
    });
    expect(response.statusCode).toBe(401);
    const root = exporter.getFinishedSpans().find((span) => span.name === 'POST /token');
    expect(root?.status.code).toBe(SpanStatusCode.ERROR);
    expect(root?.attributes).toMatchObject({
      'error.type': 'invalid_client',
      'http.response.status_code': 401,
      'oauth.grant_type': 'client_credentials',
    });
    expectNoSecret(exporter.getFinishedSpans(), [wrong, sha256(wrong, 'hex'), client.secret]);
  });

  it('RFC 7662 §2 — introspection is a span with the outcome and never the token', async () => {
    const issued = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ grant_type: 'client_credentials' }),
    });
    const token: string = issued.json().access_token;
    exporter.reset();
    const response = await t.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ token }),
    });
    expect(response.json()).toMatchObject({ active: true });
    const spans = exporter.getFinishedSpans();
    const root = spans.find((span) => span.name === 'POST /introspect');
    expect(root?.attributes).toMatchObject({
      'http.route': '/introspect',
      'http.response.status_code': 200,
      'oauth.token.active': true,
      'oauth.client_id': client.id,
    });
    expectNoSecret(spans, [token, token.split('.')[2] ?? token, client.secret]);
  });
});
