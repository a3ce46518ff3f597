/** Parsers for repeatable CLI flags (commander's `argParser`s). */

/** `--x a --x b` → `['a', 'b']`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--x a,b` and `--x a --x b` both → `['a', 'b']`. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(/[\s,]+/).filter((item) => item.length > 0)];
}

/** `--meta key=value` pairs → an object (values are strings). */
export function parseMetaPairs(pairs: string[]): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new Error(`--meta expects key=value, got "${pair}"`);
    }
    meta[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return meta;
}
