// RPM downloads into the host cache (src/repo/packages.ts), against a copy of the base
// fixture repo served by a loopback HTTP server that counts requests, including how
// many are under way at once.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { RepoError } from '../src/errors.js';
import {
  cachedPackagePath,
  closeHttpAgents,
  fetchPackages,
  packageTempFiles,
  rpmCacheDir,
  type FetchPackagesOptions,
  type PackageRef,
  type PackageRepo,
} from '../src/repo/index.js';
import { closeServers, fixtures, repoSource, serveDir as serve, type TestServer } from './helpers.js';

const BASE = join(fixtures, 'repos/base');

let scratch: string;
let counter = 0;
async function tempDir(name: string): Promise<string> {
  const d = join(scratch, `${name}-${++counter}`);
  await mkdir(d, { recursive: true });
  return d;
}

/** Every package of a repo, read from its primary.xml with a regex (small, known input). */
async function packagesOf(dir: string, repo: string): Promise<PackageRef[]> {
  const repomd = await readFile(join(dir, 'repodata/repomd.xml'), 'utf8');
  const href = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)![1]!;
  const xml = gunzipSync(await readFile(join(dir, href))).toString('utf8');
  const out: PackageRef[] = [];
  for (const m of xml.matchAll(/<package type="rpm">([\s\S]*?)<\/package>/g)) {
    const p = m[1]!;
    const [, type, hex] = /<checksum type="(\w+)" pkgid="YES">([0-9a-f]+)<\/checksum>/.exec(p)!;
    out.push({
      name: /<name>([^<]+)<\/name>/.exec(p)![1]!,
      location: /<location href="([^"]+)"/.exec(p)![1]!,
      checksum: `${type}:${hex}`,
      size: Number(/<size package="(\d+)"/.exec(p)![1]),
      repo,
    });
  }
  return out;
}

function reposFor(url: string, extraBaseurls: string[] = []): Map<string, PackageRepo> {
  const src = repoSource('base', BASE, { baseurl: [url, ...extraBaseurls] });
  return new Map([['base', { ...src, url }]]);
}

const FAST: Partial<FetchPackagesOptions> = { retryDelayMs: 5 };

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Sorted names and sizes of every entry in the cache's rpms/ directory (hidden temp files included). */
async function cacheListing(cacheDir: string): Promise<string[]> {
  const dir = rpmCacheDir(cacheDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.sort()) out.push(`${n} ${(await stat(join(dir, n))).size}`);
  return out;
}

/** Flips one byte in the middle of a file. */
async function corrupt(path: string): Promise<void> {
  const b = await readFile(path);
  const i = b.length >> 1;
  b[i] = b[i]! ^ 0xff;
  await writeFile(path, b);
}

let all: PackageRef[];
let served: string; // a copy of the base repo the server serves
let srv: TestServer;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rpmcompose-packages-test-'));
  served = join(scratch, 'served');
  await cp(BASE, served, { recursive: true });
  all = await packagesOf(served, 'base');
  srv = await serve(served);
});
after(async () => {
  await closeServers();
  await closeHttpAgents();
  await rm(scratch, { recursive: true, force: true });
});

describe('fetchPackages', () => {
  it('reads the fixture package list', () => {
    assert.ok(all.length >= 40, `only ${all.length} packages in base`);
    assert.equal(new Set(all.map((p) => p.checksum)).size, all.length);
  });

  it('downloads every package, verified and content-addressed; a second call makes no request', async () => {
    const cacheDir = await tempDir('cache');
    const before = srv.requests.length;
    const progress: [number, number, number][] = [];
    const got = await fetchPackages(all, reposFor(srv.url), {
      cacheDir,
      progress: (d, t, b) => progress.push([d, t, b]),
    });
    assert.equal(srv.requests.length - before, all.length);
    assert.equal(got.size, all.length);
    for (const p of all) {
      const path = got.get(p.checksum)!;
      assert.equal(path, cachedPackagePath(cacheDir, p.checksum));
      assert.equal(path, join(cacheDir, 'rpms', `sha256-${p.checksum.slice('sha256:'.length)}.rpm`));
      assert.equal(`sha256:${await sha256(path)}`, p.checksum, p.name);
      assert.equal((await stat(path)).size, p.size);
    }
    const totalBytes = all.reduce((n, p) => n + p.size, 0);
    assert.deepEqual(progress[0], [0, all.length, 0]);
    assert.deepEqual(progress.at(-1), [all.length, all.length, totalBytes]);
    assert.deepEqual(await packageTempFiles(cacheDir), []);

    const again = srv.requests.length;
    const got2 = await fetchPackages(all, reposFor(srv.url), { cacheDir });
    assert.equal(srv.requests.length, again, 'the second call made requests');
    assert.deepEqual(got2, got);

    // offline with everything cached: same answer, no request
    const got3 = await fetchPackages(all, reposFor(srv.url), { cacheDir, offline: true });
    assert.deepEqual(got3, got);
    assert.equal(srv.requests.length, again);
  });

  it('fetches a package listed twice (several images, arches) once', async () => {
    const cacheDir = await tempDir('cache');
    const p = all[0]!;
    const before = srv.requests.length;
    const got = await fetchPackages([p, { ...p }, p], reposFor(srv.url), { cacheDir });
    assert.equal(srv.requests.length - before, 1);
    assert.equal(got.size, 1);
  });

  it('a corrupted RPM fails naming the package, URL and both checksums; the cache is as before', async () => {
    const copy = await tempDir('corrupt-repo');
    await cp(served, copy, { recursive: true });
    const victim = all.find((p) => p.name === 'libfoo') ?? all[0]!;
    const good = all.filter((p) => p !== victim).slice(0, 3);
    await corrupt(join(copy, victim.location));
    const actual = await sha256(join(copy, victim.location));
    const bad = await serve(copy);

    const cacheDir = await tempDir('cache');
    await fetchPackages(good, reposFor(bad.url), { cacheDir });
    const listing = await cacheListing(cacheDir);
    assert.equal(listing.length, good.length);

    await assert.rejects(fetchPackages([...good, victim], reposFor(bad.url), { cacheDir, ...FAST }), (e: unknown) => {
      assert.ok(e instanceof RepoError, String(e));
      assert.equal(e.code, 'REPO_CHECKSUM');
      assert.match(e.message, new RegExp(`package ${victim.name}\\b`));
      assert.ok(e.message.includes(`${bad.url}${victim.location}`), e.message);
      assert.ok(e.message.includes(`expected ${victim.checksum}`), e.message);
      assert.ok(e.message.includes(`got sha256:${actual}`), e.message);
      return true;
    });
    assert.deepEqual(await cacheListing(cacheDir), listing, 'the cache changed');
    assert.deepEqual(await packageTempFiles(cacheDir), []);
    // A checksum mismatch is not transient: one request for the victim, no retry.
    assert.equal(bad.requests.filter((r) => r.path.endsWith(victim.location)).length, 1);
  });

  it('offline: cached packages only; missing ones fail naming them, without a request', async () => {
    const cacheDir = await tempDir('cache');
    const [a, b, c] = all;
    await fetchPackages([a!], reposFor(srv.url), { cacheDir });
    const before = srv.requests.length;
    const listing = await cacheListing(cacheDir);

    await assert.rejects(fetchPackages([a!, b!, c!], reposFor(srv.url), { cacheDir, offline: true }), (e: unknown) => {
      assert.ok(e instanceof RepoError);
      assert.equal(e.code, 'REPO_OFFLINE_MISSING');
      assert.ok(e.message.includes(`${b!.name} (${b!.checksum})`), e.message);
      assert.ok(e.message.includes(`${c!.name} (${c!.checksum})`), e.message);
      assert.ok(!e.message.includes(a!.checksum), e.message);
      return true;
    });
    assert.equal(srv.requests.length, before);
    assert.deepEqual(await cacheListing(cacheDir), listing);

    const got = await fetchPackages([a!], reposFor(srv.url), { cacheDir, offline: true });
    assert.equal(got.get(a!.checksum), cachedPackagePath(cacheDir, a!.checksum));
  });

  it('a cached file of the wrong size is fetched again; verifyCached re-hashes', async () => {
    const cacheDir = await tempDir('cache');
    const p = all[1]!;
    const path = cachedPackagePath(cacheDir, p.checksum);
    await mkdir(rpmCacheDir(cacheDir), { recursive: true });
    await writeFile(path, 'truncated');
    let before = srv.requests.length;
    await fetchPackages([p], reposFor(srv.url), { cacheDir });
    assert.equal(srv.requests.length - before, 1);
    assert.equal(`sha256:${await sha256(path)}`, p.checksum);

    // same size, wrong bytes: trusted by default, replaced with verifyCached
    await corrupt(path);
    before = srv.requests.length;
    await fetchPackages([p], reposFor(srv.url), { cacheDir });
    assert.equal(srv.requests.length, before);
    await fetchPackages([p], reposFor(srv.url), { cacheDir, verifyCached: true });
    assert.equal(srv.requests.length - before, 1);
    assert.equal(`sha256:${await sha256(path)}`, p.checksum);
  });

  it('file:// base URLs work, and are verified too', async () => {
    const cacheDir = await tempDir('cache');
    const url = pathToFileURL(served).href; // no trailing slash: still a directory base
    const got = await fetchPackages(all.slice(0, 5), reposFor(url), { cacheDir });
    for (const p of all.slice(0, 5)) assert.equal(`sha256:${await sha256(got.get(p.checksum)!)}`, p.checksum);

    const copy = await tempDir('corrupt-file-repo');
    await cp(served, copy, { recursive: true });
    const victim = all[7]!;
    await corrupt(join(copy, victim.location));
    const cache2 = await tempDir('cache');
    await assert.rejects(fetchPackages([victim], reposFor(pathToFileURL(copy).href), { cacheDir: cache2 }), (e: unknown) => {
      assert.ok(e instanceof RepoError);
      assert.equal(e.code, 'REPO_CHECKSUM');
      assert.match(e.message, new RegExp(`package ${victim.name}\\b`));
      return true;
    });
    assert.deepEqual(await cacheListing(cache2), []);

    // a missing file is a REPO_IO error naming the package
    await assert.rejects(
      fetchPackages([{ ...victim, location: 'Packages/nope.rpm' }], reposFor(pathToFileURL(copy).href), { cacheDir: cache2 }),
      (e: unknown) => e instanceof RepoError && e.code === 'REPO_IO' && e.message.includes(`package ${victim.name}`),
    );
  });

  it('bounds the downloads under way at once', async () => {
    const slow = await serve(served);
    slow.delayMs = 40;
    const cacheDir = await tempDir('cache');
    await fetchPackages(all.slice(0, 12), reposFor(slow.url), { cacheDir, concurrency: 3 });
    assert.equal(slow.requests.length, 12);
    assert.ok(slow.maxInFlight <= 3, `${slow.maxInFlight} requests at once`);
    assert.ok(slow.maxInFlight >= 2, 'downloads did not run in parallel');

    slow.maxInFlight = 0;
    await fetchPackages(all, reposFor(slow.url), { cacheDir: await tempDir('cache') });
    assert.ok(slow.maxInFlight <= 6, `${slow.maxInFlight} requests at once with the default`);
    assert.ok(slow.maxInFlight >= 4, `only ${slow.maxInFlight} requests at once with the default`);
  });

  it('retries a transient failure; tries the next base URL when one fails', async () => {
    const cacheDir = await tempDir('cache');
    const p = all[2]!;
    srv.fail.set(p.location, [503]);
    let before = srv.requests.length;
    await fetchPackages([p], reposFor(srv.url), { cacheDir, ...FAST });
    assert.equal(srv.requests.length - before, 2);

    const q = all[3]!;
    const broken = await serve(join(scratch, 'nothing-here'));
    before = srv.requests.length;
    const lines: string[] = [];
    const got = await fetchPackages([q], reposFor(broken.url, [srv.url]), {
      cacheDir,
      ...FAST,
      log: (l) => lines.push(l),
    });
    assert.equal(`sha256:${await sha256(got.get(q.checksum)!)}`, q.checksum);
    assert.equal(broken.requests.length, 1); // 404: not retried
    assert.equal(srv.requests.length - before, 1);
    assert.ok(lines.some((l) => l.includes('HTTP 404') && l.includes(q.name)), lines.join('\n'));

    // every URL fails: the error of the first names the package and the status
    await assert.rejects(
      fetchPackages([all[4]!], reposFor(broken.url), { cacheDir, ...FAST }),
      (e: unknown) =>
        e instanceof RepoError && e.code === 'REPO_HTTP' && e.message.includes(`package ${all[4]!.name}`) && e.message.includes('404'),
    );
    assert.deepEqual(await packageTempFiles(cacheDir), []);
  });

  it('rejects an unknown repo and an unsupported checksum type before any request', async () => {
    const cacheDir = await tempDir('cache');
    const before = srv.requests.length;
    await assert.rejects(
      fetchPackages([{ ...all[0]!, repo: 'nope' }], reposFor(srv.url), { cacheDir }),
      (e: unknown) => e instanceof RepoError && e.code === 'REPO_UNKNOWN_REPO' && e.message.includes('"nope"'),
    );
    await assert.rejects(
      fetchPackages([{ ...all[0]!, checksum: 'crc32:abcd' }], reposFor(srv.url), { cacheDir }),
      (e: unknown) => e instanceof RepoError && e.code === 'REPO_CHECKSUM_TYPE',
    );
    assert.equal(srv.requests.length, before);
  });
});
