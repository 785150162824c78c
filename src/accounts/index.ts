// The accounts stage: each image's users and groups, without running a scriptlet. An
// image starts from the account files its packages ship (setup's), then gains, in this
// order, what its packages declare in sysusers.d (their payload files, or rpm ≥ 4.19's
// user()/group() provides that carry the same lines), what their %pre scriptlets declare
// in the packaging guidelines' idiom, and the compose file's own users and groups. Ids
// are allocated once for the whole compose (allocate.ts), the lock's pins kept.
import { RpmHeader } from '../rpm/header.js';
import { PackagedFiles, type PackageFile } from '../rpm/files.js';
import { Tag } from '../rpm/tags.js';
import { nevra } from '../rpm/version.js';
import { allocate, type Ids } from './allocate.js';
import type { Decl, Origin } from './decls.js';
import { ACCOUNT_FILES, existingIds, renderAccounts, type AccountFile, type AccountTexts, type Created } from './files.js';
import { parsePrein } from './prein.js';
import { parseSysusers, SYSUSERS_HOME, SYSUSERS_SHELL } from './sysusers.js';

export { allocate, type Allocation, type Ids } from './allocate.js';
export { describeOrigin, type Decl, type Origin } from './decls.js';
export { ACCOUNT_FILES, existingIds, renderAccounts, type AccountFile, type AccountTexts, type Created } from './files.js';
export { parsePrein } from './prein.js';
export { parseSysusers } from './sysusers.js';

/** The compose file's own accounts (`users`, `groups`), for what no package declares. */
export interface ComposeAccounts {
  users: { name: string; uid?: number; group?: string | number; gecos?: string; home?: string; shell?: string; groups?: string[] }[];
  groups: { name: string; gid?: number; members?: string[] }[];
}

/** One account file the image's top layer holds: its new text, with the packaged file's mode and owner. */
export interface ChangedFile {
  path: AccountFile;
  text: string;
  mode: number;
  user: string;
  group: string;
}

export interface ImageAccounts {
  /** passwd and group as the image ends up with them: what its file owners map through. */
  texts: AccountTexts;
  /** The account files that changed, for the image's top layer. */
  changed: ChangedFile[];
  /** Accounts made, in order, each with its source. */
  created: Created[];
  /** Packages whose %pre is not the idiom (left to the scriptlet work), and why. */
  unparsed: { package: string; why: string }[];
  /** Declarations left out: sysusers lines rpmcompose cannot read. */
  problems: string[];
}

export interface AccountsResult {
  /** By the key each image was given. */
  images: Map<string, ImageAccounts>;
  /** Every account's id: what the lock pins. */
  ids: Ids;
  warnings: string[];
}

const SYSUSERS_DIRS = ['/usr/lib/sysusers.d/', '/etc/sysusers.d/'];
const isSysusers = (p: string) => SYSUSERS_DIRS.some((d) => p.startsWith(d) && p.endsWith('.conf') && !p.slice(d.length).includes('/'));
const PROVIDEVERSION = 1113;

interface PackageDecls {
  /** sysusers declarations, each with the file name that orders it. */
  sysusers: { order: string; decls: Decl[] }[];
  pre: Decl[];
  unparsed?: string;
  problems: string[];
}

/**
 * rpm ≥ 4.19 (%add_sysuser): `user(name)`, `group(name)` and `groupmember(user/group)`
 * provides whose version is the sysusers line in base64, NUL-padded; undefined when the
 * package has none that carries a line (CentOS Stream 9's are unversioned).
 */
function providedLines(h: RpmHeader): string[] | undefined {
  const names = h.stringArray(Tag.PROVIDENAME) ?? [];
  const versions = h.stringArray(PROVIDEVERSION) ?? [];
  const lines: string[] = [];
  names.forEach((n, i) => {
    if (!/^(user|group|groupmember)\(.+\)$/.test(n) || !versions[i]) return;
    const line = Buffer.from(versions[i]!, 'base64').toString('utf8').replace(/\0+$/, '');
    if (/^[ugmr]!? /.test(line)) lines.push(line);
  });
  return lines.length ? lines : undefined;
}

async function declarationsOf(p: PackageFile, reader: PackagedFiles): Promise<PackageDecls> {
  const n = nevra(p.header);
  const h = new RpmHeader(p.header.headerBlob);
  const out: PackageDecls = { sysusers: [], pre: [], problems: [] };
  const provided = providedLines(h);
  if (provided) {
    const parsed = parseSysusers(provided.join('\n'), { kind: 'provides', package: n, where: `${n} user()/group() provides` });
    out.sysusers.push({ order: `${p.header.name}.conf`, decls: parsed.decls });
    out.problems.push(...parsed.problems);
  } else if (p.header.files.some((f) => isSysusers(f.path))) {
    const files = await reader.read([p], isSysusers, `sysusers ${p.file}`);
    for (const [path, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const parsed = parseSysusers(bytes.toString('utf8'), { kind: 'sysusers', package: n, where: path });
      out.sysusers.push({ order: path.slice(path.lastIndexOf('/') + 1), decls: parsed.decls });
      out.problems.push(...parsed.problems);
    }
  }
  const script = h.string(Tag.PREIN);
  if (script !== undefined) {
    const prog = h.stringArray(Tag.PREINPROG)?.[0] ?? '';
    const r = parsePrein(script, prog, { kind: 'pre', package: n });
    if ('decls' in r) out.pre = r.decls;
    // A package that declares its accounts in sysusers.d runs them from its %pre its own
    // way (Fedora's %sysusers_create_compat): nothing is missing then.
    else if (out.sysusers.length === 0) out.unparsed = r.unparsed;
  }
  return out;
}

function composeDecls(c: ComposeAccounts): Decl[] {
  const origin = (where: string): Origin => ({ kind: 'compose', where });
  const out: Decl[] = [];
  c.groups.forEach((g, i) => {
    const o = origin(`$.groups[${i}]`);
    out.push({ kind: 'group', name: g.name, ...(g.gid !== undefined ? { gid: g.gid } : {}), origin: o, style: 'sysusers' });
    for (const m of g.members ?? []) out.push({ kind: 'member', user: m, group: g.name, origin: o });
  });
  c.users.forEach((u, i) => {
    const o = origin(`$.users[${i}]`);
    out.push({
      kind: 'user',
      name: u.name,
      ...(u.uid !== undefined ? { uid: u.uid } : {}),
      ...(u.group !== undefined ? { group: u.group } : {}),
      gecos: u.gecos ?? '',
      home: u.home ?? SYSUSERS_HOME,
      shell: u.shell ?? SYSUSERS_SHELL,
      origin: o,
      style: 'sysusers',
    });
    if (u.group === undefined) out.push({ kind: 'group', name: u.name, ...(u.uid !== undefined ? { prefer: u.uid } : {}), own: true, origin: o, style: 'sysusers' });
    for (const g of u.groups ?? []) out.push({ kind: 'member', user: u.name, group: g, origin: o });
  });
  return out;
}

/**
 * Every image's accounts, ids allocated over all of them. `images`: a key and the
 * image's packages; `pinned`: the lock's ids; `lastchg`: shadow's day number (from
 * SOURCE_DATE_EPOCH), undefined for empty.
 */
export async function composeAccounts(
  images: { key: string; sources: PackageFile[] }[],
  compose: ComposeAccounts,
  pinned: Ids | undefined,
  lastchg: number | undefined,
  reader = new PackagedFiles(),
): Promise<AccountsResult> {
  const byFile = new Map<string, Promise<PackageDecls>>();
  const declsOf = (p: PackageFile) => {
    let d = byFile.get(p.file);
    if (!d) byFile.set(p.file, (d = declarationsOf(p, reader)));
    return d;
  };
  const perImage = await Promise.all(
    images.map(async ({ sources }) => ({
      sources,
      packages: await Promise.all(sources.map(async (s) => ({ file: s.file, nevra: nevra(s.header), decls: await declsOf(s) }))),
      base: Object.fromEntries([...(await reader.read(sources, (p) => (ACCOUNT_FILES as readonly string[]).includes(p), 'accounts'))].map(([p, b]) => [p, b.toString('utf8')])) as AccountTexts,
    })),
  );
  // One order for the whole compose: sysusers files by name (as systemd-sysusers reads
  // them), then each package's %pre by NEVRA, then the compose file's entries. An image
  // makes its accounts in that order too, so one image alone is made as sysusers makes it.
  const packages = new Map(perImage.flatMap((img) => img.packages.map((p) => [p.file, p] as const)));
  const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const order: { file?: string; decls: Decl[] }[] = [
    ...[...packages.values()].flatMap((p) => p.decls.sysusers.map((s) => ({ key: `${s.order}\0${p.nevra}`, file: p.file, decls: s.decls }))).sort(byKey),
    ...[...packages.values()].map((p) => ({ key: p.nevra, file: p.file, decls: p.decls.pre })).sort(byKey),
    { decls: composeDecls(compose) },
  ];
  const { ids, warnings } = allocate(order.flatMap((o) => o.decls), perImage.map((img) => existingIds(img.base)), pinned);
  const result = new Map<string, ImageAccounts>();
  perImage.forEach((img, i) => {
    const files = new Set(img.sources.map((s) => s.file));
    const decls = order.filter((o) => o.file === undefined || files.has(o.file)).flatMap((o) => o.decls);
    const { changed, created } = renderAccounts(img.base, decls, ids, lastchg);
    result.set(images[i]!.key, {
      texts: { ...img.base, ...changed },
      changed: (Object.entries(changed) as [AccountFile, string][]).map(([path, text]) => ({ path, text, ...attributes(img.sources, path) })),
      created,
      unparsed: img.packages.flatMap((p) => (p.decls.unparsed ? [{ package: p.nevra, why: p.decls.unparsed }] : [])),
      problems: img.packages.flatMap((p) => p.decls.problems),
    });
  });
  return { images: result, ids, warnings };
}

/** The mode and owner of the packaged file at `path`, or what rpm's setup gives it. */
function attributes(sources: PackageFile[], path: AccountFile): { mode: number; user: string; group: string } {
  for (const s of sources) {
    const f = s.header.files.find((x) => x.path === path);
    if (f) return { mode: f.mode & 0o7777, user: f.user, group: f.group };
  }
  return { mode: path.endsWith('shadow') ? 0 : 0o644, user: 'root', group: 'root' };
}
