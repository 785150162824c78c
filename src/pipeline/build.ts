// The build step: per arch, every planned layer (src/layer: from the host cache or built
// in workers), then each image's config and manifest, and one image index per image with
// several arches, all in the layer cache's blob store.
import { ImageTree, LayerBuilder, LayerCache, type BuiltLayer, type ImageFacts, type LayerOptions, type LayerSource } from '../layer/index.js';
import { writeImage, writeIndex, type BlobStore, type ContainerConfig, type Descriptor, type Ref } from '../oci/index.js';
import type { ArchPlan } from '../plan/index.js';
import { nevra } from '../rpm/version.js';
import type { ImageDef, Resolution } from '../types/index.js';
import type { Loaded } from './load.js';
import { describeOrigin, type ImageAccounts } from '../accounts/index.js';
import type { ComposedAccounts } from './accounts.js';
import { checksumOf, planKey, type ArchSelection, type PlanKey } from './resolve.js';

export interface LayerReport {
  /** What it holds: packages' files, or the image's own top layer (its accounts, its rpm database). */
  kind: 'packages' | 'top';
  digest: string;
  diffId: string;
  size: number;
  uncompressedSize: number;
  packages: number;
  /** Images (of this arch) that use it. */
  images: string[];
  /** Taken from the host cache rather than built. */
  cached: boolean;
}

export interface ImageReport {
  name: string;
  arch: string;
  manifest: Descriptor;
  layers: LayerReport[];
  packages: number;
  /** Bytes re-pulled when one of its packages changes (installed-size estimate), worst and median. */
  repull: { worst: number; median: number };
  unknownOwners: string[];
  /** Users and groups made for it, in order, each with where it was declared. */
  accounts: { kind: 'user' | 'group'; name: string; id: number; from: string }[];
  /** Packages whose %pre is not the users-and-groups idiom (not run, not read), and why. */
  unparsedPre: { package: string; why: string }[];
  /** NEVRA → scriptlets that were not run. */
  scriptlets: Record<string, string[]>;
}

export interface Built {
  store: BlobStore;
  images: ImageReport[];
  /** One per image: its manifest, or an image index over its arches. */
  refs: Ref[];
}

export function containerConfig(image: ImageDef): ContainerConfig {
  return {
    Entrypoint: image.entrypoint,
    Cmd: image.cmd,
    Env: Object.entries(image.env).map(([k, v]) => `${k}=${v}`),
    ExposedPorts: image.expose,
    Labels: image.labels,
    User: image.user,
    WorkingDir: image.workdir,
  };
}

export type BuildOptions = Omit<LayerOptions, 'log'>;

/** arch → image → where its packages' files land. */
export type ImageTrees = Map<string, Map<string, ImageTree>>;

/** Each selected image's tree: its packages' paths resolved as rpm lays them down (LayerError for what rpm refuses). */
export function imageTrees(res: Resolution, selection: ArchSelection[], sourceOf: Map<string, LayerSource>): ImageTrees {
  return new Map(
    selection.map(({ arch, images }) => [
      arch,
      new Map(images.map((name) => [name, ImageTree.of(res.images[name]![arch]!.packages.map((p) => sourceOf.get(p.checksum)!.header))])),
    ]),
  );
}

/** Plan keys: the checksum, the image's docs and langs, and where the package's files land when a directory symlink moves them. */
export function planKeys(res: Resolution, trees: ImageTrees, sourceOf: Map<string, LayerSource>): PlanKey {
  return (arch, image, pkg) => planKey(pkg.checksum, res.compose.images[image]!, trees.get(arch)!.get(image)!.pathsOf(sourceOf.get(pkg.checksum)!.header)!.context);
}

export async function buildImages(
  ctx: Loaded,
  res: Resolution,
  plans: ArchPlan[],
  sourceOf: Map<string, LayerSource>,
  trees: ImageTrees,
  accounts: ComposedAccounts,
  opts: BuildOptions,
): Promise<Built> {
  const sources = (keys: string[]) => keys.map((k) => sourceOf.get(checksumOf(k))!);
  const builder = new LayerBuilder(await LayerCache.open(ctx.cacheDir), { ...opts, log: ctx.log });
  const images: ImageReport[] = [];
  try {
    for (const plan of plans) {
      const names = Object.keys(plan.images);
      const srcOf = (name: string) => sources(res.images[name]![plan.arch]!.packages.map((p) => p.checksum));
      const facts = new Map<string, ImageFacts>();
      for (const name of names) {
        const { docs, langs, rpmdb } = res.compose.images[name]!.options;
        const acc = accounts.of(plan.arch, name);
        const account = { passwd: acc.texts['/etc/passwd'], group: acc.texts['/etc/group'], changed: acc.changed };
        facts.set(name, await builder.imageFacts(name, plan.arch, srcOf(name), { docs, langs, rpmdb, accounts: account }, trees.get(plan.arch)!.get(name)!));
      }
      const created = (name: string) => opts.sourceDateEpoch ?? Math.max(0, ...srcOf(name).map((s) => s.header.buildtime));
      // Each image's own top layer, what rpm's install would leave besides the payloads
      // (its accounts, its database): written here, in the main thread, while the workers
      // build the package layers.
      const tops = names.map((name) => builder.topLayer(name, plan.arch, srcOf(name), facts.get(name)!, created(name)));
      // Both settle before anything is reported: no work goes on behind an error.
      const [built, ...top] = await allSettled([builder.layers(plan.layers, plan.arch, sources, facts), ...tops]);
      for (const [i, name] of names.entries()) {
        images.push(await writeArchImage(builder.cache.store, res, plan, name, srcOf(name), built, facts.get(name)!, top[i], created(name), accounts.of(plan.arch, name)));
      }
    }
  } finally {
    await builder.close();
  }
  const refs: Ref[] = [];
  for (const name of [...new Set(images.map((i) => i.name))].sort()) {
    const mine = images.filter((i) => i.name === name);
    const descriptor = mine.length === 1 ? mine[0]!.manifest : await writeIndex(builder.cache.store, mine.map((i) => i.manifest));
    refs.push({ name, descriptor });
  }
  return { store: builder.cache.store, images, refs };
}

/** Promise.all, but waiting for every promise to settle; the first rejection (in order) is thrown. */
async function allSettled<T extends readonly unknown[]>(promises: [...{ [K in keyof T]: Promise<T[K]> | T[K] }]): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** One image of one arch: its config and manifest over the built layers, and what to report of it. */
async function writeArchImage(
  store: BlobStore,
  res: Resolution,
  plan: ArchPlan,
  name: string,
  src: LayerSource[],
  built: Map<string, BuiltLayer>,
  facts: ImageFacts,
  top: BuiltLayer | undefined,
  created: number,
  accounts: ImageAccounts,
): Promise<ImageReport> {
  const byId = new Map(plan.layers.map((l) => [l.id, l]));
  const layers: (BuiltLayer & { report: Pick<LayerReport, 'kind' | 'packages' | 'images'> })[] = plan.images[name]!.map((id) => {
    const planned = byId.get(id)!;
    return { ...built.get(id)!, report: { kind: 'packages', packages: planned.packages.length, images: planned.images } };
  });
  if (top) layers.push({ ...top, report: { kind: 'top', packages: src.length, images: [name] } });
  const written = await writeImage(store, { arch: plan.arch, config: containerConfig(res.compose.images[name]!), created, layers: layers.map((s) => s.layer) });
  const fig = plan.figures.images[name]!;
  return {
    name,
    arch: plan.arch,
    manifest: written.manifest,
    layers: layers.map((s) => ({
      ...s.report,
      digest: s.layer.descriptor.digest,
      diffId: s.layer.diffId,
      size: s.layer.descriptor.size,
      uncompressedSize: s.layer.uncompressedSize,
      cached: s.cached,
    })),
    packages: src.length,
    repull: { worst: fig.repullWorst, median: fig.repullMedian },
    unknownOwners: facts.ids.unknown(),
    accounts: accounts.created.map((c) => ({ kind: c.kind, name: c.name, id: c.id, from: describeOrigin(c.origin) })),
    unparsedPre: accounts.unparsed,
    scriptlets: Object.fromEntries(src.filter((s) => s.header.scriptlets.length).map((s) => [nevra(s.header), s.header.scriptlets])),
  };
}
