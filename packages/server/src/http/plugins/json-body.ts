/**
 * `application/json` bodies (the admin API, dynamic client registration, the Shared Signals
 * endpoints) held to RFC 8259 §8.1 and §8.2: the bytes must be UTF-8 and every string, names
 * included, must be Unicode, or the request is refused with `invalid_request` before any handler
 * runs. Fastify's own parser decodes with replacement, so invalid bytes, or an escaped lone
 * surrogate (`"\ud800"`), reached the store as something other than what was sent (a client name
 * stored as U+FFFD). Parsing itself, with its `__proto__` and `constructor` refusals, stays
 * Fastify's.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { utf8Body } from './form-body.js';

/** An escape that names a surrogate: only a body with one can hold a lone surrogate. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') {
    return !LONE_SURROGATE.test(value);
  }
  if (Array.isArray(value)) {
    return value.every(wellFormed);
  }
  if (value !== null && typeof value === 'object') {
    for (const [name, member] of Object.entries(value)) {
      if (LONE_SURROGATE.test(name) || !wellFormed(member)) {
        return false;
      }
    }
  }
  return true;
}

export function registerJsonBody(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      // A byte order mark is dropped (RFC 8259 §8.1 lets a parser ignore it).
      text = utf8Body(body as Buffer);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    parse(request, text, (error, value) => {
      if (error === null && SURROGATE_ESCAPE.test(text) && !wellFormed(value)) {
        done(
          OAuthError.invalidRequest('Request body has a string that is not Unicode (a lone surrogate)'),
          undefined,
        );
        return;
      }
      done(error, value);
    });
  });
}
