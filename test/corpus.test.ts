// Cross-check against real distro metadata (../shared/corpus, when present): CentOS Stream
// 9 BaseOS with the reference counts from dnf 4.14, and AppStream's modules, each set
// compared NEVRA for NEVRA with dnf run live on the same metadata.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fetchRepo } from '../src/repo/index.js';
import { createSolver, nevra } from '../src/solve/index.js';
import { inPrimary, loadPool } from '../src/solve/pool.js';
import { corpus, dnfNevra, dnfResolve, repoSource, tmp } from './helpers.js';

const baseos = path.join(corpus, 'cs9-baseos-2022');
const appstream = path.join(corpus, 'cs9-appstream-2025');
const skip = existsSync(path.join(baseos, 'repodata/repomd.xml')) ? false : 'no ../shared/corpus here';

// dnf 4.14's counts for BaseOS 2022 (corpus README): [request, weak off, weak on].
const reference: [string[], number, number][] = [
  [['bash'], 14, 15],
  [['coreutils'], 37, 39],
  [['systemd'], 83, 85],
  [['microdnf'], 98, 100],
  [['dnf'], 118, 145],
  [['openssh-server', 'sudo', 'passwd'], 103, 105],
];

describe('CentOS Stream 9 corpus', { skip }, () => {
  const cacheDir = tmp();
  const load = async (dirs: string[], modules: string[] = []) => {
    const repos = await Promise.all(
      dirs.map(async (dir) => {
        const source = repoSource(path.basename(dir), dir);
        // The corpus keeps only the uncompressed comps of AppStream, not the group_xz repomd
        // prefers: no image here asks for a group.
        return { source, metadata: await fetchRepo(source, { cacheDir, types: ['primary', 'filelists', 'modules'] }) };
      }),
    );
    return createSolver('x86_64', repos, { cacheDir, modules, needGroups: false });
  };
  const dnfRepos = (dirs: string[]) => dirs.map((d) => ({ id: path.basename(d), baseurl: `file://${d}`, priority: 99, cost: 1000 }));

  test('BaseOS: the six reference sets, weak deps off and on, equal dnf NEVRA for NEVRA', async () => {
    const solver = await load([baseos]);
    const requests = reference.flatMap(([packages]) =>
      [false, true].map((weakDeps) => ({ repos: dnfRepos([baseos]), arch: 'x86_64', packages, exclude: [], weakDeps })),
    );
    const answers = dnfResolve(requests);
    requests.forEach((req, i) => {
      const [, off, on] = reference[Math.floor(i / 2)]!;
      const ours = solver.resolve(req);
      assert.deepEqual(ours.problems, []);
      assert.equal(ours.packages.length, req.weakDeps ? on : off, `${req.packages.join(' ')} weak=${req.weakDeps}`);
      const dnf = answers[i]!;
      assert.ok(dnf.ok);
      assert.deepEqual(ours.packages.map(nevra).sort(), dnf.packages.map(dnfNevra).sort());
    });
  });

  test('AppStream 2025 + BaseOS 2022: module defaults and enabled streams as dnf has them', async () => {
    const dirs = [baseos, appstream];
    const specs: { packages: string[]; modules?: string[] }[] = [
      { packages: ['nodejs'] },
      { packages: ['nodejs'], modules: ['nodejs:20'] },
      { packages: ['postgresql'] },
      { packages: ['postgresql'], modules: ['postgresql:16'] },
      { packages: ['python3.11'] },
      { packages: ['nginx'] },
      { packages: ['httpd'] },
      { packages: ['ruby'] },
    ];
    const answers = dnfResolve(
      specs.map((s) => ({ repos: dnfRepos(dirs), arch: 'x86_64', packages: s.packages, exclude: [], weakDeps: false, modules: s.modules })),
    );
    let agreedOnASet = 0;
    for (const [i, s] of specs.entries()) {
      const solver = await load(dirs, s.modules);
      const ours = solver.resolve({ packages: s.packages, exclude: [], weakDeps: false });
      const dnf = answers[i]!;
      const label = `${s.packages.join(' ')} ${s.modules?.join(' ') ?? ''}`;
      // The 2022 BaseOS is too old for some 2025 AppStream packages: then both must fail.
      assert.equal(ours.problems.length === 0, dnf.ok, `${label}: dnf ${dnf.ok ? 'resolves' : `fails (${!dnf.ok && dnf.error})`}, we ${ours.problems.map((p) => p.text).join('; ') || 'resolve'}`);
      if (dnf.ok) {
        assert.deepEqual(ours.packages.map(nevra).sort(), dnf.packages.map(dnfNevra).sort(), label);
        agreedOnASet++;
      }
    }
    assert.ok(agreedOnASet >= 3, `only ${agreedOnASet} AppStream requests resolve: the check says too little`);
  });

  test('BaseOS: file dependencies outside primary get the providers a full file-list load gives', async () => {
    const source = repoSource('baseos', baseos);
    const metadata = await fetchRepo(source, { cacheDir });
    const scanned = await loadPool('x86_64', [{ source, metadata }], cacheDir);
    const full = await loadPool('x86_64', [{ source, metadata }], cacheDir, ['/usr/*']);
    const outside = scanned.native.fileDeps().filter((p) => !inPrimary(p));
    assert.ok(outside.length > 0, 'the corpus has file deps outside primary');
    for (const p of [...outside, ...scanned.native.fileDeps().filter(inPrimary).slice(0, 20)]) {
      const names = (pool: typeof full) => pool.native.nevras(pool.native.whatProvides(p)).sort();
      assert.deepEqual(names(scanned), names(full), p);
    }
  });
});
