// `rpmcompose schema`: the compose file's JSON Schema, for editors and CI linters.
import type { Command } from 'commander';
import { composeJsonSchema } from '../config/index.js';
import { ExitCode } from '../errors.js';

export function register(program: Command, exit: (code: ExitCode) => void): void {
  program
    .command('schema')
    .description("print the compose file's JSON Schema")
    .action(() => {
      process.stdout.write(JSON.stringify(composeJsonSchema(), null, 2) + '\n');
      exit(ExitCode.ok);
    });
}
