/**
 * The console's audit log page (issue "Admin console", audit log): `/console/audit` reads
 * `GET /admin/audit` through the BFF proxy with the operator's token; a GET form filters by event,
 * actor, subject and time and keeps what was typed; a time it cannot read is refused with the form
 * kept, anything the admin API refuses is shown with its reason; values are escaped; "Older events"
 * keeps the filters; the CSV and JSON exports hold the filtered events; a read-only operator reads
 * and exports, an operator without `audit:read` is told the role does not allow it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_READ_SCOPES } from '../../src/tokens/admin-tokens/scopes.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { consoleOperator } from '../support/console.js';
import { Browser } from '../support/login.js';

const ISSUER = 'http://localhost:9';
/** 2026-03-01T00:00:00Z */
const T0 = 1_772_323_200;

let t: TestServer;
let ada: Browser;

/** A browser signed in to /console as an operator with `scopes` (password + authenticator app). */
const operator = (username: string, scopes: string[]) => consoleOperator(t, ISSUER, username, scopes);

/** The page's text without tags and break opportunities. */
function text(body: string): string {
  return body.replaceAll('<wbr>', '');
}

beforeAll(async () => {
  t = await bootstrap({ issuer: ISSUER });
  const event = (type: string, actor: string, subject: string | null, at: number, data = {}) =>
    t.store.appendAudit({ type, actor, subject, at, data, requestId: null });
  await event('probe.created', 'adt_alpha', 'cli_one', T0, { name: 'One', scopes: ['read'] });
  await event('probe.deleted', 'adt_alpha', 'cli_one', T0 + 86_400);
  await event('probe.created', 'usr_beta', '<script>alert(1)</script>', T0 + 2 * 86_400, {
    note: '"quoted" & <b>bold</b>',
  });
  await event('probe.formula', 'system', '=HYPERLINK("http://evil.example")', T0 + 3 * 86_400);
  ada = await operator('ada', ['admin']);
}, 60_000);

afterAll(async () => {
  await t.close();
});

describe('/console/audit', () => {
  it('lists events newest first, escaped, and filters by event, actor, subject and time with the form kept', async () => {
    const all = await ada.get('/console/audit');
    expect(all.statusCode, all.body.slice(0, 600)).toBe(200);
    expect(all.headers['content-security-policy']).toContain("default-src 'none'");
    expect(all.headers['content-security-policy']).not.toContain('script-src');
    expect(all.body).toContain('aria-current="page">Audit log</a>');
    const page = text(all.body);
    expect(page).toContain('probe.created<br>2026-03-03T00:00:00Z');
    expect(page).toContain('<code>adt_alpha</code><br>→ <code>cli_one</code>');
    expect(page).toContain('name: One; scopes: [&#34;read&#34;]');
    expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('note: &#34;quoted&#34; &#38; &#60;b&#62;bold&#60;/b&#62;');
    expect(page.indexOf('probe.formula')).toBeLessThan(page.indexOf('probe.deleted'));

    const created = text((await ada.get('/console/audit?type=probe.created')).body);
    expect(created).toContain('value="probe.created"');
    expect(created).toContain('usr_beta');
    expect(created).not.toContain('probe.deleted');
    const byActor = text((await ada.get('/console/audit?actor=adt_alpha&type=probe.deleted')).body);
    expect(byActor).toContain('cli_one');
    expect(byActor).not.toContain('probe.created<br>');
    const bySubject = text((await ada.get('/console/audit?subject=cli_one')).body);
    expect((bySubject.match(/<tr><td>probe\./g) ?? []).length).toBe(2);
    // A date alone is its whole UTC day; both ends inclusive.
    const day = text(
      (await ada.get('/console/audit?since=2026-03-02&until=2026-03-03&type=probe.created')).body,
    );
    expect(day).toContain('usr_beta');
    expect(day).not.toContain('adt_alpha</code>');
    const zoned = text(
      (
        await ada.get(
          `/console/audit?since=${encodeURIComponent('2026-03-02T01:00:00+01:00')}&actor=adt_alpha`,
        )
      ).body,
    );
    expect(zoned).toContain('probe.deleted');
    expect(zoned).not.toContain('probe.created<br>');
  });

  it('says what is wrong with a time, or with what the admin API refused, and keeps what was typed', async () => {
    const bad = await ada.get('/console/audit?since=yesterday&actor=adt_alpha&until=2026-02-30');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('role="alert"');
    expect(bad.body).toContain('From and To: give a date (2026-03-01)');
    expect(bad.body).toContain('value="yesterday"');
    expect(bad.body).toContain('value="2026-02-30"');
    expect(bad.body).toContain('value="adt_alpha"');
    const reversed = await ada.get('/console/audit?since=2026-03-05&until=2026-03-01');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.body).toContain('From is after To');
    const long = await ada.get(`/console/audit?actor=${'a'.repeat(300)}`);
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('Invalid actor');
    expect(long.body).toContain(`value="${'a'.repeat(300)}"`);
  });

  it('pages through older events with the filters kept', async () => {
    for (let i = 0; i < 51; i++) {
      await t.store.appendAudit({
        type: 'probe.paged',
        actor: i === 0 ? 'usr_first' : 'usr_other',
        subject: null,
        at: T0 + i,
        data: {},
        requestId: null,
      });
    }
    const first = await ada.get('/console/audit?type=probe.paged');
    expect(text(first.body)).not.toContain('usr_first');
    const next = /<a href="([^"]+)">Older events<\/a>/.exec(first.body)?.[1]?.replaceAll('&#38;', '&');
    expect(next).toContain('type=probe.paged');
    const second = await ada.get(String(next));
    expect(text(second.body)).toContain('usr_first');
    expect(second.body).not.toContain('Older events');
  });

  it('exports the filtered events as CSV (formulas neutralised) and as JSON', async () => {
    const page = await ada.get('/console/audit?type=probe.formula');
    expect(page.body).toContain('href="/console/audit/export.csv?type=probe.formula" download');
    const csv = await ada.get('/console/audit/export.csv?type=probe.formula');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="tessera-audit.csv"');
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe('id,time,at,type,actor,subject,request_id,data');
    expect(lines[1]).toMatch(
      /^\d+,2026-03-04T00:00:00Z,1772582400,probe\.formula,system,"'=HYPERLINK\(""http:\/\/evil\.example""\)",,{}$/,
    );
    expect(lines.slice(2)).toEqual(['']);
    const json = await ada.get('/console/audit/export.json?actor=adt_alpha');
    expect(json.headers['content-disposition']).toBe('attachment; filename="tessera-audit.json"');
    expect(json.json<{ items: { type: string }[] }>().items.map((item) => item.type)).toEqual([
      'probe.deleted',
      'probe.created',
    ]);
    const bad = await ada.get('/console/audit/export.csv?until=soon');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('value="soon"');
  });

  it('a read-only operator reads and exports; without audit:read the role does not allow it; signed out goes to sign-in', async () => {
    const lin = await operator('lin', [...ADMIN_READ_SCOPES]);
    expect((await lin.get('/console/audit?type=probe.created')).statusCode).toBe(200);
    expect((await lin.get('/console/audit/export.json?type=probe.created')).statusCode).toBe(200);
    const sam = await operator('sam', ['users:read', 'clients:read']);
    for (const path of ['/console/audit', '/console/audit/export.csv']) {
      const refused = await sam.get(path);
      expect(refused.statusCode, path).toBe(403);
      expect(refused.body).toContain('Your admin role does not allow this.');
    }
    const anonymous = await new Browser(t).get('/console/audit/export.csv');
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/console/auth/login?returnTo=%2Faudit');
  });
});
