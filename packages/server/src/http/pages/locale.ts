/**
 * Which language a page speaks: the first of the client's `ui_locales` (OIDC Core §3.1.2.1, a
 * space-separated list of BCP 47 tags in order of preference) that is available, else the best of
 * the browser's `Accept-Language` (RFC 9110 §12.5.4: weighted by `q`, `q=0` meaning "not this"),
 * else the default. A tag matches a language by its primary subtag (`de-AT` → `de`), the lookup
 * of RFC 4647 §3.4 cut to what the shipped texts distinguish.
 */

function primary(tag: string): string {
  return (tag.split('-')[0] ?? '').toLowerCase();
}

/** RFC 9110 §12.5.4: the ranges of an Accept-Language value, best first (a stable sort keeps order). */
export function parseAcceptLanguage(header: string): string[] {
  const ranges: Array<{ tag: string; q: number; index: number }> = [];
  header.split(',').forEach((part, index) => {
    const [range, ...params] = part.trim().split(';');
    const tag = (range ?? '').trim();
    if (tag === '' || !/^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/.test(tag)) {
      return;
    }
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*(0(\.\d{0,3})?|1(\.0{0,3})?)\s*$/i.exec(param);
      if (match !== null) {
        q = Number(match[1]);
      }
    }
    if (q > 0) {
      ranges.push({ tag, q, index });
    }
  });
  return ranges.sort((a, b) => b.q - a.q || a.index - b.index).map((r) => r.tag);
}

export interface LocaleInput {
  /** The authorization request's `ui_locales`, when the page belongs to one. */
  uiLocales?: readonly string[] | undefined;
  acceptLanguage?: string | undefined;
  available: ReadonlySet<string>;
  fallback: string;
}

export function negotiateLocale(input: LocaleInput): string {
  const wanted = [...(input.uiLocales ?? []), ...parseAcceptLanguage(input.acceptLanguage ?? '')];
  for (const tag of wanted) {
    const language = primary(tag);
    if (input.available.has(language)) {
      return language;
    }
  }
  return input.fallback;
}
