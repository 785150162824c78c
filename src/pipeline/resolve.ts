// Resolving a compose: every arch's repos fetched once (src/repo), every image solved on
// its arches (src/solve); and the layer plan of a resolution (src/plan).
import { UnresolvableError, type Unresolved } from '../errors.js';
import { hexDigest } from '../hash.js';
import { planLayers, type ArchPlan, type PlanImage, type PlanPackage } from '../plan/index.js';
import { fetchRepos } from '../repo/index.js';
import { nevra } from '../rpm/version.js';
import { createSolver } from '../solve/index.js';
import { estimateRpmdbSize } from '../rpmdb/index.js';
import type { ImageDef, RepoState, ResolvedPackage, Resolution } from '../types/index.js';
import type { Loaded } from './load.js';

/**
 * Where a command's resolution comes from: the repos as they are now, or (for locked
 * builds) the lock.
 */
export interface ResolutionSource {
  resolve(ctx: Loaded): Promise<Resolution>;
}

/** Resolve against the repos as they are now (revalidated, or the cache with --offline). */
export const fromRepos: ResolutionSource = { resolve: resolveCompose };

async function fetchAllRepos(ctx: Loaded, arches: string[]): Promise<Record<string, RepoState[]>> {
  if (ctx.offline) ctx.log(`offline: using the cache at ${ctx.cacheDir} only`);
  const perArch = arches.map((arch) => ctx.compose.reposFor(arch).filter((r) => r.enabled));
  const fetched = await fetchRepos(perArch.flat(), { cacheDir: ctx.cacheDir, offline: ctx.offline, log: ctx.log });
  const out: Record<string, RepoState[]> = {};
  let at = 0;
  arches.forEach((arch, i) => {
    out[arch] = perArch[i]!.map((source) => ({ source, metadata: fetched[at++]! }));
  });
  return out;
}

async function resolveCompose(ctx: Loaded): Promise<Resolution> {
  const { compose } = ctx;
  const images = ctx.images.map((n) => compose.images[n]!);
  const arches = [...new Set(images.flatMap((i) => i.arch))].sort();
  const repos = await fetchAllRepos(ctx, arches);
  const result: Resolution['images'] = Object.fromEntries(ctx.images.map((n) => [n, {}]));
  for (const arch of arches) {
    const wanted = images.filter((i) => i.arch.includes(arch));
    const solver = await createSolver(arch, repos[arch]!, {
      cacheDir: ctx.cacheDir,
      modules: compose.modules,
      needGroups: wanted.some((i) => i.packages.some((p) => p.startsWith('@'))),
      specs: wanted.flatMap((i) => i.packages),
    });
    for (const image of wanted) {
      ctx.log(`resolving ${image.name} (${arch})`);
      result[image.name]![arch] = solver.resolve({ packages: image.packages, exclude: image.exclude, weakDeps: image.options.weakDeps });
    }
  }
  return { compose, repos, images: result };
}

export function unresolved(res: Resolution): Unresolved[] {
  return Object.entries(res.images).flatMap(([image, arches]) =>
    Object.entries(arches)
      .filter(([, r]) => r.problems.length > 0)
      .map(([arch, r]) => ({ image, arch, problems: r.problems })),
  );
}

/** Nothing is planned, built or locked from a resolution with problems. */
export function stopOnProblems(res: Resolution, consequence: string): void {
  const bad = unresolved(res);
  if (bad.length) throw new UnresolvableError(bad, `${consequence}: ${bad.length === 1 ? 'an image cannot' : 'some images cannot'} be resolved`);
}

/** The images of one arch that a command works on. */
export interface ArchSelection {
  arch: string;
  /** In the compose file's order. */
  images: string[];
}

/** Every arch of the resolution (or only `arch`), with its images. */
export function selectArches(res: Resolution, arch?: string): ArchSelection[] {
  const arches = [...new Set(Object.values(res.images).flatMap((a) => Object.keys(a)))].sort();
  return arches
    .filter((a) => !arch || a === arch)
    .map((a) => ({ arch: a, images: Object.keys(res.images).filter((n) => res.images[n]![a]) }));
}

/**
 * How the planner tells packages apart: by checksum, plus whatever else shapes the
 * package's layer in that image (planKey). Default: the image's docs and langs only
 * (nothing downloaded yet).
 */
export type PlanKey = (arch: string, image: string, pkg: ResolvedPackage) => string;

/** Between a plan key's checksum and the hash of what else shapes its layer; in no checksum. */
const KEY_SHAPE = '#';

/**
 * A package's plan key in one image: its checksum, then, when its layer there depends on
 * more (the image's docs and langs, the directory symlinks its files go through), a hash
 * of that. Images can share a package's layer only when its keys are equal.
 */
export function planKey(checksum: string, image: ImageDef, context: string[] = []): string {
  const { docs, langs } = image.options;
  const shape = [...context, ...(docs ? [] : ['docs: off']), ...(langs.length ? [`langs: ${langs.join(',')}`] : [])];
  return shape.length ? `${checksum}${KEY_SHAPE}${hexDigest(shape.join('\n')).slice(0, 16)}` : checksum;
}

/** The package checksum a plan key names. */
export function checksumOf(key: string): string {
  return key.split(KEY_SHAPE)[0]!;
}

/**
 * The layer DAG of every selected arch: packages sized by installed bytes, each image's
 * top layer counted. `hasTop`: whether an image gets one (its rpm database, its account
 * files); default: when it gets a database (`plan` reads no package).
 */
export function planResolution(
  res: Resolution,
  selection = selectArches(res),
  keyOf: PlanKey = (_a, i, p) => planKey(p.checksum, res.compose.images[i]!),
  hasTop: (arch: string, image: string) => boolean = (_a, i) => res.compose.images[i]!.options.rpmdb,
): ArchPlan[] {
  return selection.map(({ arch, images: names }) => {
    const packages = new Map<string, PlanPackage>();
    const images: PlanImage[] = [];
    for (const name of names) {
      const resolved = res.images[name]![arch]!.packages;
      const keys = resolved.map((p) => {
        const key = keyOf(arch, name, p);
        packages.set(key, { key, name: p.name, nevra: nevra(p), size: p.installsize, changed: p.buildtime });
        return key;
      });
      const { maxLayers, rpmdb } = res.compose.images[name]!.options;
      const top = hasTop(arch, name) ? { top: { layers: 1, bytes: rpmdb ? estimateRpmdbSize(resolved) : 0 } } : {};
      images.push({ name, packages: keys, maxLayers, ...top });
    }
    return planLayers({ arch, images, packages, maxLayers: res.compose.options.maxLayers });
  });
}
