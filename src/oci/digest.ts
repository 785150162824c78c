// sha256 digests: "sha256:<64 hex>".
import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { OciError } from '../errors.js';
import { hasher, hexDigest } from '../hash.js';

export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** The hex part of a sha256 digest; throws OciError on anything else. */
export function digestHex(d: string): string {
  if (!isDigest(d)) throw new OciError('OCI_DIGEST', `not a sha256 digest: ${JSON.stringify(d)}`);
  return d.slice('sha256:'.length);
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${hexDigest(data)}`;
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  private readonly hash: Hash = hasher('sha256');
  private n = 0;
  private result: Digest | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.n += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}`;
    cb();
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.n;
  }

  /** The digest; only once the stream has ended. */
  get digest(): Digest {
    if (!this.result) throw new OciError('OCI_INTERNAL', 'digest read before the stream ended');
    return this.result;
  }
}
