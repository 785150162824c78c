// The solver against dnf on the fixture repos: every case gives exactly dnf's set, and
// what the case was built to show.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fetchRepo } from '../src/repo/index.js';
import { createSolver, nevra, type ArchSolver } from '../src/solve/index.js';
import { loadPool } from '../src/solve/pool.js';
import { toPackage } from '../src/solve/resolve.js';
import { cases, dnfNevra, dnfResolve, repoSource, tmp, type Case, type DnfAnswer } from './helpers.js';

const cacheDir = tmp();

async function solverFor(c: Case, dir = cacheDir): Promise<ArchSolver> {
  const repos = await Promise.all(
    c.repos.map(async (id) => {
      const source = repoSource(id);
      return { source, metadata: await fetchRepo(source, { cacheDir: dir }) };
    }),
  );
  return createSolver(c.arch, repos, { cacheDir: dir, modules: c.modules ?? [], needGroups: true });
}

describe('resolution matches dnf on the fixture repos', () => {
  let answers: DnfAnswer[] = [];
  before(() => {
    answers = dnfResolve(
      cases.map((c) => ({
        repos: c.repos.map((id) => {
          const s = repoSource(id);
          return { id, baseurl: s.baseurl[0]!, priority: s.priority, cost: s.cost };
        }),
        arch: c.arch,
        packages: c.packages,
        exclude: c.exclude,
        weakDeps: c.weakDeps,
        modules: c.modules,
      })),
    );
  });

  cases.forEach((c, i) => {
    test(`${c.id}: ${c.description}`, async () => {
      const dnf = answers[i]!;
      if (c.modules?.length && c.expect.unknown) {
        // A stream no repo has is an error of the whole compose, before any image.
        assert.equal(dnf.ok, false, 'dnf enables a stream meant to be missing');
        await assert.rejects(solverFor(c), (e: Error) => e.name === 'ResolveError' && e.message.includes(c.modules![0]!));
        return;
      }
      const solver = await solverFor(c);
      const r = solver.resolve({ packages: c.packages, exclude: c.exclude, weakDeps: c.weakDeps });
      if (c.expect.unresolvable || c.expect.unknown) {
        assert.equal(dnf.ok, false, 'dnf resolves a case meant to fail');
        assert.ok(r.problems.length > 0, 'no problem reported');
        assert.deepEqual(r.packages, []);
        if (c.expect.unknown) assert.match(r.problems.map((p) => p.text).join('\n'), /does-not-exist/);
        return;
      }
      assert.equal(r.problems.length, 0, r.problems.map((p) => p.text).join('\n'));
      assert.ok(dnf.ok, `dnf failed: ${!dnf.ok && dnf.error}`);
      const ours = r.packages.map(nevra).sort();
      assert.deepEqual(ours, dnf.packages.map(dnfNevra).sort());
      // The repo a package came from matters too (priorities).
      assert.deepEqual(
        r.packages.map((p) => `${nevra(p)}@${p.repo}`).sort(),
        dnf.packages.map((p) => `${dnfNevra(p)}@${p.repo}`).sort(),
      );
      for (const want of c.expect.contains) assert.ok(ours.includes(want), `${want} missing from ${ours.join(' ')}`);
      for (const name of c.expect.absent) assert.ok(!r.packages.some((p) => p.name === name), `${name} should be absent`);
    });
  });
});

describe('resolution details', () => {
  test('an unknown name suggests close names', async () => {
    const solver = await solverFor({ ...cases[0]!, repos: ['base'], arch: 'x86_64' });
    const r = solver.resolve({ packages: ['libfooo'], exclude: [], weakDeps: true });
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.text, /"libfooo" matches no package/);
    assert.ok(r.problems[0]!.suggestions?.includes('libfoo'), String(r.problems[0]!.suggestions));
  });

  test('conflicts return libsolv problems with solutions', async () => {
    const c = cases.find((x) => x.id === 'conflicts-unresolvable')!;
    const r = (await solverFor(c)).resolve({ packages: c.packages, exclude: [], weakDeps: true });
    assert.ok(r.problems.length >= 1);
    assert.match(r.problems.map((p) => [p.text, ...p.rules].join('\n')).join('\n'), /conflict/);
    assert.ok(r.problems[0]!.solutions.length >= 1, 'libsolv offers solutions');
  });

  test('packages carry location, checksum, sizes and dependency edges', async () => {
    const c = cases.find((x) => x.id === 'versioned-requires')!;
    const r = (await solverFor(c)).resolve({ packages: c.packages, exclude: [], weakDeps: true });
    for (const p of r.packages) {
      assert.match(p.checksum, /^sha256:[0-9a-f]{64}$/);
      assert.match(p.location, /\.rpm$/);
      assert.ok(p.size > 0 && p.installsize >= 0 && p.buildtime > 0);
    }
    const app = r.packages.find((p) => p.name === 'app-versioned')!;
    const targets = r.edges.filter(([from]) => from === nevra(app)).map(([, to]) => to);
    assert.ok(targets.includes('libfoo-3.0-1.noarch'), `edges: ${JSON.stringify(r.edges)}`);
  });

  test('a second load comes from the .solv cache and answers as the XML load did', async () => {
    const c = cases.find((x) => x.id === 'mixed-image')!;
    const dir = tmp();
    const first = await solverFor(c, dir);
    assert.ok(first.pool.repos.every((r) => !r.fromSolv), 'an empty cache loads the XML');
    const second = await solverFor(c, dir);
    assert.ok(second.pool.repos.every((r) => r.fromSolv), 'second load should use .solv files');
    const req = { packages: c.packages, exclude: c.exclude, weakDeps: c.weakDeps };
    const fromXml = first.resolve(req);
    assert.ok(fromXml.packages.length > 0 && fromXml.edges.length > 0, 'the case resolves to something');
    assert.deepEqual(second.resolve(req), fromXml);
  });
});

describe('file lists', () => {
  test('the filelists scan finds exactly the providers a full file-list load finds', async () => {
    const repos = await Promise.all(
      ['base', 'extra'].map(async (id) => {
        const source = repoSource(id);
        return { source, metadata: await fetchRepo(source, { cacheDir }) };
      }),
    );
    const paths = ['/usr/share/filedep/data.txt', '/bin/sh', '/usr/bin/hello-tool', '/usr/share/nothing/here'];
    const scanned = await loadPool('x86_64', repos, cacheDir, paths);
    // A glob spec makes the pool load the whole file lists: libsolv's own answer.
    const full = await loadPool('x86_64', repos, cacheDir, ['/usr/share/*']);
    for (const p of paths) {
      const names = (pool: typeof full) => pool.native.describe(pool.native.whatProvides(p)).map((s) => nevra(toPackage(pool, s))).sort();
      assert.deepEqual(names(scanned), names(full), p);
    }
    assert.deepEqual(
      scanned.native.describe(scanned.native.whatProvides('/usr/share/filedep/data.txt')).map((s) => s.name),
      ['filedep-data'],
    );
  });
});
