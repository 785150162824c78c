// Which tar entries a layer holds, decided before any payload byte is read: files from
// the RPM headers (owners, modes, mtimes from the tags), filtered as rpm would install
// them (no %ghost; %doc and foreign languages when asked), hard-link sets, parent
// directories nobody owns, and file conflicts between packages. Pure: no I/O.
import { LayerError } from '../errors.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from '../mode.js';
import { cmpUtf8 } from '../order.js';
import { FileFlag, type RpmFile, type RpmHeaderInfo } from '../rpm/types.js';
import { nevra } from '../rpm/version.js';
import { capsToXattr } from './caps.js';
import type { IdMap } from './owners.js';
import type { TarHeader } from './tar.js';

/** What every entry carries: its path and the tar header fields rpm's header gives it. */
export interface EntryBase extends Pick<TarHeader, 'mode' | 'uid' | 'gid' | 'uname' | 'gname' | 'mtime'> {
  /** Absolute path, `/usr/bin/foo`. */
  path: string;
}

export type Entry =
  | (EntryBase & { kind: 'dir' })
  | (EntryBase & { kind: 'symlink'; target: string })
  /** `linked`: the member of a hard-link set that carries the bytes. */
  | (EntryBase & { kind: 'file'; size: number; pkg: number; caps?: Buffer; linked?: boolean })
  /** A hard link to `target`, the member of its set that carries the bytes. */
  | (EntryBase & { kind: 'hardlink'; target: string; pkg: number })
  | (EntryBase & { kind: 'device'; type: 'character-device' | 'block-device' | 'fifo'; devmajor: number; devminor: number });

export interface EntryOptions {
  docs: boolean;
  /** Empty: every language. */
  langs: string[];
  ids: IdMap;
  /** mtime of directories rpmcompose adds (SOURCE_DATE_EPOCH or the newest build time). */
  mtime: number;
  /** The image's arch: in a multilib conflict (x86_64 vs i686 at one path) its file wins, as rpm's color rule. */
  arch: string;
  /** Directories some package of the image owns, in any layer: never synthesised. */
  imageDirs?: Set<string>;
}

export interface LayerEntries {
  entries: Entry[];
  /** Per package (index as given), the paths whose bytes the writer takes from its payload. */
  contentPaths: Set<string>[];
}

function langKept(file: RpmFile, langs: string[]): boolean {
  if (!file.lang || langs.length === 0) return true;
  return langs.some((l) => l === 'all' || file.lang === l || file.lang.startsWith(`${l}_`) || file.lang.startsWith(`${l}@`));
}

interface Candidate {
  file: RpmFile;
  pkg: number;
  /** For hard-link members: the path of the set's content-bearing member. */
  linkTarget?: string;
  /** Whether the file belongs to a hard-link set. */
  linked: boolean;
}

/** Same content and attributes: rpm lets two packages share such a file. */
function identical(a: RpmFile, b: RpmFile): boolean {
  const type = a.mode & S_IFMT;
  if (type !== (b.mode & S_IFMT)) return false;
  if (type === S_IFDIR) return true; // rpm never conflicts on directories
  return a.mode === b.mode && a.user === b.user && a.group === b.group && a.digest === b.digest && a.linkto === b.linkto && a.size === b.size;
}

export function layerEntries(pkgs: RpmHeaderInfo[], opts: EntryOptions): LayerEntries {
  const chosen = new Map<string, Candidate>();
  pkgs.forEach((h, pkg) => {
    // Hard-link sets: files of one package sharing (device, inode); the payload carries
    // the bytes with the set's last member.
    const sets = new Map<string, RpmFile[]>();
    for (const f of h.files) {
      if ((f.mode & S_IFMT) !== S_IFREG || f.flags & FileFlag.ghost) continue;
      const key = `${f.device}:${f.inode}`;
      const list = sets.get(key);
      if (list) list.push(f);
      else sets.set(key, [f]);
    }
    const wanted = (f: RpmFile) => (opts.docs || !(f.flags & FileFlag.doc)) && langKept(f, opts.langs);
    // As rpm does: a directory whose files were all left out (docs, languages) goes too.
    const emptied = new Set<string>();
    const children = new Map<string, RpmFile[]>();
    for (const f of h.files) {
      const parent = f.path.slice(0, f.path.lastIndexOf('/'));
      const list = children.get(parent);
      if (list) list.push(f);
      else children.set(parent, [f]);
    }
    const dirs = h.files.filter((f) => (f.mode & S_IFMT) === S_IFDIR).sort((a, b) => b.path.length - a.path.length);
    for (const d of dirs) {
      const kids = children.get(d.path) ?? [];
      if (kids.length > 0 && !kids.some((c) => wanted(c) && !emptied.has(c.path))) emptied.add(d.path);
    }
    const keep = (f: RpmFile) => !(f.flags & FileFlag.ghost) && wanted(f) && !emptied.has(f.path);
    for (const f of h.files) {
      const set = (f.mode & S_IFMT) === S_IFREG ? sets.get(`${f.device}:${f.inode}`) : undefined;
      const linked = set && set.length > 1 ? set : undefined;
      // A set is kept whole when any member is: its bytes come with one member only.
      if (linked ? !linked.some(keep) : !keep(f)) continue;
      const last = linked?.at(-1);
      const cand: Candidate = { file: f, pkg, linkTarget: last && last !== f ? last.path : undefined, linked: !!linked };
      const prev = chosen.get(f.path);
      if (!prev) {
        chosen.set(f.path, cand);
        continue;
      }
      if (identical(prev.file, f)) continue;
      const prevArch = pkgs[prev.pkg]!.arch;
      if (prevArch !== h.arch && prevArch !== 'noarch' && h.arch !== 'noarch') {
        // rpm's multilib rule: the file of the preferred (the image's own) arch wins.
        if (h.arch === opts.arch) chosen.set(f.path, cand);
        continue;
      }
      throw new LayerError(
        'LAYER_FILE_CONFLICT',
        `file ${f.path} conflicts between ${nevra(pkgs[prev.pkg]!)} and ${nevra(h)} (different content or attributes)`,
      );
    }
  });

  const entries: Entry[] = [];
  const contentPaths = pkgs.map(() => new Set<string>());
  const owner = (f: RpmFile) => ({ uid: opts.ids.uid(f.user), gid: opts.ids.gid(f.group), uname: f.user, gname: f.group });
  for (const { file: f, pkg, linkTarget, linked } of chosen.values()) {
    if (f.path === '/') continue; // the runtime makes the root
    const base = { path: f.path, mode: f.mode & 0o7777, mtime: f.mtime, ...owner(f) };
    const where = `${nevra(pkgs[pkg]!)}: ${f.path}`;
    switch (f.mode & S_IFMT) {
      case S_IFDIR:
        entries.push({ ...base, kind: 'dir' });
        break;
      case S_IFLNK:
        entries.push({ ...base, kind: 'symlink', target: f.linkto });
        break;
      case S_IFREG:
        if (linkTarget && chosen.get(linkTarget)?.pkg === pkg) {
          entries.push({ ...base, kind: 'hardlink', target: linkTarget, pkg });
        } else {
          entries.push({ ...base, kind: 'file', size: f.size, pkg, caps: f.caps ? capsToXattr(f.caps, where) : undefined, linked });
          contentPaths[pkg]!.add(f.path);
        }
        break;
      case S_IFCHR:
      case S_IFBLK:
      case S_IFIFO: {
        const type = (f.mode & S_IFMT) === S_IFCHR ? 'character-device' : (f.mode & S_IFMT) === S_IFBLK ? 'block-device' : 'fifo';
        entries.push({ ...base, kind: 'device', type, devmajor: (f.rdev >> 8) & 0xfff, devminor: (f.rdev & 0xff) | ((f.rdev >> 12) & 0xfff00) });
        break;
      }
      default:
        throw new LayerError('LAYER_FILE_TYPE', `${where}: unsupported file type ${(f.mode & S_IFMT).toString(8)}`);
    }
  }
  // Parents nobody owns, as rpm creates them on install: root-owned 0755.
  const have = new Set(entries.map((e) => e.path));
  for (const e of [...entries]) {
    for (let p = e.path.slice(0, e.path.lastIndexOf('/')); p; p = p.slice(0, p.lastIndexOf('/'))) {
      if (have.has(p) || opts.imageDirs?.has(p)) continue;
      have.add(p);
      entries.push({ path: p, kind: 'dir', mode: 0o755, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: opts.mtime });
    }
  }
  entries.sort((a, b) => cmpUtf8(a.path, b.path));
  return { entries: placeHardlinks(entries), contentPaths };
}

/**
 * rpm writes hard-link sets at the end of a payload, the bytes with the set's last
 * member. So they go last in the layer too, per package, each set as its content-bearing
 * member followed by links to it: every payload is then still read front to back.
 */
function placeHardlinks(entries: Entry[]): Entry[] {
  const inSet = (e: Entry) => e.kind === 'hardlink' || (e.kind === 'file' && e.linked);
  const sets = entries.filter(inSet);
  if (sets.length === 0) return entries;
  const pkgOf = (e: Entry) => (e.kind === 'hardlink' || e.kind === 'file' ? e.pkg : 0);
  const tail: Entry[] = [];
  const contents = sets.filter((e) => e.kind === 'file').sort((a, b) => pkgOf(a) - pkgOf(b) || cmpUtf8(a.path, b.path));
  for (const c of contents) tail.push(c, ...sets.filter((e) => e.kind === 'hardlink' && e.target === c.path && e.pkg === pkgOf(c)));
  return [...entries.filter((e) => !inSet(e)), ...tail];
}
