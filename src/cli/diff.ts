// `rpmcompose diff`: re-resolve and compare with the lock. Exit 0 nothing to rebuild,
// 1 rebuild needed, 2 error. Never downloads an RPM.
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import type { DiffReport } from '../lock/index.js';
import * as pipeline from '../pipeline/index.js';
import { withProgress, type Cli, type CommonOptions } from './common.js';
import { withHelp } from './help.js';

function formatDiff(report: DiffReport): string {
  const out: string[] = [];
  for (const [name, img] of Object.entries(report.images)) {
    if (img.status === 'unchanged') {
      out.push(`${name}: unchanged`);
      continue;
    }
    if (img.status === 'new' || img.status === 'gone') {
      out.push(`${name}: ${img.status === 'new' ? 'new image (not in the lock)' : 'gone (in the lock, not in the compose)'}`);
      continue;
    }
    const what = img.changedKeys.length ? `: ${img.changedKeys.join(', ')}` : '';
    out.push(`${name}: rebuild needed${img.configChanged ? ` (image configuration changed${what})` : ''}`);
    for (const [arch, d] of Object.entries(img.arches)) {
      if (d.status === 'unchanged') continue;
      if (d.status !== 'changed') out.push(`  ${arch}: ${d.status === 'new' ? 'new arch' : 'arch gone'}`);
      for (const p of d.added) out.push(`  ${arch}: + ${p.name}-${p.evr}.${p.arch}`);
      for (const p of d.removed) out.push(`  ${arch}: - ${p.name}-${p.evr}.${p.arch}`);
      for (const p of d.upgraded) out.push(`  ${arch}: ↑ ${p.name}.${p.arch} ${p.from} → ${p.to}`);
      for (const p of d.downgraded) out.push(`  ${arch}: ↓ ${p.name}.${p.arch} ${p.from} → ${p.to}`);
      for (const p of d.rebuilt) out.push(`  ${arch}: ~ ${p.name}-${p.evr}.${p.arch} rebuilt (new checksum)`);
    }
  }
  return out.join('\n') + '\n';
}

export function register(program: Command, cli: Cli): Command {
  const cmd = program
    .command('diff')
    .description('re-resolve and compare with the lock: exit 0 nothing to rebuild, 1 rebuild needed')
    .argument('<compose.json>', 'the compose file')
    .option('--lockfile <path>', 'the lock to compare with (default: <name>.lock.json beside <name>.json)')
    .option('--json', 'the comparison as one JSON document')
    .action(async (file: string, opts: CommonOptions & { lockfile?: string }) => {
      const report = await withProgress(cli, { ...cmd.optsWithGlobals(), ...opts }, (run) => pipeline.diff(file, { ...run, lockfile: opts.lockfile }));
      if (cli.io.json) cli.io.document(report as unknown as Record<string, unknown>);
      else cli.io.out(formatDiff(report));
      cli.exit(report.changed ? ExitCode.rebuildNeeded : ExitCode.ok);
    });
  return withHelp(cmd, {
    examples: [
      ['rpmcompose diff compose.json', 'what changed since the lock, image by image'],
      ['rpmcompose diff compose.json; case $? in 0) ;; 1) rebuild ;; *) exit 2 ;; esac', 'the nightly job'],
      ['rpmcompose diff compose.json --json | jq .changed', 'for machines'],
    ],
    exitCodes: [[0, 'nothing to rebuild'], [1, 'some image must be rebuilt'], 2, 3],
  });
}
