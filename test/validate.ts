// An OCI image layout checked the way go-containerregistry's validate.Image checks an
// image, independently of src/oci: every descriptor reachable from index.json names a
// blob that exists, hashes to its digest and has its size; manifests, configs and
// indexes are what their media types say; each config's diff_ids are the sha256 of its
// layers decompressed; an index entry's platform is its config's. Any mismatch is an
// assertion error naming the blob.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPES: Record<string, 'tar' | 'gzip' | 'zstd'> = {
  'application/vnd.oci.image.layer.v1.tar': 'tar',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
};
const REF_NAME = 'org.opencontainers.image.ref.name';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface LayoutSummary {
  /** index.json's entries: ref name (or `#<n>` when unnamed) → digest. */
  refs: Record<string, string>;
  /** Every blob reachable from index.json, `sha256:…`, sorted. */
  blobs: string[];
  /** Every file under blobs/sha256, as `sha256:…`, sorted (reachable or not). */
  stored: string[];
  /** Image manifests reached (one per image and platform). */
  manifests: number;
  /** Distinct layer blobs reached. */
  layers: number;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${what} is not a JSON object`);
    return v as Record<string, unknown>;
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assert.fail(`${what} does not parse as JSON: ${(err as Error).message}`);
  }
}

/** A layer's bytes decompressed as its media type says. */
function decompress(blob: Buffer, kind: 'tar' | 'gzip' | 'zstd', file: string, what: string): Buffer {
  if (kind === 'tar') return blob;
  if (kind === 'gzip') {
    try {
      return zlib.gunzipSync(blob);
    } catch (err) {
      assert.fail(`${what} (${file}): not gzip: ${(err as Error).message}`);
    }
  }
  const r = spawnSync('zstd', ['-dc', file], { maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `${what} (${file}): not zstd: ${r.stderr}`);
  return r.stdout;
}

/**
 * Validates the OCI image layout in `dir`; throws an AssertionError naming the first bad
 * blob. `only`: walk just these names of index.json (a test's layout that also names
 * images it never wrote).
 */
export function validateLayout(dir: string, opts: { only?: string[] } = {}): LayoutSummary {
  const layoutFile = path.join(dir, 'oci-layout');
  assert.ok(existsSync(layoutFile), `${dir}: no oci-layout file`);
  assert.deepEqual(parseJson(readFileSync(layoutFile), layoutFile), { imageLayoutVersion: '1.0.0' }, `${layoutFile}: not {"imageLayoutVersion":"1.0.0"}`);
  const indexFile = path.join(dir, 'index.json');
  const index = parseJson(readFileSync(indexFile), indexFile);
  assert.equal(index.schemaVersion, 2, `${indexFile}: schemaVersion is not 2`);
  if (index.mediaType !== undefined) assert.equal(index.mediaType, OCI_INDEX, `${indexFile}: mediaType`);
  assert.ok(Array.isArray(index.manifests), `${indexFile}: no manifests array`);

  const blobDir = path.join(dir, 'blobs', 'sha256');
  const reached = new Set<string>();
  const checked = new Map<string, Buffer>();
  const layers = new Set<string>();
  let manifests = 0;

  /** The blob a descriptor names, checked against the descriptor's digest and size. */
  const blob = (d: Descriptor, what: string): { bytes: Buffer; file: string } => {
    assert.match(String(d.digest), /^sha256:[0-9a-f]{64}$/, `${what}: bad digest ${JSON.stringify(d.digest)}`);
    assert.ok(Number.isSafeInteger(d.size) && d.size >= 0, `${what} ${d.digest}: bad size ${JSON.stringify(d.size)}`);
    const file = path.join(blobDir, d.digest.slice('sha256:'.length));
    reached.add(d.digest);
    let bytes = checked.get(d.digest);
    if (!bytes) {
      assert.ok(existsSync(file), `${what}: blob ${file} is missing`);
      bytes = readFileSync(file);
      assert.equal(`sha256:${sha256(bytes)}`, d.digest, `${what}: blob ${file} does not hash to its name`);
      checked.set(d.digest, bytes);
    }
    assert.equal(bytes.length, d.size, `${what}: blob ${file} has ${bytes.length} bytes, the descriptor says ${d.size}`);
    return { bytes, file };
  };

  const manifest = (d: Descriptor, what: string): void => {
    manifests++;
    const { bytes, file } = blob(d, what);
    const m = parseJson(bytes, `${what} (${file})`);
    assert.equal(m.schemaVersion, 2, `${what} (${file}): schemaVersion is not 2`);
    assert.equal(m.mediaType, OCI_MANIFEST, `${what} (${file}): mediaType`);
    const configDesc = m.config as Descriptor;
    assert.ok(configDesc && typeof configDesc === 'object', `${what} (${file}): no config descriptor`);
    assert.equal(configDesc.mediaType, OCI_CONFIG, `${what} (${file}): config mediaType`);
    const cfg = blob(configDesc, `config of ${what}`);
    const config = parseJson(cfg.bytes, `config of ${what} (${cfg.file})`);
    const layerDescs = m.layers as Descriptor[];
    assert.ok(Array.isArray(layerDescs) && layerDescs.length > 0, `${what} (${file}): no layers`);
    const rootfs = config.rootfs as { type?: string; diff_ids?: string[] } | undefined;
    assert.equal(rootfs?.type, 'layers', `config ${cfg.file}: rootfs.type`);
    assert.ok(Array.isArray(rootfs?.diff_ids), `config ${cfg.file}: no rootfs.diff_ids`);
    assert.equal(rootfs.diff_ids.length, layerDescs.length, `config ${cfg.file}: ${rootfs.diff_ids.length} diff_ids for ${layerDescs.length} layers`);
    layerDescs.forEach((l, i) => {
      const kind = LAYER_TYPES[l.mediaType];
      assert.ok(kind, `layer ${i} of ${what} (${l.digest}): unexpected mediaType ${l.mediaType}`);
      const lb = blob(l, `layer ${i} of ${what}`);
      layers.add(l.digest);
      const diffId = `sha256:${sha256(decompress(lb.bytes, kind, lb.file, `layer ${i} of ${what}`))}`;
      assert.equal(rootfs.diff_ids![i], diffId, `config ${cfg.file}: diff_ids[${i}] is not the sha256 of layer blob ${lb.file} decompressed`);
    });
    const history = config.history as { empty_layer?: boolean }[] | undefined;
    if (history) {
      assert.ok(Array.isArray(history), `config ${cfg.file}: history is not an array`);
      assert.equal(history.filter((h) => !h.empty_layer).length, layerDescs.length, `config ${cfg.file}: history entries vs. layers`);
    }
    if (d.platform) {
      assert.equal(config.architecture, d.platform.architecture, `${what}: platform architecture ${d.platform.architecture}, config ${cfg.file} says ${String(config.architecture)}`);
      assert.equal(config.os, d.platform.os, `${what}: platform os ${d.platform.os}, config ${cfg.file} says ${String(config.os)}`);
      if (d.platform.variant) assert.equal(config.variant, d.platform.variant, `${what}: platform variant, config ${cfg.file}`);
    }
  };

  const node = (d: Descriptor, what: string): void => {
    if (d.mediaType === OCI_MANIFEST) return manifest(d, what);
    assert.equal(d.mediaType, OCI_INDEX, `${what} (${d.digest}): unexpected mediaType ${d.mediaType}`);
    const { bytes, file } = blob(d, what);
    const idx = parseJson(bytes, `${what} (${file})`);
    assert.equal(idx.schemaVersion, 2, `${what} (${file}): schemaVersion is not 2`);
    assert.equal(idx.mediaType, OCI_INDEX, `${what} (${file}): mediaType`);
    const children = idx.manifests as Descriptor[];
    assert.ok(Array.isArray(children) && children.length > 0, `${what} (${file}): no manifests`);
    children.forEach((c, i) => {
      assert.ok(c.platform, `${what} (${file}): entry ${i} has no platform`);
      node(c, `${what} [${c.platform.architecture}/${c.platform.os}]`);
    });
  };

  // No prototype: an image may be named "constructor".
  const refs: Record<string, string> = Object.create(null) as Record<string, string>;
  (index.manifests as Descriptor[]).forEach((d, i) => {
    const name = d.annotations?.[REF_NAME] ?? `#${i}`;
    assert.ok(!(name in refs), `${indexFile}: ${name} named twice`);
    refs[name] = d.digest;
    if (!opts.only || opts.only.includes(name)) node(d, `index.json entry ${name}`);
  });

  const stored = existsSync(blobDir) ? readdirSync(blobDir).map((f) => `sha256:${f}`).sort() : [];
  for (const f of stored) assert.ok(statSync(path.join(blobDir, f.slice(7))).isFile(), `${f}: not a file`);
  return { refs: { ...refs }, blobs: [...reached].sort(), stored, manifests, layers: layers.size };
}

/** Validates an oci-archive: unpacked with tar into a temporary directory, then as a layout. */
export function validateArchive(file: string): LayoutSummary {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rpmcompose-validate-'));
  const r = spawnSync('tar', ['-xf', file, '-C', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tar -xf ${file}: ${r.stderr}`);
  return validateLayout(dir);
}

/** One tar member, as a layer holds it. */
export interface TarMember {
  /** Path in the image, absolute, no trailing `/`. */
  path: string;
  type: 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';
  linkname: string;
}

const TYPES: Record<string, TarMember['type']> = { '0': 'file', '\0': 'file', '1': 'link', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

/** The members of an uncompressed tar: ustar headers, PAX `path`/`linkpath` records honoured. */
export function tarMembers(tar: Buffer): TarMember[] {
  const out: TarMember[] = [];
  const str = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '');
  let pax: Record<string, string> = {};
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(str(h.subarray(124, 136)).trim() || '0', 8);
    const flag = String.fromCharCode(h[156]!);
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (flag === 'x') {
      pax = {};
      for (let rest = body.toString('utf8'); rest.length; ) {
        const sp = rest.indexOf(' ');
        const len = Number(rest.slice(0, sp));
        const rec = rest.slice(sp + 1, len - 1);
        const eq = rec.indexOf('=');
        pax[rec.slice(0, eq)] = rec.slice(eq + 1);
        rest = rest.slice(len);
      }
      continue;
    }
    const prefix = str(h.subarray(345, 500));
    const name = pax.path ?? (prefix ? `${prefix}/` : '') + str(h.subarray(0, 100));
    const type = TYPES[flag];
    assert.ok(type, `tar member ${name}: unknown type flag ${JSON.stringify(flag)}`);
    out.push({ path: `/${name.replace(/^\.?\//, '').replace(/\/+$/, '')}`, type, linkname: pax.linkpath ?? str(h.subarray(157, 257)) });
    pax = {};
  }
  return out;
}

/**
 * Applies an image's layers in order, as containers/storage does, and asserts that no
 * member lands beneath a symlink an earlier member (of this or a lower layer) made, and
 * that no directory replaces a symlink. `name` is the layout's ref; `arch` the platform
 * architecture (OCI's name: amd64, arm64) when the ref is an index.
 */
export function assertLayersApply(dir: string, name: string, arch = 'amd64'): TarMember[][] {
  const blob = (d: string) => path.join(dir, 'blobs', 'sha256', d.replace(/^sha256:/, ''));
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  let desc = index.manifests.find((m) => m.annotations?.[REF_NAME] === name);
  assert.ok(desc, `${dir}: no image ${name}`);
  if (desc.mediaType === OCI_INDEX) {
    const idx = JSON.parse(readFileSync(blob(desc.digest), 'utf8')) as { manifests: Descriptor[] };
    desc = idx.manifests.find((m) => m.platform?.architecture === arch);
    assert.ok(desc, `${dir}: ${name} has no ${arch} manifest`);
  }
  const manifest = JSON.parse(readFileSync(blob(desc.digest), 'utf8')) as { layers: Descriptor[] };
  const fs = new Map<string, TarMember['type']>();
  return manifest.layers.map((l, n) => {
    const members = tarMembers(decompress(readFileSync(blob(l.digest)), LAYER_TYPES[l.mediaType]!, blob(l.digest), `layer ${n + 1}`));
    for (const m of members) {
      for (let a = m.path.slice(0, m.path.lastIndexOf('/')); a; a = a.slice(0, a.lastIndexOf('/'))) {
        assert.notEqual(fs.get(a), 'symlink', `${name} layer ${n + 1} (${l.digest}): ${m.path} is beneath ${a}, a symlink`);
      }
      if (m.type === 'dir') assert.notEqual(fs.get(m.path), 'symlink', `${name} layer ${n + 1} (${l.digest}): the directory ${m.path} replaces a symlink`);
      fs.set(m.path, m.type);
    }
    return members;
  });
}
