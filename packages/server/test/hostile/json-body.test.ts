/**
 * JSON bodies are UTF-8 and their strings Unicode (RFC 8259 §8.1: "JSON text exchanged between
 * systems that are not part of a closed ecosystem MUST be encoded using UTF-8"; §8.2: strings with
 * unpaired surrogates are ones whose parsing behaviour is unpredictable). Fastify's own parser
 * decoded with replacement, so a client created with a name of invalid bytes, or of an escaped lone
 * surrogate, was stored and shown as U+FFFD: not what was sent, and no error said so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

let t: TestServer;

beforeAll(async () => {
  t = await bootstrap();
});
afterAll(async () => {
  await t.close();
});

async function clientNames(): Promise<string[]> {
  const listed = await t.app.inject({ method: 'GET', url: '/admin/clients', headers: t.adminHeaders });
  expect(listed.statusCode).toBe(200);
  return listed.json().items.map((client: { name: string }) => client.name);
}

function createClient(body: Buffer) {
  return t.app.inject({
    method: 'POST',
    url: '/admin/clients',
    headers: { ...t.adminHeaders, 'content-type': 'application/json' },
    payload: body,
  });
}

describe('RFC 8259 §8.1–8.2: a JSON body that is not UTF-8, or holds a lone surrogate, is refused and writes nothing', () => {
  it.each([
    [
      'bytes that are not UTF-8 in a string',
      Buffer.from([...Buffer.from('{"name":"x'), 0xff, 0xfe, ...Buffer.from('"}')]),
    ],
    [
      'an overlong encoding of "/"',
      Buffer.from([...Buffer.from('{"name":"x'), 0xc0, 0xaf, ...Buffer.from('"}')]),
    ],
    [
      'a surrogate encoded as UTF-8 bytes (CESU)',
      Buffer.from([...Buffer.from('{"name":"x'), 0xed, 0xa0, 0x80, ...Buffer.from('"}')]),
    ],
    ['an escaped lone high surrogate', Buffer.from('{"name":"x\\ud800"}')],
    [
      'an escaped lone low surrogate in a member name',
      Buffer.from('{"name":"x","metadata":{"k\\uDC00":"v"}}'),
    ],
    ['a high surrogate followed by a second high one', Buffer.from('{"name":"x\\ud83d\\ud83d"}')],
  ])('%s → 400 invalid_request, no client written', async (_case, body) => {
    const before = await clientNames();
    const response = await createClient(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
    expect(await clientNames()).toEqual(before);
  });

  it('UTF-8 text, an escaped surrogate pair and a leading byte order mark are accepted as sent', async () => {
    for (const [body, name] of [
      [Buffer.from('{"name":"Zoë 😀 ✓"}'), 'Zoë 😀 ✓'],
      [Buffer.from('{"name":"pair \\ud83d\\ude00"}'), 'pair 😀'],
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"with bom"}')]), 'with bom'],
    ] as const) {
      const response = await createClient(body);
      expect(response.statusCode, response.body).toBe(201);
      expect(response.json().name).toBe(name);
    }
    expect(await clientNames()).toEqual(expect.arrayContaining(['Zoë 😀 ✓', 'pair 😀', 'with bom']));
  });

  it('what Fastify refused before is still refused: prototype poisoning, an empty or broken body', async () => {
    for (const body of [
      '{"__proto__":{"x":1},"name":"p"}',
      '{"constructor":{"prototype":{"x":1}},"name":"c"}',
      '',
      '{"name":',
    ]) {
      const response = await createClient(Buffer.from(body));
      expect(response.statusCode, body).toBe(400);
      expect(response.json().error).toBe('invalid_request');
    }
  });
});
