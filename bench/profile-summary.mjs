/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the top frames by self time and by inclusive
 * time, grouped by function and file. Usage: node bench/profile-summary.mjs <file.cpuprofile> [N]
 */
import { readFileSync } from 'node:fs';

const [file, countArg] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node bench/profile-summary.mjs <file.cpuprofile> [N]\n');
  process.exit(2);
}
const top = Number(countArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) {
  for (const child of node.children ?? []) {
    parent.set(child, node.id);
  }
}

// Self time per node from the samples and their time deltas.
const self = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});

function label(node) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where =
    url === ''
      ? ''
      : ` ${url
          .replace(/^file:\/\//, '')
          .replace(/.*\/node_modules\//, 'node_modules/')
          .replace(/.*\/packages\//, 'packages/')}:${lineNumber + 1}`;
  return `${functionName === '' ? '(anonymous)' : functionName}${where}`;
}

const selfByLabel = new Map();
const inclusiveByLabel = new Map();
for (const [id, time] of self) {
  const node = byId.get(id);
  selfByLabel.set(label(node), (selfByLabel.get(label(node)) ?? 0) + time);
  // Inclusive: add the sample to each distinct frame on its stack once.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const name = label(byId.get(cur));
    if (!seen.has(name)) {
      seen.add(name);
      inclusiveByLabel.set(name, (inclusiveByLabel.get(name) ?? 0) + time);
    }
  }
}

function print(title, map) {
  process.stdout.write(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)\n`);
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, time] of rows) {
    process.stdout.write(`${((100 * time) / total).toFixed(1).padStart(5)}%  ${name}\n`);
  }
}

/** The package (node_modules/x), Tessera package, node: internals or a V8 pseudo-frame of a frame. */
function area(node) {
  const url = node.callFrame.url;
  if (url === '') {
    return node.callFrame.functionName.startsWith('(') ? node.callFrame.functionName : '(native)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) {
    return pkg[1];
  }
  const own = /packages\/([^/]+)\/dist\/([^/]+)/.exec(url);
  if (own !== null) {
    return `@tessera/${own[1]} ${own[2].replace(/\.js$/, '')}`;
  }
  return url.startsWith('node:') ? url.split('/').slice(0, 2).join('/') : url;
}

const selfByArea = new Map();
for (const [id, time] of self) {
  const name = area(byId.get(id));
  selfByArea.set(name, (selfByArea.get(name) ?? 0) + time);
}

print('self time', selfByLabel);
print('self time by package or module', selfByArea);
print('inclusive time', inclusiveByLabel);
