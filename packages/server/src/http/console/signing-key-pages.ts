/**
 * The console's signing keys page: the timeline of keys (upcoming, active, retired), rotate (the new
 * key signs after the usual overlap, or at once), and pull a compromised key (a replacement signs at
 * once; every token it signed is refused).
 */
import { type Html, html } from '../pages/layout.js';
import { consoleNav } from './console-pages.js';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  status: string;
  activates_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

/** A long id that may break across lines at 390 px (`<wbr>`: copying still gives the whole id). */
function breakable(id: string): Html {
  return html`${(id.match(/.{1,12}/g) ?? []).map((part, i) => (i === 0 ? part : html`<wbr>${part}`))}`;
}

function time(seconds: number | null): string {
  return seconds === null ? 'not scheduled' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function renderSigningKeys(input: { keys: readonly SigningKeyRow[]; canWrite: boolean }): Html {
  return html`${consoleNav('/console/signing-keys')}
<h1>Signing keys</h1>
<table><thead><tr><th scope="col">Key</th><th scope="col">Timeline</th></tr></thead><tbody>
${input.keys.map(
  (key) =>
    html`<tr><td><code>${breakable(key.kid)}</code><br>${key.alg} · ${key.status}</td><td>signs from ${time(key.activates_at)}<br>retires ${time(key.retired_at)}${
      input.canWrite
        ? html`<br><a href="/console/signing-keys/${encodeURIComponent(key.kid)}/confirm-pull" aria-label="Pull (compromised) key ${key.kid}">Pull (compromised)</a>`
        : ''
    }</td></tr>\n`,
)}</tbody></table>
${
  input.canWrite
    ? html`<section aria-labelledby="rotate-h">
<h2 id="rotate-h">Rotate</h2>
<form method="post" action="/console/signing-keys/rotate" class="inline"><button type="submit" class="secondary">Rotate after the overlap</button></form>
<form method="post" action="/console/signing-keys/rotate" class="inline"><input type="hidden" name="now" value="true"><button type="submit" class="secondary">Rotate now</button></form>
</section>`
    : html`<p class="muted">Your admin role can look at signing keys, not change them.</p>`
}`;
}
