/**
 * What a resource server may tell about the request an API key came with, at `POST /api-keys/verify`
 * and `POST /introspect` (RFC 7662 §2.1 lets a protected resource send more parameters):
 * `client_ip`, the caller's address, and `endpoint`, the route the key was used on
 * (`GET /orders/:id`). Both optional; they feed the key's anomaly policy (docs/api-keys.md,
 * "Anomalies"). A malformed value is `invalid_request`, checked before the key is, so a bad request
 * changes nothing (no rate-limit count, no usage, no learning).
 */
import { isIP } from 'node:net';
import { OAuthError } from '@tessera/protocol';
import type { KeyUseContext } from '../../tokens/api-keys/index.js';
import { type FormBody, single } from '../plugins/form-body.js';

/** An HTTP method, one space, then a path or route pattern of visible ASCII (`:id`, `{id}`, `*`). */
const ENDPOINT = /^[A-Z]{1,16} \/[\x21-\x7e]{0,255}$/;

/** The context of a request that tells nothing (most of them): one shared, frozen object. */
const NO_CONTEXT: KeyUseContext = Object.freeze({});

export function keyUseContextOf(params: FormBody): KeyUseContext {
  const clientIp = single(params, 'client_ip');
  const endpoint = single(params, 'endpoint');
  if (clientIp !== undefined && (clientIp.length > 45 || isIP(clientIp) === 0)) {
    throw OAuthError.invalidRequest('client_ip must be an IPv4 or IPv6 address');
  }
  if (endpoint !== undefined && !ENDPOINT.test(endpoint)) {
    throw OAuthError.invalidRequest(
      'endpoint must be a method and a route, such as GET /orders/:id (at most 256 visible characters)',
    );
  }
  if (clientIp === undefined && endpoint === undefined) {
    return NO_CONTEXT;
  }
  return {
    ...(clientIp === undefined ? {} : { clientIp }),
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}
