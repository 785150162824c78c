// A cache entry that fails its check where it is used (an RPM whose header or payload
// digest is off, a layer blob that does not hash to its name) is discarded and fetched or
// rebuilt once; only a second failure is an error. The cache keeps only what verifies.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { RpmcomposeError } from '../errors.js';
import { rpmCacheDir } from '../repo/index.js';
import type { Loaded } from './load.js';

/** Codes that say a file's bytes are not what they must be (as opposed to a bad package upstream). */
const CORRUPT = new Set(['RPM_HEADER_DIGEST', 'RPM_PAYLOAD_DIGEST', 'RPM_PAYLOAD', 'RPM_TRUNCATED', 'RPM_BAD_HEADER', 'RPM_NOT_RPM', 'OCI_BLOB_DIGEST', 'OCI_BLOB_SIZE']);

/** The cached file `err` is about, when it is a corrupt cache entry rpmcompose can fetch or build again. */
export function corruptCacheFile(err: unknown, ctx: Loaded): string | undefined {
  if (!(err instanceof RpmcomposeError) || !CORRUPT.has(err.code) || !err.place.file) return undefined;
  const file = path.resolve(err.place.file);
  const inside = (dir: string) => file.startsWith(`${path.resolve(dir)}${path.sep}`);
  return inside(rpmCacheDir(ctx.cacheDir)) || inside(path.join(ctx.cacheDir, 'layers', 'blobs')) ? file : undefined;
}

/**
 * Runs `work`; when it fails on a corrupt cache entry, discards that entry (nothing else)
 * and runs it once more.
 */
export async function withOneRetry<T>(ctx: Loaded, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const file = corruptCacheFile(err, ctx);
    if (!file) throw err;
    ctx.log(`discarding ${file} from the cache (${(err as Error).message}); fetching or building it again`);
    await rm(file, { force: true });
    return work();
  }
}
