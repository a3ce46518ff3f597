/**
 * OpenTelemetry traces through `@opentelemetry/api` only: with no SDK registered (the default) every
 * call below is the API's no-op — a non-recording span, nothing kept, nothing exported. An operator
 * turns traces on by registering an SDK before Tessera starts (`node --import ./otel.mjs`,
 * docs/operations.md). Attributes follow the OpenTelemetry semantic conventions (`http.*`,
 * `db.system`, `error.type`) plus `oauth.*` for the grant; never a token, a secret or a hash of one,
 * and never an error message (a driver's message may quote a value).
 */
import {
  type Attributes,
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OAuthError } from '@tessera/protocol';

const TRACER_NAME = '@tessera/server';

export const tracer = trace.getTracer(TRACER_NAME);

/** What `fn` gets while no SDK is registered: the API's own non-recording span, shared. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * The registered SDK's tracer, or undefined while none is registered (the global provider is then
 * the API's proxy without a delegate, and any span would be a no-op). Asked on every call, since an
 * SDK may be registered, or the API reset, at any time: a couple of property reads, where starting
 * a no-op active span costs a context object and closures per request.
 */
function activeTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider
    ? provider.getDelegateTracer(TRACER_NAME)
    : provider.getTracer(TRACER_NAME);
}

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
  const active = activeTracer();
  if (active === undefined) {
    try {
      return fn(NO_SPAN);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return active.startActiveSpan(name, { attributes }, async (span) => {
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
  if (activeTracer() === undefined) {
    return inSpan(route, {}, fn);
  }
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

/**
 * {@link inEndpointSpan} for a handler that may answer without a promise: with no SDK registered it
 * runs `fn` as it is (its value, its promise, or its throw, unchanged), so an answer from memory
 * costs no promise; with one, the span is {@link inEndpointSpan}'s.
 */
export function inEndpointSpanMaybeAsync<T>(
  route: string,
  fn: (span: Span) => T | Promise<T>,
): T | Promise<T> {
  if (activeTracer() === undefined) {
    return fn(NO_SPAN);
  }
  return inEndpointSpan(route, async (span) => await fn(span));
}
