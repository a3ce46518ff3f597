// A minimal external login page for Tessera (docs/customize.md, "An external login page").
// DEMO ONLY: it signs in whoever types a username, without a password. Yours checks a password,
// a company SSO, a magic link... and then does the same two calls.
//
//   TESSERA_URL=http://127.0.0.1:4000 TESSERA_ADMIN_TOKEN=… PORT=4100 node external-login.mjs
//
// and run Tessera with  login.externalUrl = http://127.0.0.1:4100/sign-in
import { createServer } from 'node:http';

const tessera = process.env.TESSERA_URL ?? 'http://127.0.0.1:4000';
const adminToken = process.env.TESSERA_ADMIN_TOKEN ?? '';
const port = Number(process.env.PORT ?? 4100);

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function admin(method, path, body) {
  const response = await fetch(tessera + path, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
  if (request.method === 'GET' && url.pathname === '/sign-in') {
    // 1. Tessera sent the person here with a login_challenge (a JWT; Tessera checks it, not us).
    const challenge = url.searchParams.get('login_challenge') ?? '';
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><title>Sign in</title><form method="post" action="/sign-in">
<input type="hidden" name="login_challenge" value="${escapeHtml(challenge)}">
<label>Username <input name="username" autofocus></label> <button>Sign in</button></form>`);
    return;
  }
  if (request.method === 'POST' && url.pathname === '/sign-in') {
    let raw = '';
    for await (const chunk of request) {
      raw += chunk;
    }
    const form = new URLSearchParams(raw);
    // 2. The person is known (here: by name only): find their Tessera user id ...
    const found = await admin(
      'GET',
      `/admin/users?username=${encodeURIComponent(form.get('username') ?? '')}`,
    );
    const user = found.json.items?.[0];
    if (user === undefined) {
      response.statusCode = 400;
      response.end('No such user');
      return;
    }
    // ... and accept the challenge for them; Tessera answers where to send the browser.
    const accepted = await admin('POST', '/admin/login/accept', {
      login_challenge: form.get('login_challenge'),
      user_id: user.id,
      amr: ['pwd'],
    });
    if (accepted.status !== 200) {
      response.statusCode = 400;
      response.end(`Tessera refused: ${accepted.json.error_description}`);
      return;
    }
    // 3. Back to Tessera, in the same browser: it signs the person in and continues the request.
    response.writeHead(303, { location: accepted.json.redirect_to }).end();
    return;
  }
  response.statusCode = 404;
  response.end();
});
server.listen(port, '127.0.0.1', () =>
  console.log(`external login page on http://127.0.0.1:${port}/sign-in`),
);
