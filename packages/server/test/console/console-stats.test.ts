/**
 * The console overview's usage charts (issue "Admin console"): the figures of `GET /admin/stats`
 * as tables (readable without script) and as `data-chart` series for uPlot, loaded as same-origin
 * files under a CSP with no inline script; a range switch (last hour, day, week); an operator
 * without `stats:read` still sees the clients and people.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form } from '../support/clients.js';
import { openConsole as openConsoleAs } from '../support/console.js';

const ISSUER = 'http://localhost:9';

let t: TestServer;

afterEach(async () => {
  await t.close();
});

/** Signs `username` in (password + authenticator app) and opens `path` in the console. */
const openConsole = (username: string, scopes: string[], path = '/console') =>
  openConsoleAs(t, ISSUER, username, scopes, path);

async function issueTokens(n: number) {
  const client = await createTestClient(t);
  for (let i = 0; i < n; i++) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ grant_type: 'client_credentials' }),
    });
    expect(response.statusCode).toBe(200);
  }
}

/** The decoded `data-chart` attribute of the chart whose heading id is `id`. */
function chartData(
  body: string,
  id: string,
): { buckets: number[]; series: { label: string; counts: number[] }[] } {
  const section = body.slice(body.indexOf(`id="${id}-h"`));
  const match = /data-chart="([^"]*)"/.exec(section);
  const text = (match?.[1] ?? '{}').replace(/&#(\d+);/g, (_, code: string) =>
    String.fromCharCode(Number(code)),
  );
  return JSON.parse(text);
}

describe('/console overview: usage charts', () => {
  it('shows tokens issued as a table and as uPlot series; scripts and styles are same-origin files, cached for a year', async () => {
    t = await bootstrap({ issuer: ISSUER });
    await issueTokens(3);
    const { browser, response } = await openConsole('ada', ['admin'], '/console?range=hour');
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
    const body = response.body;
    // Three client-credentials tokens, and the console's own sign-in (authorization code).
    expect(body).toContain('Tokens issued (4)');
    expect(body).toMatch(/<td><span class="swatch s0"><\/span>client_credentials<\/td><td>3<\/td>/);
    expect(body).toMatch(/<td><span class="swatch s1"><\/span>authorization_code<\/td><td>1<\/td>/);
    expect(body).toContain(
      'role="img" aria-label="Tokens issued, per minute: client_credentials 3, authorization_code 1"',
    );
    const data = chartData(body, 'tokens');
    expect(data.buckets).toHaveLength(60);
    expect(data.series.map((series) => series.label)).toEqual(['client_credentials', 'authorization_code']);
    expect(data.series[0]?.counts.reduce((a, b) => a + b, 0)).toBe(3);
    // The range switch marks the range shown.
    expect(body).toContain('<a href="/console?range=hour" aria-current="true">Last hour</a>');
    expect(body).toContain('<a href="/console?range=day">Last day</a>');
    // The clients and people are still there.
    expect(body).toContain('<h2 id="people-h">People');

    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/style-src 'sha256-[^']+' 'self'/);
    expect(body).not.toMatch(/<script(?![^>]*src=)/);
    const scripts = [...body.matchAll(/<script src="([^"]+)" defer><\/script>/g)].map((m) => m[1] ?? '');
    const styles = [...body.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1] ?? '');
    expect(scripts).toHaveLength(2);
    expect(styles).toHaveLength(2);
    expect(scripts[0]).toMatch(/^\/console\/assets\/uplot-[0-9a-f]{12}\.min\.js$/);
    for (const path of [...scripts, ...styles]) {
      const file = await browser.get(path);
      expect(file.statusCode, path).toBe(200);
      expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(file.headers['content-type']).toMatch(path.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
    }
    expect((await browser.get(scripts[0] ?? '')).body).toContain('uPlot');
    expect((await browser.get(scripts[1] ?? '')).body).toContain('data-chart');
  });

  it('the range defaults to the last day; an unknown range is a 400 page', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const { browser, response } = await openConsole('ada', ['admin']);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<a href="/console?range=day" aria-current="true">Last day</a>');
    expect(response.body).toContain(
      '<h2 id="risk-h">Risk decisions</h2>\n<p class="muted">None in the last day.</p>',
    );
    const refused = await browser.get('/console?range=month');
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Choose the last hour, day or week.');
  });

  it('an operator without stats:read sees the clients and people, a note instead of the figures, and no script', async () => {
    t = await bootstrap({ issuer: ISSUER });
    await issueTokens(1);
    const { response } = await openConsole('lin', ['clients:read', 'users:read']);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('does not include <code>stats:read</code>');
    expect(response.body).not.toContain('Tokens issued');
    expect(response.body).toContain('<h2 id="clients-h">Clients');
    expect(response.body).not.toContain('<script');
    expect(String(response.headers['content-security-policy'])).not.toContain('script-src');
  });
});
