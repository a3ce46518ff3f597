import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { inEndpointSpan, inSpan } from './tracing.js';

describe('tracing without and with an SDK', () => {
  afterEach(() => {
    trace.disable();
  });

  it('without an SDK, fn runs with a non-recording span; results, rejections and sync throws pass through', async () => {
    await expect(inSpan('x', {}, async (span) => span.isRecording())).resolves.toBe(false);
    await expect(inEndpointSpan('/token', async () => 7)).resolves.toBe(7);
    await expect(
      inSpan('x', {}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const throwsAtOnce = (() => {
      throw new Error('sync');
    }) as unknown as () => Promise<never>;
    await expect(inSpan('x', {}, throwsAtOnce)).rejects.toThrow('sync');
  });

  it('an SDK registered after start is used from the next call on, and spans stop when it is removed', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    await inEndpointSpan('/token', (endpoint) =>
      inSpan('oauth.grant client_credentials', {}, async (span) => {
        expect(endpoint.isRecording()).toBe(true);
        expect(span.isRecording()).toBe(true);
      }),
    );
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([
      'oauth.grant client_credentials',
      'POST /token',
    ]);
    expect(exporter.getFinishedSpans()[1]?.attributes['http.response.status_code']).toBe(200);
    trace.disable();
    await expect(inSpan('x', {}, async (span) => span.isRecording())).resolves.toBe(false);
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });
});
