// The spine: every command as one function that reads top to bottom, calling one stage
// per step. The CLI calls these and prints what they return; nothing here prints.
//
//   compose:  load → resolve → stop on problems → check outputs → fetch → accounts
//             → lay out paths → plan → build → write outputs (once more after discarding a
//             corrupt cache entry) → write lock (with the account ids pinned)
import path from 'node:path';
import { OciError } from '../errors.js';
import { cmp } from '../order.js';
import type { Compression, Ref } from '../oci/index.js';
import { defaultLockPath, diffLocks, lockFromResolution, lockVersionAt, pinnedIds, readLock, writeLock, LOCK_VERSION, type DiffReport, type Lock } from '../lock/index.js';
import { PackagedFiles } from '../rpm/files.js';
import { accountsStep } from './accounts.js';
import type { ArchPlan } from '../plan/index.js';
import type { Resolution } from '../types/index.js';
import { buildImages, imageTrees, planKeys, type ImageReport } from './build.js';
import { fetchSources, unverifiedRepos } from './fetch.js';
import { load, type Loaded, type RunOptions } from './load.js';
import type { Output } from './outputs.js';
import { withOneRetry } from './recover.js';
import { fromRepos, planResolution, selectArches, stopOnProblems, type ArchSelection, type ResolutionSource } from './resolve.js';

export { defaultCacheDir, type RunOptions } from './load.js';
export { OUTPUT_FORMATS, outputFor, type Output, type OutputFormat } from './outputs.js';
export { fromRepos, unresolved, type ResolutionSource } from './resolve.js';
export type { ImageReport, LayerReport } from './build.js';

export interface LockWritten {
  file: string;
  /** The version of the lock this write replaced, when it was an older one. */
  upgradedFrom?: number;
}

/** Each image's exact package set. Problems are in the result, not thrown. */
export async function resolve(file: string, opts: RunOptions): Promise<Resolution> {
  const ctx = await load(file, opts);
  return fromRepos.resolve(ctx);
}

/** Resolve and write the lock. */
export async function lock(file: string, opts: RunOptions & { lockfile?: string }): Promise<{ lock: Lock; written: LockWritten }> {
  const ctx = await load(file, opts);
  const res = await fromRepos.resolve(ctx);
  stopOnProblems(res, 'lock not written');
  const lockFile = path.resolve(opts.lockfile ?? defaultLockPath(ctx.compose.file));
  // `lock` reads no package: the ids a compose pinned are carried over as they are.
  const lock = lockFromResolution(res, lockFile, await pinnedIds(lockFile));
  return { lock, written: await writeLockFile(lockFile, lock) };
}

/** Re-resolve and compare with the lock. Never downloads an RPM. */
export async function diff(file: string, opts: RunOptions & { lockfile?: string }): Promise<DiffReport> {
  const ctx = await load(file, opts);
  const lockFile = path.resolve(opts.lockfile ?? defaultLockPath(ctx.compose.file));
  const { lock: locked } = await readLock(lockFile, ctx.compose);
  const res = await fromRepos.resolve(ctx);
  stopOnProblems(res, 'nothing compared');
  const report = diffLocks(locked, lockFromResolution(res, lockFile));
  // The compose file's images in its order, then those only the lock has.
  const names = [...ctx.images, ...Object.keys(report.images).filter((n) => !ctx.images.includes(n))];
  return { ...report, images: Object.fromEntries(names.filter((n) => Object.hasOwn(report.images, n)).map((n) => [n, report.images[n]!])) };
}

/** The layer DAG the images would get, without downloading anything. */
export async function plan(file: string, opts: RunOptions): Promise<{ resolution: Resolution; plans: ArchPlan[] }> {
  const ctx = await load(file, opts);
  const resolution = await fromRepos.resolve(ctx);
  stopOnProblems(resolution, 'nothing planned');
  return { resolution, plans: planResolution(resolution) };
}

export interface ComposeRunOptions extends RunOptions {
  /** Where the images go (layout, archive); written last, together. */
  outputs: Output[];
  /** Default: resolve against the repos as they are now. */
  source?: ResolutionSource;
  /** Only this arch. */
  arch?: string;
  compression: Compression;
  level?: number;
  strictOwners?: boolean;
  /** SOURCE_DATE_EPOCH: the images' `created` and generated files' mtime. */
  sourceDateEpoch?: number;
  /** The lock a whole compose updates (default: beside the compose file). */
  lockfile?: string;
}

export interface ComposeReport {
  /** Per image and arch, in the compose file's order, then arch order. */
  images: ImageReport[];
  /** One per image (its manifest, or its image index), in the compose file's order. */
  refs: Ref[];
  plans: ArchPlan[];
  outputs: Output[];
  /** Only a compose of every image and arch writes the lock. */
  lock?: LockWritten;
  /** Repos (JSON paths) whose packages went in without a signature check (gpgcheck off). */
  unverified: string[];
  /** What the user should know: a compose entry that wins over a package's, and so on. */
  warnings: string[];
}

export async function compose(file: string, opts: ComposeRunOptions): Promise<ComposeReport> {
  const ctx = await load(file, opts);
  const res = await (opts.source ?? fromRepos).resolve(ctx);
  stopOnProblems(res, 'nothing built');
  const selection = selectArches(res, opts.arch);
  if (opts.arch && selection.length === 0) {
    throw new OciError('OCI_NO_ARCH', `no image of this compose is built for ${opts.arch} (its arches: ${selectArches(res).map((s) => s.arch).join(', ')})`);
  }
  for (const out of opts.outputs) await out.check(selection);
  const { compression, level, strictOwners, sourceDateEpoch } = opts;
  const lockFile = path.resolve(opts.lockfile ?? defaultLockPath(ctx.compose.file));
  const pinned = await pinnedIds(lockFile);
  // Account ids are the whole compose's: a compose of some images or one arch reads
  // every image's declarations too, so that its images get the ids a full compose gives.
  const partial = ctx.images.length < Object.keys(ctx.compose.images).length || !!opts.arch;
  const whole = partial ? await wholeResolution(ctx, opts.source ?? fromRepos) : { res, selection };
  // A cached RPM or layer that fails its check on the way is discarded and this runs once more.
  const { plans, built, accounts } = await withOneRetry(ctx, async () => {
    const sources = await fetchSources(ctx, res, selection);
    // Users and groups first: file owners map through them, and they may add a top layer.
    const files = new PackagedFiles();
    const everySource = partial ? await fetchSources(ctx, whole.res, whole.selection) : sources;
    const accounts = await accountsStep(whole.res, whole.selection, everySource, pinned, sourceDateEpoch, files);
    // Where every file lands decides which images can share a package's layer: plan after.
    const trees = imageTrees(res, selection, sources);
    const hasTop = (arch: string, image: string) => res.compose.images[image]!.options.rpmdb || accounts.of(arch, image).changed.length > 0;
    const plans = planResolution(res, selection, planKeys(res, trees, sources), hasTop);
    const built = await buildImages(ctx, res, plans, sources, trees, accounts, { compression, level, strictOwners, sourceDateEpoch, files });
    // The outputs change last: a failure above leaves them as they were.
    for (const out of opts.outputs) await out.write(built.store, built.refs);
    return { plans, built, accounts };
  });
  // Only a compose of every image and arch is a whole answer to the compose file. Ids
  // pinned before stay pinned; the ones made now join them.
  const ids = { users: { ...pinned?.users, ...accounts.ids.users }, groups: { ...pinned?.groups, ...accounts.ids.groups } };
  const lock = !opts.images?.length && !opts.arch ? await writeLockFile(lockFile, lockFromResolution(res, lockFile, ids)) : undefined;
  // In the compose file's order (the builds went arch by arch).
  const rank = new Map(ctx.images.map((n, i) => [n, i]));
  const images = [...built.images].sort((a, b) => rank.get(a.name)! - rank.get(b.name)! || cmp(a.arch, b.arch));
  const refs = [...built.refs].sort((a, b) => rank.get(a.name)! - rank.get(b.name)!);
  return { images, refs, plans, outputs: opts.outputs, lock, unverified: unverifiedRepos(res, selection), warnings: accounts.warnings };
}

/** Every image of the compose, every arch, resolved; those that cannot be resolved left out (they declare nothing here). */
async function wholeResolution(ctx: Loaded, source: ResolutionSource): Promise<{ res: Resolution; selection: ArchSelection[] }> {
  const all = await source.resolve({ ...ctx, images: Object.keys(ctx.compose.images), log: () => {} });
  const images = Object.fromEntries(
    Object.entries(all.images).map(([name, arches]) => [name, Object.fromEntries(Object.entries(arches).filter(([, r]) => r.problems.length === 0))]),
  );
  const res = { ...all, images };
  return { res, selection: selectArches(res) };
}

async function writeLockFile(file: string, lock: Lock): Promise<LockWritten> {
  const before = await lockVersionAt(file);
  await writeLock(file, lock);
  return before !== undefined && before < LOCK_VERSION ? { file, upgradedFrom: before } : { file };
}
