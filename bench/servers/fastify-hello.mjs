/**
 * The ceiling: a bare Fastify hello-world with the same Fastify version Tessera uses, no logger,
 * no plugins. Whatever a route of Tessera does costs on top of this.
 * Usage: node servers/fastify-hello.mjs <port>; prints "ready <port>" when listening.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

const address = await app.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
process.stdout.write(`ready ${new URL(address).port}\n`);
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
