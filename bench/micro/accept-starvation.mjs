/**
 * Why `flood.login` saw timeouts (docs/performance.md, 24.): a plain `node:http` server, nothing of
 * Tessera's, whose handler burns `burnMs` of CPU. `busy` keep-alive connections post back to back;
 * then `fresh` new connections each send one request. Node 20's libuv (1.46) accepts about one
 * connection per event-loop iteration, and each iteration serves every busy connection once, so the
 * fresh ones wait in the kernel's accept queue for seconds. Prints the fresh connections' latency
 * and how many the server had accepted every 0.5 s.
 *   taskset -c 1 node bench/micro/accept-starvation.mjs [busy=64] [fresh=128] [burnMs=2]
 */
import { fork } from 'node:child_process';
import http from 'node:http';

const [busy = '64', fresh = '128', burnMs = '2'] = process.argv.slice(2);

if (process.argv[2] === 'server') {
  const ms = Number(process.argv[3]);
  const burn = () => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // burn
    }
  };
  let accepted = 0;
  const server = http.createServer((_, res) => {
    burn();
    res.end('ok');
  });
  server.on('connection', () => {
    accepted += 1;
  });
  setInterval(() => process.send({ accepted }), 500);
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
} else {
  const child = fork(new URL(import.meta.url).pathname, ['server', burnMs]);
  const port = await new Promise((resolve) => child.on('message', (m) => m.port && resolve(m.port)));
  const accepts = [];
  child.on('message', (m) => m.accepted !== undefined && accepts.push(m.accepted));
  const get = (agent) =>
    new Promise((resolve) => {
      http
        .get({ host: '127.0.0.1', port, agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', resolve);
    });
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Number(busy) });
  let stop = false;
  const loops = Array.from({ length: Number(busy) }, async () => {
    while (!stop) {
      await get(keepAlive);
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const started = Date.now();
  const times = await Promise.all(
    Array.from({ length: Number(fresh) }, async () => {
      const t0 = Date.now();
      await get(new http.Agent({ keepAlive: false }));
      return Date.now() - t0;
    }),
  );
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      node: process.version,
      uv: process.versions.uv,
      busy: Number(busy),
      fresh: Number(fresh),
      burnMs: Number(burnMs),
      freshMs: { p50: times[times.length >> 1], max: times.at(-1) },
      allFreshServedInMs: Date.now() - started,
      acceptedEvery500ms: accepts,
    }),
  );
  stop = true;
  await Promise.all(loops);
  child.kill();
}
