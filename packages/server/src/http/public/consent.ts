/**
 * `GET /consent` shows what the client asks for, in words; `POST /consent` records the decision:
 * CSRF token → interaction → the signed-in session → Allow (remembered per client and scope) or
 * Deny (`access_denied` back to the client, RFC 6749 §4.1.2.1).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { renderConsentPage } from '../pages/consent-page.js';
import { sendPage } from '../pages/layout.js';
import { t } from '../pages/texts/index.js';
import { formOf, single } from '../plugins/form-body.js';
import { csrfFailure } from './login.js';
import { clientOf, type LoginFlowDeps, openInteraction, pageUrl, proceed } from './login-flow.js';

export function registerConsent(app: FastifyInstance, deps: LoginFlowDeps): void {
  app.get('/consent', { config: { page: true } }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const sealed = typeof query.interaction === 'string' ? query.interaction : undefined;
    const interaction = openInteraction(deps, request, sealed);
    const client = await clientOf(deps, request, interaction);
    const session = await deps.sessions.resolve(deps.cookies.sessionSecret(request));
    if (session === undefined) {
      return reply
        .code(303)
        .header('location', pageUrl(deps, 'login', sealed ?? ''))
        .send();
    }
    return sendPage(reply, {
      title: t('consent.title'),
      formTargets: [interaction.request.redirectUri],
      uiLocales: interaction.request.uiLocales,
      body: renderConsentPage({
        // draft-ietf-oauth-client-id-metadata-document §6: show where an unregistered client's
        // name comes from, so a document cannot pass itself off as another application.
        clientName:
          client.source === 'metadata_document'
            ? `${client.name} (${new URL(client.id).origin})`
            : client.name,
        username: session.user.username,
        scope: interaction.request.scope,
        interaction: sealed ?? '',
        csrfToken: deps.cookies.csrfSecret(request, reply),
      }),
    });
  });

  app.post('/consent', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    if (!deps.cookies.checkCsrf(request, single(body, 'csrf_token'))) {
      throw csrfFailure();
    }
    const sealed = single(body, 'interaction');
    const interaction = openInteraction(deps, request, sealed);
    const client = await clientOf(deps, request, interaction);
    const session = await deps.sessions.resolve(deps.cookies.sessionSecret(request));
    if (session === undefined) {
      return reply
        .code(303)
        .header('location', pageUrl(deps, 'login', sealed ?? ''))
        .send();
    }
    const decision = single(body, 'decision');
    if (decision !== 'allow') {
      deps.audit.record({
        type: 'consent.denied',
        actor: session.user.id,
        subject: client.id,
        data: {},
        requestId: request.id,
      });
      throw OAuthError.accessDenied('The user denied the request', { redirectable: true });
    }
    await deps.store.grantConsent(session.user.id, client.id, interaction.request.scope, deps.clock.now());
    deps.audit.record({
      type: 'consent.granted',
      actor: session.user.id,
      subject: client.id,
      data: { scope: interaction.request.scope },
      requestId: request.id,
    });
    return proceed(deps, request, reply, {
      request: interaction.request,
      client,
      session,
      consentGiven: true,
      interaction: { record: interaction, sealed: sealed ?? '' },
    });
  });
}
