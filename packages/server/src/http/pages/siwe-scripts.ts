/**
 * The login page's Sign-In with Ethereum script, served under `/assets/` (no inline script).
 * It asks the wallet (EIP-1193 `window.ethereum`) for an account and its chain, gets a nonce for
 * this browser (and the address's EIP-55 form) from `/login/siwe/nonce`, builds the EIP-4361
 * message for this origin, has the wallet sign it (`personal_sign`, EIP-191) and posts the
 * message and signature in the form with the CSRF token. Its status lines, in the page's language,
 * come from the form's `data-no-wallet` and `data-failed` attributes.
 */
export const SIWE_SIGN_IN_PATH = '/assets/siwe-sign-in.js';

export const SIWE_SIGN_IN_SCRIPT = `(function () {
  'use strict';
  var form = document.getElementById('siwe-form');
  var button = document.getElementById('siwe-button');
  var status = document.getElementById('siwe-status');
  if (!form || !button) {
    return;
  }
  var wallet = window.ethereum;
  if (!wallet || typeof wallet.request !== 'function') {
    button.disabled = true;
    status.textContent = form.getAttribute('data-no-wallet');
    return;
  }
  function hexOf(text) {
    var bytes = new TextEncoder().encode(text);
    var out = '0x';
    for (var i = 0; i < bytes.length; i++) {
      out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    }
    return out;
  }
  function failed() {
    button.disabled = false;
    status.textContent = form.getAttribute('data-failed');
  }
  button.addEventListener('click', function () {
    status.textContent = '';
    button.disabled = true;
    var account;
    var chainId;
    wallet.request({ method: 'eth_requestAccounts' }).then(function (accounts) {
      account = accounts[0];
      return wallet.request({ method: 'eth_chainId' });
    }).then(function (chain) {
      chainId = parseInt(chain, 16);
      return fetch('/login/siwe/nonce?address=' + encodeURIComponent(account), { credentials: 'same-origin' });
    }).then(function (response) {
      if (!response.ok) {
        throw new Error('nonce');
      }
      return response.json();
    }).then(function (issued) {
      var message = location.host + ' wants you to sign in with your Ethereum account:\\n' +
        issued.address + '\\n\\n' +
        'Sign in to ' + location.host + '.\\n\\n' +
        'URI: ' + location.origin + '\\n' +
        'Version: 1\\n' +
        'Chain ID: ' + chainId + '\\n' +
        'Nonce: ' + issued.nonce + '\\n' +
        'Issued At: ' + new Date().toISOString();
      return wallet.request({ method: 'personal_sign', params: [hexOf(message), account] }).then(function (signature) {
        form.elements.namedItem('message').value = message;
        form.elements.namedItem('signature').value = signature;
        form.submit();
      });
    }).catch(failed);
  });
})();
`;
