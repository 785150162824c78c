#!/usr/bin/env node
// Timing harness of scripts/bench-compose-ab.sh (run that, not this): the same compose
// timed with two builds of rpmcompose, one after the other, RUNS rounds, the order of the
// two swapped every round so neither always runs on a warmer machine. Each run: the
// corpus's compose.json, every image, into a fresh layout, with repo metadata and RPMs
// warm in that build's cache and NO built layers (the work being timed). Every run's
// exit code and layout are checked. Prints markdown; raw samples in $BENCH_DIR/ab.json.
//
// With AB_LAYERS=warm, built layers stay in the cache too: a warm rebuild, where nothing
// is built and the layout is written from the cache.
//
// env: BENCH_DIR (corpus: repo/, compose.json), RUNS (default 5), AB_LAYERS (cold | warm),
//      AB_BEFORE, AB_AFTER (frozen builds: each has bin/rpmcompose.js), AB_LABELS ("before,after")
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const BENCH_DIR = resolve(process.env.BENCH_DIR ?? 'bench-out/compose');
const RUNS = Math.max(1, Number(process.env.RUNS || 5));
const [LA, LB] = (process.env.AB_LABELS ?? 'before,after').split(',');
const SIDES = [
  { label: LA, root: resolve(process.env.AB_BEFORE) },
  { label: LB, root: resolve(process.env.AB_AFTER) },
];
const COMPOSE = join(BENCH_DIR, 'compose.json');
const W = join(BENCH_DIR, 'ab');
const log = (...a) => console.error('bench-compose-ab:', ...a);
const WARM = process.env.AB_LAYERS === 'warm';

function run(side, out) {
  const args = [join(side.root, 'bin/rpmcompose.js'), 'compose', COMPOSE, '--cache-dir', side.cache, '-o', out, '-q'];
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const ch = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SOURCE_DATE_EPOCH: '' } });
    let stderr = '';
    ch.stderr.on('data', (d) => (stderr += d));
    ch.on('error', rej);
    ch.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) rej(new Error(`${side.label}: exit ${code}: ${stderr}`));
      else res(wall);
    });
  });
}

/** Only repo metadata, .solv files and RPMs stay warm: built layers would skip the timed work. */
function coldLayers(side) {
  for (const e of existsSync(side.cache) ? readdirSync(side.cache) : []) {
    if (!['repos', 'rpms', 'solv'].includes(e)) rmSync(join(side.cache, e), { recursive: true, force: true });
  }
}

function images(out) {
  const idx = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
  return idx.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']).sort();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

rmSync(W, { recursive: true, force: true });
mkdirSync(W, { recursive: true });
const want = Object.keys(JSON.parse(readFileSync(COMPOSE, 'utf8')).images).sort();
for (const s of SIDES) {
  s.cache = join(W, `cache-${s.label}`);
  s.samples = [];
  log(`${s.label}: warming repo metadata and RPMs (untimed)`);
  await run(s, join(W, `warm-${s.label}`));
}
for (let i = 0; i < RUNS; i++) {
  const order = i % 2 ? [...SIDES].reverse() : SIDES;
  for (const s of order) {
    if (!WARM) coldLayers(s);
    const out = join(W, `out-${s.label}`);
    rmSync(out, { recursive: true, force: true });
    const wall = await run(s, out);
    const got = images(out);
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${s.label}: layout holds ${got.join(', ')}, want ${want.join(', ')}`);
    s.samples.push(wall);
    log(`round ${i + 1}/${RUNS} ${s.label}: ${wall.toFixed(2)} s`);
  }
}
writeFileSync(join(BENCH_DIR, 'ab.json'), JSON.stringify(SIDES.map(({ label, root, samples }) => ({ label, root, samples })), null, 2) + '\n');
const [a, b] = SIDES;
const ma = median(a.samples);
const mb = median(b.samples);
console.log(`| build | median | min | runs (s) |\n|---|---|---|---|`);
for (const s of SIDES) console.log(`| ${s.label} | ${median(s.samples).toFixed(2)} s | ${Math.min(...s.samples).toFixed(2)} s | ${s.samples.map((x) => x.toFixed(2)).join(', ')} |`);
console.log(`\n${b.label} ÷ ${a.label} (medians): ${(mb / ma).toFixed(3)} (${mb >= ma ? '+' : ''}${(((mb - ma) / ma) * 100).toFixed(1)} %)`);
