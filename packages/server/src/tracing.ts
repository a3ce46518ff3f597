/**
 * OpenTelemetry traces through `@opentelemetry/api` only: with no SDK registered (the default) every
 * call below is the API's no-op — a non-recording span, nothing kept, nothing exported. An operator
 * turns traces on by registering an SDK before Tessera starts (`node --import ./otel.mjs`,
 * docs/operations.md). Attributes follow the OpenTelemetry semantic conventions (`http.*`,
 * `db.system`, `error.type`) plus `oauth.*` for the grant; never a token, a secret or a hash of one,
 * and never an error message (a driver's message may quote a value).
 */
import { type Attributes, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { OAuthError } from '@tessera/protocol';

export const tracer = trace.getTracer('@tessera/server');

/** `error.type` (semantic conventions): the OAuth error code, else the error's class name. */
export function errorType(error: unknown): string {
  if (error instanceof OAuthError) {
    return error.code;
  }
  return error instanceof Error ? error.name : 'unknown';
}

/** Marks a span failed with the error's type, never its message. */
export function recordFailure(span: Span, error: unknown): void {
  span.setAttribute('error.type', errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** Runs `fn` inside an active span (children attach to it), ending it however `fn` ends. */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * The span of an OAuth endpoint: `POST /token`, with the method and route, and the status the
 * answer gets (an OAuthError's status on failure, as render-error.ts sends it).
 */
export function inEndpointSpan<T>(route: string, fn: (span: Span) => Promise<T>): Promise<T> {
  return inSpan(`POST ${route}`, { 'http.request.method': 'POST', 'http.route': route }, async (span) => {
    try {
      const result = await fn(span);
      span.setAttribute('http.response.status_code', 200);
      return result;
    } catch (error) {
      span.setAttribute('http.response.status_code', error instanceof OAuthError ? error.status : 500);
      throw error;
    }
  });
}
