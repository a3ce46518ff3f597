/** Revocation propagation latency: `revocation-client.mjs` against a running Tessera. */
import { join } from 'node:path';
import { BENCH_DIR, LOAD_CORE, runJsonChild } from './procs.mjs';
import { AUDIENCE, ISSUER } from './tessera.mjs';

export async function runRevocation(server, options) {
  const count = options.quick ? 200 : 1000;
  const out = await runJsonChild(
    join(BENCH_DIR, 'revocation-client.mjs'),
    {
      url: server.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      count,
      owner: server.ctx.jwtClients[0],
      resourceServer: server.ctx.resourceServer,
    },
    { cores: LOAD_CORE },
  );
  const note = `${out.count} revocations${out.missed > 0 ? `, ${out.missed} not seen within 5 s` : ''}, max ${out.max.toFixed(1)} ms`;
  return { value: out.count, unit: 'revocations', p50: out.p50, p99: out.p99, note, detail: out };
}
