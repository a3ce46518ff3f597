/**
 * The fetch behind a client's `jwks_uri` (RFC 7523 §3, OIDC Core §10.1.1), bounded because the URL
 * is chosen by the client: the name is resolved, EVERY address it resolves to must be public
 * (unless `clients.allowPrivateJwksUri`), and the connection goes to the address that was checked,
 * so a DNS answer that changes between check and connect (rebinding) cannot move it inside. No
 * redirect is followed, the body is capped (`clients.jwksMaxBytes`) and the whole exchange is
 * bounded in time (`clients.jwksFetchTimeout`, and the caller's abort signal).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { findNonPublicHostProblem, isPublicAddress } from '../clients/public-address.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface JwksUriFetchOptions {
  /** `clients.allowPrivateJwksUri`: allow loopback, private and other non-public addresses. */
  allowPrivate: boolean;
  /** Largest accepted response body, in bytes. */
  maxBytes: number;
  /** Longest the whole fetch may take, in milliseconds. */
  timeoutMs: number;
  /** Extra certificate authorities (PEM) trusted besides the system ones (`clients.fetchCaFile`). */
  ca?: string;
  /** Resolves a host name to all its addresses (default: the system resolver, `dns.lookup`). */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

/** The `fetch` subset jose's remote JWK Set calls. */
export type JwksFetch = (
  url: string,
  init: { signal?: AbortSignal | null; headers?: HeadersInit; method?: string },
) => Promise<Response>;

/** Why a jwks_uri fetch was refused; a cause in the log, never a public description. */
export class JwksFetchError extends Error {
  override readonly name = 'JwksFetchError';
}

async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  return dnsLookup(hostname, { all: true, verbatim: true });
}

/** The response headers as a web `Headers`, for the Response jose reads. */
function headersOf(response: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (typeof value === 'string') {
      headers.set(name, value);
    }
  }
  return headers;
}

export function createJwksUriFetch(options: JwksUriFetchOptions): JwksFetch {
  const resolve = options.resolve ?? systemResolve;

  async function addressesOf(url: URL): Promise<ResolvedAddress[]> {
    const bare = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const family = isIP(bare);
    if (family !== 0) {
      return [{ address: bare, family }];
    }
    const addresses = await resolve(bare);
    if (addresses.length === 0) {
      throw new JwksFetchError(`jwks_uri host ${bare} has no address`);
    }
    return addresses;
  }

  function assertPublic(url: URL, addresses: ResolvedAddress[]): void {
    if (options.allowPrivate) {
      return;
    }
    const hostProblem = findNonPublicHostProblem(url.hostname);
    if (hostProblem !== undefined) {
      throw new JwksFetchError(`jwks_uri ${hostProblem} (clients.allowPrivateJwksUri is off)`);
    }
    const blocked = addresses.find((entry) => !isPublicAddress(entry.address));
    if (blocked !== undefined) {
      throw new JwksFetchError(
        `jwks_uri host ${url.hostname} resolves to the non-public address ${blocked.address} (clients.allowPrivateJwksUri is off)`,
      );
    }
  }

  return async function fetchJwksUri(input, init) {
    const url = new URL(input);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new JwksFetchError('jwks_uri must be http(s)');
    }
    const addresses = await addressesOf(url);
    assertPublic(url, addresses);
    const [pinned] = addresses;
    if (pinned === undefined) {
      throw new JwksFetchError('jwks_uri host has no address');
    }
    // Connect to the checked address only, whatever a second lookup would answer.
    const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
      if (lookupOptions.all === true) {
        (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, [pinned]);
      } else {
        callback(null, pinned.address, pinned.family);
      }
    };
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const signals = [AbortSignal.timeout(options.timeoutMs), ...(init.signal ? [init.signal] : [])];
    const signal = AbortSignal.any(signals);

    return new Promise<Response>((resolvePromise, reject) => {
      const transport = url.protocol === 'https:' ? https : http;
      const request = transport.request(url, {
        method: 'GET',
        headers,
        lookup,
        signal,
        agent: false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      });
      request.once('error', (error) =>
        reject(signal.aborted ? new JwksFetchError('jwks_uri fetch timed out', { cause: error }) : error),
      );
      request.once('response', (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          response.destroy();
          reject(new JwksFetchError(`jwks_uri answered a redirect (${status}); redirects are not followed`));
          return;
        }
        if (status !== 200) {
          // jose accepts 200 only; the body of anything else is not read.
          response.destroy();
          resolvePromise(new Response(null, { status: status >= 200 && status <= 599 ? status : 502 }));
          return;
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          response.destroy();
          reject(new JwksFetchError(`jwks_uri response is larger than ${options.maxBytes} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            response.destroy();
            reject(new JwksFetchError(`jwks_uri response is larger than ${options.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.once('error', (error) =>
          reject(signal.aborted ? new JwksFetchError('jwks_uri fetch timed out', { cause: error }) : error),
        );
        let ended = false;
        response.once('close', () => {
          if (!ended) {
            reject(new JwksFetchError('jwks_uri response was cut short or timed out'));
          }
        });
        response.once('end', () => {
          ended = true;
          resolvePromise(new Response(Buffer.concat(chunks), { status, headers: headersOf(response) }));
        });
      });
      request.end();
    });
  };
}
