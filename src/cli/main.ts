// The rpmcompose command line: the only place that prints errors and picks exit codes.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode, RpmcomposeError, UnresolvableError } from '../errors.js';
import { closeHttpAgents } from '../repo/index.js';
import { register as compose } from './compose.js';
import { register as diff } from './diff.js';
import { formatUnresolved } from './format.js';
import { register as lock } from './lock.js';
import { register as plan } from './plan.js';
import { register as resolve } from './resolve.js';
import { register as schema } from './schema.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export async function run(argv: string[]): Promise<number> {
  let code: number = ExitCode.ok;
  const exit = (c: ExitCode) => {
    code = c;
  };
  const program = new Command()
    .name('rpmcompose')
    .description('Compose OCI images straight from RPM repositories')
    .version(pkg.version)
    .option('--cache-dir <dir>', 'host cache (default: $RPMCOMPOSE_CACHE_DIR, else $XDG_CACHE_HOME/rpmcompose)')
    .option('--offline', 'use cached repo metadata only, make no network request')
    .option('-q, --quiet', 'no progress lines')
    .exitOverride()
    .showHelpAfterError();
  for (const reg of [resolve, lock, diff, plan, compose, schema]) reg(program, exit);
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    if (err instanceof UnresolvableError) process.stderr.write(formatUnresolved(err.unresolved));
    if (err instanceof RpmcomposeError) {
      process.stderr.write(`rpmcompose: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`rpmcompose: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return ExitCode.badInput;
  } finally {
    // Keep-alive sockets would otherwise hold the process open.
    await closeHttpAgents();
  }
}
