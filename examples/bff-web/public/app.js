// The page never sees a token: it asks the BFF who is signed in, and calls the API through the
// BFF's /api proxy with its session cookie (sent automatically, HttpOnly, unreadable here).
// Every API call carries X-Requested-With, which the BFF requires (CSRF defence).

const $ = (id) => document.getElementById(id);

async function api(path, init = {}) {
  const response = await fetch(`/api${path}`, {
    ...init,
    credentials: 'same-origin',
    headers: { 'X-Requested-With': 'fetch', Accept: 'application/json', ...(init.headers ?? {}) },
  });
  if (response.status === 401) {
    const body = await response.json().catch(() => ({}));
    if (typeof body.login === 'string' && body.login.startsWith('/')) {
      // Step-up (RFC 9470): the API wants a stronger or fresher sign-in. The BFF says where to
      // send the person (with acr_values / max_age); a POST is not replayed: they click again.
      window.location.assign(`${body.login}&returnTo=%2F`);
      return undefined;
    }
    // The session ended (logout elsewhere, refresh token revoked): sign in again.
    window.location.assign('/auth/login?returnTo=%2F');
    return undefined;
  }
  return response;
}

async function loadCookies() {
  const response = await api('/cookies');
  if (response === undefined) {
    return;
  }
  const list = $('cookies');
  list.replaceChildren();
  if (!response.ok) {
    $('result').textContent = `The jar said ${response.status}.`;
    return;
  }
  const body = await response.json();
  // The cookie-jar example answers a count; other jars may list their cookies.
  if (typeof body.cookies === 'number') {
    $('result').textContent = `${body.cookies} cookies in the jar.`;
    return;
  }
  for (const cookie of body.cookies ?? []) {
    const item = document.createElement('li');
    item.textContent = String(cookie);
    list.append(item);
  }
  $('result').textContent = `Found ${list.children.length} cookies.`;
}

async function eatCookie(path = '/cookies/eat') {
  const response = await api(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({}),
  });
  if (response === undefined) {
    return;
  }
  if (!response.ok) {
    $('result').textContent = `The jar said ${response.status}.`;
    return;
  }
  const body = await response.json();
  $('result').textContent = typeof body.left === 'number' ? `Yum. ${body.left} left.` : 'Yum.';
}

async function start() {
  const session = await (await fetch('/auth/session', { credentials: 'same-origin' })).json();
  $('status').hidden = true;
  if (!session.authenticated) {
    $('signed-out').hidden = false;
    return;
  }
  $('user').textContent = session.user.name ?? session.user.preferred_username ?? session.user.sub;
  $('signed-in').hidden = false;
  $('load').addEventListener('click', loadCookies);
  $('eat').addEventListener('click', () => eatCookie());
  $('eat-last').addEventListener('click', () => eatCookie('/cookies/eat-last'));
}

start().catch((error) => {
  $('status').textContent = `Something went wrong: ${error.message}`;
});
