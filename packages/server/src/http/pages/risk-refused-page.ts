/**
 * What a person sees when risk-based sign-in refuses them (users/login-risk.ts): plain HTML, no
 * script. The page says why and what to do; it names no factor (an attacker learns nothing).
 */
import type { FastifyReply } from 'fastify';
import { html, sendPage } from './layout.js';

export type RiskRefusal = 'deny' | 'no_second_factor';

export function sendRiskRefusal(reply: FastifyReply, refusal: RiskRefusal, accountUrl: string): FastifyReply {
  if (refusal === 'deny') {
    return sendPage(reply, {
      title: 'Sign-in refused',
      status: 403,
      body: html`<h1>Sign-in refused</h1>
<p role="alert">This sign-in was refused because it looks very unlike your earlier ones (the network, the device or the browser), so it may not be you.</p>
<p>If it was you, sign in again from a network and device you have used before. If you keep seeing this, contact your administrator. If it was not you, change your password from <a href="${accountUrl}">your account page</a> on a device you trust.</p>`,
    });
  }
  return sendPage(reply, {
    title: 'Sign-in needs a second step',
    status: 403,
    body: html`<h1>Sign-in needs a second step</h1>
<p role="alert">This sign-in comes from a network or device your account has not used before, so it must be confirmed with a passkey or an authenticator app, and your account has neither. You are not signed in.</p>
<p>Sign in from a device and network you have used before, add a passkey or an authenticator app on <a href="${accountUrl}">your account page</a>, then try again from here. If you cannot, contact your administrator.</p>`,
  });
}
