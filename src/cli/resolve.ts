// `rpmcompose resolve`: each image's exact package set, as a table or as JSON.
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import * as pipeline from '../pipeline/index.js';
import type { Resolution } from '../types/index.js';
import { withProgress, type CommonOptions } from './common.js';
import { bytes, formatProblems, table } from './format.js';

export function resolutionJson(res: Resolution): unknown {
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

function formatResolution(res: Resolution): string {
  const out: string[] = [];
  for (const [name, arches] of Object.entries(res.images)) {
    for (const [arch, r] of Object.entries(arches)) {
      if (r.problems.length) {
        out.push(formatProblems(name, arch, r.problems), '');
        continue;
      }
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

export function register(program: Command, exit: (code: ExitCode) => void): void {
  program
    .command('resolve')
    .description("resolve every image's packages with libsolv, as dnf would install them")
    .argument('<compose.json>', 'the compose file')
    .option('--image <name...>', 'only these images')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: CommonOptions, cmd: Command) => {
      const res = await withProgress({ ...cmd.optsWithGlobals(), ...opts }, (run) => pipeline.resolve(file, run));
      process.stdout.write(opts.json ? JSON.stringify(resolutionJson(res), null, 2) + '\n' : formatResolution(res));
      exit(pipeline.unresolved(res).length ? ExitCode.unresolvable : ExitCode.ok);
    });
}
