#!/usr/bin/env node
// Writes docs/cli.md: every command's --help (options, examples, exit codes) as the
// compiled CLI defines it, at a fixed width. Run after changing src/cli/ and building
// (npm run setup); test/cli-docs.test.ts fails while docs/cli.md is out of date.
//
//   node scripts/cli-docs.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const { buildProgram } = await import(new URL('dist/src/cli/main.js', root));
const { cliReference } = await import(new URL('dist/src/cli/help.js', root));
const { io } = await import(new URL('dist/src/cli/io.js', root));

const text = cliReference(buildProgram({ io: io({ json: false, quiet: true }), exit: () => {} }, 100));
const file = new URL('docs/cli.md', root);
if (process.argv.includes('--check')) {
  const now = readFileSync(file, 'utf8');
  if (now !== text) {
    console.error('docs/cli.md is out of date: run node scripts/cli-docs.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
}
