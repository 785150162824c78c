// Progress for long work: one rewritten status line on a terminal, plain lines otherwise
// (CI logs), nothing with --quiet or --json on a non-terminal... always on stderr.

export interface Progress {
  (line: string): void;
  done(): void;
}

export function progress(opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  let open = false;
  const log = ((line: string) => {
    if (opts.quiet) return;
    if (tty) {
      const width = stream.columns || 80;
      stream.write(`\r\x1b[K${line.length >= width ? line.slice(0, width - 1) : line}`);
      open = true;
    } else {
      stream.write(`${line}\n`);
    }
  }) as Progress;
  log.done = () => {
    if (open) stream.write('\r\x1b[K');
    open = false;
  };
  return log;
}
