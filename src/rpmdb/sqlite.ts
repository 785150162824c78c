// rpmdb.sqlite, written as rpm 4.18's sqlite backend lays it out (lib/backend/sqlite.c):
// the Packages table, then each index table with its indexes, in rpm's order; each
// package's blob and then its rows in table order. SQLite itself comes from sql.js (SQLite
// compiled to WebAssembly, pinned exactly in package.json): nothing to build, and the
// same SQLite on every host, so the same rows give the same bytes. The database is made
// in memory with a rollback journal (an image's read-only root cannot hold WAL's -shm
// file) and VACUUMed, so its pages hold nothing but the rows.
import { RpmdbError } from '../errors.js';
import { INDEX_TABLES, type Row } from './rows.js';

/** The SQLite sql.js 1.17.0 carries; it is written into the file's header, so it is part of the layer's cache key. */
export const SQLITE_VERSION = '3.54.1';

export interface DbPackage {
  /** The Packages blob (headerExport). */
  blob: Buffer;
  /** Per INDEX_TABLES entry, its rows. */
  rows: Row[][];
}

interface SqlJs {
  Database: new () => SqlDatabase;
}
interface SqlDatabase {
  run(sql: string, params?: unknown[]): void;
  prepare(sql: string): { run(params: unknown[]): void; free(): void };
  exec(sql: string): { values: unknown[][] }[];
  export(): Uint8Array;
  close(): void;
}

let loaded: Promise<SqlJs> | undefined;

/** sql.js's wasm, loaded once and only when a database is written (a warm build never needs it). */
async function sqlJs(): Promise<SqlJs> {
  loaded ??= import('sql.js').then(async (m) => {
    const init = (m as unknown as { default: () => Promise<SqlJs> }).default;
    const SQL = await init();
    const db = new SQL.Database();
    try {
      const version = db.exec('SELECT sqlite_version()')[0]?.values[0]?.[0];
      if (version !== SQLITE_VERSION) {
        throw new RpmdbError('RPMDB_SQLITE', `sql.js carries SQLite ${String(version)}, this build expects ${SQLITE_VERSION} (update SQLITE_VERSION with the sql.js pin)`);
      }
    } finally {
      db.close();
    }
    return SQL;
  });
  return loaded;
}

const quote = (name: string) => `'${name.replaceAll("'", "''")}'`;

/** The statements rpm's backend runs to create the schema, in its order. */
export function schema(): string[] {
  const out = [`CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)`];
  for (const t of INDEX_TABLES) {
    out.push(
      `CREATE TABLE IF NOT EXISTS ${quote(t.name)} (key '${t.key}' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum))`,
    );
    if (t.keyIndex) out.push(`CREATE INDEX IF NOT EXISTS '${t.name}_key_idx' ON ${quote(t.name)}(key ASC)`);
    if (t.hnumIndex) out.push(`CREATE INDEX IF NOT EXISTS '${t.name}_hnum_idx' ON ${quote(t.name)}(hnum ASC)`);
  }
  return out;
}

/** The database file's bytes: packages get hnum 1..n in the order given. */
export async function writeRpmdb(packages: DbPackage[]): Promise<Buffer> {
  const SQL = await sqlJs();
  const db = new SQL.Database();
  try {
    db.run('PRAGMA page_size = 4096');
    db.run('PRAGMA journal_mode = DELETE');
    db.run('BEGIN');
    for (const sql of schema()) db.run(sql);
    const putPackage = db.prepare(`INSERT INTO 'Packages' VALUES(?, ?)`);
    // TEXT keys go in as their bytes, cast: the header's strings, never re-encoded.
    const putRow = INDEX_TABLES.map((t) => db.prepare(`INSERT INTO ${quote(t.name)} VALUES(${t.key === 'TEXT' ? 'CAST(? AS TEXT)' : '?'}, ?, ?)`));
    try {
      packages.forEach((p, i) => {
        const hnum = i + 1;
        putPackage.run([hnum, p.blob]);
        p.rows.forEach((rows, t) => {
          for (const [key, idx] of rows) putRow[t]!.run([typeof key === 'string' ? Buffer.from(key, 'latin1') : key, hnum, idx]);
        });
      });
    } finally {
      putPackage.free();
      for (const s of putRow) s.free();
    }
    db.run('COMMIT');
    db.run('VACUUM');
    return Buffer.from(db.export());
  } finally {
    db.close();
  }
}
