/**
 * Issue 19 item 5: `deploy/grafana/tessera.json` charts exactly what Tessera exports. Every PromQL
 * expression in the dashboard (panel targets and template queries) may name only metrics a live
 * `/metrics` scrape of the server shows, and every metric family Tessera itself defines (all but
 * prom-client's `tessera_process_*` defaults) has a panel.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

const DASHBOARD = new URL('../../../../deploy/grafana/tessera.json', import.meta.url);

/** PromQL words that are not metric names: keywords, modifiers and set operators. */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/**
 * The metric names an expression selects: identifiers left once strings, label matchers `{…}`,
 * ranges `[…]` and grouping lists `by (…)` are removed, that are neither function calls nor keywords.
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of bare.matchAll(/(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const after = bare.slice((match.index ?? 0) + word.length).trimStart();
    if (!after.startsWith('(') && !KEYWORDS.has(word)) {
      names.push(word);
    }
  }
  return names;
}

/** Every PromQL expression in the dashboard: panel targets (rows included) and query variables. */
function expressionsOf(dashboard: {
  panels: Array<{ targets?: Array<{ expr: string }>; panels?: unknown[] }>;
  templating: { list: Array<{ type: string; definition?: string }> };
}): string[] {
  const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
  for (const variable of dashboard.templating.list) {
    const call = /^label_values\((.*),\s*[A-Za-z_]+\)$/.exec(variable.definition ?? '');
    if (variable.type === 'query') {
      expect(call, `variable query ${variable.definition}`).not.toBeNull();
      exprs.push(call?.[1] ?? '');
    }
  }
  return exprs;
}

describe('the Grafana dashboard (issue 19 item 5)', () => {
  let t: TestServer;
  let exposed: Map<string, string>;

  beforeAll(async () => {
    t = await bootstrap();
    const scrape = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    // `# TYPE name kind`; a histogram is selected as name_bucket, name_sum and name_count.
    exposed = new Map();
    for (const [, name = '', kind = ''] of scrape.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exposed.set(name, kind);
      if (kind === 'histogram' || kind === 'summary') {
        for (const suffix of ['_bucket', '_sum', '_count']) {
          exposed.set(`${name}${suffix}`, kind);
        }
      }
    }
  });

  afterAll(async () => {
    await t.close();
  });

  it('the expression parser finds metric names and nothing else', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, route) (rate(tessera_x_bucket{instance=~"$instance",a="b{c}"}[$__rate_interval]))) / on(instance) group_left tessera_y offset 5m',
      ),
    ).toEqual(['tessera_x_bucket', 'tessera_y']);
  });

  it('every PromQL expression names only metrics a live /metrics scrape exposes', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const exprs = expressionsOf(dashboard);
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      const names = metricNamesIn(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) {
        expect(exposed.has(name), `${name} in ${expr}`).toBe(true);
      }
    }
  });

  it("every metric family Tessera defines has a panel (prom-client's process defaults are optional)", () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const charted = new Set(expressionsOf(dashboard).flatMap(metricNamesIn));
    const families = [...exposed.keys()].filter(
      (name) =>
        name.startsWith('tessera_') &&
        !name.startsWith('tessera_process_') &&
        !/_(bucket|sum|count)$/.test(name),
    );
    expect(families.length).toBeGreaterThan(10);
    for (const family of families) {
      const kind = exposed.get(family);
      const selected =
        kind === 'histogram' ? [`${family}_bucket`, `${family}_sum`, `${family}_count`] : [family];
      expect(
        selected.some((name) => charted.has(name)),
        `${family} has no panel`,
      ).toBe(true);
    }
  });
});
