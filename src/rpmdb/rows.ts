// rpm's index tables (rpm 4.18 lib/rpmdb.c dbiTags, tag2index; lib/backend/sqlite.c):
// per table, the rows one installed header adds, in the order rpm inserts them. Keys are
// the header's bytes: strings are carried as latin1 (one char per byte) so that nothing
// is re-encoded on the way.
import { RpmHeader } from '../rpm/header.js';
import { Tag, TagType } from '../rpm/tags.js';
import { richIndexNames } from './rich.js';

export interface IndexTable {
  name: string;
  tag: number;
  /** The key column's declared type: TEXT for string tags, BLOB for the others. */
  key: 'TEXT' | 'BLOB';
  /** `<name>_key_idx`: string tags. */
  keyIndex: boolean;
  /** `<name>_hnum_idx`: array tags. */
  hnumIndex: boolean;
}

const text = (name: string, tag: number, array: boolean): IndexTable => ({ name, tag, key: 'TEXT', keyIndex: true, hnumIndex: array });
const blob = (name: string, tag: number): IndexTable => ({ name, tag, key: 'BLOB', keyIndex: false, hnumIndex: false });

/** In rpm's order (dbiTags): tables are created, and a header's rows inserted, in this order. */
export const INDEX_TABLES: readonly IndexTable[] = [
  text('Name', Tag.NAME, false),
  text('Basenames', Tag.BASENAMES, true),
  text('Group', Tag.GROUP, false),
  text('Requirename', Tag.REQUIRENAME, true),
  text('Providename', Tag.PROVIDENAME, true),
  text('Conflictname', Tag.CONFLICTNAME, true),
  text('Obsoletename', Tag.OBSOLETENAME, true),
  text('Triggername', Tag.TRIGGERNAME, true),
  text('Dirnames', Tag.DIRNAMES, true),
  blob('Installtid', Tag.INSTALLTID),
  blob('Sigmd5', Tag.SIGMD5),
  text('Sha1header', Tag.SHA1HEADER, false),
  text('Filetriggername', Tag.FILETRIGGERNAME, true),
  text('Transfiletriggername', Tag.TRANSFILETRIGGERNAME, true),
  text('Recommendname', Tag.RECOMMENDNAME, true),
  text('Suggestname', Tag.SUGGESTNAME, true),
  text('Supplementname', Tag.SUPPLEMENTNAME, true),
  text('Enhancename', Tag.ENHANCENAME, true),
];

/** A row's key: a latin1 string for TEXT tables, bytes for BLOB ones. */
export type RowKey = string | Buffer;
export type Row = [key: RowKey, idx: number];

/** RPMSENSE_* bits isTransientReq reads (rpmds.h). */
const Sense = {
  posttrans: 1 << 5,
  prereq: 1 << 6,
  pretrans: 1 << 7,
  pre: 1 << 9,
  post: 1 << 10,
  preun: 1 << 11,
  postun: 1 << 12,
  rpmlib: 1 << 24,
  keyring: 1 << 26,
  meta: 1 << 29,
} as const;
const INSTALL_ONLY = Sense.pre | Sense.post | Sense.rpmlib | Sense.keyring | Sense.pretrans | Sense.posttrans;
const ERASE_ONLY = Sense.preun | Sense.postun;

/** A requirement only the install needs (a %pre/%post script's, rpmlib's): rpm does not index it. */
export function isTransientReq(flags: number): boolean {
  return (flags & INSTALL_ONLY) !== 0 && (flags & ERASE_ONLY) === 0 && (flags & Sense.meta) === 0;
}

const RICH_INDEXED: ReadonlySet<number> = new Set([Tag.REQUIRENAME, Tag.CONFLICTNAME, Tag.SUGGESTNAME, Tag.SUPPLEMENTNAME, Tag.RECOMMENDNAME, Tag.ENHANCENAME]);

/** Every table's rows for one installed header (`installed`: its bytes with the magic). `littleEndian`: the image arch's byte order. */
export function indexRows(installed: RpmHeader, littleEndian: boolean): Row[][] {
  return INDEX_TABLES.map((t) => tableRows(installed, t.tag, littleEndian));
}

function strings(h: RpmHeader, tag: number): { type: number; values: string[] } | undefined {
  const v = h.raw(tag);
  if (!v) return undefined;
  if (v.type !== TagType.STRING && v.type !== TagType.STRING_ARRAY && v.type !== TagType.I18NSTRING) return undefined;
  const values = v.bytes.toString('latin1').split('\0').slice(0, v.type === TagType.STRING ? 1 : v.count);
  return { type: v.type, values };
}

function tableRows(h: RpmHeader, tag: number, littleEndian: boolean): Row[] {
  switch (tag) {
    case Tag.INSTALLTID: {
      // td2key: the number in the host's byte order.
      const tid = h.number(Tag.INSTALLTID);
      if (tid === undefined) return [];
      const key = Buffer.alloc(4);
      if (littleEndian) key.writeUInt32LE(tid);
      else key.writeUInt32BE(tid);
      return [[key, 0]];
    }
    case Tag.SIGMD5: {
      const v = h.raw(Tag.SIGMD5);
      return v && v.bytes.length ? [[Buffer.from(v.bytes), 0]] : [];
    }
    case Tag.GROUP: {
      // The C locale's string; "Unknown" when the package has none (rpm's legacy default).
      const g = strings(h, Tag.GROUP);
      return [[g?.values[0] ?? 'Unknown', 0]];
    }
  }
  const s = strings(h, tag);
  if (!s || s.values.length === 0) return [];
  const flags = tag === Tag.REQUIRENAME ? (h.numbers(Tag.REQUIREFLAGS) ?? []) : [];
  const triggerIndex =
    tag === Tag.FILETRIGGERNAME ? (h.numbers(Tag.FILETRIGGERINDEX) ?? []) : tag === Tag.TRANSFILETRIGGERNAME ? (h.numbers(Tag.TRANSFILETRIGGERINDEX) ?? []) : undefined;
  const rows: Row[] = [];
  s.values.forEach((key, i) => {
    // File triggers index the trigger's script, the others the element.
    const idx = triggerIndex ? (triggerIndex[i] ?? 0) : i;
    if (tag === Tag.REQUIRENAME && flags[i] !== undefined && isTransientReq(flags[i]!)) return;
    if (tag === Tag.TRIGGERNAME && s.values.indexOf(key) < i) return;
    rows.push([key, idx]);
    if (key.startsWith('(') && RICH_INDEXED.has(tag) && s.type === TagType.STRING_ARRAY) {
      for (const name of richIndexNames(key)) rows.push([name, idx]);
    }
  });
  return rows;
}
