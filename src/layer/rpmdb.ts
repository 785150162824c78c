// An image's top layer: its rpm database (src/rpmdb) at the image's own %_dbpath, and
// the other of /usr/lib/sysimage/rpm and /var/lib/rpm leading to it, so that rpm in the
// image and every scanner find it. Directories the image lacks on the way are made as
// rpm makes them (root, 0755); nothing the packages put down is replaced.
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { compressLayer, type BlobStore, type Compression, type Layer } from '../oci/index.js';
import { zstdCompressor } from '../rpm/decompress.js';
import { DBPATHS } from '../rpmdb/index.js';
import type { ImageTree } from './paths.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from './tar.js';

export const RPMDB_FILE = 'rpmdb.sqlite';

/** One entry of a generated layer: its tar header (name absolute here) and, for a file, its bytes. */
export interface GeneratedEntry {
  path: string;
  kind: 'dir' | 'symlink' | 'file';
  mode: number;
  mtime: number;
  target?: string;
}

/** Where the database goes in an image, and what the layer adds besides it. */
export interface DbLayout {
  /** The database file's path in the image (its %_dbpath, resolved through the image's symlinks). */
  file: string;
  /** Directories, links and the file, in tar order (the file's bytes come separately). */
  entries: GeneratedEntry[];
}

/** The relative form of an absolute `target`, seen from the directory holding `from`. */
function relative(from: string, target: string): string {
  return posix.relative(posix.dirname(from), target) || '.';
}

/**
 * The layout of the database layer in an image whose packages lay down `tree`, for the
 * db path `dbpath` (absolute). Entries' mtime: `mtime`.
 */
export function dbLayout(tree: ImageTree, dbpath: string, mtime: number): DbLayout {
  const dir = tree.resolve(dbpath);
  const entries = new Map<string, GeneratedEntry>();
  /** `path` and its parents as directories, where the image has none. */
  const makeDirs = (path: string) => {
    const chain: string[] = [];
    for (let d = path; d && d !== '/'; d = posix.dirname(d)) chain.unshift(d);
    for (const d of chain) if (!tree.kindAt(d) && !entries.has(d)) entries.set(d, { path: d, kind: 'dir', mode: 0o755, mtime });
  };
  makeDirs(dir);
  const file = `${dir === '/' ? '' : dir}/${RPMDB_FILE}`;
  entries.set(file, { path: file, kind: 'file', mode: 0o644, mtime });
  for (const other of DBPATHS) {
    const parent = tree.resolve(posix.dirname(other));
    const at = `${parent === '/' ? '' : parent}/${posix.basename(other)}`;
    if (at === dir || tree.resolve(at) === dir) continue; // the db path itself, or already a way to it
    const kind = tree.kindAt(at);
    if (kind === undefined) {
      makeDirs(parent);
      entries.set(at, { path: at, kind: 'symlink', mode: 0o777, mtime, target: relative(at, dir) });
    } else if (kind === 'dir') {
      // A directory a package put there stays one: the file is linked inside it.
      const link = `${at}/${RPMDB_FILE}`;
      if (!tree.kindAt(link)) entries.set(link, { path: link, kind: 'symlink', mode: 0o777, mtime, target: relative(link, file) });
    }
    // A symlink elsewhere, or a file: the package's own choice, left alone.
  }
  const sorted = [...entries.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  return { file, entries: sorted };
}

function tarHeader(e: GeneratedEntry, size: number): TarHeader {
  const base = { mode: e.mode, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: e.mtime, size: 0 };
  const name = e.path.slice(1);
  if (e.kind === 'dir') return { ...base, name: `${name}/`, type: 'directory' };
  if (e.kind === 'symlink') return { ...base, name, type: 'symlink', linkname: e.target };
  return { ...base, name, type: 'file', size };
}

/** The layer's tar: the layout's entries, the database file's bytes where it goes. */
export function dbTar(layout: DbLayout, bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const e of layout.entries) {
    const size = e.path === layout.file ? bytes.length : 0;
    parts.push(encodeHeader(tarHeader(e, size)));
    if (size) parts.push(bytes, padding(size));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** The tar compressed into the store, as every other layer is. */
export function compressDbLayer(tar: Buffer, store: BlobStore, compression: Compression, level: number | undefined, history: string): Promise<Layer> {
  return compressLayer(Readable.from([tar]), store, {
    compression,
    level,
    compressor: compression === 'zstd' ? () => zstdCompressor(level ?? 3) : undefined,
    history,
  });
}
