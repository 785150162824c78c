// Owners by name → numeric ids, from the image's own /etc/passwd and /etc/group, as rpm
// resolves them when it installs. `root` is always 0; an unknown name maps to root (rpm
// does the same, with a warning) and is reported.

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
