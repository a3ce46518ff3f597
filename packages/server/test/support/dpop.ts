/**
 * DPoP (RFC 9449) test helpers: a client key pair and proofs signed with it by `jose`, with every
 * claim and header member overridable so a test can break exactly one rule.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface DpopKey {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 thumbprint: what a bound token's `cnf.jkt` must equal. */
  jkt: string;
}

export async function dpopKey(alg = 'ES256', options: { crv?: string } = {}): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) };
}

export interface ProofOptions {
  htm?: string;
  htu?: string;
  /** Seconds since the epoch; defaults to now. */
  iat?: number;
  jti?: string;
  /** The access token the request presents (sets `ath`). */
  accessToken?: string;
  ath?: string;
  nonce?: string;
  /** Header members over the defaults (`typ`, `alg`, `jwk`). */
  header?: Record<string, unknown>;
  /** Extra payload members. */
  claims?: Record<string, unknown>;
}

export function athOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function dpopProof(key: DpopKey, options: ProofOptions = {}): Promise<string> {
  const payload: Record<string, unknown> = {
    htm: options.htm ?? 'POST',
    htu: options.htu ?? 'http://tessera.test/token',
    jti: options.jti ?? randomUUID(),
    ...options.claims,
  };
  if (options.accessToken !== undefined) {
    payload.ath = athOf(options.accessToken);
  }
  if (options.ath !== undefined) {
    payload.ath = options.ath;
  }
  if (options.nonce !== undefined) {
    payload.nonce = options.nonce;
  }
  return new SignJWT(payload)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...options.header } as never)
    .setIssuedAt(options.iat ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}
