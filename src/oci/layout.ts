// OCI image layouts (image-spec image-layout.md): oci-layout, index.json, blobs/.
// index.json is replaced atomically, last, so it only ever names complete images.
import fs from 'node:fs/promises';
import path from 'node:path';
import { OciError } from '../errors.js';
import { cmp } from '../order.js';
import { normalizeDescriptor, type Descriptor } from './descriptor.js';
import { isDigest } from './digest.js';
import type { ImageIndex, Manifest } from './image.js';
import { MediaType, REF_NAME, isIndexMediaType, isManifestMediaType } from './mediatypes.js';
import { BlobStore, compactJson, writeOutputFile } from './store.js';

/** One named entry of a layout's index.json: a manifest, or an image index for several platforms. */
export interface Ref {
  name: string;
  descriptor: Descriptor;
}

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_LAYOUT_CONTENT = compactJson({ imageLayoutVersion: '1.0.0' });

// image-spec annotations.md: ref ::= component ("/" component)*, component ::= alphanum (separator alphanum)*
const REF_RE = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

export function checkRefName(name: string): void {
  if (!REF_RE.test(name)) {
    throw new OciError('OCI_REF', `${JSON.stringify(name)} is not a valid image reference name (letters, digits, and - . _ : @ + / between them)`);
  }
}

/**
 * Checks that `dir` is an OCI layout or can become one: missing, empty, holding an
 * `oci-layout` file, or holding only a `blobs/` folder (a layout whose first write did
 * not finish). Anything else → OciError, and nothing is written.
 */
export async function checkLayoutDir(dir: string): Promise<'missing' | 'empty' | 'layout' | 'partial'> {
  let st;
  try {
    st = await fs.stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw new OciError('OCI_LAYOUT', `cannot read ${dir}: ${(err as Error).message}`, { cause: err });
  }
  if (!st.isDirectory()) throw new OciError('OCI_LAYOUT', `${dir} exists and is not a directory, so not an OCI layout`);
  const entries = await fs.readdir(dir);
  if (entries.includes(OCI_LAYOUT_FILE)) {
    let version: unknown;
    try {
      version = (JSON.parse(await fs.readFile(path.join(dir, OCI_LAYOUT_FILE), 'utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    } catch (err) {
      throw new OciError('OCI_LAYOUT', `${path.join(dir, OCI_LAYOUT_FILE)} is not valid JSON`, { cause: err });
    }
    if (typeof version !== 'string' || !version.startsWith('1.')) {
      throw new OciError('OCI_LAYOUT', `${dir} is an OCI layout of unsupported version ${JSON.stringify(version)}`);
    }
    return 'layout';
  }
  const other = entries.filter((e) => e !== 'blobs' && !/^\..*\.tmp$/.test(e)); // temps of an interrupted write (src/atomic.ts)
  if (other.length === 0) return entries.length === 0 ? 'empty' : 'partial';
  throw new OciError(
    'OCI_LAYOUT',
    `${dir} is not empty and not an OCI image layout (no ${OCI_LAYOUT_FILE} file); refusing to write into it`,
  );
}

/**
 * Opens `dir` as the blob store of an OCI layout: checks it (checkLayoutDir), creates it,
 * and writes `oci-layout` if absent. index.json is only written by writeLayout.
 */
export async function openLayout(dir: string): Promise<BlobStore> {
  const abs = path.resolve(dir);
  await checkLayoutDir(abs);
  const store = await BlobStore.open(abs);
  await ensureOciLayoutFile(abs);
  return store;
}

async function ensureOciLayoutFile(dir: string): Promise<void> {
  try {
    await fs.access(path.join(dir, OCI_LAYOUT_FILE));
  } catch {
    await writeOutputFile(path.join(dir, OCI_LAYOUT_FILE), OCI_LAYOUT_CONTENT);
  }
}

/**
 * Every blob `root` reaches (itself included): for an image index its manifests, for a
 * manifest its config and layers. Each blob must be in `store` with its descriptor's size.
 * Deduplicated by digest, in walk order.
 */
export async function reachableBlobs(store: BlobStore, root: Descriptor): Promise<Descriptor[]> {
  const out = new Map<string, Descriptor>();
  const visit = async (d: Descriptor, where: string): Promise<void> => {
    if (!isDigest(d.digest)) throw new OciError('OCI_DIGEST', `${where}: not a sha256 digest: ${JSON.stringify(d.digest)}`);
    if (out.has(d.digest)) return;
    const size = await store.size(d.digest);
    if (size !== d.size) {
      throw new OciError('OCI_BLOB_SIZE', `${where}: blob ${d.digest} has ${size} bytes in ${store.root}, its descriptor says ${d.size}`);
    }
    out.set(d.digest, d);
    if (isIndexMediaType(d.mediaType)) {
      const idx = await store.readJson<ImageIndex>(d.digest);
      for (const m of idx.manifests ?? []) await visit(m, `index ${d.digest}`);
    } else if (isManifestMediaType(d.mediaType)) {
      const m = await store.readJson<Manifest>(d.digest);
      await visit(m.config, `manifest ${d.digest} config`);
      for (const l of m.layers ?? []) await visit(l, `manifest ${d.digest} layer`);
    }
  };
  await visit(root, 'ref');
  return [...out.values()];
}

function checkRefs(refs: Ref[]): void {
  const names = new Set<string>();
  for (const r of refs) {
    checkRefName(r.name);
    if (names.has(r.name)) throw new OciError('OCI_REF', `image name ${JSON.stringify(r.name)} given twice`);
    names.add(r.name);
    if (!isIndexMediaType(r.descriptor.mediaType) && !isManifestMediaType(r.descriptor.mediaType)) {
      throw new OciError('OCI_REF', `${r.name}: a layout entry must be a manifest or an image index, not ${r.descriptor.mediaType}`);
    }
  }
}

/** index.json's entry for a ref: its descriptor with the ref.name annotation. */
export function refEntry(r: Ref): Descriptor {
  return normalizeDescriptor({ ...r.descriptor, annotations: { ...r.descriptor.annotations, [REF_NAME]: r.name } });
}

function byRefName(a: Descriptor, b: Descriptor): number {
  return cmp(a.annotations?.[REF_NAME] ?? '', b.annotations?.[REF_NAME] ?? '');
}

/** The index.json of a layout holding exactly `refs`. */
export function layoutIndex(refs: Ref[], annotations?: Record<string, string>): ImageIndex {
  const idx: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: refs.map(refEntry).sort(byRefName) };
  if (annotations) idx.annotations = annotations;
  return idx;
}

/**
 * Writes `refs` into the OCI layout at `dir` (created if missing):
 * 1. checks `dir` (an existing non-layout directory → OciError, untouched);
 * 2. makes every blob the refs reach present under `dir/blobs` (copied or hard-linked
 *    from `store` when it is another folder; checked by size when it is `dir` itself);
 * 3. writes `oci-layout` if absent;
 * 4. replaces `index.json` atomically: entries of other names (and unnamed ones) are
 *    kept, entries of the same names replaced, sorted by name.
 * Blobs no longer referenced are left in place (no garbage collection).
 * Two writers on one layout at the same time may lose one's entries (last rename wins).
 */
export async function writeLayout(dir: string, store: BlobStore, refs: Ref[]): Promise<void> {
  checkRefs(refs);
  const abs = path.resolve(dir);
  await checkLayoutDir(abs);
  const indexPath = path.join(abs, 'index.json');
  let existing: ImageIndex | undefined;
  try {
    existing = JSON.parse(await fs.readFile(indexPath, 'utf8')) as ImageIndex;
    if (!existing || !Array.isArray(existing.manifests)) throw new Error('no manifests array');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new OciError('OCI_LAYOUT', `${indexPath} is unreadable (${(err as Error).message}); refusing to replace it`, { cause: err });
    }
    existing = undefined;
  }
  const layout = await BlobStore.open(abs);
  for (const r of refs) {
    for (const d of await reachableBlobs(store, r.descriptor)) await layout.copyFrom(store, d);
  }
  await ensureOciLayoutFile(abs);
  const names = new Set(refs.map((r) => r.name));
  const kept = (existing?.manifests ?? []).filter((d) => {
    const n = d.annotations?.[REF_NAME];
    return n === undefined || !names.has(n);
  });
  const manifests = [...kept, ...refs.map(refEntry)].sort(byRefName);
  const idx: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
  if (existing?.annotations) idx.annotations = existing.annotations;
  await writeOutputFile(indexPath, compactJson(idx));
}
