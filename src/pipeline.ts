// The readable spine: compose file → repos → solver → plan (then src/compose.ts: build → output).
import os from 'node:os';
import path from 'node:path';
import type { Compose, RepoSource } from './config/types.js';
import { fetchRepo } from './repo/index.js';
import type { RepoMetadata } from './repo/types.js';
import { planLayers, type ArchPlan, type PlanImage, type PlanPackage } from './plan/index.js';
import { createSolver, nevra, type ImageResolution } from './solve/index.js';

export interface PipelineOptions {
  cacheDir: string;
  offline?: boolean;
  /** Only these images (default: all). */
  images?: string[];
  log?: (line: string) => void;
}

export interface RepoState {
  source: RepoSource;
  metadata: RepoMetadata;
}

export interface ComposeResolution {
  compose: Compose;
  /** arch → the enabled repos as fetched for it. */
  repos: Record<string, RepoState[]>;
  /** image → arch → its package set. */
  images: Record<string, Record<string, ImageResolution>>;
}

/** `$RPMCOMPOSE_CACHE_DIR`, else `$XDG_CACHE_HOME/rpmcompose`, else `~/.cache/rpmcompose`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RPMCOMPOSE_CACHE_DIR) return path.resolve(env.RPMCOMPOSE_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'rpmcompose');
}

/** Fetch every enabled repo of every arch once, even when arches share a URL. */
async function fetchAll(compose: Compose, arches: string[], opts: PipelineOptions): Promise<Record<string, RepoState[]>> {
  const pending = new Map<string, Promise<RepoMetadata>>();
  const out: Record<string, RepoState[]> = {};
  await Promise.all(
    arches.map(async (arch) => {
      const sources = compose.reposFor(arch).filter((r) => r.enabled);
      out[arch] = await Promise.all(
        sources.map(async (source) => {
          const key = JSON.stringify(source);
          let p = pending.get(key);
          if (!p) {
            p = fetchRepo(source, { cacheDir: opts.cacheDir, offline: opts.offline ?? false, log: opts.log });
            pending.set(key, p);
          }
          return { source, metadata: await p };
        }),
      );
    }),
  );
  return out;
}

export async function resolveCompose(compose: Compose, opts: PipelineOptions): Promise<ComposeResolution> {
  const names = opts.images ?? Object.keys(compose.images);
  const images = names.map((n) => compose.images[n]!);
  const arches = [...new Set(images.flatMap((i) => i.arch))].sort();
  const repos = await fetchAll(compose, arches, opts);
  const result: ComposeResolution['images'] = Object.fromEntries(names.map((n) => [n, {}]));
  for (const arch of arches) {
    const wanted = images.filter((i) => i.arch.includes(arch));
    const solver = await createSolver(arch, repos[arch]!, {
      cacheDir: opts.cacheDir,
      modules: compose.modules,
      needGroups: wanted.some((i) => i.packages.some((p) => p.startsWith('@'))),
      specs: wanted.flatMap((i) => i.packages),
    });
    for (const image of wanted) {
      opts.log?.(`resolving ${image.name} (${arch})`);
      result[image.name]![arch] = solver.resolve({
        packages: image.packages,
        exclude: image.exclude,
        weakDeps: compose.options.weakDeps,
      });
    }
  }
  return { compose, repos, images: result };
}

/** The layer DAG of every arch: packages keyed by checksum, sized by installed bytes. */
export function planCompose(res: ComposeResolution): ArchPlan[] {
  const arches = [...new Set(Object.values(res.images).flatMap((a) => Object.keys(a)))].sort();
  return arches.map((arch) => {
    const packages = new Map<string, PlanPackage>();
    const images: PlanImage[] = [];
    for (const [name, byArch] of Object.entries(res.images)) {
      const r = byArch[arch];
      if (!r) continue;
      for (const p of r.packages) packages.set(p.checksum, { key: p.checksum, name: p.name, nevra: nevra(p), size: p.installsize, changed: p.buildtime });
      images.push({ name, packages: r.packages.map((p) => p.checksum) });
    }
    return planLayers({ arch, images, packages, maxLayers: res.compose.options.maxLayers });
  });
}
