// A libsolv pool for one architecture, loaded from verified repo metadata, with a
// `.solv` cache per repo keyed by the checksums of every file it was built from.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { RepoSource } from '../config/types.js';
import type { RepoMetadata } from '../repo/types.js';
import { ResolveError } from '../errors.js';
import { NativePool, libsolvVersion } from './native.js';

/** Bump when the addon changes what it stores in a `.solv`. */
const SOLV_FORMAT = 1;

export interface PoolRepo {
  source: RepoSource;
  metadata: RepoMetadata;
}

export interface LoadedRepo extends PoolRepo {
  /** libsolv's repo id in this pool. */
  solvId: number;
  /** True when it came from the `.solv` cache rather than the XML. */
  fromSolv: boolean;
}

export interface SolvPool {
  arch: string;
  native: NativePool;
  repos: LoadedRepo[];
  /** libsolv repo id → compose repo id. */
  repoIdOf(solvId: number): string;
}

export function solvCacheKey(metadata: RepoMetadata): string {
  const h = createHash('sha256');
  h.update(`libsolv ${libsolvVersion} format ${SOLV_FORMAT}\n`);
  for (const type of ['primary', 'filelists'] as const) h.update(`${type} ${metadata.files[type]?.checksum ?? '-'}\n`);
  return h.digest('hex');
}

function loadRepo(native: NativePool, repo: PoolRepo, cacheDir: string): LoadedRepo {
  const { source, metadata } = repo;
  const solvId = native.createRepo(source.id);
  // dnf: lower priority/cost numbers win; libsolv: higher numbers win.
  native.repoSetPriority(solvId, -source.priority, -source.cost);
  const dir = path.join(cacheDir, 'solv');
  const file = path.join(dir, `${solvCacheKey(metadata)}.solv`);
  if (native.repoAddSolv(solvId, file)) return { ...repo, solvId, fromSolv: true };
  const primary = metadata.files.primary;
  if (!primary) throw new ResolveError('SOLVE_NO_PRIMARY', `repo ${source.id} (${metadata.url}): repomd.xml lists no primary metadata`);
  try {
    native.repoAddRpmmd(solvId, primary.path, false);
    if (metadata.files.filelists) native.repoAddRpmmd(solvId, metadata.files.filelists.path, true);
  } catch (err) {
    throw new ResolveError('SOLVE_BAD_METADATA', `repo ${source.id} (${metadata.url}): cannot read metadata: ${(err as Error).message}`, { cause: err });
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    native.repoWrite(solvId, tmp);
    renameSync(tmp, file);
  } catch {
    // The cache is an optimisation: a read-only or full cache dir must not fail a resolve.
    rmSync(tmp, { force: true });
  }
  return { ...repo, solvId, fromSolv: false };
}

export function loadPool(arch: string, repos: PoolRepo[], cacheDir: string): SolvPool {
  const native = new NativePool(arch);
  const loaded = repos.map((r) => loadRepo(native, r, cacheDir));
  native.prepare();
  const byId = new Map(loaded.map((r) => [r.solvId, r.source.id]));
  return {
    arch,
    native,
    repos: loaded,
    repoIdOf(solvId) {
      const id = byId.get(solvId);
      if (id === undefined) throw new Error(`unknown libsolv repo ${solvId}`);
      return id;
    },
  };
}
