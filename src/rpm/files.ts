// Files a package ships, read out of its payload: what an image is configured by
// (/etc/passwd, sysusers.d, rpm's macros), without unpacking anything else.
import { isRegular } from '../mode.js';
import { payloadEntries } from './cpio.js';
import { FileFlag, type RpmHeaderInfo } from './types.js';

/** A package in the host cache: its header, and the .rpm file. */
export interface PackageFile {
  header: RpmHeaderInfo;
  file: string;
}

/** Regular files' bytes from the packages that ship them, by header path; the first package to ship a path wins. */
export async function readPackagedFiles(sources: PackageFile[], wanted: (path: string) => boolean): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const source of sources) {
    const paths = new Set(source.header.files.filter((f) => wanted(f.path) && isRegular(f.mode) && !(f.flags & FileFlag.ghost) && !out.has(f.path)).map((f) => f.path));
    if (paths.size === 0) continue;
    for await (const entry of payloadEntries(source.file, source.header)) {
      if (!paths.has(entry.path) || entry.size === 0) continue;
      const chunks: Buffer[] = [];
      for await (const c of entry.body) chunks.push(Buffer.from(c as Buffer));
      out.set(entry.path, Buffer.concat(chunks));
      paths.delete(entry.path);
      if (paths.size === 0) break;
    }
  }
  return out;
}

/**
 * readPackagedFiles with a memory: images whose files come from the same packages share
 * one read of those payloads. `kind` names the predicate: the same kind, the same files.
 */
export class PackagedFiles {
  private readonly seen = new Map<string, Promise<Map<string, Buffer>>>();

  read(sources: PackageFile[], wanted: (path: string) => boolean, kind: string): Promise<Map<string, Buffer>> {
    const owners = sources.filter((s) => s.header.files.some((f) => wanted(f.path)));
    const key = [kind, ...owners.map((s) => s.file)].join('\0');
    let files = this.seen.get(key);
    if (!files) this.seen.set(key, (files = readPackagedFiles(owners, wanted)));
    return files;
  }
}
