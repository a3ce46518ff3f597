/**
 * How the pages look and speak for this installation: the operator's folder (`pages.templateDir`)
 * and brand settings, read once at startup. The folder may hold
 * - `theme.css`: a style sheet loaded after the built-in one (served same-origin, so the pages'
 *   CSP stays `style-src 'self'` plus the built-in sheet's hash); it usually sets the colour
 *   variables (`--accent`, `--bg`, …) for the light and the dark scheme;
 * - `logo.svg` or `logo.png`: shown above every page, served same-origin;
 * - `texts.<lang>.json`: a flat object of text key → words, overriding the shipped texts of that
 *   language or adding a language; `scope.<name>` keys describe scopes on the consent page.
 * Nothing in the folder runs: the texts are escaped into the pages, the CSS and logo are files.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { EN } from './texts/en.js';
import { SHIPPED_TEXTS, type TextKey } from './texts/index.js';

export interface PageFile {
  path: string;
  type: string;
  body: Buffer;
  etag: string;
}

export interface PageLook {
  brandName: string | undefined;
  /** Footer links, in order: the text key of their label and the operator's URL. */
  links: ReadonlyArray<{ label: TextKey; href: string }>;
  theme: PageFile | undefined;
  logo: PageFile | undefined;
  /** Every language's texts with the operator's overrides applied. */
  texts: ReadonlyMap<string, Readonly<Record<string, string>>>;
  defaultLocale: string;
}

export const THEME_PATH = '/pages/theme.css';

function pageFile(path: string, type: string, body: Buffer): PageFile {
  return {
    path,
    type,
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/** A `texts.<lang>.json` file: known keys (or `scope.<name>`) to strings, nothing else. */
function readTexts(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`pages.templateDir: cannot read ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`pages.templateDir: ${file} must hold a JSON object of text key → words`);
  }
  const texts: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in EN) && !/^scope\.[\x21-\x7e]{1,200}$/.test(key)) {
      throw new ConfigError(
        `pages.templateDir: ${file} names the unknown text "${key}"; see docs/customize.md for the keys`,
      );
    }
    if (typeof value !== 'string' || value.length > 2000) {
      throw new ConfigError(
        `pages.templateDir: ${file}: "${key}" must be a string of at most 2000 characters`,
      );
    }
    texts[key] = value;
  }
  return texts;
}

export function loadPageLook(pages: Config['pages']): PageLook {
  const texts = new Map<string, Readonly<Record<string, string>>>(SHIPPED_TEXTS);
  let theme: PageFile | undefined;
  let logo: PageFile | undefined;
  const dir = pages.templateDir;
  if (dir !== undefined) {
    if (!existsSync(dir)) {
      throw new ConfigError(`pages.templateDir: the folder ${dir} does not exist`);
    }
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name);
      const language = /^texts\.([a-z]{2,3})\.json$/.exec(name)?.[1];
      if (language !== undefined) {
        texts.set(language, { ...(texts.get(language) ?? {}), ...readTexts(file) });
      } else if (name === 'theme.css') {
        theme = pageFile(THEME_PATH, 'text/css; charset=utf-8', readFileSync(file));
      } else if (name === 'logo.svg' || name === 'logo.png') {
        const type = name.endsWith('.svg') ? 'image/svg+xml' : 'image/png';
        logo = pageFile(`/pages/${name}`, type, readFileSync(file));
      }
    }
  }
  if (!texts.has(pages.defaultLocale)) {
    throw new ConfigError(
      `pages.defaultLocale: no texts for "${pages.defaultLocale}" (shipped: en, de; add texts.${pages.defaultLocale}.json)`,
    );
  }
  const links: Array<{ label: TextKey; href: string }> = [];
  for (const [label, href] of [
    ['page.privacy', pages.privacyUrl],
    ['page.terms', pages.termsUrl],
    ['page.help', pages.helpUrl],
  ] as const) {
    if (href !== undefined) {
      links.push({ label, href });
    }
  }
  return { brandName: pages.brandName, links, theme, logo, texts, defaultLocale: pages.defaultLocale };
}

/** The look of a server without settings: shipped texts, no brand. */
export const DEFAULT_LOOK: PageLook = {
  brandName: undefined,
  links: [],
  theme: undefined,
  logo: undefined,
  texts: SHIPPED_TEXTS,
  defaultLocale: 'en',
};
