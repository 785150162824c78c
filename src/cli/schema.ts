// `rpmcompose schema`: the compose file's JSON Schema, for editors and CI linters.
import type { Command } from 'commander';
import { composeJsonSchema } from '../config/index.js';
import { ExitCode } from '../errors.js';
import type { Cli } from './common.js';
import { withHelp } from './help.js';

export function register(program: Command, cli: Cli): Command {
  const cmd = program
    .command('schema')
    .description("print the compose file's JSON Schema")
    .option('--json', 'the same document (the schema is JSON either way)')
    .action(() => {
      cli.io.document(composeJsonSchema());
      cli.exit(ExitCode.ok);
    });
  return withHelp(cmd, {
    examples: [
      ['rpmcompose schema > compose.schema.json', 'for an editor: "$schema": "./compose.schema.json"'],
      ['rpmcompose schema | check-jsonschema --schemafile /dev/stdin compose.json', 'lint in CI'],
    ],
    exitCodes: [0],
  });
}
