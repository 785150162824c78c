// One id per account name for the whole compose, the way systemd-sysusers 252 allocates
// system ids (src/sysusers/sysusers.c add_group, add_user): groups first, then users; a
// group takes its user's suggested uid when free, a user its group's gid when free, and
// anything else the highest free id of the ranges (1–999 unless `r` lines say otherwise),
// one counter for both. An id is free when no image of the compose uses it for another
// name (as uid or, to keep user/group pairs equal, as gid), no declaration asks for it
// and the lock does not pin it to another name. Explicit ids are kept; ids the lock pins
// come back unchanged; names an image already has keep its id. Pure.
import { AccountsError } from '../errors.js';
import { describeOrigin, type Decl, type GroupDecl, type Origin, type UserDecl } from './decls.js';

/** name → id, for users and for groups. */
export interface Ids {
  users: Record<string, number>;
  groups: Record<string, number>;
}

/** What the images already have, from their own files: name → id. */
export interface Existing {
  users: Map<string, number>;
  groups: Map<string, number>;
}

export interface Allocation {
  ids: Ids;
  /** Warnings: a compose entry that a package declares too, and so on. */
  warnings: string[];
}

const SYSTEM_RANGE = { from: 1, to: 999 };

/**
 * Ids for every declared account. `decls` in processing order (sysusers files by name,
 * then %pre, then the compose); `existing`: every image's own accounts; `pinned`: the lock's.
 */
export function allocate(decls: Decl[], existing: Existing[], pinned: Ids = { users: {}, groups: {} }): Allocation {
  const warnings: string[] = [];
  // Groups of their own lines first: sysusers makes them before any user's own group.
  const groupDecls = decls.filter((d): d is GroupDecl => d.kind === 'group');
  const groups = firstOf([...groupDecls.filter((d) => !d.own), ...groupDecls.filter((d) => d.own)], (d) => d.name, (d) => d.gid, 'gid', warnings);
  const users = firstOf(decls.filter((d): d is UserDecl => d.kind === 'user'), (d) => d.name, (d) => d.uid, 'uid', warnings);
  const ranges = decls.flatMap((d) => (d.kind === 'range' ? [{ from: d.from, to: d.to }] : []));
  const pool = (ranges.length ? ranges : [SYSTEM_RANGE]).sort((a, b) => b.to - a.to);

  // Every id in use, by name: the images' own accounts, explicit ids, pins.
  const uidOwner = new Map<number, string>();
  const gidOwner = new Map<number, string>();
  const claim = (owners: Map<number, string>, id: number, name: string, what: string, origin?: Origin) => {
    const other = owners.get(id);
    if (other !== undefined && other !== name) {
      throw new AccountsError('ACCOUNTS_ID_CONFLICT', `${what} ${id} is both ${other}'s and ${name}'s${origin ? ` (${describeOrigin(origin)})` : ''}`);
    }
    owners.set(id, name);
  };
  const known = { users: new Map<string, number>(), groups: new Map<string, number>() };
  for (const e of existing) {
    for (const [name, id] of e.users) {
      if (!uidOwner.has(id)) uidOwner.set(id, name);
      if (!known.users.has(name)) known.users.set(name, id);
    }
    for (const [name, id] of e.groups) {
      if (!gidOwner.has(id)) gidOwner.set(id, name);
      if (!known.groups.has(name)) known.groups.set(name, id);
    }
  }
  for (const [name, id] of Object.entries(pinned.users)) if (!uidOwner.has(id)) uidOwner.set(id, name);
  for (const [name, id] of Object.entries(pinned.groups)) if (!gidOwner.has(id)) gidOwner.set(id, name);
  for (const g of groups.values()) if (g.gid !== undefined) claim(gidOwner, g.gid, g.name, 'gid', g.origin);
  for (const u of users.values()) if (u.uid !== undefined) claim(uidOwner, u.uid, u.name, 'uid', u.origin);

  const ids: Ids = { users: {}, groups: {} };
  const uidOk = (id: number, name: string, withGid: boolean) => (uidOwner.get(id) ?? name) === name && (!withGid || (gidOwner.get(id) ?? name) === name);
  const gidOk = (id: number, name: string, withUid: boolean) => (gidOwner.get(id) ?? name) === name && (!withUid || (uidOwner.get(id) ?? name) === name);
  // sysusers' one search counter, for groups and users alike, going down.
  let search = Infinity;
  const nextFree = (ok: (id: number) => boolean, name: string): number => {
    for (const r of pool) {
      for (let id = Math.min(search - 1, r.to); id >= r.from; id--) {
        if (ok(id)) {
          search = id;
          return id;
        }
      }
    }
    throw new AccountsError('ACCOUNTS_EXHAUSTED', `no free id left for ${name} in ${pool.map((r) => `${r.from}-${r.to}`).join(', ')}`);
  };
  const groupId = (g: GroupDecl, suggestedUid?: number): number => {
    const have = g.gid ?? pinned.groups[g.name] ?? known.groups.get(g.name);
    if (have !== undefined) return have;
    const prefer = g.prefer ?? suggestedUid;
    if (prefer !== undefined && gidOk(prefer, g.name, true)) return prefer;
    return nextFree((id) => gidOk(id, g.name, true), g.name);
  };
  // Groups first, as sysusers processes them, then each user with its own group.
  for (const g of groups.values()) {
    if (g.own && users.has(g.name)) continue; // made with its user, below
    ids.groups[g.name] = groupId(g);
    gidOwner.set(ids.groups[g.name]!, g.name);
  }
  for (const u of users.values()) {
    const own = groups.get(u.name);
    if (u.group === undefined && own && ids.groups[u.name] === undefined) {
      ids.groups[u.name] = groupId(own, u.uid ?? pinned.users[u.name] ?? known.users.get(u.name));
      gidOwner.set(ids.groups[u.name]!, u.name);
    }
    const have = u.uid ?? pinned.users[u.name] ?? known.users.get(u.name);
    let uid: number;
    if (have !== undefined) uid = have;
    else {
      const gid = typeof u.group === 'number' ? u.group : ids.groups[u.group ?? u.name] ?? known.groups.get(u.group ?? u.name);
      uid = gid !== undefined && uidOk(gid, u.name, true) ? gid : nextFree((id) => uidOk(id, u.name, true), u.name);
    }
    ids.users[u.name] = uid;
    uidOwner.set(uid, u.name);
  }
  return { ids, warnings };
}

/**
 * The first declaration of each name, in order. A later one with another explicit id is
 * an error naming both; the compose's own entry wins over a package's, with a warning.
 */
function firstOf<T extends { name: string; origin: Origin }>(decls: T[], name: (d: T) => string, id: (d: T) => number | undefined, what: string, warnings: string[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const d of decls) {
    const prev = out.get(name(d));
    if (!prev) {
      out.set(name(d), d);
      continue;
    }
    if (d.origin.kind === 'compose' && prev.origin.kind !== 'compose') {
      warnings.push(`${name(d)}: the compose file's entry (${d.origin.where}) wins over ${describeOrigin(prev.origin)}`);
      out.set(name(d), d);
      continue;
    }
    const a = id(prev);
    const b = id(d);
    if (a !== undefined && b !== undefined && a !== b) {
      throw new AccountsError('ACCOUNTS_ID_CONFLICT', `${name(d)} has ${what} ${a} in ${describeOrigin(prev.origin)} and ${what} ${b} in ${describeOrigin(d.origin)}`);
    }
    if (a === undefined && b !== undefined) out.set(name(d), d);
  }
  return out;
}
