// The header rpm stores for an installed package (rpm 4.18, lib/package.c, lib/psm.c,
// lib/header.c headerExport): the package's main header with its immutable region byte
// for byte, then the tags rpm adds, each one's data after the region's in tag order and
// aligned to its type. rpm checks the region against SHA256HEADER on every read, so the
// region is never touched.
import { RpmdbError } from '../errors.js';
import { RpmHeader, TYPE_SIZE } from '../rpm/header.js';
import { Tag, TagType } from '../rpm/tags.js';

/** What the install adds besides the signature header's tags. */
export interface InstallFacts {
  /** INSTALLTIME: seconds. */
  time: number;
  /** INSTALLTID: one per transaction. */
  tid: number;
  /** INSTALLCOLOR: the transaction's color (3 on 64-bit arches, 0 on 32-bit). */
  color: number;
  /** FILESTATES, one per file (FileState); none for a package without files. */
  fileStates: Uint8Array;
}

/** RPMFILE_STATE_* (rpmfi.h). */
export const FileState = {
  normal: 0,
  replaced: 1,
  notInstalled: 2,
  netShared: 3,
  wrongColor: 4,
} as const;

/**
 * Signature-header tags rpm merges into the main header (package.c xlateTags): the
 * signature tag, the header tag it becomes, its type there, the count it must have (0:
 * any), and whether the main header may already hold it (then the signature header must not).
 */
const MERGED: [sig: number, main: number, type: number, count: number, either: boolean][] = [
  [Tag.SIG_SIZE, Tag.SIGSIZE, TagType.INT32, 1, false],
  [Tag.SIG_PGP, Tag.SIGPGP, TagType.BIN, 0, false],
  [Tag.SIG_MD5, Tag.SIGMD5, TagType.BIN, 16, false],
  [Tag.SIG_GPG, Tag.SIGGPG, TagType.BIN, 0, false],
  [Tag.SIG_PAYLOADSIZE, Tag.ARCHIVESIZE, TagType.INT32, 1, true],
  [Tag.SIG_FILESIGNATURES, Tag.FILESIGNATURES, TagType.STRING_ARRAY, 0, true],
  [Tag.SIG_FILESIGNATURELENGTH, Tag.FILESIGNATURELENGTH, TagType.INT32, 1, true],
  [Tag.SIG_VERITYSIGNATURES, Tag.VERITYSIGNATURES, TagType.STRING_ARRAY, 0, false],
  [Tag.SIG_VERITYSIGNATUREALGO, Tag.VERITYSIGNATUREALGO, TagType.INT32, 1, false],
  [Tag.SIG_SHA1, Tag.SHA1HEADER, TagType.STRING, 1, false],
  [Tag.SIG_SHA256, Tag.SHA256HEADER, TagType.STRING, 1, false],
  [Tag.SIG_DSA, Tag.DSAHEADER, TagType.BIN, 0, false],
  [Tag.SIG_RSA, Tag.RSAHEADER, TagType.BIN, 0, false],
  [Tag.SIG_LONGSIZE, Tag.LONGSIGSIZE, TagType.INT64, 1, false],
  [Tag.SIG_LONGARCHIVESIZE, Tag.LONGARCHIVESIZE, TagType.INT64, 1, false],
];

interface Added {
  tag: number;
  type: number;
  count: number;
  bytes: Buffer;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/**
 * The Packages blob for one package: `main` and `sig` are the package's main and
 * signature headers as read from the .rpm (magic included); the blob is headerExport's
 * (no magic). `what` names the package in errors.
 */
export function installedHeader(main: Buffer, sig: Buffer, facts: InstallFacts, what: string): Buffer {
  const h = new RpmHeader(main);
  const s = new RpmHeader(sig);
  const entries = h.index();
  if (entries[0]?.tag !== Tag.HEADERIMMUTABLE) {
    // rpm retrofits such ancient (pre-4.0) headers wholesale; not worth their rarity.
    throw new RpmdbError('RPMDB_HEADER', `${what}: the header has no immutable region (a pre-rpm-4 package); its rpm database entry cannot be written`);
  }
  const added: Added[] = [];
  for (const [sigTag, mainTag, type, count, either] of MERGED) {
    const v = s.raw(sigTag);
    if (h.has(mainTag)) {
      if (either && !v) continue;
      throw new RpmdbError('RPMDB_HEADER', `${what}: invalid signature tag ${mainTag} (the main header holds it too)`);
    }
    if (!v) continue;
    if (v.type !== type || v.count < 1 || v.count > 16 * 1024 * 1024 || (count && v.count !== count)) {
      throw new RpmdbError('RPMDB_HEADER', `${what}: invalid signature tag ${mainTag} (type ${v.type}, count ${v.count})`);
    }
    added.push({ tag: mainTag, type, count: v.count, bytes: v.bytes });
  }
  // applyRetrofits: a binary package names its source package, "(none)" when it has none.
  if (!h.has(Tag.SOURCERPM) && !h.has(Tag.SOURCEPACKAGE)) {
    added.push({ tag: Tag.SOURCERPM, type: TagType.STRING, count: 1, bytes: Buffer.from('(none)\0') });
  }
  // relocation.c: an unrelocated relocatable package installs at its own prefixes.
  const prefixes = h.raw(Tag.PREFIXES);
  if (prefixes && prefixes.count > 0 && !h.has(Tag.INSTPREFIXES)) added.push({ tag: Tag.INSTPREFIXES, ...prefixes });
  // psm.c: the install facts.
  if (facts.fileStates.length) added.push({ tag: Tag.FILESTATES, type: TagType.CHAR, count: facts.fileStates.length, bytes: Buffer.from(facts.fileStates) });
  added.push({ tag: Tag.INSTALLTID, type: TagType.INT32, count: 1, bytes: u32(facts.tid) });
  added.push({ tag: Tag.INSTALLTIME, type: TagType.INT32, count: 1, bytes: u32(facts.time) });
  added.push({ tag: Tag.INSTALLCOLOR, type: TagType.INT32, count: 1, bytes: u32(facts.color) });
  return exportHeader(main, entries.length, h.store, added);
}

/** headerExport: the original index and data, then the added entries by tag, each aligned from the data's start. */
function exportHeader(main: Buffer, count: number, store: Buffer, added: Added[]): Buffer {
  added.sort((a, b) => a.tag - b.tag);
  const index: Buffer[] = [main.subarray(16, 16 + count * 16)];
  const data: Buffer[] = [store];
  let size = store.length;
  for (const a of added) {
    const align = a.type === TagType.BIN || a.type === TagType.CHAR || a.type === TagType.INT8 ? 1 : (TYPE_SIZE[a.type] ?? 1);
    const pad = (align - (size % align)) % align;
    if (pad) data.push(Buffer.alloc(pad));
    size += pad;
    const e = Buffer.alloc(16);
    e.writeUInt32BE(a.tag, 0);
    e.writeUInt32BE(a.type, 4);
    e.writeInt32BE(size, 8);
    e.writeUInt32BE(a.count, 12);
    index.push(e);
    data.push(a.bytes);
    size += a.bytes.length;
  }
  const intro = Buffer.alloc(8);
  intro.writeUInt32BE(count + added.length, 0);
  intro.writeUInt32BE(size, 4);
  return Buffer.concat([intro, ...index, ...data]);
}
