#!/usr/bin/env node
// Writes the compose files the resolve benchmark uses:
//   <out>/bench.compose.json      the 10 images (the benchmark proper)
//   <out>/bench-one.compose.json  one small image (bash), to see the warm load on its own
// Usage: node scripts/bench/compose.mjs [--repo DIR] [--out DIR]
//   defaults: --repo $BENCH_DIR/repo, --out $BENCH_DIR (BENCH_DIR defaults to bench-out/)
// Each image resolves under dnf on the Debian-derived repo (see docs/BENCHMARKS.md).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = process.env.BENCH_DIR ? resolve(process.env.BENCH_DIR) : join(ROOT, 'bench-out');
let repo = join(benchDir, 'repo');
let out = benchDir;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--repo') repo = resolve(args[++i]);
  else if (args[i] === '--out') out = resolve(args[++i]);
  else {
    console.error(`unknown argument: ${args[i]}`);
    process.exit(2);
  }
}

// The 10 images: name → package list (as one would type them after `dnf install`).
const IMAGES = {
  bash: ['bash', 'coreutils'],
  python3: ['python3'],
  nginx: ['nginx'],
  postgresql: ['postgresql'],
  sshd: ['openssh-server', 'sudo'],
  nodejs: ['nodejs'],
  jdk: ['default-jdk-headless'],
  gcc: ['gcc', 'make'],
  git: ['git'],
  'apache-php': ['apache2', 'php'],
};

function compose(images) {
  return {
    releasever: '12',
    arch: ['x86_64'],
    repos: { deb: { baseurl: pathToFileURL(repo).href } },
    options: { weakDeps: false },
    images: Object.fromEntries(Object.entries(images).map(([k, v]) => [k, { packages: v }])),
  };
}

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'bench.compose.json'), JSON.stringify(compose(IMAGES), null, 2) + '\n');
writeFileSync(join(out, 'bench-one.compose.json'), JSON.stringify(compose({ bash: IMAGES.bash }), null, 2) + '\n');
console.log(join(out, 'bench.compose.json'));
