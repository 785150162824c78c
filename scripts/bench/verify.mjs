#!/usr/bin/env node
// What verifying at every use costs on a warm resolve (docs/BENCHMARKS.md, "Verification"):
// on the 63,440-package corpus (scripts/bench-resolve.sh builds it), in process, the
// repo revalidation with every cached metadata file hashed, the .solv hashed against the
// digest beside it, and the warm pool load they guard; then whole `rpmcompose resolve`
// processes, warm.
//
//   node scripts/bench/verify.mjs [runs]          (default 7; needs bench-out/bench.compose.json)
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const runs = Number(process.argv[2] ?? 7);
const file = join(root, 'bench-out/bench.compose.json');
const cacheDir = join(root, 'bench-out/verify-cache');
const { hexDigest } = await import(join(root, 'dist/src/hash.js'));
const { load } = await import(join(root, 'dist/src/pipeline/load.js'));
const { fetchRepos } = await import(join(root, 'dist/src/repo/index.js'));
const { loadPool } = await import(join(root, 'dist/src/solve/pool.js'));
const { hashFile } = await import(join(root, 'dist/src/repo/cache.js'));

rmSync(cacheDir, { recursive: true, force: true });
const ctx = await load(file, { cacheDir });
const sources = ctx.compose.reposFor('x86_64').filter((r) => r.enabled);
const cold = await fetchRepos(sources, { cacheDir });
await loadPool('x86_64', sources.map((source, i) => ({ source, metadata: cold[i] })), cacheDir); // writes the .solv

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const time = async (f) => {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await f();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ms);
};
let metadata;
const revalidate = await time(async () => {
  metadata = await fetchRepos(sources, { cacheDir });
});
const files = metadata.flatMap((m) => Object.values(m.files));
const bytes = files.reduce((n, f) => n + readFileSync(f.path).length, 0);
const hashMetadata = await time(async () => {
  for (const f of files) {
    const [type, hex] = f.checksum.split(':');
    if ((await hashFile(f.path, type)) !== hex) throw new Error(`${f.path}: checksum`);
  }
});
const solvDir = join(cacheDir, 'solv');
const solvFiles = readdirSync(solvDir).filter((f) => f.endsWith('.solv')).map((f) => join(solvDir, f));
const solvBytes = solvFiles.reduce((n, f) => n + readFileSync(f).length, 0);
const hashSolv = await time(async () => {
  for (const f of solvFiles) hexDigest(readFileSync(f));
});
const warmLoad = await time(async () => {
  await loadPool('x86_64', sources.map((source, i) => ({ source, metadata: metadata[i] })), cacheDir);
});
const proc = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [join(root, 'bin/rpmcompose.js'), 'resolve', file, '--cache-dir', cacheDir, '-q', '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(r.stderr);
  proc.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const mb = (n) => `${(n / 1048576).toFixed(1)} MiB`;
console.log(`metadata files: ${files.length}, ${mb(bytes)}; .solv: ${solvFiles.length}, ${mb(solvBytes)} (medians of ${runs})`);
console.log(`repo revalidation, metadata hashed included: ${revalidate.toFixed(1)} ms`);
console.log(`  of which hashing the metadata files:      ${hashMetadata.toFixed(1)} ms`);
console.log(`hashing the .solv:                         ${hashSolv.toFixed(1)} ms`);
console.log(`warm pool load (.solv hash included):      ${warmLoad.toFixed(1)} ms`);
console.log(`whole \`rpmcompose resolve\`, warm:          ${median(proc).toFixed(0)} ms`);
