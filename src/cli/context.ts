// What every command shares: global options, loading the compose, the progress log.
import path from 'node:path';
import { loadCompose } from '../config/index.js';
import type { Compose } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { defaultCacheDir, resolveCompose, type ComposeResolution } from '../pipeline.js';
import { progress, type Progress } from './progress.js';

export interface CommonOptions {
  cacheDir?: string;
  offline?: boolean;
  json?: boolean;
  quiet?: boolean;
  image?: string[];
}

export interface Context {
  compose: Compose;
  cacheDir: string;
  log: Progress;
  opts: CommonOptions;
}

export async function context(file: string, opts: CommonOptions): Promise<Context> {
  const compose = await loadCompose(file);
  for (const name of opts.image ?? []) {
    if (!compose.images[name]) {
      throw new ConfigError('CONFIG_NO_IMAGE', `${file}: no image "${name}" (images: ${Object.keys(compose.images).join(', ')})`);
    }
  }
  return {
    compose,
    cacheDir: opts.cacheDir ? path.resolve(opts.cacheDir) : defaultCacheDir(),
    log: progress({ quiet: opts.quiet }),
    opts,
  };
}

export async function resolveAll(ctx: Context): Promise<ComposeResolution> {
  if (ctx.opts.offline) ctx.log(`offline: using the cache at ${ctx.cacheDir} only`);
  try {
    return await resolveCompose(ctx.compose, {
      cacheDir: ctx.cacheDir,
      offline: ctx.opts.offline,
      images: ctx.opts.image?.length ? ctx.opts.image : undefined,
      log: ctx.log,
    });
  } finally {
    ctx.log.done();
  }
}

export function hasProblems(res: ComposeResolution): boolean {
  return Object.values(res.images).some((arches) => Object.values(arches).some((r) => r.problems.length > 0));
}
