// Lock vs. a fresh resolution: what each image would change. Pure; never downloads.
import { cmp } from '../order.js';
import { compareEvr } from '../rpm/version.js';
import { changedKeys } from './config.js';
import type { Lock, LockImage, LockPackage } from './lockfile.js';

export interface PackageRef {
  name: string;
  arch: string;
  evr: string;
}

export interface PackageChange {
  name: string;
  arch: string;
  from: string;
  to: string;
}

export type Status = 'unchanged' | 'changed' | 'new' | 'gone';

export interface ArchDiff {
  status: Status;
  added: PackageRef[];
  removed: PackageRef[];
  upgraded: PackageChange[];
  downgraded: PackageChange[];
  /** Same NEVRA, different checksum. */
  rebuilt: PackageRef[];
}

export interface ImageDiff {
  status: Status;
  /** The package specs or the rest of the image's configuration changed. */
  configChanged: boolean;
  /**
   * What changed, named as in the compose file (`packages`, `env.LANG`, `options.docs`…);
   * empty when the lock did not record the configuration (a version 1 lock).
   */
  changedKeys: string[];
  arches: Record<string, ArchDiff>;
}

export interface DiffReport {
  changed: boolean;
  images: Record<string, ImageDiff>;
}

const evr = (p: LockPackage) => `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`;
const ref = (p: LockPackage): PackageRef => ({ name: p.name, arch: p.arch, evr: evr(p) });
const key = (p: LockPackage) => `${p.name}.${p.arch}`;

function byKey(pkgs: LockPackage[]): Map<string, LockPackage[]> {
  const m = new Map<string, LockPackage[]>();
  for (const p of pkgs) m.set(key(p), [...(m.get(key(p)) ?? []), p]);
  return m;
}

export function diffPackages(before: LockPackage[], after: LockPackage[]): Omit<ArchDiff, 'status'> {
  const d: Omit<ArchDiff, 'status'> = { added: [], removed: [], upgraded: [], downgraded: [], rebuilt: [] };
  const old = byKey(before);
  const now = byKey(after);
  for (const [k, news] of now) {
    const olds = old.get(k);
    if (!olds) {
      d.added.push(...news.map(ref));
      continue;
    }
    // Usually one each; installonly packages may carry several versions of one name.arch.
    const oldLeft = [...olds];
    const newLeft: LockPackage[] = [];
    for (const n of news) {
      const i = oldLeft.findIndex((o) => evr(o) === evr(n));
      if (i < 0) {
        newLeft.push(n);
        continue;
      }
      if (oldLeft[i]!.checksum !== n.checksum) d.rebuilt.push(ref(n));
      oldLeft.splice(i, 1);
    }
    while (newLeft.length && oldLeft.length) {
      const n = newLeft.shift()!;
      const o = oldLeft.shift()!;
      const change = { name: n.name, arch: n.arch, from: evr(o), to: evr(n) };
      (compareEvr(n, o) > 0 ? d.upgraded : d.downgraded).push(change);
    }
    d.added.push(...newLeft.map(ref));
    d.removed.push(...oldLeft.map(ref));
  }
  for (const [k, olds] of old) if (!now.has(k)) d.removed.push(...olds.map(ref));
  const order = (a: { name: string; arch: string }, b: { name: string; arch: string }) => cmp(a.name, b.name) || cmp(a.arch, b.arch);
  for (const list of Object.values(d)) list.sort(order);
  return d;
}

const empty = (d: Omit<ArchDiff, 'status'>) => Object.values(d).every((l) => l.length === 0);

/** The configuration keys that changed; 'unknown' when the lock did not record them. */
function configDiff(before: LockImage, after: LockImage): string[] | 'unknown' {
  if (!before.specs || !before.config || !after.specs || !after.config) return 'unknown';
  return changedKeys({ specs: before.specs, config: before.config }, { specs: after.specs, config: after.config });
}

export function diffLocks(locked: Lock, current: Lock): DiffReport {
  const images: Record<string, ImageDiff> = {};
  const names = [...new Set([...Object.keys(locked.images), ...Object.keys(current.images)])].sort();
  for (const name of names) {
    const before = locked.images[name];
    const after = current.images[name];
    const arches: Record<string, ArchDiff> = {};
    const archNames = [...new Set([...Object.keys(before?.arches ?? {}), ...Object.keys(after?.arches ?? {})])].sort();
    for (const arch of archNames) {
      const b = before?.arches[arch];
      const a = after?.arches[arch];
      const d = diffPackages(Object.values(b?.packages ?? {}), Object.values(a?.packages ?? {}));
      arches[arch] = { status: !b ? 'new' : !a ? 'gone' : empty(d) ? 'unchanged' : 'changed', ...d };
    }
    const keys = before && after ? configDiff(before, after) : [];
    const configChanged = keys === 'unknown' || keys.length > 0;
    const status: Status = !before
      ? 'new'
      : !after
        ? 'gone'
        : configChanged || Object.values(arches).some((x) => x.status !== 'unchanged')
          ? 'changed'
          : 'unchanged';
    images[name] = { status, configChanged, changedKeys: Array.isArray(keys) ? keys : [], arches };
  }
  return { changed: Object.values(images).some((i) => i.status !== 'unchanged'), images };
}
