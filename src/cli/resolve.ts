// `rpmcompose resolve`: each image's exact package set, as a table or as JSON.
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import type { ComposeResolution } from '../pipeline.js';
import type { Problem } from '../solve/index.js';
import { context, hasProblems, resolveAll, type CommonOptions } from './context.js';
import { bytes, table } from './format.js';

export function resolutionJson(res: ComposeResolution): unknown {
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

export function formatProblems(image: string, arch: string, problems: Problem[]): string {
  const lines = [`${image} (${arch}) cannot be resolved:`];
  problems.forEach((p, i) => {
    lines.push(` Problem ${i + 1}: ${p.text}`);
    for (const r of p.rules) if (r !== p.text) lines.push(`  - ${r}`);
    if (p.suggestions?.length) lines.push(`  did you mean: ${p.suggestions.join(', ')}?`);
    p.solutions.forEach((s, j) => lines.push(`  Solution ${j + 1}: ${s.join('; ')}`));
  });
  return lines.join('\n');
}

/** Every image's problems, on stderr: lock, diff and compose stop on them. */
export function reportProblems(res: ComposeResolution): void {
  for (const [name, arches] of Object.entries(res.images))
    for (const [arch, r] of Object.entries(arches))
      if (r.problems.length) process.stderr.write(formatProblems(name, arch, r.problems) + '\n');
}

function formatResolution(res: ComposeResolution): string {
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
      const ctx = await context(file, { ...cmd.optsWithGlobals(), ...opts });
      const res = await resolveAll(ctx);
      process.stdout.write(opts.json ? JSON.stringify(resolutionJson(res), null, 2) + '\n' : formatResolution(res));
      exit(hasProblems(res) ? ExitCode.unresolvable : ExitCode.ok);
    });
}
