/**
 * Continuous authentication (docs/risk.md): each request's client address and User-Agent are
 * compared with the issuance context a Tessera access token carries (`tctx`, from a sign-in
 * session with `risk.enabled`), using `@tessera/risk`'s token-use scoring: a few microseconds, no
 * call to the issuer. The policy allows, flags (reported to Tessera in batches, off the request
 * path), demands a step-up (401 `insufficient_user_authentication`, RFC 9470 §3) or refuses (401
 * `invalid_token`). A refusal is reported at once, and Tessera ends the
 * token's session, which its revocation stream carries to every verifier.
 *
 * Tokens without the claim (client credentials, API keys, `risk.enabled` off) are not checked,
 * nor are inputs that are only a header string (there is no address to compare).
 * `@tessera/risk` is loaded only when the option is given, so the verifier stays free of it otherwise.
 */
import { OAuthError } from '@tessera/protocol';
import type { TokenUseAction, TokenUseAssessment } from '@tessera/risk';
import { basicAuthorization } from './basic-authorization.js';
import type { RequestView, TokenSourceOptions } from './bearer.js';
import type { ClientCredentials } from './introspection.js';
import { unref } from './unref.js';
import type { VerifiedToken } from './verified-token.js';
import { VerifyError } from './verify-error.js';
import { extractFromInput, type VerifyInput } from './verify-input.js';

/**
 * The `continuousAuthentication` option of `createVerifier`.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, client, continuousAuthentication: { clientIp: (req) => req.header('x-real-ip') } });
 * ```
 */
export interface ContinuousAuthenticationOptions {
  /** The client's address for a request (behind a proxy: the one your proxy vouches for). */
  clientIp(request: Request | RequestView): string | undefined;
  /** Default: refuse a different network or client family, flag an unreadable context, else allow. */
  policy?: (assessment: TokenUseAssessment, token: VerifiedToken) => TokenUseAction;
  /** Report flags and refusals to Tessera (`POST <issuer>/risk/reports`, needs `client`). Default true. */
  report?: boolean;
}

export interface ContinuousAuthenticationDeps {
  options: ContinuousAuthenticationOptions;
  issuer: string;
  realm: string;
  sources: TokenSourceOptions;
  client: ClientCredentials | undefined;
  fetch: typeof fetch;
  onError?: ((error: unknown) => void) | undefined;
}

export interface ContinuousAuthentication {
  /** Checks a verified token against its request; throws a {@link VerifyError} on refusal. */
  check(input: VerifyInput, token: VerifiedToken): Promise<VerifiedToken>;
  /** Sends what is still queued. */
  close(): Promise<void>;
}

interface Report {
  token: string;
  action: 'flag' | 'refuse';
  factors: string[];
}

/** Flags wait this long to be sent together; a refusal sends the batch at once. */
const FLAG_BATCH_MS = 2000;
const MAX_BATCH = 100;

function headerOf(input: Request | RequestView, name: string): string | undefined {
  return typeof Request !== 'undefined' && input instanceof Request
    ? (input.headers.get(name) ?? undefined)
    : (input as RequestView).header(name);
}

export function createContinuousAuthentication(deps: ContinuousAuthenticationDeps): ContinuousAuthentication {
  const risk = import('@tessera/risk');
  const endpoint = `${deps.issuer.replace(/\/$/, '')}/risk/reports`;
  const reporting = deps.options.report !== false && deps.client !== undefined;
  let queue: Report[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function send(batch: Report[]): Promise<void> {
    const response = await deps.fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(deps.client as ClientCredentials),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ reports: batch }),
    });
    if (!response.ok) {
      throw new Error(`Tessera refused the risk reports: HTTP ${response.status}`);
    }
  }

  function flush(): Promise<void> {
    timer = undefined;
    const batch = queue;
    queue = [];
    return batch.length === 0
      ? Promise.resolve()
      : send(batch).catch((error: unknown) => deps.onError?.(error));
  }

  function enqueue(report: Report): void {
    queue.push(report);
    if (report.action === 'refuse' || queue.length >= MAX_BATCH) {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      timer = setTimeout(flush, 0);
    } else if (timer === undefined) {
      timer = setTimeout(flush, FLAG_BATCH_MS);
      unref(timer);
    }
  }

  async function check(input: VerifyInput, token: VerifiedToken): Promise<VerifiedToken> {
    const claim = token.claims.tctx;
    if (claim === undefined || input === undefined || typeof input === 'string') {
      return token;
    }
    const { assessTokenUse, defaultTokenUsePolicy } = await risk;
    const assessment = assessTokenUse(claim, {
      ip: deps.options.clientIp(input),
      userAgent: headerOf(input, 'user-agent'),
    });
    const action = (deps.options.policy ?? defaultTokenUsePolicy)(assessment, token);
    if (action === 'allow') {
      return token;
    }
    if (reporting) {
      const raw = (await extractFromInput(input, deps.sources))?.token;
      if (raw !== undefined) {
        enqueue({
          token: raw,
          // A step-up is told to Tessera as a flag: the session stays, the person signs in again.
          action: action === 'refuse' ? 'refuse' : 'flag',
          factors: assessment.factors.filter((f) => f.value > 0).map((f) => f.name),
        });
      }
    }
    if (action === 'step_up') {
      // RFC 9470 §3: the client is to obtain a token from a fresh sign-in.
      throw new VerifyError(
        OAuthError.insufficientUserAuthentication(
          'The access token is used from another network or client; a fresh sign-in is required',
        ),
        deps.realm,
      );
    }
    if (action === 'refuse') {
      throw new VerifyError(
        OAuthError.invalidToken(
          'The access token is used from another network or client than it was issued to',
        ),
        deps.realm,
      );
    }
    return token;
  }

  return {
    check,
    async close() {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      await flush();
    },
  };
}
