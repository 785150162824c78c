// The CLI end to end on the fixture repos: the resolve JSON contract, exit codes, lock
// and diff (including a repo that gained a newer build overnight), --offline.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { cli, fixtures, tmp } from './helpers.js';

/** A compose file in a fresh dir whose repo is a private copy of the fixture repo `base`. */
function workspace(images: Record<string, unknown> = { app: { packages: ['app-versioned', 'hello'] }, web: { packages: ['webapp'] } }) {
  const dir = tmp();
  cpSync(path.join(fixtures, 'repos/base'), path.join(dir, 'repo'), { recursive: true });
  const file = path.join(dir, 'compose.json');
  writeFileSync(file, JSON.stringify({ releasever: '1', arch: ['x86_64'], repos: { base: { baseurl: 'repo' } }, images }, null, 2));
  const cache = path.join(dir, 'cache');
  return { dir, file, cache, run: (...args: string[]) => cli([...args, '--cache-dir', cache], { cwd: dir }) };
}

function createrepo(repoDir: string) {
  const r = spawnSync('createrepo_c', ['--update', '--revision', '2', '--set-timestamp-to-revision', repoDir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

describe('rpmcompose resolve', () => {
  test('--json gives the contract shape, packages sorted by name', () => {
    const w = workspace();
    const r = w.run('resolve', w.file, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const pkgs = out.images.app.x86_64.packages as Record<string, unknown>[];
    assert.deepEqual(out.images.app.x86_64.problems, []);
    assert.deepEqual(
      pkgs.map((p) => p.name),
      ['app-versioned', 'hello', 'libbar', 'libbaz', 'libfoo'],
    );
    for (const p of pkgs) {
      for (const k of ['name', 'version', 'release', 'arch', 'repo', 'location']) assert.equal(typeof p[k], 'string', k);
      for (const k of ['epoch', 'size', 'installsize']) assert.equal(typeof p[k], 'number', k);
      assert.match(String(p.checksum), /^sha256:[0-9a-f]{64}$/);
    }
    assert.equal(pkgs.find((p) => p.name === 'libfoo')!.version, '3.0');
  });

  test('--image limits the output; an unknown image is bad input (exit 2)', () => {
    const w = workspace();
    const r = w.run('resolve', w.file, '--json', '--image', 'web');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(Object.keys(JSON.parse(r.stdout).images), ['web']);
    const bad = w.run('resolve', w.file, '--image', 'nope');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no image "nope"/);
  });

  test('the human table shows counts and sizes', () => {
    const w = workspace();
    const r = w.run('resolve', w.file);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /app \(x86_64\): 5 packages, [\d.]+ KiB download/);
    assert.match(r.stdout, /libfoo\s+3\.0-1\s+noarch\s+base/);
  });

  test('an unresolvable image exits 3 with its problems, in text and JSON', () => {
    const w = workspace({ broken: { packages: ['conflict-a', 'conflict-b'] }, missing: { packages: ['libfooo'] } });
    const text = w.run('resolve', w.file);
    assert.equal(text.status, 3);
    // Problems go to stderr, as every command's do; stdout keeps only what resolved.
    assert.match(text.stderr, /broken \(x86_64\) cannot be resolved:\n Problem 1: .*conflict/);
    assert.match(text.stderr, /"libfooo" matches no package\n  did you mean: libfoo/);
    assert.doesNotMatch(text.stdout, /cannot be resolved/);
    const json = w.run('resolve', w.file, '--json');
    assert.equal(json.status, 3);
    const out = JSON.parse(json.stdout);
    assert.ok(out.images.broken.x86_64.problems[0].solutions.length > 0);
    assert.deepEqual(out.images.missing.x86_64.problems[0].suggestions.includes('libfoo'), true);
  });

  test('a bad compose file names the file and JSON path, exit 2', () => {
    const w = workspace();
    writeFileSync(w.file, JSON.stringify({ releasever: '1', arch: ['x86_64'], repos: { base: { baseurl: 'repo' } }, images: { app: { packages: 'bash' } } }));
    const r = w.run('resolve', w.file);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /compose\.json/);
    assert.match(r.stderr, /\$\.images\.app\.packages/);
  });

  test('a missing repo is an unusable repo (exit 2) naming the URL', () => {
    const w = workspace();
    writeFileSync(w.file, JSON.stringify({ releasever: '1', arch: ['x86_64'], repos: { base: { baseurl: 'nowhere' } }, images: { app: { packages: ['hello'] } } }));
    const r = w.run('resolve', w.file);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /nowhere/);
  });

  test('--offline works from the cache and says what is missing without it', () => {
    const w = workspace();
    const cold = w.run('resolve', w.file, '--offline');
    assert.equal(cold.status, 2);
    assert.match(cold.stderr, /base/);
    assert.equal(w.run('resolve', w.file).status, 0);
    const warm = w.run('resolve', w.file, '--offline', '--json');
    assert.equal(warm.status, 0, warm.stderr);
    assert.equal(JSON.parse(warm.stdout).images.app.x86_64.packages.length, 5);
  });
});

describe('rpmcompose lock and diff', () => {
  test('lock writes <name>.lock.json; diff with nothing changed exits 0', () => {
    const w = workspace();
    const lock = w.run('lock', w.file);
    assert.equal(lock.status, 0, lock.stderr);
    const lockFile = path.join(w.dir, 'compose.lock.json');
    const data = JSON.parse(readFileSync(lockFile, 'utf8'));
    assert.equal(data.lockVersion, 2);
    // Packages keyed by name.arch, with what an SBOM or a change report wants of them.
    const pkgs = data.images.app.arches.x86_64.packages;
    assert.deepEqual(Object.keys(pkgs), ['app-versioned.noarch', 'hello.noarch', 'libbar.noarch', 'libbaz.noarch', 'libfoo.noarch']);
    assert.equal(pkgs['hello.noarch'].name, 'hello');
    assert.equal(typeof pkgs['hello.noarch'].buildtime, 'number');
    assert.match(pkgs['hello.noarch'].sourcerpm, /^hello-.*\.src\.rpm$/);
    assert.equal(typeof pkgs['hello.noarch'].license, 'string');
    // The configuration stored, not hashed: specs apart, every default left out.
    assert.deepEqual(data.images.app.specs, { packages: ['app-versioned', 'hello'] });
    assert.deepEqual(data.images.app.config, { arch: ['x86_64'] });
    assert.match(data.repos.x86_64.base.repomd, /^sha256:/);
    const diff = w.run('diff', w.file, '--json');
    assert.equal(diff.status, 0, diff.stderr + diff.stdout);
    const report = JSON.parse(diff.stdout);
    assert.equal(report.changed, false);
    assert.equal(report.images.app.status, 'unchanged');
    // Locking again gives the same bytes: the lock is deterministic.
    const before = readFileSync(lockFile);
    assert.equal(w.run('lock', w.file).status, 0);
    assert.deepEqual(readFileSync(lockFile), before);
  });

  test('a newer build and a same-NEVRA rebuild in the repo: diff says exactly that, exit 1', () => {
    const w = workspace();
    assert.equal(w.run('lock', w.file).status, 0);
    const repo = path.join(w.dir, 'repo');
    copyFileSync(path.join(fixtures, 'updates/libfoo-3.0-2.noarch.rpm'), path.join(repo, 'Packages/libfoo-3.0-2.noarch.rpm'));
    // Same NEVRA as the repo's hello, other content: replaces it.
    copyFileSync(path.join(fixtures, 'updates/hello-1.0-1.noarch.rpm'), path.join(repo, 'Packages/hello-1.0-1.noarch.rpm'));
    createrepo(repo);
    const r = w.run('diff', w.file, '--json');
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.changed, true);
    const app = report.images.app;
    assert.equal(app.status, 'changed');
    assert.equal(app.configChanged, false);
    assert.deepEqual(app.arches.x86_64.upgraded, [{ name: 'libfoo', arch: 'noarch', from: '3.0-1', to: '3.0-2' }]);
    assert.deepEqual(app.arches.x86_64.rebuilt, [{ name: 'hello', arch: 'noarch', evr: '1.0-1' }]);
    assert.deepEqual([app.arches.x86_64.added, app.arches.x86_64.removed, app.arches.x86_64.downgraded], [[], [], []]);
    // webapp does not contain libfoo or hello: nothing to rebuild there.
    assert.equal(report.images.web.status, 'unchanged');
    const text = w.run('diff', w.file);
    assert.equal(text.status, 1);
    assert.match(text.stdout, /app: rebuild needed/);
    assert.match(text.stdout, /libfoo\.noarch 3\.0-1 → 3\.0-2/);
    assert.match(text.stdout, /web: unchanged/);
  });

  test('a changed image configuration, a new and a gone image are reported', () => {
    const w = workspace();
    assert.equal(w.run('lock', w.file).status, 0);
    const compose = JSON.parse(readFileSync(w.file, 'utf8'));
    compose.images.app.env = { LANG: 'C.UTF-8' };
    delete compose.images.web;
    compose.images.extra = { packages: ['hello'] };
    writeFileSync(w.file, JSON.stringify(compose));
    const r = w.run('diff', w.file, '--json');
    assert.equal(r.status, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.images.app.configChanged, true);
    assert.deepEqual(report.images.app.changedKeys, ['env.LANG']);
    assert.equal(report.images.web.status, 'gone');
    assert.equal(report.images.extra.status, 'new');
    assert.match(w.run('diff', w.file).stdout, /app: rebuild needed \(image configuration changed: env\.LANG\)/);
  });

  test('diff names each changed key; a spec change is one; an option set to its default is none', () => {
    const w = workspace();
    assert.equal(w.run('lock', w.file).status, 0);
    const compose = JSON.parse(readFileSync(w.file, 'utf8'));
    // Defaults spelled out: the same configuration, nothing to rebuild.
    compose.options = { weakDeps: true, docs: true, langs: [], maxLayers: 24 };
    compose.images.app.env = {};
    writeFileSync(w.file, JSON.stringify(compose));
    const same = w.run('diff', w.file, '--json');
    assert.equal(same.status, 0, same.stdout);
    compose.options.docs = false;
    compose.images.web.packages = ['webapp', 'libfoo'];
    compose.images.web.entrypoint = ['/bin/web'];
    writeFileSync(w.file, JSON.stringify(compose));
    const r = w.run('diff', w.file, '--json');
    assert.equal(r.status, 1);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.images.app.changedKeys, ['options.docs']);
    assert.deepEqual(report.images.web.changedKeys, ['entrypoint', 'options.docs', 'packages']);
  });

  test('a version 1 lock is read as it is, never "changed" for its format, and upgraded on the next write', () => {
    const w = workspace();
    const lockFile = path.join(w.dir, 'compose.lock.json');
    // Written by rpmcompose 0.1.0 (lock version 1) for exactly this workspace's compose file.
    copyFileSync(path.join(fixtures, 'locks/v1.lock.json'), lockFile);
    const unchanged = w.run('diff', w.file, '--json');
    assert.equal(unchanged.status, 0, unchanged.stderr + unchanged.stdout);
    assert.equal(JSON.parse(unchanged.stdout).changed, false);
    // v1 kept a hash of the configuration: a change is seen, but not which key.
    const compose = JSON.parse(readFileSync(w.file, 'utf8'));
    compose.images.app.env = { LANG: 'C.UTF-8' };
    writeFileSync(w.file, JSON.stringify(compose));
    const changed = JSON.parse(w.run('diff', w.file, '--json').stdout);
    assert.equal(changed.images.app.status, 'changed');
    assert.deepEqual([changed.images.app.configChanged, changed.images.app.changedKeys], [true, []]);
    assert.equal(changed.images.web.status, 'unchanged');
    // The first write says it upgraded the lock; the next one has nothing to say.
    const lock = w.run('lock', w.file);
    assert.equal(lock.status, 0, lock.stderr);
    assert.match(lock.stderr, /upgraded compose\.lock\.json from lock version 1/);
    assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).lockVersion, 2);
    const again = w.run('lock', w.file);
    assert.doesNotMatch(again.stderr, /upgraded/);
    assert.equal(w.run('diff', w.file).status, 0);
  });

  test('diff without a lock is an error (exit 2) that says what to run', () => {
    const w = workspace();
    const r = w.run('diff', w.file);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /compose\.lock\.json: no lock file; run `rpmcompose lock` first/);
    assert.ok(!existsSync(path.join(w.dir, 'compose.lock.json')));
  });

  test('--lockfile chooses where the lock goes', () => {
    const w = workspace();
    const where = path.join(w.dir, 'elsewhere.lock.json');
    assert.equal(w.run('lock', w.file, '--lockfile', where).status, 0);
    assert.ok(existsSync(where));
    assert.equal(w.run('diff', w.file, '--lockfile', where).status, 0);
  });
});
