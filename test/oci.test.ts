// The output stage against real tools: skopeo (inspect, copy), umoci (unpack), zstd.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { after, describe, test } from 'node:test';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { LayerError, OciError } from '../src/errors.js';
import {
  BlobStore,
  MediaType,
  REF_NAME,
  compressLayer,
  imageConfig,
  imageIndex,
  openLayout,
  platformForArch,
  writeDockerArchive,
  writeImage,
  writeIndex,
  writeLayout,
  writeOciArchive,
  type Descriptor,
  type Layer,
  parallelGzip,
} from '../src/oci/index.js';
import { validateArchive, validateLayout } from './validate.js';

const tmps: string[] = [];
function tmp(prefix = 'rpmcompose-oci-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmps.push(d);
  return d;
}

/** Temp files (src/atomic.ts names them `.<name>.<pid>.<random>.tmp`) anywhere in a store. */
function temps(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((e) => /(^|\/)\.[^/]*\.tmp$/.test(e));
}
after(() => {
  for (const d of tmps) spawnSync('chmod', ['-R', 'u+rwX', d]), rmSync(d, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) assert.fail(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const skopeo = (...args: string[]) => JSON.parse(run('skopeo', ['--insecure-policy', 'inspect', ...args])) as Record<string, unknown>;

type TarFile = { name: string; type?: 'file' | 'directory' | 'symlink'; data?: string; mode?: number; linkname?: string };

/** An uncompressed tar with fixed mtimes, in the given order. */
async function makeTar(files: TarFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const f of files) {
    const type = f.type ?? 'file';
    const header = { name: f.name, type, mode: f.mode ?? (type === 'file' ? 0o644 : 0o755), mtime: new Date(1_700_000_000_000), uid: 0, gid: 0 };
    if (type === 'file') pack.entry(header, f.data ?? '');
    else if (type === 'symlink') pack.entry({ ...header, linkname: f.linkname! });
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const baseFiles: TarFile[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/os-release', data: 'NAME=rpmcompose-test\n' },
  { name: 'usr/', type: 'directory' },
  { name: 'usr/bin/', type: 'directory' },
  { name: 'usr/bin/hello', data: '#!/bin/sh\necho hello\n', mode: 0o755 },
  { name: 'usr/bin/hi', type: 'symlink', linkname: 'hello' },
];
const topFiles: TarFile[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/motd', data: 'top layer\n' },
];

/** A zstd compressor over the zstd CLI. */
function zstdCli(): Transform {
  const child = spawn('zstd', ['-c', '-3', '-q']);
  const t = new Transform({
    transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
      if (child.stdin.write(chunk)) cb();
      else child.stdin.once('drain', () => cb());
    },
    flush(cb: TransformCallback) {
      child.stdout.once('end', () => cb());
      child.stdin.end();
    },
  });
  child.stdout.on('data', (d: Buffer) => t.push(d));
  child.on('error', (e) => t.destroy(e));
  return t;
}

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

interface Built {
  store: BlobStore;
  single: Descriptor;
  multi: Descriptor;
  layers: Layer[];
}

/** Layers, a single-arch image and a 2-platform index into `store`. */
async function buildAll(store: BlobStore, compression: 'gzip' | 'zstd' = 'gzip'): Promise<Built> {
  const opts = compression === 'zstd' ? { compression, compressor: zstdCli } : { compression };
  const base = await compressLayer(Readable.from([await makeTar(baseFiles)]), store, { ...opts, history: 'base: hello-1.0-1' });
  const top = await compressLayer(Readable.from([await makeTar(topFiles)]), store, { ...opts, history: 'top: rpmdb' });
  const layers = [base, top];
  const config = { Entrypoint: ['/usr/bin/hello'], Env: ['LANG=C.UTF-8'], ExposedPorts: ['8080', '53/udp'], Labels: { b: '2', a: '1' }, WorkingDir: '/' };
  const created = 1_700_000_000;
  const amd = await writeImage(store, { arch: 'x86_64', config, created, layers });
  const arm = await writeImage(store, { arch: 'aarch64', config, created, layers });
  const multi = await writeIndex(store, [arm.manifest, amd.manifest]);
  return { store, single: amd.manifest, multi, layers };
}

describe('layers', () => {
  test('gzip: fixed header, diffId of the tar, digest of the blob', async () => {
    const store = await BlobStore.open(tmp());
    const raw = await makeTar(baseFiles);
    for (const level of [1, 6, 9]) {
      const l = await compressLayer(Readable.from([raw]), store, { compression: 'gzip', level });
      const blob = readFileSync(store.blobPath(l.descriptor.digest));
      const xfl = level === 1 ? 4 : level === 9 ? 2 : 0;
      assert.deepEqual([...blob.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
      assert.equal(l.diffId, sha(raw));
      assert.equal(l.uncompressedSize, raw.length);
      assert.equal(l.descriptor.digest, sha(blob));
      assert.equal(l.descriptor.size, blob.length);
      assert.equal(l.descriptor.mediaType, MediaType.ociLayerGzip);
      assert.deepEqual(zlib.gunzipSync(blob), raw);
    }
    assert.deepEqual(temps(store.root), []);
  });

  test('zstd needs a compressor; with one the blob is zstd', async () => {
    const store = await BlobStore.open(tmp());
    const raw = await makeTar(topFiles);
    await assert.rejects(compressLayer(Readable.from([raw]), store, { compression: 'zstd' }), (e: unknown) => e instanceof OciError && e.code === 'OCI_COMPRESSION');
    const l = await compressLayer(Readable.from([raw]), store, { compression: 'zstd', compressor: zstdCli });
    assert.equal(l.descriptor.mediaType, MediaType.ociLayerZstd);
    assert.equal(l.diffId, sha(raw));
    const back = execFileSync('zstd', ['-d', '-c', store.blobPath(l.descriptor.digest)]);
    assert.deepEqual(back, raw);
  });

  test('a tar-stream pack streams straight in; the same layer twice at once is one blob', async () => {
    const store = await BlobStore.open(tmp());
    const big = Buffer.alloc(8 << 20, 'rpmcompose ');
    const mkPack = () => {
      const pack = tar.pack();
      pack.entry({ name: 'big', size: big.length, mtime: new Date(0) }, big);
      pack.finalize();
      return pack as unknown as Readable;
    };
    const [a, b] = await Promise.all([
      compressLayer(mkPack(), store, { compression: 'gzip' }),
      compressLayer(mkPack(), store, { compression: 'gzip' }),
    ]);
    assert.deepEqual(a, b);
    assert.ok(a.uncompressedSize > big.length);
    assert.deepEqual(readdirSync(path.join(store.root, 'blobs/sha256')), [a.descriptor.digest.slice(7)]);
    assert.deepEqual(temps(store.root), []);
  });

  test('bad gzip level, failing source: OciError, no temp file left', async () => {
    const store = await BlobStore.open(tmp());
    await assert.rejects(compressLayer(Readable.from([Buffer.alloc(0)]), store, { compression: 'gzip', level: 0 }), OciError);
    const failing = new Readable({ read() { this.destroy(new Error('payload truncated')); } });
    await assert.rejects(compressLayer(failing, store, { compression: 'gzip' }), (e: unknown) => e instanceof OciError && /payload truncated/.test(e.message));
    // Another stage's error in the source comes out as it went in.
    const corrupt = new Readable({ read() { this.destroy(new LayerError('LAYER_PAYLOAD', 'foo-1.0-1.x86_64.rpm: payload digest mismatch')); } });
    await assert.rejects(compressLayer(corrupt, store, { compression: 'gzip' }), (e: unknown) => e instanceof LayerError && e.code === 'LAYER_PAYLOAD');
    assert.deepEqual(temps(store.root), []);
    assert.deepEqual(readdirSync(path.join(store.root, 'blobs/sha256')), []);
  });
});

describe('image config, manifest, index', () => {
  test('rpm arch → platform', () => {
    assert.deepEqual(platformForArch('x86_64'), { architecture: 'amd64', os: 'linux' });
    assert.deepEqual(platformForArch('aarch64'), { architecture: 'arm64', os: 'linux' });
    assert.deepEqual(platformForArch('i686'), { architecture: '386', os: 'linux' });
    assert.deepEqual(platformForArch('ppc64le'), { architecture: 'ppc64le', os: 'linux' });
    assert.deepEqual(platformForArch('s390x'), { architecture: 's390x', os: 'linux' });
    assert.deepEqual(platformForArch('armv7hl'), { architecture: 'arm', os: 'linux', variant: 'v7' });
    assert.throws(() => platformForArch('noarch'), (e: unknown) => e instanceof OciError && e.code === 'OCI_ARCH');
    assert.throws(() => platformForArch('sparc'), OciError);
  });

  test('config: fields, PATH default, ports, sorted labels, history per layer', () => {
    const layer = (n: number, history?: string): Layer => ({
      diffId: `sha256:${String(n).repeat(64)}`,
      uncompressedSize: 1,
      descriptor: { mediaType: MediaType.ociLayerGzip, digest: `sha256:${'f'.repeat(64)}`, size: 1 },
      ...(history ? { history } : {}),
    });
    const cfg = imageConfig({
      arch: 'armv7hl',
      config: { Cmd: ['sh'], Env: ['A=1'], ExposedPorts: ['80', '53/udp', '80/tcp'], Labels: { z: '1', a: '2' }, User: 'app' },
      created: 0,
      layers: [layer(1, 'pkgs: a, b'), layer(2)],
    });
    assert.equal(
      JSON.stringify(cfg),
      JSON.stringify({
        created: '1970-01-01T00:00:00Z',
        architecture: 'arm',
        os: 'linux',
        variant: 'v7',
        config: {
          User: 'app',
          ExposedPorts: { '53/udp': {}, '80/tcp': {} },
          Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1'],
          Cmd: ['sh'],
          Labels: { a: '2', z: '1' },
        },
        rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`] },
        history: [
          { created: '1970-01-01T00:00:00Z', created_by: 'rpmcompose', comment: 'pkgs: a, b' },
          { created: '1970-01-01T00:00:00Z', created_by: 'rpmcompose' },
        ],
      }),
    );
    assert.throws(() => imageConfig({ arch: 'x86_64', config: { ExposedPorts: ['http'] }, created: 0, layers: [] }), OciError);
    assert.throws(() => imageConfig({ arch: 'x86_64', config: {}, created: 0, layers: [layer(1)], history: [] }), OciError);
  });

  test('index: platforms required, unique, sorted', () => {
    const d = (arch: string): Descriptor => ({ mediaType: MediaType.ociManifest, digest: `sha256:${'a'.repeat(64)}`, size: 2, platform: platformForArch(arch) });
    const idx = imageIndex([d('x86_64'), d('aarch64')]);
    assert.deepEqual(idx.manifests.map((m) => m.platform?.architecture), ['amd64', 'arm64']);
    assert.throws(() => imageIndex([d('x86_64'), d('x86_64')]), OciError);
    assert.throws(() => imageIndex([{ ...d('x86_64'), platform: undefined }] as Descriptor[]), OciError);
  });
});

describe('OCI layout, checked with skopeo and umoci', () => {
  test('single-arch image: skopeo inspect, umoci unpack, skopeo copy', async () => {
    const dir = path.join(tmp(), 'out');
    const b = await buildAll(await openLayout(dir));
    await writeLayout(dir, b.store, [{ name: 'hello', descriptor: b.single }]);
    assert.deepEqual(validateLayout(dir).refs, { hello: b.single.digest });
    const info = skopeo(`oci:${dir}:hello`);
    assert.equal(info.Digest, b.single.digest);
    assert.equal(info.Architecture, 'amd64');
    assert.equal(info.Os, 'linux');
    assert.deepEqual(info.Layers, b.layers.map((l) => l.descriptor.digest));
    assert.deepEqual(info.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8']);
    assert.deepEqual(info.Labels, { a: '1', b: '2' });

    const bundle = path.join(tmp(), 'bundle');
    run('umoci', ['unpack', '--rootless', '--image', `${dir}:hello`, bundle]);
    const rootfs = path.join(bundle, 'rootfs');
    assert.equal(readFileSync(path.join(rootfs, 'etc/os-release'), 'utf8'), 'NAME=rpmcompose-test\n');
    assert.equal(readFileSync(path.join(rootfs, 'etc/motd'), 'utf8'), 'top layer\n');
    assert.equal(statSync(path.join(rootfs, 'usr/bin/hello')).mode & 0o7777, 0o755);
    assert.equal(readlinkSync(path.join(rootfs, 'usr/bin/hi')), 'hello');
    const runtime = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { process: { args: string[] } };
    assert.deepEqual(runtime.process.args, ['/usr/bin/hello']);

    run('skopeo', ['--insecure-policy', 'copy', '-q', `oci:${dir}:hello`, `dir:${path.join(tmp(), 'copy')}`]);
  });

  test('two platforms: one entry pointing to an image index', async () => {
    const dir = path.join(tmp(), 'out');
    const b = await buildAll(await openLayout(dir));
    await writeLayout(dir, b.store, [{ name: 'multi', descriptor: b.multi }]);
    assert.equal(validateLayout(dir).manifests, 2);
    const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0]!.mediaType, MediaType.ociIndex);
    assert.equal(index.manifests[0]!.annotations?.[REF_NAME], 'multi');
    const raw = skopeo('--raw', `oci:${dir}:multi`) as { mediaType: string; manifests: Descriptor[] };
    assert.equal(raw.mediaType, MediaType.ociIndex);
    assert.deepEqual(raw.manifests.map((m) => m.platform), [
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux' },
    ]);
    assert.equal(skopeo('--override-arch', 'arm64', `oci:${dir}:multi`).Architecture, 'arm64');
    assert.equal(skopeo('--override-arch', 'amd64', `oci:${dir}:multi`).Architecture, 'amd64');
    run('skopeo', ['--insecure-policy', 'copy', '-q', '--override-arch', 'arm64', `oci:${dir}:multi`, `dir:${path.join(tmp(), 'copy')}`]);
    const copyAll = path.join(tmp(), 'copy-all');
    run('skopeo', ['--insecure-policy', 'copy', '-q', '--all', `oci:${dir}:multi`, `oci:${copyAll}:multi`]);
    // skopeo's copy of both platforms is the same image, blob for blob.
    assert.deepEqual(validateLayout(copyAll).blobs, validateLayout(dir).blobs);
  });

  test('zstd layers: media type, skopeo inspect and copy', async () => {
    const dir = path.join(tmp(), 'out');
    const b = await buildAll(await openLayout(dir), 'zstd');
    await writeLayout(dir, b.store, [{ name: 'z', descriptor: b.single }]);
    validateLayout(dir);
    const m = skopeo('--raw', `oci:${dir}:z`) as { layers: Descriptor[] };
    assert.deepEqual(m.layers.map((l) => l.mediaType), [MediaType.ociLayerZstd, MediaType.ociLayerZstd]);
    assert.deepEqual(skopeo(`oci:${dir}:z`).Layers, b.layers.map((l) => l.descriptor.digest));
    run('skopeo', ['--insecure-policy', 'copy', '-q', `oci:${dir}:z`, `dir:${path.join(tmp(), 'copy')}`]);
  });

  test('deterministic: same inputs, same digests and byte-identical index.json and archives', async () => {
    const outs = [];
    for (let i = 0; i < 2; i++) {
      const dir = path.join(tmp(), 'out');
      const b = await buildAll(await openLayout(dir));
      const refs = [{ name: 'multi', descriptor: b.multi }, { name: 'hello', descriptor: b.single }];
      await writeLayout(dir, b.store, refs);
      const oa = path.join(tmp(), 'img.oci.tar');
      const da = path.join(tmp(), 'img.docker.tar');
      await writeOciArchive(oa, b.store, refs);
      await writeDockerArchive(da, b.store, { name: 'hello', manifestDesc: b.single });
      validateLayout(dir);
      validateArchive(oa);
      outs.push({ b, index: readFileSync(path.join(dir, 'index.json')), oa: readFileSync(oa), da: readFileSync(da) });
    }
    const [x, y] = outs as [(typeof outs)[0], (typeof outs)[0]];
    assert.equal(x.b.single.digest, y.b.single.digest);
    assert.equal(x.b.multi.digest, y.b.multi.digest);
    assert.deepEqual(x.b.layers, y.b.layers);
    assert.ok(x.index.equals(y.index));
    assert.ok(x.oa.equals(y.oa));
    assert.ok(x.da.equals(y.da));
  });

  test('updating a layout keeps other names, replaces same names, sorted', async () => {
    const dir = path.join(tmp(), 'out');
    mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
    writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
    const foreign = { mediaType: MediaType.ociManifest, digest: `sha256:${'e'.repeat(64)}`, size: 7, annotations: { [REF_NAME]: 'zzz-foreign' } };
    const unnamed = { mediaType: MediaType.ociManifest, digest: `sha256:${'d'.repeat(64)}`, size: 3 };
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [foreign, unnamed] }, null, 2));
    const store = await openLayout(dir);
    const b = await buildAll(store);
    await writeLayout(dir, store, [{ name: 'b', descriptor: b.single }]);
    await writeLayout(dir, store, [{ name: 'a', descriptor: b.multi }]);
    await writeLayout(dir, store, [{ name: 'b', descriptor: b.multi }]);
    const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    assert.deepEqual(index.manifests.map((m) => [m.annotations?.[REF_NAME], m.digest]), [
      [undefined, unnamed.digest],
      ['a', b.multi.digest],
      ['b', b.multi.digest],
      ['zzz-foreign', foreign.digest],
    ]);
    assert.equal(skopeo('--raw', `oci:${dir}:a`).mediaType, MediaType.ociIndex);
    // The foreign and unnamed entries name blobs this test never wrote.
    validateLayout(dir, { only: ['a', 'b'] });
    assert.deepEqual(readdirSync(dir).sort(), ['blobs', 'index.json', 'oci-layout']);
  });

  test('a failed write leaves index.json as it was', async () => {
    const dir = path.join(tmp(), 'out');
    const store = await openLayout(dir);
    const b = await buildAll(store);
    await writeLayout(dir, store, [{ name: 'hello', descriptor: b.single }]);
    const before = readFileSync(path.join(dir, 'index.json'));
    const ghost = { mediaType: MediaType.ociManifest, digest: `sha256:${'0'.repeat(64)}` as const, size: 10 };
    await assert.rejects(writeLayout(dir, store, [{ name: 'hello', descriptor: ghost }]), (e: unknown) => e instanceof OciError && e.code === 'OCI_BLOB_MISSING');
    await assert.rejects(writeLayout(dir, store, [{ name: 'bad name!', descriptor: b.single }]), (e: unknown) => e instanceof OciError && e.code === 'OCI_REF');
    assert.ok(readFileSync(path.join(dir, 'index.json')).equals(before));
    validateLayout(dir);
  });

  test('blobs built in another store are copied into the layout', async () => {
    const cache = await BlobStore.open(tmp());
    const b = await buildAll(cache);
    const dir = path.join(tmp(), 'out');
    await writeLayout(dir, cache, [{ name: 'multi', descriptor: b.multi }]);
    assert.equal(skopeo('--override-arch', 'arm64', `oci:${dir}:multi`).Architecture, 'arm64');
    // 2 layers + 2 configs + 2 manifests + 1 index
    assert.equal(readdirSync(path.join(dir, 'blobs/sha256')).length, 7);
    const s = validateLayout(dir);
    assert.deepEqual(s.stored, s.blobs, 'only the blobs the image needs are copied');
  });

  test('a non-layout directory is refused and left untouched', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const cache = await BlobStore.open(tmp());
    const b = await buildAll(cache);
    await assert.rejects(writeLayout(dir, cache, [{ name: 'hello', descriptor: b.single }]), (e: unknown) => e instanceof OciError && e.code === 'OCI_LAYOUT' && /not an OCI image layout/.test(e.message));
    await assert.rejects(openLayout(dir), OciError);
    assert.deepEqual(readdirSync(dir), ['notes.txt']);
    assert.equal(readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'mine');
    const file = path.join(dir, 'notes.txt');
    await assert.rejects(writeLayout(file, cache, [{ name: 'hello', descriptor: b.single }]), OciError);
  });
});

describe('archives', () => {
  test('oci-archive: skopeo inspect, only reachable blobs, sorted entries with fixed metadata', async () => {
    const store = await BlobStore.open(tmp());
    const b = await buildAll(store);
    await compressLayer(Readable.from([await makeTar(topFiles.slice(1))]), store, { compression: 'gzip' }); // unreferenced blob
    const file = path.join(tmp(), 'sub', 'img.tar');
    await writeOciArchive(file, store, [{ name: 'hello', descriptor: b.single }, { name: 'multi', descriptor: b.multi }]);
    const info = skopeo(`oci-archive:${file}:hello`);
    assert.equal(info.Digest, b.single.digest);
    assert.deepEqual(info.Layers, b.layers.map((l) => l.descriptor.digest));
    assert.equal(skopeo('--raw', `oci-archive:${file}:multi`).mediaType, MediaType.ociIndex);
    const s = validateArchive(file);
    assert.deepEqual(s.stored, s.blobs, 'the unreferenced blob is not in the archive');
    const listing = run('tar', ['--numeric-owner', '-tvf', file]).trim().split('\n');
    const names = listing.map((l) => l.split(/\s+/).pop()!);
    assert.deepEqual(names, [...names].sort());
    assert.equal(names.filter((n) => /^blobs\/sha256\/./.test(n)).length, 7);
    for (const l of listing) assert.match(l, /^\S+ 0\/0 .* 1970-01-01 00:00 /);
    assert.deepEqual(readdirSync(path.dirname(file)), ['img.tar']);
  });

  test('docker-archive: skopeo inspect and copy; multi-arch refused', async () => {
    const store = await BlobStore.open(tmp());
    const b = await buildAll(store);
    const file = path.join(tmp(), 'img.tar');
    await writeDockerArchive(file, store, { name: 'hello', manifestDesc: b.single });
    const info = skopeo(`docker-archive:${file}`);
    assert.equal(info.Architecture, 'amd64');
    assert.deepEqual(info.RepoTags, []);
    assert.deepEqual(info.Layers, b.layers.map((l) => l.diffId));
    const manifestJson = JSON.parse(run('tar', ['-xOf', file, 'manifest.json'])) as { RepoTags: string[] }[];
    assert.deepEqual(manifestJson[0]!.RepoTags, ['hello:latest']);
    const copy = path.join(tmp(), 'copy');
    run('skopeo', ['--insecure-policy', 'copy', '-q', `docker-archive:${file}`, `oci:${copy}:hello`]);
    const copied = skopeo(`oci:${copy}:hello`);
    assert.equal(copied.Architecture, 'amd64');

    await assert.rejects(
      writeDockerArchive(path.join(tmp(), 'm.tar'), store, { name: 'multi', manifestDesc: b.multi }),
      (e: unknown) => e instanceof OciError && e.code === 'OCI_MULTIARCH' && /pick one arch/.test(e.message),
    );
    await assert.rejects(writeDockerArchive(path.join(tmp(), 'n.tar'), store, { name: 'Bad Name', manifestDesc: b.single }), OciError);
  });

  test('docker-archive with zstd layers: skopeo reads it', async () => {
    const store = await BlobStore.open(tmp());
    const b = await buildAll(store, 'zstd');
    const file = path.join(tmp(), 'img.tar');
    await writeDockerArchive(file, store, { name: 'hello:1.0', manifestDesc: b.single });
    assert.deepEqual(skopeo(`docker-archive:${file}`).Layers, b.layers.map((l) => l.diffId));
    run('skopeo', ['--insecure-policy', 'copy', '-q', `docker-archive:${file}`, `dir:${path.join(tmp(), 'copy')}`]);
  });
});

describe('parallel gzip', () => {
  // 3.5 MiB: three full 1 MiB blocks and a short last one, half compressible text, half noise.
  const input = Buffer.concat(
    Array.from({ length: 7 }, (_, i) =>
      i % 2 ? createHash('sha512').update(String(i)).digest().toString('hex').repeat(2048).slice(0, 512 * 1024) : Buffer.from(Array.from({ length: 512 * 1024 }, (_, j) => (j * 7919 + i) % 251)),
    ).map((b) => Buffer.from(b)),
  );
  const gz = async (data: Buffer, level: number) => {
    const chunks: Buffer[] = [];
    for await (const c of Readable.from([data.subarray(0, 1000), data.subarray(1000)]).pipe(parallelGzip(level))) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  test('one gzip member that gunzip and gzip -t read back, byte-identical on every run', async () => {
    for (const level of [1, 6]) {
      const a = await gz(input, level);
      assert.deepEqual(zlib.gunzipSync(a), input);
      assert.deepEqual(await gz(input, level), a);
      const check = spawnSync('gzip', ['-t'], { input: a });
      assert.equal(check.status, 0, String(check.stderr));
      // Priming each block with the previous 32 KiB keeps it close to one deflate stream.
      const single = zlib.gzipSync(input, { level });
      assert.ok(a.length < single.length * 1.02, `${a.length} vs ${single.length}`);
    }
  });

  test('empty input is a valid empty gzip', async () => {
    assert.deepEqual(zlib.gunzipSync(await gz(Buffer.alloc(0), 1)), Buffer.alloc(0));
  });
});
