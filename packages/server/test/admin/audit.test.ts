/**
 * `GET /admin/audit` (issue "Admin console", audit log): the audit log newest first, filtered by
 * actor, subject, event type and time (Unix seconds, RFC 3339 date-times, whole UTC days), paged by
 * cursor; as JSON or as RFC 4180 CSV with spreadsheet formulas neutralised; anything shaped like a
 * credential is blanked; bad values are 400 `invalid_request` naming the parameter; it needs
 * `audit:read`, which a read-only operator's scopes include.
 */
import { randomBytes } from 'node:crypto';
import { formatSecret } from '@tessera/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstant } from '../../src/http/admin/audit-query.js';
import { csvField, toAuditCsv } from '../../src/http/admin/audit-view.js';
import { ADMIN_READ_SCOPES } from '../../src/tokens/admin-tokens/scopes.js';
import { runCommonRouteTests } from '../support/admin-routes.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

/** 2026-03-01T00:00:00Z */
const T0 = 1_772_323_200;

interface View {
  id: number;
  at: number;
  time: string;
  type: string;
  actor: string;
  subject: string | null;
  data: Record<string, unknown>;
  request_id: string | null;
}

/** A strict RFC 4180 reader (quoted fields, doubled quotes, CRLF records), independent of the writer. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"' && field === '') {
      i++;
      while (!(text[i] === '"' && text[i + 1] !== '"')) {
        if (i >= text.length) {
          throw new Error('unterminated quote');
        }
        field += text[i] === '"' ? '"' : text[i];
        i += text[i] === '"' ? 2 : 1;
      }
      i++;
    } else if (text[i] === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (text.startsWith('\r\n', i)) {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      expect(text[i], 'a bare quote, CR or LF outside quotes').not.toMatch(/["\r\n]/);
      field += text[i];
      i++;
    }
  }
  expect(field === '' && record.length === 0, 'the last record ends with CRLF').toBe(true);
  return records;
}

let t: TestServer;
let reader: { authorization: string };

async function tokenWith(scopes: string[]): Promise<{ authorization: string; id: string }> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/admin/admin-tokens',
    headers: t.adminHeaders,
    payload: { name: 'audit test', scopes },
  });
  expect(response.statusCode, response.body).toBe(201);
  const body = response.json<{ token: string; id: string }>();
  return { authorization: `Bearer ${body.token}`, id: body.id };
}

async function list(query: string, headers = reader) {
  return t.app.inject({ method: 'GET', url: `/admin/audit${query}`, headers });
}

async function items(query: string): Promise<View[]> {
  const response = await list(query);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ items: View[] }>().items;
}

beforeAll(async () => {
  t = await bootstrap({}, { startSeconds: T0 + 10 * 86_400 });
  const event = (type: string, actor: string, subject: string | null, at: number, data = {}) =>
    t.store.appendAudit({ type, actor, subject, at, data, requestId: `req-${at}` });
  await event('probe.one', 'adt_alpha', 'cli_a', T0);
  await event('probe.two', 'adt_alpha', 'cli_b', T0 + 3600);
  await event('probe.one', 'usr_beta', 'cli_a', T0 + 86_400);
  await event('probe.two', 'usr_beta', 'cli_b', T0 + 86_400 + 1);
  await event('probe.one', 'system', null, T0 + 2 * 86_400);
  const r = await tokenWith(['audit:read']);
  reader = { authorization: r.authorization };
});

afterAll(async () => {
  await t.close();
});

describe('GET /admin/audit', () => {
  it('lists newest first and filters by actor, subject, type and time, each exactly', async () => {
    const probes = (await items('?limit=100')).filter((item) => item.type.startsWith('probe.'));
    expect(probes.map((item) => item.at)).toEqual([
      T0 + 2 * 86_400,
      T0 + 86_400 + 1,
      T0 + 86_400,
      T0 + 3600,
      T0,
    ]);
    expect(probes[4]).toEqual({
      id: expect.any(Number),
      at: T0,
      time: '2026-03-01T00:00:00Z',
      type: 'probe.one',
      actor: 'adt_alpha',
      subject: 'cli_a',
      data: {},
      request_id: `req-${T0}`,
    });
    expect((await items('?actor=adt_alpha')).map((item) => item.at)).toEqual([T0 + 3600, T0]);
    expect((await items('?actor=adt_alph')).length).toBe(0);
    expect((await items('?subject=cli_a&type=probe.one')).map((item) => item.actor)).toEqual([
      'usr_beta',
      'adt_alpha',
    ]);
    expect((await items('?type=probe.two&actor=usr_beta')).map((item) => item.subject)).toEqual(['cli_b']);
    // Unix seconds, RFC 3339 with an offset, and a date alone (its whole UTC day), all inclusive.
    expect((await items(`?type=probe.one&since=${T0 + 86_400}`)).length).toBe(2);
    expect((await items(`?type=probe.two&until=${T0 + 3600}`)).map((item) => item.at)).toEqual([T0 + 3600]);
    const offset = encodeURIComponent('2026-03-01T02:00:00+01:00');
    expect((await items(`?actor=adt_alpha&since=${offset}`)).map((item) => item.at)).toEqual([T0 + 3600]);
    expect((await items('?actor=usr_beta&since=2026-03-02&until=2026-03-02')).length).toBe(2);
    expect((await items('?actor=adt_alpha&until=2026-03-01T00:59:59.5Z')).map((item) => item.at)).toEqual([
      T0,
    ]);
  });

  it('records what an admin token did under its id, so the actor filter finds it', async () => {
    const writer = await tokenWith(['clients:write']);
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { authorization: writer.authorization },
      payload: { name: 'Audited' },
    });
    expect(created.statusCode).toBe(201);
    const clientId = created.json<{ client_id: string }>().client_id;
    await t.audit.flush();
    const mine = await items(`?actor=${writer.id}`);
    expect(mine.map((item) => item.type).sort()).toEqual(['admin.request', 'client.created']);
    expect(mine.find((item) => item.type === 'client.created')?.subject).toBe(clientId);
    // The client's secret is not in the log, only its display start.
    const secret = created.json<{ client_secret: string }>().client_secret;
    expect(JSON.stringify(mine)).not.toContain(secret);
  });

  it('pages with a cursor, each event exactly once, the filters kept', async () => {
    const seen: number[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const response = await list(
        `?subject=cli_a&limit=1${next === undefined ? '' : `&cursor=${encodeURIComponent(next)}`}`,
      );
      const body = response.json<{ items: View[]; next?: string }>();
      seen.push(...body.items.map((item) => item.at));
      next = body.next;
      pages++;
    } while (next !== undefined && pages < 10);
    expect(seen).toEqual([T0 + 86_400, T0]);
  });

  it('answers CSV (RFC 4180) with formulas neutralised and the next page in a Link header', async () => {
    const subject = 'cli_csv';
    const nasty = [
      '=HYPERLINK("http://evil.example","x")',
      '+1',
      '-2+3',
      '@SUM(A1)',
      'a,b',
      'say "hi"\r\nbye',
    ];
    for (const [i, type] of nasty.entries()) {
      await t.store.appendAudit({
        type,
        actor: 'system',
        subject,
        at: T0 + i,
        data: { n: i },
        requestId: null,
      });
    }
    const response = await list(`?subject=${subject}&format=csv&limit=3`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(response.headers['content-disposition']).toBe('attachment; filename="tessera-audit.csv"');
    // An RFC 4180 reader gives back each field as written (apart from the formula quote).
    const records = parseCsv(response.body);
    expect(records[0]).toEqual(['id', 'time', 'at', 'type', 'actor', 'subject', 'request_id', 'data']);
    expect(records.slice(1).map((record) => record.slice(1))).toEqual([
      ['2026-03-01T00:00:05Z', String(T0 + 5), 'say "hi"\r\nbye', 'system', subject, '', '{"n":5}'],
      ['2026-03-01T00:00:04Z', String(T0 + 4), 'a,b', 'system', subject, '', '{"n":4}'],
      ['2026-03-01T00:00:03Z', String(T0 + 3), "'@SUM(A1)", 'system', subject, '', '{"n":3}'],
    ]);
    expect(response.body).toContain(`,"say ""hi""\r\nbye",system,cli_csv,,"{""n"":5}"\r\n`);
    expect(response.body.endsWith('\r\n')).toBe(true);
    const link = /^<([^>]+)>; rel="next"$/.exec(String(response.headers.link))?.[1] ?? '';
    expect(link).toMatch(/^\/admin\/audit\?subject=cli_csv&format=csv&limit=3&cursor=/);
    const second = await t.app.inject({ method: 'GET', url: link, headers: reader });
    expect(
      parseCsv(second.body)
        .slice(1)
        .map((record) => record[3]),
    ).toEqual(["'-2+3", "'+1", '\'=HYPERLINK("http://evil.example","x")']);
    expect(second.headers.link).toBeUndefined();
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('plain')).toBe('plain');
    expect(toAuditCsv([])).toBe('id,time,at,type,actor,subject,request_id,data\r\n');
  });

  it('blanks anything shaped like a minted credential or a JWT, wherever it sits in an event', async () => {
    const key = formatSecret('key', randomBytes(32));
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJl';
    await t.store.appendAudit({
      type: 'probe.leak',
      actor: 'system',
      subject: `see ${key}`,
      at: T0,
      data: { note: `pasted ${key}`, nested: [{ token: jwt }], start: key.slice(0, 14) },
      requestId: null,
    });
    const [item] = await items('?type=probe.leak');
    expect(JSON.stringify(item)).not.toContain(key.slice(8));
    expect(JSON.stringify(item)).not.toContain(jwt);
    expect(item?.subject).toBe('see tsr_key_[redacted]');
    expect(item?.data).toEqual({
      note: 'pasted tsr_key_[redacted]',
      nested: [{ token: '[redacted JWT]' }],
      start: key.slice(0, 14),
    });
    const csv = await list('?type=probe.leak&format=csv');
    expect(csv.body).not.toContain(key.slice(8));
  });

  it('refuses bad values with 400 invalid_request naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['?since=yesterday', /^since must be Unix seconds, an RFC 3339 date-time/],
      ['?until=2026-02-30', /^until must be/],
      ['?since=2026-03-01T24:00:00Z', /^since must be/],
      ['?since=2026-03-01T10:00:00', /^since must be/],
      ['?since=2026-03-01%2010:00:00Z', /^since must be/],
      [`?since=${T0 + 10}&until=${T0}`, /^since is after until/],
      ['?limit=0', /^limit must be 1 to 100/],
      ['?limit=many', /^limit must be 1 to 100/],
      ['?format=xml', /^format must be json or csv/],
      ['?actor=', /^Invalid actor/],
      ['?actor=a&actor=b', /^Invalid actor/],
      [`?type=${'t'.repeat(129)}`, /^Invalid type: give it once, at most 128 characters/],
      [`?since=${'1'.repeat(65)}`, /^Invalid since: give it once, at most 64 characters/],
      ['?who=me', /^Unknown query parameter who/],
      ['?cursor=garbage', /^Invalid cursor/],
    ];
    for (const [query, description] of cases) {
      const response = await list(query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json<{ error: string }>().error, query).toBe('invalid_request');
      expect(response.json<{ error_description: string }>().error_description, query).toMatch(description);
    }
  });

  it('needs audit:read (403 without it); a read-only role holds it; it is in the OpenAPI document', async () => {
    const other = await tokenWith(['clients:read', 'risk:read']);
    const refused = await list('', other);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['www-authenticate']).toContain('scope="audit:read"');
    expect(ADMIN_READ_SCOPES).toContain('audit:read');
    const readOnly = await tokenWith([...ADMIN_READ_SCOPES]);
    expect((await list('?limit=1', readOnly)).statusCode).toBe(200);
    const writeOnly = await tokenWith(['audit:write']);
    expect((await list('?limit=1', writeOnly)).statusCode).toBe(200);
    const openapi = await t.app.inject({ method: 'GET', url: '/admin/openapi.json', headers: reader });
    const operation = openapi.json<{
      paths: Record<string, { get?: { tags: string[]; responses: Record<string, { content: object }> } }>;
    }>().paths['/admin/audit']?.get;
    expect(operation?.tags).toEqual(['audit']);
    expect(Object.keys(operation?.responses['200']?.content ?? {})).toEqual(['application/json', 'text/csv']);
  });

  it('parses instants: seconds, RFC 3339 (offsets, fractions, leap second) and days', () => {
    expect(parseInstant(String(T0), false)).toBe(T0);
    expect(parseInstant('2026-03-01T00:00:00Z', false)).toBe(T0);
    expect(parseInstant('2026-03-01t00:00:00z', false)).toBe(T0);
    expect(parseInstant('2026-02-28T19:00:00-05:00', false)).toBe(T0);
    expect(parseInstant('2026-03-01T00:00:00.25Z', false)).toBe(T0 + 1);
    expect(parseInstant('2026-03-01T00:00:00.25Z', true)).toBe(T0);
    expect(parseInstant('2026-02-28T23:59:60Z', false)).toBe(T0 - 1);
    expect(parseInstant('2026-03-01', false)).toBe(T0);
    expect(parseInstant('2026-03-01', true)).toBe(T0 + 86_399);
    for (const bad of [
      '2026-13-01',
      '2026-02-29',
      '2026-03-01T00:60:00Z',
      '2026-03-01T00:00:00+24:00',
      '-5',
      '1e9',
      '',
    ]) {
      expect(parseInstant(bad, false), bad).toBeUndefined();
    }
  });
});

describe('GET /admin/audit: the checks every admin route passes', () => {
  runCommonRouteTests({
    setup: async () => ({}),
    snapshot: async (server) => server.store.listAudit({ type: 'client.created', limit: 100 }),
    routes: [{ name: 'GET /admin/audit', method: 'GET', url: () => '/admin/audit' }],
  });
});
