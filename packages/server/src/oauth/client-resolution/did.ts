/**
 * DID clients: a `client_id` that is a DID (W3C DID Core §3.1) authenticates with `private_key_jwt`
 * (RFC 7523 §2.2) using a key its DID document names; nothing is stored and no secret is shared.
 *
 * - `did:key` (W3C CCG did:key): resolved offline by `key-did-resolver` (Ed25519, P-256, P-384,
 *   P-521, secp256k1).
 * - `did:jwk` (did:jwk spec §2): the method-specific id is a base64url JSON JWK; resolved here.
 * - `did:web` (did:web spec §3.2): `did:web:example.com:user:alice` is
 *   `https://example.com/user/alice/did.json` (a bare host: `/.well-known/did.json`), fetched with
 *   the bounded, address-checked fetch of `jwks_uri` (size, time, no redirects, SSRF guards).
 *
 * Keys come from the verification methods the document lists under `authentication` or
 * `assertionMethod` (DID Core §5.3.1, §5.3.2); each becomes a public JWK whose `kid` is the
 * verification method's absolute DID URL. Only the methods in `clients.didMethods` resolve.
 */
import { Buffer } from 'node:buffer';
import {
  type DIDDocument,
  type DIDResolutionResult,
  type DIDResolver,
  type ParsedDID,
  Resolver,
  type VerificationMethod,
} from 'did-resolver';
import KeyDidResolver from 'key-did-resolver';
import { base58btc } from 'multiformats/bases/base58';
import type { Clock } from '../../clock.js';
import type { JwksFetch } from '../client-auth/jwks-uri-fetch.js';
import type { ClientResolver } from '../client-registry.js';
import { type UnregisteredClientPolicy, unregisteredClient } from './policy.js';

export const DID_METHODS = ['key', 'jwk', 'web'] as const;
export type DidMethod = (typeof DID_METHODS)[number];

export interface DidClientResolverDeps {
  /** `clients.didMethods`: the methods that resolve; an empty list resolves nothing. */
  methods: readonly DidMethod[];
  policy: UnregisteredClientPolicy;
  clock: Clock;
  /** The bounded, address-checked fetch (jwks-uri-fetch.ts), for `did:web`. */
  fetch: JwksFetch;
  /** How long a resolved client is trusted before it is resolved again (milliseconds). */
  ttlMs: number;
  /** Why a DID was not resolved (for the log; the client only ever sees `invalid_client`). */
  onRefused?: (clientId: string, reason: string) => void;
}

/** DID Core §3.1 syntax (method names are lowercase letters and digits). */
const DID_RE = /^did:([a-z0-9]+):([A-Za-z0-9._%:-]+)$/;

/** Public members of a JWK by key type; a private member (`d`, …) makes the key unusable. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
};
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Multicodec `ed25519-pub` (0xed, varint 0xed 0x01) before a 32-byte key in a multibase value. */
const ED25519_PUB = [0xed, 0x01];

function notFound(message: string): DIDResolutionResult {
  return {
    didResolutionMetadata: { error: 'notFound', message },
    didDocument: null,
    didDocumentMetadata: {},
  };
}

function found(didDocument: DIDDocument): DIDResolutionResult {
  return {
    didResolutionMetadata: { contentType: 'application/did+json' },
    didDocument,
    didDocumentMetadata: {},
  };
}

/** did:jwk spec §2.2 (Read): decode the id to a JWK and describe it as one verification method. */
const resolveJwk: DIDResolver = async (did: string, parsed: ParsedDID) => {
  let jwk: unknown;
  try {
    jwk = JSON.parse(Buffer.from(parsed.id, 'base64url').toString('utf8'));
  } catch {
    return notFound('did:jwk id is not base64url JSON');
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    return notFound('did:jwk id is not a JWK');
  }
  const id = `${did}#0`;
  return found({
    id: did,
    verificationMethod: [
      {
        id,
        type: 'JsonWebKey2020',
        controller: did,
        publicKeyJwk: jwk as NonNullable<VerificationMethod['publicKeyJwk']>,
      },
    ],
    authentication: [id],
    assertionMethod: [id],
  });
};

/** did:web spec §3.2 step 1–5: the HTTPS URL of a did:web document. */
export function didWebUrl(methodSpecificId: string): URL | undefined {
  const parts = methodSpecificId.split(':').map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return undefined;
    }
  });
  if (parts.some((part) => part === undefined || part.length === 0 || /[/?#@\\\s]/.test(part))) {
    return undefined;
  }
  const [host, ...path] = parts as string[];
  let url: URL;
  try {
    url = new URL(`https://${host}/${path.length === 0 ? '.well-known' : path.join('/')}/did.json`);
  } catch {
    return undefined;
  }
  // The host part must be exactly a host (and optional port), nothing the URL parser rewrote.
  return url.host === host?.toLowerCase() ? url : undefined;
}

function createWebResolver(fetch: JwksFetch): DIDResolver {
  return async (did, parsed) => {
    const url = didWebUrl(parsed.id);
    if (url === undefined) {
      return notFound('did:web id does not name an HTTPS host');
    }
    let response: Response;
    try {
      response = await fetch(url.href, { headers: { accept: 'application/did+json, application/json' } });
    } catch (error) {
      return notFound(`did:web document fetch failed: ${(error as Error).message}`);
    }
    if (response.status !== 200) {
      return notFound(`did:web document answered HTTP ${response.status}`);
    }
    let document: unknown;
    try {
      document = JSON.parse(await response.text());
    } catch {
      return notFound('did:web document is not JSON');
    }
    if (typeof document !== 'object' || document === null || (document as DIDDocument).id !== did) {
      // did:web spec §3.2: the document's id must be the DID that was resolved.
      return notFound('did:web document id differs from the DID');
    }
    return found(document as DIDDocument);
  };
}

/** The public JWK of a verification method, or undefined when it has none we can use. */
export function publicJwkOf(method: VerificationMethod): Record<string, unknown> | undefined {
  const kid = method.id;
  if (method.publicKeyJwk !== undefined) {
    const jwk = method.publicKeyJwk as Record<string, unknown>;
    const members = PUBLIC_MEMBERS[String(jwk.kty)];
    if (members === undefined || PRIVATE_MEMBERS.some((name) => Object.hasOwn(jwk, name))) {
      return undefined;
    }
    const out: Record<string, unknown> = { kid };
    for (const name of members) {
      if (typeof jwk[name] !== 'string') {
        return undefined;
      }
      out[name] = jwk[name];
    }
    return out;
  }
  let raw: Uint8Array | undefined;
  try {
    if (method.publicKeyBase58 !== undefined && method.type.startsWith('Ed25519VerificationKey')) {
      raw = base58btc.baseDecode(method.publicKeyBase58);
    } else if (method.publicKeyMultibase !== undefined) {
      const bytes = base58btc.decode(method.publicKeyMultibase);
      if (bytes[0] === ED25519_PUB[0] && bytes[1] === ED25519_PUB[1]) {
        raw = bytes.subarray(2);
      }
    }
  } catch {
    return undefined;
  }
  if (raw === undefined || raw.length !== 32) {
    return undefined;
  }
  return { kid, kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') };
}

/** The keys a DID document offers for client authentication (DID Core §5.3.1, §5.3.2). */
export function authenticationKeys(document: DIDDocument): Record<string, unknown>[] {
  const byId = new Map<string, VerificationMethod>();
  for (const method of document.verificationMethod ?? []) {
    byId.set(absolute(document.id, method.id), { ...method, id: absolute(document.id, method.id) });
  }
  const keys: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  for (const entry of [...(document.authentication ?? []), ...(document.assertionMethod ?? [])]) {
    const method =
      typeof entry === 'string'
        ? byId.get(absolute(document.id, entry))
        : { ...entry, id: absolute(document.id, entry.id) };
    if (method === undefined || seen.has(method.id)) {
      continue;
    }
    seen.add(method.id);
    const jwk = publicJwkOf(method);
    if (jwk !== undefined) {
      keys.push(jwk);
    }
  }
  return keys;
}

/** A relative DID URL (`#key-1`) made absolute against the document's DID. */
function absolute(did: string, id: string): string {
  return id.startsWith('#') ? `${did}${id}` : id;
}

/** The keys a DID's document offers, or why there are none (for the log, never for the caller). */
export type DidKeyResolution = { keys: Record<string, unknown>[] } | { refused: string };

export interface DidKeyResolver {
  /** True when `id` is a DID of an enabled method (syntax only, no resolution). */
  matches(id: string): boolean;
  /** Resolves the DID and returns its authentication keys (each with its absolute `kid`). */
  resolveKeys(did: string): Promise<DidKeyResolution>;
}

/**
 * Resolves DIDs of the enabled methods to their authentication keys: offline for `did:key` and
 * `did:jwk`, through the bounded fetch for `did:web`. Shared by DID clients and by people linking
 * a DID on the account page (users/authn/did-link.ts).
 */
export function createDidKeyResolver(deps: {
  methods: readonly DidMethod[];
  fetch: JwksFetch;
}): DidKeyResolver {
  const enabled = new Set<string>(deps.methods);
  const registry: Record<string, DIDResolver> = {};
  if (enabled.has('key')) {
    Object.assign(registry, KeyDidResolver.getResolver());
  }
  if (enabled.has('jwk')) {
    registry.jwk = resolveJwk;
  }
  if (enabled.has('web')) {
    registry.web = createWebResolver(deps.fetch);
  }
  const resolver = new Resolver(registry, { cache: false });
  return {
    matches(id) {
      const match = DID_RE.exec(id);
      return match !== null && enabled.has(match[1] ?? '');
    },
    async resolveKeys(did) {
      let result: DIDResolutionResult;
      try {
        result = await resolver.resolve(did);
      } catch (error) {
        return { refused: `resolution failed: ${(error as Error).message}` };
      }
      const document = result.didDocument;
      const { error, message } = result.didResolutionMetadata;
      if (error !== undefined || document === null) {
        return { refused: `${error ?? 'notFound'}: ${String(message ?? 'no document')}` };
      }
      if (document.id !== did) {
        return { refused: 'the DID document names another DID' };
      }
      const keys = authenticationKeys(document);
      if (keys.length === 0) {
        return { refused: 'the DID document names no usable authentication key' };
      }
      return { keys };
    },
  };
}

/** The `did:` client resolver: off (matches nothing) unless `clients.didMethods` names a method. */
export function createDidClientResolver(deps: DidClientResolverDeps): ClientResolver {
  const dids = createDidKeyResolver({ methods: deps.methods, fetch: deps.fetch });
  return {
    matches: (id) => dids.matches(id),
    async resolve(id) {
      const resolved = await dids.resolveKeys(id);
      if ('refused' in resolved) {
        deps.onRefused?.(id.slice(0, 200), resolved.refused);
        return undefined;
      }
      const client = unregisteredClient(
        {
          id,
          name: id,
          source: 'did',
          tokenEndpointAuthMethod: 'private_key_jwt',
          jwks: { keys: resolved.keys },
        },
        deps.policy,
        deps.clock.now(),
      );
      return { client, ttlMs: deps.ttlMs };
    },
  };
}
