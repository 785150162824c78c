// Pure pieces of lock/diff: rpm version order and the package-set comparison.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diffPackages } from '../src/lock/diff.js';
import { canonicalJson } from '../src/json.js';
import { defaultLockPath, type LockPackage } from '../src/lock/lockfile.js';
import { compareEvr, rpmvercmp } from '../src/rpm/version.js';

describe('rpmvercmp', () => {
  // [a, b, expected sign], cases from rpm's own test suite semantics.
  const cases: [string, string, number][] = [
    ['1.0', '1.0', 0],
    ['1.0', '2.0', -1],
    ['2.0.1', '2.0', 1],
    ['1.10', '1.9', 1],
    ['1.05', '1.5', 0],
    ['1.0a', '1.0', 1],
    ['a', '1', -1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0~~', '1.0~', -1],
    ['1.0^', '1.0', 1],
    ['1.0^post1', '1.0', 1],
    ['1.0^post1', '1.0.1', -1],
    ['1.0^post1', '1.0^post2', -1],
    ['1.0~rc1^post', '1.0~rc1', 1],
    ['1.0~rc1^post', '1.0', -1],
    ['1_0', '1.0', 0],
    ['20240101', '9', 1],
  ];
  for (const [a, b, want] of cases) {
    test(`${a} vs ${b}`, () => {
      assert.equal(rpmvercmp(a, b), want);
      assert.equal(rpmvercmp(b, a), -want || 0);
    });
  }
  test('epoch beats version, release breaks ties', () => {
    assert.equal(compareEvr({ epoch: 1, version: '1.0', release: '1' }, { epoch: 0, version: '9.9', release: '1' }), 1);
    assert.equal(compareEvr({ epoch: 0, version: '1.0', release: '2' }, { epoch: 0, version: '1.0', release: '10' }), -1);
  });
});

const pkg = (name: string, version: string, release = '1', over: Partial<LockPackage> = {}): LockPackage => ({
  name,
  epoch: 0,
  version,
  release,
  arch: 'x86_64',
  repo: 'r',
  location: `Packages/${name}.rpm`,
  checksum: `sha256:${name}${version}${release}`,
  size: 1,
  installsize: 1,
  ...over,
});

describe('diffPackages', () => {
  test('added, removed, upgraded, downgraded and rebuilt, each sorted', () => {
    const before = [pkg('a', '1'), pkg('b', '2'), pkg('c', '1.0^post1'), pkg('d', '1'), pkg('gone', '1')];
    const after = [pkg('a', '1'), pkg('b', '3'), pkg('c', '1.0.1'), pkg('d', '1', '1', { checksum: 'sha256:other' }), pkg('new', '1')];
    const d = diffPackages(before, after);
    assert.deepEqual(d.added, [{ name: 'new', arch: 'x86_64', evr: '1-1' }]);
    assert.deepEqual(d.removed, [{ name: 'gone', arch: 'x86_64', evr: '1-1' }]);
    assert.deepEqual(d.upgraded, [
      { name: 'b', arch: 'x86_64', from: '2-1', to: '3-1' },
      { name: 'c', arch: 'x86_64', from: '1.0^post1-1', to: '1.0.1-1' },
    ]);
    assert.deepEqual(d.rebuilt, [{ name: 'd', arch: 'x86_64', evr: '1-1' }]);
    assert.deepEqual(d.downgraded, []);
  });

  test('a lower version with a higher epoch is an upgrade; multilib keeps arches apart', () => {
    const d = diffPackages(
      [pkg('e', '2.0'), pkg('glibc', '2.34', '1', { arch: 'i686' }), pkg('glibc', '2.34')],
      [pkg('e', '1.5', '1', { epoch: 1 }), pkg('glibc', '2.34'), pkg('glibc', '2.33', '1', { arch: 'i686' })],
    );
    assert.deepEqual(d.upgraded, [{ name: 'e', arch: 'x86_64', from: '2.0-1', to: '1:1.5-1' }]);
    assert.deepEqual(d.downgraded, [{ name: 'glibc', arch: 'i686', from: '2.34-1', to: '2.33-1' }]);
  });
});

describe('lock file', () => {
  test('lives beside the compose file as <name>.lock.json', () => {
    assert.equal(defaultLockPath('/x/y/compose.json'), '/x/y/compose.lock.json');
    assert.equal(defaultLockPath('/x/web.json'), '/x/web.lock.json');
  });
  test('canonical JSON sorts keys at every depth, keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: null } }), '{"a":{"c":null,"d":[2,1]},"b":1}');
  });
});
