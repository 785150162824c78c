#!/usr/bin/env node
// Layer-planning benchmark of scripts/bench-plan.sh (run that, not this).
// docs/BENCHMARKS.md, "Layer planning (issue: shared layers)".
//
// Three strategies over the same resolved sets, side by side:
//   A  one layer per image (what a Dockerfile per image gives)
//   B  popularity split, Nix buildLayeredImage-like: per image, its packages ranked by
//      popularity (Nix: reference count inside one closure; across images the natural
//      analogue is the number of images of the compose holding the package), ties by
//      name; the top budget−1 packages get a layer each, the rest one remainder layer.
//      A layer's identity is its package set, so identical layers are stored once.
//   P  this planner: planLayers({ arch, images, packages, maxLayers }) from dist/.
// Bytes are installed sizes (the metadata's installsize), the planner's estimate before
// building; the per-image top layer (rpmdb, users, image files) is not counted in any
// strategy's bytes.
//
// env:  BENCH_DIR (default bench-out/), RUNS (default 5), MAX_LAYERS (default 24),
//       CACHE_DIR (default $BENCH_DIR/plan/cache: rpmcompose's metadata cache, warmed here)
// in:   $BENCH_DIR/repo, $BENCH_DIR/bench.compose.json (10 images)
// out:  $BENCH_DIR/plan/bench50.compose.json (50 images, written here),
//       $BENCH_DIR/plan/resolve{10,50}.json, $BENCH_DIR/plan/plan-cli50.json,
//       $BENCH_DIR/plan/bench-plan.json (raw figures); markdown on stdout.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH_DIR = process.env.BENCH_DIR ? resolve(process.env.BENCH_DIR) : join(ROOT, 'bench-out');
const RUNS = Math.max(1, Number(process.env.RUNS || 5));
const BUDGET = Number(process.env.MAX_LAYERS || 24);
const OUT = join(BENCH_DIR, 'plan');
const CACHE = process.env.CACHE_DIR ? resolve(process.env.CACHE_DIR) : join(OUT, 'cache');
const REPO = join(BENCH_DIR, 'repo');
const COMPOSE10 = join(BENCH_DIR, 'bench.compose.json');
const COMPOSE50 = join(OUT, 'bench50.compose.json');
const CLI = join(ROOT, 'bin', 'rpmcompose.js');
const log = (...a) => console.error('bench-plan:', ...a);
mkdirSync(OUT, { recursive: true });

const { planLayers } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'plan', 'index.js')).href);

// ---------- the 50-image compose: the 10 + 40 realistic package sets ----------
// Each of the 40 was checked to resolve on this corpus (npm did not: its converted
// dependency node-isexe >= 2.0.0-5~ has no provider; dropped).
const MORE = {
  redis: ['redis-server'],
  'postgresql-contrib': ['postgresql-contrib'],
  ruby: ['ruby'],
  golang: ['golang-go'],
  rust: ['rustc', 'cargo'],
  jre17: ['openjdk-17-jre-headless'],
  'php-fpm': ['php-fpm'],
  mariadb: ['mariadb-server'],
  haproxy: ['haproxy'],
  squid: ['squid'],
  bind9: ['bind9'],
  postfix: ['postfix'],
  dovecot: ['dovecot-imapd'],
  samba: ['samba'],
  nfs: ['nfs-kernel-server'],
  vim: ['vim'],
  emacs: ['emacs-nox'],
  tmux: ['tmux'],
  'curl-wget': ['curl', 'wget'],
  django: ['python3-django'],
  numpy: ['python3-numpy'],
  flask: ['python3-flask'],
  ansible: ['ansible'],
  awscli: ['awscli'],
  perl: ['perl'],
  memcached: ['memcached'],
  rabbitmq: ['rabbitmq-server'],
  mosquitto: ['mosquitto'],
  lighttpd: ['lighttpd'],
  varnish: ['varnish'],
  openldap: ['slapd'],
  clang: ['clang'],
  'cmake-build': ['cmake', 'g++', 'make'],
  pandas: ['python3-pandas'],
  tomcat: ['tomcat10'],
  maven: ['maven'],
  erlang: ['erlang-nox'],
  sqlite: ['sqlite3'],
  'jq-tools': ['jq', 'curl', 'ca-certificates'],
  openvpn: ['openvpn'],
};
{
  const c10 = JSON.parse(readFileSync(COMPOSE10, 'utf8'));
  const c50 = {
    releasever: c10.releasever,
    arch: c10.arch,
    repos: { deb: { baseurl: pathToFileURL(REPO).href } },
    options: { ...c10.options, maxLayers: BUDGET },
    images: { ...c10.images, ...Object.fromEntries(Object.entries(MORE).map(([k, v]) => [k, { packages: v }])) },
  };
  if (Object.keys(c50.images).length !== 50) throw new Error(`expected 50 images, got ${Object.keys(c50.images).length}`);
  writeFileSync(COMPOSE50, JSON.stringify(c50, null, 2) + '\n');
}

// ---------- running the CLI ----------
function run(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`rpmcompose ${args.join(' ')}: exit ${r.status}\n${(r.stderr || '').trim().split('\n').slice(-8).join('\n')}`);
  return { stdout: r.stdout, t };
}
const median = (xs) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function resolveJson(compose, save) {
  const r = run(['resolve', compose, '--json', '--cache-dir', CACHE, '-q']);
  writeFileSync(save, r.stdout);
  return JSON.parse(r.stdout);
}

// Resolve output → planner input, as src/pipeline.ts planCompose builds it (x86_64 only).
function planInput(res, arch = 'x86_64') {
  const packages = new Map();
  const names = new Map();
  const images = [];
  for (const [name, byArch] of Object.entries(res.images)) {
    const r = byArch[arch];
    if (!r) throw new Error(`${name}: no ${arch} resolution`);
    for (const p of r.packages) {
      packages.set(p.checksum, { key: p.checksum, nevra: `${p.name}-${p.epoch ? p.epoch + ':' : ''}${p.version}-${p.release}.${p.arch}`, size: p.installsize, changed: p.buildtime });
      names.set(p.checksum, p.name);
    }
    images.push({ name, packages: r.packages.map((p) => p.checksum) });
  }
  return { input: { arch, images, packages, maxLayers: BUDGET }, names };
}

// ---------- strategies: each returns { layers: Map<id, {packages, bytes}>, images: name → [layer ids] } ----------
const setId = (keys) => [...keys].sort(cmp).join('\n');

function onePerImage(input) {
  const size = (k) => input.packages.get(k).size;
  const layers = new Map();
  const images = {};
  for (const img of input.images) {
    const keys = [...new Set(img.packages)];
    const id = setId(keys);
    layers.set(id, { packages: keys, bytes: keys.reduce((s, k) => s + size(k), 0) });
    images[img.name] = [id];
  }
  return { layers, images };
}

function popularity(input, names) {
  const size = (k) => input.packages.get(k).size;
  const pop = new Map();
  for (const img of input.images) for (const k of new Set(img.packages)) pop.set(k, (pop.get(k) ?? 0) + 1);
  const layers = new Map();
  const images = {};
  const add = (keys) => {
    const id = setId(keys);
    if (!layers.has(id)) layers.set(id, { packages: keys, bytes: keys.reduce((s, k) => s + size(k), 0) });
    return id;
  };
  for (const img of input.images) {
    const ranked = [...new Set(img.packages)].sort((a, b) => pop.get(b) - pop.get(a) || cmp(names.get(a), names.get(b)) || cmp(a, b));
    const ids = ranked.slice(0, BUDGET - 1).map((k) => add([k]));
    const rest = ranked.slice(BUDGET - 1);
    if (rest.length) ids.push(add(rest));
    images[img.name] = ids;
  }
  return { layers, images };
}

function planner(input) {
  const plan = planLayers(input);
  const layers = new Map(plan.layers.map((l) => [l.id, { packages: l.packages, bytes: l.bytes }]));
  return { layers, images: plan.images, plan };
}

// ---------- figures, computed the same way for all three ----------
function figures(input, s) {
  const size = (k) => input.packages.get(k).size;
  const unique = new Set(input.images.flatMap((i) => i.packages));
  const floor = [...unique].reduce((t, k) => t + size(k), 0);
  let sumOfImages = 0;
  const stored = [...s.layers.values()].reduce((t, l) => t + l.bytes, 0);
  const layerCounts = [];
  const repull = [];
  const repullImageMedians = [];
  for (const img of input.images) {
    const want = new Set(img.packages);
    sumOfImages += [...want].reduce((t, k) => t + size(k), 0);
    const ids = s.images[img.name];
    layerCounts.push(ids.length);
    // Invariant check: the image's layers hold exactly its packages, each once.
    const holder = new Map();
    for (const id of ids) {
      const l = s.layers.get(id);
      if (!l) throw new Error(`${img.name}: unknown layer ${id}`);
      for (const k of l.packages) {
        if (holder.has(k)) throw new Error(`${img.name}: package ${k} in two layers`);
        if (!want.has(k)) throw new Error(`${img.name}: package ${k} it did not ask for`);
        holder.set(k, l.bytes);
      }
    }
    if (holder.size !== want.size) throw new Error(`${img.name}: ${want.size - holder.size} packages missing from its layers`);
    const mine = [...want].map((k) => holder.get(k));
    repull.push(...mine);
    repullImageMedians.push(median(mine));
  }
  // Prefix sharing: over pairs of images, the part of the bytes both use (in layers both
  // have) that lies in their common layer prefix (what runtimes dedupe by chain).
  let sharedBytes = 0;
  let prefixBytes = 0;
  for (let i = 0; i < input.images.length; i++) {
    for (let j = i + 1; j < input.images.length; j++) {
      const a = s.images[input.images[i].name];
      const b = s.images[input.images[j].name];
      const inB = new Set(b);
      sharedBytes += a.filter((id) => inB.has(id)).reduce((t, id) => t + s.layers.get(id).bytes, 0);
      for (let k = 0; k < a.length && k < b.length && a[k] === b[k]; k++) prefixBytes += s.layers.get(a[k]).bytes;
    }
  }
  return {
    floor,
    stored,
    prefixShare: sharedBytes ? prefixBytes / sharedBytes : null,
    sumOfImages,
    storedOverFloor: stored / floor,
    distinctLayers: s.layers.size,
    layersMax: Math.max(...layerCounts),
    layersMedian: median(layerCounts),
    pairs: repull.length,
    repullWorst: Math.max(...repull),
    repullMedian: median(repull),
    repullMean: repull.reduce((a, b) => a + b, 0) / repull.length,
    repullMedianOfImageMedians: median(repullImageMedians),
  };
}

function timeIt(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
function timed(fn) {
  const cold = timeIt(fn); // first call in this process (JIT cold), reported apart
  const ts = [];
  for (let i = 0; i < RUNS; i++) ts.push(timeIt(fn));
  return { coldMs: cold, medianMs: median(ts), minMs: Math.min(...ts), runsMs: ts };
}

function compare(res, label) {
  const { input, names } = planInput(res);
  const strategies = {
    'one layer per image': () => onePerImage(input),
    [`popularity, Nix-like (budget ${BUDGET})`]: () => popularity(input, names),
    [`planner (maxLayers ${BUDGET})`]: () => planner(input),
  };
  const out = {};
  for (const [name, fn] of Object.entries(strategies)) {
    const t = timed(fn);
    const s = fn();
    out[name] = { ...figures(input, s), time: t };
    if (s.plan) {
      const p = s.plan;
      // Cross-check: the planner's own figures against ours.
      if (p.figures.storedBytes !== out[name].stored || p.figures.floor !== out[name].floor) {
        throw new Error(`planner figures disagree: stored ${p.figures.storedBytes} vs ${out[name].stored}, floor ${p.figures.floor} vs ${out[name].floor}`);
      }
      const ownLayer = {};
      for (const l of p.layers) if (l.images.length === 1) ownLayer[l.images[0]] = l.bytes;
      out[name].planner = {
        trades: p.traded.length,
        tradedPackages: p.traded.reduce((a, t) => a + t.packages, 0),
        tradedBytes: p.traded.reduce((a, t) => a + t.bytes, 0),
        imagesTrading: [...new Set(p.traded.map((t) => t.image))].length,
        sharedLayers: p.layers.filter((l) => l.images.length > 1).length,
        perImage: Object.fromEntries(
          Object.entries(p.figures.images).map(([n, f]) => [n, { ...f, ownLayerBytes: ownLayer[n] ?? 0, trades: p.traded.filter((t) => t.image === n).length }]),
        ),
        traded: p.traded,
      };
    }
  }
  const pkgs = new Set(input.images.flatMap((i) => i.packages));
  return { label, images: input.images.length, packages: pkgs.size, strategies: out };
}

// ---------- run ----------
log(`warming the metadata cache ${relative(ROOT, CACHE)}`);
run(['resolve', COMPOSE10, '--cache-dir', CACHE, '-q']);
log('resolving the 10- and 50-image composes');
const res10 = resolveJson(COMPOSE10, join(OUT, 'resolve10.json'));
const res50 = resolveJson(COMPOSE50, join(OUT, 'resolve50.json'));

log('comparing strategies');
const c10 = compare(res10, '10 images (bench.compose.json)');
const c50 = compare(res50, '50 images (plan/bench50.compose.json)');

log(`timing whole processes, ${RUNS} runs each`);
const proc = { plan: [], resolve: [] };
let cliPlan;
for (let i = 0; i < RUNS; i++) {
  const p = run(['plan', COMPOSE50, '--json', '--cache-dir', CACHE, '-q']);
  proc.plan.push(p.t);
  cliPlan = p.stdout;
  proc.resolve.push(run(['resolve', COMPOSE50, '--json', '--cache-dir', CACHE, '-q']).t);
}
writeFileSync(join(OUT, 'plan-cli50.json'), cliPlan);
{
  const cf = JSON.parse(cliPlan).arches.x86_64.figures;
  const mine = c50.strategies[`planner (maxLayers ${BUDGET})`];
  if (cf.storedBytes !== mine.stored || cf.floor !== mine.floor) throw new Error(`plan --json figures differ from in-process: ${cf.storedBytes} vs ${mine.stored}`);
}

const machine = {
  cpu: os.cpus()[0]?.model ?? '?',
  cores: os.cpus().length,
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  kernel: os.release(),
  date: new Date().toISOString(),
};
const raw = {
  machine,
  runs: RUNS,
  budget: BUDGET,
  cache: relative(ROOT, CACHE),
  compare10: c10,
  compare50: c50,
  process50: {
    planMedianS: median(proc.plan),
    planMinS: Math.min(...proc.plan),
    resolveMedianS: median(proc.resolve),
    resolveMinS: Math.min(...proc.resolve),
    runs: proc,
  },
};
writeFileSync(join(OUT, 'bench-plan.json'), JSON.stringify(raw, null, 2) + '\n');

// ---------- markdown ----------
const MB = (b) => (b / 1e6).toFixed(1);
const ms = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
function table(c) {
  const rows = [
    `${c.label}: ${c.packages} distinct packages, floor ${MB(Object.values(c.strategies)[0].floor)} MB (installed sizes)`,
    '',
    '| strategy | stored MB | stored ÷ floor | distinct layers | layers/image max | median | re-pull worst MB | re-pull median MB | plan ms (median of ' + RUNS + ') |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [n, f] of Object.entries(c.strategies)) {
    rows.push(`| ${n} | ${MB(f.stored)} | ${f.storedOverFloor.toFixed(3)} | ${f.distinctLayers} | ${f.layersMax} | ${f.layersMedian} | ${MB(f.repullWorst)} | ${MB(f.repullMedian)} | ${ms(f.time.medianMs)} |`);
  }
  const p = Object.values(c.strategies).find((f) => f.planner);
  rows.push('', `shared bytes in the common layer prefix (pairs of images): ${Object.entries(c.strategies).map(([n, f]) => `${n.replace(/[ ,(].*/, '')} ${f.prefixShare === null ? 'n/a' : (100 * f.prefixShare).toFixed(1) + '%'}`).join(', ')}`);
  rows.push('', `planner: ${p.planner.sharedLayers} shared layers; ${p.planner.trades} trades by ${p.planner.imagesTrading} images, ${p.planner.tradedPackages} packages (${MB(p.planner.tradedBytes)} MB) duplicated into own layers; re-pull over ${p.pairs} (image, package) pairs`);
  const big = Object.entries(p.planner.perImage)
    .sort((a, b) => b[1].ownLayerBytes - a[1].ownLayerBytes)
    .slice(0, 4)
    .map(([n, f]) => `${n} ${MB(f.ownLayerBytes)} MB in ${f.layers} layers`);
  rows.push('', `planner: largest own (single-image) layers: ${big.join('; ')}; images using fewer than ${BUDGET} layers: ${Object.values(p.planner.perImage).filter((f) => f.layers < BUDGET).length} of ${c.images}`);
  return rows.join('\n');
}
const out = [
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB, Node ${machine.node}, ${machine.date}`,
  '',
  table(c10),
  '',
  table(c50),
  '',
  '| 50 images | median | min |',
  '|---|---:|---:|',
  `| planLayers alone, in process (ms) | ${ms(c50.strategies[`planner (maxLayers ${BUDGET})`].time.medianMs)} | ${ms(c50.strategies[`planner (maxLayers ${BUDGET})`].time.minMs)} |`,
  `| \`rpmcompose plan --json\`, whole process, warm cache (s) | ${raw.process50.planMedianS.toFixed(3)} | ${raw.process50.planMinS.toFixed(3)} |`,
  `| \`rpmcompose resolve --json\`, whole process, warm cache (s) | ${raw.process50.resolveMedianS.toFixed(3)} | ${raw.process50.resolveMinS.toFixed(3)} |`,
  '',
];
console.log(out.join('\n'));
