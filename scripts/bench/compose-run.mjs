#!/usr/bin/env node
// Timing harness of scripts/bench-compose.sh (run that, not this): `rpmcompose
// compose` vs `dnf --installroot` + `tar | gzip -1`, side by side, same package sets.
// Whole-process wall time of each command (spawn → exit, measured here), CPU
// (user + sys) and max RSS from GNU time (/usr/bin/time -f), RUNS samples per row,
// the rows interleaved run by run; median and min. Every run's exit code and output
// are checked, so a command that fails fast can never pass for a fast one.
//
// env: BENCH_DIR (default bench-out/compose), RUNS (default 3), PROFILE (default 1:
//      one extra untimed compose under `node --cpu-prof` and, if perf works, `perf record`)
// in:  $BENCH_DIR/repo, compose.json, compose-half.json (compose-corpus.mjs)
// out: markdown on stdout; raw figures in $BENCH_DIR/bench-compose.json; scratch
//      (caches, outputs, install roots) under $BENCH_DIR/work

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH_DIR = process.env.BENCH_DIR ? resolve(process.env.BENCH_DIR) : join(ROOT, 'bench-out', 'compose');
const RUNS = Math.max(1, Number(process.env.RUNS || 3));
const PROFILE = process.env.PROFILE !== '0';
const REPO = join(BENCH_DIR, 'repo');
const COMPOSE = join(BENCH_DIR, 'compose.json');
const COMPOSE_HALF = join(BENCH_DIR, 'compose-half.json');
const W = join(BENCH_DIR, 'work');
const log = (...a) => console.error('bench-compose:', ...a);

const fresh = (d) => {
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
};
fresh(W);

// ---------- running and timing ----------
class CheckError extends Error {}
const TIMEF = join(W, 'time');
mkdirSync(TIMEF);
let seq = 0;

// Busy CPU seconds of the whole machine so far (/proc/stat): every process, ours and others'.
function machineBusy() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ = 100
}

// One process under GNU time: wall (measured here), user, sys, max RSS (KiB → bytes).
function run(cmd, args, opts = {}) {
  const tf = join(TIMEF, `${++seq}`);
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const b0 = machineBusy();
    const ch = spawn('/usr/bin/time', ['-o', tf, '-f', '%U %S %M', cmd, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    ch.stdout.on('data', (d) => (stdout += d));
    ch.stderr.on('data', (d) => (stderr += d));
    ch.on('error', rej);
    ch.on('close', (status) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const line = readFileSync(tf, 'utf8').trim().split('\n').pop();
      const [user, sys, rss] = line.split(' ').map(Number);
      res({ status, stdout, stderr, wall, user, sys, rss: rss * 1024, busy: machineBusy() - b0 });
    });
  });
}
const runSync = (cmd, args) => spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });

function expect(r, status, what) {
  if (r.status !== status) {
    const tail = (r.stderr || r.stdout || '').trim().split('\n').slice(-8).join('\n');
    throw new CheckError(`${what}: exit ${r.status}, expected ${status}\n${tail}`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// How a command reads in the report: scratch dir as $WORK, project paths relative.
const show = (cmd, args) =>
  [cmd, ...args]
    .map((a) => a.replaceAll(RC_ROOT + '/', ROOT + '/').replaceAll(pathToFileURL(ROOT).href + '/', 'file://$PWD/').replaceAll(W, '$WORK').replaceAll(ROOT + '/', ''))
    .map((a) => (/[\s*()|>;]/.test(a) ? `'${a}'` : a))
    .join(' ');

// ---------- what the images hold ----------
// RPMCOMPOSE_ROOT: a frozen copy of the built CLI (bench-compose.sh makes one); shown as bin/rpmcompose.js
const RC_ROOT = process.env.RPMCOMPOSE_ROOT ? resolve(process.env.RPMCOMPOSE_ROOT) : ROOT;
const RC = join(RC_ROOT, 'bin', 'rpmcompose.js');
const RC_CACHE = join(W, 'rpmcompose-cache');
function resolveSets(file) {
  const r = runSync(process.execPath, [RC, 'resolve', file, '--json', '--cache-dir', RC_CACHE, '-q']);
  expect(r, 0, `rpmcompose resolve ${file}`);
  const j = JSON.parse(r.stdout);
  const images = {};
  for (const [name, v] of Object.entries(j.images)) {
    const pk = v?.x86_64?.packages;
    if (!Array.isArray(pk)) throw new CheckError(`resolve ${file}: no .images.${name}.x86_64.packages`);
    images[name] = { packages: pk.map((p) => p.name).sort(), installed: pk.reduce((s, p) => s + p.installsize, 0), specs: null };
  }
  const spec = JSON.parse(readFileSync(file, 'utf8')).images;
  for (const [name, v] of Object.entries(spec)) images[name].specs = v.packages;
  return images;
}
const FULL = resolveSets(COMPOSE);
const HALF = resolveSets(COMPOSE_HALF);
const only = (n) => ({ [n]: FULL[n] });
const installedOf = (imgs) => Object.values(imgs).reduce((s, i) => s + i.installed, 0);
const INSTALLED = installedOf(FULL);
const INSTALLED_HALF = installedOf(HALF);
log(`${Object.keys(FULL).length} images, ${(INSTALLED / 1e6).toFixed(1)} MB installed (half compose: ${(INSTALLED_HALF / 1e6).toFixed(1)} MB)`);

// ---------- rpmcompose ----------
const KEEP = new Set(['repos', 'rpms', 'solv']);
function cacheGuard() {
  // Only repo metadata and RPMs may be warm: a layer cache (if rpmcompose grows one)
  // would let a run skip the work being timed.
  if (!existsSync(RC_CACHE)) return;
  for (const e of readdirSync(RC_CACHE)) {
    if (!KEEP.has(e)) {
      log(`removing ${e}/ from the rpmcompose cache before a timed run`);
      rmSync(join(RC_CACHE, e), { recursive: true, force: true });
    }
  }
}
function checkLayout(out, imgs, what) {
  const idx = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
  const blob = (d) => join(out, 'blobs', ...d.split(':'));
  const names = {};
  const unique = new Map();
  for (const m of idx.manifests) {
    const name = m.annotations?.['org.opencontainers.image.ref.name'];
    let man = JSON.parse(readFileSync(blob(m.digest), 'utf8'));
    if (man.manifests) man = JSON.parse(readFileSync(blob(man.manifests[0].digest), 'utf8'));
    names[name] = man.layers.reduce((s, l) => s + l.size, 0);
    for (const l of man.layers) unique.set(l.digest, l.size);
    for (const l of man.layers) if (statSync(blob(l.digest)).size !== l.size) throw new CheckError(`${what}: layer ${l.digest} of ${name}: size differs from the manifest`);
  }
  for (const n of Object.keys(imgs)) if (!(n in names)) throw new CheckError(`${what}: no image ${n} in ${out}/index.json`);
  names['(distinct layers)'] = [...unique.values()].reduce((a, b) => a + b, 0);
  names['(layer count)'] = unique.size;
  return names; // image → compressed layer bytes; distinct layers' bytes and count
}
const rcCmd = (file, out, extra = []) => ({ cmd: process.execPath, args: [RC, 'compose', file, '--cache-dir', RC_CACHE, '-o', out, '-q', ...extra] });

const samples = {};
const add = (key, s) => {
  (samples[key] ??= []).push(s);
  writeFileSync(join(W, 'samples.partial.json'), JSON.stringify(samples) + '\n'); // kept if the report fails
};
const sizes = {};

async function rcSample(key, file, imgs, extra, { keepLayers = false } = {}) {
  const out = join(W, 'out', key);
  rmSync(out, { recursive: true, force: true });
  if (!keepLayers) cacheGuard();
  const c = rcCmd(file, out, extra);
  const r = await run(c.cmd, c.args);
  expect(r, 0, `rpmcompose compose (${key})`);
  sizes[key] = checkLayout(out, imgs, `rpmcompose compose (${key})`);
  add(key, { wall: r.wall, cpu: r.user + r.sys, rss: r.rss, others: Math.max(0, r.busy - r.user - r.sys) });
}

// ---------- dnf + tar | gzip ----------
const DNF_CONF = join(W, 'dnf.conf');
writeFileSync(DNF_CONF, '[main]\ngpgcheck=0\ninstall_weak_deps=False\nplugins=False\nkeepcache=True\ntsflags=noscripts\n');
mkdirSync(join(W, 'dnf-reposdir'));
mkdirSync(join(W, 'dnf-log'));
const DNF_CACHE = join(W, 'dnf-cache');
const DNF = [
  '-y', '--config', DNF_CONF, '--releasever=12',
  `--setopt=reposdir=${join(W, 'dnf-reposdir')}`,
  `--setopt=cachedir=${DNF_CACHE}`,
  `--setopt=logdir=${join(W, 'dnf-log')}`,
  `--setopt=persistdir=${join(W, 'dnf-persist')}`,
  '--setopt=tsflags=noscripts', '--setopt=install_weak_deps=False', '--setopt=keepcache=True',
  `--repofrompath=bench,${pathToFileURL(REPO).href}`,
];
const ROOTS = join(W, 'dnf-roots');
const TARS = join(W, 'dnf-tars');
const dnfInstall = (name, quiet = true) => ({ cmd: 'dnf', args: [...(quiet ? ['-q'] : []), ...DNF, '--installroot', join(ROOTS, name), 'install', ...FULL[name].specs] });
// dnf writes its logs under <installroot>/<logdir>: left out of the image.
const tarGzip = (name) => ({ cmd: 'bash', args: ['-c', `set -o pipefail; tar -C ${join(ROOTS, name)} --exclude=./work -cf - . | gzip -1 > ${join(TARS, `${name}.tar.gz`)}`] });

async function dnfImage(name, acc) {
  fresh(join(ROOTS, name));
  const i = dnfInstall(name);
  const a = await run(i.cmd, i.args);
  expect(a, 0, `dnf install (${name})`);
  if (!existsSync(join(ROOTS, name, 'usr', 'bin', 'bash'))) throw new CheckError(`dnf install (${name}): no /usr/bin/bash in the root`);
  const t = tarGzip(name);
  const b = await run(t.cmd, t.args);
  expect(b, 0, `tar | gzip (${name})`);
  const gz = statSync(join(TARS, `${name}.tar.gz`)).size;
  if (gz < FULL[name].installed / 10) throw new CheckError(`tar | gzip (${name}): ${gz} bytes, too small for ${FULL[name].installed} installed`);
  (sizes.dnf ??= {})[name] = gz;
  acc.dnf += a.wall; acc.tar += b.wall;
  acc.cpu += a.user + a.sys + b.user + b.sys;
  acc.rss = Math.max(acc.rss, a.rss, b.rss);
  rmSync(join(ROOTS, name), { recursive: true, force: true });
}
async function dnfSample(key, lanes) {
  fresh(TARS);
  const acc = { dnf: 0, tar: 0, cpu: 0, rss: 0 };
  const t0 = process.hrtime.bigint();
  const b0 = machineBusy();
  await Promise.all(lanes.map(async (lane) => { for (const n of lane) await dnfImage(n, acc); }));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  add(key, { wall, cpu: acc.cpu, rss: acc.rss, others: Math.max(0, machineBusy() - b0 - acc.cpu), dnfWall: acc.dnf, tarWall: acc.tar });
}
// 2 lanes, biggest image first into the lighter lane (balanced by installed bytes)
const LANES = [[], []];
{
  const load = [0, 0];
  for (const [n, v] of Object.entries(FULL).sort((a, b) => b[1].installed - a[1].installed)) {
    const l = load[0] <= load[1] ? 0 : 1;
    LANES[l].push(n);
    load[l] += v.installed;
  }
}

// ---------- warm-up (untimed) ----------
const commands = {};
let rcError = null;
try {
  const c = rcCmd(COMPOSE, join(W, 'out', 'warm'));
  commands.rcWarm = show('node', c.args);
  log('warming the rpmcompose cache (untimed compose: downloads the RPMs)');
  const r = await run(c.cmd, c.args);
  expect(r, 0, 'rpmcompose compose (warm-up)');
  checkLayout(join(W, 'out', 'warm'), FULL, 'rpmcompose compose (warm-up)');
} catch (e) {
  if (!(e instanceof CheckError)) throw e;
  rcError = e.message;
  log(`rpmcompose compose failed: ${e.message}`);
}
const dnfCounts = {};
log('warming dnf (untimed install of every image: metadata cache, .solv, page cache)');
for (const name of Object.keys(FULL)) {
  fresh(join(ROOTS, name));
  const i = dnfInstall(name, false);
  const r = await run(i.cmd, i.args);
  expect(r, 0, `dnf install (warm-up, ${name})`);
  dnfCounts[name] = Number(r.stdout.match(/^Install\s+(\d+) Packages?$/m)?.[1]);
  if (dnfCounts[name] !== FULL[name].packages.length) {
    log(`note: ${name}: dnf installs ${dnfCounts[name]} packages, rpmcompose resolves ${FULL[name].packages.length}`);
  }
  rmSync(join(ROOTS, name), { recursive: true, force: true });
}

// ---------- timed runs, side by side ----------
const ROWS = [
  ['rcGzip', () => rcSample('rcGzip', COMPOSE, FULL, [])],
  // the same compose again without emptying the layer cache (if rpmcompose keeps one): nothing to rebuild
  ['rcReuse', () => rcSample('rcReuse', COMPOSE, FULL, [], { keepLayers: true })],
  ['rcZstd', () => rcSample('rcZstd', COMPOSE, FULL, ['--compression', 'zstd'])],
  ['dnfSeq', () => dnfSample('dnfSeq', [Object.keys(FULL)])],
  ['dnfPar2', () => dnfSample('dnfPar2', LANES)],
  ['rcHalf', () => rcSample('rcHalf', COMPOSE_HALF, HALF, [])],
  ['rcBase', () => rcSample('rcBase', COMPOSE, only('base'), ['--image', 'base'])],
  ['rcNode', () => rcSample('rcNode', COMPOSE, only('node'), ['--image', 'node'])],
];
const load0 = os.loadavg();
const ROWS_RUN = rcError ? ROWS.filter(([k]) => k.startsWith('dnf')) : ROWS;
for (let i = 0; i < RUNS; i++) {
  for (const [key, f] of ROWS_RUN) {
    await f();
    const s = samples[key].at(-1);
    log(`run ${i + 1}/${RUNS} ${key}: ${s.wall.toFixed(2)} s wall, ${s.cpu.toFixed(2)} s CPU, ${(s.rss / 2 ** 20).toFixed(0)} MiB max RSS, others' CPU ${s.others.toFixed(1)} s, load ${os.loadavg()[0].toFixed(2)}`);
  }
}
const load1 = os.loadavg();

// Is the node image's extra RSS needed? The same compose with the V8 heap capped at 64 MiB
// (Buffers live outside it, but their growth drives GC): passes = what grew was garbage
// not yet collected; fails = something is held per package or per file.
let capped = null;
if (!rcError) {
  const out = join(W, 'out', 'capped');
  rmSync(out, { recursive: true, force: true });
  cacheGuard();
  const c = rcCmd(COMPOSE, out, ['--image', 'node']);
  const r = await run(process.execPath, ['--max-old-space-size=64', ...c.args]);
  capped = { status: r.status, wall: r.wall, rss: r.rss, cpu: r.user + r.sys, tail: r.status ? r.stderr.trim().split('\n').slice(-4).join('\n') : '' };
  commands.rcCapped = show('node', ['--max-old-space-size=64', ...c.args]);
  log(`capped heap (--image node, --max-old-space-size=64): exit ${r.status}, ${r.wall.toFixed(2)} s, ${(r.rss / 2 ** 20).toFixed(0)} MiB max RSS`);
}

commands.rcGzip = show('node', rcCmd(COMPOSE, '$WORK/out/rcGzip').args);
commands.rcZstd = show('node', rcCmd(COMPOSE, '$WORK/out/rcZstd', ['--compression', 'zstd']).args);
commands.rcHalf = show('node', rcCmd(COMPOSE_HALF, '$WORK/out/rcHalf').args);
commands.rcBase = show('node', rcCmd(COMPOSE, '$WORK/out/rcBase', ['--image', 'base']).args);
commands.rcNode = show('node', rcCmd(COMPOSE, '$WORK/out/rcNode', ['--image', 'node']).args);
commands.dnf = Object.keys(FULL).flatMap((n) => [show(dnfInstall(n).cmd, dnfInstall(n).args), show(tarGzip(n).cmd, tarGzip(n).args)]);

// ---------- profile (untimed) ----------
const profile = {};
if (PROFILE && !rcError) {
  const dir = join(W, 'prof');
  fresh(dir);
  const out = join(W, 'out', 'prof');
  rmSync(out, { recursive: true, force: true });
  cacheGuard();
  const c = rcCmd(COMPOSE, out);
  const r = runSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...c.args]);
  expect(r, 0, 'rpmcompose compose under --cpu-prof');
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const self = new Map(p.nodes.map((n) => [n.id, 0]));
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], self.get(p.samples[i]) + (p.timeDeltas[i] ?? 0));
  const by = new Map();
  let total = 0;
  for (const n of p.nodes) {
    const us = self.get(n.id);
    total += us;
    const f = n.callFrame;
    const where = f.url ? `${relative(f.url.includes(RC_ROOT) ? RC_ROOT : ROOT, fileURLToPath(f.url.startsWith('file:') ? f.url : pathToFileURL(f.url)))}:${f.lineNumber + 1}` : '';
    const k = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    by.set(k, (by.get(k) ?? 0) + us);
  }
  profile.cpuProf = { file: join(dir, file), totalMs: total / 1000, top: [...by].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, us]) => ({ fn: k, ms: us / 1000, pct: (100 * us) / total })) };
  // Whole process, every thread (the zlib gzip work runs on libuv's pool, out of --cpu-prof's sight)
  if (runSync('perf', ['stat', '-e', 'task-clock', 'true']).status === 0) {
    rmSync(out, { recursive: true, force: true });
    cacheGuard();
    const data = join(dir, 'perf.data');
    const pr = runSync('perf', ['record', '-q', '-g', '-F', '499', '-o', data, '--', process.execPath, '--perf-basic-prof', ...c.args]);
    expect(pr, 0, 'rpmcompose compose under perf record');
    const rep = runSync('perf', ['report', '-i', data, '--no-children', '--sort', 'dso,sym', '--stdio', '-g', 'none']);
    // inclusive shares (call graphs): the thread-pool round trips of node:zlib's async mode
    const incl = runSync('perf', ['report', '-i', data, '--children', '--sort', 'sym', '--stdio', '-g', 'none']);
    const inclusive = {};
    for (const l of incl.stdout.split('\n')) {
      const m = l.match(/^\s+([\d.]+)%\s+([\d.]+)%\s+\[(.)\]\s+(.*)$/);
      if (!m) continue;
      const sym = m[4].trim();
      for (const k of ['uv__work_done', 'uv_queue_work', 'try_to_wake_up', 'deflate', 'futex_wake']) {
        if (sym === k || (k === 'uv__work_done' && sym.startsWith('uv__work_done'))) inclusive[k] ??= Number(m[1]);
      }
      if (/AfterThreadPoolWork/.test(sym) && /ZlibContext/.test(sym)) inclusive.zlibAfterThreadPoolWork ??= Number(m[1]);
    }
    const rows = [];
    for (const l of rep.stdout.split('\n')) {
      const m = l.match(/^\s+([\d.]+)%\s+(.+?)\s+\[(.)\]\s+(.*)$/);
      if (m) rows.push({ pct: Number(m[1]), dso: m[2], sym: m[4].trim() });
    }
    const dsoRep = runSync('perf', ['report', '-i', data, '--no-children', '--sort', 'dso', '--stdio']);
    const dsos = [];
    for (const l of dsoRep.stdout.split('\n')) {
      const m = l.match(/^\s+([\d.]+)%\s+(.*)$/);
      if (m) dsos.push({ pct: Number(m[1]), dso: m[2].trim() });
    }
    // --sort pid is per thread (tid:comm); the main thread's tid is the process id (the lowest)
    const threads = runSync('perf', ['report', '-i', data, '--no-children', '--sort', 'pid', '--stdio']);
    const comms = [];
    for (const l of threads.stdout.split('\n')) {
      const m = l.match(/^\s+([\d.]+)%\s+(\d+):(.*)$/);
      if (m) comms.push({ pct: Number(m[1]), tid: Number(m[2]), comm: m[3].trim() });
    }
    const mainTid = Math.min(...comms.map((t) => t.tid));
    for (const t of comms) t.comm = t.tid === mainTid ? 'main thread' : `thread ${t.tid}`;
    // where the time goes, by kind of work (every thread); the rest is JS, V8 and libc
    const KINDS = [
      ['gzip compression (zlib deflate + crc32)', (r) => r.dso === 'node' && /deflate|longest_match|compress_block|pqdownheap|build_tree|send_tree|scan_tree|gen_bitlen|gen_codes|fill_window|_tr_|crc32|bi_flush|bi_windup|copy_with_crc|adler32/.test(r.sym)],
      ['gzip decompression (zlib inflate)', (r) => r.dso === 'node' && /inflate/.test(r.sym)],
      ['xz payload decompression (liblzma)', (r) => /liblzma/.test(r.dso)],
      ['zstd (libzstd: payloads, and layers with --compression zstd)', (r) => /libzstd/.test(r.dso)],
      ['sha256 (layer digests)', (r) => /sha256/i.test(r.sym)],
      ['kernel (read/write/copy, scheduling)', (r) => /kernel/.test(r.dso)],
      ['V8 garbage collection', (r) => /Heap|Mark|Scaveng|Sweep|Evacuat|ConcurrentMarking|GC/.test(r.sym) && r.dso === 'node'],
      ['memcpy/memmove (libc)', (r) => /libc\.so/.test(r.dso) && /mem(cpy|move|set)/.test(r.sym)],
      ['JIT-compiled JS', (r) => /JIT|perf-\d+\.map/.test(r.dso)],
    ];
    const kinds = KINDS.map(([k]) => ({ kind: k, pct: 0 }));
    let other = 0;
    for (const r of rows) {
      const i = KINDS.findIndex(([, f]) => f(r));
      if (i >= 0) kinds[i].pct += r.pct;
      else other += r.pct;
    }
    kinds.push({ kind: 'other (V8 interpreter and builtins, node, libc, addon glue)', pct: other });
    profile.perf = { data, kinds, inclusive, symbols: rows.slice(0, 30), dsos: dsos.slice(0, 15), threads: comms };
  }
}

// ---------- report ----------
const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
};
const gitRev = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
const gitDirty = sh('git', ['-C', ROOT, 'status', '--porcelain']) !== '' ? ' + uncommitted changes' : '';
const machine = {
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  nproc: os.cpus().length,
  cpu: os.cpus()[0]?.model?.trim() || '?',
  ramGiB: Math.round(os.totalmem() / 2 ** 30),
  kernel: os.release(),
  debian: existsSync('/etc/debian_version') ? readFileSync('/etc/debian_version', 'utf8').trim() : '?',
  node: process.version,
  dnf: sh('dnf', ['--version']).split('\n')[0],
  rpm: sh('rpm', ['--version']),
  gzip: sh('gzip', ['--version']).split('\n')[0],
  tar: sh('tar', ['--version']).split('\n')[0],
  rpmcompose: `${gitRev}${gitDirty}`,
};
const corpus = existsSync(join(BENCH_DIR, 'corpus.json')) ? JSON.parse(readFileSync(join(BENCH_DIR, 'corpus.json'), 'utf8')) : null;

const stat = (key, f) => {
  const xs = (samples[key] ?? []).map(f);
  return xs.length ? { median: median(xs), min: Math.min(...xs) } : null;
};
const MB = (b) => (b / 1e6).toFixed(1);
const MiB = (b) => (b / 2 ** 20).toFixed(0);
const summary = {};
const LABEL = {
  rcGzip: 'rpmcompose `compose`, 5 images, gzip level 1 (default)',
  rcZstd: 'rpmcompose `compose`, 5 images, `--compression zstd` (level 3)',
  dnfSeq: 'dnf `--installroot` + `tar | gzip -1`, 5 images one after another',
  dnfPar2: 'dnf `--installroot` + `tar | gzip -1`, 5 images 2 at a time',
  rcHalf: `rpmcompose \`compose\`, the 3 smaller images only (${Object.keys(HALF).join(', ')})`,
  rcBase: 'rpmcompose `compose --image base` (smallest image)',
  rcNode: 'rpmcompose `compose --image node` (largest image; /usr/bin/node is a 99 MB file)',
  rcReuse: 'rpmcompose `compose`, 5 images, again right after, layer cache kept (nothing to rebuild)',
};
const INSTALLED_OF = { rcHalf: INSTALLED_HALF, rcBase: FULL.base.installed, rcNode: FULL.node.installed };
const out = [];
out.push(`Machine: ${machine.nproc} × ${machine.cpu}, ${machine.ramGiB} GiB RAM, Linux ${machine.kernel}, Debian ${machine.debian}; ` +
  `node ${machine.node}, dnf ${machine.dnf}, ${machine.rpm}, ${machine.tar}, ${machine.gzip}; rpmcompose at ${machine.rpmcompose}; ${machine.date}.`, '');
if (corpus) out.push(`Corpus: ${corpus.packages} RPMs, ${MB(corpus.rpmBytes)} MB of RPM files, ${MB(corpus.regularBytes)} MB of regular files in their payloads.`, '');
out.push(`Installed bytes (sum over the images of the resolved packages' installsize): ${MB(INSTALLED)} MB for the 5 images, ${MB(INSTALLED_HALF)} MB for the 3 smaller ones.`, '');
out.push(`Whole-process figures, ${RUNS} runs per row (\`RUNS=${RUNS}\`), rows interleaved run by run; median (min). CPU = user + sys from GNU time; CPU use = CPU / wall (2.0 = both cores busy).`, '');
out.push(`Shared machine: other sessions ran builds and tests at the same time (load average ${load0.map((x) => x.toFixed(1)).join(' ')} before the timed runs, ${load1.map((x) => x.toFixed(1)).join(' ')} after). "Others' CPU" is the CPU time the rest of the machine used during the run (/proc/stat busy time − the run's own CPU): the higher, the more the run was slowed.`, '');
out.push('| measurement | wall (s) | MB/s installed | CPU (s) | CPU use | max RSS (MiB) | others\' CPU (s) |', '|---|---:|---:|---:|---:|---:|---:|');
for (const key of Object.keys(LABEL)) {
  const w = stat(key, (s) => s.wall);
  if (!w) { out.push(`| ${LABEL[key]} | not run | | | | | |`); continue; }
  const inst = INSTALLED_OF[key] ?? INSTALLED;
  const cpu = stat(key, (s) => s.cpu);
  const use = stat(key, (s) => s.cpu / s.wall);
  const rss = stat(key, (s) => s.rss);
  const others = stat(key, (s) => s.others);
  summary[key] = { wall: w, cpu, use, rss, others, mbps: { median: inst / 1e6 / w.median, max: inst / 1e6 / w.min }, installed: inst };
  out.push(`| ${LABEL[key]} | ${w.median.toFixed(2)} (${w.min.toFixed(2)}) | ${(inst / 1e6 / w.median).toFixed(1)} (${(inst / 1e6 / w.min).toFixed(1)}) | ` +
    `${cpu.median.toFixed(1)} | ${use.median.toFixed(2)} | ${MiB(rss.median)} (${MiB(rss.min)}) | ${others.median.toFixed(1)} |`);
}
const dw = stat('dnfSeq', (s) => s.dnfWall);
const tw = stat('dnfSeq', (s) => s.tarWall);
if (dw) out.push('', `dnf + tar one after another splits as: \`dnf install\` ${dw.median.toFixed(2)} s, \`tar | gzip -1\` ${tw.median.toFixed(2)} s (medians). 2 at a time: lanes ${LANES.map((l) => l.join(' + ')).join(' | ')}.`);
out.push('', '| image | packages (rpmcompose / dnf) | installed MB | rpmcompose gzip layer MB | zstd MB | dnf tar.gz MB |', '|---|---:|---:|---:|---:|---:|');
for (const [n, v] of Object.entries(FULL)) {
  out.push(`| ${n} | ${v.packages.length} / ${dnfCounts[n]} | ${MB(v.installed)} | ${sizes.rcGzip ? MB(sizes.rcGzip[n]) : '–'} | ${sizes.rcZstd ? MB(sizes.rcZstd[n]) : '–'} | ${sizes.dnf ? MB(sizes.dnf[n]) : '–'} |`);
}
if (sizes.rcGzip) {
  const dnfAll = sizes.dnf ? Object.values(sizes.dnf).reduce((a, b) => a + b, 0) : 0;
  out.push(`| all 5, bytes written (distinct layers) | | ${MB(INSTALLED)} | ${MB(sizes.rcGzip['(distinct layers)'])} (${sizes.rcGzip['(layer count)']} layers) | ${sizes.rcZstd ? MB(sizes.rcZstd['(distinct layers)']) : '–'} | ${MB(dnfAll)} |`);
}
if (rcError) out.push('', 'rpmcompose rows not run: the compose failed:', '', '```', rcError, '```');
else if (summary.rcGzip && summary.dnfSeq) {
  const s = summary;
  const x = s.dnfSeq.wall.median / s.rcGzip.wall.median;
  const x2 = s.dnfPar2.wall.median / s.rcGzip.wall.median;
  const rssRatio = s.rcGzip.rss.median / s.rcHalf.rss.median;
  const instRatio = INSTALLED / INSTALLED_HALF;
  const rssNB = s.rcNode.rss.median / s.rcBase.rss.median;
  const instNB = FULL.node.installed / FULL.base.installed;
  out.push('', '| target | figure (medians) | |', '|---|---|---|');
  out.push(`| ≥ 2× faster than dnf + tar \\| gzip | ${s.dnfSeq.wall.median.toFixed(2)} s / ${s.rcGzip.wall.median.toFixed(2)} s = ${x.toFixed(2)}× (vs 2 at a time: ${x2.toFixed(2)}×; zstd layers: ${(s.dnfSeq.wall.median / s.rcZstd.wall.median).toFixed(2)}×) | ${x >= 2 ? 'met' : '**missed**'} |`);
  out.push(`| memory flat in package size | 3 → 5 images: ${instRatio.toFixed(2)}× the installed bytes → ${rssRatio.toFixed(2)}× the max RSS (${MiB(s.rcHalf.rss.median)} → ${MiB(s.rcGzip.rss.median)} MiB); base → node image: ${instNB.toFixed(2)}× → ${rssNB.toFixed(2)}× (${MiB(s.rcBase.rss.median)} → ${MiB(s.rcNode.rss.median)} MiB) | ${rssRatio < 1.3 && rssNB < 1.3 ? 'met' : '**missed**'} |`);
  out.push(`| both cores used | CPU / wall ${s.rcGzip.use.median.toFixed(2)} (zstd: ${s.rcZstd.use.median.toFixed(2)}) | ${s.rcGzip.use.median >= 1.6 ? 'met' : '**missed**'} |`);
}
if (capped) {
  out.push('', `Heap cap probe (one run): \`node --max-old-space-size=64 bin/rpmcompose.js compose … --image node\` → exit ${capped.status}, ${capped.wall.toFixed(2)} s, max RSS ${MiB(capped.rss)} MiB` +
    (capped.status ? `:\n\n\`\`\`\n${capped.tail}\n\`\`\`` : '.'));
}
if (profile.cpuProf) {
  out.push('', `\`node --cpu-prof\` of one gzip compose (main thread only; ${(profile.cpuProf.totalMs / 1000).toFixed(1)} s sampled), top self time:`, '', '| function | self ms | % |', '|---|---:|---:|');
  for (const t of profile.cpuProf.top.slice(0, 15)) out.push(`| ${t.fn.replaceAll('|', '\\|')} | ${t.ms.toFixed(0)} | ${t.pct.toFixed(1)} |`);
}
if (profile.perf) {
  const kern = profile.perf.kinds.find((k) => k.kind.startsWith('kernel')).pct;
  out.push('', '`perf record -g -F 499` of one gzip compose (every thread), samples by thread: ' + profile.perf.threads.filter((t) => t.pct >= 0.5).map((t) => `${t.comm} ${t.pct}%`).join(', ') + '.', '', '| work | % of CPU samples | % of user-space samples |', '|---|---:|---:|');
  for (const k of profile.perf.kinds) out.push(`| ${k.kind} | ${k.pct.toFixed(1)} | ${k.kind.startsWith('kernel') ? '–' : ((100 * k.pct) / (100 - kern)).toFixed(1)} |`);
  const inc = profile.perf.inclusive;
  out.push('', `Inclusive (with callees): main thread's handling of finished thread-pool work (uv__work_done) ${inc.uv__work_done ?? '?'}%, of it node:zlib's AfterThreadPoolWork ${inc.zlibAfterThreadPoolWork ?? '?'}%; queueing work (uv_queue_work) ${inc.uv_queue_work ?? '?'}%; waking threads (try_to_wake_up) ${inc.try_to_wake_up ?? '?'}%, futex_wake ${inc.futex_wake ?? '?'}%.`);
  out.push('', 'Top symbols: ' + profile.perf.symbols.slice(0, 12).map((t) => `${t.sym} (${t.dso}) ${t.pct}%`).join(', ') + '.');
}
out.push('', `Commands ($WORK = ${relative(ROOT, W)}; fresh output dir / install root before every run; the rpmcompose cache holds repo metadata and the RPMs, the dnf cachedir its metadata; RPMs are read from the file:// repo by both):`, '', '```', `# $WORK/dnf.conf: ${readFileSync(DNF_CONF, 'utf8').trim().split('\n').join(' ')}`);
out.push(`# untimed warm-up: ${commands.rcWarm ?? ''}`);
for (const k of ['rcGzip', 'rcZstd', 'rcHalf', 'rcBase', 'rcNode']) out.push(commands[k]);
out.push(...commands.dnf, '```');

console.log(out.join('\n'));
writeFileSync(join(BENCH_DIR, 'bench-compose.json'), JSON.stringify({ machine, loadavg: { before: load0, after: load1 }, capped, runs: RUNS, installed: { full: INSTALLED, half: INSTALLED_HALF }, images: FULL, half: HALF, lanes: LANES, dnfCounts, samples, summary, sizes, profile, commands, rpmcomposeError: rcError }, null, 2) + '\n');
log(`raw figures: ${join(BENCH_DIR, 'bench-compose.json')}`);
