/**
 * `GET /console/assets/…`: the files the overview's charts load, all from Tessera (no CDN): uPlot's
 * script and style sheet from the `uplot` package, and our own script and style sheet. Each path
 * carries the package version or a hash of the content, so they are cached for a year (`immutable`).
 *
 * The script reads each chart's series from its `data-chart` attribute (the page has no inline
 * script) and draws it with the page's colours (the style sheet's `--s0` … `--s5`, `--fg`, `--line`),
 * drawing again when the colour scheme or the width changes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** Series colours (WCAG 2.2 §1.4.11: at least 3:1 against the card in each scheme) and chart layout. */
export const CHART_STYLE = `:root{--s0:#2554c7;--s1:#b3261e;--s2:#0d7a3a;--s3:#8a4b00;--s4:#6a3fb5;--s5:#00707a}
@media (prefers-color-scheme:dark){:root{--s0:#9db9ff;--s1:#ff9a8f;--s2:#7ed99b;--s3:#f0b35e;--s4:#c9a6ff;--s5:#6fd6de}}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:0 1.5rem}
.charts section{min-width:0}
.charts td,.charts th{overflow-wrap:anywhere}
.plot{margin:.25rem 0 .5rem;overflow:hidden}
.plot:empty{display:none}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.4em;vertical-align:-.05em}
.swatch.s0{background:var(--s0)}.swatch.s1{background:var(--s1)}.swatch.s2{background:var(--s2)}
.swatch.s3{background:var(--s3)}.swatch.s4{background:var(--s4)}.swatch.s5{background:var(--s5)}
nav.range a[aria-current]{font-weight:700;text-decoration:none;color:var(--fg)}
details{margin:.4rem 0 0;font-size:.9rem}details table{margin-top:.3rem}
`;

export const CHART_SCRIPT = `(function () {
  'use strict';
  var uPlot = window.uPlot;
  if (!uPlot || !window.getComputedStyle) {
    return;
  }
  var charts = [];
  function colour(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  function utc(seconds) {
    return uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');
  }
  function draw(element) {
    var data = JSON.parse(element.getAttribute('data-chart'));
    var fg = colour('--fg');
    var line = colour('--line');
    var axis = { stroke: fg, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
    var options = {
      width: Math.max(200, element.clientWidth || element.parentNode.clientWidth),
      height: 170,
      tzDate: utc,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true } },
      axes: [axis, Object.assign({ size: 44 }, axis)],
      series: [{}].concat(
        data.series.map(function (series, i) {
          return { label: series.label, stroke: colour('--s' + i), width: 2, points: { show: false } };
        }),
      ),
    };
    element.textContent = '';
    return new uPlot(options, [data.buckets].concat(data.series.map(function (s) { return s.counts; })), element);
  }
  function drawAll() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = Array.prototype.map.call(document.querySelectorAll('[data-chart]'), draw);
  }
  drawAll();
  var scheme = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)');
  if (scheme && scheme.addEventListener) {
    scheme.addEventListener('change', drawAll);
  }
  var pending;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(drawAll, 150);
  });
})();
`;

const tag = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 12);

interface Asset {
  path: string;
  type: string;
  body: string;
}

function uplotFile(name: string): string {
  const entry = createRequire(import.meta.url).resolve('uplot');
  return readFileSync(join(dirname(entry), name), 'utf8');
}

/** The overview's script and style sheet paths, in load order. */
export interface ChartAssets {
  scripts: string[];
  styles: string[];
}

/** Registers the files under the console scope (prefix `/console`); returns their full paths. */
export function registerChartAssets(scope: FastifyInstance): ChartAssets {
  const uplotScript = uplotFile('uPlot.iife.min.js');
  const uplotStyle = uplotFile('uPlot.min.css');
  const files: Asset[] = [
    { path: `/assets/uplot-${tag(uplotScript)}.min.js`, type: 'text/javascript', body: uplotScript },
    { path: `/assets/charts-${tag(CHART_SCRIPT)}.js`, type: 'text/javascript', body: CHART_SCRIPT },
    { path: `/assets/uplot-${tag(uplotStyle)}.min.css`, type: 'text/css', body: uplotStyle },
    { path: `/assets/charts-${tag(CHART_STYLE)}.css`, type: 'text/css', body: CHART_STYLE },
  ];
  for (const file of files) {
    scope.get(file.path, async (_request, reply) =>
      reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type(`${file.type}; charset=utf-8`)
        .send(file.body),
    );
  }
  const full = (file: Asset) => `/console${file.path}`;
  return {
    scripts: files.filter((f) => f.type === 'text/javascript').map(full),
    styles: files.filter((f) => f.type === 'text/css').map(full),
  };
}
