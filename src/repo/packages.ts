// RPM downloads into the host cache, content-addressed by the checksum primary.xml
// gives each package:
//
//   <cacheDir>/rpms/<type>-<hex>.rpm        e.g. rpms/sha256-3f2a….rpm
//
// A package already there (of the size primary gives) is never fetched again. A
// download streams into a uniquely named temp file in rpms/ while it is hashed, and is
// renamed into place only when the checksum matches, so the cache never holds a
// partial or unverified RPM, even with several processes sharing it. Transient
// failures are retried (and connections kept alive) by the HttpClient; a repo's other
// base URLs are tried when the one its metadata came from fails.

import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { RepoSource } from '../types/index.js';
import { RepoError, RpmcomposeError } from '../errors.js';
import { hasher, hashType, type HashType } from '../hash.js';
import { mapLimit } from '../limit.js';
import { downloadChecked, hashFile } from './cache.js';
import { clientForSource, redact, type HttpClient } from './http.js';

/** One package to fetch: the fields of a resolved package that locate and verify it. */
export interface PackageRef {
  name: string;
  /** As in primary.xml: relative to the repo's base URL (an absolute URL is used as is). */
  location: string;
  /** `<type>:<hex>` as primary.xml gives it, e.g. `sha256:3f2a…`. */
  checksum: string;
  /** Download size in bytes (primary.xml `<size package=…>`). */
  size: number;
  /** The compose's repo id: a key of the `repos` map. */
  repo: string;
}

/** A repo as the repos stage fetched it: its definition plus the base URL the metadata came from. */
export type PackageRepo = RepoSource & { url: string };

export interface FetchPackagesOptions {
  /** The host cache root; RPMs go under `<cacheDir>/rpms/`. */
  cacheDir: string;
  /** No network: every package must be in the cache, else RepoError 'REPO_OFFLINE_MISSING'. */
  offline?: boolean;
  /** Downloads at once. Default 6. */
  concurrency?: number;
  /** Re-hash packages found in the cache instead of trusting their size; a mismatch is fetched again. */
  verifyCached?: boolean;
  /** A check a downloaded package must pass before it enters the cache (its signature); its error is the download's. */
  accept?: (pkg: PackageRef, file: string) => Promise<void>;
  log?: (line: string) => void;
  /** After each package is available: packages done (cached ones included), their total, bytes downloaded so far. */
  progress?: (done: number, total: number, bytes: number) => void;
  /** Send every request through this undici dispatcher (then the repos' TLS/proxy options are not applied). */
  dispatcher?: Dispatcher;
  /** Attempts per request (HttpClient default: 3) and the first backoff (default 250 ms). */
  tries?: number;
  retryDelayMs?: number;
}

export const DEFAULT_DOWNLOAD_CONCURRENCY = 6;

interface Wanted {
  pkg: PackageRef;
  algo: HashType;
  hex: string;
  path: string;
}

/** `<cacheDir>/rpms`. */
export function rpmCacheDir(cacheDir: string): string {
  return join(cacheDir, 'rpms');
}

/** `<type>:<hex>` → its parts, or a RepoError 'REPO_CHECKSUM_TYPE' naming the package. */
function parseChecksum(pkg: PackageRef): { algo: HashType; hex: string } {
  const m = /^([A-Za-z0-9-]+):([0-9A-Fa-f]+)$/.exec(pkg.checksum);
  const algo = m ? hashType(m[1]!) : undefined;
  if (!m || !algo) {
    throw new RepoError(
      'REPO_CHECKSUM_TYPE',
      `package ${pkg.name} (repo "${pkg.repo}"): unsupported checksum "${pkg.checksum}"`,
    );
  }
  return { algo, hex: m[2]!.toLowerCase() };
}

/** Where the package with this `<type>:<hex>` checksum lives in the cache (it may not be there). */
export function cachedPackagePath(cacheDir: string, checksum: string): string {
  const { algo, hex } = parseChecksum({ name: checksum, location: '', checksum, size: 0, repo: '' });
  return join(rpmCacheDir(cacheDir), `${algo}-${hex}.rpm`);
}


/** True when the cache holds this package: a regular file of the right size (and hash, when asked). */
async function isCached(w: Wanted, verify: boolean): Promise<boolean> {
  try {
    const st = await stat(w.path);
    if (!st.isFile() || st.size !== w.pkg.size) return false;
    return !verify || (await hashFile(w.path, w.algo)) === w.hex;
  } catch {
    return false;
  }
}

/** The URLs to try for a package: the base URL the metadata came from first, then the repo's other base URLs. */
function packageUrls(pkg: PackageRef, repo: PackageRepo): string[] {
  const bases = [repo.url, ...repo.baseurl].filter((b, i, all) => b && all.indexOf(b) === i);
  return bases.map((b) => new URL(pkg.location, b.endsWith('/') ? b : `${b}/`).toString());
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/**
 * Makes every package available in the host cache, downloading those that are not
 * there yet (at most `concurrency` at once), each verified against its checksum before
 * it enters the cache. Returns checksum (as given) → local path.
 *
 * Errors (RepoError): 'REPO_CHECKSUM' (a download does not match primary: names the
 * package, URL, expected and actual checksum; nothing enters the cache),
 * 'REPO_OFFLINE_MISSING' (offline and not cached: names the packages), 'REPO_HTTP' /
 * 'REPO_IO' (every URL of the package failed), 'REPO_UNKNOWN_REPO', 'REPO_CHECKSUM_TYPE',
 * 'REPO_CACHE'. After the first failure no new download starts; those under way finish.
 */
export async function fetchPackages(
  pkgs: readonly PackageRef[],
  repos: ReadonlyMap<string, PackageRepo>,
  opts: FetchPackagesOptions,
): Promise<Map<string, string>> {
  const log = opts.log ?? (() => {});
  const dir = rpmCacheDir(opts.cacheDir);
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY));

  // One entry per distinct checksum: the same RPM named by several images or arches
  // is fetched once.
  const wanted = new Map<string, Wanted>();
  for (const pkg of pkgs) {
    if (wanted.has(pkg.checksum)) continue;
    if (!repos.has(pkg.repo)) {
      throw new RepoError('REPO_UNKNOWN_REPO', `package ${pkg.name}: unknown repo "${pkg.repo}"`);
    }
    const { algo, hex } = parseChecksum(pkg);
    wanted.set(pkg.checksum, { pkg, algo, hex, path: join(dir, `${algo}-${hex}.rpm`) });
  }

  const result = new Map<string, string>();
  const missing: Wanted[] = [];
  const all = [...wanted.values()];
  const cached = await Promise.all(all.map((w) => isCached(w, opts.verifyCached ?? false)));
  all.forEach((w, i) => (cached[i] ? result.set(w.pkg.checksum, w.path) : missing.push(w)));

  const total = wanted.size;
  let bytes = 0;
  if (missing.length === 0) {
    opts.progress?.(result.size, total, bytes);
    return result;
  }

  if (opts.offline) {
    const names = missing.map((w) => `${w.pkg.name} (${w.pkg.checksum})`);
    const shown = names.length > 10 ? [...names.slice(0, 10), `and ${names.length - 10} more`] : names;
    throw new RepoError(
      'REPO_OFFLINE_MISSING',
      `offline, and ${plural(missing.length, 'package')} never fetched into ${opts.cacheDir}: ` +
        `${shown.join(', ')}; run once without --offline to fetch them`,
    );
  }

  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new RepoError('REPO_CACHE', `cannot create cache directory ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }

  const clients = new Map<string, HttpClient>();
  const clientFor = (repo: PackageRepo): HttpClient => {
    let c = clients.get(repo.id);
    if (!c) {
      c = clientForSource(repo, {
        log,
        ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
        ...(opts.tries !== undefined ? { tries: opts.tries } : {}),
        ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
      });
      clients.set(repo.id, c);
    }
    return c;
  };

  // Said before the first progress figure, which counts the cached packages as done.
  log(`downloading ${plural(missing.length, 'package')} (${plural(total - missing.length, 'package')} cached)`);
  opts.progress?.(result.size, total, bytes);
  await mapLimit(
    missing,
    concurrency,
    async (w) => {
      const repo = repos.get(w.pkg.repo)!;
      const size = await downloadPackage(w, repo, clientFor(repo), log, opts.accept);
      bytes += size; // not `bytes += await …`: that reads `bytes` before the await
      result.set(w.pkg.checksum, w.path);
      opts.progress?.(result.size, total, bytes);
    },
    (e) => log(`also failed: ${(e as Error).message}`),
  );
  return result;
}

/**
 * Downloads one package to a temp file beside its cache path, verifies it, renames it
 * into place. Tries each of the repo's URLs in turn; a checksum mismatch is final only
 * when every URL failed, and then the error says what each one did. Returns the bytes
 * downloaded.
 */
async function downloadPackage(
  w: Wanted,
  repo: PackageRepo,
  http: HttpClient,
  log: (line: string) => void,
  accept?: (pkg: PackageRef, file: string) => Promise<void>,
): Promise<number> {
  const { pkg, algo, hex } = w;
  const urls = packageUrls(pkg, repo);
  const prefix = `package ${pkg.name} (${repo.path})`;
  const errors: RepoError[] = [];
  for (const url of urls) {
    try {
      const got = await downloadChecked(
        http,
        url,
        w.path,
        algo,
        hex,
        (got) =>
          `${redact(url)}: checksum mismatch: expected ${algo}:${hex}, got ${algo}:${got.hex} ` +
          `(${got.size} bytes, primary says ${pkg.size})`,
        accept && ((tmp) => accept(pkg, tmp)),
      );
      return got.size;
    } catch (err) {
      // The bytes primary vouches for fail a check of their own (a signature): no mirror serves others.
      if (err instanceof RpmcomposeError && !(err instanceof RepoError)) throw err;
      errors.push(err instanceof RepoError ? err : new RepoError('REPO_CACHE', `cannot store it in the cache: ${(err as Error).message}`, { cause: err }));
      if (url !== urls.at(-1)) log(`${prefix}: ${errors.at(-1)!.message}; trying the next base URL`);
    }
  }
  const first = errors[0]!;
  const place = { path: repo.path, url: first.place.url };
  if (errors.length === 1) throw new RepoError(first.code, `${prefix}: ${first.message}`, { cause: first, ...place });
  const each = errors.map((e) => `\n  - ${e.message}`).join('');
  throw new RepoError(first.code, `${prefix}: every base URL failed:${each}`, { cause: first, ...place });
}


/** Leftover temp files in `<cacheDir>/rpms` (from killed processes): for `cache clean`-style tools and tests. */
export async function packageTempFiles(cacheDir: string): Promise<string[]> {
  try {
    return (await readdir(rpmCacheDir(cacheDir))).filter((n) => n.startsWith('.') && n.endsWith('.tmp'));
  } catch {
    return [];
  }
}
