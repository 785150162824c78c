// Images shaped like CentOS Stream 9 and Fedora (test/fixtures/repos/usrmerge): a
// `filesystem` whose /bin, /sbin, /lib and /lib64 are symlinks into /usr, packages that
// still list paths through them, directory symlinks across packages, owners the image
// lacks. Each image must equal what dnf (rpm 4.18, tsflags=noscripts) installs, file for
// file, its layers must apply with nothing beneath a symlink, and its dynamic program must
// run under podman through /lib64/ld-linux-x86-64.so.2. What rpm refuses, rpmcompose
// refuses, naming the package and the path.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { assertSameAsDnf, dnfInstall, fixtures, manifest, ok, podmanRun, run, unpack, workspace } from './helpers.js';
import { assertLayersApply, validateLayout } from './validate.js';

const repo = path.join(fixtures, 'repos/usrmerge');

describe('usrmerge images, as dnf installs them', () => {
  // dnf installs each of these; hello-dyn pulls libc-fixture, filesystem and setup.
  const images = {
    dynamic: { packages: ['hello-dyn'] },
    tools: { packages: ['hello-dyn', 'sbin-tools', 'dirlink-user', 'escaping-user', 'same-lib64-a', 'same-lib64-b', 'sgid-unknown', 'noncanon-a'] },
    base: { packages: ['filesystem'] },
  };
  const w = workspace(images, {}, repo);
  const out = path.join(w.dir, 'out');
  let stderr = '';
  before(() => {
    const r = ok(w.compose('-o', out));
    stderr = r.stderr;
  });

  test('every image equals dnf --installroot of its packages, paths resolved through the symlinks', () => {
    validateLayout(out);
    for (const [name, def] of Object.entries(images)) assertSameAsDnf(unpack(out, name), dnfInstall(def.packages, { repo }));
  });

  test('layers apply in order with no entry beneath a symlink, and the /lib64 files sit in /usr/lib64', () => {
    for (const name of Object.keys(images)) assertLayersApply(out, name);
    const members = assertLayersApply(out, 'dynamic').flat();
    const at = (p: string) => members.find((m) => m.path === p);
    assert.equal(at('/lib64')?.type, 'symlink');
    assert.equal(at('/lib64')?.linkname, 'usr/lib64');
    assert.equal(at('/usr/lib64/ld-linux-x86-64.so.2')?.type, 'file');
    assert.equal(at('/usr/lib64/libc.so.6')?.type, 'file');
    assert.ok(!members.some((m) => /^\/(bin|sbin|lib|lib64)\//.test(m.path)), 'nothing is written through a symlink');
  });

  test('the dynamically linked program runs under podman through /lib64/ld-linux-x86-64.so.2', () => {
    const rootfs = unpack(out, 'dynamic');
    assert.equal(run('readelf', ['-l', path.join(rootfs, 'usr/bin/hello-dyn')]).match(/interpreter: (\S+)\]/)?.[1], '/lib64/ld-linux-x86-64.so.2');
    assert.equal(podmanRun(out, 'dynamic', ['/usr/bin/hello-dyn']).trim(), 'hello from a dynamic rpmcompose image');
  });

  test('files through /sbin, /bin and /lib64, beneath another package\u2019s directory symlink, and non-canonical paths land where rpm puts them', () => {
    const rootfs = unpack(out, 'tools');
    const m = manifest(rootfs, ['/usr/sbin/fixture-tool', '/usr/bin/fixture-cmd', '/opt/dirlink', '/usr/share/dirlink-real/data.txt', '/usr/share/dirlink-real/sub', '/x.txt', '/usr/bin/noncanon-tool', '/etc/noncanon.conf']) as Record<string, { type: string; mode: string } | null>;
    for (const p of ['/usr/sbin/fixture-tool', '/usr/bin/fixture-cmd', '/usr/share/dirlink-real/data.txt', '/x.txt', '/etc/noncanon.conf']) assert.equal(m[p]?.type, 'file', p);
    assert.equal(m['/opt/dirlink']?.type, 'symlink');
    assert.equal(m['/usr/share/dirlink-real/sub']?.type, 'dir');
    assert.equal(m['/usr/bin/noncanon-tool']?.mode, '0o4755');
    // Read through the symlink, as a program in the image would.
    assert.ok(readFileSync(path.join(rootfs, 'opt/dirlink/data.txt')).length > 0);
  });

  test('rpm\u2019s owner rule: an unknown group loses setgid, an unknown user setuid; both say so', () => {
    const m = manifest(unpack(out, 'tools'), ['/usr/bin/sgid-tool', '/usr/bin/suid-tool']) as Record<string, { mode: string; uid: number; gid: number }>;
    assert.deepEqual([m['/usr/bin/sgid-tool']!.mode, m['/usr/bin/sgid-tool']!.gid], ['0o755', 0]);
    assert.deepEqual([m['/usr/bin/suid-tool']!.mode, m['/usr/bin/suid-tool']!.uid], ['0o755', 0]);
    assert.match(stderr, /^warning: tools \(x86_64\): owners not in the image's passwd\/group, mapped to root: group:nosuchgroup, user:nosuchuser$/m);
  });

  test('a directory where the image has a symlink is the symlink\u2019s: %dir /bin keeps /bin -> usr/bin and /usr/bin as filesystem made it', () => {
    const b = workspace({ bin: { packages: ['bindir-owner', 'filesystem'] } }, {}, repo);
    const layout = path.join(b.dir, 'out');
    ok(b.compose('-o', layout));
    assertLayersApply(layout, 'bin');
    const m = manifest(unpack(layout, 'bin'), ['/bin', '/usr/bin']) as Record<string, { type: string; mode: string; uid: number }>;
    assert.equal(m['/bin']!.type, 'symlink');
    assert.deepEqual([m['/usr/bin']!.type, m['/usr/bin']!.mode, m['/usr/bin']!.uid], ['dir', '0o755', 0]);
  });
});

describe('what rpm refuses, rpmcompose refuses: exit 2, the package and the path named, the output as it was', () => {
  const cases: [string[], RegExp][] = [
    [['dangling-user'], /dangling-user-1\.0-1\.noarch: \/opt\/dangling\/x\.txt is beneath \/opt\/dangling, a symlink \(dangling-1\.0-1\.noarch\) to \/nonexistent\/dir, which does not exist in the image/],
    [['filelink-user'], /filelink-user-1\.0-1\.noarch: \/opt\/filelink\/x\.txt is beneath \/opt\/filelink, a symlink \(filelink-1\.0-1\.noarch\) to \.\.\/etc\/fixture\.conf, which is not a directory/],
    [['userlink-user'], /userlink-user-1\.0-1\.noarch: \/opt\/userlink\/x\.txt is beneath \/opt\/userlink, a symlink \(userlink-1\.0-1\.noarch\) to .*owned by nobody while \/usr\/share\/userlink-real is owned by root: rpm does not follow it/],
    [['dangling-one'], /dangling-one-1\.0-1\.noarch: \/opt\/dangling\/x\.txt is beneath \/opt\/dangling, a symlink of the same package/],
    [['escaping-one'], /escaping-one-1\.0-1\.noarch: \S+ is beneath \/opt\/\S+, a symlink of the same package/],
    [['filelink-one'], /filelink-one-1\.0-1\.noarch: \S+ is beneath \/opt\/\S+, a symlink of the same package/],
    [['userlink-one'], /userlink-one-1\.0-1\.noarch: \S+ is beneath \/opt\/\S+, a symlink of the same package/],
    [['dotdot'], /dotdot-1\.0-1\.noarch: the payload path "\/usr\/share\/\.\.\/\.\.\/\.\.\/etc\/dotdot\.conf" climbs above \//],
    [['relative'], /relative-1\.0-1\.noarch: the payload path "usr\/share\/relative\.txt" is not absolute/],
    [['conflict-lib64-a', 'conflict-lib64-b'], /file \/usr\/lib64\/libconflict\.so conflicts between conflict-lib64-a-1\.0-1\.x86_64 \(as \/lib64\/libconflict\.so\) and conflict-lib64-b-1\.0-1\.x86_64/],
    [['noncanon-a', 'noncanon-b'], /file \/usr\/bin\/noncanon-tool conflicts between noncanon-a-1\.0-1\.noarch \(as \/usr\/\/bin\/noncanon-tool\) and noncanon-b-1\.0-1\.noarch/],
  ];
  for (const [packages, message] of cases) {
    test(packages.join(' + '), () => {
      const w = workspace({ bad: { packages }, good: { packages: ['filesystem'] } }, {}, repo);
      const out = path.join(w.dir, 'out');
      const r = w.compose('-o', out);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('rpmcompose:')).length, 1, 'said once');
      assert.ok(!existsSync(path.join(out, 'index.json')), 'nothing written');
    });
  }
});
