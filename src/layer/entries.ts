// Which tar entries a layer holds, decided before any payload byte is read: files from
// the RPM headers (owners, modes, mtimes from the tags), filtered as rpm would install
// them (no %ghost; %doc and foreign languages when asked), at their paths in the image
// (paths.ts: canonical, resolved through the image's directory symlinks), hard-link sets,
// parent directories nobody owns, and file conflicts between packages. Pure: no I/O.
import { LayerError } from '../errors.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from '../mode.js';
import { cmpUtf8 } from '../order.js';
import { FileFlag, type RpmFile, type RpmHeaderInfo } from '../rpm/types.js';
import { nevra } from '../rpm/version.js';
import { capsToXattr } from './caps.js';
import type { IdMap } from './owners.js';
import { ImageTree } from './paths.js';
import type { TarHeader } from './tar.js';

/** What every entry carries: its path and the tar header fields rpm's header gives it. */
export interface EntryBase extends Pick<TarHeader, 'mode' | 'uid' | 'gid' | 'uname' | 'gname' | 'mtime'> {
  /** Absolute path in the image, `/usr/bin/foo` (resolved: never beneath a symlink). */
  path: string;
}

export type Entry =
  | (EntryBase & { kind: 'dir' })
  | (EntryBase & { kind: 'symlink'; target: string })
  /** `fx`: the file's index in its package's header (what its payload member names); `linked`: the member of a hard-link set that carries the bytes. */
  | (EntryBase & { kind: 'file'; size: number; pkg: number; fx: number; caps?: Buffer; linked?: boolean })
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
  /** Where the image's packages' files land (default: resolved against these packages alone). */
  tree?: ImageTree;
  /** Directories some package of the image owns, in any layer: never synthesised. */
  imageDirs?: Set<string>;
}

export interface LayerEntries {
  /**
   * In tar order: byte order of the paths, except that each package's regular files keep
   * their payload order (a path resolved through a symlink may sort elsewhere, and the
   * writer reads every payload once, front to back); hard-link sets last.
   */
  entries: Entry[];
  /** Per package (index as given), the file indexes whose bytes the writer takes from its payload. */
  content: Set<number>[];
  /**
   * Per package, each file's InstallState (what rpm's FILESTATES records): meaningful for
   * the whole image's set, where multilib losers are known.
   */
  states: Uint8Array[];
}

/**
 * rpm's %_install_langs test (transaction.c skipInstallFiles): a file tagged with
 * languages (`de`, or several as `de|fr`) is installed when some wanted language begins
 * with one of them, so `de_DE` keeps `de` files and `de` does not keep `de_DE` ones.
 */
function langKept(file: RpmFile, langs: string[]): boolean {
  if (!file.lang || langs.length === 0 || langs.includes('all')) return true;
  const tagged = file.lang.split('|').filter(Boolean);
  return langs.some((l) => tagged.some((t) => l.startsWith(t)));
}

/** What rpm's install does with one file of a package (RPMFILE_STATE_*, as FILESTATES keeps it). */
export const InstallState = { normal: 0, notInstalled: 2, wrongColor: 4 } as const;

/**
 * The files rpm leaves out of a package (transaction.c skipInstallFiles): %doc files when
 * docs are off and files of other languages (never a %license file), then each directory
 * the package lists that this left empty, deepest first. `paths`: the files' paths in the image.
 */
export function skippedFiles(h: RpmHeaderInfo, paths: string[], opts: { docs: boolean; langs: string[] }): Set<number> {
  const wanted = (f: RpmFile) => !!(f.flags & FileFlag.license) || ((opts.docs || !(f.flags & FileFlag.doc)) && langKept(f, opts.langs));
  const skipped = new Set<number>();
  h.files.forEach((f, fx) => {
    if (!wanted(f)) skipped.add(fx);
  });
  if (skipped.size === 0) return skipped;
  const children = new Map<string, number[]>();
  paths.forEach((p, fx) => {
    const parent = p.slice(0, p.lastIndexOf('/'));
    const list = children.get(parent);
    if (list) list.push(fx);
    else children.set(parent, [fx]);
  });
  const dirs = h.files.flatMap((f, fx) => ((f.mode & S_IFMT) === S_IFDIR ? [fx] : [])).sort((a, b) => paths[b]!.length - paths[a]!.length);
  for (const d of dirs) {
    const kids = children.get(paths[d]!) ?? [];
    if (kids.length > 0 && kids.every((c) => skipped.has(c))) skipped.add(d);
  }
  return skipped;
}

interface Candidate {
  file: RpmFile;
  pkg: number;
  fx: number;
  /** Its path in the image. */
  path: string;
  /** For hard-link members: the path (in the image) of the set's content-bearing member. */
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

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

export function layerEntries(pkgs: RpmHeaderInfo[], opts: EntryOptions): LayerEntries {
  const tree = opts.tree ?? ImageTree.of(pkgs);
  const chosen = new Map<string, Candidate>();
  const states = pkgs.map((h) => new Uint8Array(h.files.length));
  pkgs.forEach((h, pkg) => {
    const paths = tree.pathsOf(h)?.paths;
    if (!paths) throw new LayerError('LAYER_INTERNAL', `${nevra(h)} is not one of the image's packages`);
    // Hard-link sets: files of one package sharing (device, inode); the payload carries
    // the bytes with the set's last member.
    const sets = new Map<string, number[]>();
    h.files.forEach((f, fx) => {
      if ((f.mode & S_IFMT) !== S_IFREG || f.flags & FileFlag.ghost) return;
      const key = `${f.device}:${f.inode}`;
      const list = sets.get(key);
      if (list) list.push(fx);
      else sets.set(key, [fx]);
    });
    const skipped = skippedFiles(h, paths, opts);
    for (const fx of skipped) states[pkg]![fx] = InstallState.notInstalled;
    const keep = (fx: number) => !(h.files[fx]!.flags & FileFlag.ghost) && !skipped.has(fx);
    h.files.forEach((f, fx) => {
      const path = paths[fx]!;
      // Where the image has a symlink, a package's directory is that symlink's (usrmerge).
      if ((f.mode & S_IFMT) === S_IFDIR && tree.isLink(path)) return;
      const set = (f.mode & S_IFMT) === S_IFREG ? sets.get(`${f.device}:${f.inode}`) : undefined;
      const linked = set && set.length > 1 ? set : undefined;
      // A set is kept whole when any member is: its bytes come with one member only.
      if (linked ? !linked.some(keep) : !keep(fx)) return;
      const last = linked?.at(-1);
      const cand: Candidate = { file: f, pkg, fx, path, linkTarget: last !== undefined && last !== fx ? paths[last] : undefined, linked: !!linked };
      const prev = chosen.get(path);
      if (!prev) {
        chosen.set(path, cand);
        return;
      }
      if (identical(prev.file, f)) return;
      const prevArch = pkgs[prev.pkg]!.arch;
      if (prevArch !== h.arch && prevArch !== 'noarch' && h.arch !== 'noarch') {
        // rpm's multilib rule: the file of the preferred (the image's own) arch wins; the
        // other package keeps it as "wrong color".
        const loser = h.arch === opts.arch ? prev : cand;
        states[loser.pkg]![loser.fx] = InstallState.wrongColor;
        if (loser === prev) chosen.set(path, cand);
        return;
      }
      const spelled = (c: Candidate) => (c.file.path === c.path ? '' : ` (as ${c.file.path})`);
      throw new LayerError(
        'LAYER_FILE_CONFLICT',
        `file ${path} conflicts between ${nevra(pkgs[prev.pkg]!)}${spelled(prev)} and ${nevra(h)}${spelled(cand)} (different content or attributes)`,
      );
    });
  });

  const free: Entry[] = []; // no payload bytes: in path order
  const files: Entry[][] = pkgs.map(() => []); // per package, in payload order
  const linkedSets: Entry[] = [];
  const content = pkgs.map(() => new Set<number>());
  // rpm's owner rule: a name the image lacks becomes root, and the setuid (user) or setgid
  // (group) bit it carried is cleared.
  const attrs = (f: RpmFile) => {
    let mode = f.mode & 0o7777;
    if (!opts.ids.hasUser(f.user)) mode &= ~S_ISUID;
    if (!opts.ids.hasGroup(f.group)) mode &= ~S_ISGID;
    return { mode, uid: opts.ids.uid(f.user), gid: opts.ids.gid(f.group), uname: f.user, gname: f.group, mtime: f.mtime };
  };
  for (const { file: f, pkg, fx, path, linkTarget, linked } of chosen.values()) {
    const base = { path, ...attrs(f) };
    const where = `${nevra(pkgs[pkg]!)}: ${f.path}`;
    switch (f.mode & S_IFMT) {
      case S_IFDIR:
        free.push({ ...base, kind: 'dir' });
        break;
      case S_IFLNK:
        free.push({ ...base, kind: 'symlink', target: f.linkto });
        break;
      case S_IFREG:
        if (linkTarget && chosen.get(linkTarget)?.pkg === pkg) {
          linkedSets.push({ ...base, kind: 'hardlink', target: linkTarget, pkg });
        } else {
          const e: Entry = { ...base, kind: 'file', size: f.size, pkg, fx, caps: f.caps ? capsToXattr(f.caps, where) : undefined, linked };
          (linked ? linkedSets : files[pkg]!).push(e);
          content[pkg]!.add(fx);
        }
        break;
      case S_IFCHR:
      case S_IFBLK:
      case S_IFIFO: {
        const type = (f.mode & S_IFMT) === S_IFCHR ? 'character-device' : (f.mode & S_IFMT) === S_IFBLK ? 'block-device' : 'fifo';
        free.push({ ...base, kind: 'device', type, devmajor: (f.rdev >> 8) & 0xfff, devminor: (f.rdev & 0xff) | ((f.rdev >> 12) & 0xfff00) });
        break;
      }
      default:
        throw new LayerError('LAYER_FILE_TYPE', `${where}: unsupported file type ${(f.mode & S_IFMT).toString(8)}`);
    }
  }
  // Parents nobody owns, as rpm creates them on install: root-owned 0755.
  const have = new Set(chosen.keys());
  for (const p of [...have]) {
    for (let d = p.slice(0, p.lastIndexOf('/')); d; d = d.slice(0, d.lastIndexOf('/'))) {
      if (have.has(d) || opts.imageDirs?.has(d)) continue;
      have.add(d);
      free.push({ path: d, kind: 'dir', mode: 0o755, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: opts.mtime });
    }
  }
  free.sort((a, b) => cmpUtf8(a.path, b.path));
  const fx = (e: Entry) => (e.kind === 'file' ? e.fx : 0);
  for (const list of files) list.sort((a, b) => fx(a) - fx(b));
  return { entries: [...merge([free, ...files]), ...placeHardlinks(linkedSets)], content, states };
}

/**
 * The lists merged by path, each list's own order kept: byte order of paths wherever the
 * lists allow it. A directory (in the first list, sorted) always comes before what is in
 * it: an entry leaves its list only when it sorts before every other list's next one.
 */
function* merge(lists: Entry[][]): Generator<Entry> {
  const at = lists.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const e = lists[i]![at[i]!];
      if (e && (best < 0 || cmpUtf8(e.path, lists[best]![at[best]!]!.path) < 0)) best = i;
    }
    if (best < 0) return;
    yield lists[best]![at[best]!++]!;
  }
}

/**
 * rpm writes hard-link sets at the end of a payload, the bytes with the set's last
 * member. So they go last in the layer too, per package, each set as its content-bearing
 * member followed by links to it: every payload is then still read front to back.
 */
function placeHardlinks(sets: Entry[]): Entry[] {
  const pkgOf = (e: Entry) => (e.kind === 'hardlink' || e.kind === 'file' ? e.pkg : 0);
  const fxOf = (e: Entry) => (e.kind === 'file' ? e.fx : 0);
  const tail: Entry[] = [];
  const contents = sets.filter((e) => e.kind === 'file').sort((a, b) => pkgOf(a) - pkgOf(b) || fxOf(a) - fxOf(b));
  for (const c of contents) tail.push(c, ...sets.filter((e) => e.kind === 'hardlink' && e.target === c.path && e.pkg === pkgOf(c)).sort((a, b) => cmpUtf8(a.path, b.path)));
  return tail;
}
