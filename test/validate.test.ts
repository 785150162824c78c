// The layout validator (test/validate.ts) itself: it accepts what src/oci writes and
// reports a corrupted blob, a wrong size, a wrong diff_id, a wrong platform, a missing
// blob and a bad oci-layout file, each naming the blob.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { before, describe, test } from 'node:test';
import tar from 'tar-stream';
import { BlobStore, compressLayer, openLayout, writeImage, writeIndex, writeLayout, writeOciArchive, type Descriptor } from '../src/oci/index.js';
import { zstdCompressor } from '../src/rpm/decompress.js';
import { assertLayersApply, validateArchive, validateLayout } from './validate.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'rpmcompose-validate-test-'));
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, data] of Object.entries(files)) pack.entry({ name, mtime: new Date(0), mode: 0o644 }, data);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  [k: string]: unknown;
}

const blobFile = (dir: string, digest: string) => path.join(dir, 'blobs/sha256', digest.slice(7));
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const indexJson = (dir: string) => readJson(path.join(dir, 'index.json')) as { manifests: Desc[] };

/** Every descriptor `{digest: from}` inside `value` now says `to` and `size`. */
function retarget(value: unknown, from: string, to: string, size: number): boolean {
  if (!value || typeof value !== 'object') return false;
  let hit = false;
  const o = value as Record<string, unknown>;
  if (o.digest === from) {
    o.digest = to;
    o.size = size;
    hit = true;
  }
  for (const v of Object.values(o)) hit = retarget(v, from, to, size) || hit;
  return hit;
}

/**
 * Replaces blob `digest` by `bytes` and rewrites every JSON blob and index.json that
 * points to it, up to index.json, so only the intended change is wrong.
 */
function replaceBlob(dir: string, digest: string, bytes: Buffer): string {
  const to = `sha256:${sha(bytes)}`;
  writeFileSync(blobFile(dir, to), bytes);
  const index = indexJson(dir);
  if (retarget(index, digest, to, bytes.length)) writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
  for (const f of readdirSync(path.join(dir, 'blobs/sha256'))) {
    const file = path.join(dir, 'blobs/sha256', f);
    const text = readFileSync(file);
    if (!text.includes(digest) || f === to.slice(7)) continue;
    const parent = JSON.parse(text.toString('utf8')) as unknown;
    retarget(parent, digest, to, bytes.length);
    replaceBlob(dir, `sha256:${f}`, Buffer.from(JSON.stringify(parent)));
  }
  return to;
}

/** A JSON blob edited in place (and its parents rewritten to point to the new one). */
function editJson(dir: string, digest: string, edit: (v: Record<string, unknown>) => void): string {
  const v = readJson(blobFile(dir, digest));
  edit(v);
  return replaceBlob(dir, digest, Buffer.from(JSON.stringify(v)));
}

describe('validateLayout', () => {
  let good: string;
  let single: Descriptor; // the single-arch gzip image's manifest
  let layerDigest: string;

  before(async () => {
    good = path.join(tmp(), 'layout');
    const store = await openLayout(good);
    const base = await compressLayer(Readable.from([await tarOf({ 'etc/os-release': 'NAME=validate\n' })]), store, { compression: 'gzip' });
    const top = await compressLayer(Readable.from([await tarOf({ 'etc/motd': 'top\n' })]), store, { compression: 'gzip' });
    const z = await compressLayer(Readable.from([await tarOf({ 'etc/z': 'zstd\n' })]), store, { compression: 'zstd', compressor: () => zstdCompressor(3) });
    const img = await writeImage(store, { arch: 'x86_64', config: {}, created: 0, layers: [base, top] });
    const amd = await writeImage(store, { arch: 'x86_64', config: {}, created: 0, layers: [base, z] });
    const arm = await writeImage(store, { arch: 'aarch64', config: {}, created: 0, layers: [base, z] });
    const multi = await writeIndex(store, [amd.manifest, arm.manifest]);
    await writeLayout(good, store, [
      { name: 'single', descriptor: img.manifest },
      { name: 'multi', descriptor: multi },
    ]);
    single = img.manifest;
    layerDigest = top.descriptor.digest;
  });

  const copy = () => {
    const dir = path.join(tmp(), 'layout');
    cpSync(good, dir, { recursive: true });
    return dir;
  };

  test('accepts a layout src/oci wrote: refs, reachable blobs, manifests, layers', () => {
    const s = validateLayout(good);
    assert.deepEqual(Object.keys(s.refs).sort(), ['multi', 'single']);
    // 3 layers, 3 configs, 3 manifests, 1 index.
    assert.equal(s.blobs.length, 10);
    assert.deepEqual(s.stored, s.blobs);
    assert.equal(s.manifests, 3);
    assert.equal(s.layers, 3);
  });

  test('a corrupted blob is reported by name', () => {
    const dir = copy();
    const file = blobFile(dir, layerDigest);
    const b = readFileSync(file);
    b[b.length >> 1]! ^= 0x01;
    writeFileSync(file, b);
    assert.throws(() => validateLayout(dir), (e: Error) => e instanceof assert.AssertionError && e.message.includes(layerDigest.slice(7)) && /does not hash to its name/.test(e.message));
  });

  test('a wrong size (in index.json, and of a layer in a manifest) is reported by name', () => {
    const dir = copy();
    const index = indexJson(dir);
    const entry = index.manifests.find((m) => m.digest === single.digest)!;
    entry.size += 1;
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
    assert.throws(() => validateLayout(dir), (e: Error) => e.message.includes(single.digest.slice(7)) && /bytes, the descriptor says/.test(e.message));

    const dir2 = copy();
    editJson(dir2, single.digest, (m) => {
      (m.layers as Desc[])[1]!.size -= 1;
    });
    assert.throws(() => validateLayout(dir2), (e: Error) => e.message.includes(layerDigest.slice(7)) && /bytes, the descriptor says/.test(e.message));
  });

  test('a wrong diff_id is reported, naming the layer blob', () => {
    const dir = copy();
    const m = readJson(blobFile(dir, single.digest)) as { config: Desc };
    editJson(dir, m.config.digest, (c) => {
      (c.rootfs as { diff_ids: string[] }).diff_ids[1] = `sha256:${'0'.repeat(64)}`;
    });
    assert.throws(() => validateLayout(dir), (e: Error) => e.message.includes(layerDigest.slice(7)) && /diff_ids\[1\] is not the sha256/.test(e.message));
  });

  test('one diff_id too few is reported', () => {
    const dir = copy();
    const m = readJson(blobFile(dir, single.digest)) as { config: Desc };
    editJson(dir, m.config.digest, (c) => {
      (c.rootfs as { diff_ids: string[] }).diff_ids.pop();
    });
    assert.throws(() => validateLayout(dir), /1 diff_ids for 2 layers/);
  });

  test('a platform that is not the config\u2019s is reported', () => {
    const dir = copy();
    const multi = indexJson(dir).manifests.find((m) => m.mediaType.endsWith('index.v1+json'))!;
    editJson(dir, multi.digest, (idx) => {
      for (const m of idx.manifests as { platform: { architecture: string } }[]) m.platform.architecture = m.platform.architecture === 'amd64' ? 'arm64' : 'amd64';
    });
    assert.throws(() => validateLayout(dir), /platform architecture (arm64|amd64), config .* says (amd64|arm64)/);
  });

  test('a missing blob, an unexpected media type and a bad oci-layout are reported', () => {
    const dir = copy();
    rmSync(blobFile(dir, layerDigest));
    assert.throws(() => validateLayout(dir), (e: Error) => e.message.includes(layerDigest.slice(7)) && /is missing/.test(e.message));

    const dir2 = copy();
    editJson(dir2, single.digest, (m) => {
      (m.layers as Desc[])[1]!.mediaType = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
    });
    assert.throws(() => validateLayout(dir2), /unexpected mediaType application\/vnd\.docker/);

    const dir3 = copy();
    writeFileSync(path.join(dir3, 'oci-layout'), '{"imageLayoutVersion":"1.1.0"}');
    assert.throws(() => validateLayout(dir3), /oci-layout/);
  });

  test('validateArchive: an oci-archive is unpacked and validated as a layout', async () => {
    const store = await BlobStore.open(good);
    const file = path.join(tmp(), 'a.tar');
    await writeOciArchive(file, store, [{ name: 'single', descriptor: single }]);
    const s = validateArchive(file);
    assert.deepEqual(Object.keys(s.refs), ['single']);
    assert.deepEqual(s.stored, s.blobs, 'an archive holds only reachable blobs');
  });
});

describe('assertLayersApply', () => {
  type Member = { name: string; type: 'file' | 'directory' | 'symlink'; linkname?: string; size?: number };
  async function layoutOf(layers: Member[][]): Promise<string> {
    const dir = tmp();
    const store = await openLayout(dir);
    const built = [];
    for (const entries of layers) {
      const pack = tar.pack();
      for (const e of entries) {
        const header = { ...e, mtime: new Date(0), mode: e.type === 'directory' ? 0o755 : 0o644 };
        if (e.type === 'file') pack.entry(header, 'x');
        else pack.entry(header);
      }
      pack.finalize();
      const chunks: Buffer[] = [];
      for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
      built.push(await compressLayer(Readable.from([Buffer.concat(chunks)]), store, { compression: 'gzip' }));
    }
    const img = await writeImage(store, { arch: 'x86_64', config: {}, created: 0, layers: built });
    await writeLayout(dir, store, [{ name: 'img', descriptor: img.manifest }]);
    return dir;
  }
  const usrmerge: Member[] = [
    { name: 'usr/', type: 'directory' },
    { name: 'usr/lib64/', type: 'directory' },
    { name: 'lib64', type: 'symlink', linkname: 'usr/lib64' },
  ];

  test('accepts layers that keep to the image\u2019s symlinks; reports an entry beneath one, in any later layer, and a directory over one', async () => {
    const good = await layoutOf([usrmerge, [{ name: 'usr/lib64/libc.so.6', type: 'file', size: 1 }]]);
    assert.equal(assertLayersApply(good, 'img').length, 2);
    const beneath = await layoutOf([usrmerge, [{ name: 'lib64/libc.so.6', type: 'file', size: 1 }]]);
    assert.throws(() => assertLayersApply(beneath, 'img'), /img layer 2 \(sha256:[0-9a-f]{64}\): \/lib64\/libc\.so\.6 is beneath \/lib64, a symlink/);
    const dirOver = await layoutOf([usrmerge, [{ name: 'lib64/', type: 'directory' }]]);
    assert.throws(() => assertLayersApply(dirOver, 'img'), /the directory \/lib64 replaces a symlink/);
    const sameLayer = await layoutOf([[...usrmerge, { name: 'lib64/x', type: 'file', size: 1 }]]);
    assert.throws(() => assertLayersApply(sameLayer, 'img'), /layer 1 .*\/lib64\/x is beneath \/lib64/);
  });
});
