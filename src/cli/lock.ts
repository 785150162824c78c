// `rpmcompose lock`: resolve and write `<name>.lock.json` beside the compose file.
import path from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import * as pipeline from '../pipeline/index.js';
import { withProgress, type CommonOptions } from './common.js';
import { lockNote } from './format.js';

export function register(program: Command, exit: (code: ExitCode) => void): void {
  program
    .command('lock')
    .description('resolve every image and write the lock file beside the compose file')
    .argument('<compose.json>', 'the compose file')
    .option('--lockfile <path>', 'where to write the lock (default: <name>.lock.json beside <name>.json)')
    .option('--json', 'print the lock written')
    .action(async (file: string, opts: CommonOptions & { lockfile?: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals(), ...opts };
      const { lock, written } = await withProgress(all, (run) => pipeline.lock(file, { ...run, lockfile: opts.lockfile }));
      if (opts.json) process.stdout.write(JSON.stringify({ lockfile: written.file, lock }, null, 2) + '\n');
      else {
        const n = Object.values(lock.images).reduce((s, i) => s + Object.values(i.arches).reduce((t, a) => t + Object.keys(a.packages).length, 0), 0);
        process.stdout.write(`wrote ${path.relative(process.cwd(), written.file) || written.file}: ${Object.keys(lock.images).length} images, ${n} packages\n`);
      }
      const note = lockNote(written);
      if (note) process.stderr.write(note);
      exit(ExitCode.ok);
    });
}
