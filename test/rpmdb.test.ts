// The rpm database every image gets (src/rpmdb, src/layer/rpmdb.ts), against Debian's
// rpm 4.18 and dnf 4.14: the headers and index rows dnf's install records, what
// `rpm --rebuilddb` regenerates, rpm's queries and verification inside the image on a
// read-only root, the db path an image's own macros choose, and the layer's place in
// the plan and the cache. Fixtures: the Fedora/EL-shaped usrmerge repo, whose rpm-el9
// package sets EL 9's %_dbpath.
import assert from 'node:assert/strict';
import { cpSync, existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { RpmdbError } from '../src/errors.js';
import { readRpm } from '../src/rpm/package.js';
import { dbPath, installedHeader, isTransientReq, richIndexNames, splitRich } from '../src/rpmdb/index.js';
import { assertSameAsDnf, assertSameFiles, assertSameRpmdb, cli, dnfInstall, dumpRpmdb, fixtures, imageRpmdb, ok, run, tmp, unpack, workspace } from './helpers.js';
import { validateLayout } from './validate.js';

const repo = path.join(fixtures, 'repos/usrmerge');
const rpmFile = (name: string) => path.join(repo, 'Packages', name);

/** rpm run on an image's root mounted read-only (as a container's root may be); its output and exit status. */
function rpmReadOnly(rootfs: string, args: string[]): { out: string; status: number } {
  const quoted = args.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const r = run('unshare', ['-m', 'sh', '-c', `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && rpm --root "$1" ${quoted}; echo "rc=$?"`, 'sh', rootfs]);
  const m = /rc=(\d+)\n$/.exec(r)!;
  return { out: r.slice(0, m.index), status: Number(m[1]) };
}

describe('rich dependencies and requirements as rpm indexes them', () => {
  test('every simple name, conditions negated, else inverting them, sorted, rpmlib() and versions left out', () => {
    assert.deepEqual(richIndexNames('(richa if richb else richc)'), ['richa', 'richb', 'richc', '!richb']);
    assert.deepEqual(richIndexNames('(richd unless riche)'), ['richd', '!riche']);
    assert.deepEqual(richIndexNames('(foo >= 1.2 and (bar or baz < 3) and rpmlib(RichDependencies))'), ['bar', 'baz', 'foo']);
    assert.deepEqual(richIndexNames('(perl(Foo::Bar) with perl(Foo::Bar) >= 2)'), ['perl(Foo::Bar)']);
    assert.deepEqual(richIndexNames('(a and)'), [], 'what rpm cannot parse adds nothing');
    assert.deepEqual(richIndexNames('(a if b or c)'), [], 'two different ops cannot chain');
  });

  test('the top level rpm orders by: first operand, op, the rest as one rich dependency', () => {
    assert.deepEqual(splitRich('(a >= 1 and b and c)'), { left: { name: 'a', sense: '>=', evr: '1' }, op: 'and', right: { name: '(b and c)', sense: '', evr: '' } });
    assert.deepEqual(splitRich('((x or y) if z)'), { left: { name: '(x or y)', sense: '', evr: '' }, op: 'if', right: { name: 'z', sense: '', evr: '' } });
    assert.equal(splitRich('(a and b) junk'), undefined);
  });

  test('install-only requirements (pre, post, rpmlib) are not indexed; erase-time and meta ones are', () => {
    const pre = 1 << 9;
    const post = 1 << 10;
    const preun = 1 << 11;
    const rpmlib = 1 << 24;
    const meta = 1 << 29;
    assert.ok(isTransientReq(pre) && isTransientReq(post) && isTransientReq(rpmlib | (1 << 3)));
    assert.ok(!isTransientReq(0) && !isTransientReq(preun) && !isTransientReq(pre | preun) && !isTransientReq(pre | meta));
  });
});

describe('the database path an image chooses', () => {
  let macros: Map<string, string>;
  before(async () => {
    macros = new Map();
    for (const [file, paths] of [
      ['rpm-el9-4.16.1.3-1.noarch.rpm', ['/usr/lib/rpm/macros']],
      ['rpm-dbpath-local-1.0-1.noarch.rpm', ['/etc/rpm/macros.dbpath']],
      ['rpm-dbpath-shell-1.0-1.noarch.rpm', ['/etc/rpm/macros.shell']],
    ] as const) {
      const dir = tmp('rpmcompose-macros-');
      run('sh', ['-c', `cd "${dir}" && rpm2cpio "$1" | cpio -idm --quiet`, 'sh', rpmFile(file)]);
      for (const p of paths) macros.set(p, readFileSync(path.join(dir, p), 'utf8'));
    }
  });
  const only = (...paths: string[]) => new Map([...macros].filter(([p]) => paths.includes(p)));
  /** What rpm itself makes of the same files, loaded in the same order. */
  const rpmEval = (files: Map<string, string>) => {
    const dir = tmp('rpmcompose-eval-');
    const args: string[] = [];
    for (const [p, text] of files) {
      const f = path.join(dir, path.basename(p));
      run('sh', ['-c', 'cat > "$1"', 'sh', f], { input: text });
      args.push('--load', f);
    }
    return run('rpm', [...args, '--eval', '%_dbpath']).trim();
  };

  test('no macro file sets it: /usr/lib/sysimage/rpm', () => {
    assert.deepEqual(dbPath(new Map(), 'x86_64', 'img'), { path: '/usr/lib/sysimage/rpm' });
  });

  test("EL 9's /usr/lib/rpm/macros: /var/lib/rpm, as rpm expands it", () => {
    const files = only('/usr/lib/rpm/macros');
    assert.deepEqual(dbPath(files, 'x86_64', 'img'), { path: '/var/lib/rpm', from: '/usr/lib/rpm/macros' });
    assert.equal(rpmEval(files), '/var/lib/rpm');
  });

  test('a later /etc/rpm/macros.* file wins, conditionals expanded as rpm does', () => {
    const files = only('/usr/lib/rpm/macros', '/etc/rpm/macros.dbpath');
    assert.deepEqual(dbPath(files, 'x86_64', 'img'), { path: '/var/lib/rpmdb-local', from: '/etc/rpm/macros.dbpath' });
    assert.equal(rpmEval(files), '/var/lib/rpmdb-local');
  });

  test('a %_dbpath that needs a shell is refused, naming the image and the file', () => {
    assert.throws(
      () => dbPath(only('/usr/lib/rpm/macros', '/etc/rpm/macros.shell'), 'x86_64', 'web (x86_64)'),
      (e: unknown) => e instanceof RpmdbError && e.code === 'RPMDB_DBPATH' && /^web \(x86_64\): %_dbpath in \/etc\/rpm\/macros\.shell cannot be expanded here/.test(e.message),
    );
  });
});

describe('the header rpm stores', () => {
  test('a header without an immutable region (pre-rpm-4) is refused, naming the package', async () => {
    const { header } = await readRpm(rpmFile('setup-2.13.7-1.noarch.rpm'));
    // The region tag's entry renamed: the same bytes, no region.
    const main = Buffer.from(header.headerBlob);
    main.writeUInt32BE(1001, 16);
    assert.throws(
      () => installedHeader(main, header.signatureBlob!, { time: 1, tid: 1, color: 3, fileStates: new Uint8Array(header.files.length) }, 'setup-2.13.7-1.noarch'),
      (e: unknown) => e instanceof RpmdbError && e.code === 'RPMDB_HEADER' && /^setup-2\.13\.7-1\.noarch: the header has no immutable region/.test(e.message),
    );
  });
});

describe('images with an rpm database, as rpm and dnf see them', () => {
  const images = {
    fedora: { packages: ['hello-dyn', 'sbin-tools'] },
    el9: { packages: ['hello-dyn', 'rpm-el9'] },
    local: { packages: ['rpm-dbpath-local'] },
    // The same packages, built first, docs on: only FILESTATES tells their databases apart.
    dyn: { packages: ['hello-dyn'] },
    nodocs: { packages: ['hello-dyn'], options: { docs: false } },
    en: { packages: ['hello-dyn'], options: { langs: ['en_US'] } },
    nodb: { packages: ['hello-dyn'], options: { rpmdb: false } },
    tight: { packages: ['hello-dyn', 'sbin-tools'], options: { maxLayers: 2 } },
  };
  const w = workspace(images, {}, repo);
  const out = path.join(w.dir, 'out');
  const roots = new Map<string, string>();
  const root = (name: string) => {
    if (!roots.has(name)) roots.set(name, unpack(out, name));
    return roots.get(name)!;
  };
  let report: { images: { name: string; layers: { kind: string; cached: boolean; digest: string }[] }[] };
  before(() => {
    report = JSON.parse(ok(w.compose('-o', out, '--json')).stdout);
    validateLayout(out);
  });

  test('each stored header, its install order and every index row equal what dnf --installroot recorded', () => {
    assertSameAsDnf(root('fedora'), dnfInstall(images.fedora.packages, { repo }));
    assertSameAsDnf(root('el9'), dnfInstall(images.el9.packages, { repo }));
    // docs off: the %doc files are "not installed" in FILESTATES, as dnf's nodocs records them.
    assertSameAsDnf(root('dyn'), dnfInstall(images.dyn.packages, { repo }));
    assertSameAsDnf(root('nodocs'), dnfInstall(images.nodocs.packages, { repo, nodocs: true }));
    assertSameAsDnf(root('nodb'), dnfInstall(images.nodb.packages, { repo }), { rpmdb: false });
  });

  test('install times as rpm sets them under SOURCE_DATE_EPOCH: the same database rows and headers, times included', () => {
    // The image's created: the newest build time of its packages (the fixtures': 2024-01-01).
    const dnfRoot = dnfInstall(images.fedora.packages, { repo, sourceDateEpoch: 1704067200 });
    assertSameRpmdb(root('fedora'), dnfRoot, { times: true });
    const times = run('rpm', ['--root', root('fedora'), '--dbpath', '/usr/lib/sysimage/rpm', '-qa', '--qf', '%{INSTALLTID} %{INSTALLTIME}\\n']).trim().split('\n');
    assert.deepEqual(times, times.map((_, k) => `1704067200 ${1704067200 + k}`));
  });

  test('langs: what rpm records installing with the same %_install_langs (the de catalogue not installed)', () => {
    // dnf has no option for it: rpm -i itself, the packages added in rpmcompose's order (by NEVRA).
    const ref = path.join(tmp('rpmcompose-rpmi-'), 'root');
    const files = ['filesystem-3.16-2.x86_64.rpm', 'hello-dyn-1.0-1.x86_64.rpm', 'libc-fixture-1.0-1.x86_64.rpm', 'setup-2.13.7-1.noarch.rpm'].map(rpmFile);
    run('rpm', ['--root', ref, '--dbpath', '/var/lib/rpm', '-i', '--nodeps', '--noscripts', '--define', '_install_langs en_US', ...files]);
    assert.ok(!existsSync(path.join(ref, 'usr/share/locale/de/LC_MESSAGES/hello-dyn.mo')));
    assert.ok(!existsSync(path.join(root('en'), 'usr/share/locale/de/LC_MESSAGES/hello-dyn.mo')));
    assert.ok(existsSync(path.join(root('en'), 'usr/share/licenses/hello-dyn/LICENSE')));
    assertSameRpmdb(root('en'), ref, { reference: path.join(ref, 'var/lib/rpm/rpmdb.sqlite') });
    const states = run('rpm', ['--root', root('en'), '--dbpath', '/usr/lib/sysimage/rpm', '-q', '--qf', '[%{FILESTATES:fstate} %{FILENAMES}\\n]', 'hello-dyn']);
    assert.match(states, /^not installed \/usr\/share\/locale\/de\/LC_MESSAGES\/hello-dyn\.mo$/m);
    assert.match(states, /^normal +\/usr\/share\/doc\/hello-dyn\/README$/m);
  });

  test('every index table is, row for row, what rpm --rebuilddb regenerates from its headers', () => {
    for (const name of ['fedora', 'el9', 'nodocs']) {
      const mine = dumpRpmdb(imageRpmdb(root(name))!, true);
      const copy = path.join(tmp('rpmcompose-rebuild-'), 'root');
      cpSync(root(name), copy, { recursive: true, verbatimSymlinks: true });
      const dbpath = path.dirname(path.join('/', path.relative(realpathSync(copy), realpathSync(imageRpmdb(copy)!))));
      run('rpm', ['--root', copy, '--dbpath', dbpath, '--rebuilddb']);
      const rebuilt = dumpRpmdb(path.join(copy, dbpath, 'rpmdb.sqlite'), true);
      assert.deepEqual(rebuilt.packages, mine.packages, `${name}: rebuilddb keeps every header and its number`);
      assert.deepEqual(Object.keys(rebuilt.tables), Object.keys(mine.tables));
      const rows = (t: [string, number, number][]) => t.map((r) => r.join(' ')).sort();
      for (const t of Object.keys(mine.tables)) assert.deepEqual(rows(rebuilt.tables[t]!), rows(mine.tables[t]!), `${name}: table ${t}`);
      assert.ok(mine.tables.Basenames!.length > 10 && mine.tables.Providename!.length > 5, 'the tables are not empty');
    }
  });

  test('rpm in the image, on a read-only root: -qa is the resolved set; -q, -qf, --whatprovides, --whatrequires answer; -Va finds nothing dnf’s install would not', () => {
    const resolved = JSON.parse(ok(cli(['resolve', w.file, '--cache-dir', w.cache, '--json', '-q'])).stdout).images;
    for (const [name, dbpath] of [['fedora', '/usr/lib/sysimage/rpm'], ['el9', '/var/lib/rpm']] as const) {
      const r = root(name);
      const q = (...args: string[]) => rpmReadOnly(r, ['--dbpath', dbpath, ...args]);
      const want = (resolved[name].x86_64.packages as { name: string; version: string; release: string; arch: string }[]).map((p) => `${p.name}-${p.version}-${p.release}.${p.arch}`);
      assert.deepEqual(q('-qa').out.trim().split('\n').sort(), want.sort(), `${name}: rpm -qa`);
      assert.equal(q('-q', 'hello-dyn').out.trim(), 'hello-dyn-1.0-1.x86_64');
      // The file where it landed, and by the path the package lists (through /bin -> usr/bin).
      assert.equal(q('-qf', '/usr/bin/hello-dyn').out.trim(), 'hello-dyn-1.0-1.x86_64');
      assert.equal(q('-qf', '/lib64/libc.so.6').out.trim(), 'libc-fixture-1.0-1.x86_64');
      assert.equal(q('-q', '--whatprovides', 'libc.so.6()(64bit)').out.trim(), 'libc-fixture-1.0-1.x86_64');
      assert.match(q('-q', '--whatrequires', 'filesystem').out, /^libc-fixture-1\.0-1\.x86_64$/m);
      const verify = q('-Va');
      const dnfVerify = run('sh', ['-c', 'rpm --root "$1" -Va; true', 'sh', dnfInstall(images[name].packages, { repo })]);
      const extra = verify.out.split('\n').filter((l) => l && !dnfVerify.split('\n').includes(l));
      assert.deepEqual(extra, [], `${name}: rpm -Va reports what it does not for dnf's install`);
      if (!dnfVerify.trim()) assert.equal(verify.status, 0, `${name}: rpm -Va fails where dnf's install verifies`);
      assert.ok(!existsSync(path.join(r, dbpath, 'rpmdb.sqlite-shm')), 'a rollback journal: nothing written beside it');
    }
  });

  test('/var/lib/rpm and /usr/lib/sysimage/rpm both lead to the database, by relative links', () => {
    const fedora = root('fedora');
    assert.ok(lstatSync(path.join(fedora, 'usr/lib/sysimage/rpm/rpmdb.sqlite')).isFile());
    assert.equal(readlinkSync(path.join(fedora, 'var/lib/rpm')), '../../usr/lib/sysimage/rpm');
    // EL 9: rpm's own directory holds it, and /usr/lib/sysimage/rpm leads there.
    const el9 = root('el9');
    assert.ok(lstatSync(path.join(el9, 'var/lib/rpm/rpmdb.sqlite')).isFile());
    assert.equal(readlinkSync(path.join(el9, 'usr/lib/sysimage/rpm')), '../../../var/lib/rpm');
    // Elsewhere (an /etc/rpm/macros.* of its own): a link beside it in rpm-el9's /var/lib/rpm.
    const local = root('local');
    assert.ok(lstatSync(path.join(local, 'var/lib/rpmdb-local/rpmdb.sqlite')).isFile());
    assert.ok(lstatSync(path.join(local, 'var/lib/rpm')).isDirectory());
    assert.equal(readlinkSync(path.join(local, 'var/lib/rpm/rpmdb.sqlite')), '../rpmdb-local/rpmdb.sqlite');
    assert.equal(readlinkSync(path.join(local, 'usr/lib/sysimage/rpm')), '../../../var/lib/rpmdb-local');
    for (const [name, r] of [['fedora', fedora], ['el9', el9], ['local', local]] as const) {
      const a = rpmReadOnly(r, ['--dbpath', '/var/lib/rpm', '-qa']).out;
      assert.ok(a.includes('filesystem-'), `${name}: rpm -qa through /var/lib/rpm`);
      assert.equal(rpmReadOnly(r, ['--dbpath', '/usr/lib/sysimage/rpm', '-qa']).out, a, `${name}: the same through /usr/lib/sysimage/rpm`);
    }
    assert.equal(imageRpmdb(root('nodb')), undefined);
    assert.ok(!existsSync(path.join(root('nodb'), 'var/lib/rpm')));
  });

  test('the database is each image’s own top layer, counted in maxLayers, and the plan counts it', () => {
    for (const img of report.images) {
      const kinds = img.layers.map((l) => l.kind);
      if (img.name === 'nodb') assert.ok(!kinds.includes('top'));
      else assert.equal(kinds.lastIndexOf('top'), kinds.length - 1, `${img.name}: ${kinds.join(', ')}`);
      assert.equal(kinds.filter((k) => k === 'top').length, img.name === 'nodb' ? 0 : 1);
    }
    assert.equal(report.images.find((i) => i.name === 'tight')!.layers.length, 2, 'maxLayers 2: its packages in one layer, the database in the other');
    const plan = JSON.parse(ok(cli(['plan', w.file, '--cache-dir', w.cache, '--json', '-q'])).stdout).arches.x86_64;
    const built = (name: string) => report.images.find((i) => i.name === name)!.layers.length;
    for (const name of Object.keys(images)) assert.equal(plan.figures.images[name].layers, built(name), `${name}: plan and compose agree on the layer count`);
    // The plan's figures hold the database's estimated size: an image without one is smaller by it.
    assert.ok(plan.figures.images.fedora.bytes > plan.figures.images.nodb.bytes);
  });

  test('a warm rebuild takes the database layer from the cache; two empty caches give the same bytes', () => {
    const again = JSON.parse(ok(w.compose('-o', path.join(w.dir, 'again'), '--json')).stdout) as typeof report;
    for (const img of again.images) for (const l of img.layers) assert.ok(l.cached, `${img.name}: ${l.kind} layer rebuilt`);
    const cold = workspace(images, {}, repo);
    ok(cold.compose('-o', path.join(cold.dir, 'out')));
    assertSameFiles(out, path.join(cold.dir, 'out'), 'two empty caches');
  });

  test('the database layer is cached by everything in it: the same packages with docs off get another database', () => {
    // One after the other, on one host cache: the second finds the first's database layer
    // under its key unless the key holds the file states.
    const on = workspace({ one: { packages: ['hello-dyn'] } }, {}, repo);
    ok(on.compose('-o', path.join(on.dir, 'out')));
    const off = workspace({ one: { packages: ['hello-dyn'] } }, { options: { docs: false } }, repo);
    ok(cli(['compose', off.file, '--cache-dir', on.cache, '-q', '-o', path.join(off.dir, 'out')], { cwd: off.dir, env: { SOURCE_DATE_EPOCH: '' } }));
    const state = (dir: string) => run('rpm', ['--root', unpack(path.join(dir, 'out'), 'one'), '--dbpath', '/usr/lib/sysimage/rpm', '-q', '--qf', '[%{FILESTATES:fstate} %{FILENAMES}\\n]', 'hello-dyn']);
    assert.match(state(on.dir), /^normal +\/usr\/share\/doc\/hello-dyn\/README$/m);
    assert.match(state(off.dir), /^not installed \/usr\/share\/doc\/hello-dyn\/README$/m);
  });

  test('a %_dbpath rpmcompose cannot expand stops the compose: exit 2, the image and the macro file named, nothing written', () => {
    const bad = workspace({ shell: { packages: ['rpm-dbpath-shell'] } }, {}, repo);
    const r = bad.compose('-o', path.join(bad.dir, 'out'));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /shell \(x86_64\): %_dbpath in \/etc\/rpm\/macros\.shell cannot be expanded here \(%\(…\); supported: /);
    assert.ok(!existsSync(path.join(bad.dir, 'out')));
    // Without a database (here for every image: the compose's options), nothing asks where it would go.
    const off = workspace({ shell: { packages: ['rpm-dbpath-shell'] } }, { options: { rpmdb: false } }, repo);
    ok(off.compose('-o', path.join(off.dir, 'out')));
    assert.equal(imageRpmdb(unpack(path.join(off.dir, 'out'), 'shell')), undefined);
  });
});
