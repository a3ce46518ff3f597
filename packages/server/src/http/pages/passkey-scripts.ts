/**
 * The page scripts of passkeys, served as files under `/assets/` (the pages' CSP allows
 * `script-src 'self'` and no inline script), and the `@simplewebauthn/browser` bundle, read from
 * node_modules once and served by Tessera itself (no CDN).
 *
 * Both scripts read their ceremony options from a `data-options` attribute the server rendered (the
 * sign-in script, on a page without one, fetches them from `data-options-url` when the button is
 * pressed), and their status lines, in the page's language, from `data-*` attributes of the same form; run
 * the ceremony, and submit the response in an ordinary form post with the CSRF token.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const WEBAUTHN_BUNDLE_PATH = '/assets/webauthn-browser.js';
export const PASSKEY_SIGN_IN_PATH = '/assets/passkey-sign-in.js';
export const PASSKEY_REGISTER_PATH = '/assets/passkey-register.js';

let bundle: string | undefined;

/** The UMD bundle of `@simplewebauthn/browser` (defines `window.SimpleWebAuthnBrowser`). */
export function webAuthnBrowserBundle(): string {
  if (bundle === undefined) {
    // The package's export map hides dist/; its entry point sits beside it.
    const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
    bundle = readFileSync(join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
  }
  return bundle;
}

/**
 * Sign-in: a "Sign in with a passkey" button (shown when the browser has WebAuthn) and conditional
 * mediation (WebAuthn L3 §5.1.4.1: passkeys offered in the username field's autofill).
 */
export const PASSKEY_SIGN_IN_SCRIPT = `(function () {
  'use strict';
  var lib = window.SimpleWebAuthnBrowser;
  var form = document.getElementById('passkey-form');
  var button = document.getElementById('passkey-button');
  var status = document.getElementById('passkey-status');
  if (!lib || !form || !button || !lib.browserSupportsWebAuthn()) {
    return;
  }
  var given = form.getAttribute('data-options');
  // A page that refused a sign-in under load carries no ceremony: one is fetched when asked for.
  function ceremony() {
    if (given !== null) {
      return Promise.resolve(JSON.parse(given));
    }
    var body = new URLSearchParams();
    body.set('csrf_token', form.elements.namedItem('csrf_token').value);
    return fetch(form.getAttribute('data-options-url'), { method: 'POST', credentials: 'same-origin', body: body })
      .then(function (answer) {
        if (!answer.ok) {
          throw new Error('passkey options: ' + answer.status);
        }
        return answer.json();
      })
      .then(function (made) {
        form.elements.namedItem('state').value = made.state;
        return made.options;
      });
  }
  function submit(response) {
    form.elements.namedItem('response').value = JSON.stringify(response);
    form.submit();
  }
  function failed(error) {
    if (error && error.name === 'AbortError') {
      return;
    }
    status.textContent = form.getAttribute('data-failed');
  }
  button.hidden = false;
  button.addEventListener('click', function () {
    status.textContent = '';
    ceremony()
      .then(function (options) {
        return lib.startAuthentication({ optionsJSON: options });
      })
      .then(submit, failed);
  });
  if (given === null) {
    return;
  }
  lib.browserSupportsWebAuthnAutofill().then(function (supported) {
    if (supported && document.querySelector("input[autocomplete$='webauthn']")) {
      lib.startAuthentication({ optionsJSON: JSON.parse(given), useBrowserAutofill: true }).then(submit, function () {});
    }
  });
})();
`;

/** Registration on the account page: the form's submit runs the ceremony first. */
export const PASSKEY_REGISTER_SCRIPT = `(function () {
  'use strict';
  var lib = window.SimpleWebAuthnBrowser;
  var form = document.getElementById('passkey-register');
  var status = document.getElementById('passkey-register-status');
  if (!form) {
    return;
  }
  if (!lib || !lib.browserSupportsWebAuthn()) {
    status.textContent = form.getAttribute('data-unsupported');
    return;
  }
  var options = JSON.parse(form.getAttribute('data-options'));
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    status.textContent = '';
    lib.startRegistration({ optionsJSON: options }).then(function (response) {
      form.elements.namedItem('response').value = JSON.stringify(response);
      form.submit();
    }, function (error) {
      status.textContent = form.getAttribute(
        error && error.name === 'InvalidStateError' ? 'data-duplicate' : 'data-failed'
      );
    });
  });
})();
`;
