// A libsolv pool for one architecture, loaded from verified repo metadata, with a
// `.solv` cache per repo keyed by the checksums of the files it was built from.
//
// File lists: primary already lists every file under /etc, any `bin/` and
// /usr/lib/sendmail (createrepo's rule). Other paths that dependencies or specs name
// are looked up by a streaming scan of filelists.xml that adds just those paths as file
// provides; the whole file list is loaded into libsolv only for a glob file spec.
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { commitFile, writeFileAtomic } from '../atomic.js';
import { ResolveError } from '../errors.js';
import { hasher, hexDigest } from '../hash.js';
import { NativePool, libsolvVersion } from '../native.js';
import type { RepoMetadata, RepoSource, RepoState } from '../types/index.js';
import { isFileSpec, isGlob } from './specs.js';

/** Bump when the addon changes what it stores in a `.solv`. */
const SOLV_FORMAT = 2;

export interface LoadedRepo extends RepoState {
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
  /** Make file specs (`/usr/share/…`, globs) matchable before they are selected. */
  ensureFiles(specs: string[]): void;
}

export function solvCacheKey(metadata: RepoMetadata): string {
  const h = hasher('sha256');
  h.update(`libsolv ${libsolvVersion} format ${SOLV_FORMAT}\n`);
  h.update(`primary ${metadata.files.primary?.checksum ?? '-'}\n`);
  return h.digest('hex');
}

/** createrepo puts these paths in primary: no file list needed to match them. */
export function inPrimary(file: string): boolean {
  return file.startsWith('/etc/') || file.includes('bin/') || file === '/usr/lib/sendmail';
}

function badMetadata(source: RepoSource, metadata: RepoMetadata, err: unknown): ResolveError {
  return new ResolveError('SOLVE_BAD_METADATA', `repo ${source.id} (${metadata.url}): cannot read metadata: ${(err as Error).message}`, {
    cause: err,
  });
}

async function loadRepo(native: NativePool, repo: RepoState, cacheDir: string): Promise<LoadedRepo> {
  const { source, metadata } = repo;
  const solvId = native.createRepo(source.id);
  // dnf: lower priority/cost numbers win; libsolv: higher numbers win.
  native.repoSetPriority(solvId, -source.priority, -source.cost);
  const dir = path.join(cacheDir, 'solv');
  const file = path.join(dir, `${solvCacheKey(metadata)}.solv`);
  if ((await verifiedSolv(file)) && native.repoAddSolv(solvId, file)) return { ...repo, solvId, fromSolv: true };
  const primary = metadata.files.primary;
  if (!primary) throw new ResolveError('SOLVE_NO_PRIMARY', `repo ${source.id} (${metadata.url}): repomd.xml lists no primary metadata`);
  try {
    native.repoAddRpmmd(solvId, primary.path, false);
  } catch (err) {
    throw badMetadata(source, metadata, err);
  }
  try {
    await mkdir(dir, { recursive: true });
    const digest = await commitFile(file, async (tmp) => {
      native.repoWrite(solvId, tmp);
      return hexDigest(await readFile(tmp));
    });
    await writeFileAtomic(`${file}.sha256`, `${digest}\n`);
  } catch {
    // The cache is an optimisation: a read-only or full cache dir must not fail a resolve.
  }
  return { ...repo, solvId, fromSolv: false };
}

/**
 * Whether the cached `.solv` is there and hashes to the digest written beside it. One
 * that does not (altered, half-copied, or from before the digest) is discarded: the repo
 * is loaded from its verified primary instead, and the `.solv` written again.
 */
async function verifiedSolv(file: string): Promise<boolean> {
  let want: string;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return false;
  }
  try {
    want = (await readFile(`${file}.sha256`, 'utf8')).trim();
  } catch {
    want = '';
  }
  if (want && hexDigest(bytes) === want) return true;
  await rm(file, { force: true });
  await rm(`${file}.sha256`, { force: true });
  return false;
}

export async function loadPool(arch: string, repos: RepoState[], cacheDir: string, specs: string[] = []): Promise<SolvPool> {
  const native = new NativePool(arch);
  const loaded: LoadedRepo[] = [];
  // One at a time: libsolv's pool is not safe to fill from several calls at once.
  for (const r of repos) loaded.push(await loadRepo(native, r, cacheDir));
  const scanned = new Set<string>();
  let fullFilelists = false;

  const withFilelists = (f: (r: LoadedRepo, file: string) => void) => {
    for (const r of loaded) {
      const filelists = r.metadata.files.filelists;
      if (!filelists) continue;
      try {
        f(r, filelists.path);
      } catch (err) {
        throw badMetadata(r.source, r.metadata, err);
      }
    }
  };
  /** Returns true when the whatprovides index must be rebuilt. */
  const addFiles = (paths: string[], globs: boolean): boolean => {
    if (globs && !fullFilelists) {
      fullFilelists = true;
      withFilelists((r, file) => native.repoAddRpmmd(r.solvId, file, true));
      return true;
    }
    const fresh = [...new Set(paths)].filter((p) => !inPrimary(p) && !scanned.has(p));
    if (fresh.length === 0 || fullFilelists) return false;
    for (const p of fresh) scanned.add(p);
    withFilelists((r, file) => native.repoAddFileProvides(r.solvId, file, fresh));
    return true;
  };
  const fileSpecs = (list: string[]) => list.filter(isFileSpec);

  const specPaths = fileSpecs(specs);
  addFiles([...native.fileDeps(), ...specPaths.filter((s) => !isGlob(s))], specPaths.some(isGlob));
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
    ensureFiles(list) {
      const paths = fileSpecs(list);
      if (addFiles(paths.filter((s) => !isGlob(s)), paths.some(isGlob))) native.createWhatProvides();
    },
  };
}
