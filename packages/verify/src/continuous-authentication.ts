/**
 * Continuous authentication (docs/risk.md): each request's client address and User-Agent are
 * compared with the issuance context a Tessera access token carries (`tctx`, from a sign-in
 * session with `risk.enabled`), using `@tessera/risk`'s token-use scoring: a few microseconds, no
 * call to the issuer. The policy allows, flags (reported to Tessera in batches, off the request
 * path), demands a step-up (401 `insufficient_user_authentication`, RFC 9470 §3) or refuses (401
 * `invalid_token`). A refusal is reported at once, and Tessera ends the
 * token's session, which its revocation stream carries to every verifier. Every other use of a
 * session's token is reported too, in the same batches, as compact facts (time, a network digest
 * salted with the session id, the endpoint, `sid` and `jti`; no token, no address): Tessera scores
 * each session's stream and may end the session or demand a step-up for it (an OpenID CAEP
 * `assurance-level-change` on the revocation stream). Since a use carries no token, each batch
 * proves every session its uses name with the most recent access token of it the verifier saw
 * (`proofs`, one per `sid`, held only until the batch is sent); Tessera ignores unproven uses.
 * A batch Tessera answers 503 (its store failed; also 429, 502, 504, or no answer) is kept and sent
 * again unchanged, after 2 s doubling up to 60 s, at most 10 batches kept (the oldest dropped,
 * reported through `onError`): Tessera recognises a session's uses it already scored and does not
 * count them twice.
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
import type { AuthenticationRequirement } from './require-authentication.js';
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
  /** Report flags, refusals and uses to Tessera (`POST <issuer>/risk/reports`, needs `client`). Default true. */
  report?: boolean;
  /**
   * The endpoint a request uses, as reported to Tessera for the session's endpoint mix: a route
   * pattern (`GET /users/:id`), not a path with ids in it. Default: the method and the URL's path.
   */
  endpoint?: (request: Request | RequestView) => string | undefined;
  /**
   * What a `step_up` asks of the new sign-in (RFC 9470 §3 `acr_values`, `max_age`).
   * Default `{ acr: 'urn:tessera:acr:mfa' }`.
   */
  stepUp?: AuthenticationRequirement;
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

/** One use of a session's token, as `POST /risk/reports` takes it. */
interface Use {
  sid: string;
  jti: string | undefined;
  at: number;
  network: string;
  endpoint: string;
}

/** Flags and uses wait this long to be sent together; a refusal sends the batch at once. */
const FLAG_BATCH_MS = 2000;
const MAX_BATCH = 100;
const MAX_USES = 1000;
const DEFAULT_STEP_UP: AuthenticationRequirement = { acr: 'urn:tessera:acr:mfa' };
/** A batch Tessera could not take now is sent again after this, doubling up to MAX_RETRY_MS. */
const RETRY_MS = 2000;
const MAX_RETRY_MS = 60_000;
/** Batches kept to send again (each at most MAX_BATCH reports and MAX_USES uses). */
const MAX_PENDING = 10;
/** Answers that mean "not now": the batch was not taken, or not all of it, and is sent again. */
const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

function endpointOf(input: Request | RequestView): string {
  let path = '';
  try {
    path = new URL(input.url ?? '', 'http://x').pathname;
  } catch {
    path = '';
  }
  return `${input.method ?? 'GET'} ${path}`.slice(0, 256);
}

/** RFC 9470 §3 challenge parameters for a requirement. */
function challengeOf(needs: AuthenticationRequirement): { acrValues?: string; maxAge?: number } {
  const acr = needs.acr === undefined ? [] : typeof needs.acr === 'string' ? [needs.acr] : [...needs.acr];
  return {
    ...(acr.length === 0 ? {} : { acrValues: acr.join(' ') }),
    ...(needs.maxAge === undefined ? {} : { maxAge: needs.maxAge }),
  };
}

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
  let uses: Use[] = [];
  /** Per `sid` of the queued uses, its most recent token: at most one per use, sent with them. */
  let proofs = new Map<string, string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Batches answered 503 (or 429, 502, 504, or not answered): sent again, oldest first. */
  const pending: string[] = [];
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryDelay = RETRY_MS;
  /** One pass over the kept batches at a time (a timer and close() may both start one). */
  let retrying = false;
  let closed = false;

  function bodyOf(batch: { reports: Report[]; uses: Use[]; proofs: Map<string, string> }): string {
    return JSON.stringify({
      reports: batch.reports,
      uses: batch.uses,
      proofs: Object.fromEntries(batch.proofs),
    });
  }

  /** Sends one batch; true when it should be sent again later (Tessera busy or unreachable). */
  async function post(body: string): Promise<boolean> {
    let response: Response;
    try {
      response = await deps.fetch(endpoint, {
        method: 'POST',
        headers: {
          authorization: basicAuthorization(deps.client as ClientCredentials),
          'content-type': 'application/json',
        },
        body,
      });
    } catch (error) {
      deps.onError?.(error);
      return true;
    }
    if (response.ok) {
      return false;
    }
    deps.onError?.(new Error(`Tessera refused the risk reports: HTTP ${response.status}`));
    return RETRIED_STATUSES.has(response.status);
  }

  /** Keeps a batch to send again, the same body (Tessera does not count a session's uses twice). */
  function keep(body: string): void {
    pending.push(body);
    if (pending.length > MAX_PENDING) {
      pending.shift();
      deps.onError?.(
        new Error('risk reports: too many batches waiting to be sent again; the oldest dropped'),
      );
    }
    if (retryTimer === undefined && !closed) {
      retryTimer = setTimeout(retry, retryDelay);
      unref(retryTimer);
    }
  }

  /** Sends the kept batches in order; stops at the first that must wait again (backing off). */
  async function retry(): Promise<void> {
    retryTimer = undefined;
    if (retrying) {
      return;
    }
    retrying = true;
    try {
      await sendKept();
    } finally {
      retrying = false;
    }
  }

  async function sendKept(): Promise<void> {
    while (pending.length > 0) {
      const body = pending[0] as string;
      if (await post(body)) {
        retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
        if (!closed) {
          clearTimeout(retryTimer);
          retryTimer = setTimeout(retry, retryDelay);
          unref(retryTimer);
        }
        return;
      }
      pending.shift();
    }
    retryDelay = RETRY_MS;
  }

  async function flush(): Promise<void> {
    timer = undefined;
    const batch = { reports: queue, uses, proofs };
    queue = [];
    uses = [];
    proofs = new Map();
    if (batch.reports.length === 0 && batch.uses.length === 0) {
      return;
    }
    const body = bodyOf(batch);
    if (await post(body)) {
      keep(body);
    }
  }

  function schedule(now: boolean): void {
    if (now) {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      timer = setTimeout(flush, 0);
    } else if (timer === undefined) {
      timer = setTimeout(flush, FLAG_BATCH_MS);
      unref(timer);
    }
  }

  function enqueue(report: Report): void {
    queue.push(report);
    schedule(report.action === 'refuse' || queue.length >= MAX_BATCH);
  }

  function enqueueUse(use: Use, token: string): void {
    uses.push(use);
    proofs.set(use.sid, token);
    schedule(uses.length >= MAX_USES);
  }

  async function check(input: VerifyInput, token: VerifiedToken): Promise<VerifiedToken> {
    const claim = token.claims.tctx;
    if (claim === undefined || input === undefined || typeof input === 'string') {
      return token;
    }
    const { assessTokenUse, defaultTokenUsePolicy, usageNetwork } = await risk;
    const ip = deps.options.clientIp(input);
    const assessment = assessTokenUse(claim, { ip, userAgent: headerOf(input, 'user-agent') });
    const action = (deps.options.policy ?? defaultTokenUsePolicy)(assessment, token);
    const sid = token.claims.sid;
    const isUse = action !== 'refuse' && typeof sid === 'string';
    // The token itself: a report carries it, and it proves the session of a use.
    const raw =
      reporting && (isUse || action !== 'allow')
        ? (await extractFromInput(input, deps.sources))?.token
        : undefined;
    if (raw !== undefined && isUse) {
      enqueueUse(
        {
          sid,
          jti: typeof token.claims.jti === 'string' ? token.claims.jti : undefined,
          at: Date.now(),
          network: usageNetwork(sid, ip),
          endpoint: deps.options.endpoint?.(input) ?? endpointOf(input),
        },
        raw,
      );
    }
    if (action === 'allow') {
      return token;
    }
    if (raw !== undefined) {
      enqueue({
        token: raw,
        // A step-up is told to Tessera as a flag: the session stays, the person signs in again.
        action: action === 'refuse' ? 'refuse' : 'flag',
        factors: assessment.factors.filter((f) => f.value > 0).map((f) => f.name),
      });
    }
    if (action === 'step_up') {
      // RFC 9470 §3: the client is to obtain a token from a fresh sign-in.
      throw new VerifyError(
        OAuthError.insufficientUserAuthentication(
          'The access token is used from another network or client; a fresh sign-in is required',
          challengeOf(deps.options.stepUp ?? DEFAULT_STEP_UP),
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
      closed = true;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      if (retryTimer !== undefined) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
      }
      await flush();
      // One last try for the kept batches; what still fails is reported through onError.
      await retry();
      if (pending.length > 0) {
        deps.onError?.(new Error(`risk reports: ${pending.length} batches not sent before close`));
      }
    },
  };
}
