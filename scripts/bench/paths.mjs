#!/usr/bin/env node
// What laying out paths costs (docs/BENCHMARKS.md, "Paths as rpm lays them down"): for
// the compose benchmark's images, the time to build every image's tree (canonical paths,
// resolved through its directory symlinks, rpm's checks) and the planner keys, in process,
// after the headers are read. Compare with the cold compose's wall time.
//
//   node scripts/bench/paths.mjs [compose.json] [runs]     (default: bench-out/compose/compose.json, 7)
//
// Needs a built tree (npm run setup) and the corpus (bash scripts/bench-compose.sh builds it).
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const file = resolve(process.argv[2] ?? join(root, 'bench-out/compose/compose.json'));
const runs = Number(process.argv[3] ?? 7);
const cacheDir = join(root, 'bench-out/compose/paths-cache');
const pipeline = await import(join(root, 'dist/src/pipeline/index.js'));
const { selectArches } = await import(join(root, 'dist/src/pipeline/resolve.js'));
const { fetchSources } = await import(join(root, 'dist/src/pipeline/fetch.js'));
const { imageTrees, planKeys } = await import(join(root, 'dist/src/pipeline/build.js'));
const { planResolution } = await import(join(root, 'dist/src/pipeline/resolve.js'));
const { load } = await import(join(root, 'dist/src/pipeline/load.js'));

const ctx = await load(file, { cacheDir });
const res = await pipeline.resolve(file, { cacheDir });
const selection = selectArches(res);
const sources = await fetchSources(ctx, res, selection);
let files = 0;
for (const s of sources.values()) files += s.header.files.length;
const ms = [];
let moved = 0;
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  const trees = imageTrees(res, selection, sources);
  planResolution(res, selection, planKeys(trees, sources));
  ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  moved = 0;
  for (const [arch, byImage] of trees) for (const [name, tree] of byImage) for (const p of res.images[name][arch].packages) if (tree.pathsOf(sources.get(p.checksum).header).context.length) moved++;
}
const sorted = [...ms].sort((a, b) => a - b);
const images = selection.reduce((n, s) => n + s.images.length, 0);
console.log(`${images} images, ${sources.size} packages, ${files} files; ${moved} package(s) moved by a directory symlink`);
console.log(`trees + planner keys: median ${sorted[sorted.length >> 1].toFixed(1)} ms, min ${sorted[0].toFixed(1)} ms (${runs} runs: ${ms.map((x) => x.toFixed(1)).join(', ')})`);
