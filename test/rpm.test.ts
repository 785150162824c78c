// The RPM reader against rpm itself: header facts vs `rpm -qp --dump`/--qf, payload bytes
// vs `rpm2cpio | cpio -idm`, on fixture packages with every payload compressor (built by
// scripts/fixtures/rpm-codecs.sh) and, when present, the ../shared corpus. Plus the
// native codecs against the real xz/zstd/bzip2 tools.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { RpmError } from '../src/errors.js';
import { payloadEntries } from '../src/rpm/cpio.js';
import { decompressor, zstdCompressor } from '../src/rpm/decompress.js';
import { readRpm } from '../src/rpm/package.js';
import { FileFlag, type PayloadCompressor, type RpmFile, type RpmHeaderInfo } from '../src/rpm/types.js';
import { root, tmp } from './helpers.js';

const fixtureDir = path.join(root, 'test/fixtures/rpm');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.rpm'))
  .map((f) => path.join(fixtureDir, f));
const corpusDir = path.resolve(root, '../shared/corpus/rpms');
const dbpath = tmp('rpmcompose-rpmdb-');

const hasCpio = spawnSync('sh', ['-c', 'command -v cpio']).status === 0;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** rpm's answer, signatures unchecked (rpm 4.18 refuses packages whose signatures it cannot parse, e.g. ECDSA). */
function rpmq(file: string, args: string[]): string {
  const r = spawnSync('rpm', ['-qp', '--nosignature', '--nodigest', '--dbpath', dbpath, ...args, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0 && !r.stdout) throw new Error(`rpm -qp ${args.join(' ')} ${file} failed: ${r.stderr}`);
  return r.stdout;
}

interface DumpLine {
  path: string;
  size: number;
  mtime: number;
  digest: string;
  mode: number;
  user: string;
  group: string;
  config: boolean;
  doc: boolean;
  rdev: number;
  linkto: string;
}

/** `rpm -qp --dump`, paths matched against the header's (they may hold spaces). */
function dump(file: string, paths: string[]): DumpLine[] {
  const byLength = [...paths].sort((a, b) => b.length - a.length);
  return rpmq(file, ['--dump'])
    .split('\n')
    .filter((l) => l && l !== '(contains no files)')
    .map((line) => {
      const p = byLength.find((x) => line.startsWith(`${x} `)) ?? line.split(' ')[0]!;
      const f = line.slice(p.length + 1).split(' ');
      return {
        path: p,
        size: Number(f[0]),
        mtime: Number(f[1]),
        digest: /^0+$/.test(f[2]!) ? '' : f[2]!,
        mode: parseInt(f[3]!, 8),
        user: f[4]!,
        group: f[5]!,
        config: f[6] === '1',
        doc: f[7] === '1',
        rdev: Number(f[8]),
        linkto: f.slice(9).join(' ') === 'X' ? '' : f.slice(9).join(' '),
      };
    });
}

function compareWithRpm(file: string, h: RpmHeaderInfo): void {
  const ours: DumpLine[] = h.files.map((f) => ({
    path: f.path,
    size: f.size,
    mtime: f.mtime,
    digest: f.digest,
    mode: f.mode,
    user: f.user,
    group: f.group,
    config: (f.flags & FileFlag.config) !== 0,
    doc: (f.flags & FileFlag.doc) !== 0,
    rdev: f.rdev,
    linkto: f.linkto,
  }));
  assert.deepEqual(ours, dump(file, h.files.map((f) => f.path)), `${path.basename(file)}: --dump`);
  const qf = rpmq(file, ['--qf', '[%{FILENAMES}\t%{FILELANGS}\t%{FILECAPS}\n]']);
  // rpm prints (none) for an absent FILECAPS tag.
  const theirs = qf.split('\n').filter(Boolean).map((l) => l.replace(/\t\(none\)$/, '\t'));
  assert.deepEqual(
    h.files.map((f) => `${f.path}\t${f.lang}\t${f.caps}`),
    theirs,
    `${path.basename(file)}: langs/caps`,
  );
}

const algos: Record<string, string> = { md5: 'md5', sha1: 'sha1', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', sha224: 'sha224' };

/** Streams the payload; returns path → content for members with bytes, checking digests. */
async function readPayload(file: string, h: RpmHeaderInfo): Promise<{ order: string[]; contents: Map<string, Buffer> }> {
  const order: string[] = [];
  const contents = new Map<string, Buffer>();
  for await (const e of payloadEntries(file, h)) {
    order.push(e.path);
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c as Buffer);
    const data = Buffer.concat(parts);
    assert.equal(data.length, e.size, `${e.path}: body length`);
    const f = e.index === undefined ? undefined : h.files[e.index];
    assert.ok(f, `${e.path}: in the header`);
    assert.equal(f.path, e.path);
    if ((f.mode & S_IFMT) === S_IFREG && e.size > 0) {
      contents.set(e.path, data);
      const algo = algos[h.digestAlgo];
      if (algo && f.digest) assert.equal(createHash(algo).update(data).digest('hex'), f.digest, `${e.path}: digest`);
    }
  }
  return { order, contents };
}

describe('fixture packages (one per payload compressor)', () => {
  test('there is one fixture per compressor', async () => {
    const seen = new Set<PayloadCompressor>();
    for (const f of fixtures) seen.add((await readRpm(f)).header.payloadCompressor);
    assert.deepEqual([...seen].sort(), ['bzip2', 'gzip', 'identity', 'lzma', 'xz', 'zstd']);
  });

  for (const file of fixtures) {
    const name = path.basename(file);
    test(`${name}: header equals rpm -qp --dump, langs and caps`, async () => {
      const { header: h, payloadOffset } = await readRpm(file);
      assert.ok(payloadOffset > 96);
      assert.equal(h.name, name.replace(/-1\.0-1\.noarch\.rpm$/, ''));
      assert.equal(h.version, '1.0');
      assert.equal(h.release, '1');
      assert.equal(h.arch, 'noarch');
      assert.equal(h.buildtime, 1704067200);
      assert.equal(h.digestAlgo, 'sha256');
      assert.deepEqual(h.scriptlets, []);
      compareWithRpm(file, h);
      const byPath = new Map(h.files.map((f) => [f.path, f]));
      assert.equal(byPath.get('/usr/bin/rpmcodec-ping')?.caps, 'cap_net_raw=ep');
      assert.equal(byPath.get('/usr/share/locale/de/LC_MESSAGES/rpmcodec.mo')?.lang, 'de');
      assert.equal(byPath.get('/etc/rpmcodec/private.conf')?.user, 'nobody');
      assert.equal(byPath.get('/etc/rpmcodec/private.conf')?.group, 'nogroup');
      assert.equal(byPath.get('/usr/bin/rpmcodec-suid')?.mode, 0o104755);
      assert.ok(byPath.get('/var/log/rpmcodec.log')!.flags & FileFlag.ghost);
      assert.ok(byPath.get('/etc/rpmcodec/rpmcodec.conf')!.flags & FileFlag.config);
      const a = byPath.get('/usr/lib/rpmcodec/link-a')!;
      const b = byPath.get('/usr/lib/rpmcodec/link-b')!;
      assert.equal(a.inode, b.inode);
      assert.equal(a.device, b.device);
      // The header blob: the main header's bytes, ending where the payload starts.
      assert.equal(h.headerBlob.readUInt32BE(0), 0x8eade801);
      const raw = readFileSync(file);
      assert.ok(raw.subarray(payloadOffset - h.headerBlob.length, payloadOffset).equals(h.headerBlob));
    });

    test(`${name}: payload bytes equal rpm2cpio | cpio -idm`, async () => {
      const { header: h } = await readRpm(file);
      const dir = tmp('rpmcompose-cpio-');
      // cpio when installed, else rpm2archive's tar (the same payload, as rpm unpacks it).
      const unpack = hasCpio
        ? 'rpm2cpio "$1" | cpio -idm --quiet --no-absolute-filenames --no-preserve-owner'
        : 'rpm2archive - < "$1" | tar -xzf - --no-same-owner';
      const r = spawnSync('sh', ['-c', unpack, 'sh', file], { cwd: dir });
      assert.equal(r.status, 0, String(r.stderr));
      const { order, contents } = await readPayload(file, h);
      // Every file but the %ghost one is in the payload, once.
      const expected = h.files.filter((f) => !(f.flags & FileFlag.ghost)).map((f) => f.path);
      assert.deepEqual([...order].sort(), [...expected].sort());
      for (const f of h.files) {
        if ((f.mode & S_IFMT) !== S_IFREG || f.flags & FileFlag.ghost) continue;
        const onDisk = readFileSync(path.join(dir, f.path));
        const ours = contents.get(f.path);
        if (ours) assert.ok(ours.equals(onDisk), `${f.path}: content`);
        else assert.equal(onDisk.length === 0 || f.path.includes('/link-'), true, `${f.path}: no bytes in the payload`);
      }
      // Hard-link set: exactly one member carries the bytes.
      const carriers = ['/usr/lib/rpmcodec/link-a', '/usr/lib/rpmcodec/link-b'].filter((p) => contents.has(p));
      assert.equal(carriers.length, 1);
      assert.equal(contents.get(carriers[0]!)!.toString(), 'linked content\n');
      assert.equal(contents.get('/usr/lib/rpmcodec/numbers.txt')!.length, statSync(path.join(dir, 'usr/lib/rpmcodec/numbers.txt')).size);
    });
  }

  test('bodies the consumer skips or half-reads are drained for it', async () => {
    const file = fixtures.find((f) => f.includes('-xz-'))!;
    const { header: h } = await readRpm(file);
    const full = await readPayload(file, h);
    const seen: { path: string; size: number }[] = [];
    const bodies: NodeJS.ReadableStream[] = [];
    let n = 0;
    for await (const e of payloadEntries(file, h)) {
      seen.push({ path: e.path, size: e.size });
      bodies.push(e.body);
      if (e.path.endsWith('numbers.txt')) {
        // Read one chunk only, then move on.
        const it = (e.body as Readable)[Symbol.asyncIterator]();
        const first = await it.next();
        assert.ok(!first.done && (first.value as Buffer).length > 0);
      }
      n++;
    }
    assert.deepEqual(seen.map((s) => s.path), full.order);
    assert.equal(n, full.order.length);
    // A skipped body is finished: reading it later ends at once, with nothing.
    const skipped = seen.findIndex((s) => s.path.endsWith('/data.txt'));
    assert.ok(seen[skipped]!.size > 0);
    const late: Buffer[] = [];
    for await (const c of bodies[skipped] as Readable) late.push(c as Buffer);
    assert.equal(Buffer.concat(late).length, 0);
  });

  test('corrupt and truncated packages fail with an RpmError naming the file', async () => {
    const dir = tmp();
    const isRpmError = (file: string) => (err: unknown) => {
      assert.ok(err instanceof RpmError, String(err));
      assert.equal(err.stage, 'rpm');
      assert.ok(err.message.includes(file), err.message);
      return true;
    };
    const drain = async (file: string) => {
      const { header } = await readRpm(file);
      for await (const e of payloadEntries(file, header)) for await (const _ of e.body) void _;
    };
    // Not an RPM at all.
    const junk = path.join(dir, 'junk.rpm');
    writeFileSync(junk, Buffer.alloc(4096, 7));
    await assert.rejects(readRpm(junk), isRpmError(junk));
    await assert.rejects(readRpm(path.join(dir, 'missing.rpm')), isRpmError(path.join(dir, 'missing.rpm')));
    for (const src of fixtures) {
      const { payloadOffset } = await readRpm(src);
      const size = statSync(src).size;
      // Cut inside the main header.
      const cutHeader = path.join(dir, `header-${path.basename(src)}`);
      copyFileSync(src, cutHeader);
      truncateSync(cutHeader, payloadOffset - 100);
      await assert.rejects(readRpm(cutHeader), isRpmError(cutHeader));
      // Cut inside the payload.
      const cut = path.join(dir, `cut-${path.basename(src)}`);
      copyFileSync(src, cut);
      truncateSync(cut, payloadOffset + Math.floor((size - payloadOffset) / 2));
      await assert.rejects(drain(cut), isRpmError(cut));
      // Flip bytes in the middle of the payload.
      const bad = path.join(dir, `bad-${path.basename(src)}`);
      const bytes = readFileSync(src);
      const mid = payloadOffset + Math.floor((size - payloadOffset) / 3);
      for (let i = 0; i < 64; i++) bytes[mid + i] = bytes[mid + i]! ^ 0x5a;
      writeFileSync(bad, bytes);
      await assert.rejects(drain(bad), isRpmError(bad));
    }
  });
});

describe('stripped cpio (07070X: v6 packages, v4 with files >= 4 GiB)', () => {
  test('members map to header files; symlinks carry their target; the last hard link carries the bytes', async () => {
    const file = (p: string, mode: number, size: number, extra: Partial<RpmFile> = {}): RpmFile => ({
      path: p, mode, size, user: 'root', group: 'root', mtime: 0, flags: 0, linkto: '', digest: '',
      inode: 0, device: 1, rdev: 0, lang: '', caps: '', ...extra,
    });
    const files = [
      file('/d', 0o40755, 0, { inode: 1 }),
      file('/d/a', 0o100644, 5, { inode: 2 }),
      file('/d/ghost', 0o100644, 0, { inode: 3, flags: FileFlag.ghost }),
      file('/d/l1', 0o100644, 4, { inode: 4 }),
      file('/d/l2', 0o100644, 4, { inode: 4 }),
      file('/d/s', 0o120777, 1, { inode: 5, linkto: 'a' }),
    ];
    const parts: Buffer[] = [];
    let at = 0;
    const put = (b: Buffer) => {
      parts.push(b);
      at += b.length;
    };
    const pad = () => put(Buffer.alloc((4 - (at % 4)) % 4));
    const member = (fx: number, data: string) => {
      pad();
      put(Buffer.from(`07070X${fx.toString(16).padStart(8, '0')}`));
      pad();
      put(Buffer.from(data));
    };
    member(0, '');
    member(1, 'hello');
    member(3, '');
    member(4, 'link');
    member(5, 'a');
    member(0xffffffff, '');
    const payload = path.join(tmp(), 'payload.cpio');
    writeFileSync(payload, Buffer.concat(parts));
    const header: RpmHeaderInfo = {
      name: 't', epoch: 0, version: '1', release: '1', arch: 'noarch', buildtime: 0,
      payloadCompressor: 'identity', digestAlgo: 'sha256', files, scriptlets: [], headerBlob: Buffer.alloc(0), payloadOffset: 0,
    };
    const got: [string, number, string][] = [];
    for await (const e of payloadEntries(payload, header)) {
      let data = '';
      for await (const c of e.body) data += String(c);
      got.push([e.path, e.size, data]);
    }
    assert.deepEqual(got, [
      ['/d', 0, ''],
      ['/d/a', 5, 'hello'],
      ['/d/l1', 0, ''],
      ['/d/l2', 4, 'link'],
      ['/d/s', 1, 'a'],
    ]);
  });
});

describe('native codecs', () => {
  const sample = Buffer.concat([
    createHash('sha512').update('seed').digest(),
    Buffer.from('rpmcompose '.repeat(200_000)),
    ...Array.from({ length: 2000 }, (_, i) => createHash('sha256').update(String(i)).digest()),
  ]);

  async function through(t: NodeJS.ReadWriteStream, input: Buffer, chunk = 7919): Promise<Buffer> {
    const out: Buffer[] = [];
    const chunks = function* () {
      for (let i = 0; i < input.length; i += chunk) yield input.subarray(i, i + chunk);
    };
    const done = new Promise<void>((resolve, reject) => {
      t.on('data', (c: Buffer) => out.push(c));
      t.on('end', resolve);
      t.on('error', reject);
    });
    await Promise.all([pipeline(Readable.from(chunks()), t as NodeJS.WritableStream), done]);
    return Buffer.concat(out);
  }

  function tool(cmd: string, args: string[], input: Buffer): Buffer {
    return execFileSync(cmd, args, { input, maxBuffer: 256 << 20 });
  }

  test('zstd encoder round-trips through the decoder and zstd -d', async () => {
    for (const level of [1, 3, 19]) {
      const z = await through(zstdCompressor(level), sample);
      assert.ok(z.length < sample.length / 4);
      assert.ok((await through(decompressor('zstd'), z)).equals(sample));
      assert.ok(tool('zstd', ['-d', '-c', '-q'], z).equals(sample));
    }
    assert.ok((await through(decompressor('zstd'), await through(zstdCompressor(3), Buffer.alloc(0)))).equals(Buffer.alloc(0)));
    // Several frames (zstd -T, pzstd, concatenation) decode as one stream.
    const frames = Buffer.concat([tool('zstd', ['-c', '-q'], sample.subarray(0, 5000)), tool('zstd', ['-c', '-q', '-19'], sample.subarray(5000))]);
    assert.ok((await through(decompressor('zstd'), frames, 1 << 16)).equals(sample));
  });

  test('xz decoder reads xz output with sha256, crc64, crc32 and no check, and concatenated streams', async () => {
    for (const check of ['sha256', 'crc64', 'crc32', 'none']) {
      const x = tool('xz', [`--check=${check}`, '-c'], sample);
      assert.ok((await through(decompressor('xz'), x)).equals(sample), check);
    }
    const two = Buffer.concat([tool('xz', ['-c'], sample.subarray(0, 1000)), tool('xz', ['-c'], sample.subarray(1000))]);
    assert.ok((await through(decompressor('xz'), two)).equals(sample));
  });

  test('bzip2, lzma and gzip decoders read their tools’ output', async () => {
    assert.ok((await through(decompressor('bzip2'), tool('bzip2', ['-c'], sample))).equals(sample));
    assert.ok((await through(decompressor('lzma'), tool('xz', ['--format=lzma', '-c'], sample))).equals(sample));
    assert.ok((await through(decompressor('gzip'), tool('gzip', ['-c', '-n'], sample))).equals(sample));
    assert.ok((await through(decompressor('identity'), sample)).equals(sample));
  });

  test('truncated and corrupt input fails with a clear message', async () => {
    const cases: [PayloadCompressor, Buffer][] = [
      ['xz', tool('xz', ['--check=sha256', '-c'], sample)],
      ['lzma', tool('xz', ['--format=lzma', '-c'], sample)],
      ['zstd', tool('zstd', ['-c', '-q'], sample)],
      ['bzip2', tool('bzip2', ['-c'], sample)],
    ];
    for (const [format, data] of cases) {
      await assert.rejects(through(decompressor(format), data.subarray(0, data.length - 20)), new RegExp(`^Error: ${format}: truncated input`));
      await assert.rejects(through(decompressor(format), Buffer.alloc(0)), new RegExp(`^Error: ${format}: `));
      const bad = Buffer.from(data);
      for (let i = 0; i < 32; i++) bad[Math.floor(bad.length / 2) + i] = bad[Math.floor(bad.length / 2) + i]! ^ 0xff;
      await assert.rejects(through(decompressor(format), bad), new RegExp(`^Error: ${format}: `));
    }
  });
});

const corpusFiles = existsSync(corpusDir) ? readdirSync(corpusDir).filter((f) => f.endsWith('.rpm')).sort() : [];
describe('../shared corpus RPMs', { skip: corpusFiles.length ? false : `no ${corpusDir}` }, () => {
  test('every header and payload reads, and matches rpm -qp --dump', async () => {
    let checked = 0;
    for (const name of corpusFiles) {
      const file = path.join(corpusDir, name);
      const { header: h } = await readRpm(file);
      compareWithRpm(file, h);
      if (name.includes('assets_RPMS_v6_rpm-scriptlets-')) {
        assert.deepEqual(h.scriptlets.filter((x) => !x.includes('trigger')), ['pretrans', 'prein', 'postin', 'preun', 'postun', 'posttrans', 'verifyscript']);
        for (const t of ['triggerin', 'triggerun', 'triggerpostun', 'filetriggerin', 'transfiletriggerin']) assert.ok(h.scriptlets.includes(t), t);
      }
      if (name.includes('-corrupted')) {
        await assert.rejects(readPayload(file, h), (err: unknown) => err instanceof RpmError && err.message.includes(file));
        continue;
      }
      const { order } = await readPayload(file, h);
      const expected = h.files.filter((f) => !(f.flags & FileFlag.ghost)).map((f) => f.path);
      assert.deepEqual([...new Set(order)].sort(), [...expected].sort(), `${name}: payload members`);
      checked++;
    }
    assert.ok(checked > 50, `${checked} packages`);
  });
});

describe('digests checked on every read', () => {
  const fixture = path.join(root, 'test/fixtures/rpm/rpmcodec-none-1.0-1.noarch.rpm');

  test('a changed main header fails its SHA256HEADER when the package is read', async () => {
    const file = path.join(tmp(), 'h.rpm');
    copyFileSync(fixture, file);
    const { header, payloadOffset } = await readRpm(file);
    const b = readFileSync(file);
    const at = payloadOffset - header.headerBlob.length + header.headerBlob.length - 3; // a byte of the header's data store
    b[at] = b[at]! ^ 0x01;
    writeFileSync(file, b);
    await assert.rejects(readRpm(file), (e: unknown) => e instanceof RpmError && e.code === 'RPM_HEADER_DIGEST' && e.place.file === file && /header digest mismatch \(sha256 /.test(e.message));
  });

  test('a payload read stopped early still checks PAYLOADSHA256 over the bytes it did not read', async () => {
    // An uncompressed payload: a changed byte of its last member shows nowhere but in the digest.
    const file = path.join(tmp(), 'p.rpm');
    copyFileSync(fixture, file);
    const { header } = await readRpm(file);
    assert.equal(header.payloadCompressor, 'identity');
    assert.ok(header.payloadDigest);
    const b = readFileSync(file);
    b[b.length - 600] = b[b.length - 600]! ^ 0x01;
    writeFileSync(file, b);
    const read = async () => {
      for await (const entry of payloadEntries(file, header)) {
        entry.body.resume();
        break; // the first member only
      }
    };
    await assert.rejects(read(), (e: unknown) => e instanceof RpmError && e.code === 'RPM_PAYLOAD_DIGEST' && e.place.file === file);
    // Read whole, the same package is refused at its end.
    await assert.rejects(
      (async () => {
        for await (const entry of payloadEntries(file, header)) for await (const _ of entry.body) void _;
      })(),
      /payload digest mismatch/,
    );
  });
});
