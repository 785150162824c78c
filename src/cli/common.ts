// What every command shares: its output (io.ts), its exit code, and the global options as
// the pipeline takes them.
import type { ExitCode } from '../errors.js';
import type { RunOptions } from '../pipeline/index.js';
import type { Io } from './io.js';

export interface Cli {
  io: Io;
  exit(code: ExitCode): void;
}

export interface CommonOptions {
  cacheDir?: string;
  offline?: boolean;
  json?: boolean;
  quiet?: boolean;
  image?: string[];
}

/** Runs a pipeline call with the global options, its progress on the command's output. */
export async function withProgress<T>(cli: Cli, opts: CommonOptions, f: (run: RunOptions) => Promise<T>): Promise<T> {
  try {
    return await f({ cacheDir: opts.cacheDir, offline: opts.offline, images: opts.image?.length ? opts.image : undefined, log: cli.io.progress });
  } finally {
    cli.io.progress.done();
  }
}
