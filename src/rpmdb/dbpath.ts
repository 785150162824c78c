// Where an image's rpm keeps its database: `%_dbpath` from the image's own macro files,
// read in rpm's order (later definitions win), else /usr/lib/sysimage/rpm (Fedora ≥ 36,
// EL 10). Expansion covers macro definitions and references (`%name`, `%{name}`,
// `%{?name}`, `%{?name:text}`, `%{!?name:text}`, `%%`); a %_dbpath that needs anything
// else (shell `%(…)`, lua, rpm's built-in functions) is reported, not guessed.
import { posix } from 'node:path';
import { RpmdbError } from '../errors.js';

/** Fedora ≥ 36 and EL 10; EL 9 and older keep it in /var/lib/rpm. */
export const DEFAULT_DBPATH = '/usr/lib/sysimage/rpm';
/** The two places scanners look; the one that is not the db path links to it. */
export const DBPATHS = ['/usr/lib/sysimage/rpm', '/var/lib/rpm'] as const;

/** What rpm's own macros and platform files define before anything else (rpm 4.18 macros.in, platform). */
const BUILTIN: Record<string, string> = {
  _usr: '/usr',
  _var: '/var',
  _prefix: '%{_usr}',
  _exec_prefix: '%{_prefix}',
  _localstatedir: '%{_var}',
  _sharedstatedir: '%{_var}/lib',
};

/**
 * The macro files rpm reads for `arch` (its %_macrofiles, rpm 4.18 lib/rpmrc.c), as
 * patterns over header paths: a later file overrides an earlier one.
 */
export function macroFileOrder(arch: string): ((path: string) => boolean)[] {
  const platform = `${arch}-linux`;
  const exact = (p: string) => (path: string) => path === p;
  const glob = (dir: string, prefix: string) => (path: string) => posix.dirname(path) === dir && posix.basename(path).startsWith(prefix);
  return [
    exact('/usr/lib/rpm/macros'),
    glob('/usr/lib/rpm/macros.d', 'macros.'),
    exact(`/usr/lib/rpm/platform/${platform}/macros`),
    exact('/usr/lib/rpm/redhat/macros'),
    glob('/etc/rpm', 'macros.'),
    exact('/etc/rpm/macros'),
    exact(`/etc/rpm/${platform}/macros`),
  ];
}

/** Whether the image's rpm would read `path` as a macro file. */
export function isMacroFile(path: string, arch: string): boolean {
  return macroFileOrder(arch).some((m) => m(path));
}

/** Macro definitions of one file: `%name body` at the start of a line, `\` continuing it. */
export function parseMacros(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)}\n${lines[++i]!}`;
    const m = /^\s*%([A-Za-z_][A-Za-z0-9_]*)(\([^)]*\))?\s+([\s\S]*?)\s*$/.exec(line);
    if (!m || m[2]) continue; // parametric macros never name a path
    out.set(m[1]!, m[3]!);
  }
  return out;
}

class Unsupported extends Error {}

function expand(body: string, defs: Map<string, string>, depth = 0): string {
  if (depth > 32) throw new Unsupported('macros nest too deeply');
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const next = body[i + 1];
    if (next === '%') {
      out += '%';
      i++;
      continue;
    }
    if (next === '{') {
      let end = i + 2;
      for (let depth = 1; end < body.length; end++) {
        if (body[end] === '{') depth++;
        else if (body[end] === '}' && --depth === 0) break;
      }
      if (end >= body.length) throw new Unsupported(`unterminated %{ in ${body}`);
      const inner = body.slice(i + 2, end);
      i = end;
      const cond = /^(!?)\?([A-Za-z_][A-Za-z0-9_]*)(?::(.*))?$/s.exec(inner);
      if (cond) {
        const defined = defs.has(cond[2]!);
        const wanted = cond[1] ? !defined : defined;
        if (!wanted) continue;
        out += expand(cond[3] ?? (cond[1] ? '' : defs.get(cond[2]!)!), defs, depth + 1);
        continue;
      }
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) throw new Unsupported(`%{${inner}}`);
      const v = defs.get(inner);
      if (v === undefined) throw new Unsupported(`%{${inner}} (not defined)`);
      out += expand(v, defs, depth + 1);
      continue;
    }
    if (next === '(' || next === '[') throw new Unsupported(`%${next}…`);
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(i + 1))?.[0];
    if (!name) {
      out += c;
      continue;
    }
    const v = defs.get(name);
    if (v === undefined) throw new Unsupported(`%${name} (not defined)`);
    out += expand(v, defs, depth + 1);
    i += name.length;
  }
  return out;
}

export interface DbPathChoice {
  /** Where rpm in this image looks for its database (canonical, absolute). */
  path: string;
  /** The macro file that set it, when one did. */
  from?: string;
}

/**
 * %_dbpath for an image whose macro files are `files` (header path → text), read in rpm's
 * order. Without a macro file that sets it: DEFAULT_DBPATH. `what` names the image in errors.
 */
export function dbPath(files: Map<string, string>, arch: string, what: string): DbPathChoice {
  const defs = new Map(Object.entries(BUILTIN));
  let from: string | undefined;
  for (const matches of macroFileOrder(arch)) {
    for (const path of [...files.keys()].filter(matches).sort()) {
      const parsed = parseMacros(files.get(path)!);
      for (const [k, v] of parsed) defs.set(k, v);
      if (parsed.has('_dbpath')) from = path;
    }
  }
  if (!from) return { path: DEFAULT_DBPATH };
  let path: string;
  try {
    path = expand(defs.get('_dbpath')!, defs).trim();
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    throw new RpmdbError('RPMDB_DBPATH', `${what}: %_dbpath in ${from} cannot be expanded here (${err.message}); supported: macro references, %{?…} conditionals, %%`);
  }
  const normal = posix.normalize(path);
  if (!normal.startsWith('/') || normal === '/' || normal.includes('\n')) {
    throw new RpmdbError('RPMDB_DBPATH', `${what}: %_dbpath in ${from} is ${JSON.stringify(path)}, not an absolute directory`);
  }
  return { path: normal.replace(/\/+$/, ''), from };
}
