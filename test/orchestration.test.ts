// The compose orchestration through the CLI: what the layer cache key must cover, owners
// checked per image and across a shared layer, --offline, the docker-archive limits,
// errors from the layer workers, repo fetches shared between arches, and bytes that do
// not depend on what the host cache held. Each test fails when one piece of the
// orchestration is dropped; they go through bin/rpmcompose.js only, so the modules
// behind it can move.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { readRpm } from '../src/rpm/package.js';
import {
  assertSameFiles,
  cli,
  cliAsync,
  closeServers,
  dnfNevra,
  dnfResolve,
  filesUnder,
  fixtures,
  ok,
  run,
  serveDir,
  tmp,
  workspace,
  type CliResult,
  type Workspace,
} from './helpers.js';
import { validateLayout } from './validate.js';

const composeRepo = path.join(fixtures, 'repos/compose');

/** `compose` of a workspace's file with another cache dir. */
const composeWith = (w: Workspace, cache: string, ...args: string[]): CliResult =>
  cli(['compose', w.file, '--cache-dir', cache, '-q', ...args], { cwd: w.dir, env: { SOURCE_DATE_EPOCH: '' } });

/** Every file of a directory with its bytes: to tell that a failed run left it alone. */
const snapshot = (dir: string): Map<string, Buffer> => new Map(filesUnder(dir).map((f) => [f, readFileSync(path.join(dir, f))]));

after(closeServers);

describe('layer cache', () => {
  test('a warm layer cache gives the bytes a cold one gives, whatever option changes the layers', () => {
    // One host cache shared by every variation, in this order: each variation finds the
    // layers of the ones before it. A key that ignored the entries (docs, langs), the
    // compression or the level would hand back one of those.
    const shared = path.join(tmp(), 'cache');
    const variations: { name: string; options: Record<string, unknown>; args: string[] }[] = [
      { name: 'defaults', options: {}, args: [] },
      { name: 'gzip --level 9', options: {}, args: ['--level', '9'] },
      { name: 'zstd', options: {}, args: ['--compression', 'zstd'] },
      { name: 'docs: false', options: { docs: false }, args: [] },
      { name: 'langs: [en]', options: { langs: ['en'] }, args: [] },
    ];
    const digests = new Set<string>();
    for (const v of variations) {
      const w = workspace({ hello: { packages: ['hello-static'] } }, { options: v.options });
      const warm = path.join(w.dir, 'warm');
      const cold = path.join(w.dir, 'cold');
      ok(composeWith(w, shared, '-o', warm, ...v.args));
      ok(composeWith(w, path.join(w.dir, 'cold-cache'), '-o', cold, ...v.args));
      const layout = validateLayout(warm);
      assertSameFiles(cold, warm, v.name);
      digests.add(layout.refs.hello!);
    }
    assert.equal(digests.size, variations.length, 'every variation gives another image');
  });
});

describe('owners', () => {
  test('a shared layer whose owner two images map to different ids fails (exit 2), naming the path and both images; the output stays', () => {
    // a gets web:webgroup from setup (480/481), b from setup-alt (490/491); edgecases,
    // which owns /var/lib/edgecases/web as web:webgroup, is in a layer both share.
    const w = workspace({ a: { packages: ['edgecases'] }, b: { packages: ['setup-alt', 'edgecases'] } });
    const resolved = JSON.parse(ok(cli(['resolve', w.file, '--json', '--cache-dir', w.cache, '-q'])).stdout);
    const nevras = (img: string) => (resolved.images[img].x86_64.packages as { name: string; epoch: number; version: string; release: string; arch: string }[]).map((p) => dnfNevra({ ...p, repo: '' })).sort();
    const dnf = dnfResolve(['a', 'b'].map((img) => ({
      repos: [{ id: 'compose', baseurl: `file://${composeRepo}`, priority: 99, cost: 1000 }],
      arch: 'x86_64',
      packages: img === 'a' ? ['edgecases'] : ['setup-alt', 'edgecases'],
      exclude: [],
      weakDeps: true,
    })));
    for (const [i, img] of ['a', 'b'].entries()) {
      const answer = dnf[i]!;
      assert.ok(answer.ok, `dnf: ${!answer.ok && answer.error}`);
      assert.deepEqual(nevras(img), answer.packages.map(dnfNevra).sort(), `${img}: as dnf resolves it`);
    }
    assert.ok(nevras('b').some((n) => n.startsWith('setup-alt-')) && !nevras('b').some((n) => n.startsWith('setup-2')), 'b holds setup-alt, not setup');

    const out = path.join(w.dir, 'out');
    ok(w.compose('-o', out, '--image', 'a'));
    validateLayout(out);
    const before = snapshot(out);
    const r = w.compose('-o', out);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /\/var\/lib\/edgecases\/web: images a and b map its owner web:webgroup to different ids/);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.deepEqual(snapshot(out), before, 'the output is as it was');
    // Each image alone has no shared layer, and builds.
    ok(w.compose('-o', path.join(w.dir, 'b-alone'), '--image', 'b'));
    validateLayout(path.join(w.dir, 'b-alone'));
  });

  test('an owner missing from the image passwd/group: mapped to root with a warning, or with --strict-owners exit 2 naming image and owner', () => {
    const w = workspace({ stray: { packages: ['stray-owner'] }, hello: { packages: ['hello-static'] } });
    const out = path.join(w.dir, 'out');
    const r = ok(w.compose('-o', out));
    assert.match(r.stderr, /warning: stray \(x86_64\): owners not in the image's passwd\/group, mapped to root: group:strangers, user:stranger\n/);
    assert.doesNotMatch(r.stderr, /warning: hello/);
    const layout = validateLayout(out);
    // The file is there, root-owned by number, its names kept.
    const manifest = JSON.parse(readFileSync(path.join(out, 'blobs/sha256', layout.refs.stray!.slice(7)), 'utf8')) as { layers: { digest: string }[] };
    const listing = manifest.layers.map((l) => run('tar', ['--numeric-owner', '-tvzf', path.join(out, 'blobs/sha256', l.digest.slice(7))])).join('');
    assert.match(listing, /^-rw-r----- 0\/0 .* var\/lib\/stray\/data$/m);

    const before = snapshot(out);
    const strict = w.compose('-o', out, '--strict-owners');
    assert.equal(strict.status, 2, strict.stderr);
    assert.match(strict.stderr, /stray \(x86_64\): owners not in the image's \/etc\/passwd or \/etc\/group: group:strangers, user:stranger/);
    assert.deepEqual(snapshot(out), before, 'the output is as it was');
    // An image whose owners are all known is fine with --strict-owners.
    ok(w.compose('-o', path.join(w.dir, 'hello'), '--strict-owners', '--image', 'hello'));
    validateLayout(path.join(w.dir, 'hello'));
  });
});

describe('--offline', () => {
  test('offline compose: from a warm cache, same bytes and no request; what was never fetched fails (exit 2) and asks nothing', async () => {
    const served = tmp();
    cpSync(composeRepo, path.join(served, 'repo'), { recursive: true });
    const srv = await serveDir(served);
    const w = workspace({ hello: { packages: ['hello-static'] }, edge: { packages: ['edgecases'] } }, {}, `${srv.url}repo/`);
    const compose = (...args: string[]) => cliAsync(['compose', w.file, '--cache-dir', w.cache, '-q', ...args], { cwd: w.dir, env: { SOURCE_DATE_EPOCH: '' } });

    // An empty cache: the repo was never fetched.
    const cold = await compose('--offline', '-o', path.join(w.dir, 'cold'));
    assert.equal(cold.status, 2, cold.stderr);
    assert.match(cold.stderr, /repo "compose" \(.*\) has never been fetched into .*; run once without --offline/);
    assert.equal(srv.requests.length, 0, 'no request offline');
    assert.ok(!existsSync(path.join(w.dir, 'cold')));

    // Metadata cached (resolve), packages not: offline, the packages are not fetched.
    ok(await cliAsync(['resolve', w.file, '--cache-dir', w.cache, '-q'], { cwd: w.dir }));
    let seen = srv.requests.length;
    const noRpms = await compose('--offline', '-o', path.join(w.dir, 'no-rpms'));
    assert.equal(noRpms.status, 2, noRpms.stderr);
    assert.match(noRpms.stderr, /offline, and \d+ packages never fetched into .*hello-static/);
    assert.equal(srv.requests.length, seen, `offline requests: ${srv.requests.slice(seen).map((r) => r.path).join(', ')}`);
    assert.ok(!existsSync(path.join(w.dir, 'no-rpms')));

    // Online once; then offline makes no request and writes the same bytes.
    const online = path.join(w.dir, 'online');
    ok(await compose('-o', online));
    validateLayout(online);
    seen = srv.requests.length;
    const offline = path.join(w.dir, 'offline');
    ok(await compose('--offline', '-o', offline));
    validateLayout(offline);
    assert.equal(srv.requests.length, seen, `offline requests: ${srv.requests.slice(seen).map((r) => r.path).join(', ')}`);
    assertSameFiles(online, offline, 'offline');

    // With the server gone too.
    await srv.close();
    const gone = path.join(w.dir, 'gone');
    ok(await compose('--offline', '-o', gone));
    assertSameFiles(online, gone, 'server stopped');
  });
});

describe('repo fetches', () => {
  test('arches that share a repo URL fetch its metadata once', async () => {
    const served = tmp();
    cpSync(composeRepo, path.join(served, 'repo'), { recursive: true });
    const srv = await serveDir(served);
    // No $basearch in the URL: x86_64 and aarch64 read the same repo.
    const w = workspace({ base: { packages: ['filesystem'] } }, { arch: ['x86_64', 'aarch64'] }, `${srv.url}repo/`);
    const out = path.join(w.dir, 'out');
    ok(await cliAsync(['compose', w.file, '--cache-dir', w.cache, '-q', '-o', out], { cwd: w.dir, env: { SOURCE_DATE_EPOCH: '' } }));
    assert.equal(validateLayout(out).manifests, 2);
    const got = (re: RegExp) => srv.requests.filter((r) => r.method === 'GET' && re.test(r.path)).map((r) => `${r.path} ${r.status}`);
    assert.equal(got(/\/repodata\/repomd\.xml$/).length, 1, got(/\/repodata\/repomd\.xml$/).join('\n'));
    assert.equal(got(/-primary\.xml(\.\w+)?$/).length, 1, got(/-primary\.xml/).join('\n'));
    // And every package once: setup (noarch) serves both arches.
    const rpms = got(/\.rpm$/);
    assert.deepEqual(rpms, [...new Set(rpms)]);
    assert.equal(rpms.filter((r) => r.includes('/setup-2')).length, 1);
  });
});

describe('output formats', () => {
  test('a docker-archive of a compose with two images needs --image: exit 2, nothing written', () => {
    const w = workspace({ hello: { packages: ['hello-static'] }, shared: { packages: ['shared-a'] } });
    const file = path.join(w.dir, 'images.tar');
    const r = w.compose('-o', file, '--format', 'docker-archive');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /a docker-archive holds one image.*hello, shared: pick one with --image/);
    assert.ok(!existsSync(file));
    assert.deepEqual(readdirSync(w.dir).filter((f) => f.includes('images') || f.startsWith('.tmp')), []);
    ok(w.compose('-o', file, '--format', 'docker-archive', '--image', 'shared'));
    assert.ok(existsSync(file));
  });
});

/** Offsets of the block headers of the zstd frame at `at` (RFC 8878, section 3.1.1). */
function zstdBlocks(b: Buffer, at: number): number[] {
  assert.equal(b.readUInt32LE(at), 0xfd2fb528, 'a zstd frame');
  const fhd = b[at + 4]!;
  const single = (fhd >> 5) & 1;
  let p = at + 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + [single, 2, 4, 8][fhd >> 6]!;
  const out: number[] = [];
  for (;;) {
    const h = b.readUIntLE(p, 3);
    out.push(p);
    p += 3 + (((h >> 1) & 3) === 1 ? 1 : h >> 3);
    if (h & 1) return out;
  }
}

describe('layer workers', () => {
  test('a payload a worker cannot decode fails as the RPM error it is (exit 2, file named), not an internal error, after one more try; the output stays', async () => {
    // A repo whose hello-static has a payload no zstd decoder reads, and a primary that
    // vouches for it: the download verifies, the header too, the worker fails.
    const repo = path.join(tmp(), 'repo');
    cpSync(composeRepo, repo, { recursive: true });
    const w = workspace({ hello: { packages: ['hello-static'] } }, {}, repo);
    const out = path.join(w.dir, 'out');
    ok(w.compose('-o', out));
    validateLayout(out);
    const before = snapshot(out);
    const file = path.join(repo, 'Packages', readdirSync(path.join(repo, 'Packages')).find((f) => f.startsWith('hello-static'))!);
    const bytes = readFileSync(file);
    const blocks = zstdBlocks(bytes, (await readRpm(file)).payloadOffset);
    assert.ok(blocks.length >= 3, `${blocks.length} zstd blocks`);
    const victim = blocks[blocks.length >> 1]!;
    bytes[victim] = bytes[victim]! | 0b110; // the reserved block type
    writeFileSync(file, bytes);
    run('createrepo_c', ['--update', '-q', repo]);

    const r = w.compose('-o', out);
    assert.equal(r.status, 2, r.stderr);
    const cached = readdirSync(path.join(w.cache, 'rpms')).map((f) => path.join(w.cache, 'rpms', f));
    assert.ok(cached.some((f) => r.stderr.includes(f)), `the RPM file is named: ${r.stderr}`);
    assert.match(r.stderr, /payload/);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.deepEqual(snapshot(out), before, 'the output is as it was');
    validateLayout(out);
  });
});


describe('reproducible', () => {
  test('two composes from two empty caches write byte-identical layouts', () => {
    const w = workspace({
      hello: { packages: ['hello-static'], entrypoint: ['/usr/bin/hello'] },
      edge: { packages: ['edgecases'] },
      shared: { packages: ['shared-a', 'shared-b'] },
    });
    const outs = [1, 2].map((i) => {
      const out = path.join(w.dir, `out-${i}`);
      ok(composeWith(w, path.join(w.dir, `cache-${i}`), '-o', out));
      return out;
    });
    assert.equal(validateLayout(outs[0]!).manifests, 3);
    assertSameFiles(outs[0]!, outs[1]!, 'two empty caches');
  });
});
