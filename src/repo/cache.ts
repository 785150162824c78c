// The host cache of repo metadata. Layout, per repo:
//
//   <cacheDir>/repos/<id>-<first 16 hex of sha256(repo URL)>/
//     repomd.xml                        the current revision's repomd.xml (a plain copy)
//     repomd.json                       validators and identity of that revision; written last
//     repodata/<sha256>-repomd.xml      every committed repomd.xml, keyed by its own sha256
//     repodata/<hex>-<type>.<ext>       data files keyed by the checksum repomd gives them
//
// The repo URL is the metalink, else the first baseurl, else the mirrorlist: what
// identifies the repo, not whichever mirror answered. Every file is written to a
// uniquely named temp file in its final directory and renamed into place, so two
// processes sharing the cache never see a partial file. Data files are renamed into
// place only after their checksum matched. repomd.json is the commit point: it names
// the repomd.xml revision (by sha256) whose data files are all present; readers load
// that revision from repodata/, so a crash between writes leaves the previous
// revision intact.

import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { commitFile, writeFileAtomic } from '../atomic.js';
import type { RepoSource } from '../types/index.js';
import { RepoError } from '../errors.js';
import { hasher, hexDigest, type HashType } from '../hash.js';
import { redact, type DownloadResult, type HttpClient } from './http.js';
import type { RepomdRecord } from './repomd.js';

export interface RepomdState {
  version: 1;
  id: string;
  /** The URL that identifies the repo (see repoKeyUrl). */
  key: string;
  /** The repomd.xml URL this revision was fetched from. */
  url: string;
  /** Base URL of the mirror it came from. */
  baseurl: string;
  etag?: string;
  lastModified?: string;
  /** `sha256:<hex>` of repomd.xml. */
  repomdChecksum: string;
  revision: string;
  /** When this revision was first fetched (ISO 8601). */
  fetchedAt: string;
}

export interface CachedRevision {
  state: RepomdState;
  /** The repomd.xml bytes of that revision, verified against state.repomdChecksum. */
  xml: Buffer;
  /** Path of that exact repomd.xml (content-addressed). */
  repomdPath: string;
}

/** The URL that identifies a repo in the cache, whichever mirror serves it. */
export function repoKeyUrl(src: Pick<RepoSource, 'id' | 'baseurl' | 'metalink' | 'mirrorlist'>): string {
  const key = src.metalink || src.baseurl[0] || src.mirrorlist;
  if (!key) {
    throw new RepoError('REPO_MIRRORS', `repo "${src.id}" has no baseurl, metalink or mirrorlist`);
  }
  return key;
}

/** `<cacheDir>/repos/<id>-<16 hex>`: this repo's directory in the host cache. */
export function repoCacheDir(
  cacheDir: string,
  src: Pick<RepoSource, 'id' | 'baseurl' | 'metalink' | 'mirrorlist'>,
): string {
  const hash = hexDigest(repoKeyUrl(src)).slice(0, 16);
  const safeId = src.id.replace(/[^A-Za-z0-9._-]/g, '_');
  return join(cacheDir, 'repos', `${safeId}-${hash}`);
}

const COMPRESSION = /\.(gz|xz|bz2|zst|zck|lzma)$/i;

/** `<hex>-<type>.<ext>`, keeping the compression suffix readers go by (xml.gz, yaml.xz...). */
export function dataFileName(rec: RepomdRecord): string {
  const name = basename(new URL(rec.href, 'http://x/').pathname);
  const comp = COMPRESSION.exec(name)?.[0] ?? '';
  const stem = comp ? name.slice(0, -comp.length) : name;
  const inner = /\.([A-Za-z0-9]+)$/.exec(stem)?.[1] ?? 'dat';
  const type = rec.type.replace(/[^A-Za-z0-9_]/g, '_');
  return `${rec.checksum.hex}-${type}.${inner}${comp.toLowerCase()}`;
}

export function dataFilePath(dir: string, rec: RepomdRecord): string {
  return join(dir, 'repodata', dataFileName(rec));
}

export function repomdCopyPath(dir: string, sha256hex: string): string {
  return join(dir, 'repodata', `${sha256hex}-repomd.xml`);
}

/** Writes `data` to `path` atomically (src/atomic.ts), as a cache error when it fails. */
export async function writeCacheFile(path: string, data: string | Buffer): Promise<void> {
  try {
    await writeFileAtomic(path, data);
  } catch (err) {
    throw new RepoError('REPO_CACHE', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export async function ensureDirs(dir: string): Promise<void> {
  try {
    await mkdir(join(dir, 'repodata'), { recursive: true });
  } catch (err) {
    throw new RepoError('REPO_CACHE', `cannot create cache directory ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The committed revision in `dir`, or undefined when there is none (or it is unreadable). */
export async function readCachedRevision(dir: string): Promise<CachedRevision | undefined> {
  let state: RepomdState;
  try {
    state = JSON.parse(await readFile(join(dir, 'repomd.json'), 'utf8')) as RepomdState;
  } catch {
    return undefined;
  }
  const m = /^sha256:([0-9a-f]{64})$/.exec(state?.repomdChecksum ?? '');
  if (state?.version !== 1 || !m) return undefined;
  const repomdPath = repomdCopyPath(dir, m[1]!);
  let xml: Buffer;
  try {
    xml = await readFile(repomdPath);
  } catch {
    return undefined;
  }
  if (hexDigest(xml) !== m[1]) return undefined;
  return { state, xml, repomdPath };
}

/**
 * The cached path of a data file when it is there and verifies: of the size and checksum
 * repomd gives, hashed on every use. One that fails is discarded (`discarded`), so that it
 * is fetched again rather than failing every later run the same way.
 */
export async function cachedDataFile(dir: string, rec: RepomdRecord): Promise<{ path?: string; discarded?: boolean }> {
  const path = dataFilePath(dir, rec);
  try {
    const st = await stat(path);
    if (!st.isFile()) return {};
    if ((rec.size === undefined || st.size === rec.size) && (await hashFile(path, rec.checksum.type)) === rec.checksum.hex) return { path };
  } catch {
    return {};
  }
  await unlink(path).catch(() => {});
  return { discarded: true };
}

/** A file's hex digest, streamed. */
export async function hashFile(path: string, algo: HashType): Promise<string> {
  const hash = hasher(algo);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Downloads `url` to `final`: streamed to a temp file beside it while hashed, renamed
 * into place only when the digest is `hex` and `accept` (when given) does not throw;
 * otherwise RepoError 'REPO_CHECKSUM' with the message `mismatch` gives, or accept's error. On any failure the temp file is removed and nothing else
 * changes. Repo metadata and RPMs both come in this way.
 */
export async function downloadChecked(
  http: HttpClient,
  url: string,
  final: string,
  algo: HashType,
  hex: string,
  mismatch: (got: DownloadResult) => string,
  accept?: (tmp: string) => Promise<void>,
): Promise<DownloadResult> {
  return commitFile(final, async (tmp) => {
    const got = await http.download(url, tmp, algo);
    if (got.hex !== hex) throw new RepoError('REPO_CHECKSUM', mismatch(got), { url: redact(url) });
    // Any further check (a package's signature) before the file enters the cache.
    await accept?.(tmp);
    return got;
  });
}

/** One repodata file into the cache, verified against its repomd checksum. */
export async function downloadVerified(http: HttpClient, url: string, dir: string, rec: RepomdRecord): Promise<string> {
  const final = dataFilePath(dir, rec);
  await downloadChecked(http, url, final, rec.checksum.type, rec.checksum.hex, (got) => {
    const sizes = rec.size !== undefined ? ` (${got.size} bytes, repomd says ${rec.size})` : ` (${got.size} bytes)`;
    return `${redact(url)}: checksum mismatch: expected ${rec.checksum.type}:${rec.checksum.hex}, got ${rec.checksum.type}:${got.hex}${sizes}`;
  });
  return final;
}

/**
 * Commits a revision: its content-addressed repomd.xml copy, the plain repomd.xml,
 * then repomd.json last. Call only once every data file it needs is in place.
 */
export async function commitRevision(dir: string, xml: Buffer, state: RepomdState): Promise<string> {
  const hex = state.repomdChecksum.replace(/^sha256:/, '');
  const copy = repomdCopyPath(dir, hex);
  const have = await readFile(copy).catch(() => undefined);
  if (!have || !have.equals(xml)) await writeCacheFile(copy, xml);
  await writeCacheFile(join(dir, 'repomd.xml'), xml);
  await writeCacheFile(join(dir, 'repomd.json'), `${JSON.stringify(state, null, 2)}\n`);
  return copy;
}

/** Updates only the validators of the committed revision (after a 304 with new ones). */
export async function writeState(dir: string, state: RepomdState): Promise<void> {
  await writeCacheFile(join(dir, 'repomd.json'), `${JSON.stringify(state, null, 2)}\n`);
}
