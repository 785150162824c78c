// The one way anything is written in place (host cache, lock, OCI layout, archives,
// downloads, .solv files): a unique temp file beside the target is filled, fsynced and
// renamed over it. Readers see the old file or the new one, never half of one; two
// writers never share a temp; a failure removes the temp and leaves the target as it
// was. Errors are the file system's: each stage wraps them in its own error.
import { randomBytes } from 'node:crypto';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A temp path beside `final`, unique across processes and concurrent calls. */
export function tempPathFor(final: string): string {
  return path.join(path.dirname(final), `.${path.basename(final)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

async function fsync(file: string): Promise<void> {
  // Read-only is enough for fsync, and works for hard links to read-only files.
  const fh = await open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * `fill` writes a fresh temp file beside `near` (and may throw to abandon it); the file is
 * then fsynced and renamed to `target(result)`, by default `near`. A target of `undefined`
 * drops the temp file instead (the content was already there: a content-addressed store).
 */
export async function commitFile<T>(
  near: string,
  fill: (tmp: string) => Promise<T>,
  target: (result: T) => string | undefined = () => near,
): Promise<T> {
  const tmp = tempPathFor(near);
  try {
    const result = await fill(tmp);
    const dest = target(result);
    if (dest === undefined) {
      await rm(tmp, { force: true });
    } else {
      await fsync(tmp);
      await rename(tmp, dest);
    }
    return result;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

export async function writeFileAtomic(dest: string, data: string | Uint8Array): Promise<void> {
  await commitFile(dest, (tmp) => writeFile(tmp, data, { flag: 'wx', mode: 0o644 }));
}
