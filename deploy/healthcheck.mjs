// The container's HEALTHCHECK: GET /healthz on this container's own port. With TLS terminated by
// Tessera (TESSERA_TLS_CERT set) it speaks https to 127.0.0.1, whose name the certificate does not
// carry, so only for this loopback probe the certificate is not verified. Exit 0 healthy, 1 not.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const tls = process.env.TESSERA_TLS_CERT !== undefined && process.env.TESSERA_TLS_CERT !== '';
const port = Number(process.env.TESSERA_PORT ?? '4000');
const request = tls ? httpsRequest : httpRequest;
const probe = request(
  { host: '127.0.0.1', port, path: '/healthz', method: 'GET', timeout: 3000, rejectUnauthorized: false },
  (response) => {
    response.resume();
    process.exit(response.statusCode === 200 ? 0 : 1);
  },
);
probe.on('timeout', () => probe.destroy(new Error('timeout')));
probe.on('error', () => process.exit(1));
probe.end();
