#!/usr/bin/env node
// Where writing an rpm database goes (docs/BENCHMARKS.md, "The rpm database"): one
// database of every package of the compose corpus (bench-out/compose/repo), its steps
// timed in one process, RUNS times (the first run includes loading sql.js and warming up).
//
//   node scripts/bench/rpmdb.mjs        # needs the corpus (scripts/bench-compose.sh) and a build (npm run build)
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dist = resolve(import.meta.dirname, '../../dist/src');
const { readRpm } = await import(join(dist, 'rpm/package.js'));
const { HEADER_MAGIC, RpmHeader } = await import(join(dist, 'rpm/header.js'));
const { installOrder, installedHeader, indexRows } = await import(join(dist, 'rpmdb/index.js'));
const { writeRpmdb } = await import(join(dist, 'rpmdb/sqlite.js'));

const dir = resolve(process.env.BENCH_DIR ?? 'bench-out/compose', 'repo/Packages');
const RUNS = Number(process.env.RUNS || 3);
const sources = [];
for (const f of readdirSync(dir).filter((f) => f.endsWith('.rpm')).sort()) {
  const { header } = await readRpm(join(dir, f));
  sources.push({ main: header.headerBlob, sig: header.signatureBlob, states: new Uint8Array(header.files.length), files: header.files.length });
}
const magic = Buffer.concat([HEADER_MAGIC, Buffer.alloc(4)]);
console.log(`${sources.length} packages, ${sources.reduce((s, x) => s + x.files, 0)} files`);
for (let run = 1; run <= RUNS; run++) {
  const ms = {};
  let t = performance.now();
  const lap = (name) => {
    ms[name] = performance.now() - t;
    t = performance.now();
  };
  const order = installOrder(sources.map((s) => new RpmHeader(s.main)), 3, 2);
  lap('order');
  const blobs = order.map((i, k) => installedHeader(sources[i].main, sources[i].sig, { time: 1 + k, tid: 1, color: 3, fileStates: sources[i].states }, `package ${i}`));
  lap('headers');
  const packages = blobs.map((blob) => ({ blob, rows: indexRows(new RpmHeader(Buffer.concat([magic, blob])), true) }));
  lap('rows');
  const bytes = await writeRpmdb(packages);
  lap('sqlite');
  const rows = packages.reduce((s, p) => s + p.rows.reduce((a, r) => a + r.length, 0), 0);
  console.log(`run ${run}: ${Object.entries(ms).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}; ${rows} rows, ${bytes.length} bytes`);
}
