// The users and groups of a %pre scriptlet that is nothing but the packaging
// guidelines' idiom, read as declarations and never run:
//
//   getent group X >/dev/null || groupadd -r X
//   getent passwd X >/dev/null || useradd -r -g X -d HOME -s SHELL -c COMMENT X
//   usermod -a -G G X ; : ; exit 0
//
// Literal arguments only: a variable, a substitution, a pipe, a conditional, any other
// command, or an option this does not know makes the whole scriptlet "not the idiom",
// and the report says why (scriptlets are not run).
import type { Decl, Origin } from './decls.js';

/** useradd's defaults (shadow-utils, /etc/default/useradd on EL). */
export const USERADD_SHELL = '/bin/bash';
export const USERADD_HOME = '/home';

export type PreinResult = { decls: Decl[] } | { unparsed: string };

type Token = { word: string } | { op: string };

class NotIdiom extends Error {}

function tokens(script: string): Token[] {
  const out: Token[] = [];
  const s = script.replace(/\\\n/g, ' ');
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < s.length && s[i] !== '\n') i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '||' || two === '&&') {
      out.push({ op: two });
      i += 2;
      continue;
    }
    if (c === '\n' || c === ';') {
      out.push({ op: ';' });
      i++;
      continue;
    }
    // Redirections to /dev/null, and 2>&1: they change nothing the idiom declares.
    const redirect = /^(?:[12]?>>?|&>)\s*(\/dev\/null)|^2>&1|^>&\s*\/dev\/null/.exec(s.slice(i));
    if (redirect) {
      i += redirect[0].length;
      continue;
    }
    if ('|&<>()`$'.includes(c)) throw new NotIdiom(`it uses ${JSON.stringify(c)}`);
    let word = '';
    while (i < s.length && !' \t\n;|&<>()#'.includes(s[i]!)) {
      const ch = s[i]!;
      if (ch === '$' || ch === '`') throw new NotIdiom('it expands variables or commands');
      if (ch === "'") {
        const end = s.indexOf("'", i + 1);
        if (end < 0) throw new NotIdiom('a quote is not closed');
        word += s.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '"') {
        const end = s.indexOf('"', i + 1);
        if (end < 0) throw new NotIdiom('a quote is not closed');
        const inner = s.slice(i + 1, end);
        if (/[$`\\]/.test(inner)) throw new NotIdiom('it expands variables or commands');
        word += inner;
        i = end + 1;
      } else if (ch === '\\') {
        word += s[i + 1] ?? '';
        i += 2;
      } else {
        if ('*?['.includes(ch)) throw new NotIdiom(`it uses the glob ${JSON.stringify(ch)}`);
        word += ch;
        i++;
      }
    }
    out.push({ word });
  }
  return out;
}

/** Options of one command: `-x`, `-xVALUE`, `--long`, `--long=VALUE`, `--long VALUE`, grouped flags (`-aG`). */
function options(args: string[], spec: Record<string, { takes: boolean; as: string }>, command: string): { opts: Map<string, string>; rest: string[] } {
  const opts = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--') && a.length > 2) {
      const [flag, inline] = a.split(/=(.*)/s) as [string, string | undefined];
      const o = spec[flag];
      if (!o) throw new NotIdiom(`${command} ${flag} is not part of the idiom`);
      if (o.takes) {
        const v = inline ?? args[++i];
        if (v === undefined) throw new NotIdiom(`${command} ${flag} needs a value`);
        opts.set(o.as, v);
      } else opts.set(o.as, '');
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const o = spec[`-${a[j]}`];
        if (!o) throw new NotIdiom(`${command} -${a[j]} is not part of the idiom`);
        if (o.takes) {
          const v = a.slice(j + 1) || args[++i];
          if (v === undefined) throw new NotIdiom(`${command} -${a[j]} needs a value`);
          opts.set(o.as, v);
          break;
        }
        opts.set(o.as, '');
      }
    } else rest.push(a);
  }
  return { opts, rest };
}

const flag = (as: string) => ({ takes: false, as });
const value = (as: string) => ({ takes: true, as });
const GROUPADD = { '-r': flag('system'), '--system': flag('system'), '-f': flag('force'), '--force': flag('force'), '-g': value('gid'), '--gid': value('gid') };
const USERADD = {
  '-r': flag('system'), '--system': flag('system'),
  '-g': value('gid'), '--gid': value('gid'),
  '-G': value('groups'), '--groups': value('groups'),
  '-d': value('home'), '--home-dir': value('home'), '--home': value('home'),
  '-s': value('shell'), '--shell': value('shell'),
  '-c': value('comment'), '--comment': value('comment'),
  '-u': value('uid'), '--uid': value('uid'),
  '-M': flag('nohome'), '--no-create-home': flag('nohome'),
  '-N': flag('nousergroup'), '--no-user-group': flag('nousergroup'),
  '-U': flag('usergroup'), '--user-group': flag('usergroup'),
  '-l': flag('nolog'), '--no-log-init': flag('nolog'),
};
const USERMOD = { '-a': flag('append'), '--append': flag('append'), '-G': value('groups'), '--groups': value('groups') };

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;
const number = (v: string, what: string): number => {
  if (!/^\d+$/.test(v)) throw new NotIdiom(`${what} ${JSON.stringify(v)} is not a number`);
  return Number(v);
};
const oneName = (rest: string[], command: string): string => {
  if (rest.length !== 1 || !NAME.test(rest[0]!)) throw new NotIdiom(`${command} needs exactly one name, got ${JSON.stringify(rest.join(' '))}`);
  return rest[0]!;
};

function command(words: string[], origin: Origin, decls: Decl[]): void {
  const name = words[0]!.replace(/^\/(?:usr\/)?s?bin\//, '');
  const args = words.slice(1);
  switch (name) {
    case ':':
    case 'true':
      return;
    case 'exit':
      if (args.length > 1 || (args.length === 1 && args[0] !== '0')) throw new NotIdiom(`it exits with ${args.join(' ')}`);
      return;
    case 'getent':
      if (args.length !== 2 || !['group', 'passwd'].includes(args[0]!) || !NAME.test(args[1]!)) throw new NotIdiom(`getent ${args.join(' ')} is not part of the idiom`);
      return;
    case 'groupadd': {
      const { opts, rest } = options(args, GROUPADD, 'groupadd');
      const group = oneName(rest, 'groupadd');
      const gid = opts.has('gid') ? number(opts.get('gid')!, 'groupadd -g') : undefined;
      decls.push({ kind: 'group', name: group, ...(gid !== undefined ? { gid } : {}), origin, style: 'useradd' });
      return;
    }
    case 'useradd': {
      const { opts, rest } = options(args, USERADD, 'useradd');
      const user = oneName(rest, 'useradd');
      const uid = opts.has('uid') ? number(opts.get('uid')!, 'useradd -u') : undefined;
      const g = opts.get('gid');
      const group = g === undefined ? undefined : /^\d+$/.test(g) ? Number(g) : g;
      if (group !== undefined && typeof group === 'string' && !NAME.test(group)) throw new NotIdiom(`useradd -g ${JSON.stringify(g)}`);
      decls.push({
        kind: 'user',
        name: user,
        ...(uid !== undefined ? { uid } : {}),
        // Without -g, useradd makes a group of the user's name (USERGROUPS_ENAB), or with -N
        // puts it in "users" (GROUP=100 in /etc/default/useradd).
        ...(group !== undefined ? { group } : opts.has('nousergroup') ? { group: 100 } : {}),
        gecos: opts.get('comment') ?? '',
        home: opts.get('home') ?? `${USERADD_HOME}/${user}`,
        shell: opts.get('shell') ?? USERADD_SHELL,
        origin,
        style: 'useradd',
      });
      if (group === undefined && !opts.has('nousergroup')) decls.push({ kind: 'group', name: user, ...(uid !== undefined ? { prefer: uid } : {}), own: true, origin, style: 'useradd' });
      for (const member of (opts.get('groups') ?? '').split(',').filter(Boolean)) decls.push({ kind: 'member', user, group: member, origin });
      return;
    }
    case 'usermod': {
      const { opts, rest } = options(args, USERMOD, 'usermod');
      const user = oneName(rest, 'usermod');
      if (!opts.has('append') || !opts.has('groups')) throw new NotIdiom('usermod other than -a -G');
      for (const member of opts.get('groups')!.split(',').filter(Boolean)) decls.push({ kind: 'member', user, group: member, origin });
      return;
    }
    default:
      throw new NotIdiom(`it runs ${JSON.stringify(words[0])}`);
  }
}

/**
 * A %pre scriptlet read as declarations, or why it is not the idiom. `interpreter`:
 * RPMTAG_PREINPROG ('' or /bin/sh, /bin/bash, /usr/bin/bash for the idiom).
 */
export function parsePrein(script: string, interpreter: string, origin: Origin): PreinResult {
  if (interpreter && !['/bin/sh', '/bin/bash', '/usr/bin/sh', '/usr/bin/bash'].includes(interpreter)) return { unparsed: `its interpreter is ${interpreter}` };
  try {
    const decls: Decl[] = [];
    let words: string[] = [];
    const end = () => {
      if (words.length) command(words, origin, decls);
      words = [];
    };
    for (const t of tokens(script)) {
      if ('word' in t) words.push(t.word);
      else {
        if (words.length === 0 && t.op !== ';') throw new NotIdiom(`${t.op} without a command before it`);
        end();
      }
    }
    end();
    return { decls };
  } catch (err) {
    if (err instanceof NotIdiom) return { unparsed: err.message };
    throw err;
  }
}
