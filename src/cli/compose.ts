// `rpmcompose compose`: resolve, fetch the RPMs, write the images, update the lock; then
// the result block: where each image went, its digests, its figures.
import type { Command } from 'commander';
import { imageArchProblem } from '../config/index.js';
import { ConfigError, ExitCode, UsageError } from '../errors.js';
import * as pipeline from '../pipeline/index.js';
import { withProgress, type Cli, type CommonOptions } from './common.js';
import { bytes, lockNote, shownPath } from './format.js';
import { withHelp } from './help.js';

interface ComposeCliOptions extends CommonOptions {
  output?: string;
  format: string;
  arch?: string;
  compression: string;
  level?: string;
  strictOwners?: boolean;
  lockfile?: string;
}

function sourceDateEpoch(env: NodeJS.ProcessEnv): number | undefined {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError('CONFIG_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH must be whole seconds since 1970, got "${v}"`);
  return Number(v);
}

const WHERE: Record<pipeline.OutputFormat, string> = { oci: 'the OCI layout', 'oci-archive': 'the oci-archive', 'docker-archive': 'the docker-archive' };

/** The result block: per image (compose order) where it went and its digest, per arch its figures. */
export function resultBlock(report: pipeline.ComposeReport): string {
  const out = report.outputs.map((o) => {
    const n = report.refs.length;
    return `wrote ${n} image${n === 1 ? '' : 's'} to ${WHERE[o.format]} ${shownPath(o.path)}`;
  });
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  for (const ref of report.refs) {
    const mine = report.images.filter((i) => i.name === ref.name);
    out.push('', `${ref.name}  ${report.outputs.map((o) => o.ref(ref.name, shownPath(o.path))).join('  ')}`);
    const width = Math.max(5, ...mine.map((i) => i.arch.length));
    const indent = ' '.repeat(width + 4);
    if (mine.length > 1) out.push(`  ${'index'.padEnd(width)}  ${ref.descriptor.digest}  (${mine.map((i) => i.arch).join(', ')})`);
    for (const img of mine) {
      const size = img.layers.reduce((s, l) => s + l.uncompressedSize, 0);
      const compressed = img.layers.reduce((s, l) => s + l.size, 0);
      const shared = img.layers.filter((l) => l.images.length > 1).length;
      const rebuilt = img.layers.filter((l) => !l.cached).length;
      out.push(
        `  ${img.arch.padEnd(width)}  ${img.manifest.digest}`,
        `${indent}${plural(img.packages, 'package')}, layers ${img.layers.length} (${shared} shared, ${rebuilt} rebuilt)`,
        `${indent}size ${bytes(size)}, compressed ${bytes(compressed)}`,
        `${indent}re-pull after a one-package update: at most ${bytes(img.repull.worst)}, median ${bytes(img.repull.median)}`,
      );
      // The accounts made for it: rpmcompose runs no scriptlet, so say where each came from.
      for (const a of img.accounts) out.push(`${indent}${a.kind} ${a.name} (${a.kind === 'user' ? 'uid' : 'gid'} ${a.id}) from ${a.from}`);
    }
  }
  if (report.unverified.length) out.push('', `not signature-checked (gpgcheck off): ${report.unverified.join(', ')}`);
  if (report.lock) out.push('', `lock: wrote ${shownPath(report.lock.file)}`);
  return out.join('\n');
}

/** What -q keeps of the result block: each image's digest and where it went (`sha256sum`'s shape). */
export function digestLines(report: pipeline.ComposeReport): string {
  return report.refs.map((r) => `${r.descriptor.digest}  ${report.outputs.map((o) => o.ref(r.name, shownPath(o.path))).join('  ')}`).join('\n');
}

export function register(program: Command, cli: Cli): Command {
  const cmd = program
    .command('compose')
    .description('build every image straight from the RPM payloads into an OCI layout or archive')
    .argument('<compose.json>', 'the compose file')
    .option('-o, --output <path>', 'OCI layout directory (or the archive file with --format); required')
    .option('--format <format>', 'oci | oci-archive | docker-archive', 'oci')
    .option('--image <name...>', 'only these images')
    .option('--arch <arch>', 'only this arch (a docker-archive holds one)')
    .option('--compression <c>', 'layer compression: gzip | zstd', 'gzip')
    .option('--level <n>', 'compression level (gzip 1-9, default 1; zstd 1-19, default 3)')
    .option('--strict-owners', 'fail when a file owner is not in the image passwd/group (default: map to root, warn)')
    .option('--lockfile <path>', 'the lock to update (default: <name>.lock.json beside <name>.json)')
    .option('--json', 'the images written, their layers and digests as one JSON document')
    .action(async (file: string, opts: ComposeCliOptions) => {
      // Checked here, not by commander: its check of a required option comes before the
      // one of unknown options, so a misspelt -o would be reported as -o missing.
      if (!opts.output) throw new UsageError('CLI_OUTPUT', 'compose needs -o/--output: the OCI layout directory (or the archive file with --format)');
      const format = opts.format as pipeline.OutputFormat;
      if (!pipeline.OUTPUT_FORMATS.includes(format)) {
        throw new UsageError('CLI_FORMAT', `--format ${opts.format}: expected oci, oci-archive or docker-archive`);
      }
      if (opts.compression !== 'gzip' && opts.compression !== 'zstd') {
        throw new UsageError('CLI_COMPRESSION', `--compression ${opts.compression}: expected gzip or zstd`);
      }
      const archProblem = opts.arch === undefined ? undefined : imageArchProblem(opts.arch);
      if (archProblem) throw new UsageError('CLI_ARCH', `--arch ${opts.arch}: ${archProblem}`);
      const level = opts.level === undefined ? undefined : Number(opts.level);
      if (level !== undefined && !Number.isInteger(level)) throw new UsageError('CLI_LEVEL', `--level ${opts.level}: expected a whole number`);
      const output = pipeline.outputFor(format, opts.output);
      const report = await withProgress(cli, { ...cmd.optsWithGlobals(), ...opts }, (run) =>
        pipeline.compose(file, {
          ...run,
          outputs: [output],
          arch: opts.arch,
          compression: opts.compression as 'gzip' | 'zstd',
          level,
          strictOwners: opts.strictOwners,
          sourceDateEpoch: sourceDateEpoch(process.env),
          lockfile: opts.lockfile,
        }),
      );
      for (const img of report.images) {
        if (img.unknownOwners.length) {
          cli.io.warn(`warning: ${img.name} (${img.arch}): owners not in the image's passwd/group, mapped to root: ${img.unknownOwners.join(', ')}`);
        }
      }
      for (const w of report.warnings) cli.io.warn(`warning: ${w}`);
      for (const p of [...new Map(report.images.flatMap((i) => i.unparsedPre.map((u) => [u.package, u] as const))).values()]) {
        cli.io.warn(`note: ${p.package}: its %pre is not the users-and-groups idiom (${p.why}): users or groups it would make are missing`);
      }
      const withScripts = [...new Set(report.images.flatMap((i) => Object.keys(i.scriptlets)))].sort();
      if (withScripts.length) cli.io.warn(`note: scriptlets not run (${withScripts.length} package${withScripts.length === 1 ? '' : 's'}): ${withScripts.join(', ')}`);
      const note = lockNote(report.lock);
      if (note) cli.io.warn(note);
      if (cli.io.json) {
        cli.io.document({
          output: output.path,
          format,
          images: report.images,
          refs: report.refs.map((r) => ({ ...r, reference: output.ref(r.name) })),
          ...(report.lock ? { lock: report.lock } : {}),
          unverified: report.unverified,
        });
      } else cli.io.out(cli.io.quiet ? digestLines(report) : resultBlock(report));
      cli.exit(ExitCode.ok);
    });
  return withHelp(cmd, {
    examples: [
      ['rpmcompose compose compose.json -o out/images', 'every image into an OCI layout; updates compose.lock.json'],
      ['skopeo copy oci:out/images:web docker://registry.example/web:nightly', 'push one of them'],
      ['rpmcompose compose compose.json -o web.tar --format docker-archive --image web --arch x86_64', 'one image for docker load'],
      ['rpmcompose compose compose.json -o out/images --compression zstd -q', 'zstd layers; print only the digests'],
    ],
    exitCodes: [0, 2, 3],
  });
}
