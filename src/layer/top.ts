// An image's top layer: what rpm's install would leave besides the payloads. Its
// account files, where accounts were made (src/accounts), and its rpm database
// (src/rpmdb) at the image's own %_dbpath, the other of /usr/lib/sysimage/rpm and
// /var/lib/rpm leading to it so that rpm in the image and every scanner find it.
// Directories the image lacks on the way are made as rpm makes them (root, 0755);
// nothing the packages put down is replaced but the account files.
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { compressLayer, type BlobStore, type Compression, type Layer } from '../oci/index.js';
import { cmpUtf8 } from '../order.js';
import { zstdCompressor } from '../rpm/decompress.js';
import { DBPATHS } from '../rpmdb/index.js';
import type { IdMap } from './owners.js';
import type { ImageTree } from './paths.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from './tar.js';

export const RPMDB_FILE = 'rpmdb.sqlite';

/** A file the top layer writes whole: an account file, with its packaged mode and owner names. */
export interface TopFile {
  path: string;
  text: string;
  mode: number;
  user: string;
  group: string;
}

/** One entry of the top layer. A file's bytes are `text`, or the database's (`db`). */
export interface TopEntry extends Pick<TarHeader, 'mode' | 'uid' | 'gid' | 'uname' | 'gname' | 'mtime'> {
  path: string;
  kind: 'dir' | 'symlink' | 'file';
  target?: string;
  text?: string;
  db?: true;
}

/** What the top layer holds, in tar order. */
export interface TopLayout {
  entries: TopEntry[];
  /** The database file's path in the image, when it has one. */
  dbFile?: string;
}

/** The relative form of an absolute `target`, seen from the directory holding `from`. */
function relative(from: string, target: string): string {
  return posix.relative(posix.dirname(from), target) || '.';
}

const root = { uid: 0, gid: 0, uname: 'root', gname: 'root' };

/**
 * The top layer of an image whose packages lay down `tree`: the account `files` (their
 * owners through `ids`), and the database at `dbpath` (absolute) when it gets one.
 * Every entry's mtime: `mtime`.
 */
export function topLayout(tree: ImageTree, files: TopFile[], dbpath: string | undefined, ids: IdMap, mtime: number): TopLayout {
  const entries = new Map<string, TopEntry>();
  /** `path` and its parents as directories, where the image has none. */
  const makeDirs = (path: string) => {
    const chain: string[] = [];
    for (let d = path; d && d !== '/'; d = posix.dirname(d)) chain.unshift(d);
    for (const d of chain) if (!tree.kindAt(d) && !entries.has(d)) entries.set(d, { path: d, kind: 'dir', mode: 0o755, ...root, mtime });
  };
  for (const f of files) {
    const at = tree.resolve(f.path);
    makeDirs(posix.dirname(at));
    entries.set(at, { path: at, kind: 'file', mode: f.mode, uid: ids.uid(f.user), gid: ids.gid(f.group), uname: f.user, gname: f.group, mtime, text: f.text });
  }
  let dbFile: string | undefined;
  if (dbpath) {
    const dir = tree.resolve(dbpath);
    makeDirs(dir);
    dbFile = `${dir === '/' ? '' : dir}/${RPMDB_FILE}`;
    entries.set(dbFile, { path: dbFile, kind: 'file', mode: 0o644, ...root, mtime, db: true });
    for (const other of DBPATHS) {
      const parent = tree.resolve(posix.dirname(other));
      const at = `${parent === '/' ? '' : parent}/${posix.basename(other)}`;
      if (at === dir || tree.resolve(at) === dir) continue; // the db path itself, or already a way to it
      const kind = tree.kindAt(at);
      if (kind === undefined) {
        makeDirs(parent);
        entries.set(at, { path: at, kind: 'symlink', mode: 0o777, ...root, mtime, target: relative(at, dir) });
      } else if (kind === 'dir') {
        // A directory a package put there stays one: the file is linked inside it.
        const link = `${at}/${RPMDB_FILE}`;
        if (!tree.kindAt(link)) entries.set(link, { path: link, kind: 'symlink', mode: 0o777, ...root, mtime, target: relative(link, dbFile) });
      }
      // A symlink elsewhere, or a file: the package's own choice, left alone.
    }
  }
  const sorted = [...entries.values()].sort((a, b) => cmpUtf8(a.path, b.path));
  return { entries: sorted, ...(dbFile ? { dbFile } : {}) };
}

function tarHeader(e: TopEntry, size: number): TarHeader {
  const base = { mode: e.mode, uid: e.uid, gid: e.gid, uname: e.uname, gname: e.gname, mtime: e.mtime, size: 0 };
  const name = e.path.slice(1);
  if (e.kind === 'dir') return { ...base, name: `${name}/`, type: 'directory' };
  if (e.kind === 'symlink') return { ...base, name, type: 'symlink', linkname: e.target };
  return { ...base, name, type: 'file', size };
}

/** The layer's tar: the layout's entries, the database's bytes where it goes. */
export function topTar(layout: TopLayout, db: Buffer | undefined): Buffer {
  const parts: Buffer[] = [];
  for (const e of layout.entries) {
    const body = e.db ? db! : e.text !== undefined ? Buffer.from(e.text) : undefined;
    parts.push(encodeHeader(tarHeader(e, body?.length ?? 0)));
    if (body?.length) parts.push(body, padding(body.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** The tar compressed into the store, as every other layer is. */
export function compressTopLayer(tar: Buffer, store: BlobStore, compression: Compression, level: number | undefined, history: string): Promise<Layer> {
  return compressLayer(Readable.from([tar]), store, {
    compression,
    level,
    compressor: compression === 'zstd' ? () => zstdCompressor(level ?? 3) : undefined,
    history,
  });
}
