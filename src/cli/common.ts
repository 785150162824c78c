// What every command shares: the global options as the pipeline takes them, with a
// progress log that is cleared however the command ends.
import type { RunOptions } from '../pipeline/index.js';
import { progress } from './progress.js';

export interface CommonOptions {
  cacheDir?: string;
  offline?: boolean;
  json?: boolean;
  quiet?: boolean;
  image?: string[];
}

/** Runs a pipeline call with the global options and a progress log on stderr. */
export async function withProgress<T>(opts: CommonOptions, f: (run: RunOptions) => Promise<T>): Promise<T> {
  const log = progress({ quiet: opts.quiet });
  try {
    return await f({ cacheDir: opts.cacheDir, offline: opts.offline, images: opts.image?.length ? opts.image : undefined, log });
  } finally {
    log.done();
  }
}
