/**
 * A parser for the `text/event-stream` format (WHATWG HTML §9.2.6 "Parsing an event stream").
 * Fed text chunks as they arrive; emits each dispatched event. Comment lines (heartbeats) only
 * count as activity.
 */

/** One dispatched event. */
export interface ServerSentEvent {
  /** The `event:` field, `message` by default. */
  type: string;
  data: string;
  /** The last event id seen so far (the `Last-Event-ID` to resume from). */
  lastEventId: string;
}

/**
 * The parser.
 *
 * @example
 * ```ts
 * const parser = createEventStreamParser((event) => console.log(event.type, event.data));
 * parser.push('id: 7\nevent: revocation\ndata: {}\n\n');
 * ```
 */
export interface EventStreamParser {
  push(chunk: string): void;
  /** The id to send as `Last-Event-ID` on reconnect ('' before any). */
  readonly lastEventId: string;
}

/**
 * Creates a parser that calls `onEvent` for every complete event.
 *
 * @example
 * ```ts
 * const parser = createEventStreamParser(handle, '41'); // resume state from an earlier connection
 * ```
 */
export function createEventStreamParser(
  onEvent: (event: ServerSentEvent) => void,
  lastEventId = '',
): EventStreamParser {
  let buffer = '';
  let type = '';
  let data = '';
  let hasData = false;
  let id = lastEventId;
  let skipLf = false;

  function processLine(line: string): void {
    if (line.length === 0) {
      if (hasData) {
        onEvent({ type: type || 'message', data, lastEventId: id });
      }
      type = '';
      data = '';
      hasData = false;
      return;
    }
    if (line.startsWith(':')) {
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    switch (field) {
      case 'event':
        type = value;
        break;
      case 'data':
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) {
          id = value;
        }
        break;
      default:
        // `retry` and unknown fields: the consumer keeps its own backoff.
        break;
    }
  }

  return {
    push(chunk) {
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer[i];
        // The LF of a CRLF split across chunks (or not): the line already ended at the CR.
        if (char === '\n' && skipLf && i === start) {
          skipLf = false;
          start = i + 1;
          continue;
        }
        skipLf = false;
        if (char === '\n' || char === '\r') {
          processLine(buffer.slice(start, i));
          start = i + 1;
          skipLf = char === '\r';
        }
      }
      buffer = buffer.slice(start);
    },
    get lastEventId() {
      return id;
    },
  };
}
