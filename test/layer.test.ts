// Pure pieces of the layer stage: capabilities, the tar encoder, a layer's entries.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { capsToXattr } from '../src/layer/caps.js';
import { layerEntries } from '../src/layer/entries.js';
import { canonicalPath, ImageTree } from '../src/layer/paths.js';
import { encodeHeader, END_OF_ARCHIVE, padding } from '../src/layer/tar.js';
import { idMap } from '../src/layer/owners.js';
import { LayerPool } from '../src/layer/pool.js';
import type { LayerJob } from '../src/layer/worker.js';
import { LayerError } from '../src/errors.js';
import { FileFlag, type RpmFile, type RpmHeaderInfo } from '../src/rpm/types.js';
import { LayerBuilder } from '../src/layer/build.js';
import { LayerCache } from '../src/layer/cache.js';
import type { LayerSource } from '../src/layer/stream.js';
import { readPackagedFiles } from '../src/rpm/files.js';
import { readRpm } from '../src/rpm/package.js';
import { fixtures, tmp } from './helpers.js';

describe('file capabilities', () => {
  test('text form → vfs_cap_data revision 2', () => {
    assert.equal(capsToXattr('cap_net_raw=ep', 'x').toString('hex'), '0100000200200000000000000000000000000000');
    assert.equal(capsToXattr('cap_setuid=ep', 'x').toString('hex'), '0100000280000000000000000000000000000000');
    // Permitted only: no effective flag; a capability above 31 lands in the second word.
    assert.equal(capsToXattr('cap_chown,cap_syslog=p', 'x').toString('hex'), '0000000201000000000000000400000000000000');
    assert.equal(capsToXattr('cap_net_bind_service+ei', 'x').toString('hex'), '0100000200000000000400000000000000000000');
  });
  test('unknown names are errors naming the file', () => {
    assert.throws(() => capsToXattr('cap_flying=ep', '/usr/bin/x'), /\/usr\/bin\/x: unknown capability "cap_flying"/);
  });
});

describe('tar encoder', () => {
  const base = { mode: 0o644, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1704067200, size: 0 };
  test('GNU tar reads long, non-ASCII names, long link targets and binary xattrs', () => {
    const long = `usr/share/${'d'.repeat(120)}/${'f'.repeat(90)}`;
    const body = Buffer.from('hello\n');
    const caps = capsToXattr('cap_setuid=ep', 'x');
    const parts = [
      encodeHeader({ ...base, name: 'usr/', type: 'directory', mode: 0o755 }),
      encodeHeader({ ...base, name: 'usr/café-ünicode.txt', type: 'file', size: body.length }),
      body,
      padding(body.length),
      encodeHeader({ ...base, name: long, type: 'file', size: 0 }),
      encodeHeader({ ...base, name: 'usr/link', type: 'symlink', linkname: `/${'t'.repeat(150)}` }),
      encodeHeader({ ...base, name: 'usr/cap', type: 'file', size: 0, mode: 0o4755, xattrs: { 'security.capability': caps } }),
      END_OF_ARCHIVE,
    ];
    const file = path.join(tmp(), 'l.tar');
    writeFileSync(file, Buffer.concat(parts));
    const list = spawnSync('tar', ['-tvf', file, '--xattrs', '--full-time'], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /usr\/café-ünicode\.txt/);
    assert.ok(list.stdout.includes(long), list.stdout);
    assert.ok(list.stdout.includes(`usr/link -> /${'t'.repeat(150)}`));
    assert.match(list.stdout, /-rwsr-xr-x\S*\s+root\/root\s+0 2024-01-01 00:00:00 usr\/cap/);
    // The PAX record carries the capability's bytes as they are (0x80 included).
    const raw = Buffer.concat(parts);
    assert.ok(raw.includes(Buffer.concat([Buffer.from('SCHILY.xattr.security.capability='), caps, Buffer.from('\n')])));
    const record = raw.toString('latin1').match(/(\d+) SCHILY\.xattr\.security\.capability=/)!;
    assert.equal(Number(record[1]), `${record[1]} SCHILY.xattr.security.capability=`.length + caps.length + 1);
  });
});

function file(p: string, over: Partial<RpmFile> = {}): RpmFile {
  return {
    path: p, mode: 0o100644, size: 3, user: 'root', group: 'root', mtime: 100, flags: 0, linkto: '', digest: `d${p}`,
    inode: 0, device: 1, rdev: 0, lang: '', caps: '', ...over,
  };
}
let inode = 1;
function pkg(name: string, files: RpmFile[], arch = 'noarch'): RpmHeaderInfo {
  return {
    name, epoch: 0, version: '1', release: '1', arch, buildtime: 100, payloadCompressor: 'gzip', digestAlgo: 'sha256',
    files: files.map((f) => (f.inode ? f : { ...f, inode: inode++ })), scriptlets: [], headerBlob: Buffer.alloc(0),
  };
}
const opts = { docs: true, langs: [], ids: idMap('root:x:0:0::/root:/bin/sh\nweb:x:480:480::/:/sbin/nologin\n', 'root:x:0:\nweb:x:480:\n'), mtime: 50, arch: 'x86_64' };

describe('layer entries', () => {
  test('sorted by byte order across packages, parents nobody owns added, ghosts left out, owners mapped', () => {
    const plan = layerEntries(
      [pkg('a', [file('/usr/b'), file('/usr/ghost', { flags: FileFlag.ghost }), file('/var/w', { user: 'web', group: 'nobody' })]), pkg('b', [file('/usr/a-b')])],
      opts,
    );
    assert.deepEqual(plan.entries.map((e) => e.path), ['/usr', '/usr/a-b', '/usr/b', '/var', '/var/w']);
    const w = plan.entries.find((e) => e.path === '/var/w')!;
    assert.deepEqual([w.uid, w.gid], [480, 0]);
    assert.deepEqual(opts.ids.unknown(), ['group:nobody']);
    assert.equal(plan.entries[0]!.mtime, 50, 'added parents take the generated-files mtime');
  });

  test('docs and languages: left out as rpm does, and so is a directory they leave empty', () => {
    const files = [
      file('/usr/share/doc/a', { mode: 0o40755 }),
      file('/usr/share/doc/a/README', { flags: FileFlag.doc }),
      file('/usr/share/licenses/a/COPYING', { flags: FileFlag.license }),
      file('/usr/share/licenses/a/COPYING.de', { flags: FileFlag.license, lang: 'de' }),
      file('/usr/share/locale/de/a.mo', { lang: 'de' }),
      file('/usr/share/locale/en/a.mo', { lang: 'en' }),
      file('/usr/share/locale/en_GB/a.mo', { lang: 'en_GB' }),
      file('/usr/share/locale/multi/a.mo', { lang: 'fr|en' }),
    ];
    // rpm's %_install_langs: a wanted language keeps the files tagged with a prefix of it.
    const plan = layerEntries([pkg('a', files)], { ...opts, docs: false, langs: ['en_US'] });
    const paths = plan.entries.map((e) => e.path);
    assert.ok(!paths.includes('/usr/share/doc/a') && !paths.includes('/usr/share/doc/a/README'));
    assert.ok(paths.includes('/usr/share/licenses/a/COPYING') && paths.includes('/usr/share/licenses/a/COPYING.de'), 'a %license file is never left out');
    assert.ok(paths.includes('/usr/share/locale/en/a.mo') && paths.includes('/usr/share/locale/multi/a.mo'));
    assert.ok(!paths.includes('/usr/share/locale/en_GB/a.mo') && !paths.includes('/usr/share/locale/de/a.mo'));
    // What rpm's FILESTATES records: 2 (not installed) for each file left out, 0 for the rest.
    assert.deepEqual([...plan.states[0]!], [2, 2, 0, 0, 2, 0, 2, 0]);
    assert.ok(layerEntries([pkg('a', files)], { ...opts, langs: ['all'] }).entries.some((e) => e.path === '/usr/share/locale/de/a.mo'), '"all" keeps every language');
  });

  test('hard-link sets go last, the content member first, then links to it', () => {
    const plan = layerEntries([pkg('a', [file('/a/x', { inode: 900 }), file('/a/y', { inode: 900 }), file('/a/z')])], opts);
    assert.deepEqual(
      plan.entries.map((e) => `${e.kind} ${e.path}${e.kind === 'hardlink' ? ` -> ${e.target}` : ''}`),
      ['dir /a', 'file /a/z', 'file /a/y', 'hardlink /a/x -> /a/y'],
    );
  });

  test('file conflicts: different content fails naming both; identical is shared; multilib prefers the image arch', () => {
    assert.throws(() => layerEntries([pkg('a', [file('/f')]), pkg('b', [file('/f', { digest: 'other' })])], opts), /\/f conflicts between a-1-1\.noarch and b-1-1\.noarch/);
    assert.equal(layerEntries([pkg('a', [file('/f')]), pkg('b', [file('/f')])], opts).entries.length, 1);
    const ml = layerEntries([pkg('lib', [file('/usr/lib/x.so', { digest: '32' })], 'i686'), pkg('lib', [file('/usr/lib/x.so', { digest: '64' })], 'x86_64')], opts);
    const f = ml.entries.find((e) => e.path === '/usr/lib/x.so')!;
    assert.equal(f.kind === 'file' && f.pkg, 1);
  });
});

describe('layer worker pool', () => {
  test('a worker that exits or throws fails its job as a LayerError and is replaced: later jobs still run', { timeout: 30_000 }, async () => {
    const pool = new LayerPool(1, pathToFileURL(path.join(fixtures, 'workers/crashing.mjs')));
    const job = (over: Record<string, unknown>) => ({ sources: [], ...over }) as unknown as LayerJob;
    try {
      await assert.rejects(pool.build(job({ crash: 'exit' })), (e: unknown) => e instanceof LayerError && e.code === 'LAYER_WORKER' && /exited \(code 3\)/.test(e.message));
      assert.deepEqual(await pool.build(job({ answer: 1 })), { answer: 1 });
      await assert.rejects(pool.build(job({ crash: 'throw' })), (e: unknown) => e instanceof LayerError && /boom in the worker/.test(e.message));
      assert.deepEqual(await pool.build(job({ answer: 2 })), { answer: 2 });
      assert.equal(pool.size, 1);
    } finally {
      await pool.close();
    }
  });
});

describe('paths as rpm lays them down', () => {
  const dir = (p: string, over: Partial<RpmFile> = {}) => file(p, { mode: 0o40755, size: 0, digest: '', ...over });
  const link = (p: string, to: string, over: Partial<RpmFile> = {}) => file(p, { mode: 0o120777, linkto: to, size: to.length, digest: '', ...over });
  // Fedora/EL's filesystem: /bin, /sbin, /lib and /lib64 are symlinks into /usr.
  const filesystem = pkg('filesystem', [
    link('/bin', 'usr/bin'), link('/lib', 'usr/lib'), link('/lib64', 'usr/lib64'), link('/sbin', 'usr/sbin'),
    dir('/usr'), dir('/usr/bin'), dir('/usr/lib'), dir('/usr/lib64'), dir('/usr/sbin'),
  ], 'x86_64');
  const glibc = pkg('glibc', [file('/lib64/ld-linux-x86-64.so.2'), file('/lib64/libc.so.6'), file('/usr/bin/ldd'), dir('/usr/lib64/gconv'), file('/usr/lib64/gconv/x.so')], 'x86_64');

  test('canonical paths: //, ., .. and a trailing / folded; relative paths and climbs above / refused', () => {
    assert.equal(canonicalPath('/usr//bin/./tool/'), '/usr/bin/tool');
    assert.equal(canonicalPath('/usr/share/../lib/x'), '/usr/lib/x');
    assert.equal(canonicalPath('/'), '/');
    assert.equal(canonicalPath('usr/share/x'), undefined);
    assert.equal(canonicalPath('/usr/../../etc/x'), undefined);
  });

  test('usrmerge: /lib64 files land in /usr/lib64, in payload order; no entry beneath a symlink', () => {
    const tree = ImageTree.of([filesystem, glibc]);
    const got = layerEntries([glibc], { ...opts, tree, imageDirs: tree.ownedDirs() });
    assert.deepEqual(
      got.entries.map((e) => e.path),
      // glibc's payload lists /lib64/… before /usr/bin/ldd: the writer reads it front to back,
      // so they stay before it; the directory still comes before its files.
      ['/usr/lib64/gconv', '/usr/lib64/ld-linux-x86-64.so.2', '/usr/lib64/libc.so.6', '/usr/bin/ldd', '/usr/lib64/gconv/x.so'],
    );
    assert.deepEqual(tree.pathsOf(glibc)!.context, ['/lib64 -> /usr/lib64']);
    assert.deepEqual(tree.pathsOf(filesystem)!.context, []);
    // The filesystem layer: symlinks and directories, nothing beneath a link.
    const fs = layerEntries([filesystem], { ...opts, tree });
    assert.deepEqual(fs.entries.map((e) => `${e.kind} ${e.path}`), [
      'symlink /bin', 'symlink /lib', 'symlink /lib64', 'symlink /sbin', 'dir /usr', 'dir /usr/bin', 'dir /usr/lib', 'dir /usr/lib64', 'dir /usr/sbin',
    ]);
  });

  test('a directory where the image has a symlink is the symlink\u2019s; files beneath another package\u2019s directory symlink land at its target', () => {
    const tools = pkg('sbin-tools', [dir('/bin'), file('/bin/fixture-cmd'), dir('/lib64/plugins'), file('/lib64/plugins/p.so'), file('/sbin/fixture-tool')], 'x86_64');
    const owner = pkg('dirlink-owner', [dir('/opt'), link('/opt/dirlink', '../usr/share/real'), dir('/usr/share'), dir('/usr/share/real')]);
    const user = pkg('dirlink-user', [file('/opt/dirlink/data.txt'), file('/opt/dirlink/sub/more.txt')]);
    const tree = ImageTree.of([filesystem, tools, owner, user]);
    const imageDirs = tree.ownedDirs();
    assert.deepEqual(layerEntries([tools], { ...opts, tree, imageDirs }).entries.map((e) => `${e.kind} ${e.path}`), [
      'file /usr/bin/fixture-cmd', 'dir /usr/lib64/plugins', 'file /usr/lib64/plugins/p.so', 'file /usr/sbin/fixture-tool',
    ]);
    assert.deepEqual(layerEntries([user], { ...opts, tree, imageDirs }).entries.map((e) => `${e.kind} ${e.path}`), [
      'file /usr/share/real/data.txt', 'dir /usr/share/real/sub', 'file /usr/share/real/sub/more.txt',
    ]);
  });

  test('what rpm refuses to go through: a dangling symlink, one to a file, one owned by another user', () => {
    const base = [filesystem, pkg('opt', [dir('/opt'), dir('/usr/share'), dir('/usr/share/real'), file('/etc/fixture.conf')])];
    const cases: [RpmFile[], RegExp][] = [
      [[link('/opt/dangling', '/nonexistent/dir'), file('/opt/dangling/x.txt')], /^bad-user-1-1\.noarch: \/opt\/dangling\/x\.txt is beneath \/opt\/dangling, a symlink \(bad-1-1\.noarch\) to \/nonexistent\/dir, which does not exist in the image$/],
      [[link('/opt/filelink', '../etc/fixture.conf'), file('/opt/filelink/x.txt')], /\/opt\/filelink\/x\.txt is beneath \/opt\/filelink, .* which is not a directory$/],
      [[link('/opt/userlink', '../usr/share/real', { user: 'nobody' }), file('/opt/userlink/x.txt')], /owned by nobody while \/usr\/share\/real is owned by root: rpm does not follow it$/],
    ];
    for (const [[symlink, beneath], message] of cases) {
      assert.throws(
        () => ImageTree.of([...base, pkg('bad', [symlink!]), pkg('bad-user', [beneath!])]),
        (e: unknown) => e instanceof LayerError && e.code === 'LAYER_PATH' && message.test(e.message),
      );
    }
    // The same symlinks with nothing beneath them are only symlinks.
    assert.doesNotThrow(() => ImageTree.of([...base, pkg('ok', cases.map(([f]) => f[0]!))]));
  });

  test('a symlink that climbs above / stays in the root, as rpm (chrooted) and the kernel resolve it', () => {
    const escaping = pkg('escaping', [dir('/opt'), link('/opt/escape', '../../../../..')]);
    const user = pkg('escaping-user', [file('/opt/escape/x.txt')]);
    const tree = ImageTree.of([filesystem, escaping, user]);
    assert.deepEqual(tree.pathsOf(user)!.paths, ['/x.txt']);
    assert.deepEqual(tree.pathsOf(user)!.context, ['/opt/escape -> /']);
  });

  test('a file beneath its own package’s symlink is refused, even to a directory: rpm makes the directory first', () => {
    const one = pkg('dirlink-one', [dir('/opt'), link('/opt/dirlink', '../usr/lib64'), file('/opt/dirlink/x.txt')]);
    assert.throws(() => ImageTree.of([filesystem, one]), /^LayerError: dirlink-one-1-1\.noarch: \/opt\/dirlink\/x\.txt is beneath \/opt\/dirlink, a symlink of the same package/);
  });

  test('non-canonical payload paths are the same file as their canonical spelling: conflicts and sharing on the resolved path', () => {
    const a = pkg('noncanon-a', [file('/etc/./noncanon.conf'), file('/usr//bin/tool', { mode: 0o104755, digest: 'a' })], 'x86_64');
    const b = pkg('noncanon-b', [file('/usr/bin/tool', { digest: 'b' })], 'x86_64');
    assert.throws(
      () => layerEntries([a, b], opts),
      /^LayerError: file \/usr\/bin\/tool conflicts between noncanon-a-1-1\.x86_64 \(as \/usr\/\/bin\/tool\) and noncanon-b-1-1\.x86_64/,
    );
    assert.deepEqual(layerEntries([a], opts).entries.map((e) => e.path), ['/etc', '/etc/noncanon.conf', '/usr', '/usr/bin', '/usr/bin/tool']);
    const x = pkg('conflict-a', [file('/lib64/libconflict.so', { digest: 'x' })], 'x86_64');
    const y = pkg('conflict-b', [file('/usr/lib64/libconflict.so', { digest: 'y' })], 'x86_64');
    assert.throws(() => layerEntries([x, y], { ...opts, tree: ImageTree.of([filesystem, x, y]) }), /file \/usr\/lib64\/libconflict\.so conflicts between conflict-a-1-1\.x86_64 \(as \/lib64\/libconflict\.so\) and conflict-b/);
    const same = pkg('same-b', [file('/usr/lib64/libconflict.so', { digest: 'x' })], 'x86_64');
    assert.equal(layerEntries([x, same], { ...opts, tree: ImageTree.of([filesystem, x, same]) }).entries.filter((e) => e.kind === 'file').length, 1);
    for (const [bad, why] of [['usr/share/relative.txt', 'is not absolute'], ['/usr/share/../../../etc/x', 'climbs above /']] as const) {
      assert.throws(() => layerEntries([pkg('odd', [file(bad)])], opts), new RegExp(`^LayerError: odd-1-1\\.noarch: the payload path "${bad.replace(/[./]/g, '\\$&')}" ${why}$`));
    }
  });

  test('rpm\u2019s owner rule: an unknown user clears setuid, an unknown group clears setgid, both map to root', () => {
    const ids = idMap('root:x:0:0::/root:/bin/sh\nweb:x:480:480::/:/sbin/nologin\n', 'root:x:0:\nweb:x:480:\n');
    const got = layerEntries(
      [pkg('sgid', [file('/usr/bin/sgid-tool', { mode: 0o102755, group: 'shadow' }), file('/usr/bin/suid-tool', { mode: 0o104755, user: 'nosuchuser' }), file('/usr/bin/web-tool', { mode: 0o106755, user: 'web', group: 'web' })])],
      { ...opts, ids },
    );
    const mode = (p: string) => got.entries.find((e) => e.path === p)!;
    assert.deepEqual([mode('/usr/bin/sgid-tool').mode, mode('/usr/bin/sgid-tool').gid, mode('/usr/bin/sgid-tool').gname], [0o755, 0, 'shadow']);
    assert.deepEqual([mode('/usr/bin/suid-tool').mode, mode('/usr/bin/suid-tool').uid], [0o755, 0]);
    assert.equal(mode('/usr/bin/web-tool').mode, 0o6755, 'known owners keep their bits');
    assert.deepEqual(ids.unknown(), ['group:shadow', 'user:nosuchuser']);
  });
});

describe('the layer cache key', () => {
  test('the same packages with other owner ids (another passwd) get another layer, not the cached one', async () => {
    // edgecases owns /var/lib/edgecases/web as web:webgroup: 480:481 with setup, 490:491 with setup-alt.
    const repo = path.join(fixtures, 'repos/compose/Packages');
    const source = async (f: string): Promise<LayerSource> => ({ header: (await readRpm(path.join(repo, f))).header, file: path.join(repo, f) });
    const [setup, setupAlt, edgecases] = await Promise.all(['setup-2.14.5-1.noarch.rpm', 'setup-alt-1.0-1.noarch.rpm', 'edgecases-1.0-1.x86_64.rpm'].map(source));
    const builder = new LayerBuilder(await LayerCache.open(tmp()), { compression: 'gzip' });
    try {
      const content = async (accounts: LayerSource) => {
        const files = await readPackagedFiles([accounts], (p) => p === '/etc/passwd' || p === '/etc/group');
        return { docs: true, langs: [], rpmdb: false, accounts: { passwd: files.get('/etc/passwd')!.toString(), group: files.get('/etc/group')!.toString(), changed: [] } };
      };
      const facts = new Map([
        ['a', await builder.imageFacts('a', 'x86_64', [setup!, edgecases!], await content(setup!))],
        ['b', await builder.imageFacts('b', 'x86_64', [setupAlt!, edgecases!], await content(setupAlt!))],
      ]);
      const request = (image: string) => ({ packages: ['sha256:edgecases'], images: [image] });
      const a = await builder.layer(request('a'), 'x86_64', [edgecases!], facts);
      const b = await builder.layer(request('b'), 'x86_64', [edgecases!], facts);
      assert.equal(a.cached, false);
      assert.equal(b.cached, false, 'b has other ids for web:webgroup: its layer is built, not taken from a');
      assert.notEqual(b.layer.diffId, a.layer.diffId);
      const again = await builder.layer(request('a'), 'x86_64', [edgecases!], facts);
      assert.ok(again.cached && again.layer.diffId === a.layer.diffId, 'the same entries: from the cache');
    } finally {
      await builder.close();
    }
  });
});
