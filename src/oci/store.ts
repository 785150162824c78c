// A content-addressed blob store laid out as an OCI image layout's blobs/ folder:
// <root>/blobs/sha256/<hex>. Blobs are written through src/atomic.ts (a temp file beside
// the blob, renamed into place), so a blob path either holds its full content or is
// absent. An existing blob is never rewritten.
import { createReadStream, createWriteStream, existsSync, type ReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { commitFile, writeFileAtomic } from '../atomic.js';
import { OciError, RpmcomposeError } from '../errors.js';
import type { Descriptor } from './descriptor.js';
import { HashingStream, digestHex, sha256, type Digest } from './digest.js';

/**
 * OCI JSON as stored: keys in the order the object was built (the builders in this
 * folder build them in a fixed order and sort maps), no whitespace, `undefined` dropped.
 * Not key-sorted: see src/json.ts canonicalJson for that.
 */
export function compactJson(value: unknown): string {
  return JSON.stringify(value);
}

export class BlobStore {
  /** Where blobs go: `<root>/blobs/sha256/<hex>`. */
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /** A store rooted at `root` (created if missing). No check that `root` is an OCI layout. */
  static async open(root: string): Promise<BlobStore> {
    const abs = path.resolve(root);
    try {
      await fs.mkdir(path.join(abs, 'blobs', 'sha256'), { recursive: true });
    } catch (err) {
      throw new OciError('OCI_STORE', `cannot create blob store at ${abs}: ${(err as Error).message}`, { cause: err });
    }
    return new BlobStore(abs);
  }

  blobPath(digest: string): string {
    return path.join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await fs.stat(this.blobPath(digest))).isFile();
    } catch {
      return false;
    }
  }

  /** The blob's size on disk; OciError if absent. */
  async size(digest: string): Promise<number> {
    try {
      return (await fs.stat(this.blobPath(digest))).size;
    } catch (err) {
      throw missing(digest, this.root, err);
    }
  }

  async readBytes(digest: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.blobPath(digest));
    } catch (err) {
      throw missing(digest, this.root, err);
    }
  }

  async readJson<T = unknown>(digest: string): Promise<T> {
    const bytes = await this.readBytes(digest);
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch (err) {
      throw new OciError('OCI_BLOB_JSON', `blob ${digest} in ${this.root} is not JSON`, { cause: err });
    }
  }

  createReadStream(digest: string): ReadStream {
    return createReadStream(this.blobPath(digest));
  }

  /** Stores bytes; an existing blob is kept as is. */
  async putBytes(mediaType: string, data: Uint8Array | string): Promise<Descriptor> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const digest = sha256(buf);
    if (!(await this.has(digest))) {
      await this.atomicWrite(this.blobPath(digest), (tmp) => fs.writeFile(tmp, buf, { flag: 'wx' }));
    }
    return { mediaType, digest, size: buf.length };
  }

  /** Stores `compactJson(obj)`. */
  putJson(mediaType: string, obj: unknown): Promise<Descriptor> {
    return this.putBytes(mediaType, compactJson(obj));
  }

  /**
   * Streams `source` through `transforms` into the store; the blob's digest and size are
   * those of what comes out of the last transform.
   */
  async putStream(mediaType: string, source: Readable, transforms: Transform[] = []): Promise<Descriptor> {
    const hash = new HashingStream();
    let digest: Digest;
    try {
      // The name is known only once the bytes are: the temp file sits in the blobs folder.
      digest = await commitFile(
        path.join(this.root, 'blobs', 'sha256', 'incoming'),
        async (tmp) => {
          const out = createWriteStream(tmp, { flags: 'wx' });
          await (pipeline as (...streams: unknown[]) => Promise<void>)(source, ...transforms, hash, out);
          return hash.digest;
        },
        (d) => (existsSync(this.blobPath(d)) ? undefined : this.blobPath(d)),
      );
    } catch (err) {
      // Errors of other stages (a corrupt payload in the tar source: RpmError, LayerError) pass through.
      if (err instanceof RpmcomposeError) throw err;
      throw new OciError('OCI_WRITE', `cannot write a blob into ${this.root}: ${(err as Error).message}`, { cause: err });
    }
    return { mediaType, digest, size: hash.size };
  }

  /**
   * Makes `from`'s blob present here: a copy, hashed on the way, so a blob enters an output
   * only when it is what its name says. Never a hard link: a later change to the source
   * (a cache entry altered in place) must not reach an output written before.
   */
  async copyFrom(from: BlobStore, desc: Descriptor): Promise<void> {
    if (from.root === this.root || (await this.has(desc.digest))) return;
    const src = from.blobPath(desc.digest);
    const size = await from.size(desc.digest);
    if (size !== desc.size) {
      throw new OciError('OCI_BLOB_SIZE', `blob ${desc.digest} in ${from.root} has ${size} bytes, its descriptor says ${desc.size}`, { file: src });
    }
    let got: string | undefined;
    try {
      await commitFile(this.blobPath(desc.digest), async (tmp) => {
        const hash = new HashingStream();
        await pipeline(createReadStream(src), hash, createWriteStream(tmp, { flags: 'wx' }));
        got = hash.digest;
        if (got !== desc.digest) throw new BlobMismatch();
      });
    } catch (err) {
      if (err instanceof BlobMismatch) {
        throw new OciError('OCI_BLOB_DIGEST', `blob ${desc.digest} in ${from.root} does not hash to its name (it hashes to ${got}): the copy there is corrupt`, {
          file: src,
        });
      }
      if (err instanceof RpmcomposeError) throw err;
      throw new OciError('OCI_WRITE', `cannot write ${this.blobPath(desc.digest)}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** `write(tmp)` fills a temporary file, which then becomes `dest` (src/atomic.ts). */
  private async atomicWrite(dest: string, write: (tmp: string) => Promise<void>): Promise<void> {
    try {
      await commitFile(dest, write);
    } catch (err) {
      throw new OciError('OCI_WRITE', `cannot write ${dest}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Writes `data` to `dest` atomically (src/atomic.ts), as an output error when it fails. */
export async function writeOutputFile(dest: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(dest, data);
  } catch (err) {
    throw new OciError('OCI_WRITE', `cannot write ${dest}: ${(err as Error).message}`, { cause: err });
  }
}

class BlobMismatch extends Error {}

function missing(digest: string, root: string, cause: unknown): OciError {
  return new OciError('OCI_BLOB_MISSING', `blob ${digest} is not in ${root}`, { cause });
}

