/**
 * The signature check of a compact JWS (RFC 7515 §7.1) with a synchronous `node:crypto` verify on a
 * `KeyObject` made once per JWKS key: the unseen-token path of the verifier. jose's `jwtVerify` goes
 * through WebCrypto, whose job is queued on libuv's thread pool; measured at about half the rate of
 * `crypto.verify` with the same key here (docs/performance.md).
 *
 * Only the plain shape Tessera and most issuers produce takes this path: a protected header with
 * nothing but `alg`, `kid` and `typ`, an algorithm of the table below that the caller allows, and a
 * key whose type fits it (curve for ECDSA, at least 2,048 bits for RSA as jose requires). Anything
 * else (`crit`, `b64`, `jku`, an odd key) is left to jose, so no JOSE rule is re-implemented here
 * beyond choosing the digest and signature encoding of RFC 7518 §3.
 */
import { constants, KeyObject, verify, type webcrypto } from 'node:crypto';

interface Scheme {
  /** The digest, or null for EdDSA (RFC 8037 §3.1: the curve hashes). */
  digest: string | null;
  /** `asymmetricKeyType` the key must have. */
  keyType: 'ec' | 'rsa' | 'ed25519';
  /** For ECDSA: the curve (RFC 7518 §3.4). */
  curve?: string;
  /** For RSASSA-PSS (RFC 7518 §3.5): salt as long as the digest. */
  saltLength?: number;
}

const SCHEMES: Readonly<Record<string, Scheme>> = {
  ES256: { digest: 'sha256', keyType: 'ec', curve: 'prime256v1' },
  ES384: { digest: 'sha384', keyType: 'ec', curve: 'secp384r1' },
  ES512: { digest: 'sha512', keyType: 'ec', curve: 'secp521r1' },
  RS256: { digest: 'sha256', keyType: 'rsa' },
  RS384: { digest: 'sha384', keyType: 'rsa' },
  RS512: { digest: 'sha512', keyType: 'rsa' },
  PS256: { digest: 'sha256', keyType: 'rsa', saltLength: 32 },
  PS384: { digest: 'sha384', keyType: 'rsa', saltLength: 48 },
  PS512: { digest: 'sha512', keyType: 'rsa', saltLength: 64 },
  EdDSA: { digest: null, keyType: 'ed25519' },
  Ed25519: { digest: null, keyType: 'ed25519' },
};

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const PLAIN_HEADER_MEMBERS: ReadonlySet<string> = new Set(['alg', 'kid', 'typ']);

/** The protected header of the plain shape. */
export interface PlainHeader {
  alg: string;
  kid?: string;
  typ?: string;
}

/**
 * Protected headers already judged, by their segment: tokens of one issuer and key share one, so
 * its base64url and JSON are decoded once. A header that is not of the plain shape is not kept, and
 * the map stops growing at {@link MAX_KNOWN_HEADERS} (then headers are decoded each time).
 */
const knownHeaders = new Map<string, PlainHeader>();
const MAX_KNOWN_HEADERS = 64;

/** A compact JWS of the plain shape: its header and its three segments. */
export interface PlainCompactJws {
  header: PlainHeader;
  protectedSegment: string;
  /** `protected.payload`: the JWS Signing Input (RFC 7515 §5.2 step 8). */
  signingInput: string;
  payloadSegment: string;
  signatureSegment: string;
}

/**
 * The token as a {@link PlainCompactJws} when it has the plain shape and an allowed algorithm of
 * the table, else undefined (the caller then uses jose for everything).
 *
 * @example
 * ```ts
 * const jws = parsePlainCompactJws(token, ['ES256']);
 * ```
 */
export function parsePlainCompactJws(
  token: string,
  algorithms: readonly string[],
): PlainCompactJws | undefined {
  if (token.length > 16_384 || !COMPACT_JWS.test(token)) {
    return undefined;
  }
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const protectedSegment = token.slice(0, first);
  let header = knownHeaders.get(protectedSegment);
  if (header === undefined) {
    header = parsePlainHeader(protectedSegment);
    if (header === undefined) {
      return undefined;
    }
    if (knownHeaders.size < MAX_KNOWN_HEADERS) {
      knownHeaders.set(protectedSegment, header);
    }
  }
  if (!algorithms.includes(header.alg)) {
    return undefined;
  }
  return {
    header,
    protectedSegment,
    signingInput: token.slice(0, second),
    payloadSegment: token.slice(first + 1, second),
    signatureSegment: token.slice(second + 1),
  };
}

/** The header as a frozen {@link PlainHeader}, or undefined when it is not of the plain shape. */
function parsePlainHeader(protectedSegment: string): PlainHeader | undefined {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(protectedSegment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return undefined;
  }
  const fields = header as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!PLAIN_HEADER_MEMBERS.has(name)) {
      return undefined;
    }
  }
  const { alg, kid, typ } = fields;
  if (
    typeof alg !== 'string' ||
    !Object.hasOwn(SCHEMES, alg) ||
    (kid !== undefined && typeof kid !== 'string') ||
    (typ !== undefined && typeof typ !== 'string')
  ) {
    return undefined;
  }
  return Object.freeze({
    alg,
    ...(kid === undefined ? {} : { kid }),
    ...(typ === undefined ? {} : { typ }),
  });
}

const keyObjects = new WeakMap<object, KeyObject>();

/**
 * The `KeyObject` of a key jose's JWKS returned (a WebCrypto `CryptoKey` on Node), made once per
 * key; undefined for anything else (a symmetric secret never verifies here).
 *
 * @example
 * ```ts
 * const key = keyObjectOf(await jwks(header, input));
 * ```
 */
export function keyObjectOf(key: unknown): KeyObject | undefined {
  if (key instanceof KeyObject) {
    return key.type === 'public' ? key : undefined;
  }
  if (typeof key !== 'object' || key === null) {
    return undefined;
  }
  let object = keyObjects.get(key);
  if (object === undefined) {
    try {
      // Node has two CryptoKey classes (global and webcrypto's); KeyObject.from takes either.
      object = KeyObject.from(key as webcrypto.CryptoKey);
    } catch {
      return undefined;
    }
    keyObjects.set(key, object);
  }
  return object.type === 'public' ? object : undefined;
}

/**
 * True when `key` is of the type `alg` needs (jose's own rules: the curve of the ECDSA algorithm,
 * RSA keys of at least 2,048 bits); the caller leaves a key that does not fit to jose.
 *
 * @example
 * ```ts
 * if (keyFits('ES256', key)) { … }
 * ```
 */
export function keyFits(alg: string, key: KeyObject): boolean {
  const scheme = SCHEMES[alg];
  if (scheme === undefined || key.asymmetricKeyType !== scheme.keyType) {
    return false;
  }
  const details = key.asymmetricKeyDetails;
  if (scheme.curve !== undefined) {
    return details?.namedCurve === scheme.curve;
  }
  if (scheme.keyType === 'rsa') {
    return (details?.modulusLength ?? 0) >= 2048;
  }
  return true;
}

/**
 * Verifies the signature of `jws` with `key` (RFC 7515 §5.2 step 8, RFC 7518 §3): ECDSA signatures
 * are R‖S (IEEE P1363), RSASSA-PSS salts are the digest's length.
 *
 * @example
 * ```ts
 * if (!verifyJwsSignature(jws, key)) throw new errors.JWSSignatureVerificationFailed();
 * ```
 */
export function verifyJwsSignature(jws: PlainCompactJws, key: KeyObject): boolean {
  const scheme = SCHEMES[jws.header.alg];
  if (scheme === undefined) {
    return false;
  }
  const data = Buffer.from(jws.signingInput);
  const signature = Buffer.from(jws.signatureSegment, 'base64url');
  if (scheme.keyType === 'ec') {
    return verify(scheme.digest, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  }
  if (scheme.saltLength !== undefined) {
    return verify(
      scheme.digest,
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
      signature,
    );
  }
  return verify(scheme.digest, data, key, signature);
}
