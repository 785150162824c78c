// `rpmcompose compose` end to end on real RPMs (built by scripts/fixtures/build.sh):
// images validated by skopeo and umoci, unpacked and compared file for file with dnf's
// install of the same packages, run, reproducible, and failing cleanly.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { assertSameAsDnf, cli, dnfInstall, fixtures, manifest, ok, podmanRun, run, tmp, unpack, walk, workspace } from './helpers.js';
import { validateArchive, validateLayout } from './validate.js';

const repo = path.join(fixtures, 'repos/compose');

describe('rpmcompose compose', () => {
  const w = workspace({
    hello: { packages: ['hello-static'], entrypoint: ['/usr/bin/hello'], env: { LANG: 'C.UTF-8' }, labels: { a: 'b' } },
    edge: { packages: ['edgecases'] },
    shared: { packages: ['shared-a', 'shared-b'] },
  });
  const out = path.join(w.dir, 'out');
  let first = '';

  test('writes an OCI layout that skopeo reads, one named entry per image', () => {
    const r = w.compose('-o', out);
    assert.equal(r.status, 0, r.stderr);
    first = readFileSync(path.join(out, 'index.json'), 'utf8');
    const layout = validateLayout(out);
    assert.deepEqual(Object.keys(layout.refs).sort(), ['edge', 'hello', 'shared']);
    assert.deepEqual(layout.stored, layout.blobs, 'nothing in blobs/ that index.json does not reach');
    const index = JSON.parse(first);
    assert.deepEqual(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name']).sort(), ['edge', 'hello', 'shared']);
    const info = JSON.parse(run('skopeo', ['inspect', `oci:${out}:hello`]));
    assert.equal(info.Architecture, 'amd64');
    const config = JSON.parse(run('skopeo', ['inspect', '--config', `oci:${out}:hello`]));
    assert.deepEqual(config.config.Entrypoint, ['/usr/bin/hello']);
    assert.ok(config.config.Env.includes('LANG=C.UTF-8'));
    assert.ok(config.config.Env.some((e: string) => e.startsWith('PATH=')));
    assert.equal(config.created, '2024-01-01T00:00:00Z', 'created = the newest package build time');
    // Three layers: the base hello shares with edge, hello's own, then its rpm database on
    // top; history says what each holds.
    assert.equal(config.history.length, 3);
    assert.match(config.history[0].comment, /filesystem-3\.18-1\.x86_64 setup-2\.14\.5-1\.noarch/);
    assert.match(config.history[1].comment, /hello-static-1\.0-1\.x86_64/);
    assert.equal(config.history[2].comment, 'rpm database: 3 packages in /usr/lib/sysimage/rpm/rpmdb.sqlite');
    assert.match(r.stderr, /scriptlets not run.*edgecases/);
    // A whole compose updates the lock: nothing to rebuild afterwards.
    assert.ok(existsSync(path.join(w.dir, 'compose.lock.json')));
    assert.equal(cli(['diff', w.file, '--cache-dir', w.cache, '-q']).status, 0);
  });

  test('each image unpacks (umoci) to exactly what dnf installs: paths, types, modes, owners, links, contents, capabilities', () => {
    for (const [name, packages] of [['hello', ['hello-static']], ['edge', ['edgecases']], ['shared', ['shared-a', 'shared-b']]] as const) {
      assertSameAsDnf(unpack(out, name), dnfInstall([...packages]));
    }
  });

  test('the static program runs in the unpacked image, and under podman', () => {
    const rootfs = unpack(out, 'hello');
    assert.equal(run('chroot', [rootfs, '/usr/bin/hello']).trim(), 'hello from rpmcompose');
    assert.equal(podmanRun(out, 'hello', ['/usr/bin/hello']).trim(), 'hello from rpmcompose');
  });

  test('hard links, setuid, capabilities and owners as rpm sets them', () => {
    const rootfs = unpack(out, 'edge');
    const m = manifest(rootfs, ['/usr/bin/edgecases-suid', '/usr/bin/edgecases-setuidcap', '/var/lib/edgecases/web/data']) as Record<string, Record<string, unknown>>;
    assert.equal(m['/usr/bin/edgecases-suid']!.mode, '0o4755');
    // cap_setuid: bit 7 → a byte ≥ 0x80 that a UTF-8 PAX record would have mangled.
    assert.equal(m['/usr/bin/edgecases-setuidcap']!.caps, '0100000280000000000000000000000000000000');
    assert.deepEqual([m['/var/lib/edgecases/web/data']!.uid, m['/var/lib/edgecases/web/data']!.gid], [480, 481]);
    const a = run('stat', ['-c', '%i %h', path.join(rootfs, 'usr/share/edgecases/hardlink-a')]);
    const b = run('stat', ['-c', '%i %h', path.join(rootfs, 'usr/share/edgecases/hardlink-b')]);
    assert.equal(a, b);
    assert.match(a, / 2\n$/);
  });

  test('composing again gives the same digests, byte for byte', () => {
    const again = path.join(w.dir, 'again');
    ok(w.compose('-o', again));
    validateLayout(again);
    assert.equal(readFileSync(path.join(again, 'index.json'), 'utf8'), first);
    assert.deepEqual(readdirSync(path.join(again, 'blobs/sha256')).sort(), readdirSync(path.join(out, 'blobs/sha256')).sort());
  });

  test('oci-archive and docker-archive outputs pass skopeo inspect', () => {
    const oa = path.join(w.dir, 'images.tar');
    ok(w.compose('-o', oa, '--format', 'oci-archive'));
    assert.deepEqual(Object.keys(validateArchive(oa).refs).sort(), ['edge', 'hello', 'shared']);
    assert.equal(JSON.parse(run('skopeo', ['inspect', `oci-archive:${oa}:hello`])).Architecture, 'amd64');
    const da = path.join(w.dir, 'hello-docker.tar');
    const r = w.compose('-o', da, '--format', 'docker-archive', '--image', 'hello');
    assert.equal(r.status, 0, r.stderr);
    // Tagged hello:latest: skopeo finds the image by that tag.
    assert.equal(JSON.parse(run('skopeo', ['inspect', `docker-archive:${da}:hello:latest`])).Architecture, 'amd64');
  });

  test('zstd layers', () => {
    const z = path.join(w.dir, 'zstd');
    ok(w.compose('-o', z, '--compression', 'zstd', '--image', 'hello'));
    validateLayout(z);
    const m = JSON.parse(run('skopeo', ['inspect', '--raw', `oci:${z}:hello`]));
    assert.equal(m.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
    const copy = path.join(w.dir, 'zstd-copy');
    run('skopeo', ['copy', `oci:${z}:hello`, `dir:${copy}`]);
  });
});

describe('rpmcompose compose: options and failures', () => {
  test('docs off and langs: %doc and foreign-language files are left out (dnf nodocs for docs)', () => {
    const w = workspace({ hello: { packages: ['hello-static'] } }, { options: { docs: false, langs: ['en'] } });
    const out = path.join(w.dir, 'out');
    ok(w.compose('-o', out));
    validateLayout(out);
    const rootfs = unpack(out, 'hello');
    const files = walk(rootfs);
    assert.ok(!files.some((p) => p.startsWith('/usr/share/doc/hello-static/')), 'docs left out');
    assert.ok(files.some((p) => p.startsWith('/usr/share/licenses/hello-static/')), '%license files stay, as with rpm --excludedocs');
    assert.ok(!files.includes('/usr/share/locale/de/LC_MESSAGES/hello.mo'), 'de left out');
    const dnfRoot = dnfInstall(['hello-static'], { nodocs: true });
    const owned = run('rpm', ['--root', dnfRoot, '-qal']).split('\n').filter((p) => p.startsWith('/usr/share/doc') || p.startsWith('/usr/bin'));
    assert.deepEqual(manifest(rootfs, owned), manifest(dnfRoot, owned));
  });

  test('several arches: one image index per image; docker-archive needs --arch', () => {
    const w = workspace({ base: { packages: ['filesystem'] } }, { arch: ['x86_64', 'aarch64'] });
    const out = path.join(w.dir, 'out');
    ok(w.compose('-o', out));
    assert.equal(validateLayout(out).manifests, 2);
    const idx = JSON.parse(run('skopeo', ['inspect', '--raw', `oci:${out}:base`]));
    assert.deepEqual(idx.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort(), ['amd64', 'arm64']);
    const bad = w.compose('-o', path.join(w.dir, 'd.tar'), '--format', 'docker-archive');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /pick one with --arch/);
    ok(w.compose('-o', path.join(w.dir, 'd.tar'), '--format', 'docker-archive', '--arch', 'aarch64'));
    assert.equal(JSON.parse(run('skopeo', ['inspect', `docker-archive:${path.join(w.dir, 'd.tar')}`])).Architecture, 'arm64');
  });

  test('two packages with different content at one path fail like an rpm file conflict', () => {
    const w = workspace({ both: { packages: ['conflict-a', 'conflict-b'] } });
    const r = w.compose('-o', path.join(w.dir, 'out'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\/usr\/share\/conflict\/same\.txt conflicts between conflict-a-.* and conflict-b-/);
    assert.ok(!existsSync(path.join(w.dir, 'out/index.json')));
  });

  test('a corrupt RPM fails naming the package and checksum; output and cache stay as they were', () => {
    const copy = path.join(tmp(), 'repo');
    cpSync(repo, copy, { recursive: true });
    const w = workspace({ hello: { packages: ['hello-static'] } }, {}, copy);
    const out = path.join(w.dir, 'out');
    ok(w.compose('-o', out));
    validateLayout(out);
    const before = readFileSync(path.join(out, 'index.json'));
    // Same repo metadata, a damaged package: the checksum in primary catches it.
    const rpm = readdirSync(path.join(copy, 'Packages')).find((f) => f.startsWith('hello-static'))!;
    const file = path.join(copy, 'Packages', rpm);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100]! ^= 0xff;
    writeFileSync(file, bytes);
    const fresh = workspace({ hello: { packages: ['hello-static'] }, other: { packages: ['setup'] } }, {}, copy);
    cpSync(out, path.join(fresh.dir, 'out'), { recursive: true });
    const r = fresh.compose('-o', path.join(fresh.dir, 'out'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /hello-static/);
    assert.match(r.stderr, /sha256:[0-9a-f]{64}/);
    assert.deepEqual(readFileSync(path.join(fresh.dir, 'out/index.json')), before);
    validateLayout(path.join(fresh.dir, 'out'));
    const cached = readdirSync(path.join(fresh.cache, 'rpms'));
    assert.ok(cached.every((f) => !f.includes('tmp')), `temp files left: ${cached}`);
    assert.ok(!cached.some((f) => readFileSync(path.join(fresh.cache, 'rpms', f)).equals(bytes)), 'the corrupt RPM entered the cache');
  });
});
