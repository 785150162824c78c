// What every command says, and where (docs/DESIGN.md, "What every command says"): the
// result block, -q and --json on every command including their errors, mistakes caught
// early with a message that names them, each error said once, and --help.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, cliAsync, closeServers, fixtures, root, serveDir, tmp, type CliResult } from './helpers.js';
import { validateLayout } from './validate.js';

const composeRepo = path.join(fixtures, 'repos/compose');

/** A compose file in a fresh directory; commands run there, with a cache of their own and no -q. */
function space(images: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const dir = tmp('rpmcompose-contract-');
  const file = path.join(dir, 'compose.json');
  writeFileSync(file, JSON.stringify({ releasever: '1', arch: ['x86_64'], repos: { compose: { baseurl: composeRepo } }, images, ...extra }, null, 2));
  const cache = path.join(dir, 'cache');
  const run = (...args: string[]): CliResult => cli([...args, '--cache-dir', cache], { cwd: dir, env: { SOURCE_DATE_EPOCH: '' } });
  return { dir, file, cache, run };
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const json = (r: CliResult): Record<string, unknown> => {
  assert.doesNotThrow(() => JSON.parse(r.stdout), `stdout is one JSON document: ${r.stdout.slice(0, 200)}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};
const PROGRESS = /^(resolving |repo |downloading |packages \(|building layer )/m;

after(closeServers);

describe('compose: the result block', () => {
  // Compose order is not name order: web, hello, edge.
  const s = space(
    { web: { packages: ['filesystem', 'shared-a'] }, hello: { packages: ['hello-static'], arch: ['x86_64'] }, edge: { packages: ['edgecases'], arch: ['x86_64'] } },
    { arch: ['x86_64', 'aarch64'] },
  );
  let first: CliResult;
  before(() => {
    first = s.run('compose', s.file, '-o', 'out');
  });

  test('says where each image went, its digests labelled, its figures labelled, in compose order; the lock written', () => {
    assert.equal(first.status, 0, first.stderr);
    const layout = validateLayout(path.join(s.dir, 'out'));
    const out = first.stdout;
    assert.match(out, /^wrote 3 images to the OCI layout out\n/);
    // Compose order, each with the reference skopeo and podman take.
    assert.deepEqual([...out.matchAll(/^(\w+) {2}oci:out:(\w+)$/gm)].map((m) => [m[1], m[2]]), [['web', 'web'], ['hello', 'hello'], ['edge', 'edge']]);
    // The multi-arch image: its index digest (the one to pin), then each arch's manifest.
    assert.match(out, new RegExp(`^ {2}index {4}${layout.refs.web!}  \\(aarch64, x86_64\\)$`, 'm'));
    assert.match(out, /^ {2}aarch64 {2}sha256:[0-9a-f]{64}\n {11}3 packages, layers 2 \(0 shared, 2 rebuilt\)\n {11}size [\d.]+ KiB, compressed [\d.]+ (KiB|B)\n {11}re-pull after a one-package update: at most [\d.]+ KiB, median [\d.]+ KiB$/m);
    assert.match(out, new RegExp(`^hello  oci:out:hello\\n  x86_64  ${layout.refs.hello!}\\n {10}3 packages, layers 3 \\(1 shared, \\d rebuilt\\)`, 'm'));
    assert.doesNotMatch(out, /\d\.\d+ B\b/, 'whole bytes');
    assert.match(out, /\nlock: wrote compose\.lock\.json\n$/);
    // Notes and progress are not results.
    assert.doesNotMatch(out, /scriptlets|resolving/);
    assert.match(first.stderr, /^note: scriptlets not run \(1 package\): edgecases-1\.0-1\.x86_64$/m);
  });

  test('progress says what it downloads before counting, in bytes that fit', () => {
    const lines = first.stderr.split('\n');
    const said = lines.findIndex((l) => /^downloading \d+ packages? \(\d+ packages? cached\)$/.test(l));
    const counted = lines.findIndex((l) => l.startsWith('packages ('));
    assert.ok(said >= 0 && counted > said, first.stderr);
    assert.ok(lines.some((l) => /^packages \(x86_64\): \d+\/\d+, \d+\.\d KiB downloaded$/.test(l)), first.stderr);
    assert.doesNotMatch(first.stderr, /0\.0 MiB/);
  });

  test('-q keeps the digests (and warnings), drops progress; --json is one document with the warnings in it', () => {
    const quiet = s.run('compose', s.file, '-o', 'out', '-q');
    assert.equal(quiet.status, 0, quiet.stderr);
    const layout = validateLayout(path.join(s.dir, 'out'));
    assert.equal(quiet.stdout, ['web', 'hello', 'edge'].map((n) => `${layout.refs[n]!}  oci:out:${n}\n`).join(''));
    assert.doesNotMatch(quiet.stderr, PROGRESS);
    assert.match(quiet.stderr, /note: scriptlets not run/);
    const doc = s.run('compose', s.file, '-o', 'out', '--json');
    assert.equal(doc.status, 0);
    assert.equal(doc.stderr, '', 'nothing beside the document');
    const d = json(doc);
    assert.deepEqual(d.warnings, ['note: scriptlets not run (1 package): edgecases-1.0-1.x86_64']);
    assert.deepEqual((d.refs as { name: string; reference: string }[]).map((r) => [r.name, r.reference]), [
      ['web', `oci:${path.join(s.dir, 'out')}:web`],
      ['hello', `oci:${path.join(s.dir, 'out')}:hello`],
      ['edge', `oci:${path.join(s.dir, 'out')}:edge`],
    ]);
    assert.deepEqual(d.lock, { file: path.join(s.dir, 'compose.lock.json') });
  });

  test('archives are named as skopeo takes them', () => {
    const oa = s.run('compose', s.file, '-o', 'all.tar', '--format', 'oci-archive', '-q');
    assert.equal(oa.status, 0, oa.stderr);
    assert.match(oa.stdout, /^sha256:[0-9a-f]{64} {2}oci-archive:all\.tar:web\n/);
    const da = s.run('compose', s.file, '-o', 'hello.tar', '--format', 'docker-archive', '--image', 'hello');
    assert.equal(da.status, 0, da.stderr);
    assert.match(da.stdout, /^wrote 1 image to the docker-archive hello\.tar\n\nhello  docker-archive:hello\.tar\n/);
    assert.doesNotMatch(da.stdout, /lock:/, 'a compose of one image writes no lock');
  });
});

describe('-q and --json on every command', () => {
  const s = space({ web: { packages: ['shared-a'] }, hello: { packages: ['hello-static'] } });

  test('resolve, lock, diff, plan, schema: -q drops progress only; --json prints one document and nothing else', () => {
    for (const [args, quietOut] of [
      [['resolve', s.file], /^web \(x86_64\): \d+ packages/],
      [['lock', s.file], /^$/],
      [['diff', s.file], /^web: unchanged\nhello: unchanged\n$/],
      [['plan', s.file], /^x86_64: \d+ layers/],
    ] as [string[], RegExp][]) {
      const loud = s.run(...args);
      assert.equal(loud.status, 0, `${args[0]}: ${loud.stderr}`);
      assert.match(loud.stderr, PROGRESS, `${args[0]} shows progress`);
      const quiet = s.run(...args, '-q');
      assert.equal(quiet.status, 0);
      assert.equal(quiet.stderr, '', `${args[0]} -q: ${quiet.stderr}`);
      assert.match(quiet.stdout, quietOut, args[0]);
      const doc = s.run(...args, '--json');
      assert.equal(doc.status, 0);
      assert.equal(doc.stderr, '', `${args[0]} --json: ${doc.stderr}`);
      json(doc);
    }
    assert.equal(json(s.run('schema', '--json')).title, 'rpmcompose compose file');
  });

  test('an error under --json is the document {"error": {code, message, path?, file?, url?}}, the exit code unchanged', async () => {
    const cases: [string[], number, Record<string, unknown>][] = [
      [['resolve', path.join(s.dir, 'missing.json')], 2, { code: 'CONFIG_READ', file: path.join(s.dir, 'missing.json') }],
      [['diff', s.file, '--lockfile', 'none.lock.json'], 2, { code: 'LOCK_MISSING', file: path.join(s.dir, 'none.lock.json') }],
      [['compose', s.file, '--output-dir', 'x'], 2, { code: 'CLI_USAGE', message: "unknown option '--output-dir'" }],
      [['compose', s.file, '-o', 'x', '--arch', 'amd64'], 2, { code: 'CLI_ARCH' }],
    ];
    const bad = space({ app: { packages: ['nosuchpackage'] } });
    for (const [args, status, want] of cases) {
      const r = s.run(...args, '--json');
      assert.equal(r.status, status, args.join(' '));
      assert.equal(r.stderr, '', `${args.join(' ')}: ${r.stderr}`);
      const error = json(r).error as Record<string, unknown>;
      assert.equal(typeof error.message, 'string');
      for (const [k, v] of Object.entries(want)) assert.equal(error[k], v, `${args.join(' ')}: ${k}`);
    }
    for (const cmd of ['lock', 'compose', 'plan', 'diff']) {
      const r = bad.run(cmd, bad.file, ...(cmd === 'compose' ? ['-o', 'out'] : []), '--json');
      assert.equal(r.status, cmd === 'diff' ? 2 : 3, `${cmd}: ${r.stdout}`);
      if (cmd === 'diff') continue; // no lock to compare with: that comes first
      const error = json(r).error as { code: string; problems: { image: string; arch: string }[] };
      assert.equal(error.code, 'SOLVE_UNRESOLVABLE');
      assert.deepEqual(error.problems.map((p) => [p.image, p.arch]), [['app', 'x86_64']]);
    }
    // A repo that refuses the connection: named by its JSON path, with the URL.
    const port = await deadPort();
    const down = space({ app: { packages: ['setup'] } }, { repos: { gone: { baseurl: `http://127.0.0.1:${port}/repo/` } } });
    const r = down.run('resolve', down.file, '--json');
    assert.equal(r.status, 2);
    const error = json(r).error as Record<string, string>;
    assert.deepEqual([error.code, error.path, error.url], ['REPO_HTTP', '$.repos.gone', `http://127.0.0.1:${port}/repo/repodata/repomd.xml`]);
  });
});

describe('mistakes caught early, said once', () => {
  test('"amd64" in the file or in --arch: an error that names the rpm arch; an arch the compose lacks: its arches', () => {
    const s = space({ app: { packages: ['setup'] } }, { arch: ['x86_64', 'amd64'] });
    const r = s.run('resolve', s.file);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /compose\.json: \$\.arch\[1\]: "amd64" is not an rpm arch \(did you mean "x86_64"\?\) \(line \d+\)/);
    const ok = space({ app: { packages: ['setup'] } });
    const arm = ok.run('compose', ok.file, '-o', 'out', '--arch', 'arm64');
    assert.equal(arm.status, 2);
    assert.equal(arm.stderr, 'rpmcompose: --arch arm64: "arm64" is not an rpm arch (did you mean "aarch64"?)\n');
    const ppc = ok.run('compose', ok.file, '-o', 'out', '--arch', 'ppc64le', '-q');
    assert.equal(ppc.status, 2);
    assert.equal(ppc.stderr, 'rpmcompose: no image of this compose is built for ppc64le (its arches: x86_64)\n');
    const na = space({ app: { packages: ['setup'] } }, { arch: ['noarch'] });
    const noarch = na.run('plan', na.file);
    assert.equal(noarch.status, 2);
    assert.match(noarch.stderr, /\$\.arch\[0\]: "noarch" is a package arch: an image is built for a machine \(aarch64, /);
  });

  test('an unknown option is named as unknown, not as a missing -o', () => {
    const s = space({ app: { packages: ['setup'] } });
    const r = s.run('compose', s.file, '--output-dir', 'out');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^rpmcompose: unknown option '--output-dir'$/m);
    assert.doesNotMatch(r.stderr, /required option/);
    const none = s.run('compose', s.file);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^rpmcompose: compose needs -o\/--output/m);
  });

  test('a refused connection and a 404 are said once, naming $.repos.<id> and the URL', async () => {
    const port = await deadPort();
    const refused = space({ app: { packages: ['setup'] } }, { repos: { gone: { baseurl: `http://127.0.0.1:${port}/repo/` } } });
    const r = await cliAsync(['resolve', refused.file, '--cache-dir', refused.cache], { cwd: refused.dir });
    assert.equal(r.status, 2);
    const said = r.stderr.split('\n').filter((l) => l.includes('ECONNREFUSED'));
    assert.equal(said.length, 1, r.stderr);
    assert.match(said[0]!, new RegExp(`^rpmcompose: \\$\\.repos\\.gone: GET http://127\\.0\\.0\\.1:${port}/repo/repodata/repomd\\.xml failed: ECONNREFUSED`));
    const srv = await serveDir(tmp('rpmcompose-empty-'));
    const missing = space({ app: { packages: ['setup'] } }, { repos: { empty: { baseurl: `${srv.url}nothing/` } } });
    const m = await cliAsync(['resolve', missing.file, '--cache-dir', missing.cache], { cwd: missing.dir });
    assert.equal(m.status, 2);
    const lines = m.stderr.split('\n').filter((l) => l.includes('HTTP 404'));
    assert.deepEqual(lines, [`rpmcompose: $.repos.empty: GET ${srv.url}nothing/repodata/repomd.xml: HTTP 404`]);
  });

  test('"__proto__" as an image name is refused by name; "constructor" works as an image and a repo', () => {
    const s = space({});
    writeFileSync(s.file, `{"releasever": "1", "arch": ["x86_64"], "repos": {"constructor": {"baseurl": ${JSON.stringify(composeRepo)}}},
      "images": {"__proto__": {"packages": ["setup"]}, "constructor": {"packages": ["setup"]}}}`);
    const r = s.run('resolve', s.file);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\$\.images\.__proto__: the name "__proto__" is reserved/);
    writeFileSync(s.file, `{"releasever": "1", "arch": ["x86_64"], "repos": {"constructor": {"baseurl": ${JSON.stringify(composeRepo)}}},
      "images": {"constructor": {"packages": ["setup"]}}}`);
    const c = s.run('compose', s.file, '-o', 'out', '-q');
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /^sha256:[0-9a-f]{64} {2}oci:out:constructor\n$/);
    assert.ok(validateLayout(path.join(s.dir, 'out')).refs.constructor);
  });
});

describe('help', () => {
  test('every command\u2019s --help has examples and the exit codes it can end with', () => {
    const codes: Record<string, string[]> = { resolve: ['0', '2', '3'], lock: ['0', '2', '3'], diff: ['0', '1', '2', '3'], plan: ['0', '2', '3'], compose: ['0', '2', '3'], schema: ['0'] };
    for (const [cmd, want] of Object.entries(codes)) {
      const r = cli([cmd, '--help']);
      assert.equal(r.status, 0);
      assert.match(r.stdout, new RegExp(`Examples:\\n  # .+\\n  (rpmcompose|skopeo) `), cmd);
      const listed = [...(r.stdout.split('Exit codes:\n')[1] ?? '').matchAll(/^ {2}(\d) {2}/gm)].map((m) => m[1]);
      assert.deepEqual(listed, want, cmd);
    }
    assert.match(cli(['diff', '--help']).stdout, /^ {2}1 {2}some image must be rebuilt$/m);
    assert.match(cli(['--help']).stdout, /Exit codes:\n {2}0 {2}success\n {2}1 {2}diff only/);
  });

  test('docs/cli.md is generated from the same definitions, and current', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/cli-docs.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(path.join(root, 'docs/cli.md'), 'utf8'), /## compose\n\n```\n\$ rpmcompose compose --help\n/);
  });
});
