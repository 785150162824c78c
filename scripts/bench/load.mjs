#!/usr/bin/env node
// In-process load times of the bench repo through rpmcompose's own solver stage (run by
// scripts/bench-resolve.sh after the whole-process figures): XML → pool (+ writing the
// .solv), and .solv → pool, each with pool_addfileprovides/createwhatprovides, median
// and min of RUNS. Separates libsolv's load from Node's start-up and module loading.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH_DIR = process.env.BENCH_DIR ? resolve(process.env.BENCH_DIR) : join(ROOT, 'bench-out');
const RUNS = Math.max(1, Number(process.env.RUNS || 5));
const { fetchRepo } = await import(pathToFileURL(join(ROOT, 'dist/src/repo/index.js')).href);
const { loadPool } = await import(pathToFileURL(join(ROOT, 'dist/src/solve/pool.js')).href);

const source = {
  id: 'deb', origin: 'bench', baseurl: [pathToFileURL(join(BENCH_DIR, 'repo')).href], enabled: true, gpgkey: [],
  gpgcheck: false, repo_gpgcheck: false, priority: 99, cost: 1000, includepkgs: [], excludepkgs: [], sslverify: true,
};
const cacheDir = mkdtempSync(join(os.tmpdir(), 'rpmcompose-load-'));
const metadata = await fetchRepo(source, { cacheDir });
const time = (f) => {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0] };
};
const cold = [];
const warm = [];
for (let i = 0; i < RUNS; i++) {
  rmSync(join(cacheDir, 'solv'), { recursive: true, force: true });
  cold.push(time(() => loadPool('x86_64', [{ source, metadata }], cacheDir)));
  warm.push(time(() => {
    const pool = loadPool('x86_64', [{ source, metadata }], cacheDir);
    if (!pool.repos[0].fromSolv) throw new Error('warm load did not use the .solv');
  }));
}
rmSync(cacheDir, { recursive: true, force: true });
const row = (label, xs) => {
  const { median, min } = stats(xs);
  return `| ${label} | ${median.toFixed(3)} | ${min.toFixed(3)} |`;
};
console.log(`\n### In-process load (rpmcompose's solver stage, ${RUNS} runs)\n`);
console.log('| measurement (seconds, inside one process) | median | min |\n|---|---:|---:|');
console.log(row('XML → pool: primary parsed, .solv written, filelists scanned for file deps outside primary, whatprovides built', cold));
console.log(row('.solv → pool, whatprovides built', warm));
