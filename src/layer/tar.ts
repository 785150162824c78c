// A minimal, deterministic tar encoder: ustar headers, with PAX extended headers written
// as bytes when ustar cannot hold an entry (long or non-ASCII names, large sizes, binary
// xattrs such as security.capability). tar-stream builds PAX records as UTF-8 strings,
// which corrupts binary values, and gives no way to write a PAX header's body ourselves.
import { cmp } from '../order.js';

export type TarType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, as SCHILY.xattr.<name> records. */
  xattrs?: Record<string, Buffer>;
}

const BLOCK = 512;
const TYPEFLAG: Record<TarType | 'pax', string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
  pax: 'x',
};

/** End of archive: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest ? BLOCK - rest : 0);
}

const ascii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/** One PAX record: `<len> <key>=<value>\n`, len counting the whole record in bytes. */
function record(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'ascii'), body]);
}

/** ustar's name split: `prefix/name` with name ≤ 100 and prefix ≤ 155 bytes, or undefined. */
function splitName(name: string): [string, string] | undefined {
  if (!ascii(name)) return undefined;
  if (name.length <= 100) return ['', name];
  for (let cut = name.indexOf('/'); cut > 0 && cut <= 155; cut = name.indexOf('/', cut + 1)) {
    if (name.length - cut - 1 <= 100) return [name.slice(0, cut), name.slice(cut + 1)];
  }
  return undefined;
}

function octal(buf: Buffer, offset: number, width: number, value: number): boolean {
  const digits = value.toString(8);
  if (digits.length > width - 1) return false;
  buf.write(digits.padStart(width - 1, '0') + '\0', offset, 'ascii');
  return true;
}

function ustar(fields: {
  name: string;
  prefix: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(fields.name, 0, 100, 'utf8');
  octal(b, 100, 8, fields.mode);
  octal(b, 108, 8, fields.uid);
  octal(b, 116, 8, fields.gid);
  octal(b, 124, 12, fields.size);
  octal(b, 136, 12, fields.mtime);
  b.write(fields.type, 156, 1, 'ascii');
  b.write(fields.linkname, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'ascii');
  b.write(fields.uname, 265, 32, 'utf8');
  b.write(fields.gname, 297, 32, 'utf8');
  octal(b, 329, 8, fields.devmajor);
  octal(b, 337, 8, fields.devminor);
  b.write(fields.prefix, 345, 155, 'utf8');
  b.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}

/** The header block(s) of one entry: a PAX header first when ustar cannot hold it. */
export function encodeHeader(h: TarHeader): Buffer {
  const records: Buffer[] = [];
  const split = splitName(h.name);
  if (!split) records.push(record('path', Buffer.from(h.name, 'utf8')));
  const link = h.linkname ?? '';
  const linkFits = ascii(link) && link.length <= 100;
  if (!linkFits) records.push(record('linkpath', Buffer.from(link, 'utf8')));
  const big = (v: number, width: number) => v.toString(8).length > width - 1;
  if (big(h.size, 12)) records.push(record('size', Buffer.from(String(h.size))));
  if (big(h.uid, 8)) records.push(record('uid', Buffer.from(String(h.uid))));
  if (big(h.gid, 8)) records.push(record('gid', Buffer.from(String(h.gid))));
  for (const [k, v] of Object.entries(h.xattrs ?? {}).sort(([a], [b]) => cmp(a, b))) {
    records.push(record(`SCHILY.xattr.${k}`, v));
  }
  // An ASCII stand-in for names that travel in the PAX record.
  const standIn = (s: string) => s.replace(/[^\x20-\x7e]/g, '_').slice(-100);
  const [prefix, name] = split ?? ['', standIn(h.name)];
  const main = ustar({
    name,
    prefix,
    type: TYPEFLAG[h.type],
    mode: h.mode,
    uid: big(h.uid, 8) ? 0 : h.uid,
    gid: big(h.gid, 8) ? 0 : h.gid,
    size: big(h.size, 12) ? 0 : h.size,
    mtime: h.mtime,
    linkname: linkFits ? link : standIn(link),
    uname: h.uname,
    gname: h.gname,
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
  });
  if (records.length === 0) return main;
  const pax = Buffer.concat(records);
  const paxHeader = ustar({
    name: `PaxHeaders/${standIn(h.name.split('/').filter(Boolean).pop() ?? 'entry').slice(0, 80)}`,
    prefix: '',
    type: TYPEFLAG.pax,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: pax.length,
    mtime: h.mtime,
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
  });
  return Buffer.concat([paxHeader, pax, padding(pax.length), main]);
}
