/**
 * Continuous authentication of token use: the issuance context an access token carries (`tctx`)
 * and the comparison of each request with it, in microseconds and without calling the issuer.
 *
 * The claim is `1.<salt>.<network>.<client>`: a fresh random salt per token (8 bytes) and, for the
 * network bucket (the client address's /24 for IPv4, /48 for IPv6) and the UA family (browser and
 * OS family, no versions), the first 16 bits of SHA-256 over the salt and the value. No raw
 * address or User-Agent is in the token, and no key is needed to compare: a verifier hashes the
 * request's own bucket and family with the token's salt. The price of needing no key (docs/risk.md):
 * whoever holds one token can test candidate /24s offline; 16 bits leave about 256 of the 2²⁴ IPv4
 * /24s matching each token, and a different salt per token makes several tokens of one person
 * narrow that down. A different network passes by chance with probability 2⁻¹⁶ per request.
 *
 * What it cannot see: a token replayed from behind the victim's own NAT (same /24, same copied UA)
 * is the victim as far as the network can tell; sender-constrained (DPoP) tokens are the answer
 * there. A legitimate client whose address leaves its /24 mid-token (a phone moving from Wi-Fi to a
 * carrier) differs too: the policy decides what a difference costs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { extractFeatures, prefixOf } from './features.js';

/** Where a token was issued or is used: the client address and User-Agent as the server saw them. */
export interface TokenUseContext {
  ip: string | undefined;
  userAgent: string | undefined;
}

export interface TokenUseFactor {
  name: 'token_network' | 'token_client' | 'token_context_unreadable';
  value: number;
}

export interface TokenUseAssessment {
  /** Natural-log likelihood-ratio style score, as the engine's: 0 for a match, higher is riskier. */
  score: number;
  factors: TokenUseFactor[];
}

/** What a policy makes of an assessment. */
export type TokenUseAction = 'allow' | 'flag' | 'step_up' | 'refuse';

/** The claim name. */
export const TOKEN_CONTEXT_CLAIM = 'tctx';

/** Same values as the engine's session checks (engine.ts: `session_network`, `session_ua`). */
const NETWORK_MISMATCH = 6;
const CLIENT_MISMATCH = 6;
const UNREADABLE = 3;

/** `::ffff:192.0.2.1` (IPv4-mapped, as Node reports IPv4 on a dual-stack socket) → `192.0.2.1`. */
export function networkBucket(ip: string | undefined): string {
  const plain = ip
    ?.trim()
    .toLowerCase()
    .replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return prefixOf(plain) ?? 'unknown';
}

function clientFamily(userAgent: string | undefined): string {
  const f = extractFeatures({ 'User ID': '', 'User Agent String': userAgent, 'Epoch ms': 0 });
  return `${f.browserFamily ?? 'unknown'}/${f.osFamily ?? 'unknown'}`;
}

function digest(salt: string, kind: string, value: string): string {
  return createHash('sha256')
    .update(`${kind}\u0000${salt}\u0000${value}`)
    .digest()
    .subarray(0, 2)
    .toString('base64url');
}

/** The `tctx` claim for a token issued to `context`. */
export function createTokenContext(
  context: TokenUseContext,
  salt = randomBytes(8).toString('base64url'),
): string {
  return `1.${salt}.${digest(salt, 'n', networkBucket(context.ip))}.${digest(salt, 'c', clientFamily(context.userAgent))}`;
}

/**
 * How far a request's context is from the token's `tctx` claim. A claim that is not one (absent,
 * another version, tampered: impossible under a valid signature) scores {@link UNREADABLE}.
 */
export function assessTokenUse(claim: unknown, context: TokenUseContext): TokenUseAssessment {
  const parts = typeof claim === 'string' ? claim.split('.') : [];
  const [version, salt, network, client] = parts;
  if (parts.length !== 4 || version !== '1' || salt === undefined || salt === '') {
    return { score: UNREADABLE, factors: [{ name: 'token_context_unreadable', value: UNREADABLE }] };
  }
  const factors: TokenUseFactor[] = [
    {
      name: 'token_network',
      value: digest(salt, 'n', networkBucket(context.ip)) === network ? 0 : NETWORK_MISMATCH,
    },
    {
      name: 'token_client',
      value: digest(salt, 'c', clientFamily(context.userAgent)) === client ? 0 : CLIENT_MISMATCH,
    },
  ];
  return { score: factors.reduce((sum, f) => sum + f.value, 0), factors };
}

/**
 * The default policy: a different network or client family refuses (token replay), an unreadable
 * claim is flagged, a match is allowed.
 */
export function defaultTokenUsePolicy(assessment: TokenUseAssessment): TokenUseAction {
  if (assessment.score >= NETWORK_MISMATCH) {
    return 'refuse';
  }
  return assessment.score > 0 ? 'flag' : 'allow';
}
