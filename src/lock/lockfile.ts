// `<name>.lock.json`: what a compose resolved to — repo revisions and, per image and arch,
// the exact packages with their checksums, plus each image's configuration as stored by
// lock/config.ts. `diff` compares against it.
//
// Version 2 grows by optional sections (no version bump): readers keep what they know
// and ignore the rest. Version 1 locks are read and migrated (see migrateV1).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic.js';
import { LockError } from '../errors.js';
import { cmp } from '../order.js';
import { nevra } from '../rpm/version.js';
import type { Compose, ResolvedPackage, Resolution } from '../types/index.js';
import { storedConfig, storedSpecs, v1ConfigHash } from './config.js';

export const LOCK_VERSION = 2;

export const LockPackageSchema = z.object({
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
  buildtime: z.number().optional(),
  sourcerpm: z.string().nullable().optional(),
  license: z.string().nullable().optional(),
});
export type LockPackage = z.infer<typeof LockPackageSchema>;

export const LockRepoSchema = z.object({
  url: z.string(),
  revision: z.string(),
  /** `sha256:<hex>` of repomd.xml. */
  repomd: z.string(),
  /** metadata type → checksum of the file used. */
  files: z.record(z.string(), z.string()),
});

const LockImageSchema = z.object({
  /** The package specs and excludes the image asked for (lock/config.ts). */
  specs: z.object({ packages: z.array(z.string()), exclude: z.array(z.string()).optional() }).optional(),
  /** The rest of its configuration, canonical, defaults left out (lock/config.ts). Absent: not recorded (a v1 lock). */
  config: z.record(z.string(), z.unknown()).optional(),
  /** arch → `name.arch` (the NEVRA when one name.arch has several versions) → package. */
  arches: z.record(z.string(), z.object({ packages: z.record(z.string(), LockPackageSchema) })),
});
export type LockImage = z.infer<typeof LockImageSchema>;

export const LockSchema = z.object({
  lockVersion: z.literal(LOCK_VERSION),
  /** The compose file, relative to the lock file. */
  compose: z.string(),
  /** arch → repo id → revision. */
  repos: z.record(z.string(), z.record(z.string(), LockRepoSchema)),
  images: z.record(z.string(), LockImageSchema),
  /** Users and groups allocated for the compose: name → id, pinned across builds. */
  ids: z.object({ users: z.record(z.string(), z.number().int()), groups: z.record(z.string(), z.number().int()) }).optional(),
  /** repo id → the signing keys its packages were verified with. */
  keys: z.record(z.string(), z.array(z.object({ fingerprint: z.string(), armored: z.string() }))).optional(),
  /** arch → the layer plan the images were built with. */
  plan: z.record(z.string(), z.unknown()).optional(),
});
export type Lock = z.infer<typeof LockSchema>;

const LockV1Schema = z.strictObject({
  lockVersion: z.literal(1),
  compose: z.string(),
  repos: z.record(z.string(), z.record(z.string(), LockRepoSchema)),
  images: z.record(
    z.string(),
    z.strictObject({
      config: z.string(),
      arches: z.record(z.string(), z.strictObject({ packages: z.array(LockPackageSchema) })),
    }),
  ),
});
type LockV1 = z.infer<typeof LockV1Schema>;

/** `<dir>/<name>.lock.json` for `<dir>/<name>.json`. */
export function defaultLockPath(composeFile: string): string {
  const dir = path.dirname(composeFile);
  const base = path.basename(composeFile).replace(/\.json$/i, '');
  return path.join(dir, `${base}.lock.json`);
}

/** Packages by `name.arch`; where one name.arch has several versions (installonly), by NEVRA. */
export function keyPackages(pkgs: LockPackage[]): Record<string, LockPackage> {
  const count = new Map<string, number>();
  for (const p of pkgs) count.set(`${p.name}.${p.arch}`, (count.get(`${p.name}.${p.arch}`) ?? 0) + 1);
  return Object.fromEntries(pkgs.map((p) => [count.get(`${p.name}.${p.arch}`)! > 1 ? nevra(p) : `${p.name}.${p.arch}`, p]));
}

function lockPackage(p: ResolvedPackage): LockPackage {
  const { name, epoch, version, release, arch, repo, location, checksum, size, installsize, buildtime, sourcerpm, license } = p;
  return { name, epoch, version, release, arch, repo, location, checksum, size, installsize, buildtime, sourcerpm, license };
}

/** The lock a resolution amounts to. Images with problems have no lock entry. */
/** The ids a lock pins: name → id, for users and for groups. */
export type PinnedIds = NonNullable<Lock['ids']>;

/**
 * `res` as a lock. `ids`: the account ids to pin (the lock's own, carried over, and any
 * a compose allocated); sorted by name.
 */
export function lockFromResolution(res: Resolution, lockFile: string, ids?: PinnedIds): Lock {
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
      specs: storedSpecs(image),
      config: storedConfig(image, compose),
      arches: Object.fromEntries(
        Object.entries(arches)
          .sort()
          .map(([arch, r]) => [arch, { packages: keyPackages(r.packages.map(lockPackage)) }]),
      ),
    };
  }
  // The keys each repo's signatures were checked with, for later locked builds.
  const keys: NonNullable<Lock['keys']> = {};
  for (const [, states] of Object.entries(res.repos).sort()) {
    for (const { source, metadata } of states) {
      if (metadata.keys?.length) keys[source.id] ??= metadata.keys.map(({ fingerprint, armored }) => ({ fingerprint, armored }));
    }
  }
  return {
    lockVersion: LOCK_VERSION,
    compose: path.relative(path.dirname(lockFile), compose.file) || path.basename(compose.file),
    repos,
    images,
    ...(ids && (Object.keys(ids.users).length || Object.keys(ids.groups).length) ? { ids: { users: sortedRecord(ids.users), groups: sortedRecord(ids.groups) } } : {}),
    ...(Object.keys(keys).length ? { keys: Object.fromEntries(Object.entries(keys).sort(([a], [b]) => cmp(a, b))) } : {}),
  };
}

const sortedRecord = <T>(r: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(r).sort(([a], [b]) => cmp(a, b)));

/**
 * The ids the lock at `file` pins, none when there is no lock yet. Pins are never
 * dropped: every later lock carries them, so an id given once stays its name's.
 */
export async function pinnedIds(file: string): Promise<PinnedIds | undefined> {
  try {
    return (await readLock(file)).lock.ids;
  } catch (err) {
    if (err instanceof LockError && err.code === 'LOCK_MISSING') return undefined;
    throw err;
  }
}

/**
 * A v1 lock as v2. v1 kept a hash of each image's configuration: when the current
 * compose hashes the same, nothing changed since and the current configuration is the
 * locked one; otherwise the locked configuration is unknown (`diff` says it changed).
 */
export function migrateV1(v1: LockV1, compose: Compose | undefined): Lock {
  const images: Lock['images'] = {};
  for (const [name, img] of Object.entries(v1.images)) {
    const now = compose?.images[name];
    const same = now && v1ConfigHash(now, compose.modules) === img.config;
    images[name] = {
      ...(same ? { specs: storedSpecs(now), config: storedConfig(now, compose) } : {}),
      arches: Object.fromEntries(Object.entries(img.arches).map(([arch, a]) => [arch, { packages: keyPackages(a.packages) }])),
    };
  }
  return { lockVersion: LOCK_VERSION, compose: v1.compose, repos: v1.repos, images };
}

export interface ReadLock {
  lock: Lock;
  /** The version the file was written in (1: migrated on read). */
  version: number;
}

function schemaError(file: string, error: z.ZodError): LockError {
  const issue = error.issues[0]!;
  const where = '$' + issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
  return new LockError('LOCK_SCHEMA', `${file}: ${where}: ${issue.message} (not a lock file of this rpmcompose version?)`, { file });
}

/** Reads a lock of any version this rpmcompose knows; `compose` lets a v1 lock's configuration hashes be checked. */
export async function readLock(file: string, compose?: Compose): Promise<ReadLock> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LockError('LOCK_MISSING', `${file}: no lock file; run \`rpmcompose lock\` first`, { file });
    throw new LockError('LOCK_READ', `${file}: ${(err as Error).message}`, { cause: err, file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LockError('LOCK_JSON', `${file}: not JSON: ${(err as Error).message}`, { cause: err, file });
  }
  const version = (json as { lockVersion?: unknown } | null)?.lockVersion;
  if (version === 1) {
    const v1 = LockV1Schema.safeParse(json);
    if (!v1.success) throw schemaError(file, v1.error);
    return { lock: migrateV1(v1.data, compose), version: 1 };
  }
  const parsed = LockSchema.safeParse(json);
  if (!parsed.success) throw schemaError(file, parsed.error);
  return { lock: parsed.data, version: LOCK_VERSION };
}

/** The `lockVersion` of the lock at `file`, undefined when there is none (or it is not a lock). */
export async function lockVersionAt(file: string): Promise<number | undefined> {
  try {
    const v = (JSON.parse(await readFile(file, 'utf8')) as { lockVersion?: unknown } | null)?.lockVersion;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function writeLock(file: string, lock: Lock): Promise<void> {
  try {
    await writeFileAtomic(file, JSON.stringify(lock, null, 2) + '\n');
  } catch (err) {
    throw new LockError('LOCK_WRITE', `${file}: cannot write the lock: ${(err as Error).message}`, { cause: err, file });
  }
}
