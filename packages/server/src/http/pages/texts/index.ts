/**
 * The page texts: a page names a text by key ({@link t}) and the frame (layout.ts) looks it up in
 * the language chosen for the request (locale.ts), after the operator's overrides (page-look.ts).
 * Values filled into a text are escaped like every other value of a page.
 */
import { DE } from './de.js';
import { EN, type TextKey } from './en.js';

export type { TextKey } from './en.js';

/** The languages shipped; an operator may add one with `texts.<lang>.json`. */
export const SHIPPED_TEXTS: ReadonlyMap<string, Readonly<Record<string, string>>> = new Map([
  ['en', EN],
  ['de', DE],
]);

/** A text to show, by key, with the values it names (`{name}`). */
export interface Text {
  readonly key: TextKey | `scope.${string}`;
  readonly values?: Readonly<Record<string, string>>;
}

export function t(key: TextKey, values?: Record<string, string>): Text {
  return values === undefined ? { key } : { key, values };
}

/** A scope's description: the operator's `scope.<name>` text, else a generic line naming it. */
export function scopeText(scope: string): Text {
  return { key: `scope.${scope}`, values: { scope } };
}

export function isText(value: unknown): value is Text {
  return typeof value === 'object' && value !== null && 'key' in value && !('html' in value);
}

/** Fills `{name}` from `values`; an unknown name stays as written. */
export function fill(template: string, values: Readonly<Record<string, string>> | undefined): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (whole, name: string) => values?.[name] ?? whole);
}

/** The words for `text` from `dictionary`, then English; a scope nobody described gets `scope.other`. */
export function lookUp(dictionary: Readonly<Record<string, string>>, text: Text): string {
  const english = EN as Readonly<Record<string, string>>;
  const template =
    dictionary[text.key] ??
    english[text.key] ??
    (text.key.startsWith('scope.') ? (dictionary['scope.other'] ?? EN['scope.other']) : text.key);
  return fill(template, text.values);
}
