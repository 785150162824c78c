// `rpmcompose lock`: resolve and write `<name>.lock.json` beside the compose file.
import path from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { defaultLockPath, lockFromResolution, writeLock } from '../lock/lockfile.js';
import { context, hasProblems, resolveAll, type CommonOptions } from './context.js';
import { reportProblems } from './resolve.js';

export function register(program: Command, exit: (code: ExitCode) => void): void {
  program
    .command('lock')
    .description('resolve every image and write the lock file beside the compose file')
    .argument('<compose.json>', 'the compose file')
    .option('--lockfile <path>', 'where to write the lock (default: <name>.lock.json beside <name>.json)')
    .option('--json', 'print the lock written')
    .action(async (file: string, opts: CommonOptions & { lockfile?: string }, cmd: Command) => {
      const ctx = await context(file, { ...cmd.optsWithGlobals(), ...opts });
      const res = await resolveAll(ctx);
      if (hasProblems(res)) {
        reportProblems(res);
        process.stderr.write('rpmcompose: lock not written: some images cannot be resolved\n');
        exit(ExitCode.unresolvable);
        return;
      }
      const lockFile = path.resolve(opts.lockfile ?? defaultLockPath(ctx.compose.file));
      const lock = lockFromResolution(res, lockFile);
      await writeLock(lockFile, lock);
      if (opts.json) process.stdout.write(JSON.stringify({ lockfile: lockFile, lock }, null, 2) + '\n');
      else {
        const n = Object.values(lock.images).reduce((s, i) => s + Object.values(i.arches).reduce((t, a) => t + a.packages.length, 0), 0);
        process.stdout.write(`wrote ${path.relative(process.cwd(), lockFile) || lockFile}: ${Object.keys(lock.images).length} images, ${n} packages\n`);
      }
      exit(ExitCode.ok);
    });
}
