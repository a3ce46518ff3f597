/**
 * `/console/signing-keys`: list, rotate and pull through the admin API (`/admin/signing-keys`) via
 * the BFF proxy with the person's token. A form post is checked for its origin first.
 */
import type { FastifyInstance } from 'fastify';
import { sendPage } from '../pages/layout.js';
import { formOf } from '../plugins/form-body.js';
import { type ConsoleContext, sendApiRefusal, textOf } from './console-context.js';
import { renderSigningKeys, type SigningKeyRow } from './signing-key-pages.js';

export function registerSigningKeyPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { api } = ctx;

  scope.get('/signing-keys', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/signing-keys');
    if (typeof person !== 'string') {
      return person;
    }
    const keys = await api(request, 'GET', '/signing-keys');
    if (keys.status !== 200) {
      return sendApiRefusal(reply, keys, 'The list');
    }
    return sendPage(reply, {
      title: 'Signing keys',
      body: renderSigningKeys({
        keys: (keys.body.items as SigningKeyRow[] | undefined) ?? [],
        canWrite: await ctx.canWrite(request, person, 'signing_keys'),
      }),
      wide: true,
    });
  });

  scope.post('/signing-keys/rotate', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/signing-keys');
    if (typeof person !== 'string') {
      return person;
    }
    const now = textOf(formOf(request), 'now') === 'true';
    const rotated = await api(request, 'POST', '/signing-keys/rotate', { now });
    return rotated.status === 201
      ? reply.redirect('/console/signing-keys', 303)
      : sendApiRefusal(reply, rotated, 'The key');
  });

  scope.post('/signing-keys/:kid/revoke', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/signing-keys');
    if (typeof person !== 'string') {
      return person;
    }
    const kid = (request.params as { kid: string }).kid;
    // A replacement signs at once, so pulling the only signer never stops token issuance.
    const pulled = await api(request, 'POST', `/signing-keys/${encodeURIComponent(kid)}/revoke`, {
      rotate: true,
    });
    return pulled.status === 200
      ? reply.redirect('/console/signing-keys', 303)
      : sendApiRefusal(reply, pulled, 'This signing key');
  });
}
