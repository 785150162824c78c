// Owners by name → numeric ids, from the image's own /etc/passwd and /etc/group, as rpm
// resolves them when it installs. `root` is always 0; an unknown name maps to root (rpm
// does the same, with a warning) and is reported.
import { isRegular } from '../mode.js';
import { payloadEntries } from '../rpm/cpio.js';
import { FileFlag } from '../rpm/types.js';
import type { LayerSource } from './stream.js';

export interface IdMap {
  uid(user: string): number;
  gid(group: string): number;
  /** Whether the image defines the user (root always); asking does not record it as unknown. */
  hasUser(user: string): boolean;
  hasGroup(group: string): boolean;
  /** Names that were not found, `user:x` / `group:y`, sorted. */
  unknown(): string[];
}

function parse(text: string | undefined, idField: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    const id = Number(f[idField]);
    if (f[0] && Number.isInteger(id) && !out.has(f[0])) out.set(f[0], id);
  }
  return out;
}

export function idMap(passwd: string | undefined, group: string | undefined): IdMap {
  const users = parse(passwd, 2);
  const groups = parse(group, 2);
  const missing = new Set<string>();
  const look = (map: Map<string, number>, kind: string, name: string) => {
    if (name === 'root' || name === '') return 0;
    const id = map.get(name);
    if (id !== undefined) return id;
    missing.add(`${kind}:${name}`);
    return 0;
  };
  const has = (map: Map<string, number>, name: string) => name === 'root' || name === '' || map.has(name);
  return {
    uid: (u) => look(users, 'user', u),
    gid: (g) => look(groups, 'group', g),
    hasUser: (u) => has(users, u),
    hasGroup: (g) => has(groups, g),
    unknown: () => [...missing].sort(),
  };
}

/** The image's account files: owners' names become ids through them. */
export const ACCOUNT_FILES: readonly string[] = ['/etc/passwd', '/etc/group'];

/** Regular files' bytes from the packages that ship them (e.g. /etc/passwd from setup), by header path. */
export async function readPackagedFiles(sources: LayerSource[], wanted: (path: string) => boolean): Promise<Map<string, Buffer>> {
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
 * Reads the files images are configured by (/etc/passwd, rpm's macro files) out of the
 * packages that ship them. Images that get them from the same packages share one read of
 * those payloads. `kind` names the predicate: the same kind must mean the same files.
 */
export class PackagedFiles {
  private readonly seen = new Map<string, Promise<Map<string, Buffer>>>();

  read(sources: LayerSource[], wanted: (path: string) => boolean, kind: string): Promise<Map<string, Buffer>> {
    const owners = sources.filter((s) => s.header.files.some((f) => wanted(f.path)));
    const key = [kind, ...owners.map((s) => s.file)].join('\0');
    let files = this.seen.get(key);
    if (!files) this.seen.set(key, (files = readPackagedFiles(owners, wanted)));
    return files;
  }
}

/** The image's IdMap, from its own /etc/passwd and /etc/group. */
export async function imageIds(reader: PackagedFiles, sources: LayerSource[]): Promise<IdMap> {
  const got = await reader.read(sources, (p) => ACCOUNT_FILES.includes(p), 'accounts');
  return idMap(got.get('/etc/passwd')?.toString('utf8'), got.get('/etc/group')?.toString('utf8'));
}
