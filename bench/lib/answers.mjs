/**
 * Which answers count (issue 18): only a 2xx whose body holds what a success holds. A 401, a 429 or
 * a 200 `{"valid":false}` is cheaper than the real work and must never inflate a figure. Pure, so
 * `bench/test/harness.test.ts` checks it.
 *
 * `expect` is either a substring of a successful 2xx body (`"access_token"`), or, for a sign-in
 * (whose success is a redirect, not a 2xx), `{ status, location, refusals? }`: only that status
 * with that `Location` counts; a status listed in `refusals` (the flood scenario's 503 and 429) is
 * tallied apart as a refusal, never as a success; any other answer is unexpected.
 */

function headerOf(headers, name) {
  if (headers === undefined || headers === null) {
    return undefined;
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) {
      return Array.isArray(value) ? value[0] : value;
    }
  }
  return undefined;
}

/** True when `expect` describes a redirect (a sign-in) rather than a 2xx body. */
export function expectsStatus(expect) {
  return typeof expect === 'object' && expect !== null && typeof expect.status === 'number';
}

/**
 * A tally of one run: `ok` answers count towards the throughput, `unexpected` are answers a
 * success-only run must not see, `refused` are the refusals a flood expects.
 */
export function createAnswerTally(expect) {
  const tally = {
    ok: 0,
    unexpected: 0,
    refused: 0,
    reset() {
      tally.ok = 0;
      tally.unexpected = 0;
      tally.refused = 0;
    },
    count(status, body, headers) {
      if (expectsStatus(expect)) {
        if (status === expect.status && headerOf(headers, 'location') === expect.location) {
          tally.ok += 1;
        } else if ((expect.refusals ?? []).includes(status)) {
          tally.refused += 1;
        } else {
          tally.unexpected += 1;
        }
        return;
      }
      if (status < 200 || status > 299) {
        return;
      }
      if (expect === undefined || (typeof body === 'string' && body.includes(expect))) {
        tally.ok += 1;
      } else {
        tally.unexpected += 1;
      }
    },
  };
  return tally;
}

/**
 * Why a run of a scenario failed, or undefined: any non-2xx answer (for a sign-in: any answer
 * other than its redirect or a listed refusal), socket error, timeout, 2xx without the expected
 * body, a token of a use-once pool sent twice (`reused`: the pool was too small for the run), or
 * no answer at all.
 */
export function failureOf(out, expect) {
  const redirect = expectsStatus(expect);
  const reused = out.reused ?? 0;
  const bad = (redirect ? 0 : out.non2xx) + out.errors + out.timeouts + out.unexpected + reused;
  if (bad === 0) {
    // A run in which nothing answered at all measured nothing (a server stalled by a flood).
    return out.total === 0 ? 'no answer at all during the run' : undefined;
  }
  const wanted = redirect
    ? `${out.unexpected} answers other than ${expect.status} → ${expect.location}${(expect.refusals ?? []).length > 0 ? ` or ${expect.refusals.join('/')}` : ''}`
    : `${out.unexpected} 2xx without ${expect}`;
  return `${bad} non-2xx/errors/unexpected bodies (${JSON.stringify(out.statusCodes)}, ${wanted}${reused > 0 ? `, ${reused} requests reused a use-once token: pool too small` : ''})`;
}
