/**
 * OpenTelemetry: one span per `verifier.verify()` through `@opentelemetry/api` only. Without an SDK
 * registered by the application it is the API's no-op. Attributes name the outcome (token type,
 * client, `error.type` per the semantic conventions), never the token or any part of it.
 */
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { VerifiedToken } from './verified-token.js';

const tracer = trace.getTracer('@tessera/verify');

/** Runs a verification in the span `tessera.verify`, recording what it found. */
export function inVerifySpan<T extends VerifiedToken>(fn: () => Promise<T>): Promise<T> {
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
