/**
 * `npm run risk:bench-token-use`: the cost of one continuous-authentication check as
 * `@tessera/verify` runs it (`assessTokenUse` and the default policy), p50 and p99 over 200,000
 * requests from varying addresses, after a warm-up.
 */
import { assessTokenUse, createTokenContext, defaultTokenUsePolicy } from '../token-context.js';

const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const claim = createTokenContext({ ip: '81.2.69.10', userAgent: UA });
const n = 200_000;
const micros = new Float64Array(n);
for (let i = 0; i < 20_000; i += 1) {
  defaultTokenUsePolicy(assessTokenUse(claim, { ip: `81.2.${i % 256}.9`, userAgent: UA }));
}
for (let i = 0; i < n; i += 1) {
  const started = process.hrtime.bigint();
  defaultTokenUsePolicy(assessTokenUse(claim, { ip: `81.2.${i % 256}.9`, userAgent: UA }));
  micros[i] = Number(process.hrtime.bigint() - started) / 1000;
}
micros.sort();
const at = (q: number) => (micros[Math.floor(n * q)] ?? 0).toFixed(1);
console.log(
  `token-use check (assessTokenUse + default policy): p50 ${at(0.5)} µs, p99 ${at(0.99)} µs, n=${n}`,
);
