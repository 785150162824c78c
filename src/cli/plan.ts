// `rpmcompose plan`: the layer DAG the images would get, and its figures, without
// downloading anything.
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../errors.js';
import * as pipeline from '../pipeline/index.js';
import { planDot, planMermaid, type ArchPlan } from '../plan/index.js';
import { nevra } from '../rpm/version.js';
import type { Resolution } from '../types/index.js';
import { withProgress, type Cli, type CommonOptions } from './common.js';
import { withHelp } from './help.js';
import { bytes, table } from './format.js';

function nevraOf(res: Resolution): Map<string, string> {
  const m = new Map<string, string>();
  for (const arches of Object.values(res.images)) for (const r of Object.values(arches)) for (const p of r.packages) m.set(p.checksum, nevra(p));
  return m;
}

export function planJson(plans: ArchPlan[], res: Resolution): Record<string, unknown> {
  const names = nevraOf(res);
  return {
    arches: Object.fromEntries(
      plans.map((p) => [
        p.arch,
        { ...p, layers: p.layers.map((l) => ({ ...l, packages: l.packages.map((k) => names.get(k) ?? k) })) },
      ]),
    ),
  };
}

function formatPlan(plans: ArchPlan[]): string {
  const out: string[] = [];
  for (const p of plans) {
    const f = p.figures;
    out.push(
      `${p.arch}: ${p.layers.length} layers; stored ${bytes(f.storedBytes)} vs ${bytes(f.sumOfImages)} as one layer per image; ` +
        `floor ${bytes(f.floor)} (stored ÷ floor ${(f.storedBytes / Math.max(1, f.floor)).toFixed(3)})`,
    );
    const rows = [['  layer', 'packages', 'bytes', 'images']];
    p.layers.forEach((l, i) => rows.push([`  L${i + 1}`, String(l.packages.length), bytes(l.bytes), l.images.join(' ')]));
    out.push(table(rows, [1, 2]));
    const img = [['  image', 'layers', 'bytes', 'rpm db', 're-pull worst', 're-pull median']];
    for (const [name, fig] of Object.entries(f.images)) {
      img.push([`  ${name}`, String(fig.layers), bytes(fig.bytes), fig.topBytes ? `~${bytes(fig.topBytes)}` : '-', bytes(fig.repullWorst), bytes(fig.repullMedian)]);
    }
    out.push(table(img, [1, 2, 3, 4, 5]));
    for (const t of p.traded) out.push(`  trade: ${t.image} carries ${t.packages} packages (${bytes(t.bytes)}) shared with ${t.sharedWith.join(', ')} in its own layer (layer budget)`);
    out.push('');
  }
  return out.join('\n');
}

export function register(program: Command, cli: Cli): Command {
  const cmd = program
    .command('plan')
    .description('show the layer DAG the images get, with its figures (nothing is downloaded)')
    .argument('<compose.json>', 'the compose file')
    .option('--image <name...>', 'only these images')
    .option('--json', 'the plan as one JSON document')
    .option('--format <format>', 'text | dot | mermaid', 'text')
    .action(async (file: string, opts: CommonOptions & { format: string }) => {
      if (!['text', 'dot', 'mermaid'].includes(opts.format)) throw new UsageError('CLI_FORMAT', `--format ${opts.format}: expected text, dot or mermaid`);
      const { resolution: res, plans } = await withProgress(cli, { ...cmd.optsWithGlobals(), ...opts }, (run) => pipeline.plan(file, run));
      if (cli.io.json) cli.io.document(planJson(plans, res));
      else if (opts.format === 'dot') cli.io.out(planDot(plans));
      else if (opts.format === 'mermaid') cli.io.out(planMermaid(plans));
      else cli.io.out(formatPlan(plans));
      cli.exit(ExitCode.ok);
    });
  return withHelp(cmd, {
    examples: [
      ['rpmcompose plan compose.json', 'layers, each image\'s stack, bytes stored and re-pulled'],
      ['rpmcompose plan compose.json --format dot | dot -Tsvg > layers.svg', 'draw the DAG'],
      ['rpmcompose plan compose.json --json', 'for machines'],
    ],
    exitCodes: [0, 2, 3],
  });
}
