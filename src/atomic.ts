// Atomic file writes for every stage that keeps files (host cache, lock, OCI layout):
// a unique temp file in the same directory, fsynced, renamed over the target. Readers
// see the old file or the new one, never half of one; two writers never share a temp.
// Errors are the file system's: each stage wraps them in its own error.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** A temp path beside `final`, unique across processes and concurrent calls. */
export function tempPathFor(final: string): string {
  return path.join(path.dirname(final), `.${path.basename(final)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

export async function writeFileAtomic(dest: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(dest);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}
