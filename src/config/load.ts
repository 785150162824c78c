// compose.json → Compose: read, parse (with positions), validate, resolve .repo
// references, and build per-arch repo lists with dnf variables substituted.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { describeIssues, type Problem } from './issues.js';
import { formatPath, JsonSyntaxError, parseJson, type JsonPath, type ParsedJson } from './json.js';
import { DEFAULT_REPOSDIR, readRepoDirs, type RepoFileEntry } from './repofile.js';
import { composeSchema, type ComposeFile, type ImageFile, type RepoObject } from './schema.js';
import type { Compose, ComposeOptions, ImageDef, RepoSource } from '../types/index.js';
import { archVars, hostArch, readVarsDir, substitute } from './vars.js';

export interface LoadOptions {
  /** dnf vars directory (or directories, later ones win); default `/etc/dnf/vars`. Missing is fine. */
  varsDir?: string | string[];
}

export const DEFAULT_VARSDIR = '/etc/dnf/vars';

/** A repo before substitution: everything reposFor needs to make a RepoSource. */
interface RepoTemplate {
  source: Omit<RepoSource, 'id' | 'origin' | 'path'>;
  id: string;
  origin: string;
  path: string;
  /** Relative paths and `file:` URLs are resolved against this directory. */
  baseDir: string;
}

/**
 * Loads a compose file. Every problem is a ConfigError whose message names the file:
 * CONFIG_READ (unreadable), CONFIG_JSON (syntax, duplicate key; with line:column),
 * CONFIG_SCHEMA (all schema problems at once, one line each, with JSON paths),
 * CONFIG_REPO_NOT_FOUND / CONFIG_REPO_DUPLICATE / CONFIG_REPOFILE (.repo files).
 */
export async function loadCompose(file: string, opts: LoadOptions = {}): Promise<Compose> {
  const absFile = path.resolve(file);
  const baseDir = path.dirname(absFile);
  const shown = file;

  let text: string;
  try {
    text = await readFile(absFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ConfigError('CONFIG_READ', `${shown}: cannot read the compose file: ${why}`, { cause: err, file: shown });
  }

  const parsed = parseOrThrow(text, shown);
  const result = composeSchema.safeParse(parsed.value);
  const problems = [...reservedKeys(parsed.value, []), ...(result.success ? [] : describeIssues(result.error.issues, parsed.value))];
  if (problems.length || !result.success) throw schemaError(shown, problems, parsed);
  const cf = result.data;

  const arch = dedupe(cf.arch ?? [hostArch()]);
  const reposdir = (cf.reposdir ?? DEFAULT_REPOSDIR).map((d) => path.resolve(baseDir, d));

  const varsDirs = opts.varsDir === undefined ? [DEFAULT_VARSDIR] : Array.isArray(opts.varsDir) ? opts.varsDir : [opts.varsDir];
  const vars: Record<string, string> = {};
  for (const dir of varsDirs) Object.assign(vars, await readVarsDir(dir));
  Object.assign(vars, cf.vars);

  const templates = await repoTemplates(cf, parsed, shown, baseDir, reposdir);
  const images: Record<string, ImageDef> = {};
  for (const name of orderedKeys(cf.images, ['images'], parsed)) images[name] = imageDef(name, cf.images[name]!, arch, cf.options);

  const cache = new Map<string, RepoSource[]>();
  const compose: Compose = {
    file: absFile,
    releasever: cf.releasever,
    arch,
    vars,
    options: { ...cf.options, langs: [...cf.options.langs] },
    modules: [...cf.modules],
    users: cf.users.map((u) => ({ ...u, ...(u.groups ? { groups: [...u.groups] } : {}) })),
    groups: cf.groups.map((g) => ({ ...g, ...(g.members ? { members: [...g.members] } : {}) })),
    images,
    reposFor(forArch: string): RepoSource[] {
      let repos = cache.get(forArch);
      if (!repos) {
        const v = archVars(forArch, compose.releasever, compose.vars);
        repos = templates.map((t) => instantiate(t, v));
        cache.set(forArch, repos);
      }
      return repos.map(cloneRepo);
    },
  };
  return compose;
}

function parseOrThrow(text: string, shown: string): ParsedJson {
  let parsed: ParsedJson;
  try {
    parsed = parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      const { line, column } = err.position;
      throw new ConfigError('CONFIG_JSON', `${shown}:${line}:${column}: invalid JSON: ${err.message}`, { cause: err, file: shown });
    }
    throw err;
  }
  const dup = parsed.duplicates[0];
  if (dup) {
    const lines = parsed.duplicates.map(
      (d) =>
        `${shown}:${d.position.line}:${d.position.column}: ${formatPath(d.path)} is given twice (first at line ${d.first.line}); JSON keeps only the last one`,
    );
    throw new ConfigError('CONFIG_JSON', lines.join('\n'), { file: shown, path: formatPath(dup.path) });
  }
  return parsed;
}

/**
 * Keys JavaScript objects cannot hold as plain data (`__proto__` sets the prototype): an
 * image or repo of that name would vanish without a word, so it is refused by name.
 */
function reservedKeys(value: unknown, at: JsonPath): Problem[] {
  if (!value || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => reservedKeys(v, [...at, i]));
  return Object.entries(value).flatMap(([k, v]) =>
    k === '__proto__'
      ? [{ path: [...at, k], message: 'the name "__proto__" is reserved (JavaScript gives it a meaning of its own); choose another' }]
      : reservedKeys(v, [...at, k]),
  );
}

/** Nearest known position of a path or one of its ancestors. */
function lineOf(parsed: ParsedJson, p: JsonPath): number | undefined {
  for (let n = p.length; n >= 0; n--) {
    const pos = parsed.positions.get(formatPath(p.slice(0, n)));
    if (pos) return pos.line;
  }
  return undefined;
}

function schemaError(shown: string, problems: Problem[], parsed: ParsedJson): ConfigError {
  const rows = problems.map((pr) => ({ pr, line: lineOf(parsed, pr.path) ?? 0 }));
  rows.sort((a, b) => a.line - b.line);
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const { pr, line } of rows) {
    const text = `${shown}: ${formatPath(pr.path)}: ${pr.message}${line ? ` (line ${line})` : ''}`;
    if (!seen.has(text)) lines.push(text);
    seen.add(text);
  }
  const first = rows[0]?.pr.path;
  return new ConfigError('CONFIG_SCHEMA', lines.join('\n'), { file: shown, path: first ? formatPath(first) : undefined });
}

function dedupe<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** An object's keys in file order (JS puts integer-like keys first otherwise). */
function orderedKeys(obj: object, at: JsonPath, parsed: ParsedJson): string[] {
  const pos = (k: string) => parsed.positions.get(formatPath([...at, k]));
  return Object.keys(obj).sort((a, b) => {
    const pa = pos(a);
    const pb = pos(b);
    if (!pa || !pb) return 0;
    return pa.line - pb.line || pa.column - pb.column;
  });
}

function imageDef(name: string, img: ImageFile, composeArch: string[], options: ComposeOptions): ImageDef {
  const own = Object.fromEntries(Object.entries(img.options ?? {}).filter(([, v]) => v !== undefined));
  const merged = { ...options, ...own };
  const def: ImageDef = {
    name,
    packages: [...img.packages],
    exclude: [...img.exclude],
    arch: img.arch ? composeArch.filter((a) => img.arch!.includes(a)) : [...composeArch],
    env: { ...img.env },
    expose: dedupe(img.expose),
    labels: { ...img.labels },
    options: { ...merged, langs: [...merged.langs] },
  };
  if (img.entrypoint) def.entrypoint = [...img.entrypoint];
  if (img.cmd) def.cmd = [...img.cmd];
  if (img.user !== undefined) def.user = img.user;
  if (img.workdir !== undefined) def.workdir = img.workdir;
  return def;
}

async function repoTemplates(
  cf: ComposeFile,
  parsed: ParsedJson,
  shown: string,
  baseDir: string,
  reposdir: string[],
): Promise<RepoTemplate[]> {
  const ids = orderedKeys(cf.repos, ['repos'], parsed);
  const refs = new Set(ids.map((id) => cf.repos[id]).filter((r): r is string => typeof r === 'string'));
  const index = refs.size ? await readRepoDirs(reposdir) : undefined;

  return ids.map((id): RepoTemplate => {
    const def = cf.repos[id]!;
    if (typeof def !== 'string') return fromObject(id, def, baseDir);
    const entry = index!.byId.get(def);
    if (!entry) {
      const known = [...index!.byId.keys()].sort();
      const hint = known.length ? `; repos found there: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}` : '; no .repo files found there';
      throw new ConfigError(
        'CONFIG_REPO_NOT_FOUND',
        `${shown}: ${formatPath(['repos', id])}: repo "${def}" is not defined in any .repo file under ${reposdir.join(', ')}${hint}`,
        { file: shown, path: formatPath(['repos', id]) },
      );
    }
    const dups = index!.duplicates.get(def);
    if (dups) {
      throw new ConfigError(
        'CONFIG_REPO_DUPLICATE',
        `${shown}: ${formatPath(['repos', id])}: repo "${def}" is defined more than once: ${dups.map((e) => `${e.file}:${e.line}`).join(' and ')}`,
        { file: shown, path: formatPath(['repos', id]) },
      );
    }
    return fromRepoFile(id, entry);
  });
}

/** A repo definition as either form gives it: the compose file's object or a .repo section. */
type RepoDefinition = Omit<RepoSource, 'id' | 'origin' | 'path' | 'baseurl' | 'gpgcheck'> & { baseurl?: readonly string[]; gpgcheck?: boolean };

/** The RepoSource fields of a definition, copied; `gpgcheck` defaults to whether a key is given. */
function sourceFields(d: RepoDefinition, enabled: boolean): RepoTemplate['source'] {
  const source: RepoTemplate['source'] = {
    baseurl: [...(d.baseurl ?? [])],
    enabled,
    gpgkey: [...d.gpgkey],
    gpgcheck: d.gpgcheck ?? d.gpgkey.length > 0,
    repo_gpgcheck: d.repo_gpgcheck,
    priority: d.priority,
    cost: d.cost,
    includepkgs: [...d.includepkgs],
    excludepkgs: [...d.excludepkgs],
    sslverify: d.sslverify,
  };
  for (const k of ['name', 'metalink', 'mirrorlist', 'sslcacert', 'sslclientcert', 'sslclientkey', 'proxy', 'username', 'password'] as const) {
    const v = d[k];
    if (v !== undefined) source[k] = v;
  }
  return source;
}

function fromObject(id: string, r: RepoObject, baseDir: string): RepoTemplate {
  return { id, origin: formatPath(['repos', id]), path: formatPath(['repos', id]), baseDir, source: sourceFields(r, r.enabled) };
}

function fromRepoFile(id: string, e: RepoFileEntry): RepoTemplate {
  if (e.baseurl.length === 0 && !e.metalink && !e.mirrorlist) {
    throw new ConfigError('CONFIG_REPOFILE', `${e.file}:${e.line}: repo [${e.id}] has no baseurl, metalink or mirrorlist`, { file: e.file, path: formatPath(['repos', id]) });
  }
  // Naming a repo in the compose selects it, as `dnf --repo=ID` does, whatever its `enabled=`.
  return { id, origin: e.file, path: formatPath(['repos', id]), baseDir: path.dirname(e.file), source: sourceFields(e, true) };
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * A location (baseurl, metalink, mirrorlist, gpgkey) as a URL: http(s) and other
 * URLs are kept; `file:relative/path` and bare paths become `file:///abs/path`,
 * relative ones resolved against `baseDir`. A trailing `/` is kept.
 */
export function resolveLocation(loc: string, baseDir: string): string {
  let p: string;
  if (SCHEME.test(loc)) {
    if (!/^file:/i.test(loc)) return loc;
    const rest = loc.slice(5);
    if (rest.startsWith('//') || rest.startsWith('/')) return loc;
    p = rest;
  } else {
    p = loc;
  }
  const url = pathToFileURL(path.resolve(baseDir, p)).href;
  return p.endsWith('/') && !url.endsWith('/') ? `${url}/` : url;
}

function instantiate(t: RepoTemplate, vars: Record<string, string>): RepoSource {
  const s = t.source;
  const sub = (v: string) => substitute(v, vars);
  const loc = (v: string) => resolveLocation(sub(v), t.baseDir);
  const file = (v: string) => path.resolve(t.baseDir, sub(v));
  const repo: RepoSource = {
    id: t.id,
    origin: t.origin,
    path: t.path,
    baseurl: s.baseurl.map(loc),
    enabled: s.enabled,
    gpgkey: s.gpgkey.map(loc),
    gpgcheck: s.gpgcheck,
    repo_gpgcheck: s.repo_gpgcheck,
    priority: s.priority,
    cost: s.cost,
    includepkgs: s.includepkgs.map(sub),
    excludepkgs: s.excludepkgs.map(sub),
    sslverify: s.sslverify,
  };
  if (s.name !== undefined) repo.name = sub(s.name);
  if (s.metalink !== undefined) repo.metalink = loc(s.metalink);
  if (s.mirrorlist !== undefined) repo.mirrorlist = loc(s.mirrorlist);
  if (s.sslcacert !== undefined) repo.sslcacert = file(s.sslcacert);
  if (s.sslclientcert !== undefined) repo.sslclientcert = file(s.sslclientcert);
  if (s.sslclientkey !== undefined) repo.sslclientkey = file(s.sslclientkey);
  if (s.proxy !== undefined) repo.proxy = sub(s.proxy);
  if (s.username !== undefined) repo.username = sub(s.username);
  if (s.password !== undefined) repo.password = sub(s.password);
  return repo;
}

function cloneRepo(r: RepoSource): RepoSource {
  return {
    ...r,
    baseurl: [...r.baseurl],
    gpgkey: [...r.gpgkey],
    includepkgs: [...r.includepkgs],
    excludepkgs: [...r.excludepkgs],
  };
}
