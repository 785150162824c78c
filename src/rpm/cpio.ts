// Streaming reader of an RPM's cpio payload: newc ("070701"), crc ("070702") and rpm's
// stripped format ("07070X": only the header's file index, used by v6 packages and by
// v4 packages with files of 4 GiB or more), read from the payload offset through the
// decompressor. Nothing is unpacked to disk.
//
// Each entry's body yields exactly `size` bytes. Consume it before asking for the next
// entry: when the consumer asks for the next one early, the rest of the body is skipped
// and the body stream is ended (reading it afterwards yields only what it had buffered).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { RpmError } from '../errors.js';
import { hasher } from '../hash.js';
import { S_IFLNK, S_IFMT, S_IFREG } from '../mode.js';
import { decompressor } from './decompress.js';
import { readRpm } from './package.js';
import { nevra } from './version.js';
import { FileFlag, type PayloadEntry, type RpmHeaderInfo } from './types.js';

const NEWC_HEADER = 110;
const STRIPPED_HEADER = 14;
const TRAILER = 'TRAILER!!!';
const BODY_CHUNK = 1 << 18;

class Truncated extends Error {}

/** Pulls bytes out of an async iterable of Buffers, without copying when it can. */
class ByteSource {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  offset = 0;

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private error: unknown;

  private async fill(): Promise<boolean> {
    while (this.buf.length === 0 && !this.done) {
      try {
        const r = await this.it.next();
        if (r.done) this.done = true;
        else this.buf = r.value;
      } catch (err) {
        // Keep the first cause: a body read may hit it before the entry loop does.
        this.error ??= err;
        this.done = true;
      }
    }
    if (this.buf.length === 0 && this.error !== undefined) throw this.error;
    return this.buf.length > 0;
  }

  /** Up to `max` bytes (at least 1), or throws at the end of the stream. */
  async some(max: number): Promise<Buffer> {
    if (!(await this.fill())) throw new Truncated();
    const out = this.buf.subarray(0, Math.min(max, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  async exact(n: number): Promise<Buffer> {
    if (this.buf.length >= n) return this.some(n);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const b = await this.some(n - got);
      parts.push(b);
      got += b.length;
    }
    return Buffer.concat(parts, n);
  }

  async skip(n: number): Promise<void> {
    while (n > 0) n -= (await this.some(n)).length;
  }

  async pad(to: number): Promise<void> {
    await this.skip((to - (this.offset % to)) % to);
  }

  /** Reads to the end (so the decompressor checks the stream's end and its checksum). */
  async drain(): Promise<void> {
    while (await this.fill()) {
      this.offset += this.buf.length;
      this.buf = Buffer.alloc(0);
    }
  }
}

function hex(b: Buffer, at: number, what: string): number {
  const s = b.toString('latin1', at, at + 8);
  if (!/^[0-9a-fA-F]{8}$/.test(s)) throw new Error(`bad cpio ${what} field '${s}'`);
  return parseInt(s, 16);
}

function normalise(name: string): string {
  if (name === '.') return '/';
  if (name.startsWith('./')) return name.slice(1);
  return name;
}

/**
 * The payload's members in payload order. `header` comes from readRpm (its payloadOffset
 * is used; without one the package's headers are read again).
 *
 * Every read of a payload checks its digest (PAYLOADSHA256) when the header has one, also
 * when the consumer stops early: closing the iterator (`return()`) hashes the rest of the
 * compressed payload without decompressing it, and rejects on a mismatch.
 */
export async function* payloadEntries(file: string, header: RpmHeaderInfo): AsyncGenerator<PayloadEntry> {
  const offset = header.payloadOffset ?? (await readRpm(file)).payloadOffset;
  const raw = createReadStream(file, { start: offset, highWaterMark: 1 << 18 });
  const dec = decompressor(header.payloadCompressor);
  raw.on('error', (err) => dec.destroy(err));
  // The compressed payload's digest, when the header has one: some corruption (zstd frames
  // without checksums, uncompressed payloads) is invisible to the decompressor.
  const hash = header.payloadDigest ? hasher('sha256') : undefined;
  let hashed = 0;
  let ended = false;
  if (hash) raw.on('data', (c: string | Buffer) => {
    hash.update(c);
    hashed += c.length;
  });
  raw.pipe(dec);
  const src = new ByteSource(dec[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const files = header.files;
  let byPath: Map<string, number> | undefined;
  const indexOf = (p: string) => {
    byPath ??= new Map(files.map((f, i) => [f.path, i]));
    return byPath.get(p);
  };
  // Stripped format: the member of a hard-link set with the highest index carries the
  // bytes (rpm's rpmfilesFLinks order), the others are empty.
  let carriers: Set<number> | undefined;
  const carries = (fx: number) => {
    if (!carriers) {
      const sets = new Map<string, number>();
      for (let i = 0; i < files.length; i++) {
        const f = files[i]!;
        if ((f.mode & S_IFMT) !== S_IFREG || f.flags & FileFlag.ghost || f.inode <= 0) continue;
        sets.set(`${f.device}:${f.inode}`, i);
      }
      carriers = new Set(sets.values());
    }
    return carriers.has(fx);
  };

  let body: { stream: Readable; remaining: number; busy: Promise<void> | null; ended: boolean } | undefined;
  const finishBody = async () => {
    if (!body) return;
    const b = body;
    body = undefined;
    while (b.busy) await b.busy;
    if (b.remaining > 0) {
      const n = b.remaining;
      b.remaining = 0;
      await src.skip(n);
    }
    if (!b.ended) {
      b.ended = true;
      b.stream.push(null);
    }
  };

  try {
    for (;;) {
      await finishBody();
      await src.pad(4);
      const magic = (await src.exact(6)).toString('latin1');
      let path: string;
      let size: number;
      let index: number | undefined;
      if (magic === '07070X') {
        const h = await src.exact(STRIPPED_HEADER - 6);
        const fx = hex(h, 0, 'file index');
        if (fx === 0xffffffff) break;
        const f = files[fx];
        if (!f) throw new Error(`cpio member names file index ${fx}, the header lists ${files.length} files`);
        const type = f.mode & S_IFMT;
        size = type === S_IFLNK ? f.size : type === S_IFREG && carries(fx) ? f.size : 0;
        path = f.path;
        index = fx;
        await src.pad(4);
      } else if (magic === '070701' || magic === '070702') {
        const h = await src.exact(NEWC_HEADER - 6);
        size = hex(h, 48, 'filesize');
        const namesize = hex(h, 88, 'namesize');
        if (namesize < 1 || namesize > 65536) throw new Error(`bad cpio name size ${namesize}`);
        const name = await src.exact(namesize);
        path = name.toString('utf8', 0, namesize - 1);
        await src.pad(4);
        if (path === TRAILER) break;
        path = normalise(path);
        index = indexOf(path);
      } else {
        throw new Error(`bad cpio magic '${magic.replace(/[^\x20-\x7e]/g, '?')}' at payload offset ${src.offset - 6}`);
      }
      const b = { stream: undefined as unknown as Readable, remaining: size, busy: null as Promise<void> | null, ended: false };
      b.stream = new Readable({
        highWaterMark: BODY_CHUNK,
        read() {
          if (b.busy || b.ended) return;
          if (b.remaining === 0) {
            b.ended = true;
            this.push(null);
            return;
          }
          b.busy = src.some(Math.min(b.remaining, BODY_CHUNK)).then(
            (chunk) => {
              b.remaining -= chunk.length;
              b.busy = null;
              if (b.ended) return;
              this.push(chunk);
              if (b.remaining === 0) {
                b.ended = true;
                this.push(null);
              }
            },
            (err: unknown) => {
              b.busy = null;
              this.destroy(payloadError(file, header, err));
            },
          );
        },
      });
      body = b;
      yield { path, size, body: b.stream, index };
    }
    await finishBody();
    await src.drain();
    if (hash) {
      if (!raw.readableEnded) await new Promise<void>((resolve, reject) => raw.once('end', resolve).once('error', reject));
      ended = true;
      checkPayloadDigest(file, header, hash.digest('hex'));
    }
    ended = true;
  } catch (err) {
    ended = true;
    throw payloadError(file, header, err);
  } finally {
    raw.destroy();
    dec.destroy();
    // Stopped early by the consumer: the bytes it did not need are hashed all the same.
    if (hash && !ended) {
      for await (const c of createReadStream(file, { start: offset + hashed, highWaterMark: 1 << 20 })) hash.update(c as Buffer);
      checkPayloadDigest(file, header, hash.digest('hex'));
    }
  }
}

function checkPayloadDigest(file: string, header: RpmHeaderInfo, got: string): void {
  if (got !== header.payloadDigest) {
    throw new RpmError('RPM_PAYLOAD_DIGEST', `${nevra(header)} (${file}): payload digest mismatch (sha256 ${got}, header says ${header.payloadDigest})`, { file });
  }
}

/** A payload error naming the package and its file. */
function payloadError(file: string, header: RpmHeaderInfo, err: unknown): RpmError {
  if (err instanceof RpmError) return err;
  const where = `${nevra(header)} (${file})`;
  if (err instanceof Truncated) return new RpmError('RPM_PAYLOAD', `${where}: payload truncated (the cpio archive ends early)`, { file });
  const message = err instanceof Error ? err.message : String(err);
  return new RpmError('RPM_PAYLOAD', `${where}: bad payload: ${message}`, { cause: err, file });
}
