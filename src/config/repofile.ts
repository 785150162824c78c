// dnf `.repo` files (INI): sections are repo ids, keys read the way dnf reads them.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { RepoSource } from '../types/index.js';

/**
 * One `[section]` of a .repo file, values as written (variables not yet substituted):
 * the fields of a RepoSource, but where it came from instead of `origin`, and gpgcheck
 * absent when the file does not say (the loader then decides, see load.ts).
 */
export interface RepoFileEntry extends Omit<RepoSource, 'origin' | 'path' | 'gpgcheck'> {
  /** The .repo file's path. */
  file: string;
  /** 1-based line of the `[id]` header. */
  line: number;
  gpgcheck?: boolean;
  /** Every key of the section, lower-cased, continuation lines joined with "\n". */
  raw: Record<string, string>;
}

/** The directories dnf reads `.repo` files from when `reposdir` is not set. */
export const DEFAULT_REPOSDIR: readonly string[] = ['/etc/yum.repos.d', '/etc/yum/repos.d', '/etc/distro.repos.d'];

/** dnf's list options: separated by commas and/or whitespace (newlines included). */
export function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter((s) => s !== '');
}

/** dnf's boolean options: 1/0, yes/no, true/false, on/off, any case. */
export function parseBool(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === '1' || v === 'yes' || v === 'true' || v === 'on') return true;
  if (v === '0' || v === 'no' || v === 'false' || v === 'off') return false;
  return undefined;
}

interface RawSection {
  id: string;
  line: number;
  keys: Record<string, { value: string; line: number }>;
}

/**
 * Parses the text of one .repo file. Full-line comments start with `#` or `;`
 * (values may contain both, so there are no inline comments); a line that starts
 * with whitespace continues the previous value; keys are case-insensitive and
 * separated from their value by `=` (or `:`). `[main]` is not a repo and is skipped.
 */
export function parseRepoFile(text: string, file: string): RepoFileEntry[] {
  const sections: RawSection[] = [];
  const seen = new Map<string, number>();
  let current: RawSection | undefined;
  let lastKey: { value: string; line: number } | undefined;
  const fail = (line: number, msg: string): never => {
    throw new ConfigError('CONFIG_REPOFILE', `${file}:${line}: ${msg}`, { file });
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '') {
      lastKey = undefined;
      return;
    }
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    if (/^\s/.test(rawLine) && lastKey) {
      lastKey.value += '\n' + trimmed;
      return;
    }
    if (trimmed.startsWith('[')) {
      const m = /^\[\s*([^\]]*?)\s*\]$/.exec(trimmed);
      if (!m || m[1] === '') fail(line, `malformed section header ${JSON.stringify(trimmed)}`);
      const id = m![1]!;
      const prev = seen.get(id);
      if (prev !== undefined) fail(line, `repo [${id}] is defined twice in this file (first at line ${prev})`);
      seen.set(id, line);
      current = { id, line, keys: {} };
      sections.push(current);
      lastKey = undefined;
      return;
    }
    const eq = trimmed.search(/[=:]/);
    if (eq <= 0) fail(line, `expected "key=value" or "[repo-id]", got ${JSON.stringify(trimmed)}`);
    if (!current) fail(line, `"${trimmed}" comes before any [repo-id] section`);
    const key = trimmed.slice(0, eq).trim().toLowerCase();
    const value = trimmed.slice(eq + 1).trim();
    lastKey = { value, line };
    current!.keys[key] = lastKey;
  });

  return sections.filter((s) => s.id !== 'main').map((s) => toEntry(s, file, fail));
}

function toEntry(s: RawSection, file: string, fail: (line: number, msg: string) => never): RepoFileEntry {
  const get = (k: string) => s.keys[k];
  const str = (k: string): string | undefined => {
    const v = get(k)?.value;
    return v === undefined || v === '' ? undefined : v;
  };
  const list = (...keys: string[]): string[] => keys.flatMap((k) => splitList(get(k)?.value ?? ''));
  const bool = (k: string, dflt: boolean | undefined): boolean | undefined => {
    const kv = get(k);
    if (kv === undefined || kv.value === '') return dflt;
    const b = parseBool(kv.value);
    if (b === undefined) fail(kv.line, `[${s.id}] ${k}: expected 1/0, yes/no, true/false or on/off, got ${JSON.stringify(kv.value)}`);
    return b;
  };
  const int = (k: string, dflt: number): number => {
    const kv = get(k);
    if (kv === undefined || kv.value === '') return dflt;
    if (!/^[+-]?\d+$/.test(kv.value)) fail(kv.line, `[${s.id}] ${k}: expected a whole number, got ${JSON.stringify(kv.value)}`);
    return Number.parseInt(kv.value, 10);
  };

  const entry: RepoFileEntry = {
    id: s.id,
    file,
    line: s.line,
    baseurl: list('baseurl'),
    enabled: bool('enabled', true)!,
    gpgkey: list('gpgkey'),
    repo_gpgcheck: bool('repo_gpgcheck', false)!,
    priority: int('priority', 99),
    cost: int('cost', 1000),
    includepkgs: list('includepkgs'),
    // dnf reads `exclude` as an alias of `excludepkgs`
    excludepkgs: list('excludepkgs', 'exclude'),
    sslverify: bool('sslverify', true)!,
    raw: Object.fromEntries(Object.entries(s.keys).map(([k, v]) => [k, v.value])),
  };
  const gpgcheck = bool('gpgcheck', undefined);
  if (gpgcheck !== undefined) entry.gpgcheck = gpgcheck;
  for (const k of ['name', 'metalink', 'mirrorlist', 'sslcacert', 'sslclientcert', 'sslclientkey', 'proxy', 'username', 'password'] as const) {
    const v = str(k);
    if (v !== undefined) entry[k] = v;
  }
  return entry;
}

/** Every repo of every `*.repo` file in `dirs` (missing dirs are fine), by id. */
export interface RepoIndex {
  dirs: readonly string[];
  /** The first definition of each id, in dnf's reading order. */
  byId: Map<string, RepoFileEntry>;
  /** Ids defined more than once, with every definition. */
  duplicates: Map<string, RepoFileEntry[]>;
}

/**
 * Reads the `*.repo` files of `dirs` in dnf's order (directory order, then file
 * name). Unreadable or malformed files are errors; an id defined in two files is
 * reported in `duplicates` (the loader refuses it only when the compose uses it:
 * an unrelated repo defined twice on the host should not break a compose).
 */
export async function readRepoDirs(dirs: readonly string[]): Promise<RepoIndex> {
  const byId = new Map<string, RepoFileEntry>();
  const duplicates = new Map<string, RepoFileEntry[]>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true }))
        .filter((d) => d.name.endsWith('.repo') && (d.isFile() || d.isSymbolicLink()))
        .map((d) => d.name)
        .sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new ConfigError('CONFIG_READ', `cannot read repo directory ${dir}: ${(err as Error).message}`, { cause: err });
    }
    for (const name of names) {
      const file = path.join(dir, name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new ConfigError('CONFIG_READ', `cannot read ${file}: ${(err as Error).message}`, { cause: err, file });
      }
      for (const entry of parseRepoFile(text, file)) {
        const prev = byId.get(entry.id);
        if (!prev) {
          byId.set(entry.id, entry);
          continue;
        }
        const all = duplicates.get(entry.id) ?? [prev];
        all.push(entry);
        duplicates.set(entry.id, all);
      }
    }
  }
  return { dirs, byId, duplicates };
}
