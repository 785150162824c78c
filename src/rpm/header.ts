// The RPM header structure (signature header and main header share it): an 8-byte magic
// (8e ad e8 01 + 4 reserved), the index entry count and data store length, index
// entries of 16 bytes (tag, type, offset, count), then the data store. Big-endian.
import { TagType } from './tags.js';

export const HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01]);

export interface HeaderEntry {
  tag: number;
  type: number;
  offset: number;
  count: number;
}

export type TagValue = number[] | string[] | string | Buffer;

/** Bytes per element of the fixed-size types (BIN: one per count). */
export const TYPE_SIZE: Partial<Record<number, number>> = {
  [TagType.CHAR]: 1,
  [TagType.INT8]: 1,
  [TagType.INT16]: 2,
  [TagType.INT32]: 4,
  [TagType.INT64]: 8,
  [TagType.BIN]: 1,
};

/** Thrown for malformed header bytes; package.ts turns it into an RpmError naming the file. */
export class HeaderFormatError extends Error {}

/** Bytes a header occupies, from its 16-byte intro; throws when the intro is not a header. */
export function headerSize(intro: Buffer): { indexCount: number; dataLength: number; size: number } {
  if (intro.length < 16 || !intro.subarray(0, 4).equals(HEADER_MAGIC)) {
    throw new HeaderFormatError('bad header magic');
  }
  const indexCount = intro.readUInt32BE(8);
  const dataLength = intro.readUInt32BE(12);
  // rpm's own limits (header.c): 0xffff entries, 256 MiB of data.
  if (indexCount < 1 || indexCount > 0xffff) throw new HeaderFormatError(`bad header index count ${indexCount}`);
  if (dataLength > 256 << 20) throw new HeaderFormatError(`header data store too large (${dataLength} bytes)`);
  return { indexCount, dataLength, size: 16 + indexCount * 16 + dataLength };
}

export class RpmHeader {
  readonly entries = new Map<number, HeaderEntry>();
  private readonly data: Buffer;

  /** `blob` = exactly the header's bytes, magic included. */
  constructor(readonly blob: Buffer) {
    const { indexCount, dataLength, size } = headerSize(blob);
    if (blob.length < size) throw new HeaderFormatError(`header truncated (${blob.length} of ${size} bytes)`);
    this.data = blob.subarray(16 + indexCount * 16, size);
    for (let i = 0; i < indexCount; i++) {
      const at = 16 + i * 16;
      const e: HeaderEntry = {
        tag: blob.readUInt32BE(at),
        type: blob.readUInt32BE(at + 4),
        offset: blob.readInt32BE(at + 8),
        count: blob.readUInt32BE(at + 12),
      };
      if (e.type > TagType.I18NSTRING) throw new HeaderFormatError(`tag ${e.tag}: unknown type ${e.type}`);
      if (e.offset < 0 || e.offset > dataLength) throw new HeaderFormatError(`tag ${e.tag}: offset ${e.offset} out of range`);
      if (!this.entries.has(e.tag)) this.entries.set(e.tag, e);
    }
  }

  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  /** The entries in index order (a tag given twice: both). */
  index(): HeaderEntry[] {
    const { indexCount } = headerSize(this.blob);
    const out: HeaderEntry[] = [];
    for (let i = 0; i < indexCount; i++) {
      const at = 16 + i * 16;
      out.push({ tag: this.blob.readUInt32BE(at), type: this.blob.readUInt32BE(at + 4), offset: this.blob.readInt32BE(at + 8), count: this.blob.readUInt32BE(at + 12) });
    }
    return out;
  }

  /** The data store: what index offsets count from. */
  get store(): Buffer {
    return this.data;
  }

  /** A tag's value as stored (big-endian numbers, NUL-terminated strings), with its type and count. */
  raw(tag: number): { type: number; count: number; bytes: Buffer } | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    const d = this.data;
    let end: number;
    switch (e.type) {
      case TagType.NULL:
        end = e.offset;
        break;
      case TagType.STRING:
      case TagType.STRING_ARRAY:
      case TagType.I18NSTRING: {
        end = e.offset;
        for (let i = 0; i < (e.type === TagType.STRING ? 1 : e.count); i++) {
          const nul = d.indexOf(0, end);
          if (nul < 0) throw new HeaderFormatError(`tag ${tag}: unterminated string`);
          end = nul + 1;
        }
        break;
      }
      default:
        end = e.offset + e.count * TYPE_SIZE[e.type]!;
    }
    if (end > d.length) throw new HeaderFormatError(`tag ${tag}: data runs past the data store`);
    return { type: e.type, count: e.count, bytes: d.subarray(e.offset, end) };
  }

  /** The decoded value: numbers for INT*, string for STRING, string[] for arrays, Buffer for BIN. */
  get(tag: number): TagValue | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    const d = this.data;
    const need = (bytes: number) => {
      if (e.offset + bytes > d.length) throw new HeaderFormatError(`tag ${tag}: data runs past the data store`);
    };
    switch (e.type) {
      case TagType.NULL:
        return [];
      case TagType.CHAR:
      case TagType.INT8:
        need(e.count);
        return Array.from(d.subarray(e.offset, e.offset + e.count));
      case TagType.INT16: {
        need(e.count * 2);
        const out = new Array<number>(e.count);
        for (let i = 0; i < e.count; i++) out[i] = d.readUInt16BE(e.offset + i * 2);
        return out;
      }
      case TagType.INT32: {
        need(e.count * 4);
        const out = new Array<number>(e.count);
        for (let i = 0; i < e.count; i++) out[i] = d.readUInt32BE(e.offset + i * 4);
        return out;
      }
      case TagType.INT64: {
        need(e.count * 8);
        const out = new Array<number>(e.count);
        for (let i = 0; i < e.count; i++) out[i] = Number(d.readBigUInt64BE(e.offset + i * 8));
        return out;
      }
      case TagType.BIN:
        need(e.count);
        return d.subarray(e.offset, e.offset + e.count);
      case TagType.STRING:
        return this.strings(e, 1)[0]!;
      default: // STRING_ARRAY, I18NSTRING
        return this.strings(e, e.count);
    }
  }

  private strings(e: HeaderEntry, count: number): string[] {
    const d = this.data;
    const out = new Array<string>(count);
    let at = e.offset;
    for (let i = 0; i < count; i++) {
      const end = d.indexOf(0, at);
      if (end < 0) throw new HeaderFormatError(`tag ${e.tag}: unterminated string`);
      out[i] = d.toString('utf8', at, end);
      at = end + 1;
    }
    return out;
  }

  string(tag: number): string | undefined {
    const v = this.get(tag);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
    throw new HeaderFormatError(`tag ${tag}: not a string`);
  }

  stringArray(tag: number): string[] | undefined {
    const v = this.get(tag);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'string')) return v as string[];
    throw new HeaderFormatError(`tag ${tag}: not a string array`);
  }

  numbers(tag: number): number[] | undefined {
    const v = this.get(tag);
    if (v === undefined) return undefined;
    if (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number')) return v as number[];
    throw new HeaderFormatError(`tag ${tag}: not numeric`);
  }

  number(tag: number): number | undefined {
    return this.numbers(tag)?.[0];
  }
}
