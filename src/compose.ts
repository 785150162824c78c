// compose(): a resolved compose → packages in the host cache → the planned layers, each
// built once from the RPM payloads (and kept in the host cache by content) → images →
// an OCI layout or archive.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { planLayer, readPackagedFiles, type LayerPlan, type LayerSource } from './build/index.js';
import { idMap, type IdMap } from './build/users.js';
import type { ImageDef } from './config/types.js';
import { BuildError, OciError } from './errors.js';
import {
  BlobStore,
  checkLayoutDir,
  writeDockerArchive,
  writeFileAtomic,
  writeImage,
  writeIndex,
  writeLayout,
  writeOciArchive,
  type ContainerConfig,
  type Descriptor,
  type Layer,
  type Ref,
} from './oci/index.js';
import { canonicalJson } from './lock/lockfile.js';
import { planCompose, type ComposeResolution } from './pipeline.js';
import type { ArchPlan, PlannedLayer } from './plan/index.js';
import { fetchPackages, type PackageRepo } from './repo/index.js';
import { LAYER_WORKERS, LayerPool } from './layer-pool.js';
import { readRpm } from './rpm/package.js';
import { nevra } from './rpm/version.js';
import { S_IFDIR, S_IFMT } from './build/plan.js';

export type OutputFormat = 'oci' | 'oci-archive' | 'docker-archive';

/** Bump when the bytes a layer plan turns into change. */
const LAYER_FORMAT = 1;

export interface BuildOptions {
  cacheDir: string;
  offline?: boolean;
  output: string;
  format: OutputFormat;
  /** Only this arch (required for a docker-archive of a multi-arch compose). */
  arch?: string;
  compression: 'gzip' | 'zstd';
  level?: number;
  strictOwners?: boolean;
  /** SOURCE_DATE_EPOCH: the images' `created` and generated files' mtime. */
  sourceDateEpoch?: number;
  log?: (line: string) => void;
}

export interface BuiltLayer {
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

export interface BuiltImage {
  name: string;
  arch: string;
  manifest: Descriptor;
  layers: BuiltLayer[];
  packages: number;
  /** Bytes re-pulled when one of its packages changes (installed-size estimate), worst and median. */
  repull: { worst: number; median: number };
  unknownOwners: string[];
  /** NEVRA → scriptlets that were not run. */
  scriptlets: Record<string, string[]>;
}

export interface BuildReport {
  images: BuiltImage[];
  refs: Ref[];
  plans: ArchPlan[];
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

/** Run `f` over `items`, at most `limit` at once, keeping the order of results. */
async function bounded<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const label = (s: LayerSource) => nevra(s.header);

/** What a layer's bytes depend on: its packages and every entry's header fields. */
function layerKey(checksums: string[], plan: LayerPlan, opts: BuildOptions): string {
  const entries = plan.entries.map((e) => ({ ...e, caps: 'caps' in e && e.caps ? e.caps.toString('hex') : undefined }));
  const text = canonicalJson({ format: LAYER_FORMAT, checksums, entries, compression: opts.compression, level: opts.level ?? null });
  return createHash('sha256').update(text).digest('hex');
}

const ACCOUNT_FILES = ['/etc/passwd', '/etc/group'];

/**
 * The image's users and groups, from its own /etc/passwd and /etc/group. Images that get
 * them from the same packages share one read of those payloads (`seen`); each image still
 * gets its own IdMap, which records the names its files ask for.
 */
async function imageIds(sources: LayerSource[], seen: Map<string, Promise<Map<string, Buffer>>>): Promise<IdMap> {
  const owners = sources.filter((s) => s.header.files.some((f) => ACCOUNT_FILES.includes(f.path)));
  const key = owners.map((s) => s.file).join('\0');
  let files = seen.get(key);
  if (!files) seen.set(key, (files = readPackagedFiles(owners, ACCOUNT_FILES)));
  const got = await files;
  return idMap(got.get('/etc/passwd')?.toString('utf8'), got.get('/etc/group')?.toString('utf8'));
}

/** The plans of the arches asked for, checked against what the output format can hold. */
function selectPlans(res: ComposeResolution, opts: BuildOptions): ArchPlan[] {
  const plans = planCompose(res).filter((p) => !opts.arch || p.arch === opts.arch);
  if (opts.arch && plans.length === 0) throw new OciError('OCI_NO_ARCH', `no image of this compose is built for ${opts.arch}`);
  if (opts.format === 'docker-archive') {
    const arches = plans.map((p) => p.arch);
    if (arches.length > 1) throw new OciError('OCI_MULTIARCH', `a docker-archive holds one arch; this compose has ${arches.join(', ')}: pick one with --arch`);
    const names = [...new Set(plans.flatMap((p) => Object.keys(p.images)))];
    if (names.length > 1) throw new OciError('OCI_DOCKER_IMAGES', `a docker-archive holds one image here; this compose has ${names.join(', ')}: pick one with --image`);
  }
  return plans;
}

/** Every package of the plans in the host cache (each arch from its own repos), with its header. */
async function fetchSources(res: ComposeResolution, plans: ArchPlan[], opts: BuildOptions): Promise<Map<string, LayerSource>> {
  const log = opts.log ?? (() => {});
  const files = new Map<string, string>();
  for (const plan of plans) {
    const repos = new Map<string, PackageRepo>(res.repos[plan.arch]!.map((r) => [r.source.id, { ...r.source, url: r.metadata.url }]));
    let last = 0;
    const got = await fetchPackages(
      Object.keys(plan.images).flatMap((name) => res.images[name]![plan.arch]!.packages),
      repos,
      {
        cacheDir: opts.cacheDir,
        offline: opts.offline,
        log,
        progress: (done, total, bytes) => {
          if (done === total || Date.now() - last > 500) {
            last = Date.now();
            log(`packages (${plan.arch}): ${done}/${total}, ${(bytes / 1048576).toFixed(1)} MiB downloaded`);
          }
        },
      },
    );
    for (const [k, v] of got) files.set(k, v);
  }
  const sources = new Map<string, LayerSource>();
  await bounded([...files], 8, async ([checksum, file]) => {
    sources.set(checksum, { header: (await readRpm(file)).header, file });
  });
  return sources;
}

/** What every layer of an image must agree on: its ids and the directories its packages own. */
interface ImageFacts {
  ids: IdMap;
  ownedDirs: Set<string>;
}

/** Per image: ids from its own passwd/group, owned directories, and rpm's file-conflict check over the whole set. */
async function imageFacts(
  name: string,
  arch: string,
  src: LayerSource[],
  res: ComposeResolution,
  opts: BuildOptions,
  accounts: Map<string, Promise<Map<string, Buffer>>>,
): Promise<ImageFacts> {
  const ids = await imageIds(src, accounts);
  const ownedDirs = new Set(src.flatMap((s) => s.header.files.filter((f) => (f.mode & S_IFMT) === S_IFDIR).map((f) => f.path)));
  // Layers alone would not see a conflict between packages in two of them.
  planLayer(src.map((s) => s.header), { docs: res.compose.options.docs, langs: res.compose.options.langs, ids, mtime: 0, arch });
  if (ids.unknown().length && opts.strictOwners) {
    throw new BuildError('BUILD_OWNERS', `${name} (${arch}): owners not in the image's /etc/passwd or /etc/group: ${ids.unknown().join(', ')}`);
  }
  return { ids, ownedDirs };
}

interface LayerBuilder {
  store: BlobStore;
  indexDir: string;
  pool: () => LayerPool;
}

/** One planned layer: from the host cache when built before, else built in a worker. */
async function buildLayer(
  pl: PlannedLayer,
  arch: string,
  src: LayerSource[],
  facts: Map<string, ImageFacts>,
  res: ComposeResolution,
  b: LayerBuilder,
  opts: BuildOptions,
): Promise<{ layer: Layer; cached: boolean }> {
  // A directory some image of this layer owns elsewhere is left to the layer that holds it.
  const imageDirs = new Set(pl.images.flatMap((i) => [...facts.get(i)!.ownedDirs]));
  const ids = facts.get(pl.images[0]!)!.ids;
  const mtime = opts.sourceDateEpoch ?? Math.max(0, ...src.map((s) => s.header.buildtime));
  const layerPlan = planLayer(src.map((s) => s.header), { docs: res.compose.options.docs, langs: res.compose.options.langs, ids, mtime, arch, imageDirs });
  for (const other of pl.images.slice(1)) {
    const o = facts.get(other)!.ids;
    const clash = layerPlan.entries.find((e) => o.uid(e.uname) !== e.uid || o.gid(e.gname) !== e.gid);
    if (clash) {
      throw new BuildError('BUILD_SHARED_OWNERS', `${clash.path}: images ${pl.images[0]} and ${other} map its owner ${clash.uname}:${clash.gname} to different ids`);
    }
  }
  const indexFile = path.join(b.indexDir, `${layerKey(pl.packages, layerPlan, opts)}.json`);
  try {
    const layer = JSON.parse(await readFile(indexFile, 'utf8')) as Layer;
    if (await b.store.has(layer.descriptor.digest)) return { layer, cached: true };
  } catch {
    // not built yet
  }
  opts.log?.(`building layer of ${src.length} packages (${arch}) for ${pl.images.join(', ')}`);
  const layer = await b.pool().build({
    // The header blob is for an rpmdb, not for the layer: not worth copying to a worker.
    sources: src.map((x) => ({ file: x.file, header: { ...x.header, headerBlob: Buffer.alloc(0) } })),
    plan: layerPlan,
    storeRoot: b.store.root,
    compression: opts.compression,
    level: opts.level,
    history: `rpm packages: ${src.map(label).join(' ')}`,
  });
  await writeFileAtomic(indexFile, JSON.stringify(layer));
  return { layer, cached: false };
}

export async function buildImages(res: ComposeResolution, opts: BuildOptions): Promise<BuildReport> {
  const plans = selectPlans(res, opts);
  if (opts.format === 'oci') await checkLayoutDir(path.resolve(opts.output));
  const sourceOf = await fetchSources(res, plans, opts);
  const sources = (keys: string[]) => keys.map((k) => sourceOf.get(k)!);
  const store = await BlobStore.open(path.join(opts.cacheDir, 'layers'));
  const indexDir = path.join(opts.cacheDir, 'layers', 'index');
  await mkdir(indexDir, { recursive: true });
  // Worker threads build the layers, as many at once as there are cores; none are
  // started when every layer comes from the cache.
  let pool: LayerPool | undefined;
  const builder: LayerBuilder = { store, indexDir, pool: () => (pool ??= new LayerPool()) };

  const accounts = new Map<string, Promise<Map<string, Buffer>>>();
  const images: BuiltImage[] = [];
  try {
    for (const plan of plans) {
      const names = Object.keys(plan.images);
      const keysOf = (name: string) => res.images[name]![plan.arch]!.packages.map((p) => p.checksum);
      const facts = new Map<string, ImageFacts>();
      for (const name of names) facts.set(name, await imageFacts(name, plan.arch, sources(keysOf(name)), res, opts, accounts));

      // Largest first: the biggest layer is the critical path, it must not start last.
      const bySize = [...plan.layers].sort((a, b) => b.bytes - a.bytes || (a.id < b.id ? -1 : 1));
      const built = await bounded(bySize, LAYER_WORKERS, (pl) => buildLayer(pl, plan.arch, sources(pl.packages), facts, res, builder, opts));
      const byId = new Map(bySize.map((l, i) => [l.id, { planned: l, ...built[i]! }]));

      for (const name of names) {
        const src = sources(keysOf(name));
        const stack = plan.images[name]!.map((id) => byId.get(id)!);
        const created = opts.sourceDateEpoch ?? Math.max(0, ...src.map((s) => s.header.buildtime));
        const written = await writeImage(store, { arch: plan.arch, config: containerConfig(res.compose.images[name]!), created, layers: stack.map((s) => s.layer) });
        const fig = plan.figures.images[name]!;
        images.push({
          name,
          arch: plan.arch,
          manifest: written.manifest,
          layers: stack.map((s) => ({
            digest: s.layer.descriptor.digest,
            diffId: s.layer.diffId,
            size: s.layer.descriptor.size,
            uncompressedSize: s.layer.uncompressedSize,
            packages: s.planned.packages.length,
            images: s.planned.images,
            cached: s.cached,
          })),
          packages: src.length,
          repull: { worst: fig.repullWorst, median: fig.repullMedian },
          unknownOwners: facts.get(name)!.ids.unknown(),
          scriptlets: Object.fromEntries(src.filter((s) => s.header.scriptlets.length).map((s) => [label(s), s.header.scriptlets])),
        });
      }
    }
  } finally {
    await pool?.close();
  }

  const refs: Ref[] = [];
  for (const name of [...new Set(images.map((i) => i.name))].sort()) {
    const mine = images.filter((i) => i.name === name);
    const descriptor = mine.length === 1 ? mine[0]!.manifest : await writeIndex(store, mine.map((i) => i.manifest));
    refs.push({ name, descriptor });
  }
  // The output changes last, in one step: a failure above leaves it as it was.
  if (opts.format === 'oci') await writeLayout(opts.output, store, refs);
  else if (opts.format === 'oci-archive') await writeOciArchive(opts.output, store, refs);
  else await writeDockerArchive(opts.output, store, { name: refs[0]!.name, manifestDesc: refs[0]!.descriptor });
  return { images, refs, plans };
}
