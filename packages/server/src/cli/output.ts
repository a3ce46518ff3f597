/** How CLI commands print: JSON for scripts, aligned `key  value` rows for people. */

export function write(text: string): void {
  process.stdout.write(text);
}

export function printJson(value: unknown): void {
  write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Seconds since the epoch as ISO 8601, or `never`. */
export function iso(seconds: number | null): string {
  return seconds === null ? 'never' : new Date(seconds * 1000).toISOString();
}

/** `key  value` rows with the keys padded to one width. */
export function printRows(rows: [string, string][]): void {
  const width = Math.max(...rows.map(([key]) => key.length));
  for (const [key, value] of rows) {
    write(`${key.padEnd(width)}  ${value}\n`);
  }
}

/** A freshly minted secret, printed once with the warning that it will not be shown again. */
export function printSecretOnce(label: string, secret: string, what: string): void {
  write(`\n${label}  ${secret}\n`);
  write(`Store this ${what} now: it will not be shown again (Tessera keeps only its SHA-256).\n`);
}
