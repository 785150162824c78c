// sysusers.d(5) lines (`u`, `g`, `m`, `r`), as systemd-sysusers 252 reads them: fields
// separated by blanks, "quoted" with C escapes, `-` for unset. A `u` line makes a group
// of the user's name too, unless its ID field names one (`uid:group`). What rpmcompose
// cannot know without the image (an ID given as a path, specifiers) is reported as a
// problem of that line, not guessed.
import type { Decl, Origin } from './decls.js';

/** systemd-sysusers' defaults for what a `u` line leaves unset. */
export const SYSUSERS_HOME = '/';
export const SYSUSERS_SHELL = '/usr/sbin/nologin';

export interface Parsed {
  decls: Decl[];
  /** Lines left out, with why: `<where>:<line>: <why>`. */
  problems: string[];
}

/** The fields of one line: blank-separated, double or single quotes grouping, backslash escapes. */
function fields(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let word = '';
    let quote = '';
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (quote) {
        if (c === quote) quote = '';
        else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
        else word += c;
        continue;
      }
      if (/\s/.test(c)) break;
      if (c === '"' || c === "'") quote = c;
      else if (c === '\\' && i + 1 < line.length) word += line[++i];
      else word += c;
    }
    if (quote) return undefined;
    out.push(word);
  }
  return out;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;
const unset = (v: string | undefined) => v === undefined || v === '-' || v === '';
const id = (v: string) => (/^\d+$/.test(v) && Number(v) < 2 ** 32 - 1 ? Number(v) : undefined);

/** The declarations of one sysusers.d file (`where` names it in problems). */
export function parseSysusers(text: string, origin: Origin): Parsed {
  const decls: Decl[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, n) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = `${origin.where ?? 'sysusers'}:${n + 1}`;
    const f = fields(line);
    if (!f) return void problems.push(`${at}: unbalanced quotes`);
    const [type, name, idField, gecos, home, shell] = f;
    if (line.includes('%')) return void problems.push(`${at}: specifiers (%) are not expanded here`);
    const t = type!.replace(/!$/, '');
    switch (t) {
      case 'g': {
        if (!name || !NAME.test(name)) return void problems.push(`${at}: bad group name ${JSON.stringify(name)}`);
        if (unset(idField)) return void decls.push({ kind: 'group', name, origin, style: 'sysusers' });
        const gid = id(idField!);
        if (gid === undefined) return void problems.push(`${at}: group ${name}: ID ${JSON.stringify(idField)} is not a number (a path is read from the image, which rpmcompose does not do)`);
        return void decls.push({ kind: 'group', name, gid, origin, style: 'sysusers' });
      }
      case 'u': {
        if (!name || !NAME.test(name)) return void problems.push(`${at}: bad user name ${JSON.stringify(name)}`);
        let uid: number | undefined;
        let group: string | number | undefined;
        if (!unset(idField)) {
          const [u, g] = idField!.split(':');
          if (u !== '-') {
            uid = id(u!);
            if (uid === undefined) return void problems.push(`${at}: user ${name}: ID ${JSON.stringify(idField)} is not a number (a path is read from the image, which rpmcompose does not do)`);
          }
          if (g !== undefined) group = id(g) ?? g;
        }
        decls.push({
          kind: 'user',
          name,
          ...(uid !== undefined ? { uid } : {}),
          ...(group !== undefined ? { group } : {}),
          gecos: unset(gecos) ? '' : gecos!,
          home: unset(home) ? SYSUSERS_HOME : home!,
          shell: unset(shell) ? (uid === 0 ? '/bin/sh' : SYSUSERS_SHELL) : shell!,
          origin,
          style: 'sysusers',
        });
        // The user's own group, with the uid as its gid when free (allocate.ts).
        if (group === undefined) decls.push({ kind: 'group', name, ...(uid !== undefined ? { prefer: uid } : {}), own: true, origin, style: 'sysusers' });
        return;
      }
      case 'm': {
        if (!name || !NAME.test(name) || !idField || !NAME.test(idField)) return void problems.push(`${at}: an m line needs a user and a group`);
        return void decls.push({ kind: 'member', user: name, group: idField, origin });
      }
      case 'r': {
        const m = /^(\d+)(?:-(\d+))?$/.exec(idField ?? '');
        if (!m) return void problems.push(`${at}: an r line needs a range such as 500-900`);
        const from = Number(m[1]);
        const to = Number(m[2] ?? m[1]);
        if (to < from) return void problems.push(`${at}: empty range ${idField}`);
        return void decls.push({ kind: 'range', from, to, origin });
      }
      default:
        return void problems.push(`${at}: unknown line type ${JSON.stringify(type)}`);
    }
  });
  return { decls, problems };
}
