// `<name>.lock.json`: what a compose resolved to — repo revisions and, per image and
// arch, the exact packages with their checksums. `diff` compares against it.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic.js';
import type { ComposeOptions, ImageDef } from '../config/types.js';
import { LockError } from '../errors.js';
import type { ComposeResolution } from '../pipeline.js';

export const LockPackageSchema = z.strictObject({
  name: z.string(),
  epoch: z.number().int().nonnegative(),
  version: z.string(),
  release: z.string(),
  arch: z.string(),
  repo: z.string(),
  location: z.string(),
  checksum: z.string(),
  size: z.number(),
  installsize: z.number(),
});
export type LockPackage = z.infer<typeof LockPackageSchema>;

export const LockRepoSchema = z.strictObject({
  url: z.string(),
  revision: z.string(),
  /** `sha256:<hex>` of repomd.xml. */
  repomd: z.string(),
  /** metadata type → checksum of the file used. */
  files: z.record(z.string(), z.string()),
});

export const LockSchema = z.strictObject({
  lockVersion: z.literal(1),
  /** The compose file, relative to the lock file. */
  compose: z.string(),
  /** arch → repo id → revision. */
  repos: z.record(z.string(), z.record(z.string(), LockRepoSchema)),
  images: z.record(
    z.string(),
    z.strictObject({
      /** sha256 of the image's own configuration and the options that shape its bytes. */
      config: z.string(),
      arches: z.record(z.string(), z.strictObject({ packages: z.array(LockPackageSchema) })),
    }),
  ),
});
export type Lock = z.infer<typeof LockSchema>;

/** `<dir>/<name>.lock.json` for `<dir>/<name>.json`. */
export function defaultLockPath(composeFile: string): string {
  const dir = path.dirname(composeFile);
  const base = path.basename(composeFile).replace(/\.json$/i, '');
  return path.join(dir, `${base}.lock.json`);
}

/** JSON with object keys sorted at every level: the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function imageConfigHash(image: ImageDef, options: ComposeOptions, modules: string[]): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson({ image, options, modules })).digest('hex');
}

/** The lock a resolution amounts to. Images with problems have no lock entry. */
export function lockFromResolution(res: ComposeResolution, lockFile: string): Lock {
  const { compose } = res;
  const repos: Lock['repos'] = {};
  for (const [arch, states] of Object.entries(res.repos).sort()) {
    repos[arch] = Object.fromEntries(
      states.map(({ source, metadata }) => [
        source.id,
        {
          url: metadata.url,
          revision: metadata.revision,
          repomd: metadata.repomdChecksum,
          files: Object.fromEntries(Object.entries(metadata.files).map(([t, f]) => [t, f.checksum]).sort()),
        },
      ]),
    );
  }
  const images: Lock['images'] = {};
  for (const [name, arches] of Object.entries(res.images).sort()) {
    const image = compose.images[name]!;
    images[name] = {
      config: imageConfigHash(image, compose.options, compose.modules),
      arches: Object.fromEntries(
        Object.entries(arches)
          .sort()
          .map(([arch, r]) => [
            arch,
            {
              packages: r.packages.map((p) => ({
                name: p.name,
                epoch: p.epoch,
                version: p.version,
                release: p.release,
                arch: p.arch,
                repo: p.repo,
                location: p.location,
                checksum: p.checksum,
                size: p.size,
                installsize: p.installsize,
              })),
            },
          ]),
      ),
    };
  }
  return {
    lockVersion: 1,
    compose: path.relative(path.dirname(lockFile), compose.file) || path.basename(compose.file),
    repos,
    images,
  };
}

export async function readLock(file: string): Promise<Lock> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LockError('LOCK_MISSING', `${file}: no lock file; run \`rpmcompose lock\` first`);
    throw new LockError('LOCK_READ', `${file}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LockError('LOCK_JSON', `${file}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = LockSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = '$' + issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
    throw new LockError('LOCK_SCHEMA', `${file}: ${where}: ${issue.message} (not a lock file of this rpmcompose version?)`);
  }
  return parsed.data;
}

export async function writeLock(file: string, lock: Lock): Promise<void> {
  try {
    await writeFileAtomic(file, JSON.stringify(lock, null, 2) + '\n');
  } catch (err) {
    throw new LockError('LOCK_WRITE', `${file}: cannot write the lock: ${(err as Error).message}`, { cause: err });
  }
}
