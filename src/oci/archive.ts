// Single-file outputs: oci-archive (a tar of an OCI layout) and docker-archive (the
// `docker save` format). Both deterministic: entries sorted by name, mtime 0, uid/gid 0,
// no user/group names; written through src/atomic.ts (a temp file beside the target).
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { commitFile } from '../atomic.js';
import { OciError, RpmcomposeError } from '../errors.js';
import { cmp } from '../order.js';
import type { Descriptor } from './descriptor.js';
import { digestHex, HashingStream, type Digest } from './digest.js';
import type { ImageConfig, ImageIndex, Manifest } from './image.js';
import { layoutIndex, OCI_LAYOUT_CONTENT, reachableBlobs, type Ref } from './layout.js';
import { isIndexMediaType, isManifestMediaType } from './mediatypes.js';
import { compactJson, type BlobStore } from './store.js';

type Entry = { name: string; dir: true } | { name: string; data: Buffer } | { name: string; blob: Digest; size: number };

const EPOCH = new Date(0);

/** Writes the entries (sorted here) as a tar to `outFile`, through a temporary file. */
async function writeTar(outFile: string, store: BlobStore, entries: Entry[]): Promise<void> {
  const abs = path.resolve(outFile);
  await fs.mkdir(path.dirname(abs), { recursive: true }).catch((err: unknown) => {
    throw new OciError('OCI_WRITE', `cannot create ${path.dirname(abs)}: ${(err as Error).message}`, { cause: err });
  });
  try {
    if ((await fs.stat(abs)).isDirectory()) throw new OciError('OCI_WRITE', `${abs} is a directory; an archive output must be a file`);
  } catch (err) {
    if (err instanceof OciError) throw err; // else: absent, fine
  }
  const sorted = [...entries].sort((a, b) => cmp(a.name, b.name));
  const pack = tar.pack();
  const common = { mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
  const feed = (async () => {
    for (const e of sorted) {
      if ('dir' in e) {
        await entryDone((cb) => pack.entry({ ...common, name: e.name, type: 'directory', mode: 0o755 }, cb));
      } else if ('data' in e) {
        await entryDone((cb) => pack.entry({ ...common, name: e.name, type: 'file', mode: 0o644, size: e.data.length }, e.data, cb));
      } else {
        // Hashed on the way: a blob enters the archive only when it is what its name says.
        const hash = new HashingStream();
        await entryDone((cb) => {
          const sink = pack.entry({ ...common, name: e.name, type: 'file', mode: 0o644, size: e.size }, cb);
          const src = store.createReadStream(e.blob);
          src.on('error', (err) => sink.destroy(err));
          src.pipe(hash).pipe(sink as unknown as NodeJS.WritableStream);
        });
        if (hash.digest !== e.blob) {
          throw new OciError('OCI_BLOB_DIGEST', `blob ${e.blob} in ${store.root} does not hash to its name (it hashes to ${hash.digest}): the copy there is corrupt`, {
            file: store.blobPath(e.blob),
          });
        }
      }
    }
    pack.finalize();
  })();
  feed.catch((err: unknown) => pack.destroy(err as Error));
  try {
    await commitFile(abs, async (tmp) => {
      const out = createWriteStream(tmp, { flags: 'wx' });
      await Promise.all([pipeline(pack as unknown as NodeJS.ReadableStream, out), feed]);
    });
  } catch (err) {
    if (err instanceof RpmcomposeError) throw err;
    throw new OciError('OCI_WRITE', `cannot write ${abs}: ${(err as Error).message}`, { cause: err });
  }
}

function entryDone(start: (cb: (err?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => start((err) => (err ? reject(err) : resolve())));
}

function blobEntries(blobs: Descriptor[]): Entry[] {
  const seen = new Set<string>();
  const out: Entry[] = [{ name: 'blobs/', dir: true }, { name: 'blobs/sha256/', dir: true }];
  for (const d of blobs) {
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    out.push({ name: `blobs/sha256/${digestHex(d.digest)}`, blob: d.digest, size: d.size });
  }
  return out;
}

/**
 * An oci-archive: a tar of an OCI layout holding `refs` (index.json entries named by
 * `org.opencontainers.image.ref.name`) and only the blobs they reach.
 */
export async function writeOciArchive(outFile: string, store: BlobStore, refs: Ref[]): Promise<void> {
  const idx = layoutIndex(refs);
  const names = new Set<string>();
  const blobs: Descriptor[] = [];
  for (const r of refs) {
    if (names.has(r.name)) throw new OciError('OCI_REF', `image name ${JSON.stringify(r.name)} given twice`);
    names.add(r.name);
    blobs.push(...(await reachableBlobs(store, r.descriptor)));
  }
  await writeTar(outFile, store, [
    { name: 'oci-layout', data: Buffer.from(OCI_LAYOUT_CONTENT) },
    { name: 'index.json', data: Buffer.from(compactJson(idx)) },
    ...blobEntries(blobs),
  ]);
}

// docker's reference grammar: lowercase path components, optional registry host and tag.
const DOCKER_REPO_RE = /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const DOCKER_TAG_RE = /^[\w][\w.-]{0,127}$/;

/** "name" → ["name", "latest"]; "name:tag" → ["name", "tag"]. */
export function dockerRepoTag(name: string): [string, string] {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const [repo, tag] = colon > slash ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest'];
  if (!DOCKER_REPO_RE.test(repo) || !DOCKER_TAG_RE.test(tag)) {
    throw new OciError('OCI_REF', `${JSON.stringify(name)} is not a valid docker image name (lowercase letters, digits, separators; optional :tag)`);
  }
  return [repo, tag];
}

/**
 * A docker-archive (what `docker save` writes and `docker load`/`skopeo … docker-archive:`
 * read) of one single-platform image, tagged `<name>:latest` (or the tag in `name`).
 * Laid out like docker ≥ 25's own: config and layers under blobs/sha256/<hex>, plus
 * manifest.json and repositories. Layers stay compressed as they are in the store
 * (gzip or zstd): docker load and skopeo decompress them; their diffIDs come from the config.
 * An image index with several platforms → OciError (pick one arch).
 */
export async function writeDockerArchive(outFile: string, store: BlobStore, ref: { name: string; manifestDesc: Descriptor }): Promise<void> {
  const [repo, tag] = dockerRepoTag(ref.name);
  let desc = ref.manifestDesc;
  if (isIndexMediaType(desc.mediaType)) {
    const idx = await store.readJson<ImageIndex>(desc.digest);
    const only = idx.manifests.length === 1 ? idx.manifests[0] : undefined;
    if (!only) {
      const plats = idx.manifests.map((m) => (m.platform ? [m.platform.architecture, m.platform.variant].filter(Boolean).join('/') : '?'));
      throw new OciError(
        'OCI_MULTIARCH',
        `${ref.name} has ${idx.manifests.length} platforms (${plats.join(', ')}); a docker-archive holds one: pick one arch`,
      );
    }
    desc = only;
  }
  if (!isManifestMediaType(desc.mediaType)) {
    throw new OciError('OCI_REF', `${ref.name}: ${desc.digest} is a ${desc.mediaType}, not an image manifest`);
  }
  const blobs = await reachableBlobs(store, desc);
  const m = await store.readJson<Manifest>(desc.digest);
  const cfg = await store.readJson<ImageConfig>(m.config.digest);
  if (cfg.rootfs?.diff_ids?.length !== m.layers.length) {
    throw new OciError('OCI_CONFIG', `${ref.name}: config lists ${cfg.rootfs?.diff_ids?.length ?? 0} diff_ids for ${m.layers.length} layers`);
  }
  const blobName = (d: Descriptor) => `blobs/sha256/${digestHex(d.digest)}`;
  const manifestJson = [{ Config: blobName(m.config), RepoTags: [`${repo}:${tag}`], Layers: m.layers.map(blobName) }];
  const top = m.layers[m.layers.length - 1];
  const repositories = top ? { [repo]: { [tag]: digestHex(top.digest) } } : {};
  await writeTar(outFile, store, [
    { name: 'manifest.json', data: Buffer.from(compactJson(manifestJson)) },
    { name: 'repositories', data: Buffer.from(compactJson(repositories)) },
    ...blobEntries(blobs.filter((b) => b.digest !== desc.digest)),
  ]);
}
