/**
 * OpenTelemetry: one span per `verifier.verify()` through `@opentelemetry/api` only. Without an SDK
 * registered by the application there is no span at all (the API's would be a no-op that still costs
 * a context object and closures per call). Attributes name the outcome (token type, client,
 * `error.type` per the semantic conventions), never the token or any part of it.
 */
import { ProxyTracerProvider, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { VerifiedToken } from './verified-token.js';

const TRACER_NAME = '@tessera/verify';

/**
 * The registered SDK's tracer, or undefined while none is registered (the global provider is then
 * the API's proxy without a delegate). Asked on every call: an SDK may be registered, or the API
 * reset, at any time, and this is a couple of property reads.
 */
function activeTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider
    ? provider.getDelegateTracer(TRACER_NAME)
    : provider.getTracer(TRACER_NAME);
}

/** True while an OpenTelemetry SDK is registered, i.e. while a verification makes a span. */
export function isTracing(): boolean {
  return activeTracer() !== undefined;
}

/** Runs a verification in the span `tessera.verify`, recording what it found. */
export function inVerifySpan<T extends VerifiedToken>(fn: () => Promise<T>): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) {
    return fn();
  }
  return tracer.startActiveSpan('tessera.verify', async (span: Span) => {
    try {
      const token = await fn();
      span.setAttribute('tessera.token.type', token.tokenType);
      if (token.clientId !== '') {
        span.setAttribute('oauth.client_id', token.clientId);
      }
      return token;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      span.setAttribute('error.type', typeof code === 'string' ? code : 'unknown');
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}
