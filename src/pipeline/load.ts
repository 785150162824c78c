// The first step of every command: the compose file, the images asked for, the host cache.
import os from 'node:os';
import path from 'node:path';
import { loadCompose } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { Compose } from '../types/index.js';

/** What every command takes besides the compose file. */
export interface RunOptions {
  /** The host cache; default defaultCacheDir(). */
  cacheDir?: string;
  /** Cached repo metadata and packages only: no network at all. */
  offline?: boolean;
  /** Only these images (default: all). */
  images?: string[];
  /** Progress lines; nothing in the pipeline prints. */
  log?: (line: string) => void;
}

export interface Loaded {
  compose: Compose;
  cacheDir: string;
  /** The images asked for, in compose order. */
  images: string[];
  offline: boolean;
  log: (line: string) => void;
}

/** `$RPMCOMPOSE_CACHE_DIR`, else `$XDG_CACHE_HOME/rpmcompose`, else `~/.cache/rpmcompose`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RPMCOMPOSE_CACHE_DIR) return path.resolve(env.RPMCOMPOSE_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'rpmcompose');
}

export async function load(file: string, opts: RunOptions): Promise<Loaded> {
  const compose = await loadCompose(file);
  const all = Object.keys(compose.images);
  for (const name of opts.images ?? []) {
    if (!Object.hasOwn(compose.images, name)) {
      throw new ConfigError('CONFIG_NO_IMAGE', `${file}: no image "${name}" (images: ${all.join(', ')})`, { file, path: '$.images' });
    }
  }
  const wanted = opts.images?.length ? new Set(opts.images) : undefined;
  return {
    compose,
    cacheDir: opts.cacheDir ? path.resolve(opts.cacheDir) : defaultCacheDir(),
    images: wanted ? all.filter((n) => wanted.has(n)) : all,
    offline: opts.offline ?? false,
    log: opts.log ?? (() => {}),
  };
}
