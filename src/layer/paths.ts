// Where each file of an image's packages lands, as rpm lays it down. Payload paths are
// canonicalised (`//`, `.`, `..`, a trailing `/`), then their parent directories are
// resolved through the directory symlinks of the image's whole package set: Fedora and
// EL's `filesystem` makes /bin, /sbin, /lib and /lib64 symlinks into /usr, and glibc still
// lists /lib64/libc.so.6. So no layer ever holds an entry beneath a symlink, nor a
// directory where the image has a symlink.
//
// rpm's rules for a symlink it is asked to go through (lib/fsm.c), as rpm 4.18 applies
// them: it must end at a directory of the image; one that dangles or points at a
// non-directory is refused, and so is one owned by a user other than root and other than
// the owner of the directory it points to. A target that climbs above / stays in the
// root (rpm installs chrooted). The image is judged in its final state, whatever order
// its packages come in. Pure: no I/O.
import { LayerError } from '../errors.js';
import { isDir, isSymlink } from '../mode.js';
import { cmp } from '../order.js';
import { FileFlag, type RpmHeaderInfo } from '../rpm/types.js';
import { nevra } from '../rpm/version.js';

/**
 * `/usr//bin/./x/` → `/usr/bin/x`. A payload path that is relative or climbs above `/` is
 * a malformed package (rpmbuild writes neither): undefined. With `clamp`, `..` at `/`
 * stays at `/`, as for a symlink's target: rpm installs chrooted, and the kernel resolves
 * it so in the container too.
 */
export function canonicalPath(raw: string, clamp = false): string | undefined {
  if (!raw.startsWith('/')) return undefined;
  const parts: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0 && !clamp) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

interface Link {
  path: string;
  target: string;
  user: string;
  pkg: RpmHeaderInfo;
}

/** Where one package's files land in the image. */
export interface PackagePaths {
  /** Per file (header order): its path in the image. */
  paths: string[];
  /** The image's directory symlinks its paths go through, `link -> resolved target`, sorted: what it depends on. */
  context: string[];
}

/** `/a/b/c` → `/a/b`, `/a` (not `/`). */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let d = path.slice(0, path.lastIndexOf('/')); d; d = d.slice(0, d.lastIndexOf('/'))) out.push(d);
  return out;
}

/** Too many symlinks in a row: rpm (and the kernel) give up at 40. */
const MAX_LINKS = 40;

export class ImageTree {
  private readonly links = new Map<string, Link>();
  private readonly byHeader = new Map<RpmHeaderInfo, PackagePaths>();
  /** Directories the image's packages own, at their paths in the image → the owner's user name. */
  private readonly dirs = new Map<string, string>();
  /** What the packages put at each path of the image (ghosts, never on disk, left out). */
  private readonly kinds = new Map<string, 'dir' | 'symlink' | 'other'>();

  private constructor() {}

  /** Resolves every path of the image's packages; LayerError naming the package and path for what rpm refuses. */
  static of(headers: RpmHeaderInfo[]): ImageTree {
    const t = new ImageTree();
    const canonical = headers.map((h) =>
      h.files.map((f) => {
        const c = canonicalPath(f.path);
        if (c === undefined) {
          const why = f.path.startsWith('/') ? 'climbs above /' : 'is not absolute';
          throw new LayerError('LAYER_PATH', `${nevra(h)}: the payload path ${JSON.stringify(f.path)} ${why}`);
        }
        return c;
      }),
    );
    // The symlinks first: every path is resolved against all of them.
    headers.forEach((h, i) =>
      h.files.forEach((f, fx) => {
        if (!isSymlink(f.mode)) return;
        const path = canonical[i]![fx]!;
        const prev = t.links.get(path);
        if (prev && prev.target !== f.linkto) {
          throw new LayerError(
            'LAYER_FILE_CONFLICT',
            `file ${path} conflicts between ${nevra(prev.pkg)} and ${nevra(h)} (symlinks to ${prev.target} and ${f.linkto})`,
          );
        }
        t.links.set(path, { path, target: f.linkto, user: f.user, pkg: h });
      }),
    );
    const followedBy = new Map<string, Set<number>>(); // link path → entries (by running index) that went through it
    const resolved: { path: string; via: string[]; h: RpmHeaderInfo; fx: number }[] = [];
    // Files share their directories: each directory is resolved once.
    const dirMemo = new Map<string, { path: string; via: string[] }>();
    const resolveEntry = (c: string, h: RpmHeaderInfo, raw: string): { path: string; via: string[] } => {
      if (c === '/') return { path: '/', via: [] };
      const cut = c.lastIndexOf('/');
      const parent = c.slice(0, cut) || '/';
      let d = dirMemo.get(parent);
      if (!d) {
        const via: string[] = [];
        try {
          d = { path: t.walk(parent, true, via, 0), via };
        } catch (err) {
          const e = err as LayerError;
          throw new LayerError(e.code, `${nevra(h)}: ${raw} ${e.message}`);
        }
        dirMemo.set(parent, d);
      }
      return { path: `${d.path === '/' ? '' : d.path}${c.slice(cut)}`, via: d.via };
    };
    headers.forEach((h, i) => {
      const paths = h.files.map((f, fx) => {
        const { path, via } = resolveEntry(canonical[i]![fx]!, h, f.path);
        // rpm makes every directory of a package before its files, so a file beneath the
        // package's own symlink makes that path a directory, and then the symlink fails.
        const own = via.find((l) => t.links.get(l)!.pkg === h);
        if (own) {
          throw new LayerError('LAYER_PATH', `${nevra(h)}: ${f.path} is beneath ${own}, a symlink of the same package: rpm makes ${own} a directory first, then cannot install the symlink`);
        }
        for (const l of via) {
          const set = followedBy.get(l) ?? new Set();
          set.add(resolved.length);
          followedBy.set(l, set);
        }
        resolved.push({ path, via, h, fx });
        if (isDir(f.mode) && !t.links.has(path)) t.dirs.set(path, f.user);
        if (!(f.flags & FileFlag.ghost) && !t.kinds.has(path)) t.kinds.set(path, t.links.has(path) ? 'symlink' : isDir(f.mode) ? 'dir' : 'other');
        return path;
      });
      t.byHeader.set(h, { paths, context: [] });
    });
    t.checkFollowed(followedBy, resolved);
    const targets = new Map([...followedBy.keys()].map((l) => [l, t.walk(l, true, [], 0)]));
    for (const r of resolved) {
      if (r.via.length === 0) continue;
      const pp = t.byHeader.get(r.h)!;
      for (const l of r.via) pp.context.push(`${l} -> ${targets.get(l)!}`);
    }
    for (const pp of t.byHeader.values()) pp.context = [...new Set(pp.context)].sort(cmp);
    return t;
  }

  /** Where `header`'s files land; undefined for a package not of this image. */
  pathsOf(header: RpmHeaderInfo): PackagePaths | undefined {
    return this.byHeader.get(header);
  }

  /** Whether the image has a symlink at `path` (a path in the image). */
  isLink(path: string): boolean {
    return this.links.has(path);
  }

  /** Directories the packages own, at their paths in the image. */
  ownedDirs(): Set<string> {
    return new Set(this.dirs.keys());
  }

  /**
   * Where `path` (absolute) leads in the image, every symlink on the way followed (a
   * target above / stays at /); LayerError for a loop.
   */
  resolve(path: string): string {
    return this.walk(canonicalPath(path, true)!, true, [], 0);
  }

  /**
   * What is at `path` (a resolved path) once the image's packages are installed: a
   * directory (listed, or the parent of something), a symlink, another file, or nothing.
   */
  kindAt(path: string): 'dir' | 'symlink' | 'other' | undefined {
    if (path === '/') return 'dir';
    const kind = this.kinds.get(path);
    if (kind) return kind;
    this.parents ??= new Set([...this.kinds.keys()].flatMap((p) => ancestors(p)));
    return this.parents.has(path) ? 'dir' : undefined;
  }
  private parents: Set<string> | undefined;

  /**
   * `path` with every parent component (and the last one too when `followLast`) resolved
   * through the image's symlinks; `via` collects the links followed. Its errors say what
   * is wrong with the path, for the caller to name the package and file.
   */
  private walk(path: string, followLast: boolean, via: string[], depth: number): string {
    const parts = path.split('/').filter(Boolean);
    let cur = '';
    parts.forEach((comp, i) => {
      const next = `${cur}/${comp}`;
      const link = this.links.get(next);
      if (!link || (i === parts.length - 1 && !followLast)) {
        cur = next;
        return;
      }
      if (depth >= MAX_LINKS) throw new LayerError('LAYER_PATH', `goes through too many levels of symbolic links at ${next}`);
      const target = canonicalPath(link.target.startsWith('/') ? link.target : `${cur}/${link.target}`, true)!;
      via.push(next);
      cur = this.walk(target, true, via, depth + 1);
      if (cur === '/') cur = '';
    });
    return cur || '/';
  }

  /**
   * Every symlink an entry went through must end at a directory of the image that exists
   * without it (an entry beneath a dangling link would otherwise make its own target),
   * and, rpm >= 4.18, be owned by root or by the owner of that directory.
   */
  private checkFollowed(followedBy: Map<string, Set<number>>, resolved: { path: string; via: string[]; h: RpmHeaderInfo; fx: number }[]): void {
    for (const [linkPath, through] of [...followedBy].sort(([a], [b]) => cmp(a, b))) {
      const link = this.links.get(linkPath)!;
      const first = resolved[Math.min(...through)]!;
      const where = `${nevra(first.h)}: ${first.h.files[first.fx]!.path} is beneath ${linkPath}, a symlink (${nevra(link.pkg)}) to ${link.target}`;
      const target = this.walk(linkPath, true, [], 0);
      let dir = target === '/' || this.dirs.has(target);
      let nonDir = false;
      resolved.forEach((r, n) => {
        if (through.has(n)) return;
        if (r.path === target && !isDir(r.h.files[r.fx]!.mode)) nonDir = true;
        else if (r.path.startsWith(`${target}/`)) dir = true;
      });
      if (nonDir) throw new LayerError('LAYER_PATH', `${where}, which is not a directory`);
      if (!dir) throw new LayerError('LAYER_PATH', `${where}, which does not exist in the image`);
      const owner = this.dirs.get(target) ?? 'root';
      if (link.user !== 'root' && link.user !== owner) {
        throw new LayerError('LAYER_PATH', `${where}, owned by ${link.user} while ${target} is owned by ${owner}: rpm does not follow it`);
      }
    }
  }
}
