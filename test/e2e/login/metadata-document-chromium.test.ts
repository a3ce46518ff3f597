/**
 * End to end (issue 16 "Done when"): an unregistered client whose `client_id` is the https URL of
 * its Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document) completes
 * authorization code + PKCE with openid-client while real headless Chromium signs in and consents;
 * the consent page shows the client's name with the document's origin. The document is served
 * over HTTPS on loopback with the test certificate (`clients.fetchCaFile`).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { codeRequest } from '../support/openid.js';
import {
  ALICE,
  type CallbackApp,
  type E2eTessera,
  PASSWORD,
  startCallbackApp,
  startE2eTessera,
} from '../support/tessera.js';

const TLS = '../../../packages/server/test/fixtures/tls/';
const CERT = fileURLToPath(new URL(`${TLS}cert.pem`, import.meta.url));
const KEY = fileURLToPath(new URL(`${TLS}key.pem`, import.meta.url));

describe.skipIf(!chromiumAvailable())('a Client ID Metadata Document client in Chromium', () => {
  let tessera: E2eTessera;
  let issuer: string;
  let app: CallbackApp;
  let appUrl: string;
  let documents: HttpsServer;
  let clientId: string;
  let browser: Browser;

  beforeAll(async () => {
    // The client's own callback endpoint: it only has to exist for the browser to land on.
    app = await startCallbackApp('back at the agent');
    appUrl = app.url;

    documents = createHttpsServer(
      { cert: readFileSync(CERT), key: readFileSync(KEY) },
      (request, response) => {
        if (request.url !== '/agent/client.json') {
          response.writeHead(404).end();
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(
          JSON.stringify({
            client_id: clientId,
            client_name: 'Demo Agent',
            redirect_uris: [`${appUrl}/callback`],
            token_endpoint_auth_method: 'none',
            grant_types: ['authorization_code'],
          }),
        );
      },
    );
    documents.listen(0, '127.0.0.1');
    await once(documents, 'listening');
    clientId = `https://127.0.0.1:${(documents.address() as AddressInfo).port}/agent/client.json`;

    tessera = await startE2eTessera({
      overrides: {
        'clients.metadataDocuments': true,
        'clients.allowPrivateJwksUri': true,
        'clients.fetchCaFile': CERT,
        'clients.unregisteredScope': 'openid profile',
      },
    });
    issuer = tessera.issuer;
    await tessera.admin('POST', '/admin/users', ALICE);

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    app?.close();
    documents?.closeAllConnections();
    documents?.close();
    await tessera?.close();
  });

  it('draft §4 — never registered, the client gets tokens; consent names it with its origin', {
    timeout: 120_000,
  }, async () => {
    const config = await oidc.discovery(new URL(issuer), clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata().client_id_metadata_document_supported).toBe(true);

    const request = await codeRequest(config, {
      redirectUri: `${appUrl}/callback`,
      scope: 'openid profile',
      nonce: false,
    });

    const page = await (await browser.newContext()).newPage();
    await page.goto(request.url.href);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${issuer}/consent?**`);
    expect(await page.textContent('main')).toContain(`Demo Agent (${new URL(clientId).origin})`);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${appUrl}/callback?**`);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), request.checks);
    expect(tokens.claims()?.aud).toBe(clientId);
    expect(tokens.access_token).toBeTruthy();
  });
});
