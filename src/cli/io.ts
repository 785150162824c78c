// The output contract every command keeps (docs/DESIGN.md, "What every command says"):
//
// - results on stdout; progress, warnings and problems on stderr;
// - `-q`: no progress; errors, warnings and the result's digests stay;
// - `--json`: exactly one JSON document on stdout, the result or `{"error": …}`, with the
//   warnings inside it (`warnings`), no progress, nothing on stderr;
// - every error said once.
import { progress, type Progress } from './progress.js';

export interface Io {
  readonly json: boolean;
  readonly quiet: boolean;
  /** Progress lines: stderr, rewritten on a terminal; nothing with -q or --json. */
  readonly progress: Progress;
  /** Result text for people (stdout). */
  out(text: string): void;
  /** A warning or a note (stderr), or, under --json, one of the document's `warnings`. */
  warn(line: string): void;
  /** Problems and errors for people (stderr); under --json they are in the document instead. */
  problems(text: string): void;
  /** The one JSON document of a --json run; collected warnings go in as `warnings`. */
  document(value: Record<string, unknown>): void;
}

export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

export function io(mode: { json: boolean; quiet: boolean }, streams: Streams = { stdout: process.stdout, stderr: process.stderr }): Io {
  const warnings: string[] = [];
  return {
    json: mode.json,
    quiet: mode.quiet,
    progress: progress({ quiet: mode.quiet || mode.json, stream: streams.stderr }),
    out: (text) => {
      streams.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    },
    warn: (line) => {
      if (mode.json) warnings.push(line);
      else streams.stderr.write(`${line}\n`);
    },
    problems: (text) => {
      if (!mode.json) streams.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    document: (value) => {
      streams.stdout.write(JSON.stringify(warnings.length ? { ...value, warnings } : value, null, 2) + '\n');
    },
  };
}

/** The mode a command line asks for, read before parsing so even a usage error honours --json. */
export function modeOf(argv: string[]): { json: boolean; quiet: boolean } {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  const opts = end < 0 ? args : args.slice(0, end);
  return { json: opts.includes('--json'), quiet: opts.includes('-q') || opts.includes('--quiet') };
}
