// The repos stage against real rpm-md repos (built with createrepo_c at test time)
// served by a loopback HTTP server that counts every request.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RepoSource } from '../src/types/index.js';
import { RepoError } from '../src/errors.js';
import {
  dataFileName,
  fetchRepo,
  fetchRepos,
  parseMetalink,
  parseMirrorlist,
  parseRepomd,
  pickRecord,
  repoCacheDir,
  type FetchOptions,
} from '../src/repo/index.js';
import { closeServers, flipByte, repoSource, serveDir as serve, type TestServer } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIX = join(ROOT, 'test/fixtures/repo');
const RPM_EMPTY = join(FIX, 'rpm-empty-0-0.x86_64.rpm');
const RPM_BASIC = join(FIX, 'rpm-basic-2.3.4-5.el9.noarch.rpm');
const COMPS = join(FIX, 'comps.xml');
const FAST = { delayMs: 5 };

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rpmcompose-repo-test-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

let counter = 0;
async function tempDir(name: string): Promise<string> {
  const d = join(scratch, `${name}-${++counter}`);
  await mkdir(d, { recursive: true });
  return d;
}

/** (Re)generates repodata in `dir` holding exactly `rpms`. */
async function buildRepo(dir: string, rpms: string[], opts: { revision: string; comps?: boolean }): Promise<void> {
  for (const e of await readdir(dir)) if (e.endsWith('.rpm')) await rm(join(dir, e));
  for (const r of rpms) {
    const dest = join(dir, r.split('/').pop()!);
    await copyFile(r, dest);
    // primary.xml records the file's mtime: fixed, so a rebuild changes only what the test changes.
    await utimes(dest, 1704067200, 1704067200);
  }
  const args = ['-q', '--revision', opts.revision];
  if (opts.comps) args.push('-g', COMPS);
  execFileSync('createrepo_c', [...args, dir], { stdio: 'pipe' });
}

after(async () => {
  await closeServers();
});

/** A loopback port nothing listens on: a mirror that is down. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/repo/`;
}

/** A repo source with dnf's defaults; the tests set where it lives. */
const source = (id: string, over: Partial<RepoSource>): RepoSource => repoSource(id, '/nonexistent', { baseurl: [], ...over });

const sha = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

/** Every file under `dir`, relative. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1));
  }
  return out.sort();
}

/** Asserts the cache holds only verified files: no temp files, each data file hashes to its name. */
async function assertCacheClean(dir: string): Promise<void> {
  const files = await listFiles(dir);
  assert.deepEqual(
    files.filter((f) => f.includes('.tmp')),
    [],
    'no temp files left behind',
  );
  for (const f of files.filter((x) => x.startsWith('repodata/'))) {
    const hex = f.slice('repodata/'.length).split('-')[0]!;
    const body = await readFile(join(dir, f));
    assert.equal(sha('sha256', body), hex, `${f} holds what its name says`);
  }
}

const paths = (s: TestServer) => s.requests.map((r) => r.path);

async function newRepo(name: string, rpms = [RPM_EMPTY], revision = '1') {
  const repoDir = await tempDir(name);
  await buildRepo(repoDir, rpms, { revision });
  const srv = await serve(scratch);
  const base = `${srv.url}${repoDir.slice(scratch.length + 1)}/`;
  const cacheDir = await tempDir(`${name}-cache`);
  return { repoDir, srv, base, cacheDir };
}

describe('repomd / metalink / mirrorlist parsing', () => {
  it('picks compressed primary/filelists and group_gz over group, never _db or _zck', async () => {
    const xml = `<?xml version="1.0"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>42</revision>
  <data type="primary_db"><checksum type="sha256">aa</checksum><location href="repodata/aa-primary.sqlite.bz2"/></data>
  <data type="primary_zck"><checksum type="sha256">bb</checksum><location href="repodata/bb-primary.xml.zck"/></data>
  <data type="primary"><checksum type="sha256">cc</checksum><open-checksum type="sha256">dd</open-checksum>
    <location href="repodata/cc-primary.xml.zst"/><timestamp>1700000000</timestamp><size>10</size></data>
  <data type="group"><checksum type="sha">ee</checksum><location href="repodata/ee-comps.xml"/></data>
  <data type="group_gz"><checksum type="sha512">ff</checksum><location href="repodata/ff-comps-Everything.x86_64.xml.gz" xml:base="http://other/"/><timestamp>1700000100</timestamp></data>
</repomd>`;
    const md = await parseRepomd(xml, 'http://h/repodata/repomd.xml');
    assert.equal(md.revision, '42');
    assert.equal(md.timestamp, 1700000100);
    const primary = pickRecord(md, 'primary')!;
    assert.equal(primary.href, 'repodata/cc-primary.xml.zst');
    assert.deepEqual(primary.checksum, { type: 'sha256', hex: 'cc' });
    assert.deepEqual(primary.openChecksum, { type: 'sha256', hex: 'dd' });
    assert.equal(primary.size, 10);
    const group = pickRecord(md, 'group')!;
    assert.equal(group.type, 'group_gz');
    assert.equal(group.base, 'http://other/');
    assert.equal(dataFileName(group), 'ff-group_gz.xml.gz');
    assert.equal(dataFileName(primary), 'cc-primary.xml.zst');
    assert.equal(pickRecord(md, 'filelists'), undefined);
    const old = await parseRepomd(xml.replace(/<data type="group_gz">.*<\/data>/, ''), 'u');
    assert.deepEqual(pickRecord(old, 'group')!.checksum, { type: 'sha1', hex: 'ee' });
  });

  it('names the URL when repomd.xml is not XML or not a repomd', async () => {
    await assert.rejects(parseRepomd('<repomd><data', 'http://h/x/repodata/repomd.xml'), (e: unknown) => {
      assert.ok(e instanceof RepoError);
      assert.equal(e.code, 'REPO_REPOMD');
      assert.match(e.message, /http:\/\/h\/x\/repodata\/repomd\.xml/);
      return true;
    });
    await assert.rejects(parseRepomd('<html><body>hi</body></html>', 'http://h/r'), /<html>.*expected <repomd>/);
  });

  it('orders metalink mirrors by preference and strips repodata/repomd.xml', async () => {
    const ml = await parseMetalink(
      `<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/" xmlns:mm0="http://fedorahosted.org/mirrormanager">
 <files><file name="repomd.xml">
  <mm0:timestamp>1</mm0:timestamp><size>3</size>
  <verification><hash type="md5">00</hash><hash type="sha256">ab</hash></verification>
  <mm0:alternates><mm0:alternate><mm0:timestamp>0</mm0:timestamp>
    <verification><hash type="sha256">cd</hash></verification></mm0:alternate></mm0:alternates>
  <resources maxconnections="1">
   <url protocol="rsync" type="rsync" preference="100">rsync://m0/repo/repodata/repomd.xml</url>
   <url protocol="http" type="http" location="US" preference="90">http://m1/repo/repodata/repomd.xml</url>
   <url protocol="https" type="https" location="DE" preference="99">https://m2/repo/repodata/repomd.xml</url>
   <url protocol="https" type="https" location="FR" preference="90">https://m3/repo/repodata/repomd.xml</url>
  </resources>
 </file></files>
</metalink>`,
      'http://ml',
    );
    assert.deepEqual(
      ml.mirrors.map((m) => m.url),
      ['https://m2/repo/', 'http://m1/repo/', 'https://m3/repo/'],
    );
    assert.deepEqual(ml.hashes, [
      { type: 'md5', hex: '00' },
      { type: 'sha256', hex: 'ab' },
    ]);
    assert.deepEqual(ml.alternates, [[{ type: 'sha256', hex: 'cd' }]]);
    assert.deepEqual(
      parseMirrorlist('# fedora\n\nhttp://a/os/\n  https://b/os  # second\nftp://c/\n', 'u').map((m) => m.url),
      ['http://a/os/', 'https://b/os/'],
    );
  });
});

describe('fetchRepo over HTTP', () => {
  it('first fetch downloads repomd.xml and the wanted data files, verified; second run is one 304', async () => {
    const { repoDir, srv, base, cacheDir } = await newRepo('first', [RPM_EMPTY], '1');
    const src = source('base', { baseurl: [base] });
    const lines: string[] = [];
    const md = await fetchRepo(src, { cacheDir, log: (l) => lines.push(l) });

    const repomdXml = await readFile(join(repoDir, 'repodata/repomd.xml'));
    const served = await parseRepomd(repomdXml, 'x');
    assert.equal(md.id, 'base');
    assert.equal(md.url, base);
    assert.equal(md.revision, '1');
    assert.equal(md.repomdChecksum, `sha256:${sha('sha256', repomdXml)}`);
    assert.equal(md.fromCache, false);
    assert.deepEqual(Object.keys(md.files).sort(), ['filelists', 'primary']);
    for (const t of ['primary', 'filelists'] as const) {
      const rec = pickRecord(served, t)!;
      const f = md.files[t]!;
      assert.equal(f.checksum, `sha256:${rec.checksum.hex}`);
      assert.equal(sha('sha256', await readFile(f.path)), rec.checksum.hex);
      assert.deepEqual(await readFile(f.path), await readFile(join(repoDir, rec.href)));
    }
    // Exactly: repomd.xml, primary, filelists; no other/_db/group.
    assert.deepEqual(paths(srv).map((p) => p.replace(/^.*\/repodata\/(?:[0-9a-f]{64}-)?/, '')).sort(), [
      'filelists.xml.gz',
      'primary.xml.gz',
      'repomd.xml',
    ]);
    assert.ok(lines.some((l) => /downloading primary/.test(l)));

    // The cache layout.
    const dir = repoCacheDir(cacheDir, src);
    assert.match(dir, /repos\/base-[0-9a-f]{16}$/);
    const files = await listFiles(dir);
    assert.ok(files.includes('repomd.xml') && files.includes('repomd.json'));
    assert.deepEqual(await readFile(join(dir, 'repomd.xml')), repomdXml);
    const state = JSON.parse(await readFile(join(dir, 'repomd.json'), 'utf8'));
    assert.equal(state.url, `${base}repodata/repomd.xml`);
    assert.equal(state.repomdChecksum, md.repomdChecksum);
    assert.ok(state.etag && state.lastModified && state.fetchedAt);
    await assertCacheClean(dir);

    // Second run: one conditional request, answered 304, nothing else.
    srv.requests.length = 0;
    const again = await fetchRepo(src, { cacheDir });
    assert.equal(srv.requests.length, 1);
    const [only] = srv.requests;
    assert.equal(only!.path.endsWith('/repodata/repomd.xml'), true);
    assert.equal(only!.headers['if-none-match'], state.etag);
    assert.equal(only!.status, 304);
    assert.equal(again.fromCache, true);
    assert.deepEqual(again.files, md.files);
    assert.equal(again.repomdChecksum, md.repomdChecksum);
  });

  it('a changed repo downloads only the files whose checksum changed', async () => {
    const { repoDir, srv, base, cacheDir } = await newRepo('changed', [RPM_EMPTY], '1');
    const src = source('changed', { baseurl: [base] });
    const v1 = await fetchRepo(src, { cacheDir });

    // Revision 2 gains a comps group: primary and filelists are byte-identical.
    await buildRepo(repoDir, [RPM_EMPTY], { revision: '2', comps: true });
    srv.requests.length = 0;
    const v2 = await fetchRepo(src, { cacheDir });
    assert.equal(v2.revision, '2');
    assert.equal(v2.fromCache, false);
    assert.deepEqual(paths(srv).map((p) => p.split('/').pop()!.replace(/^[0-9a-f]{64}-/, '')), [
      'repomd.xml',
      'comps.xml.gz',
    ]);
    assert.equal(srv.requests[0]!.status, 200);
    assert.equal(v2.files.primary!.path, v1.files.primary!.path);
    assert.match(v2.files.group!.path, /-group_gz\.xml\.gz$/);

    // Revision 3 gains a package: primary and filelists change, the group does not.
    await buildRepo(repoDir, [RPM_EMPTY, RPM_BASIC], { revision: '3', comps: true });
    srv.requests.length = 0;
    const v3 = await fetchRepo(src, { cacheDir });
    assert.equal(v3.revision, '3');
    assert.deepEqual(paths(srv).map((p) => p.split('/').pop()!.replace(/^[0-9a-f]{64}-/, '')).sort(), [
      'filelists.xml.gz',
      'primary.xml.gz',
      'repomd.xml',
    ]);
    assert.equal(v3.files.group!.path, v2.files.group!.path);
    assert.notEqual(v3.files.primary!.path, v2.files.primary!.path);

    // `types` limits what is fetched; asking for more later fetches only that.
    const c2 = await tempDir('changed-cache2');
    srv.requests.length = 0;
    const onlyPrimary = await fetchRepo(src, { cacheDir: c2, types: ['primary'] });
    assert.deepEqual(Object.keys(onlyPrimary.files), ['primary']);
    assert.equal(srv.requests.length, 2);
    srv.requests.length = 0;
    const more = await fetchRepo(src, { cacheDir: c2, types: ['primary', 'group'] });
    assert.deepEqual(srv.requests.map((r) => r.status), [304, 200]);
    assert.match(srv.requests[1]!.path, /comps\.xml\.gz$/);
    assert.equal(more.fromCache, false);
    await assertCacheClean(repoCacheDir(cacheDir, src));
  });

  it('a corrupted data file is rejected naming URL and checksums; the previous revision stays intact', async () => {
    const { repoDir, srv, base, cacheDir } = await newRepo('corrupt', [RPM_EMPTY], '1');
    const src = source('corrupt', { baseurl: [base] });
    const v1 = await fetchRepo(src, { cacheDir });
    const dir = repoCacheDir(cacheDir, src);
    const before1 = await listFiles(dir);
    const json1 = await readFile(join(dir, 'repomd.json'), 'utf8');
    const xml1 = await readFile(join(dir, 'repomd.xml'));

    await buildRepo(repoDir, [RPM_EMPTY, RPM_BASIC], { revision: '2' });
    const rec = pickRecord(await parseRepomd(await readFile(join(repoDir, 'repodata/repomd.xml')), 'x'), 'primary')!;
    const good = await readFile(join(repoDir, rec.href));
    const bad = flipByte(good);
    srv.corrupt.add('primary.xml.gz');

    await assert.rejects(fetchRepo(src, { cacheDir }), (e: unknown) => {
      assert.ok(e instanceof RepoError);
      assert.equal(e.code, 'REPO_CHECKSUM');
      assert.ok(e.message.includes(`${base}${rec.href}`), e.message);
      assert.ok(e.message.includes(`expected sha256:${rec.checksum.hex}`), e.message);
      assert.ok(e.message.includes(`got sha256:${sha('sha256', bad)}`), e.message);
      return true;
    });
    // The committed revision is still the first one, and nothing unverified is on disk.
    assert.equal(await readFile(join(dir, 'repomd.json'), 'utf8'), json1);
    assert.deepEqual(await readFile(join(dir, 'repomd.xml')), xml1);
    await assertCacheClean(dir);
    const after1 = await listFiles(dir);
    assert.ok(!after1.some((f) => f.startsWith(`repodata/${rec.checksum.hex}`)), 'no file of the bad checksum');
    // Files verified on the way (revision 2's filelists) may stay: they are content-addressed.
    assert.deepEqual(
      after1.filter((f) => !before1.includes(f)).map((f) => f.replace(/^repodata\/[0-9a-f]{64}-/, '')),
      ['filelists.xml.gz'],
    );
    // Offline still serves revision 1.
    const off = await fetchRepo(src, { cacheDir, offline: true });
    assert.deepEqual(off.files, v1.files);

    // Once the mirror serves good bytes, revision 2 is fetched: only primary is missing.
    srv.corrupt.clear();
    srv.requests.length = 0;
    const v2 = await fetchRepo(src, { cacheDir });
    assert.equal(v2.revision, '2');
    assert.equal(srv.requests.length, 2);
    assert.equal(sha('sha256', await readFile(v2.files.primary!.path)), rec.checksum.hex);
    await assertCacheClean(dir);
  });

  it('retries 5xx and 429, then gives up naming the URL and the status', async () => {
    const { srv, base, cacheDir } = await newRepo('retry', [RPM_EMPTY], '1');
    const src = source('retry', { baseurl: [base] });
    srv.fail.set('/repodata/repomd.xml', [500]);
    srv.fail.set('primary.xml.gz', [429, 503]);
    const lines: string[] = [];
    const md = await fetchRepo(src, { cacheDir, retry: FAST, log: (l) => lines.push(l) });
    assert.equal(md.fromCache, false);
    assert.deepEqual(
      srv.requests.filter((r) => r.path.endsWith('repomd.xml')).map((r) => r.status),
      [500, 200],
    );
    assert.deepEqual(
      srv.requests.filter((r) => r.path.endsWith('primary.xml.gz')).map((r) => r.status),
      [429, 503, 200],
    );
    assert.ok(lines.some((l) => /retrying .*repomd\.xml/.test(l)));

    const c2 = await tempDir('retry-cache2');
    srv.fail.set('/repodata/repomd.xml', [500, 500, 500]);
    srv.requests.length = 0;
    await assert.rejects(fetchRepo(src, { cacheDir: c2, retry: FAST }), (e: unknown) => {
      assert.ok(e instanceof RepoError);
      assert.equal(e.code, 'REPO_HTTP');
      assert.ok(e.message.includes(`${base}repodata/repomd.xml`), e.message);
      assert.match(e.message, /HTTP 500/);
      return true;
    });
    assert.equal(srv.requests.length, 3);

    // A 404 is not transient: one request, then the error.
    srv.requests.length = 0;
    await assert.rejects(
      fetchRepo(source('missing', { baseurl: [`${srv.url}nope/`] }), { cacheDir: c2, retry: FAST }),
      /nope\/repodata\/repomd\.xml: HTTP 404/,
    );
    assert.equal(srv.requests.length, 1);
  });

  it('offline uses the cache with zero requests, or says the repo was never fetched', async () => {
    const { srv, base, cacheDir } = await newRepo('offline', [RPM_EMPTY], '1');
    const src = source('offline', { baseurl: [base] });
    const online = await fetchRepo(src, { cacheDir });
    srv.requests.length = 0;
    const off = await fetchRepo(src, { cacheDir, offline: true });
    assert.equal(srv.requests.length, 0);
    assert.equal(off.fromCache, true);
    assert.deepEqual(off.files, online.files);
    assert.equal(off.repomdChecksum, online.repomdChecksum);
    assert.equal(off.revision, '1');

    const empty = await tempDir('offline-empty');
    await assert.rejects(fetchRepo(src, { cacheDir: empty, offline: true }), (e: unknown) => {
      assert.ok(e instanceof RepoError);
      assert.equal(e.code, 'REPO_OFFLINE_MISSING');
      assert.ok(e.message.includes('"offline"') && e.message.includes(empty), e.message);
      assert.match(e.message, /never been fetched.*without --offline/);
      return true;
    });
    // A type that was never fetched is just as missing; a type the repo lacks is no error.
    const partial = await tempDir('offline-partial');
    await fetchRepo(src, { cacheDir: partial, types: ['primary'] });
    srv.requests.length = 0;
    const noGroup = await fetchRepo(src, { cacheDir: partial, offline: true, types: ['primary', 'group'] });
    assert.deepEqual(Object.keys(noGroup.files), ['primary']);
    await assert.rejects(
      fetchRepo(src, { cacheDir: partial, offline: true, types: ['primary', 'filelists'] }),
      (e: unknown) => e instanceof RepoError && e.code === 'REPO_OFFLINE_MISSING' && /filelists metadata/.test(e.message),
    );
    assert.equal(srv.requests.length, 0);
  });

  it('reads file:// repos through the same cache', async () => {
    const repoDir = await tempDir('filerepo');
    await buildRepo(repoDir, [RPM_EMPTY], { revision: '7' });
    const cacheDir = await tempDir('filerepo-cache');
    const src = source('local', { baseurl: [pathToFileURL(repoDir).toString()] });
    const md = await fetchRepo(src, { cacheDir });
    assert.equal(md.revision, '7');
    assert.equal(md.fromCache, false);
    assert.ok(md.files.primary && md.files.filelists);
    const again = await fetchRepo(src, { cacheDir });
    assert.equal(again.fromCache, true);
    assert.deepEqual(again.files, md.files);
    await buildRepo(repoDir, [RPM_EMPTY, RPM_BASIC], { revision: '8' });
    const v8 = await fetchRepo(src, { cacheDir });
    assert.equal(v8.revision, '8');
    assert.equal(v8.fromCache, false);
    await assertCacheClean(repoCacheDir(cacheDir, src));
    await assert.rejects(
      fetchRepo(source('nofile', { baseurl: [pathToFileURL(join(repoDir, 'absent')).toString()] }), { cacheDir }),
      (e: unknown) => e instanceof RepoError && e.code === 'REPO_IO' && /absent\/repodata\/repomd\.xml/.test(e.message),
    );
  });

  it('metalink: skips a dead mirror and a stale one, verifies repomd.xml, then costs one request', async () => {
    const { repoDir, srv, base, cacheDir } = await newRepo('metalink', [RPM_EMPTY], '1');
    const stale = await tempDir('metalink-stale');
    await buildRepo(stale, [RPM_BASIC], { revision: '0' });
    const staleBase = `${srv.url}${stale.slice(scratch.length + 1)}/`;
    const dead = await deadUrl();
    const metalinkXml = async () => {
      const xml = await readFile(join(repoDir, 'repodata/repomd.xml'));
      return Buffer.from(`<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/" xmlns:mm0="http://fedorahosted.org/mirrormanager">
 <files><file name="repomd.xml"><size>${xml.length}</size>
  <verification><hash type="sha256">${sha('sha256', xml)}</hash><hash type="sha512">${sha('sha512', xml)}</hash></verification>
  <resources>
   <url protocol="http" type="http" preference="100">${dead}repodata/repomd.xml</url>
   <url protocol="http" type="http" preference="99">${staleBase}repodata/repomd.xml</url>
   <url protocol="http" type="http" preference="98">${base}repodata/repomd.xml</url>
  </resources>
 </file></files></metalink>`);
    };
    // The metalink lives on the same server; it is rewritten whenever the repo changes.
    const metalinkPath = join(scratch, 'metalink.xml');
    const writeMl = async () => writeFile(metalinkPath, await metalinkXml());
    await writeMl();
    const src = source('ml', { metalink: `${srv.url}metalink.xml` });
    const lines: string[] = [];
    const md = await fetchRepo(src, { cacheDir, retry: FAST, log: (l) => lines.push(l) });
    assert.equal(md.url, base);
    assert.equal(md.revision, '1');
    assert.equal(md.fromCache, false);
    assert.ok(lines.some((l) => /does not match the metalink/.test(l)), lines.join('\n'));
    assert.match(repoCacheDir(cacheDir, src), /repos\/ml-/);

    // Unchanged: the metalink request alone, no mirror asked.
    srv.requests.length = 0;
    const again = await fetchRepo(src, { cacheDir });
    assert.equal(again.fromCache, true);
    assert.deepEqual(paths(srv), ['/metalink.xml']);

    // A new revision on the good mirror: metalink, stale mirror (rejected), good mirror.
    await buildRepo(repoDir, [RPM_EMPTY, RPM_BASIC], { revision: '2' });
    await writeMl();
    const v2 = await fetchRepo(src, { cacheDir, retry: FAST });
    assert.equal(v2.revision, '2');
    assert.equal(v2.url, base);

    // No mirror serves the metalink's repomd.xml: REPO_MIRRORS listing each failure.
    await buildRepo(repoDir, [RPM_EMPTY], { revision: '3' });
    await writeFile(
      metalinkPath,
      (await readFile(metalinkPath, 'utf8')).replace(/<hash type="sha256">[0-9a-f]+/, `<hash type="sha256">${'0'.repeat(64)}`).replace(/<hash type="sha512">[0-9a-f]+<\/hash>/, ''),
    );
    await assert.rejects(fetchRepo(src, { cacheDir: await tempDir('ml-c2'), retry: FAST }), (e: unknown) => {
      assert.ok(e instanceof RepoError);
      assert.equal(e.code, 'REPO_MIRRORS');
      assert.match(e.message, /every mirror failed/);
      assert.ok(e.message.includes(dead), e.message);
      assert.ok(e.message.includes(`expected sha256:${'0'.repeat(64)}`), e.message);
      return true;
    });
  });

  it('mirrorlist: tries mirrors in order until one works', async () => {
    const { srv, base, cacheDir } = await newRepo('mirrorlist', [RPM_EMPTY], '1');
    const dead = await deadUrl();
    const listPath = join(scratch, 'mirrorlist.txt');
    await writeFile(
      listPath,
      `# mirrors\n${dead}\n${srv.url}no-such-repo/\n\n${base}\n`,
    );
    const src = source('mlist', { mirrorlist: `${srv.url}mirrorlist.txt` });
    const md = await fetchRepo(src, { cacheDir, retry: FAST });
    assert.equal(md.url, base);
    assert.equal(md.fromCache, false);
    assert.deepEqual(
      srv.requests.slice(0, 3).map((r) => [r.path.replace(/^.*\/(no-such-repo|mirrorlist-\d+)\//, '$1/'), r.status]),
      [
        ['/mirrorlist.txt', 200],
        ['no-such-repo/repodata/repomd.xml', 404],
        [`${base.replace(/^.*\/(mirrorlist-\d+)\//, '$1/')}repodata/repomd.xml`, 200],
      ],
    );
    // baseurl first: a working baseurl means the mirrorlist is never fetched.
    srv.requests.length = 0;
    const both = source('mlist', { baseurl: [base], mirrorlist: `${srv.url}mirrorlist.txt` });
    await fetchRepo(both, { cacheDir: await tempDir('mlist-c2') });
    assert.ok(!paths(srv).includes('/mirrorlist.txt'));
  });

  it('concurrent fetches of one repo into one cache, and fetchRepos over several', async () => {
    const { srv, base, cacheDir } = await newRepo('concurrent', [RPM_EMPTY, RPM_BASIC], '1');
    const src = source('conc', { baseurl: [base] });
    const all = await Promise.all([1, 2, 3, 4].map(() => fetchRepo(src, { cacheDir })));
    for (const md of all) assert.deepEqual(md.files, all[0]!.files);
    await assertCacheClean(repoCacheDir(cacheDir, src));

    const other = await newRepo('concurrent-b', [RPM_EMPTY], '9');
    const disabled = source('off', { baseurl: [await deadUrl()], enabled: false });
    const got = await fetchRepos([src, disabled, source('b', { baseurl: [other.base] })], { cacheDir });
    assert.deepEqual(got.map((m) => [m.id, m.revision]), [
      ['conc', '1'],
      ['b', '9'],
    ]);
    assert.ok(srv.requests.every((r) => r.status === 200 || r.status === 304));

    // Equal definitions (two arches naming one URL) are fetched once and share the result.
    const shared = await newRepo('concurrent-c', [RPM_EMPTY], '3');
    const one = source('c', { baseurl: [shared.base] });
    const pair = await fetchRepos([one, { ...one }], { cacheDir: shared.cacheDir });
    assert.equal(pair[0], pair[1]);
    assert.equal(paths(shared.srv).filter((p) => p.endsWith('repodata/repomd.xml')).length, 1, paths(shared.srv).join(' '));
  });

  it('serves the project fixture repo when it exists', { skip: !existsSync(join(ROOT, 'test/fixtures/repos/base/repodata/repomd.xml')) }, async () => {
    const copy = await tempDir('fixture-base');
    await cp(join(ROOT, 'test/fixtures/repos/base'), copy, { recursive: true });
    const srv = await serve(scratch);
    const base = `${srv.url}${copy.slice(scratch.length + 1)}/`;
    const opts: FetchOptions = { cacheDir: await tempDir('fixture-cache') };
    const md = await fetchRepo(source('fixture', { baseurl: [base] }), opts);
    assert.ok(md.files.primary);
    assert.equal((await fetchRepo(source('fixture', { baseurl: [base] }), opts)).fromCache, true);
  });
});
