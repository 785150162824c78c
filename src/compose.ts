// compose(): a resolved compose → packages in the host cache → one layer per image and
// arch, written straight from the RPM payloads → an OCI layout or archive.
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { imageLayer, type LayerSource } from './build/index.js';
import type { ImageDef } from './config/types.js';
import { OciError } from './errors.js';
import {
  BlobStore,
  compressLayer,
  openLayout,
  writeDockerArchive,
  writeImage,
  writeIndex,
  writeLayout,
  writeOciArchive,
  type ContainerConfig,
  type Descriptor,
  type Ref,
} from './oci/index.js';
import type { ComposeResolution } from './pipeline.js';
import { fetchPackages, type PackageRepo } from './repo/index.js';
import { readRpm, type ReadRpmResult } from './rpm/package.js';
import { zstdCompressor } from './rpm/decompress.js';
import { nevra, type ResolvedPackage } from './solve/index.js';

export type OutputFormat = 'oci' | 'oci-archive' | 'docker-archive';

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

export interface BuiltImage {
  name: string;
  arch: string;
  manifest: Descriptor;
  layers: { digest: string; diffId: string; size: number; uncompressedSize: number }[];
  packages: number;
  unknownOwners: string[];
  /** NEVRA → scriptlets that were not run. */
  scriptlets: Record<string, string[]>;
}

export interface BuildReport {
  images: BuiltImage[];
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

/** Run `f` over `items`, at most `limit` at once, keeping order of results. */
async function bounded<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function buildImages(res: ComposeResolution, opts: BuildOptions): Promise<BuildReport> {
  const log = opts.log ?? (() => {});
  const jobs = Object.entries(res.images).flatMap(([name, arches]) =>
    Object.entries(arches)
      .filter(([arch]) => !opts.arch || arch === opts.arch)
      .map(([arch, r]) => ({ name, arch, packages: r.packages })),
  );
  if (opts.arch && jobs.length === 0) throw new OciError('OCI_NO_ARCH', `no image of this compose is built for ${opts.arch}`);
  if (opts.format === 'docker-archive') {
    const arches = [...new Set(jobs.map((j) => j.arch))];
    if (arches.length > 1) {
      throw new OciError('OCI_MULTIARCH', `a docker-archive holds one arch; this compose has ${arches.join(', ')}: pick one with --arch`);
    }
    const names = [...new Set(jobs.map((j) => j.name))];
    if (names.length > 1) {
      throw new OciError('OCI_DOCKER_IMAGES', `a docker-archive holds one image here; this compose has ${names.join(', ')}: pick one with --image`);
    }
  }

  // Packages: every arch's from its own repos, each RPM fetched once, verified.
  const files = new Map<string, string>();
  for (const arch of [...new Set(jobs.map((j) => j.arch))]) {
    const repos = new Map<string, PackageRepo>(res.repos[arch]!.map((r) => [r.source.id, { ...r.source, url: r.metadata.url }]));
    const pkgs = jobs.filter((j) => j.arch === arch).flatMap((j) => j.packages);
    let last = 0;
    const got = await fetchPackages(pkgs, repos, {
      cacheDir: opts.cacheDir,
      offline: opts.offline,
      log,
      progress: (done, total, bytes) => {
        if (done === total || Date.now() - last > 500) {
          last = Date.now();
          log(`packages (${arch}): ${done}/${total}, ${(bytes / 1048576).toFixed(1)} MiB downloaded`);
        }
      },
    });
    for (const [k, v] of got) files.set(k, v);
  }
  const headers = new Map<string, Promise<ReadRpmResult>>();
  const header = (p: ResolvedPackage) => {
    let h = headers.get(p.checksum);
    if (!h) headers.set(p.checksum, (h = readRpm(files.get(p.checksum)!)));
    return h;
  };

  const staging = opts.format === 'oci' ? undefined : await mkdtemp(path.join(path.dirname(path.resolve(opts.output)), '.rpmcompose-'));
  try {
    const store = staging ? await BlobStore.open(staging) : await openLayout(opts.output);
    // Two at a time: compression runs on libuv's pool, so two layers keep both cores busy.
    const images = await bounded(jobs, 2, async (job): Promise<BuiltImage> => {
      const sources: LayerSource[] = await Promise.all(
        job.packages.map(async (p) => ({ header: (await header(p)).header, file: files.get(p.checksum)! })),
      );
      const newest = Math.max(0, ...sources.map((s) => s.header.buildtime));
      const mtime = opts.sourceDateEpoch ?? newest;
      const def = res.compose.images[job.name]!;
      const layer = await imageLayer(sources, {
        docs: res.compose.options.docs,
        langs: res.compose.options.langs,
        arch: job.arch,
        mtime,
        strictOwners: opts.strictOwners,
      });
      log(`building ${job.name} (${job.arch}): ${job.packages.length} packages, ${layer.plan.entries.length} entries`);
      const compressed = await compressLayer(layer.tar(), store, {
        compression: opts.compression,
        level: opts.level,
        compressor: opts.compression === 'zstd' ? () => zstdCompressor(opts.level ?? 3) : undefined,
        history: `rpm packages: ${job.packages.map(nevra).join(' ')}`,
      });
      const written = await writeImage(store, { arch: job.arch, config: containerConfig(def), created: mtime, layers: [compressed] });
      return {
        name: job.name,
        arch: job.arch,
        manifest: written.manifest,
        layers: [
          {
            digest: compressed.descriptor.digest,
            diffId: compressed.diffId,
            size: compressed.descriptor.size,
            uncompressedSize: compressed.uncompressedSize,
          },
        ],
        packages: job.packages.length,
        unknownOwners: layer.unknownOwners,
        scriptlets: layer.scriptlets,
      };
    });
    const refs: Ref[] = [];
    for (const name of [...new Set(images.map((i) => i.name))]) {
      const mine = images.filter((i) => i.name === name);
      const descriptor = mine.length === 1 ? mine[0]!.manifest : await writeIndex(store, mine.map((i) => i.manifest));
      refs.push({ name, descriptor });
    }
    // The output changes last, in one step: a failure above leaves it as it was.
    if (opts.format === 'oci') await writeLayout(opts.output, store, refs);
    else if (opts.format === 'oci-archive') await writeOciArchive(opts.output, store, refs);
    else await writeDockerArchive(opts.output, store, { name: refs[0]!.name, manifestDesc: refs[0]!.descriptor });
    return { images, refs };
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}
