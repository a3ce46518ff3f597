/**
 * Pure helpers of the benchmark harness: medians, percentiles, ratios and the printed table.
 * No I/O here, so `bench/test/harness.test.ts` can check them.
 */

/** The median of a list of numbers (mean of the middle two for an even count); NaN when empty. */
export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The p-th percentile (0 < p ≤ 100) by the nearest-rank method: the smallest value such that at
 * least p% of the sample is at or below it. NaN when empty.
 */
export function percentile(values, p) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** a / b, or NaN when either is missing or b is zero. */
export function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) {
    return Number.NaN;
  }
  return a / b;
}

/**
 * Summarises the repeats of one scenario: the median of each figure over the repeats, and the
 * peak (max) resident memory seen.
 */
export function summarise(runs) {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    // Server CPU per successful answer (bench/load.mjs), when measured.
    ...(runs.every((r) => typeof r.serverCpuMsPerOk === 'number')
      ? { serverCpuMsPerOk: median(runs.map((r) => r.serverCpuMsPerOk)) }
      : {}),
    peakRssMb: runs.some((r) => Number.isFinite(r.peakRssMb))
      ? Math.max(...runs.map((r) => r.peakRssMb ?? 0))
      : Number.NaN,
    repeats: runs.length,
  };
}

/** Formats a number for the table: thousands separators, fixed decimals, '—' when missing. */
export function formatNumber(value, decimals = 0) {
  if (!Number.isFinite(value)) {
    return '—';
  }
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Formats a ratio such as `0.47×`, or '—'. */
export function formatRatio(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}

/**
 * Renders rows (arrays of strings) under headers as a Markdown table, numbers right-aligned. The
 * same text prints on the terminal and pastes into docs/performance.md.
 */
export function formatTable(headers, rows, align = headers.map((_, i) => (i === 0 ? 'left' : 'right'))) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i] ?? '').length)));
  const pad = (text, i) => (align[i] === 'left' ? text.padEnd(widths[i]) : text.padStart(widths[i]));
  const line = (cells) => `| ${cells.map((c, i) => pad(String(c ?? ''), i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (align[i] === 'left' ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/**
 * The rows of the result table. `results` maps scenario id → summary (from `summarise`, or a
 * custom figure for in-process scenarios: `{ unit, value, p50, p99 }`). Each HTTP row shows its
 * ratio to the peer row it names, to its reference handler's row (`× ref`) and to the ceiling (the
 * bare Fastify row).
 */
export function resultRows(scenarios, results, ceilingId = 'ceiling.fastify-hello') {
  const ceiling = results[ceilingId]?.rps;
  const rows = [];
  for (const scenario of scenarios) {
    const result = results[scenario.id];
    if (result === undefined) {
      continue;
    }
    if (result.skipped !== undefined) {
      rows.push([scenario.id, `skipped: ${result.skipped}`, '', '', '', '', '', '', '']);
      continue;
    }
    if (result.unit !== undefined) {
      rows.push([
        scenario.id,
        `${formatNumber(result.value)} ${result.unit}`,
        formatNumber(result.p50, 2),
        formatNumber(result.p99, 2),
        scenario.peer === undefined ? '' : formatRatio(ratio(result.value, results[scenario.peer]?.value)),
        '',
        '',
        '',
        result.note ?? '',
      ]);
      continue;
    }
    const peer = scenario.peer === undefined ? Number.NaN : results[scenario.peer]?.rps;
    const reference = scenario.reference === undefined ? Number.NaN : results[scenario.reference]?.rps;
    rows.push([
      scenario.id,
      `${formatNumber(result.rps)} req/s`,
      formatNumber(result.p50, 2),
      formatNumber(result.p99, 2),
      scenario.peer === undefined ? '' : formatRatio(ratio(result.rps, peer)),
      scenario.reference === undefined ? '' : formatRatio(ratio(result.rps, reference)),
      scenario.id === ceilingId ? '' : formatRatio(ratio(result.rps, ceiling)),
      formatNumber(result.peakRssMb),
      result.note ?? '',
    ]);
  }
  return rows;
}

export const TABLE_HEADERS = [
  'scenario',
  'throughput (median)',
  'p50 ms',
  'p99 ms',
  '× peer',
  '× ref',
  '× ceiling',
  'peak RSS MB',
  'note',
];

/** The whole printed table. */
export function formatResults(scenarios, results) {
  return formatTable(
    TABLE_HEADERS,
    resultRows(scenarios, results),
    TABLE_HEADERS.map((_, i) => (i === 0 || i === TABLE_HEADERS.length - 1 ? 'left' : 'right')),
  );
}
