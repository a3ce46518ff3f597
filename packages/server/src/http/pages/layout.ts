/**
 * The frame of every server-rendered page (login, consent, errors, logout, account): plain HTML, no
 * inline script (a page may load same-origin script files, then `script-src 'self'` allows them),
 * readable on a phone, with every dynamic value escaped. Pages get their own strict CSP: the one
 * inline style sheet is allowed by its hash, nothing may frame them (RFC 9700 §4.16 clickjacking),
 * and forms may post only here (and be redirected to the client's redirect URI).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A fragment of trusted HTML (built only by these templates). */
export interface Html {
  readonly html: string;
}

export function raw(html: string): Html {
  return { html };
}

/** Tagged template: interpolated strings are escaped, {@link Html} values and arrays are kept. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return { html: out };
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) {
    return '';
  }
  if (Array.isArray(value)) {
    return value.map(render).join('');
  }
  if (typeof value === 'object' && 'html' in value) {
    return String((value as Html).html);
  }
  return escapeHtml(String(value));
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1f;background:#f4f4f6}
main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{width:100%;padding:.65rem;font-size:1rem;border:1px solid #8a8a94;border-radius:.3rem}
input:focus,button:focus{outline:3px solid #3d6de0;outline-offset:1px}
button{margin-top:1.25rem;width:100%;padding:.75rem;font-size:1rem;font-weight:600;border:0;border-radius:.3rem;background:#2554c7;color:#fff;cursor:pointer}
button.secondary{background:#e4e4ea;color:#1b1b1f}
.error{background:#fde8e8;color:#8a1010;padding:.6rem .75rem;border-radius:.3rem}
ul{padding-left:1.2rem}
.muted{color:#55555f;font-size:.9rem}
main.wide{max-width:46rem}
nav{margin:0 0 1rem;font-size:.95rem}nav a{margin-right:.9rem}
section{border-top:1px solid #e4e4ea;padding-top:.5rem;margin-top:1.25rem}
h2{font-size:1.1rem;margin:.5rem 0}
table{width:100%;border-collapse:collapse;font-size:.92rem}td,th{text-align:left;padding:.35rem .3rem;border-bottom:1px solid #eee;vertical-align:top}
td form{margin:0}td button,form.inline button{margin-top:0;width:auto;padding:.35rem .7rem;font-size:.9rem}
.ok{background:#e6f4ea;color:#0d5323;padding:.6rem .75rem;border-radius:.3rem}
code.secret{display:block;word-break:break-all;background:#f4f4f6;padding:.5rem;border-radius:.3rem}
@media (max-width:28rem){main{margin:0;border-radius:0;min-height:100vh}}
`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** `form-action` source for a redirect URI: its origin, or its scheme for a native-app URI. */
export function sourceOf(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
  } catch {
    return undefined;
  }
}

export interface PageOptions {
  title: string;
  body: Html;
  status?: number;
  /** Extra `form-action` sources: where this page's form may end up after redirects. */
  formTargets?: string[];
  /** Same-origin scripts (served files, never inline) the page loads, in order. */
  scripts?: string[];
  /** The page's scripts fetch from this origin (`connect-src 'self'`; the wallet sign-in's nonce). */
  connectSelf?: boolean;
  /** A wider frame (the account page). */
  wide?: boolean;
}

/** Sends a page with the headers every page carries. */
export function sendPage(reply: FastifyReply, options: PageOptions): FastifyReply {
  const targets = (options.formTargets ?? []).map(sourceOf).filter((s): s is string => s !== undefined);
  const csp = [
    "default-src 'none'",
    `style-src 'sha256-${STYLE_HASH}'`,
    "img-src 'self' data:",
    ...(options.connectSelf === true ? ["connect-src 'self'"] : []),
    ...(options.scripts === undefined || options.scripts.length === 0 ? [] : ["script-src 'self'"]),
    `form-action 'self'${targets.map((t) => ` ${t}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title}</title>
<style>${raw(STYLE)}</style>
${(options.scripts ?? []).map(
  (src) => html`<script src="${src}" defer></script>
`,
)}</head>
<body>
<main${options.wide === true ? html` class="wide"` : ''}>
${options.body}
</main>
</body>
</html>
`;
  return reply
    .code(options.status ?? 200)
    .header('content-security-policy', csp)
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(page.html);
}
