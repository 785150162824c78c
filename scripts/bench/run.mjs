#!/usr/bin/env node
// Timing harness of scripts/bench-resolve.sh (run that, not this). Whole-process
// wall time of each command (spawn → exit, measured here around spawnSync),
// RUNS runs per row, median and min. Every run's exit code and output are
// checked, so a command that fails fast can never pass for a fast one.
//
// env: BENCH_DIR (default bench-out/), RUNS (default 5)
// in:  $BENCH_DIR/repo (debian-to-rpmmd.mjs), $BENCH_DIR/bench.compose.json and
//      bench-one.compose.json (compose.mjs)
// out: markdown on stdout; raw figures in $BENCH_DIR/bench-resolve.json;
//      scratch (caches, install roots) under $BENCH_DIR/work

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH_DIR = process.env.BENCH_DIR ? resolve(process.env.BENCH_DIR) : join(ROOT, 'bench-out');
const RUNS = Math.max(1, Number(process.env.RUNS || 5));
const REPO = join(BENCH_DIR, 'repo');
const COMPOSE = join(BENCH_DIR, 'bench.compose.json');
const COMPOSE_ONE = join(BENCH_DIR, 'bench-one.compose.json');
const W = join(BENCH_DIR, 'work');
const log = (...a) => console.error('bench:', ...a);

const images = Object.entries(JSON.parse(readFileSync(COMPOSE, 'utf8')).images).map(([n, v]) => [n, v.packages]);

const fresh = (d) => {
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
};
fresh(W);

// ---------- running and timing ----------
function run(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, t };
}

class CheckError extends Error {}
function expect(r, status, what) {
  if (r.status !== status) {
    const tail = (r.stderr || r.stdout || '').trim().split('\n').slice(-6).join('\n');
    throw new CheckError(`${what}: exit ${r.status}, expected ${status}\n${tail}`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// steps: [{ cmd, args, check(result) }]; one sample = sum of the steps' wall times
function bench(key, label, { prepare, steps }) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    prepare?.();
    let total = 0;
    for (const s of steps) {
      const r = run(s.cmd, s.args);
      s.check(r);
      total += r.t;
    }
    samples.push(total);
  }
  const row = { key, label, median: median(samples), min: Math.min(...samples), samples };
  log(`${label}: median ${row.median.toFixed(3)} s, min ${row.min.toFixed(3)} s`);
  return row;
}

// How a command reads in the report: scratch dir as $WORK, project paths relative.
const show = (cmd, args) =>
  [cmd, ...args]
    .map((a) => a.replaceAll(pathToFileURL(ROOT).href + '/', 'file://$PWD/').replaceAll(W, '$WORK').replaceAll(ROOT + '/', ''))
    .map((a) => (/[\s*()]/.test(a) ? `'${a}'` : a))
    .join(' ');

// ---------- dnf ----------
const DNF_CONF = join(W, 'dnf.conf');
writeFileSync(DNF_CONF, '[main]\ngpgcheck=0\ninstall_weak_deps=False\nplugins=False\nkeepcache=False\n');
mkdirSync(join(W, 'dnf-reposdir'));
const DNF_COMMON = [
  '--config', DNF_CONF,
  '--releasever=12',
  `--setopt=reposdir=${join(W, 'dnf-reposdir')}`,
  `--setopt=logdir=${join(W, 'dnf-log')}`,
  `--setopt=persistdir=${join(W, 'dnf-persist')}`,
  '--setopt=install_weak_deps=False',
  `--repofrompath=deb,${pathToFileURL(REPO).href}`,
];
const dnfArgs = (cache) => [...DNF_COMMON, `--setopt=cachedir=${cache}`];
const DNF_COLD = join(W, 'dnf-cache-cold');
const DNF_WARM = join(W, 'dnf-cache-warm');
const ROOTS = join(W, 'dnf-roots');

// Package names of a dnf transaction table (long names wrap onto their own line).
function dnfNames(out) {
  const names = [];
  let on = false;
  let pending = '';
  for (const l of out.split('\n')) {
    if (/^Installing/.test(l)) { on = true; continue; }
    if (/^Transaction Summary/.test(l)) break;
    if (!on || !l.startsWith(' ')) continue;
    const tok = `${pending} ${l}`.trim().split(/\s+/);
    if (tok[0] === 'replacing') continue;
    if (tok.length === 1) { pending = tok[0]; continue; }
    pending = '';
    if (tok.length >= 5) names.push(tok[0]);
  }
  return names.sort();
}

const rows = [];
const counts = Object.fromEntries(images.map(([n]) => [n, {}]));
const commands = {};

log(`dnf: ${RUNS} runs per row`);
{
  const c = { cmd: 'dnf', args: [...dnfArgs(DNF_COLD), 'makecache'] };
  commands.dnfCold = show(c.cmd, c.args);
  rows.push(bench('dnfCold', 'dnf cold load: `dnf makecache`, empty cachedir (XML → .solv)', {
    prepare: () => rmSync(DNF_COLD, { recursive: true, force: true }),
    steps: [{ ...c, check: (r) => {
      expect(r, 0, 'dnf makecache');
      if (!existsSync(join(DNF_COLD, 'deb.solv'))) throw new CheckError('dnf makecache wrote no deb.solv');
    } }],
  }));
}
{
  const c = { cmd: 'dnf', args: [...dnfArgs(DNF_WARM), 'makecache'] };
  expect(run(c.cmd, c.args), 0, 'dnf makecache (warming)');
  commands.dnfWarm = show(c.cmd, c.args);
  rows.push(bench('dnfWarm', 'dnf warm: `dnf makecache` again, warm cachedir', {
    steps: [{ ...c, check: (r) => expect(r, 0, 'dnf makecache (warm)') }],
  }));
  const q = { cmd: 'dnf', args: [...dnfArgs(DNF_WARM), '-q', 'repoquery', 'bash'] };
  commands.dnfRepoquery = show(q.cmd, q.args);
  rows.push(bench('dnfRepoquery', 'dnf warm load: `dnf repoquery bash` (loads the .solv cache)', {
    steps: [{ ...q, check: (r) => {
      expect(r, 0, 'dnf repoquery');
      if (!/^bash-/m.test(r.stdout)) throw new CheckError(`dnf repoquery: no bash in output: ${r.stdout}`);
    } }],
  }));
}
const dnfOut = {};
{
  const steps = images.map(([name, pkgs]) => ({
    cmd: 'dnf',
    args: [...dnfArgs(DNF_WARM), 'install', '--assumeno', '--installroot', join(ROOTS, name), ...pkgs],
    check: (r) => {
      // --assumeno: dnf prints the transaction, then "Operation aborted." and exits 1.
      expect(r, 1, `dnf install ${pkgs.join(' ')}`);
      const m = r.stdout.match(/^Install\s+(\d+) Packages?$/m);
      if (!m || !/Operation aborted/.test(r.stdout + r.stderr)) {
        throw new CheckError(`dnf install ${pkgs.join(' ')}: no transaction\n${r.stdout}\n${r.stderr}`);
      }
      counts[name].dnf = Number(m[1]);
      dnfOut[name] = r.stdout;
    },
  }));
  commands.dnfImages = steps.map((s) => show(s.cmd, s.args));
  rows.push(bench('dnfImages', `dnf resolve ${images.length} images: ${images.length} × \`dnf install --assumeno --installroot <empty dir>\`, warm cachedir, one after another`, {
    prepare: () => {
      for (const [name] of images) fresh(join(ROOTS, name));
    },
    steps,
  }));
}

// ---------- rpmcompose ----------
const RC = join(ROOT, 'bin', 'rpmcompose.js');
const rc = (...a) => ({ cmd: process.execPath, args: [RC, ...a] });
const showRc = (c) => show('node', c.args);
let rcSkipped = null;
const rcOut = {};

function rcCounts(r, what) {
  let j;
  try {
    j = JSON.parse(r.stdout);
  } catch {
    throw new CheckError(`${what}: --json output is not JSON: ${r.stdout.slice(0, 300)}`);
  }
  for (const [name] of images) {
    const pk = j?.images?.[name]?.x86_64?.packages;
    if (!Array.isArray(pk)) throw new CheckError(`${what}: no .images.${name}.x86_64.packages in --json output`);
    counts[name].rpmcompose = pk.length;
    rcOut[name] = pk;
  }
}

try {
  const RC_COLD = join(W, 'rpmcompose-cache-cold');
  const RC_WARM = join(W, 'rpmcompose-cache-warm');
  const p = rc('resolve', COMPOSE, '--json', '--cache-dir', RC_WARM);
  const probe = run(p.cmd, p.args);
  expect(probe, 0, 'rpmcompose resolve (first run, warms the cache)');
  rcCounts(probe, 'rpmcompose resolve');
  log('rpmcompose: CLI works; timing it');

  const cold = rc('resolve', COMPOSE, '--json', '--cache-dir', RC_COLD);
  commands.rcCold = showRc(cold);
  rows.push(bench('rcCold', `rpmcompose cold: \`resolve\`, empty cache dir (XML → .solv, + resolves ${images.length} images)`, {
    prepare: () => rmSync(RC_COLD, { recursive: true, force: true }),
    steps: [{ ...cold, check: (r) => { expect(r, 0, 'rpmcompose resolve (cold)'); rcCounts(r, 'rpmcompose resolve (cold)'); } }],
  }));
  const one = rc('resolve', COMPOSE_ONE, '--json', '--cache-dir', RC_WARM);
  commands.rcWarmOne = showRc(one);
  rows.push(bench('rcWarmOne', 'rpmcompose warm load: `resolve` of 1 image (bash), warm cache dir (.solv)', {
    steps: [{ ...one, check: (r) => expect(r, 0, 'rpmcompose resolve (warm, 1 image)') }],
  }));
  const warm = rc('resolve', COMPOSE, '--json', '--cache-dir', RC_WARM);
  commands.rcWarm = showRc(warm);
  rows.push(bench('rcWarm', `rpmcompose resolve ${images.length} images: \`resolve\`, warm cache dir, one process`, {
    steps: [{ ...warm, check: (r) => { expect(r, 0, 'rpmcompose resolve (warm)'); rcCounts(r, 'rpmcompose resolve (warm)'); } }],
  }));
  const lock = rc('lock', COMPOSE, '--cache-dir', RC_WARM);
  expect(run(lock.cmd, lock.args), 0, 'rpmcompose lock');
  commands.rcLock = showRc(lock);
  const diff = rc('diff', COMPOSE, '--cache-dir', RC_WARM);
  commands.rcDiff = showRc(diff);
  rows.push(bench('rcDiff', `rpmcompose \`diff\`, nothing changed since \`lock\` (${images.length} images, warm cache dir; exit 0)`, {
    steps: [{ ...diff, check: (r) => expect(r, 0, 'rpmcompose diff (nothing changed: exit 0 expected)') }],
  }));
} catch (e) {
  if (!(e instanceof CheckError)) throw e;
  rcSkipped = e.message;
  log(`rpmcompose rows skipped: ${e.message}`);
}

// ---------- report ----------
const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
};
const dpkgVer = (p) => sh('dpkg-query', ['-W', '-f=${Version}', p]);
const gitRev = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
const gitDirty = sh('git', ['-C', ROOT, 'status', '--porcelain']) !== '' ? ' + uncommitted changes' : '';
const repomd = readFileSync(join(REPO, 'repodata', 'repomd.xml'), 'utf8');
const sizes = (type) => {
  const d = repomd.split('<data ').find((x) => x.startsWith(`type="${type}"`)) || '';
  return { gz: Number(d.match(/<size>(\d+)/)?.[1]), open: Number(d.match(/<open-size>(\d+)/)?.[1]) };
};
const primaryXml = gunzipSync(readFileSync(join(REPO, 'repodata', 'primary.xml.gz'))).toString('utf8');
const nPkgs = Number(primaryXml.match(/packages="(\d+)"/)[1]);
const nNoarch = primaryXml.split('<arch>noarch</arch>').length - 1;
const MB = (b) => `${(b / 1e6).toFixed(1)} MB`;
const cpu = os.cpus()[0]?.model?.trim() || '?';

const machine = {
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  nproc: os.cpus().length,
  cpu,
  ramGiB: Math.round(os.totalmem() / 2 ** 30),
  kernel: os.release(),
  debian: existsSync('/etc/debian_version') ? readFileSync('/etc/debian_version', 'utf8').trim() : '?',
  node: process.version,
  dnf: sh('dnf', ['--version']).split('\n')[0],
  libdnf: dpkgVer('libdnf2'),
  libsolv: dpkgVer('libsolv1'),
  rpmcompose: `${gitRev}${gitDirty}`,
};
const P = sizes('primary');
const F = sizes('filelists');
const fmt = (x) => x.toFixed(3);
const row = (k) => rows.find((r) => r.key === k);
const out = [];
out.push(`## Resolve benchmark, ${machine.date}`, '');
out.push(`Machine: ${machine.nproc} × ${cpu}, ${machine.ramGiB} GiB RAM, Linux ${machine.kernel}, Debian ${machine.debian}; ` +
  `node ${machine.node}, dnf ${machine.dnf}, libdnf ${machine.libdnf}, libsolv ${machine.libsolv}; rpmcompose at ${machine.rpmcompose}.`, '');
out.push(`Corpus: ${nPkgs} packages (${nPkgs - nNoarch} x86_64, ${nNoarch} noarch); primary.xml ${MB(P.open)} (${MB(P.gz)} gz), ` +
  `filelists.xml ${MB(F.open)} (${MB(F.gz)} gz).`, '');
out.push(`Whole-process wall time in seconds, ${RUNS} runs per row (\`RUNS=${RUNS}\`).`, '');
out.push('| measurement | median (s) | min (s) |', '|---|---:|---:|');
for (const r of rows) out.push(`| ${r.label} | ${fmt(r.median)} | ${fmt(r.min)} |`);
if (rcSkipped) out.push('| rpmcompose rows | skipped | (see below) |');
out.push('');

out.push('| image | packages | dnf | rpmcompose | agree |', '|---|---|---:|---:|---|');
for (const [name, pkgs] of images) {
  const c = counts[name];
  const agree = c.rpmcompose === undefined ? '–' : c.rpmcompose === c.dnf ? 'yes' : '**no**';
  out.push(`| ${name} | ${pkgs.join(' ')} | ${c.dnf} | ${c.rpmcompose ?? '–'} | ${agree} |`);
}
out.push('');
for (const [name] of images) {
  const c = counts[name];
  if (c.rpmcompose === undefined || c.rpmcompose === c.dnf) continue;
  const d = new Set(dnfNames(dnfOut[name]));
  const r = new Set(rcOut[name].map((p) => (typeof p === 'string' ? p : p.name ?? JSON.stringify(p))));
  out.push(`- ${name}: only dnf: ${[...d].filter((x) => !r.has(x)).join(' ') || '–'}; only rpmcompose: ${[...r].filter((x) => !d.has(x)).join(' ') || '–'}`);
}

if (rcSkipped) {
  out.push('', `rpmcompose rows skipped: ${rcSkipped.split('\n')[0]}`, '', '```', rcSkipped, '```');
} else {
  const t = [];
  const dc = row('dnfCold').median;
  const rcold = row('rcCold').median;
  t.push(`| cold load no slower than dnf | rpmcompose ${fmt(rcold)} s vs dnf makecache ${fmt(dc)} s | ${rcold <= dc ? 'met' : '**missed**'} |`);
  const w1 = row('rcWarmOne').median;
  t.push(`| warm load under 0.2 s | resolve of 1 image ${fmt(w1)} s (10 images: ${fmt(row('rcWarm').median)} s) | ${w1 < 0.2 ? 'met' : '**missed**'} |`);
  const df = row('rcDiff').median;
  t.push(`| \`diff\`, nothing changed, 10 images, under 1 s | ${fmt(df)} s | ${df < 1 ? 'met' : '**missed**'} |`);
  const speed = row('dnfImages').median / row('rcWarm').median;
  t.push(`| resolving the 10 images ≥ 5× faster than dnf | dnf ${fmt(row('dnfImages').median)} s / rpmcompose ${fmt(row('rcWarm').median)} s = ${speed.toFixed(1)}× | ${speed >= 5 ? 'met' : '**missed**'} |`);
  out.push('', '| target | figure (medians) | |', '|---|---|---|', ...t);
}

const DNF_SHOWN = show('dnf', DNF_COMMON);
out.push('', `Commands timed ($WORK = ${W.startsWith(ROOT + '/') ? relative(ROOT, W) : W}; the dnf install roots are emptied before each run):`, '', '```', `# $WORK/dnf.conf: ${readFileSync(DNF_CONF, 'utf8').trim().split('\n').join(' ')}`, `DNF="${DNF_SHOWN}"`);
for (const [k, v] of Object.entries(commands)) {
  for (const line of [v].flat()) out.push(`${k === 'rcLock' ? '# once, untimed: ' : ''}${line.replace(DNF_SHOWN, '$DNF')}`);
}
out.push('```');

console.log(out.join('\n'));
writeFileSync(join(BENCH_DIR, 'bench-resolve.json'),
  JSON.stringify({ machine, corpus: { packages: nPkgs, noarch: nNoarch, primary: P, filelists: F }, runs: RUNS, rows, counts, commands, rpmcomposeSkipped: rcSkipped }, null, 2) + '\n');
log(`raw figures: ${join(BENCH_DIR, 'bench-resolve.json')}`);
