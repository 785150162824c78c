// `rpmcompose resolve`: each image's exact package set, as a table or as JSON.
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import * as pipeline from '../pipeline/index.js';
import type { Resolution } from '../types/index.js';
import { withProgress, type Cli, type CommonOptions } from './common.js';
import { bytes, formatUnresolved, table } from './format.js';
import { withHelp } from './help.js';

export function resolutionJson(res: Resolution): Record<string, unknown> {
  return {
    images: Object.fromEntries(
      Object.entries(res.images).map(([name, arches]) => [
        name,
        Object.fromEntries(
          Object.entries(arches).map(([arch, r]) => [arch, { packages: r.packages, problems: r.problems, edges: r.edges }]),
        ),
      ]),
    ),
    repos: Object.fromEntries(
      Object.entries(res.repos).map(([arch, states]) => [
        arch,
        Object.fromEntries(
          states.map(({ source, metadata }) => [source.id, { url: metadata.url, revision: metadata.revision, repomd: metadata.repomdChecksum }]),
        ),
      ]),
    ),
  };
}

/** The resolved images as tables; images that cannot be resolved are left to stderr. */
function formatResolution(res: Resolution): string {
  const out: string[] = [];
  for (const [name, arches] of Object.entries(res.images)) {
    for (const [arch, r] of Object.entries(arches)) {
      if (r.problems.length) continue;
      const dl = r.packages.reduce((s, p) => s + p.size, 0);
      const inst = r.packages.reduce((s, p) => s + p.installsize, 0);
      out.push(`${name} (${arch}): ${r.packages.length} packages, ${bytes(dl)} download, ${bytes(inst)} installed`);
      const rows = [['  Package', 'Version', 'Arch', 'Repo', 'Size']];
      for (const p of r.packages) {
        rows.push([`  ${p.name}`, `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`, p.arch, p.repo, bytes(p.installsize)]);
      }
      out.push(table(rows, [4]), '');
    }
  }
  return out.join('\n');
}

export function register(program: Command, cli: Cli): Command {
  const cmd = program
    .command('resolve')
    .description("resolve every image's packages with libsolv, as dnf would install them")
    .argument('<compose.json>', 'the compose file')
    .option('--image <name...>', 'only these images')
    .option('--json', 'the package sets, problems and dependency edges as one JSON document')
    .action(async (file: string, opts: CommonOptions) => {
      const res = await withProgress(cli, { ...cmd.optsWithGlobals(), ...opts }, (run) => pipeline.resolve(file, run));
      const unresolved = pipeline.unresolved(res);
      if (cli.io.json) cli.io.document(resolutionJson(res));
      else {
        cli.io.out(formatResolution(res));
        if (unresolved.length) cli.io.problems(formatUnresolved(unresolved));
      }
      cli.exit(unresolved.length ? ExitCode.unresolvable : ExitCode.ok);
    });
  return withHelp(cmd, {
    examples: [
      ['rpmcompose resolve compose.json', "each image's packages, as dnf would install them"],
      ['rpmcompose resolve compose.json --image web --json', 'one image, as JSON (packages, problems, edges)'],
      ['rpmcompose --offline resolve compose.json', 'from the cached metadata only'],
    ],
    exitCodes: [0, 2, 3],
  });
}
