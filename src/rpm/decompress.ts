// Payload decompression streams, and zstd compression for layers. gzip comes from
// node:zlib; xz, lzma, zstd and bzip2 from the addon's streaming codecs (system
// liblzma/libzstd/libbz2), run synchronously inside _transform.
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { NativeDecoder, NativeZstdEncoder, type NativeCodec } from '../native.js';
import type { PayloadCompressor } from './types.js';

/** Native input is fed in slices of this size, so one call's output stays bounded-ish. */
const SLICE = 1 << 16;

class CodecTransform extends Transform {
  constructor(
    private readonly codec: NativeCodec,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      for (let at = 0; at < chunk.length; at += SLICE) {
        const out = this.codec.push(chunk.subarray(at, at + SLICE));
        if (out.length) this.push(out);
      }
      done();
    } catch (err) {
      done(wrap(err, this.what));
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      const out = this.codec.finish();
      if (out.length) this.push(out);
      done();
    } catch (err) {
      done(wrap(err, this.what));
    }
  }
}

/** The native message already names the format (`xz: truncated input …`). */
function wrap(err: unknown, what: string): Error {
  return err instanceof Error ? err : new Error(`${what}: ${String(err)}`);
}

/** A stream that decompresses an RPM payload compressed with `c`. */
export function decompressor(c: PayloadCompressor): Transform {
  switch (c) {
    case 'gzip':
      return createGunzip({ chunkSize: 1 << 16 });
    case 'identity':
      return new PassThrough();
    case 'xz':
    case 'lzma':
    case 'zstd':
    case 'bzip2':
      return new CodecTransform(new NativeDecoder(c), `${c} decompression`);
    default:
      throw new Error(`unknown payload compressor ${String(c)}`);
  }
}

/** zstd compression (one frame, with content checksum) at `level` (1–19, 3 is zstd's default). */
export function zstdCompressor(level = 3): Transform {
  return new CodecTransform(new NativeZstdEncoder(level), 'zstd compression');
}
