// The rpm database of an image: its packages' headers as rpm stores them at install, in
// rpm's install order, with rpm's index tables, in rpmdb.sqlite. Pure but for SQLite.
import { RpmHeader, HEADER_MAGIC } from '../rpm/header.js';
import { installedHeader, type InstallFacts } from './header.js';
import { installOrder } from './order.js';
import { indexRows } from './rows.js';
import { writeRpmdb } from './sqlite.js';

export { DBPATHS, DEFAULT_DBPATH, dbPath, isMacroFile, type DbPathChoice } from './dbpath.js';
export { FileState, installedHeader } from './header.js';
export { installOrder } from './order.js';
export { INDEX_TABLES, indexRows, isTransientReq, type Row } from './rows.js';
export { richIndexNames, splitRich } from './rich.js';
export { SQLITE_VERSION, schema } from './sqlite.js';

/** One package of the image, as its .rpm holds it. */
export interface DbSource {
  /** Main header bytes, magic included. */
  main: Buffer;
  /** Signature header bytes, magic included. */
  sig: Buffer;
  /** FILESTATES: per file, FileState (not installed for what docs/langs left out). */
  fileStates: Uint8Array;
  /** For messages. */
  nevra: string;
}

/** What rpm on `arch` sets for a transaction: its colors (rpmrc installplatform) and the byte order of its integer keys. */
export function archFacts(arch: string): { tscolor: number; prefcolor: number; littleEndian: boolean } {
  const wide = ['x86_64', 'aarch64', 'ppc64le', 'ppc64', 's390x', 'riscv64'].includes(arch);
  return { tscolor: wide ? 3 : 0, prefcolor: 2, littleEndian: !['s390x', 's390', 'ppc64', 'ppc'].includes(arch) };
}

export interface Rpmdb {
  /** rpmdb.sqlite's bytes. */
  bytes: Buffer;
  /** Indexes into the sources, in install (hnum) order. */
  order: number[];
}

/**
 * The database for `sources` (in the order they are added to the transaction: it breaks
 * ties in rpm's ordering), installed at `installTime` (INSTALLTID; the k-th package in
 * install order gets INSTALLTIME installTime + k, as rpm does under SOURCE_DATE_EPOCH).
 */
export async function buildRpmdb(sources: DbSource[], arch: string, installTime: number): Promise<Rpmdb> {
  const { tscolor, prefcolor, littleEndian } = archFacts(arch);
  const order = installOrder(
    sources.map((s) => new RpmHeader(s.main)),
    tscolor,
    prefcolor,
  );
  const packages = order.map((i, k) => {
    const s = sources[i]!;
    const facts: InstallFacts = { time: installTime + k, tid: installTime, color: tscolor, fileStates: s.fileStates };
    const blob = installedHeader(s.main, s.sig, facts, s.nevra);
    return { blob, rows: indexRows(new RpmHeader(Buffer.concat([MAGIC_PREFIX, blob])), littleEndian) };
  });
  return { bytes: await writeRpmdb(packages), order };
}

/** The 8 bytes headerExport leaves off: the magic and its 4 reserved bytes. */
const MAGIC_PREFIX = Buffer.concat([HEADER_MAGIC, Buffer.alloc(4)]);

/** Pages every database has: the schema, and one page for each of its 19 tables and 29 indexes. */
const EMPTY_DB_BYTES = 50 * 4096;
/** Database bytes per byte of package header (blob, index rows, b-tree overhead); measured, docs/BENCHMARKS.md. */
const BYTES_PER_HEADER_BYTE = 1.35;
/** A package's header when the metadata gives no range. */
const TYPICAL_HEADER_END = 40_000;

/**
 * The database's size, estimated from the metadata before anything is downloaded: its
 * packages' header ends (primary's rpm:header-range, which also counts the lead and
 * signature header rpm merges in).
 */
export function estimateRpmdbSize(packages: { headerEnd?: number }[]): number {
  const headers = packages.reduce((sum, p) => sum + (p.headerEnd || TYPICAL_HEADER_END), 0);
  return Math.round(EMPTY_DB_BYTES + headers * BYTES_PER_HEADER_BYTE);
}
