// The shared-layer DAG end to end: overlapping images share layer blobs, each still
// unpacks to exactly its own packages' files, and a package update rewrites only the
// layers that hold it.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { assertSameAsDnf, cli, dnfInstall, fixtures, ok, run, tmp, unpack, workspace } from './helpers.js';
import { validateLayout } from './validate.js';

/** A small noarch RPM built now with rpmbuild, deterministic as the fixtures are. */
function buildRpm(out: string, name: string, version: string, content: string): void {
  const top = tmp('rpmcompose-rpmbuild-');
  const spec = path.join(top, `${name}.spec`);
  writeFileSync(
    spec,
    `Name: ${name}\nVersion: ${version}\nRelease: 1\nSummary: test package\nLicense: MIT\nBuildArch: noarch\nAutoReqProv: no\nRequires: filesystem\n` +
      `%description\ntest\n%install\nmkdir -p %{buildroot}/usr/share/${name}\necho '${content}' > %{buildroot}/usr/share/${name}/data.txt\n` +
      `%files\n/usr/share/${name}\n`,
  );
  run('rpmbuild', [
    '-bb', spec, '--quiet', '--define', `_topdir ${top}`, '--define', `_rpmdir ${out}`, '--define', '_build_name_fmt %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm',
    '--define', 'use_source_date_epoch_as_buildtime 1', '--define', 'clamp_mtime_to_source_date_epoch 1', '--define', '_buildhost test',
    '--dbpath', path.join(top, 'db'),
  ], { env: { SOURCE_DATE_EPOCH: '1704067200' } });
}

interface Manifest {
  layers: { digest: string }[];
}

describe('shared layers', () => {
  const repo = path.join(tmp(), 'repo');
  const images = {
    base: { packages: ['filesystem'] },
    hello: { packages: ['hello-static', 'bumpme'] },
    edge: { packages: ['edgecases', 'bumpme'] },
    both: { packages: ['hello-static', 'edgecases'] },
    shared: { packages: ['shared-a', 'shared-b', 'filesystem'] },
  };
  let w: ReturnType<typeof workspace>;
  let out: string;
  const manifests = (dir: string): Record<string, Manifest> =>
    Object.fromEntries(Object.keys(images).map((n) => [n, JSON.parse(run('skopeo', ['inspect', '--raw', `oci:${dir}:${n}`])) as Manifest]));

  before(() => {
    cpSync(path.join(fixtures, 'repos/compose'), repo, { recursive: true });
    mkdirSync(path.join(repo, 'Packages'), { recursive: true });
    buildRpm(path.join(repo, 'Packages'), 'bumpme', '1.0', 'one');
    run('createrepo_c', ['--update', '-q', repo]);
    w = workspace(images, {}, repo);
    out = path.join(w.dir, 'out');
    ok(w.compose('-o', out));
    assert.deepEqual(Object.keys(validateLayout(out).refs).sort(), Object.keys(images).sort());
  });

  test('the base every image holds is one layer blob, stored once, at the bottom of every image', () => {
    const m = manifests(out);
    const bottom = new Set(Object.values(m).map((x) => x.layers[0]!.digest));
    assert.equal(bottom.size, 1, JSON.stringify(m));
    const all = Object.values(m).flatMap((x) => x.layers.map((l) => l.digest));
    assert.ok(new Set(all).size < all.length, 'layers are shared');
    // hello and edge share bumpme's layer too, above the base.
    assert.ok(m.hello!.layers.some((l) => m.edge!.layers.some((e) => e.digest === l.digest && l.digest !== m.base!.layers[0]!.digest)));
    // The layout holds exactly the blobs index.json reaches (nothing extra), one blob per
    // planned layer (a layer shared by several images is stored once), and each image's
    // rpm database on top.
    const layout = validateLayout(out);
    assert.deepEqual(layout.stored, layout.blobs);
    assert.ok(layout.stored.includes(m.base!.layers[0]!.digest));
    const planned = JSON.parse(ok(cli(['plan', w.file, '--json', '--cache-dir', w.cache, '-q'])).stdout).arches.x86_64.layers.length as number;
    const n = Object.keys(images).length;
    assert.equal(layout.layers, planned + n, `${layout.layers} layer blobs for ${planned} planned layers and ${n} databases`);
    assert.equal(layout.manifests, n);
    assert.equal(layout.blobs.length, planned + 3 * n, 'layers, and a database, a config and a manifest per image');
  });

  test('every image unpacks to exactly its own packages\u2019 files, as dnf installs them', () => {
    for (const [name, def] of Object.entries(images)) assertSameAsDnf(unpack(out, name), dnfInstall(def.packages, { repo }));
  });

  test('plan --json, --format dot and --format mermaid describe the same DAG', () => {
    const plan = JSON.parse(ok(cli(['plan', w.file, '--json', '--cache-dir', w.cache, '-q'])).stdout);
    const x = plan.arches.x86_64;
    assert.ok(x.layers.length >= 4);
    assert.equal(x.figures.storedBytes, x.figures.floor, 'every package stored once: no trade needed');
    assert.ok(x.layers[0].packages.includes('filesystem-3.18-1.x86_64'));
    assert.deepEqual(x.layers[0].images, Object.keys(images).sort());
    const dot = ok(cli(['plan', w.file, '--format', 'dot', '--cache-dir', w.cache, '-q'])).stdout;
    assert.match(dot, /^digraph layers \{/);
    assert.equal((dot.match(/shape=ellipse/g) ?? []).length, Object.keys(images).length);
    const mermaid = ok(cli(['plan', w.file, '--format', 'mermaid', '--cache-dir', w.cache, '-q'])).stdout;
    assert.match(mermaid, /^graph BT\n/);
    assert.equal((mermaid.match(/\(\["/g) ?? []).length, Object.keys(images).length, 'one rounded node per image');
  });

  test('bumping one package rewrites only the layers that hold it', () => {
    const before = manifests(out);
    buildRpm(path.join(repo, 'Packages'), 'bumpme', '1.1', 'two');
    run('createrepo_c', ['--update', '-q', repo]);
    const after = path.join(w.dir, 'after');
    ok(w.compose('-o', after));
    validateLayout(after);
    const now = manifests(after);
    for (const name of Object.keys(images)) {
      const was = before[name]!.layers.map((l) => l.digest);
      const is = now[name]!.layers.map((l) => l.digest);
      assert.equal(is.length, was.length, name);
      const changed = is.flatMap((d, i) => (d !== was[i] ? [i] : []));
      const holds = (images as Record<string, { packages: string[] }>)[name]!.packages.includes('bumpme');
      // The layer holding it, and the image's rpm database (the top layer) that records it.
      assert.equal(changed.length, holds ? 2 : 0, `${name}: ${changed.length} layers changed`);
      if (holds) assert.equal(changed.at(-1), is.length - 1, `${name}: the database is the top layer`);
    }
  });

  test('an unchanged layer is taken from the host cache, not rebuilt', () => {
    const r = ok(w.compose('-o', path.join(w.dir, 'third'), '--json'));
    validateLayout(path.join(w.dir, 'third'));
    const hello = (JSON.parse(r.stdout).images as { name: string; layers: { cached: boolean }[] }[]).find((i) => i.name === 'hello')!;
    assert.ok(hello.layers.length >= 2);
    assert.ok(hello.layers.every((l) => l.cached), 'every layer came from the cache');
    // People read the same in the result block: 0 rebuilt.
    const text = ok(cli(['compose', w.file, '--cache-dir', w.cache, '-o', path.join(w.dir, 'fourth')], { cwd: w.dir })).stdout;
    assert.match(text, /hello {2}\S+\n {2}x86_64 {2}sha256:[0-9a-f]{64}\n {10}4 packages, layers \d+ \(\d+ shared, 0 rebuilt\)/);
  });
});
