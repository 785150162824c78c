// The rpmcompose command line: the only place that prints and picks exit codes. Every
// command keeps one output contract (io.ts); errors are said here, once.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode, RpmcomposeError, UnresolvableError } from '../errors.js';
import { closeHttpAgents } from '../repo/index.js';
import type { Cli } from './common.js';
import { register as compose } from './compose.js';
import { register as diff } from './diff.js';
import { formatUnresolved } from './format.js';
import { withHelp } from './help.js';
import { io, modeOf, type Io } from './io.js';
import { register as lock } from './lock.js';
import { register as plan } from './plan.js';
import { register as resolve } from './resolve.js';
import { register as schema } from './schema.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The whole command line; `helpWidth` fixes the help's width (docs/cli.md). */
export function buildProgram(cli: Cli, helpWidth?: number): Command {
  const program = new Command()
    .name('rpmcompose')
    .description('Compose OCI images straight from RPM repositories')
    .version(pkg.version)
    .option('--cache-dir <dir>', 'host cache (default: $RPMCOMPOSE_CACHE_DIR, else $XDG_CACHE_HOME/rpmcompose)')
    .option('--offline', 'use cached repo metadata and packages only, make no network request')
    .option('-q, --quiet', 'no progress; errors, warnings and the digests of what was written stay')
    .exitOverride()
    .configureOutput({
      // Under --json a usage error is the JSON document, not commander's text.
      writeErr: (s) => {
        if (!cli.io.json) process.stderr.write(s);
      },
      // One shape for every error: `rpmcompose: …`.
      outputError: (s, write) => write(`rpmcompose: ${s.replace(/^error: /, '')}`),
    })
    .showHelpAfterError('(rpmcompose <command> --help lists the options, with examples)');
  if (helpWidth) program.configureHelp({ helpWidth });
  withHelp(program, {
    examples: [
      ['rpmcompose resolve compose.json', "each image's exact package set"],
      ['rpmcompose compose compose.json -o out/images', 'build every image into an OCI layout'],
      ['rpmcompose diff compose.json', 'nightly: does anything need a rebuild? (exit 1: yes)'],
      ['rpmcompose compose --help', "one command's options and examples"],
    ],
    exitCodes: [0, 1, 2, 3],
  });
  for (const reg of [resolve, lock, diff, plan, compose, schema]) {
    const cmd = reg(program, cli);
    cmd.exitOverride();
    if (helpWidth) cmd.configureHelp({ helpWidth });
  }
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const out = io(modeOf(argv));
  let code: number = ExitCode.ok;
  const program = buildProgram({
    io: out,
    exit: (c) => {
      code = c;
    },
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    return fail(err, out);
  } finally {
    out.progress.done();
    // Keep-alive sockets would otherwise hold the process open.
    await closeHttpAgents();
  }
}

/** Says the error once (stderr, or the JSON document under --json) and picks the exit code. */
function fail(err: unknown, out: Io): number {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return ExitCode.ok; // --help, --version
    if (out.json) out.document({ error: { code: 'CLI_USAGE', message: err.message.replace(/^error: /, '') } });
    return ExitCode.badInput;
  }
  if (err instanceof RpmcomposeError) {
    if (out.json) {
      const problems = err instanceof UnresolvableError ? { problems: err.unresolved } : {};
      out.document({ error: { code: err.code, message: err.message, ...err.place, ...problems } });
    } else {
      if (err instanceof UnresolvableError) out.problems(formatUnresolved(err.unresolved));
      out.problems(`rpmcompose: ${err.message}`);
    }
    return err.exitCode;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (out.json) out.document({ error: { code: 'INTERNAL', message: text } });
  else out.problems(`rpmcompose: internal error: ${text}`);
  return ExitCode.badInput;
}
