#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript under dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('rpmcompose: not built yet: run `npm run setup` in the project directory\n');
  process.exit(2);
}
const { run } = await import(main);
process.exitCode = await run(process.argv);
