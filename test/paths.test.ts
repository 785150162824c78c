// Shared layers stay correct when images lay a package's files down differently: the
// planner keys a package by its checksum plus where its files land (its resolution
// context), and the layer build refuses a layer whose images disagree.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { LayerError } from '../src/errors.js';
import { LayerBuilder, LayerCache, type LayerSource } from '../src/layer/index.js';
import { imageTrees, planKeys } from '../src/pipeline/build.js';
import { planResolution, selectArches } from '../src/pipeline/resolve.js';
import { readRpm } from '../src/rpm/package.js';
import type { ResolvedPackage, Resolution } from '../src/types/index.js';
import { fixtures, tmp } from './helpers.js';

const packages = path.join(fixtures, 'repos/usrmerge/Packages');

describe('resolution contexts', () => {
  const sources = new Map<string, LayerSource>();
  const pkg = (name: string): ResolvedPackage => ({
    name, epoch: 0, version: '1', release: '1', arch: 'x86_64', repo: 'u', location: '', checksum: `sha256:${name}`, size: 1, installsize: 1000, buildtime: 1, sourcerpm: null, license: null,
  });
  before(async () => {
    for (const f of readdirSync(packages)) {
      const name = f.replace(/-\d.*$/, '');
      sources.set(`sha256:${name}`, { header: (await readRpm(path.join(packages, f))).header, file: path.join(packages, f) });
    }
  });
  // "flat" has no usrmerge filesystem: libc-fixture's /lib64 files stay in /lib64 there.
  const resolution = (): Resolution =>
    ({
      compose: {
        options: { maxLayers: 24 },
        images: Object.fromEntries(['merged', 'again', 'flat'].map((n) => [n, { options: { weakDeps: true, docs: true, langs: [], maxLayers: 24, rpmdb: false } }])),
      },
      repos: {},
      images: {
        merged: { x86_64: { packages: ['filesystem', 'setup', 'libc-fixture'].map(pkg), edges: [], problems: [] } },
        again: { x86_64: { packages: ['filesystem', 'setup', 'libc-fixture'].map(pkg), edges: [], problems: [] } },
        flat: { x86_64: { packages: ['setup', 'libc-fixture'].map(pkg), edges: [], problems: [] } },
      },
    }) as unknown as Resolution;

  test('a package whose files land elsewhere in another image gets another planner key, hence another layer', () => {
    const res = resolution();
    const selection = selectArches(res);
    const trees = imageTrees(res, selection, sources);
    assert.deepEqual(trees.get('x86_64')!.get('merged')!.pathsOf(sources.get('sha256:libc-fixture')!.header)!.context, ['/lib64 -> /usr/lib64']);
    const [plan] = planResolution(res, selection, planKeys(res, trees, sources));
    const holding = plan!.layers.filter((l) => l.packages.some((k) => k.startsWith('sha256:libc-fixture')));
    assert.deepEqual(holding.map((l) => l.images), [['again', 'merged'], ['flat']], 'shared where the files land alike, apart where not');
    assert.notEqual(holding[0]!.packages[0], holding[1]!.packages[0]);
    // Packages no symlink moves keep their checksum as key: plans without headers (`plan`) agree with them.
    assert.ok(plan!.layers.some((l) => l.packages.includes('sha256:setup') && l.images.length === 3));
  });

  test('a layer whose images lay its files down differently is refused, naming the package', async () => {
    const res = resolution();
    const trees = imageTrees(res, selectArches(res), sources);
    const builder = new LayerBuilder(await LayerCache.open(tmp()), { compression: 'gzip' });
    try {
      const facts = new Map();
      for (const name of ['merged', 'flat']) {
        const src = res.images[name]!.x86_64!.packages.map((p) => sources.get(p.checksum)!);
        facts.set(name, await builder.imageFacts(name, 'x86_64', src, { docs: true, langs: [], rpmdb: false, accounts: { changed: [] } }, trees.get('x86_64')!.get(name)!));
      }
      const libc = sources.get('sha256:libc-fixture')!;
      await assert.rejects(
        builder.layer({ packages: ['sha256:libc-fixture'], images: ['merged', 'flat'] }, 'x86_64', [libc], facts),
        (e: unknown) => e instanceof LayerError && e.code === 'LAYER_SHARED_PATHS' && /^libc-fixture-1\.0-1\.x86_64: images merged and flat lay its files down at different paths/.test(e.message),
      );
    } finally {
      await builder.close();
    }
  });
});
