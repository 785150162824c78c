// A layer's entries → its tar stream, written straight from the RPM payloads: one pass
// over each package's cpio in order (rpm sorts payloads by path, as the entries are sorted),
// nothing unpacked to disk, deterministic bytes.
import { Readable } from 'node:stream';
import { LayerError } from '../errors.js';
import { payloadEntries } from '../rpm/cpio.js';
import type { PayloadEntry, RpmHeaderInfo } from '../rpm/types.js';
import type { Entry, LayerEntries } from './entries.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from './tar.js';

export interface LayerSource {
  header: RpmHeaderInfo;
  /** The .rpm file in the host cache. */
  file: string;
}

type Payload = AsyncIterator<PayloadEntry>;

export function tarHeader(e: Entry): TarHeader {
  const base = { mode: e.mode, uid: e.uid, gid: e.gid, uname: e.uname, gname: e.gname, mtime: e.mtime, size: 0 };
  const name = e.path.slice(1);
  switch (e.kind) {
    case 'dir':
      // The root itself (a package that owns / sets its mode, 0555 on Fedora) is `./`.
      return { ...base, name: `${name || '.'}/`, type: 'directory' };
    case 'symlink':
      return { ...base, name, type: 'symlink', linkname: e.target };
    case 'hardlink':
      return { ...base, name, type: 'link', linkname: e.target.slice(1) };
    case 'device':
      return { ...base, name, type: e.type, devmajor: e.devmajor, devminor: e.devminor };
    case 'file':
      return { ...base, name, type: 'file', size: e.size, xattrs: e.caps ? { 'security.capability': e.caps } : undefined };
  }
}

/** Advances a package's payload to its member for file `fx`, skipping (and draining) what the layer leaves out. */
async function seek(payload: Payload, fx: number, source: LayerSource): Promise<PayloadEntry> {
  const h = source.header;
  for (;;) {
    const next = await payload.next();
    if (next.done) {
      throw new LayerError(
        'LAYER_PAYLOAD',
        `${h.name}-${h.version}-${h.release}.${h.arch} (${source.file}): ${h.files[fx]?.path} is not in the payload, or not in header order`,
        { file: source.file },
      );
    }
    if (next.value.index === fx) return next.value;
  }
}

async function* chunks(sources: LayerSource[], layer: LayerEntries): AsyncGenerator<Buffer> {
  const payloads: (Payload | undefined)[] = sources.map((s, i) =>
    layer.content[i]!.size ? payloadEntries(s.file, s.header)[Symbol.asyncIterator]() : undefined,
  );
  let closed = false;
  try {
    for (const e of layer.entries) {
      yield encodeHeader(tarHeader(e));
      if (e.kind !== 'file') continue;
      const source = sources[e.pkg]!;
      const entry = await seek(payloads[e.pkg]!, e.fx, source);
      let n = 0;
      for await (const c of entry.body) {
        const b = c as Buffer;
        n += b.length;
        if (n > e.size) break;
        yield b;
      }
      if (n !== e.size) {
        const h = source.header;
        throw new LayerError(
          'LAYER_PAYLOAD',
          `${h.name}-${h.version}-${h.release}.${h.arch}: ${e.path} has ${n} bytes in the payload, the header says ${e.size}`,
        );
      }
      yield padding(e.size);
    }
    // Closing each payload checks its digest over all its bytes, read or not: a layer is
    // only written from payloads that are whole.
    await Promise.all(payloads.map((p) => p?.return?.(undefined)));
    closed = true;
    yield END_OF_ARCHIVE;
  } finally {
    // On a failure, its error is the one to report.
    if (!closed) await Promise.allSettled(payloads.map((p) => p?.return?.(undefined)));
  }
}

/** Joins small pieces (512-byte headers, paddings, short files) into ~256 KiB chunks. */
async function* coalesce(pieces: AsyncIterable<Buffer>, target = 256 * 1024): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const p of pieces) {
    if (p.length === 0) continue;
    pending.push(p);
    size += p.length;
    if (size >= target) {
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size) yield Buffer.concat(pending, size);
}

/**
 * The layer's tar, produced as the consumer reads it, in large chunks: every write into
 * the compressor is a trip to zlib's thread pool, so fewer, bigger writes keep both the
 * main thread and the pool busy.
 */
export function layerTar(sources: LayerSource[], layer: LayerEntries): Readable {
  return Readable.from(coalesce(chunks(sources, layer)), { objectMode: false });
}
