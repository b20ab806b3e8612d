// `npm run bench [-- NAME...]`: runs each benchmark (compiled to dist/test/bench/NAME.bench.js by
// `npm run build`), collects the JSON each prints on its last line, prints one table, and writes
// bench-results/latest.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'dist', 'test', 'bench');
const all = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.bench.js'))
      .map((f) => f.replace('.bench.js', ''))
      .sort()
  : [];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : all;
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.join(', ') || '(none built)'}`);
  process.exit(2);
}

const results = {};
let failed = false;
for (const name of names) {
  console.log(`\n=== bench ${name} ===`);
  const run = spawnSync(process.execPath, ['--expose-gc', join(dir, `${name}.bench.js`)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(run.stdout);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  try {
    results[name] = JSON.parse(last);
  } catch {
    results[name] = { error: `no JSON result (exit ${run.status})` };
    failed = true;
  }
  if (run.status !== 0) failed = true;
}

const rows = [];
for (const [name, r] of Object.entries(results)) {
  for (const [metric, value] of Object.entries(r)) {
    if (metric === 'goals' || metric === 'baseline') continue;
    const goal = r.goals?.[metric];
    const base = r.baseline?.[metric];
    rows.push({ bench: name, metric, value, baseline: base ?? '', goal: goal ?? '' });
  }
}
console.log('\n' + ['bench', 'metric', 'value', 'baseline', 'goal'].join('\t'));
for (const row of rows) console.log([row.bench, row.metric, row.value, row.baseline, row.goal].join('\t'));
const out = join(root, 'bench-results');
mkdirSync(out, { recursive: true });
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  memGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
writeFileSync(
  join(out, 'latest.json'),
  JSON.stringify({ at: new Date().toISOString(), machine, results }, null, 2),
);
console.log(`\nwritten to bench-results/latest.json`);
process.exit(failed ? 1 : 0);
