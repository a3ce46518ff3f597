/**
 * Access tokens: JWT per RFC 9068 or opaque (`tsr_at_…`), per client (DESIGN §3).
 *
 * The authorization-code and refresh grants issue through the same service.
 *
 * Signing is the hot path of the client-credentials benchmark (DESIGN §4): one synchronous
 * `node:crypto` sign over a cached protected header (compact-jws.ts).
 */
import type { Clock } from '../clock.js';
import { hashSecret, mintSecret, newId } from '../ids.js';
import type { SigningKey } from '../keys/keyring.js';
import type { AccessTokenStore, ClientRecord, SigningAlgorithm } from '../store/ports.js';
import { createCompactJwsSigner } from './compact-jws.js';

export interface IssueAccessTokenInput {
  client: ClientRecord;
  /** `sub`: the client id for client credentials, the user id otherwise. */
  subject: string;
  scope: string[];
  audience: string[];
  /** Grant (refresh family / code) it came from, for cascading revocation; null for client credentials. */
  grantId: string | null;
  /** Extra claims (e.g. `auth_time`, `acr`, `sid`); never override registered claims. */
  claims?: Record<string, unknown>;
  /** RFC 9449 §6: the DPoP key thumbprint the token is bound to (`cnf.jkt`), if any. */
  jkt?: string | undefined;
}

export interface IssuedAccessToken {
  token: string;
  /** RFC 9449 §5: `DPoP` for a key-bound token, else `Bearer`. */
  tokenType: 'Bearer' | 'DPoP';
  format: 'jwt' | 'opaque';
  jti: string;
  expiresIn: number;
  expiresAt: number;
}

export interface AccessTokenService {
  issue(input: IssueAccessTokenInput): Promise<IssuedAccessToken>;
}

export interface AccessTokenServiceDeps {
  issuer: string;
  keyring: { current(alg: SigningAlgorithm): SigningKey };
  algorithm: SigningAlgorithm;
  clock: Clock;
  store: Pick<AccessTokenStore, 'insertAccessToken'>;
  /** Seconds: the default lifetime and the cap on any client's own lifetime. */
  ttl: { default: number; max: number };
}

/**
 * Claims a grant may never set through `claims`: RFC 9068 §2.2 registered claims and the RFC 7519
 * §4.1 ones, which the service alone decides, plus Tessera's `gid` (the grant / refresh-family id).
 */
const REGISTERED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'client_id',
  'scope',
  'gid',
  '__proto__',
]);

/**
 * Claims static client metadata may never set: the registered ones, the authentication facts of
 * RFC 9068 §2.2.1 and OIDC Core §2 (`auth_time`, `acr`, `amr`, `sid`, `nonce` …), the RFC 7800
 * confirmation (`cnf`), RFC 8693 delegation (`act`, `may_act`) and the RFC 7662 members an
 * introspection response derives from the token (`active`, `token_type`, `username`).
 */
export const RESERVED_METADATA_CLAIMS: ReadonlySet<string> = new Set([
  ...REGISTERED_CLAIMS,
  'auth_time',
  'acr',
  'amr',
  'sid',
  'azp',
  'nonce',
  'at_hash',
  'c_hash',
  's_hash',
  'cnf',
  'act',
  'may_act',
  'typ',
  'events',
  'active',
  'token_type',
  'username',
]);

/** Copies `source` into `target`, skipping reserved names, undefined values and existing keys. */
function addClaims(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  reserved: ReadonlySet<string>,
): void {
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && !reserved.has(name) && !Object.hasOwn(target, name)) {
      target[name] = value;
    }
  }
}

/** The extra (non-registered) claims of a token: grant claims first, then client metadata. */
export function extraClaimsOf(
  input: Pick<IssueAccessTokenInput, 'client' | 'claims'>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  addClaims(out, input.claims ?? {}, REGISTERED_CLAIMS);
  addClaims(out, input.client.metadata, RESERVED_METADATA_CLAIMS);
  return out;
}

/** Array-index keys (`"0"`, `"17"`) come first in a JS object, whatever order they were added in. */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

/**
 * The parts of a client-credentials JWT payload that only depend on the client record, the subject,
 * the scope and the audience, serialised once: `head` is the JSON up to `"iat":`, `tail` the extra
 * claims and the closing brace. `head + iat + ',"exp":' + exp + ',"jti":' + JSON(jti) + tail` is
 * byte for byte `JSON.stringify` of the payload object the general path builds.
 */
interface ClaimsTemplate {
  subject: string;
  scope: readonly string[];
  audience: readonly string[];
  head: string;
  tail: string;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

export function createAccessTokenService(deps: AccessTokenServiceDeps): AccessTokenService {
  /** RFC 9068 §2.1: `typ: at+jwt`, plus the `kid` verifiers select the key by. */
  const signCompact = createCompactJwsSigner('at+jwt');
  /**
   * The last template per client record (records are replaced, never mutated, when a client
   * changes, so a changed client never meets an old template); held weakly, bounded by the clients.
   */
  const templates = new WeakMap<ClientRecord, ClaimsTemplate | null>();

  function lifetimeOf(client: ClientRecord): number {
    return Math.min(client.accessTokenTtl ?? deps.ttl.default, deps.ttl.max);
  }

  /** The registered claims of RFC 9068 §2.2 (iss, sub, aud, client_id, scope, iat, exp, jti). */
  function registeredClaims(
    input: IssueAccessTokenInput,
    jti: string,
    iat: number,
    exp: number,
  ): Record<string, unknown> {
    return {
      iss: deps.issuer,
      sub: input.subject,
      aud: input.audience.length === 1 ? input.audience[0] : input.audience,
      client_id: input.client.id,
      scope: input.scope.join(' '),
      iat,
      exp,
      jti,
    };
  }

  /**
   * The template for a token with no grant, no DPoP key and no grant claims (client credentials),
   * or null when its extra claims would not keep their place (an array-index name).
   */
  function templateOf(input: IssueAccessTokenInput): ClaimsTemplate | null {
    const known = templates.get(input.client);
    if (
      known !== undefined &&
      (known === null ||
        (known.subject === input.subject &&
          sameStrings(known.scope, input.scope) &&
          sameStrings(known.audience, input.audience)))
    ) {
      return known;
    }
    const extra = extraClaimsOf(input);
    const names = Object.keys(extra);
    let template: ClaimsTemplate | null = null;
    if (!names.some((name) => INDEX_KEY.test(name))) {
      const registered = JSON.stringify(registeredClaims(input, '', 0, 0));
      template = {
        subject: input.subject,
        scope: [...input.scope],
        audience: [...input.audience],
        head: registered.slice(0, registered.lastIndexOf(',"iat":') + ',"iat":'.length),
        tail: names.length === 0 ? '}' : `,${JSON.stringify(extra).slice(1)}`,
      };
    }
    templates.set(input.client, template);
    return template;
  }

  function issueJwt(input: IssueAccessTokenInput, jti: string, iat: number, exp: number): string {
    const key = deps.keyring.current(deps.algorithm);
    if (input.grantId === null && input.jkt === undefined && input.claims === undefined) {
      const template = templateOf(input);
      if (template !== null) {
        return signCompact(
          key,
          `${template.head}${iat},"exp":${exp},"jti":${JSON.stringify(jti)}${template.tail}`,
        );
      }
    }
    // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti are required; scope per §2.2.3.
    const payload = registeredClaims(input, jti, iat, exp);
    // The grant (refresh family) id lets a family revocation reach JWTs too (DESIGN §5).
    if (input.grantId !== null) {
      payload.gid = input.grantId;
    }
    if (input.jkt !== undefined) {
      payload.cnf = { jkt: input.jkt };
    }
    addClaims(payload, extraClaimsOf(input), REGISTERED_CLAIMS);
    return signCompact(key, payload);
  }
  async function issueOpaque(
    input: IssueAccessTokenInput,
    jti: string,
    iat: number,
    exp: number,
  ): Promise<string> {
    const token = mintSecret('at');
    // Committed before the response (DESIGN §4): introspection must find it at once.
    await deps.store.insertAccessToken({
      hash: hashSecret(token),
      jti,
      clientId: input.client.id,
      subject: input.subject,
      scope: input.scope,
      audience: input.audience,
      claims:
        input.jkt === undefined ? extraClaimsOf(input) : { ...extraClaimsOf(input), cnf: { jkt: input.jkt } },
      grantId: input.grantId,
      issuedAt: iat,
      expiresAt: exp,
      revokedAt: null,
    });
    return token;
  }

  return {
    // Not async: a JWT is made synchronously, so only an opaque token (a store write) waits.
    issue(input) {
      try {
        const expiresIn = lifetimeOf(input.client);
        const iat = deps.clock.now();
        const expiresAt = iat + expiresIn;
        const jti = newId('jti');
        const tokenType = input.jkt === undefined ? 'Bearer' : 'DPoP';
        const issued = (token: string): IssuedAccessToken => ({
          token,
          tokenType,
          format: input.client.tokenFormat,
          jti,
          expiresIn,
          expiresAt,
        });
        if (input.client.tokenFormat === 'opaque') {
          return issueOpaque(input, jti, iat, expiresAt).then(issued);
        }
        return Promise.resolve(issued(issueJwt(input, jti, iat, expiresAt)));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}
