// An image's /etc/passwd, /etc/group, /etc/shadow and /etc/gshadow: the ones its
// packages ship, then the accounts declared for it appended in the order they were made
// (as systemd-sysusers and useradd append), group members added where declared. Lines
// are written as the tool that declared them writes them: systemd-sysusers locks with
// `!*`, useradd and groupadd with `!!` and `!`. Shadow's last change is a fixed day (from
// SOURCE_DATE_EPOCH), or empty: never today. Pure.
import { AccountsError } from '../errors.js';
import { describeOrigin, type Decl, type GroupDecl, type Origin, type UserDecl } from './decls.js';
import type { Ids } from './allocate.js';

export const ACCOUNT_FILES = ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow'] as const;
export type AccountFile = (typeof ACCOUNT_FILES)[number];

/** Each file's text; absent when the image has none. */
export type AccountTexts = Partial<Record<AccountFile, string>>;

export interface Created {
  kind: 'user' | 'group';
  name: string;
  id: number;
  origin: Origin;
}

export interface Rendered {
  /** The files that changed, with their new text. */
  changed: AccountTexts;
  created: Created[];
}

/** `name → fields` of a colon file, in order. */
function entries(text: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of (text ?? '').split('\n')) {
    if (!line || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const f = line.split(':');
    if (f[0] && !out.has(f[0])) out.set(f[0], f);
  }
  return out;
}

/** The users and groups a passwd and group text name, with their ids. */
export function existingIds(texts: AccountTexts): { users: Map<string, number>; groups: Map<string, number> } {
  const ids = (m: Map<string, string[]>) => new Map([...m].flatMap(([n, f]) => (/^\d+$/.test(f[2] ?? '') ? [[n, Number(f[2])] as [string, number]] : [])));
  return { users: ids(entries(texts['/etc/passwd'])), groups: ids(entries(texts['/etc/group'])) };
}

/** A text with `lines` appended (a newline first where the text lacks its last one). */
function append(text: string | undefined, lines: string[]): string {
  const base = text ?? '';
  return base + (base && !base.endsWith('\n') ? '\n' : '') + lines.map((l) => `${l}\n`).join('');
}

/** A colon file with members added to the named lines' field `at` (group: 3, gshadow: 3). */
function addMembers(text: string, members: Map<string, string[]>, at: number): string {
  return text
    .split('\n')
    .map((line) => {
      const f = line.split(':');
      const add = f[0] ? members.get(f[0]) : undefined;
      if (!add || f.length <= at) return line;
      const have = f[at] ? f[at]!.split(',') : [];
      f[at] = [...have, ...add.filter((m) => !have.includes(m))].join(',');
      return f.join(':');
    })
    .join('\n');
}

/**
 * The image's account files once `decls` (its own, in the compose's processing order)
 * are made with `ids`. `lastchg`: shadow's day number, undefined for empty.
 */
export function renderAccounts(base: AccountTexts, decls: Decl[], ids: Ids, lastchg: number | undefined): Rendered {
  const users = entries(base['/etc/passwd']);
  const groups = entries(base['/etc/group']);
  const created: Created[] = [];
  const passwd: string[] = [];
  const group: string[] = [];
  const shadow: string[] = [];
  const gshadow: string[] = [];
  const day = lastchg === undefined ? '' : String(lastchg);
  const seen = new Set<string>();
  const addGroup = (g: GroupDecl) => {
    if (groups.has(g.name) || seen.has(`g:${g.name}`)) return;
    seen.add(`g:${g.name}`);
    const gid = ids.groups[g.name]!;
    group.push(`${g.name}:x:${gid}:`);
    gshadow.push(`${g.name}:${g.style === 'sysusers' ? '!*' : '!'}::`);
    created.push({ kind: 'group', name: g.name, id: gid, origin: g.origin });
  };
  const addUser = (u: UserDecl) => {
    if (users.has(u.name) || seen.has(`u:${u.name}`)) return;
    seen.add(`u:${u.name}`);
    const uid = ids.users[u.name]!;
    const g = u.group ?? u.name;
    const known = groups.get(String(g))?.[2];
    const gid = typeof g === 'number' ? g : (ids.groups[g] ?? (known !== undefined && /^\d+$/.test(known) ? Number(known) : undefined));
    if (gid === undefined) throw new AccountsError('ACCOUNTS_NO_GROUP', `user ${u.name} (${describeOrigin(u.origin)}): its group ${g} is neither in the image nor declared`);
    passwd.push(`${u.name}:x:${uid}:${gid}:${u.gecos}:${u.home}:${u.shell}`);
    shadow.push(`${u.name}:${u.style === 'sysusers' ? '!*' : '!!'}:${day}::::::`);
    created.push({ kind: 'user', name: u.name, id: uid, origin: u.origin });
  };
  // The order accounts are made in: groups of their own lines, then each user after its own group.
  const ownGroup = new Map(decls.flatMap((d) => (d.kind === 'group' && d.own ? [[d.name, d] as [string, GroupDecl]] : [])));
  for (const d of decls) if (d.kind === 'group' && !d.own) addGroup(d);
  for (const d of decls) {
    if (d.kind !== 'user') continue;
    const own = d.group === undefined ? ownGroup.get(d.name) : undefined;
    if (own) addGroup(own);
    addUser(d);
  }
  for (const g of ownGroup.values()) addGroup(g);

  const members = new Map<string, string[]>();
  for (const d of decls) {
    if (d.kind !== 'member') continue;
    const list = members.get(d.group) ?? [];
    if (!list.includes(d.user)) list.push(d.user);
    members.set(d.group, list);
  }
  const changed: AccountTexts = {};
  if (passwd.length) changed['/etc/passwd'] = append(base['/etc/passwd'], passwd);
  if (group.length || members.size) changed['/etc/group'] = addMembers(append(base['/etc/group'], group), members, 3);
  if (base['/etc/shadow'] !== undefined && shadow.length) changed['/etc/shadow'] = append(base['/etc/shadow'], shadow);
  if (base['/etc/gshadow'] !== undefined && (gshadow.length || members.size)) changed['/etc/gshadow'] = addMembers(append(base['/etc/gshadow'], gshadow), members, 3);
  for (const [k, v] of Object.entries(changed) as [AccountFile, string][]) if (v === base[k]) delete changed[k];
  return { changed, created };
}
