// The repos stage: bring one repo's metadata into the host cache, verified, with as
// few requests as possible. An unchanged repo costs one conditional request for
// repomd.xml (or, with a metalink, the metalink request alone) and nothing else.
//
// Metadata integrity rests on the repomd.xml checksums (every file is hashed on every use),
// the metalink's hashes of repomd.xml when the repo has a metalink, and, with
// repo_gpgcheck, repomd.xml's OpenPGP signature (trust.ts), checked before anything it
// names is used.

import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { RepoSource } from '../types/index.js';
import { formatBytes } from '../bytes.js';
import { RepoError, RpmcomposeError } from '../errors.js';
import { hexDigest } from '../hash.js';
import { mapLimit } from '../limit.js';
import {
  cachedDataFile,
  commitRevision,
  downloadVerified,
  ensureDirs,
  readCachedRevision,
  repoCacheDir,
  repoKeyUrl,
  writeCacheFile,
  writeState,
  type CachedRevision,
  type RepomdState,
} from './cache.js';
import { clientForSource, redact, type HttpClient, type Validators } from './http.js';
import { checkRepomd, repoKeys } from './trust.js';
import {
  asBase,
  looksLikeMetalink,
  matchMetalink,
  parseMetalink,
  parseMirrorlist,
  type Metalink,
} from './mirrors.js';
import { parseRepomd, pickRecord, type Repomd, type RepomdRecord } from './repomd.js';
import type { MetadataFile, MetadataType, RepoMetadata } from '../types/index.js';

export const DEFAULT_TYPES: readonly MetadataType[] = ['primary', 'filelists', 'group', 'modules'];

export interface FetchOptions {
  /** The host cache root; repo metadata goes under `<cacheDir>/repos/`. */
  cacheDir: string;
  /** No network at all: the cached revision or a RepoError 'REPO_OFFLINE_MISSING'. */
  offline?: boolean;
  /** Metadata to fetch when repomd.xml lists it. Default: primary, filelists, group, modules. */
  types?: MetadataType[];
  /** Progress lines (nothing here prints). */
  log?: (line: string) => void;
  /** Send every request through this undici dispatcher (then the repo's TLS/proxy options are not applied). */
  dispatcher?: Dispatcher;
  /** Attempts per request on transient failures (default 3) and the first backoff (default 250 ms, doubling). */
  retry?: { tries?: number; delayMs?: number };
}

/** The revision chosen for this run, before its data files are in place. */
interface Revision {
  xml: Buffer;
  repomd: Repomd;
  /** Base URL of the mirror it came from, ending in `/`. */
  base: string;
  /** repomd.xml URL. */
  url: string;
  sha256: string;
  validators: Validators;
  /** Same bytes as the cached revision. */
  unchanged: boolean;
}

/**
 * Where a repo can be fetched from, best first: its baseurls, then the metalink's
 * mirrors, then the mirrorlist's (fetched only once everything before has failed).
 */
class MirrorSet {
  metalink: Metalink | undefined;
  readonly errors: RepoError[] = [];
  private readonly seen: string[] = [];

  constructor(
    private readonly src: RepoSource,
    private readonly http: HttpClient,
    private readonly log: (line: string) => void,
  ) {}

  /** Fetches the metalink first: it is what verifies repomd.xml, whichever mirror serves it. */
  async loadMetalink(): Promise<void> {
    const url = this.src.metalink;
    if (!url) return;
    try {
      const res = await this.http.get(url);
      if (res.notModified) return;
      this.metalink = await parseMetalink(res.body, url);
    } catch (err) {
      const e = asRepoError(err);
      if (this.src.baseurl.length === 0 && !this.src.mirrorlist) throw e;
      this.errors.push(e);
      this.log(`repo ${this.src.id}: ${e.message}; trying its other sources unverified by a metalink`);
    }
  }

  /** Every base URL handed out so far. */
  known(): string[] {
    return [...this.seen];
  }

  async *bases(): AsyncGenerator<string> {
    const fresh = (u: string) => {
      const b = asBase(u);
      if (this.seen.includes(b)) return undefined;
      this.seen.push(b);
      return b;
    };
    for (const u of this.src.baseurl) {
      const b = fresh(u);
      if (b) yield b;
    }
    for (const m of this.metalink?.mirrors ?? []) {
      const b = fresh(m.url);
      if (b) yield b;
    }
    const ml = this.src.mirrorlist;
    if (!ml) return;
    let mirrors: string[];
    try {
      const res = await this.http.get(ml);
      if (res.notModified) return;
      if (looksLikeMetalink(res.body)) {
        // dnf accepts a metalink under `mirrorlist=`; it then verifies repomd.xml too.
        const parsed = await parseMetalink(res.body, ml);
        this.metalink ??= parsed;
        mirrors = parsed.mirrors.map((m) => m.url);
      } else {
        mirrors = parseMirrorlist(res.body.toString('utf8'), ml).map((m) => m.url);
      }
    } catch (err) {
      this.errors.push(asRepoError(err));
      return;
    }
    for (const u of mirrors) {
      const b = fresh(u);
      if (b) yield b;
    }
  }
}

function asRepoError(err: unknown): RepoError {
  if (err instanceof RepoError) return err;
  return new RepoError('REPO_HTTP', (err as Error)?.message ?? String(err), { cause: err });
}

/** A repo's failure, its message and place naming the compose's entry for it (`$.repos.<id>`). */
function namingRepo(src: RepoSource, err: unknown): RpmcomposeError {
  // Another stage's error (a signature) already says which repo.
  if (err instanceof RpmcomposeError && !(err instanceof RepoError)) return err;
  const e = asRepoError(err);
  if (e.place.path) return e;
  const file = src.origin !== src.path ? src.origin : undefined;
  const where = file ? `${src.path} (defined in ${file})` : src.path;
  return new RepoError(e.code, `${where}: ${e.message}`, { cause: e, path: src.path, file, url: e.place.url });
}

function allFailed(src: RepoSource, errors: RepoError[]): RepoError {
  if (errors.length === 1) return errors[0]!;
  if (errors.length === 0) return new RepoError('REPO_MIRRORS', `repo "${src.id}": no mirror to fetch it from`);
  const shown = errors.slice(0, 5).map((e) => `\n  - ${e.message}`);
  const more = errors.length > 5 ? `\n  - and ${errors.length - 5} more` : '';
  return new RepoError('REPO_MIRRORS', `repo "${src.id}": every mirror failed:${shown.join('')}${more}`, {
    cause: errors[0],
  });
}

/** Revalidates repomd.xml against the first mirror that answers (conditionally when it can). */
async function fetchRepomd(
  src: RepoSource,
  mirrors: MirrorSet,
  http: HttpClient,
  cached: CachedRevision | undefined,
  log: (line: string) => void,
): Promise<Revision> {
  const errors = mirrors.errors;
  // A failure is said as progress only when another mirror is tried after it; the last one
  // is the error the caller reports, said once.
  let unsaid: RepoError | undefined;
  const fail = (e: RepoError) => {
    errors.push(e);
    unsaid = e;
  };
  for await (const base of mirrors.bases()) {
    if (unsaid) log(`repo ${src.id}: ${unsaid.message}; trying ${redact(base)}`);
    unsaid = undefined;
    const url = new URL('repodata/repomd.xml', base).toString();
    // Validators belong to the URL that issued them; with a metalink the hash decides instead.
    const validators =
      cached && !mirrors.metalink && cached.state.url === url
        ? { etag: cached.state.etag, lastModified: cached.state.lastModified }
        : undefined;
    let res;
    try {
      res = await http.get(url, validators);
    } catch (err) {
      fail(asRepoError(err));
      continue;
    }
    if (res.notModified && cached) {
      log(`repo ${src.id}: ${redact(url)} not modified`);
      return {
        xml: cached.xml,
        repomd: await parseCachedRepomd(cached),
        base,
        url,
        sha256: hexDigest(cached.xml),
        validators: { etag: res.etag ?? validators?.etag, lastModified: res.lastModified ?? validators?.lastModified },
        unchanged: true,
      };
    }
    if (res.notModified) continue; // 304 to an unconditional request: a broken server
    if (mirrors.metalink) {
      const m = matchMetalink(res.body, mirrors.metalink);
      if (m.match === 'none') {
        fail(
          new RepoError(
            'REPO_CHECKSUM',
            `${redact(url)}: repomd.xml does not match the metalink ${redact(src.metalink ?? src.mirrorlist ?? '')}: ` +
              `expected ${m.expected!.type}:${m.expected!.hex}, got ${m.expected!.type}:${m.actual}`,
            { url: redact(url) },
          ),
        );
        continue;
      }
    }
    const hex = hexDigest(res.body);
    const unchanged = cached?.state.repomdChecksum === `sha256:${hex}`;
    let repomd: Repomd;
    try {
      // Same bytes as the cached revision (file:// repos, servers without validators).
      repomd = unchanged ? await parseCachedRepomd(cached!) : await parseRepomd(res.body, url);
    } catch (err) {
      fail(asRepoError(err));
      continue;
    }
    log(`repo ${src.id}: ${redact(url)} ${unchanged ? 'unchanged' : `revision ${repomd.revision}`}`);
    return {
      xml: res.body,
      repomd,
      base,
      url,
      sha256: hex,
      validators: { etag: res.etag, lastModified: res.lastModified },
      unchanged,
    };
  }
  throw allFailed(src, errors);
}

function human(bytes: number | undefined): string {
  return bytes === undefined ? 'size unknown' : formatBytes(bytes);
}

/** The records to have for `types`; a repo without primary metadata is broken. */
function wanted(repomd: Repomd, types: readonly MetadataType[], where: string): [MetadataType, RepomdRecord][] {
  const out: [MetadataType, RepomdRecord][] = [];
  for (const t of types) {
    const rec = pickRecord(repomd, t);
    if (rec) out.push([t, rec]);
    else if (t === 'primary') throw new RepoError('REPO_REPOMD', `${where}: repomd.xml lists no primary metadata`);
  }
  return out;
}

const fileOf = (path: string, rec: RepomdRecord): MetadataFile => ({
  path,
  checksum: `${rec.checksum.type}:${rec.checksum.hex}`,
});

async function offlineRepo(
  src: RepoSource,
  opts: FetchOptions,
  dir: string,
  cached: CachedRevision | undefined,
  types: readonly MetadataType[],
): Promise<RepoMetadata> {
  if (!cached) {
    throw new RepoError(
      'REPO_OFFLINE_MISSING',
      `repo "${src.id}" (${redact(repoKeyUrl(src))}) has never been fetched into ${opts.cacheDir}; ` +
        `run once without --offline to fetch it`,
    );
  }
  const ring = await repoKeys(src, dir, undefined);
  if (src.repo_gpgcheck) await checkRepomd(src, cached.xml, hexDigest(cached.xml), cached.state.baseurl, dir, ring!, undefined);
  const repomd = await parseCachedRepomd(cached);
  const files: RepoMetadata['files'] = {};
  for (const [type, rec] of wanted(repomd, types, cached.repomdPath)) {
    const { path, discarded } = await cachedDataFile(dir, rec);
    if (!path) {
      const why = discarded ? 'was corrupt in the cache (discarded)' : `has never been fetched into ${opts.cacheDir}`;
      throw new RepoError(
        'REPO_OFFLINE_MISSING',
        `repo "${src.id}": its ${type} metadata (${rec.checksum.type}:${rec.checksum.hex}) ${why}; run once without --offline to fetch it`,
      );
    }
    files[type] = fileOf(path, rec);
  }
  opts.log?.(`repo ${src.id}: offline, using cached revision ${repomd.revision}`);
  return {
    id: src.id,
    url: cached.state.baseurl,
    revision: repomd.revision,
    repomdChecksum: cached.state.repomdChecksum,
    files,
    fromCache: true,
    ...(ring ? { keys: ring.keys.map((k) => ({ fingerprint: k.fingerprint, armored: k.armored })) } : {}),
  };
}

/**
 * A cached revision's parsed repomd, kept beside its content-addressed copy: parsing
 * needs xml2js (~40 ms to load), which a warm run that changes nothing can skip.
 */
async function parseCachedRepomd(cached: CachedRevision): Promise<Repomd> {
  // Outside repodata/, where every file is named by its own checksum.
  const memo = join(dirname(dirname(cached.repomdPath)), 'parsed', `${basename(cached.repomdPath)}.json`);
  try {
    return JSON.parse(await readFile(memo, 'utf8')) as Repomd;
  } catch {
    const repomd = await parseRepomd(cached.xml, cached.repomdPath);
    // Only a speed-up: a cache we cannot write to still works.
    await mkdir(dirname(memo), { recursive: true })
      .then(() => writeCacheFile(memo, JSON.stringify(repomd)))
      .catch(() => {});
    return repomd;
  }
}

/**
 * Fetches one repo's metadata into the host cache and returns the verified local copies.
 * `fromCache` is true when the cached revision is still current and no data file had to
 * be downloaded: then the only requests were the revalidation of repomd.xml (one
 * conditional GET, or the metalink) and any mirror failover it took.
 */
export async function fetchRepo(src: RepoSource, opts: FetchOptions): Promise<RepoMetadata> {
  const types = opts.types ?? DEFAULT_TYPES;
  const log = opts.log ?? (() => {});
  const dir = repoCacheDir(opts.cacheDir, src);
  const cached = await readCachedRevision(dir);
  if (opts.offline) return offlineRepo(src, opts, dir, cached, types);

  await ensureDirs(dir);
  const http = clientForSource(src, {
    dispatcher: opts.dispatcher,
    log,
    tries: opts.retry?.tries,
    retryDelayMs: opts.retry?.delayMs,
  });
  const mirrors = new MirrorSet(src, http, log);
  await mirrors.loadMetalink();

  let rev: Revision;
  if (cached && mirrors.metalink && matchMetalink(cached.xml, mirrors.metalink).match === 'current') {
    // The metalink names our cached repomd.xml as current: no need to ask any mirror.
    log(`repo ${src.id}: metalink says the cached revision is current`);
    rev = {
      xml: cached.xml,
      repomd: await parseCachedRepomd(cached),
      base: cached.state.baseurl,
      url: cached.state.url,
      sha256: hexDigest(cached.xml),
      validators: { etag: cached.state.etag, lastModified: cached.state.lastModified },
      unchanged: true,
    };
  } else {
    rev = await fetchRepomd(src, mirrors, http, cached, log);
  }
  // Before anything repomd.xml names is used.
  const ring = await repoKeys(src, dir, http);
  if (src.repo_gpgcheck) await checkRepomd(src, rev.xml, rev.sha256, rev.base, dir, ring!, http);

  // Data files: reuse what the cache has (keyed by checksum), download the rest.
  const files: RepoMetadata['files'] = {};
  const missing: [MetadataType, RepomdRecord][] = [];
  for (const [type, rec] of wanted(rev.repomd, types, rev.url)) {
    const { path, discarded } = await cachedDataFile(dir, rec);
    if (path) files[type] = fileOf(path, rec);
    else missing.push([type, rec]);
    if (discarded) log(`repo ${src.id}: the cached ${type} metadata was corrupt: discarded, fetching it again`);
  }
  const results = await Promise.allSettled(
    missing.map(async ([type, rec]) => {
      // The mirror that served repomd.xml first, then up to two more already known.
      const bases = rec.base ? [asBase(rec.base)] : [rev.base, ...mirrors.known().filter((b) => b !== rev.base)].slice(0, 3);
      const errors: RepoError[] = [];
      for (const base of bases) {
        const url = new URL(rec.href, base).toString();
        log(`repo ${src.id}: downloading ${type} (${human(rec.size)}) from ${redact(url)}`);
        try {
          files[type] = fileOf(await downloadVerified(http, url, dir, rec), rec);
          return;
        } catch (err) {
          errors.push(asRepoError(err));
          if (base !== bases.at(-1)) log(`repo ${src.id}: ${errors.at(-1)!.message}; trying the next mirror`);
        }
      }
      throw errors[0]!;
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  // The previous revision stays committed: nothing below runs unless every file is in place.
  if (failed) throw failed.reason;

  const state: RepomdState = {
    version: 1,
    id: src.id,
    key: repoKeyUrl(src),
    url: rev.url,
    baseurl: rev.base,
    ...(rev.validators.etag ? { etag: rev.validators.etag } : {}),
    ...(rev.validators.lastModified ? { lastModified: rev.validators.lastModified } : {}),
    repomdChecksum: `sha256:${rev.sha256}`,
    revision: rev.repomd.revision,
    fetchedAt: rev.unchanged && cached ? cached.state.fetchedAt : new Date().toISOString(),
  };
  if (!rev.unchanged || !cached) {
    await commitRevision(dir, rev.xml, state);
  } else if (
    cached.state.url !== state.url ||
    cached.state.baseurl !== state.baseurl ||
    cached.state.etag !== state.etag ||
    cached.state.lastModified !== state.lastModified
  ) {
    await writeState(dir, state);
  }

  return {
    id: src.id,
    url: rev.base,
    revision: rev.repomd.revision,
    repomdChecksum: state.repomdChecksum,
    files,
    fromCache: rev.unchanged && missing.length === 0,
    ...(ring ? { keys: ring.keys.map((k) => ({ fingerprint: k.fingerprint, armored: k.armored })) } : {}),
  };
}

/**
 * Fetches several repos, `concurrency` (default 4) at a time: the one way repos are
 * fetched, for every arch of a compose at once. Disabled repos are skipped; results keep
 * the order of the enabled ones. Equal definitions (several arches naming one URL) are
 * fetched once and share their result. When any fails, nothing new starts, those under
 * way finish (so nothing writes to the cache after this returns) and the first failure
 * is thrown.
 */
export async function fetchRepos(
  srcs: readonly RepoSource[],
  opts: FetchOptions & { concurrency?: number },
): Promise<RepoMetadata[]> {
  const list = srcs.filter((s) => s.enabled);
  const keys = list.map((s) => JSON.stringify(s));
  const distinct = [...new Set(keys)];
  const first = new Map(distinct.map((k) => [k, list[keys.indexOf(k)]!]));
  const fetched = await mapLimit(
    distinct,
    opts.concurrency ?? 4,
    async (k) => {
      const src = first.get(k)!;
      try {
        return await fetchRepo(src, opts);
      } catch (err) {
        throw namingRepo(src, err);
      }
    },
    (e) => opts.log?.(`also failed: ${(e as Error).message}`),
  );
  const byKey = new Map(distinct.map((k, i) => [k, fetched[i]!]));
  return keys.map((k) => byKey.get(k)!);
}
