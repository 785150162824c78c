// Built layers in the host cache, by content, shared by every compose:
//
//   <cacheDir>/layers/blobs/sha256/<hex>   the compressed layer blobs (and the images'
//                                          configs and manifests: one blob store)
//   <cacheDir>/layers/index/<key>.json     the Layer (diff_id, descriptor) a key built, with
//                                          its key and a digest of both
//
// A key is the hash of everything a layer's bytes depend on, so a hit is the layer that
// would be built now. An index entry whose blob is gone is a miss.
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { LayerError } from '../errors.js';
import { hexDigest } from '../hash.js';
import { canonicalJson } from '../json.js';
import { codecVersions } from '../native.js';
import { BlobStore, type Compression, type Layer } from '../oci/index.js';
import type { LayerEntries } from './entries.js';

/** Bump when the bytes the same entries turn into change (tar writer, compressor framing). */
const LAYER_FORMAT = 1;

export interface LayerKeyInput {
  /** The packages' checksums, in layer order. */
  checksums: string[];
  /** Every tar entry's header fields: owners, modes, mtimes, paths, capabilities. */
  content: LayerEntries;
  compression: Compression;
  level: number | undefined;
}

/**
 * The compressor's own version: the same input and level give other bytes with another
 * zlib (Node's bundled one) or libzstd, and a cache that outlived an upgrade must not
 * hand out blobs a cold build would not write.
 */
export function compressorVersion(compression: Compression): string {
  return compression === 'gzip' ? `zlib ${process.versions.zlib}` : `zstd ${codecVersions.zstd}`;
}

/** What a layer's bytes depend on: its packages, every entry's header fields, the compressor. */
export function layerKey(input: LayerKeyInput): string {
  const entries = input.content.entries.map((e) => ({ ...e, caps: 'caps' in e && e.caps ? e.caps.toString('hex') : undefined }));
  return hexDigest(
    canonicalJson({
      format: LAYER_FORMAT,
      checksums: input.checksums,
      entries,
      compression: input.compression,
      level: input.level ?? null,
      compressor: compressorVersion(input.compression),
    }),
  );
}

interface IndexEntry {
  key: string;
  layer: Layer;
  /** sha256 of the key and the layer (canonical JSON): an entry that was altered no longer matches. */
  check: string;
}

const entryCheck = (key: string, layer: Layer) => hexDigest(canonicalJson({ key, layer }));

export class LayerCache {
  private constructor(
    /** Where layer blobs go, and the images written from them. */
    readonly store: BlobStore,
    private readonly indexDir: string,
  ) {}

  static async open(cacheDir: string): Promise<LayerCache> {
    const root = path.join(cacheDir, 'layers');
    const indexDir = path.join(root, 'index');
    try {
      await mkdir(indexDir, { recursive: true });
    } catch (err) {
      throw new LayerError('LAYER_CACHE', `cannot create the layer cache ${indexDir}: ${(err as Error).message}`, { cause: err });
    }
    return new LayerCache(await BlobStore.open(root), indexDir);
  }

  private entry(key: string): string {
    return path.join(this.indexDir, `${key}.json`);
  }

  /**
   * The layer built for `key` before, when its entry is intact and its blob still there.
   * An entry records its key and the layer, and a digest of both: an entry copied under
   * another name or edited to point at other content is discarded, and the layer built
   * again. The blob itself is hashed when it enters an output (oci/store.ts copyFrom).
   */
  async get(key: string): Promise<Layer | undefined> {
    let entry: IndexEntry;
    try {
      entry = JSON.parse(await readFile(this.entry(key), 'utf8')) as IndexEntry;
    } catch {
      return undefined; // never built, or an unreadable entry: build it again
    }
    if (entry?.key !== key || entry.check !== entryCheck(entry.key, entry.layer)) {
      await rm(this.entry(key), { force: true });
      return undefined;
    }
    return (await this.store.has(entry.layer.descriptor.digest)) ? entry.layer : undefined;
  }

  async put(key: string, layer: Layer): Promise<void> {
    const entry: IndexEntry = { key, layer, check: entryCheck(key, layer) };
    try {
      await writeFileAtomic(this.entry(key), JSON.stringify(entry));
    } catch (err) {
      throw new LayerError('LAYER_CACHE', `cannot write the layer cache entry ${this.entry(key)}: ${(err as Error).message}`, { cause: err });
    }
  }
}
