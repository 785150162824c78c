// A planned layer → its tar stream, written straight from the RPM payloads: one pass
// over each package's cpio in order (rpm sorts payloads by path, as the plan is sorted),
// nothing unpacked to disk, deterministic bytes.
import { Readable } from 'node:stream';
import { BuildError } from '../errors.js';
import { payloadEntries } from '../rpm/cpio.js';
import type { PayloadEntry, RpmHeaderInfo } from '../rpm/types.js';
import type { Entry, LayerPlan } from './plan.js';
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
      return { ...base, name: `${name}/`, type: 'directory' };
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

/** Advances a package's payload to `path`, skipping (and draining) what the layer leaves out. */
async function seek(payload: Payload, path: string, source: LayerSource): Promise<PayloadEntry> {
  for (;;) {
    const next = await payload.next();
    if (next.done) {
      const h = source.header;
      throw new BuildError(
        'BUILD_PAYLOAD',
        `${h.name}-${h.version}-${h.release}.${h.arch} (${source.file}): ${path} is not in the payload, or not in path order`,
      );
    }
    if (next.value.path === path) return next.value;
  }
}

async function* chunks(sources: LayerSource[], plan: LayerPlan): AsyncGenerator<Buffer> {
  const payloads: (Payload | undefined)[] = sources.map((s, i) =>
    plan.contentPaths[i]!.size ? payloadEntries(s.file, s.header)[Symbol.asyncIterator]() : undefined,
  );
  try {
    for (const e of plan.entries) {
      yield encodeHeader(tarHeader(e));
      if (e.kind !== 'file') continue;
      const source = sources[e.pkg]!;
      const entry = await seek(payloads[e.pkg]!, e.path, source);
      let n = 0;
      for await (const c of entry.body) {
        const b = c as Buffer;
        n += b.length;
        if (n > e.size) break;
        yield b;
      }
      if (n !== e.size) {
        const h = source.header;
        throw new BuildError(
          'BUILD_PAYLOAD',
          `${h.name}-${h.version}-${h.release}.${h.arch}: ${e.path} has ${n} bytes in the payload, the header says ${e.size}`,
        );
      }
      yield padding(e.size);
    }
    yield END_OF_ARCHIVE;
  } finally {
    await Promise.all(payloads.map((p) => p?.return?.(undefined)));
  }
}

/** The layer's tar, produced as the consumer reads it. */
export function layerTar(sources: LayerSource[], plan: LayerPlan): Readable {
  return Readable.from(chunks(sources, plan), { objectMode: false });
}
