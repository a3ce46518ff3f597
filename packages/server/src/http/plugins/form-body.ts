/**
 * `application/x-www-form-urlencoded` bodies (RFC 6749 §3.2, §4.4.2) parsed strictly: the bytes must
 * be UTF-8 and every escape must decode, or the request is refused with `invalid_request` before any
 * handler runs. Repeated parameters are kept as arrays so handlers can refuse them (RFC 6749 §3.1).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FormParams } from '../../oauth/client-auth/params.js';

export type FormBody = FormParams;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Form-urldecodes one name or value; most carry neither `+` nor `%` and are returned as they are. */
function decodeComponent(text: string): string {
  if (!text.includes('%') && !text.includes('+')) {
    return text;
  }
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

/**
 * A request body's bytes as text, refused with `invalid_request` unless they are UTF-8 (a leading
 * byte order mark is dropped). Shared by the form and JSON parsers.
 */
export function utf8Body(raw: Buffer): string {
  try {
    return utf8.decode(raw);
  } catch {
    throw OAuthError.invalidRequest('Request body is not valid UTF-8');
  }
}

export function parseForm(raw: Buffer | string): FormBody {
  const text = typeof raw === 'string' ? raw : utf8Body(raw);
  const out: FormBody = Object.create(null) as FormBody;
  if (text.length === 0) {
    return out;
  }
  for (const pair of text.split('&')) {
    if (pair.length === 0) {
      continue;
    }
    const eq = pair.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
      value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
    } catch {
      throw OAuthError.invalidRequest('Request body has a malformed percent-encoding');
    }
    const previous = out[name];
    if (previous === undefined) {
      out[name] = value;
    } else if (Array.isArray(previous)) {
      previous.push(value);
    } else {
      out[name] = [previous, value];
    }
  }
  return out;
}

export function registerFormBody(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (_request, body, done) => {
      try {
        done(null, parseForm(body as Buffer));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}

/**
 * One parameter of a form or query: `undefined` when absent or empty (RFC 6749 §3.1: "parameters
 * sent without a value MUST be treated as if they were omitted"), `invalid_request` when repeated.
 */
export { singleParam as single } from '../../oauth/client-auth/params.js';

/** The parsed form of a request (an empty one when there was no body). */
export function formOf(request: FastifyRequest): FormBody {
  const body = request.body;
  return typeof body === 'object' && body !== null ? (body as FormBody) : (Object.create(null) as FormBody);
}
