/**
 * Which answers count (issue 18): only a 2xx whose body holds what a success holds. A 401, a 429 or
 * a 200 `{"valid":false}` is cheaper than the real work and must never inflate a figure. Pure, so
 * `bench/test/harness.test.ts` checks it.
 */

/** A tally of one run: `ok` answers count towards the throughput, `unexpected` are 2xx without the body. */
export function createAnswerTally(expect) {
  const tally = {
    ok: 0,
    unexpected: 0,
    reset() {
      tally.ok = 0;
      tally.unexpected = 0;
    },
    count(status, body) {
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
 * Why a run of a scenario that expects only successes failed, or undefined: any non-2xx answer,
 * socket error, timeout or 2xx without the expected body.
 */
export function failureOf(out, expect) {
  const bad = out.non2xx + out.errors + out.timeouts + out.unexpected;
  if (bad === 0) {
    return undefined;
  }
  return `${bad} non-2xx/errors/unexpected bodies (${JSON.stringify(out.statusCodes)}, ${out.unexpected} 2xx without ${expect})`;
}
