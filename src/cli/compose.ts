// `rpmcompose compose`: resolve, fetch the RPMs, write the images, update the lock.
import type { Command } from 'commander';
import { ConfigError, ExitCode } from '../errors.js';
import * as pipeline from '../pipeline/index.js';
import { withProgress, type CommonOptions } from './common.js';
import { bytes, lockNote } from './format.js';

interface ComposeCliOptions extends CommonOptions {
  output: string;
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

export function register(program: Command, exit: (code: ExitCode) => void): void {
  program
    .command('compose')
    .description('build every image straight from the RPM payloads into an OCI layout or archive')
    .argument('<compose.json>', 'the compose file')
    .requiredOption('-o, --output <path>', 'OCI layout directory (or the archive file with --format)')
    .option('--format <format>', 'oci | oci-archive | docker-archive', 'oci')
    .option('--image <name...>', 'only these images')
    .option('--arch <arch>', 'only this arch (a docker-archive holds one)')
    .option('--compression <c>', 'layer compression: gzip | zstd', 'gzip')
    .option('--level <n>', 'compression level (gzip 1-9, default 1; zstd 1-19, default 3)')
    .option('--strict-owners', 'fail when a file owner is not in the image passwd/group (default: map to root, warn)')
    .option('--lockfile <path>', 'the lock to update (default: <name>.lock.json beside <name>.json)')
    .option('--json', 'machine-readable report')
    .action(async (file: string, opts: ComposeCliOptions, cmd: Command) => {
      const format = opts.format as pipeline.OutputFormat;
      if (!pipeline.OUTPUT_FORMATS.includes(format)) {
        throw new ConfigError('CONFIG_FORMAT', `--format ${opts.format}: expected oci, oci-archive or docker-archive`);
      }
      if (opts.compression !== 'gzip' && opts.compression !== 'zstd') {
        throw new ConfigError('CONFIG_COMPRESSION', `--compression ${opts.compression}: expected gzip or zstd`);
      }
      const level = opts.level === undefined ? undefined : Number(opts.level);
      if (level !== undefined && !Number.isInteger(level)) throw new ConfigError('CONFIG_LEVEL', `--level ${opts.level}: expected a whole number`);
      const output = pipeline.outputFor(format, opts.output);
      const report = await withProgress({ ...cmd.optsWithGlobals(), ...opts }, (run) =>
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
          process.stderr.write(`warning: ${img.name} (${img.arch}): owners not in the image's passwd/group, mapped to root: ${img.unknownOwners.join(', ')}\n`);
        }
      }
      const withScripts = [...new Set(report.images.flatMap((i) => Object.keys(i.scriptlets)))].sort();
      if (withScripts.length && !opts.json) {
        process.stderr.write(`note: scriptlets not run (${withScripts.length} packages): ${withScripts.join(', ')}\n`);
      }
      const note = lockNote(report.lock);
      if (note) process.stderr.write(note);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ output: output.path, format, images: report.images, refs: report.refs }, null, 2) + '\n');
      } else {
        for (const img of report.images) {
          const size = img.layers.reduce((s, l) => s + l.size, 0);
          const raw = img.layers.reduce((s, l) => s + l.uncompressedSize, 0);
          const shared = img.layers.filter((l) => l.images.length > 1).length;
          const cached = img.layers.filter((l) => l.cached).length;
          process.stdout.write(
            `${img.name} (${img.arch}): ${img.packages} packages in ${img.layers.length} layers (${shared} shared, ${cached} cached), ` +
              `${bytes(raw)} → ${bytes(size)}, re-pull on one update ≤ ${bytes(img.repull.worst)} (median ${bytes(img.repull.median)}), ${img.manifest.digest}\n`,
          );
        }
      }
      exit(ExitCode.ok);
    });
}
