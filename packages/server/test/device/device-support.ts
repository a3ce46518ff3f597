/**
 * Helpers for the device-flow tests: a device client, starting a device authorization, polling
 * `/token`, and a cookie-keeping browser that enters the code on `/device`, signs in through the
 * normal login and answers the confirmation page.
 */
import type { NewClient } from '../../src/store/ports.js';
import type { TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { type Browser, hiddenFields, PASSWORD } from '../support/login.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface DeviceStart {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** A public device client (client_id only, RFC 8628 §3.1) that may refresh. */
export function createDeviceClient(t: TestServer, overrides: Partial<NewClient> = {}): Promise<TestClient> {
  return createTestClient(t, {
    name: 'Living Room TV',
    grantTypes: [DEVICE_GRANT, 'refresh_token'],
    scope: ['openid', 'offline_access', 'profile', 'read'],
    defaultScope: ['read'],
    audiences: ['https://api.example.com'],
    tokenEndpointAuthMethod: 'none',
    secrets: [],
    ...overrides,
  });
}

/** Authentication for a request: Basic for a confidential client, client_id for a public one. */
function authOf(client: TestClient): { headers: Record<string, string>; params: Record<string, string> } {
  return client.client.tokenEndpointAuthMethod === 'none'
    ? { headers: {}, params: { client_id: client.id } }
    : { headers: { authorization: client.basic }, params: {} };
}

export function requestDeviceAuthorization(
  t: TestServer,
  client: TestClient,
  params: Record<string, string | string[]> = {},
  headers: Record<string, string> = {},
) {
  const auth = authOf(client);
  return t.app.inject({
    method: 'POST',
    url: '/device_authorization',
    headers: { ...FORM, 'user-agent': 'LivingRoomTV/2.1 (webOS)', ...auth.headers, ...headers },
    payload: form({ ...auth.params, ...params }),
  });
}

export async function startDevice(
  t: TestServer,
  client: TestClient,
  params: Record<string, string | string[]> = {},
): Promise<DeviceStart> {
  const response = await requestDeviceAuthorization(t, client, params);
  if (response.statusCode !== 200) {
    throw new Error(`device authorization failed: ${response.body}`);
  }
  return response.json<DeviceStart>();
}

export function poll(t: TestServer, client: TestClient, deviceCode: string) {
  const auth = authOf(client);
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, ...auth.headers },
    payload: form({ grant_type: DEVICE_GRANT, device_code: deviceCode, ...auth.params }),
  });
}

/** Types the code on /device; returns the response to the form post. */
export async function enterCode(browser: Browser, userCode: string) {
  const page = await browser.get(`/device?user_code=${encodeURIComponent(userCode)}`);
  return browser.post('/device', { ...hiddenFields(page.body), user_code: userCode });
}

/**
 * The whole browser side: enter the code, follow to the confirmation (signing in as `username`
 * when asked), then Allow or Deny. Returns the final page.
 */
export async function verifyInBrowser(
  browser: Browser,
  userCode: string,
  options: { decision?: 'allow' | 'deny'; username?: string } = {},
) {
  let response = await enterCode(browser, userCode);
  for (let step = 0; step < 6; step++) {
    if (response.statusCode === 303) {
      response = await browser.get(String(response.headers.location));
      continue;
    }
    if (response.statusCode !== 200) {
      return response;
    }
    const fields = hiddenFields(response.body);
    if (response.body.includes('action="/login"')) {
      response = await browser.post('/login', {
        ...fields,
        username: options.username ?? 'alice',
        password: PASSWORD,
      });
    } else if (response.body.includes('action="/device/confirm"')) {
      return browser.post('/device/confirm', { ...fields, decision: options.decision ?? 'allow' });
    } else {
      return response;
    }
  }
  throw new Error('too many steps');
}
