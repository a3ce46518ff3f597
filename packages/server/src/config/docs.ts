/** Renders docs/configuration.md from the schema (generated; a test fails when the file is stale). */
import { defaultOf, listOptions } from './schema.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function renderConfigurationDocs(): string {
  const rows = listOptions().map((option) => {
    const fixed = defaultOf(option.schema);
    const shown = option.meta.defaultLabel ?? (fixed === undefined ? '—' : `\`${JSON.stringify(fixed)}\``);
    const env =
      option.meta.secret === true ? `\`${option.env}\`, \`${option.env}_FILE\`` : `\`${option.env}\``;
    return `| \`${option.path}\` | ${env} | ${cell(option.meta.typeLabel)} | ${cell(shown)} | ${cell(option.meta.description)} |`;
  });
  return [
    '<!-- Generated from packages/server/src/config/schema.ts by `tessera config docs`. Do not edit. -->',
    '# Configuration',
    '',
    'Tessera reads its settings, each later source winning, from: built-in defaults; a JSON file',
    '(`tessera.config.json` in the working folder, or `--config PATH`); environment variables; command-line flags.',
    'Keys marked with a `_FILE` variable are secrets: they may instead be read from the file that variable names',
    '(for Docker or Kubernetes secrets), and `tessera config check` masks them.',
    '',
    'Durations accept `90` (seconds), `30s`, `10m`, `1h` or `30d`. A bad value stops startup with a message that',
    'names the key and what is allowed. Check a configuration without starting the server: `tessera config check`.',
    '',
    '| Key (JSON file) | Environment | Type | Default | Description |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Outside `--dev`, Tessera refuses to start without an `https:` issuer, a master key, and either a TLS',
    'certificate (`tls.cert` + `tls.key`) or `trustProxy` behind a TLS-terminating proxy: the number of',
    'proxies in front or their addresses, never `true` (which would let any client pick its own address).',
    '',
  ].join('\n');
}
