// What an image's packages (and the compose) declare about users and groups, whatever
// the source: sysusers.d lines, rpm's user()/group() provides, the %pre idiom, the
// compose file. Pure values.

/** Where a declaration comes from, for the report and for errors. */
export interface Origin {
  kind: 'sysusers' | 'provides' | 'pre' | 'compose';
  /** The package's NEVRA (not for the compose). */
  package?: string;
  /** The sysusers.d file, or the JSON path in the compose file. */
  where?: string;
}

/** How the account's lines are written: as systemd-sysusers does, or as shadow-utils' useradd/groupadd do. */
export type Style = 'sysusers' | 'useradd';

export interface GroupDecl {
  kind: 'group';
  name: string;
  /** Explicit gid; allocated when absent. */
  gid?: number;
  /** A gid to take when it is free (a `u` line's uid for the user's own group). */
  prefer?: number;
  /** The group a user declaration makes of its own name: allocated with the user, after the other groups. */
  own?: boolean;
  origin: Origin;
  style: Style;
}

export interface UserDecl {
  kind: 'user';
  name: string;
  /** Explicit uid; allocated when absent. */
  uid?: number;
  /** The primary group: a name, or an explicit gid. Default: a group of the user's own name, made with it. */
  group?: string | number;
  gecos: string;
  home: string;
  shell: string;
  origin: Origin;
  style: Style;
}

/** `m` lines, `usermod -a -G`, `useradd -G`, the compose's `members`: the user joins the group. */
export interface MemberDecl {
  kind: 'member';
  user: string;
  group: string;
  origin: Origin;
}

/** `r` lines: the ids automatic allocation may use. */
export interface RangeDecl {
  kind: 'range';
  from: number;
  to: number;
  origin: Origin;
}

export type Decl = GroupDecl | UserDecl | MemberDecl | RangeDecl;

/** A declaration's source, for people: `httpd-2.4-1.x86_64 (/usr/lib/sysusers.d/httpd.conf)`. */
export function describeOrigin(o: Origin): string {
  if (o.kind === 'compose') return `the compose file (${o.where})`;
  const what = o.kind === 'pre' ? '%pre' : o.kind === 'provides' ? 'user()/group() provides' : o.where;
  return `${o.package} (${what})`;
}
