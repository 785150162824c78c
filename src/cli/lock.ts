// `rpmcompose lock`: resolve and write `<name>.lock.json` beside the compose file.
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import * as pipeline from '../pipeline/index.js';
import { withProgress, type Cli, type CommonOptions } from './common.js';
import { lockNote, shownPath } from './format.js';
import { withHelp } from './help.js';

export function register(program: Command, cli: Cli): Command {
  const cmd = program
    .command('lock')
    .description('resolve every image and write the lock file beside the compose file')
    .argument('<compose.json>', 'the compose file')
    .option('--lockfile <path>', 'where to write the lock (default: <name>.lock.json beside <name>.json)')
    .option('--json', 'the lock written, and where, as one JSON document')
    .action(async (file: string, opts: CommonOptions & { lockfile?: string }) => {
      const { lock, written } = await withProgress(cli, { ...cmd.optsWithGlobals(), ...opts }, (run) =>
        pipeline.lock(file, { ...run, lockfile: opts.lockfile }),
      );
      const note = lockNote(written);
      if (note) cli.io.warn(note);
      if (cli.io.json) cli.io.document({ lockfile: written.file, lock });
      else if (!cli.io.quiet) {
        const arches = new Set(Object.values(lock.images).flatMap((i) => Object.keys(i.arches)));
        const n = Object.values(lock.images).reduce((s, i) => s + Object.values(i.arches).reduce((t, a) => t + Object.keys(a.packages).length, 0), 0);
        cli.io.out(`wrote ${shownPath(written.file)}: ${Object.keys(lock.images).length} images, ${arches.size} arches, ${n} packages`);
      }
      cli.exit(ExitCode.ok);
    });
  return withHelp(cmd, {
    examples: [
      ['rpmcompose lock compose.json', 'write compose.lock.json beside compose.json'],
      ['rpmcompose lock compose.json --lockfile locks/web.lock.json', 'write it elsewhere'],
      ['git diff compose.lock.json', 'what changed since the last lock, package by package'],
    ],
    exitCodes: [0, 2, 3],
  });
}
