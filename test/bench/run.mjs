// `npm run bench [-- NAME...] [--readme] [--no-run]`: runs the benchmarks (compiled by `npm run build` to
// dist/test/bench/NAME.bench.js) one after the other, reads the JSON each prints on its last line, prints
// one table of every figure with its same-run baseline and its goal (met or not), and writes
// bench-results/latest.json. A partial run (some names) keeps the other benchmarks' last results in that
// file, each with its own date. `--readme` also rewrites the block between `<!-- bench:start -->` and
// `<!-- bench:end -->` in README.md with the table and the machine it came from; `--no-run` skips the
// runs and rebuilds the table (and the README block) from bench-results/latest.json.
//
// A benchmark's JSON may carry `baseline: { metric: value }` (the same figure of a bare implementation
// measured in the same run) and `goals: { metric: '>=200' | '<=20' | '=0' | '<5' | '>0.4' }`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const distDir = join(root, 'dist', 'test', 'bench');
const outDir = join(root, 'bench-results');
const latestFile = join(outDir, 'latest.json');
const readmeFile = join(root, 'README.md');
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** What each benchmark measures and what its baseline is, for the table's readers. */
const ABOUT = {
  auction:
    'real-time auction against sandbox bidders in their own process; baseline: a bare undici fan-out of the same pings',
  cdr: 'CDR export through outbox, BullMQ and ClickHouse, and the publisher report over 10 M rows; baseline: a bare ClickHouse insert and a plain count()',
  dni: 'DNI lease endpoint, 64 keep-alive connections; baseline: bare node:http answering fixed JSON',
  webhook:
    'sandbox calls through the signed webhook path to a bridged, recorded call, in the hand-off layout (an api instance with CALL_HANDOFF takes the webhooks and answers; a call runner process, APP_ROLE=calls at PROCESS_NICE=10, does the rest; `BENCH_LAYOUT=single` runs one instance); p50/p99: call.initiated written to the service → answer command flushed by it (roundtrip_*: until the carrier has read it); thread_cpu_ms_per_call and rss_mb: the api instance, runner_*: the runner; baseline: bare node:http verifying signatures and sending the commands',
};

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('-')));
const known = new Set(['--readme', '--no-run', '--help', '-h']);
const badFlags = [...flags].filter((f) => !known.has(f));
if (flags.has('--help') || flags.has('-h') || badFlags.length) {
  if (badFlags.length) console.error(`unknown option(s): ${badFlags.join(', ')}`);
  console.error(
    'usage: npm run bench [-- NAME...] [--readme] [--no-run]\n' +
      '  NAME      one of the benchmarks in test/bench (default: all)\n' +
      '  --readme  also rewrite the bench block of README.md\n' +
      '  --no-run  do not run anything: rebuild the table from bench-results/latest.json',
  );
  process.exit(badFlags.length ? 2 : 0);
}

const built = existsSync(distDir)
  ? readdirSync(distDir)
      .filter((f) => f.endsWith('.bench.js'))
      .map((f) => f.slice(0, -'.bench.js'.length))
      .sort()
  : [];
const wanted = args.filter((a) => !a.startsWith('-'));

// ---- goals -----------------------------------------------------------------------------------------

const GOAL = /^\s*(>=|<=|=|==|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** true / false when `value` can be judged against `goal`, undefined when either is unreadable. */
function goalMet(value, goal) {
  const m = GOAL.exec(String(goal));
  if (!m || typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const limit = Number(m[2]);
  switch (m[1]) {
    case '>=':
      return value >= limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '<':
      return value < limit;
    default:
      return value === limit;
  }
}

const prettyGoal = (goal) =>
  String(goal)
    .replace(/^\s*>=\s*/, '≥ ')
    .replace(/^\s*<=\s*/, '≤ ')
    .replace(/^\s*==?\s*/, '= ')
    .replace(/^\s*>\s*/, '> ')
    .replace(/^\s*<\s*/, '< ');

function formatValue(v) {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const ratioText = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** Rows of the table: per benchmark, the figures with goals first, then those with a baseline, then the rest. */
function tableRows(results) {
  const rows = [];
  for (const name of Object.keys(results).sort()) {
    const r = results[name];
    if (r.error)
      rows.push({
        bench: name,
        metric: 'error',
        value: r.error,
        baseline: '',
        ratio: '',
        goal: '',
        met: false,
      });
    const goals = r.goals ?? {};
    const baseline = r.baseline ?? {};
    const metrics = Object.keys(r).filter((k) => !['goals', 'baseline', 'at', 'error'].includes(k));
    const weight = (k) => (k in goals ? 0 : k in baseline ? 1 : 2);
    metrics.sort((a, b) => weight(a) - weight(b));
    // A group of figures (e.g. CPU per lease by thread) gets one row per member: `metric.member`.
    const flat = metrics.flatMap((k) =>
      r[k] !== null && typeof r[k] === 'object' && !Array.isArray(r[k])
        ? Object.entries(r[k]).map(([sub, v]) => [`${k}.${sub}`, v])
        : [[k, r[k]]],
    );
    for (const [metric, value] of flat) {
      const base = baseline[metric];
      const ratio =
        typeof value === 'number' && typeof base === 'number' && base !== 0
          ? `${ratioText(value / base)}×`
          : '';
      const goal = goals[metric];
      rows.push({
        bench: name,
        metric,
        value: formatValue(value),
        baseline: formatValue(base),
        ratio,
        goal: goal === undefined ? '' : prettyGoal(goal),
        met: goal === undefined ? undefined : goalMet(value, goal),
      });
    }
    // A goal on a figure the benchmark did not report is a goal not met.
    for (const [metric, goal] of Object.entries(goals)) {
      if (!(metric in r))
        rows.push({
          bench: name,
          metric,
          value: '(missing)',
          baseline: '',
          ratio: '',
          goal: prettyGoal(goal),
          met: false,
        });
    }
  }
  return rows;
}

const metText = (met, plain) =>
  met === undefined ? '' : met ? (plain ? 'met' : '✅ met') : plain ? 'MISSED' : '❌ missed';

function summary(rows) {
  const judged = rows.filter((r) => r.met !== undefined);
  const met = judged.filter((r) => r.met).length;
  return {
    met,
    total: judged.length,
    missed: judged.filter((r) => !r.met).map((r) => `${r.bench}.${r.metric}`),
  };
}

function printTable(rows) {
  const head = ['bench', 'figure', 'value', 'baseline', 'vs base', 'goal', ''];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    r.value,
    r.baseline,
    r.ratio,
    r.goal,
    metText(r.met, true),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const right = new Set([2, 3, 4]);
  const line = (cells) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(`\n${line(head)}`);
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  let last = '';
  for (const [i, b] of body.entries()) {
    if (rows[i].bench !== last && last !== '') console.log('');
    last = rows[i].bench;
    console.log(line(b));
  }
  const s = summary(rows);
  console.log(
    `\ngoals met: ${s.met} of ${s.total}${s.missed.length ? ` (missed: ${s.missed.join(', ')})` : ''}`,
  );
}

// ---- machine and README ----------------------------------------------------------------------------

function machine() {
  let commit;
  let dirty;
  try {
    const git = (...a) => execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
    commit = git('rev-parse', '--short', 'HEAD');
    dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  } catch {
    commit = undefined;
  }
  return {
    cpu: cpus()[0]?.model?.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    commit,
    dirty,
    // Other work on the machine when the run started: the figures of a busy machine are not comparable.
    loadAvg1m: Math.round(loadavg()[0] * 100) / 100,
  };
}

const cell = (s) => String(s).replace(/\|/g, '\\|');

function readmeBlock(latest, rows) {
  const m = latest.machine ?? {};
  const dates = [
    ...new Set(Object.values(latest.results).map((r) => (r.at ?? latest.at).slice(0, 10))),
  ].sort();
  const s = summary(rows);
  const lines = [
    START,
    '<!-- Written by `npm run bench -- --readme` (test/bench/run.mjs); edits here are overwritten. -->',
    '',
    `Measured ${dates.join(' to ')} on ${m.cpu} (${m.cores} cores), ${m.memGb} GB memory, Node ${m.node}, ` +
      `${m.os}${m.commit ? `, commit ${m.commit}${m.dirty ? ' with uncommitted changes' : ''}` : ''}` +
      `${m.loadAvg1m !== undefined ? `, load average ${m.loadAvg1m} at the start` : ''}. Goals met: ${s.met} of ${s.total}.`,
    '',
    '| bench | figure | value | baseline | vs baseline | goal | |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${[r.bench, `\`${r.metric}\``, r.value, r.baseline, r.ratio, r.goal, metText(r.met, false)].map(cell).join(' | ')} |`,
    ),
    '',
    ...Object.keys(latest.results)
      .sort()
      .filter((name) => ABOUT[name])
      .map((name) => `- **${name}**: ${ABOUT[name]}.`),
    END,
  ];
  return lines.join('\n');
}

async function writeReadme(latest, rows) {
  const text = readFileSync(readmeFile, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) {
    console.error(`README.md has no ${START} … ${END} block; not rewritten`);
    return false;
  }
  let block = readmeBlock(latest, rows);
  try {
    // The README is checked by Prettier in CI: write the block the way Prettier would.
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(readmeFile)) ?? {};
    block = (await prettier.format(block, { ...options, parser: 'markdown' })).trimEnd();
  } catch (e) {
    console.error(`prettier unavailable (${e?.message ?? e}); README block written unformatted`);
  }
  writeFileSync(readmeFile, text.slice(0, start) + block + text.slice(end + END.length));
  console.log('README.md bench block rewritten');
  return true;
}

// ---- running ---------------------------------------------------------------------------------------

/** Runs one benchmark with its output shown live; resolves with its exit code and its last stdout line. */
function runOne(name) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', join(distDir, `${name}.bench.js`)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tail = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk).slice(-64 * 1024);
    });
    child.on('close', (code, signal) => {
      const last = tail.trim().split('\n').pop() ?? '';
      resolve({ code: code ?? (signal ? 128 : 1), signal, last });
    });
  });
}

/**
 * Lets the machine settle between benchmarks: the previous one's dirty pages written out (sync; the CDR
 * benchmark leaves hundreds of MB) and both CPUs ≥ 85 % idle for two seconds in a row, waiting 30 s at
 * most. Without it a benchmark could measure its predecessor's write-back and exiting stores.
 */
async function settle() {
  const cpu = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const t0 = Date.now();
  try {
    execFileSync('sync');
    let quiet = 0;
    let share = 0;
    let before = cpu();
    while (quiet < 2 && Date.now() - t0 < 30_000) {
      await new Promise((r) => setTimeout(r, 1_000));
      const now = cpu();
      share = (now.idle - before.idle) / Math.max(1, now.total - before.total);
      quiet = share >= 0.85 ? quiet + 1 : 0;
      before = now;
    }
    console.log(
      `(settled in ${Math.round((Date.now() - t0) / 1000)} s, CPUs ${Math.round(share * 100)} % idle)`,
    );
  } catch {
    // no sync or /proc/stat here: run without waiting
  }
}

function readLatest() {
  if (!existsSync(latestFile)) return undefined;
  try {
    return JSON.parse(readFileSync(latestFile, 'utf8'));
  } catch {
    return undefined;
  }
}

async function main() {
  const previous = readLatest();
  let latest;
  let failed = false;
  if (flags.has('--no-run')) {
    if (!previous?.results) {
      console.error('bench-results/latest.json is missing or unreadable: run the benchmarks first');
      process.exit(2);
    }
    latest = previous;
    if (wanted.length) {
      latest = {
        ...latest,
        results: Object.fromEntries(Object.entries(latest.results).filter(([k]) => wanted.includes(k))),
      };
    }
  } else {
    const names = wanted.length ? wanted : built;
    const unknown = names.filter((n) => !built.includes(n));
    if (!names.length || unknown.length) {
      console.error(
        `${unknown.length ? `unknown benchmark(s): ${unknown.join(', ')}; ` : ''}known: ${built.join(', ') || '(none built: run npm run build)'}`,
      );
      process.exit(2);
    }
    const at = new Date().toISOString();
    const current = machine();
    // Results of benchmarks not run now are kept when they came from the same kind of machine.
    const sameMachine =
      previous?.machine && previous.machine.cpu === current.cpu && previous.machine.cores === current.cores;
    const results = sameMachine ? { ...previous.results } : {};
    for (const name of names) {
      await settle();
      console.log(`\n=== bench ${name} ===`);
      const t0 = Date.now();
      const run = await runOne(name);
      let parsed;
      try {
        parsed = JSON.parse(run.last);
      } catch {
        parsed = undefined;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        results[name] = {
          error: `no JSON result (exit ${run.code}${run.signal ? `, ${run.signal}` : ''})`,
          at,
        };
        failed = true;
      } else {
        results[name] = { ...parsed, at: new Date().toISOString() };
        if (run.code !== 0) {
          results[name].error = `exit ${run.code}`;
          failed = true;
        }
      }
      console.log(`=== bench ${name}: ${Math.round((Date.now() - t0) / 1000)} s, exit ${run.code} ===`);
    }
    latest = { at, machine: current, results };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(latestFile, `${JSON.stringify(latest, null, 2)}\n`);
  }

  const rows = tableRows(latest.results);
  printTable(rows);
  if (!flags.has('--no-run')) console.log('written to bench-results/latest.json');
  if (flags.has('--readme') && !(await writeReadme(latest, rows))) failed = true;
  process.exit(failed ? 1 : 0);
}

await main();
