import { describe, expect, it } from 'vitest';
import { createEventStreamParser, type ServerSentEvent } from './sse.js';

describe('WHATWG HTML §9.2.6 event stream parsing', () => {
  it('dispatches on a blank line; keeps id, type and multi-line data; skips comments', () => {
    const events: ServerSentEvent[] = [];
    const parser = createEventStreamParser((event) => events.push(event));
    parser.push(': heartbeat\n\nid: 7\nevent: revocation\ndata: {"a":\ndata: 1}\n\n');
    expect(events).toEqual([{ type: 'revocation', data: '{"a":\n1}', lastEventId: '7' }]);
    expect(parser.lastEventId).toBe('7');
  });

  it('handles chunks split anywhere, CRLF and CR line ends', () => {
    const events: ServerSentEvent[] = [];
    const parser = createEventStreamParser((event) => events.push(event));
    const text = 'id: 1\r\ndata: x\r\n\r\nid: 2\rdata: y\r\r';
    for (const char of text) {
      parser.push(char);
    }
    expect(events.map((event) => [event.lastEventId, event.data])).toEqual([
      ['1', 'x'],
      ['2', 'y'],
    ]);
  });

  it('an event without data is not dispatched; an id survives to the next event', () => {
    const events: ServerSentEvent[] = [];
    const parser = createEventStreamParser((event) => events.push(event), '3');
    parser.push('id: 4\n\nevent: ready\ndata: {}\n\n');
    expect(events).toEqual([{ type: 'ready', data: '{}', lastEventId: '4' }]);
  });
});
