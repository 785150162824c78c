// Signatures enforced (test/fixtures/repos/signed, keys in test/fixtures/keys): gpgcheck
// checks each RPM's header signature (v4 RSA and Ed25519, v3 RSA) against the repo's
// gpgkey list, before the RPM enters the cache and where it is used; repo_gpgcheck checks
// repomd.xml.asc. Unsigned, wrong key, a header or payload altered after signing, and a
// repomd.xml changed after its .asc all fail naming the package or repo and the key, with
// nothing cached or written.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { hexDigest } from '../src/hash.js';
import { readRpm } from '../src/rpm/package.js';
import { Keyring, verifySigned } from '../src/trust/index.js';
import { parseSignature } from '../src/trust/packets.js';
import { cli, corpus, fixtures, run, tmp, type CliResult } from './helpers.js';
import { validateLayout } from './validate.js';

const signed = path.join(fixtures, 'repos/signed');
const key = (name: string) => pathToFileURL(path.join(fixtures, 'keys', `${name}.asc`)).href;
const RSA = '0ba81de690c6f4f8468865c2f66bbbc528ebf5f5';

/** A compose over `repo` (default: the signed fixture repo) with the repo options given. */
function space(packages: string[], repo: Record<string, unknown>, repoDir = signed) {
  const dir = tmp('rpmcompose-sig-');
  const file = path.join(dir, 'compose.json');
  writeFileSync(file, JSON.stringify({ releasever: '1', arch: ['x86_64'], repos: { signed: { baseurl: repoDir, ...repo } }, images: { img: { packages } } }));
  const cache = path.join(dir, 'cache');
  const out = path.join(dir, 'out');
  const compose = (...args: string[]): CliResult => cli(['compose', file, '--cache-dir', cache, '-o', out, '-q', ...args], { cwd: dir });
  return { dir, file, cache, out, compose };
}

/** What the cache holds of RPMs, and whether an output was written: nothing after a refusal. */
function nothingWritten(s: ReturnType<typeof space>): void {
  const rpms = existsSync(path.join(s.cache, 'rpms')) ? readdirSync(path.join(s.cache, 'rpms')) : [];
  assert.deepEqual(rpms, [], 'nothing unverified is cached');
  assert.ok(!existsSync(path.join(s.out, 'index.json')), 'no output');
}

/** A copy of the signed repo whose `name` package went through `change`, re-indexed so primary vouches for it. */
async function alteredRepo(name: string, change: (file: string) => Promise<void> | void): Promise<string> {
  const repo = path.join(tmp('rpmcompose-sigrepo-'), 'repo');
  cpSync(signed, repo, { recursive: true });
  const file = path.join(repo, 'Packages', `${name}-1.0-1.noarch.rpm`);
  await change(file);
  run('createrepo_c', ['--update', '-q', repo]);
  return repo;
}

/** Rewrites the signature header's SHA256HEADER and SHA1HEADER to match the (altered) main header. */
async function rehashHeader(file: string): Promise<void> {
  const b = readFileSync(file);
  const sigCount = b.readUInt32BE(96 + 8);
  const sigData = 96 + 16 + sigCount * 16;
  const sigSize = 16 + sigCount * 16 + b.readUInt32BE(96 + 12);
  const mainAt = 96 + sigSize + ((8 - (sigSize % 8)) % 8);
  const mainCount = b.readUInt32BE(mainAt + 8);
  const main = b.subarray(mainAt, mainAt + 16 + mainCount * 16 + b.readUInt32BE(mainAt + 12));
  for (let i = 0; i < sigCount; i++) {
    const tag = b.readUInt32BE(96 + 16 + i * 16);
    const off = sigData + b.readInt32BE(96 + 16 + i * 16 + 8);
    if (tag === 273) b.write(hexDigest(main, 'sha256'), off, 'ascii');
    if (tag === 269) b.write(hexDigest(main, 'sha1'), off, 'ascii');
    // MD5 of header and payload, which createrepo_c (librpm) checks before it lists a package.
    if (tag === 1004) Buffer.from(hexDigest(b.subarray(mainAt), 'md5'), 'hex').copy(b, off);
  }
  writeFileSync(file, b);
}

describe('gpgcheck', () => {
  test('good signatures pass: v4 RSA, v4 Ed25519, v3 RSA, keys from one file of two; the keys go into the lock', () => {
    const s = space(['signed-rsa', 'signed-ed25519', 'signed-v3'], { gpgkey: key('rpmcompose-test-rsa+ed25519') });
    const r = cli(['compose', s.file, '--cache-dir', s.cache, '-o', s.out], { cwd: s.dir });
    assert.equal(r.status, 0, r.stderr);
    validateLayout(s.out);
    assert.doesNotMatch(r.stdout, /not signature-checked/);
    const lock = JSON.parse(readFileSync(path.join(s.dir, 'compose.lock.json'), 'utf8'));
    assert.deepEqual(lock.keys.signed.map((k: { fingerprint: string }) => k.fingerprint), [RSA, 'a07bf1b826eef739cc2a1b09a33536a8162e0f6a']);
    assert.match(lock.keys.signed[0].armored, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  });

  test('a repo without gpgcheck is said to be built without it, in the result block and the JSON', () => {
    const s = space(['unsigned'], {});
    const r = cli(['compose', s.file, '--cache-dir', s.cache, '-o', s.out], { cwd: s.dir });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^not signature-checked \(gpgcheck off\): \$\.repos\.signed$/m);
    assert.deepEqual(JSON.parse(cli(['compose', s.file, '--cache-dir', s.cache, '-o', s.out, '--json'], { cwd: s.dir }).stdout).unverified, ['$.repos.signed']);
  });

  const refusals: [string, string[], Record<string, unknown>, RegExp][] = [
    ['unsigned (gpgcheck on because a gpgkey is set)', ['unsigned'], { gpgkey: key('rpmcompose-test-rsa') }, /^rpmcompose: package unsigned-1\.0-1\.noarch \(\$\.repos\.signed\): not signed, and gpgcheck is on$/m],
    ['signed by a key the repo does not list', ['signed-other'], { gpgkey: key('rpmcompose-test-rsa') }, /^rpmcompose: package signed-other-1\.0-1\.noarch \(\$\.repos\.signed\): signed by key 02E3515C0099632BC8E71F8DEBEDCCD655BECC56, which is not among the repo's gpgkey \(0BA81DE690C6F4F8468865C2F66BBBC528EBF5F5\)$/m],
    ['the right package, the other key', ['signed-rsa'], { gpgkey: key('rpmcompose-test-other') }, /package signed-rsa-1\.0-1\.noarch \(\$\.repos\.signed\): signed by key 0BA81DE690C6F4F8468865C2F66BBBC528EBF5F5, which is not among/],
    ['a missing key file', ['signed-rsa'], { gpgkey: pathToFileURL(path.join(fixtures, 'keys/none.asc')).href }, /^rpmcompose: \$\.repos\.signed: gpgkey file:\/\/\S+none\.asc: cannot read it: /m],
    ['a key file that holds no key', ['signed-rsa'], { gpgkey: pathToFileURL(path.join(fixtures, 'keys/README.md')).href }, /\$\.repos\.signed: gpgkey file:\/\/\S+README\.md: not an OpenPGP public key/],
    ['gpgcheck without a gpgkey', ['signed-rsa'], { gpgcheck: true }, /^rpmcompose: \$\.repos\.signed: gpgcheck is on, but the repo names no gpgkey$/m],
  ];
  for (const [what, packages, repo, message] of refusals) {
    test(`refused: ${what}; exit 2, nothing cached or written`, () => {
      const s = space(packages, repo);
      const r = s.compose();
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      nothingWritten(s);
    });
  }

  test('refused: a header altered after signing (its digests recomputed, so only the signature tells)', async () => {
    const repo = await alteredRepo('signed-rsa', async (file) => {
      // The file it installs, renamed: `signed-rsa.txt` → `signed-rsb.txt`.
      const b = readFileSync(file);
      const at = b.indexOf('signed-rsa.txt', 96 + 16) + 'signed-rs'.length;
      assert.ok(at > 96);
      b[at] = 'b'.charCodeAt(0);
      writeFileSync(file, b);
      await rehashHeader(file);
    });
    const s = space(['signed-rsa'], { gpgkey: key('rpmcompose-test-rsa') }, repo);
    const r = s.compose();
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^rpmcompose: package signed-rsa-1\.0-1\.noarch \(\$\.repos\.signed\): bad signature by key F66BBBC528EBF5F5: it was changed after it was signed$/m);
    nothingWritten(s);
  });

  test('refused: a payload altered after signing (its digest is in the signed header)', async () => {
    const repo = await alteredRepo('signed-rsa', (file) => {
      const b = readFileSync(file);
      b[b.length - 30] = b[b.length - 30]! ^ 0x01;
      writeFileSync(file, b);
    });
    const s = space(['signed-rsa'], { gpgkey: key('rpmcompose-test-rsa') }, repo);
    const r = s.compose();
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /signed-rsa.*payload|payload.*sha256/i);
    assert.ok(!existsSync(path.join(s.out, 'index.json')));
  });
});

describe('repo_gpgcheck', () => {
  test('repomd.xml signed by a listed key passes', () => {
    const s = space(['signed-rsa'], { gpgkey: key('rpmcompose-test-rsa'), repo_gpgcheck: true });
    const r = s.compose();
    assert.equal(r.status, 0, r.stderr);
    // And again from the cache, offline: the signature kept beside the revision is checked again.
    assert.equal(s.compose('--offline').status, 0);
  });

  test('refused: repomd.xml changed after its .asc, a missing .asc, the wrong key; nothing cached', async () => {
    const changed = path.join(tmp('rpmcompose-sigrepo-'), 'repo');
    cpSync(signed, changed, { recursive: true });
    const repomd = path.join(changed, 'repodata/repomd.xml');
    writeFileSync(repomd, readFileSync(repomd, 'utf8').replace(/<revision>(\d+)<\/revision>/, (_m, n: string) => `<revision>${Number(n) + 1}</revision>`));
    const unsignedRepo = path.join(tmp('rpmcompose-sigrepo-'), 'repo');
    cpSync(signed, unsignedRepo, { recursive: true });
    writeFileSync(path.join(unsignedRepo, 'repodata/repomd.xml.asc'), '');
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [changed, { gpgkey: key('rpmcompose-test-rsa') }, /^rpmcompose: \$\.repos\.signed: repomd\.xml: bad signature by key F66BBBC528EBF5F5/m],
      [unsignedRepo, { gpgkey: key('rpmcompose-test-rsa') }, /^rpmcompose: \$\.repos\.signed: repomd\.xml: not signed/m],
      [signed, { gpgkey: key('rpmcompose-test-other') }, /^rpmcompose: \$\.repos\.signed: repomd\.xml: signed by key 0BA81DE690C6F4F8468865C2F66BBBC528EBF5F5, which is not among the repo's gpgkey/m],
    ];
    for (const [repoDir, repo, message] of cases) {
      const s = space(['signed-rsa'], { ...repo, gpgcheck: false, repo_gpgcheck: true }, repoDir);
      const r = s.compose();
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      const repos = existsSync(path.join(s.cache, 'repos')) ? readdirSync(path.join(s.cache, 'repos')) : [];
      for (const d of repos) assert.ok(!existsSync(path.join(s.cache, 'repos', d, 'repomd.json')), 'no revision committed');
      nothingWritten(s);
    }
  });
});

describe('signature packets in the wild', () => {
  const corpusRpms = path.join(corpus, 'rpms');
  const files = existsSync(corpusRpms) ? readdirSync(corpusRpms).filter((f) => f.endsWith('.rpm')).map((f) => path.join(corpusRpms, f)) : [];

  test('the fixtures: v3 and v4 packets parsed, issuers named', async () => {
    const v3 = parseSignature((await readRpm(path.join(signed, 'Packages/signed-v3-1.0-1.noarch.rpm'))).header.signatures![0]!);
    assert.deepEqual([v3.version, v3.pubkeyAlgo, v3.hashAlgo, v3.issuerKeyId, v3.created], [3, 1, 8, 'f66bbbc528ebf5f5', 1704067200]);
    const ed = parseSignature((await readRpm(path.join(signed, 'Packages/signed-ed25519-1.0-1.noarch.rpm'))).header.signatures![0]!);
    assert.deepEqual([ed.version, ed.pubkeyAlgo, ed.hashAlgo, ed.issuerFingerprint], [4, 22, 10, 'a07bf1b826eef739cc2a1b09a33536a8162e0f6a']);
  });

  test('a package passes when any of its signatures by a trusted key verifies', async () => {
    const rsa = (await readRpm(path.join(signed, 'Packages/signed-rsa-1.0-1.noarch.rpm'))).header;
    const other = (await readRpm(path.join(signed, 'Packages/signed-other-1.0-1.noarch.rpm'))).header;
    const both = await Keyring.parse(['rpmcompose-test-rsa', 'rpmcompose-test-other'].map((n) => ({ where: n, bytes: readFileSync(path.join(fixtures, 'keys', `${n}.asc`)) })));
    // The other key's signature (of another header: bad here) first, then the good one.
    const packets = [other.signatures![0]!, rsa.signatures![0]!];
    assert.equal(await verifySigned(rsa.headerBlob, packets, both, 'signed-rsa'), RSA);
    await assert.rejects(verifySigned(rsa.headerBlob, [other.signatures![0]!], both, 'signed-rsa'), /signed-rsa: bad signature by key EBEDCCD655BECC56/);
  });

  test('the corpus\u2019s v3, v4 and v6 RPMs parse and, without their keys, fail as "unknown key", not as a crash', { skip: files.length ? false : `no ${corpusRpms}` }, async () => {
    const ring = await Keyring.parse([{ where: 'test', bytes: readFileSync(path.join(fixtures, 'keys/rpmcompose-test-rsa.asc')) }]);
    let checked = 0;
    const versions = new Set<number>();
    for (const f of files) {
      const { header } = await readRpm(f);
      if (!header.signatures?.length) continue;
      for (const p of header.signatures) {
        try {
          versions.add(parseSignature(p).version);
        } catch {
          // rpm 4.18 cannot read the ECDSA one either
        }
      }
      await assert.rejects(verifySigned(header.headerBlob, header.signatures, ring, path.basename(f)), (e: unknown) => (e as { code?: string }).code === 'TRUST_UNKNOWN_KEY', f);
      checked++;
    }
    assert.ok(checked >= 10, `${checked} signed corpus RPMs`);
    assert.deepEqual([...versions].sort(), [3, 4, 6]);
  });
});
