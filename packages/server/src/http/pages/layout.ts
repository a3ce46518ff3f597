/**
 * The frame of every server-rendered page (login, consent, errors, logout, account): plain HTML, no
 * inline script (a page may load same-origin script files, then `script-src 'self'` allows them),
 * readable on a phone, with every dynamic value escaped. Pages get their own strict CSP: the one
 * inline style sheet is allowed by its hash, nothing may frame them (RFC 9700 §4.16 clickjacking),
 * and forms may post only here (and be redirected to the client's redirect URI).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { negotiateLocale } from './locale.js';
import { DEFAULT_LOOK, type PageLook } from './page-look.js';
import { isText, lookUp, type Text, t } from './texts/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The operator's brand, theme and texts (page-look.ts), set by app.ts. */
    pageLook?: PageLook;
  }
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A fragment of trusted HTML (built only by these templates): markup, and texts looked up in the
 * page's language when the frame sends it.
 */
export interface Html {
  readonly parts: ReadonlyArray<string | Text>;
}

export function raw(html: string): Html {
  return { parts: [html] };
}

/**
 * Tagged template: interpolated strings are escaped, {@link Html} values and arrays are kept, a
 * {@link Text} is looked up (and escaped) in the page's language.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const parts: Array<string | Text> = [strings[0] ?? ''];
  values.forEach((value, i) => {
    collect(value, parts);
    parts.push(strings[i + 1] ?? '');
  });
  return { parts };
}

function collect(value: unknown, parts: Array<string | Text>): void {
  if (value === undefined || value === null || value === false) {
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      collect(item, parts);
    }
  } else if (typeof value === 'object' && 'parts' in value) {
    parts.push(...(value as Html).parts);
  } else if (isText(value)) {
    parts.push(value);
  } else {
    parts.push(escapeHtml(String(value)));
  }
}

/** The markup of `fragment` with its texts in `dictionary` (escaped: an override cannot add markup). */
export function renderHtml(fragment: Html, dictionary: Readonly<Record<string, string>>): string {
  return fragment.parts
    .map((part) => (typeof part === 'string' ? part : escapeHtml(lookUp(dictionary, part))))
    .join('');
}

/** Words for a page: fixed text, or a text looked up in the page's language. */
export type Words = string | Text;

/**
 * The built-in style sheet. Colours are variables, set for the light scheme and, when the browser
 * prefers it, the dark one (Media Queries 5 `prefers-color-scheme`); every text/background pair
 * meets WCAG 2.2 AA (4.5:1, held by layout.test.ts). An operator's theme.css sets the same variables.
 */
export const STYLE = `
:root{color-scheme:light dark;--bg:#f4f4f6;--fg:#1b1b1f;--card:#ffffff;--muted:#55555f;--border:#8a8a94;--line:#e4e4ea;--accent:#2554c7;--accent-fg:#ffffff;--focus:#3d6de0;--secondary-bg:#e4e4ea;--secondary-fg:#1b1b1f;--error-bg:#fde8e8;--error-fg:#8a1010;--ok-bg:#e6f4ea;--ok-fg:#0d5323;--link:#2554c7}
@media (prefers-color-scheme:dark){:root{--bg:#121216;--fg:#e8e8ec;--card:#1d1d23;--muted:#b4b4be;--border:#8a8a94;--line:#34343e;--accent:#9db9ff;--accent-fg:#0b1330;--focus:#9db9ff;--secondary-bg:#34343e;--secondary-fg:#e8e8ec;--error-bg:#3d1414;--error-fg:#ffb8b8;--ok-bg:#11301b;--ok-fg:#a6e3b5;--link:#a9c1ff}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:var(--card);border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
header.brand,footer.links{max-width:26rem;margin:1.5rem auto -1rem;display:flex;align-items:center;gap:.6rem;font-weight:600}
header.brand img{max-height:2.5rem;max-width:12rem}
footer.links{margin:-1rem auto 2rem;font-weight:400;font-size:.9rem;padding:0 .25rem}
h1{font-size:1.4rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{width:100%;padding:.65rem;font-size:1rem;border:1px solid var(--border);border-radius:.3rem;background:var(--card);color:var(--fg)}
input:focus,button:focus{outline:3px solid var(--focus);outline-offset:1px}
button{margin-top:1.25rem;width:100%;padding:.75rem;font-size:1rem;font-weight:600;border:0;border-radius:.3rem;background:var(--accent);color:var(--accent-fg);cursor:pointer}
button.secondary{background:var(--secondary-bg);color:var(--secondary-fg)}
.error{background:var(--error-bg);color:var(--error-fg);padding:.6rem .75rem;border-radius:.3rem}
ul{padding-left:1.2rem}
.muted{color:var(--muted);font-size:.9rem}
main.wide{max-width:46rem}
nav{margin:0 0 1rem;font-size:.95rem}nav a{margin-right:.9rem}nav form{display:inline}
section{border-top:1px solid var(--line);padding-top:.5rem;margin-top:1.25rem}
h2{font-size:1.1rem;margin:.5rem 0}
table{width:100%;border-collapse:collapse;font-size:.92rem}td,th{text-align:left;padding:.35rem .3rem;border-bottom:1px solid var(--line);vertical-align:top}
td form{margin:0}td button,form.inline button{margin-top:0;width:auto;padding:.35rem .7rem;font-size:.9rem}
.ok{background:var(--ok-bg);color:var(--ok-fg);padding:.6rem .75rem;border-radius:.3rem}
code.secret{display:block;word-break:break-all;background:var(--bg);padding:.5rem;border-radius:.3rem}
@media (max-width:28rem){main{margin:0;border-radius:0;min-height:100vh}header.brand,footer.links{margin:.75rem}}
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
  title: Words;
  body: Html;
  status?: number;
  /** Extra `form-action` sources: where this page's form may end up after redirects. */
  formTargets?: string[];
  /** Same-origin scripts (served files, never inline) the page loads, in order. */
  scripts?: string[];
  /** Same-origin style sheets (served files) the page loads after the built-in style. */
  styles?: string[];
  /** The page's scripts fetch from this origin (`connect-src 'self'`; the wallet sign-in's nonce). */
  connectSelf?: boolean;
  /** A wider frame (the account page). */
  wide?: boolean;
  /** The authorization request's `ui_locales` (OIDC Core §3.1.2.1), when the page serves one. */
  uiLocales?: readonly string[] | undefined;
}

/** The brand above the page: the operator's logo and name, when set. */
function brandOf(look: PageLook): Html | string {
  if (look.logo === undefined && look.brandName === undefined) {
    return '';
  }
  return html`<header class="brand">${look.logo === undefined ? '' : html`<img src="${look.logo.path}" alt="${look.brandName ?? ''}">`}${look.brandName === undefined || look.logo !== undefined ? '' : html`<span>${look.brandName}</span>`}</header>
`;
}

function linksOf(look: PageLook): Html | string {
  if (look.links.length === 0) {
    return '';
  }
  return html`<footer class="links">${look.links.map((link) => html`<a href="${link.href}">${t(link.label)}</a>`)}</footer>
`;
}

/** Sends a page with the headers every page carries, in the language chosen for the request. */
export function sendPage(reply: FastifyReply, options: PageOptions): FastifyReply {
  const look = reply.server.pageLook ?? DEFAULT_LOOK;
  const accept = reply.request.headers['accept-language'];
  const lang = negotiateLocale({
    uiLocales: options.uiLocales,
    acceptLanguage: typeof accept === 'string' ? accept : undefined,
    available: new Set(look.texts.keys()),
    fallback: look.defaultLocale,
  });
  const dictionary = look.texts.get(lang) ?? {};
  const targets = (options.formTargets ?? []).map(sourceOf).filter((s): s is string => s !== undefined);
  const csp = [
    "default-src 'none'",
    `style-src 'sha256-${STYLE_HASH}'${look.theme === undefined && (options.styles ?? []).length === 0 ? '' : " 'self'"}`,
    "img-src 'self' data:",
    ...(options.connectSelf === true ? ["connect-src 'self'"] : []),
    ...(options.scripts === undefined || options.scripts.length === 0 ? [] : ["script-src 'self'"]),
    `form-action 'self'${targets.map((t) => ` ${t}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  const page = html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title}</title>
<style>${raw(STYLE)}</style>
${
  look.theme === undefined
    ? ''
    : html`<link rel="stylesheet" href="${look.theme.path}">
`
}${(options.styles ?? []).map(
  (href) => html`<link rel="stylesheet" href="${href}">
`,
)}${(options.scripts ?? []).map(
  (src) => html`<script src="${src}" defer></script>
`,
)}</head>
<body>
${brandOf(look)}<main${options.wide === true ? html` class="wide"` : ''}>
${options.body}
</main>
${linksOf(look)}</body>
</html>
`;
  return reply
    .code(options.status ?? 200)
    .header('content-security-policy', csp)
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .header('referrer-policy', 'no-referrer')
    .header('content-language', lang)
    .header('vary', 'accept-language')
    .type('text/html; charset=utf-8')
    .send(renderHtml(page, dictionary));
}
