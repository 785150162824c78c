import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  archVars,
  basearch,
  composeJsonSchema,
  hostArch,
  loadCompose,
  parseRepoFile,
  readRepoDirs,
  readVarsDir,
  resolveLocation,
  substitute,
} from '../src/config/index.js';
import { ConfigError } from '../src/errors.js';

// Works from dist/test/ (compiled) as from test/.
const FIX = path.resolve(fileURLToPath(import.meta.url), '../../../test/fixtures/config');
const ROOT = path.resolve(FIX, '../../..');
const fx = (...p: string[]) => path.join(FIX, ...p);
const NO_VARS = { varsDir: fx('no-such-vars-dir') };

/** Asserts that loading rejects with a ConfigError of `code`; returns its message. */
async function configError(file: string, code: string, opts = NO_VARS): Promise<string> {
  try {
    await loadCompose(file, opts);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.stage, 'config');
    return err.message;
  }
  assert.fail(`${file} loaded without error`);
}

function lineFor(message: string, jsonPath: string): string {
  const line = message.split('\n').find((l) => l.includes(`: ${jsonPath}: `));
  assert.ok(line, `no line for ${jsonPath} in:\n${message}`);
  return line;
}

describe('loadCompose: a valid file', () => {
  test('full file: values kept, defaults applied', async () => {
    const c = await loadCompose(fx('full.json'), NO_VARS);
    assert.equal(c.file, fx('full.json'));
    assert.equal(c.releasever, '41'); // number coerced to string
    assert.deepEqual(c.arch, ['x86_64', 'aarch64']);
    assert.deepEqual(c.vars, { stream: '9-stream' });
    assert.deepEqual(c.options, { weakDeps: false, docs: true, langs: ['en'], maxLayers: 24, rpmdb: true });
    assert.deepEqual(c.modules, ['nodejs:20']);

    assert.deepEqual(Object.keys(c.images).sort(), ['2048', 'tools-x86', 'web']);
    assert.deepEqual(c.images.web, {
      name: 'web',
      packages: ['nginx', '/usr/bin/python3'],
      exclude: [],
      arch: ['x86_64', 'aarch64'],
      entrypoint: ['/usr/sbin/nginx', '-g', 'daemon off;'],
      env: { LANG: 'C.UTF-8', PATH: '/usr/bin:$PATH' }, // image fields are not substituted
      expose: ['80/tcp', '8443/tcp', '53/udp'],
      labels: { 'org.opencontainers.image.title': 'web' },
      user: 'nginx',
      workdir: '/srv',
      options: { weakDeps: false, docs: true, langs: ['en'], maxLayers: 24, rpmdb: true },
    });
    assert.deepEqual(c.images['tools-x86']!.arch, ['x86_64']);
    // An image's own options are merged over the compose's, key by key.
    assert.deepEqual(c.images['2048'], {
      name: '2048',
      packages: ['bash'],
      exclude: [],
      arch: ['x86_64', 'aarch64'],
      env: {},
      expose: [],
      labels: {},
      options: { weakDeps: false, docs: false, langs: ['en'], maxLayers: 6, rpmdb: false },
    });
  });

  test('full file: repos in compose order with dnf defaults, disabled ones kept', async () => {
    const c = await loadCompose(fx('full.json'), NO_VARS);
    const repos = c.reposFor('x86_64');
    assert.deepEqual(
      repos.map((r) => [r.id, r.enabled]),
      [
        ['base', true],
        ['fedora', true],
        ['updates', false],
        ['centos', true],
        ['extras', true],
      ],
    );
    const base = repos[0]!;
    assert.deepEqual(base, {
      id: 'base',
      origin: '$.repos.base',
      path: '$.repos.base',
      baseurl: [pathToFileURL(path.join(ROOT, 'test/fixtures/repos/base')).href],
      enabled: true,
      gpgkey: [],
      gpgcheck: false,
      repo_gpgcheck: false,
      priority: 99,
      cost: 1000,
      includepkgs: [],
      excludepkgs: [],
      sslverify: true,
    });
    const fedora = repos[1]!;
    assert.equal(fedora.name, 'Fedora 41 - x86_64');
    assert.deepEqual(fedora.baseurl, [
      'https://mirror.example/fedora/releases/41/Everything/x86_64/os/',
      pathToFileURL(fx('mirror/x86_64')).href + '/',
    ]);
    assert.deepEqual(fedora.gpgkey, ['file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-41-primary']);
    assert.equal(fedora.gpgcheck, true, 'a gpgkey turns gpgcheck on by default');
    assert.equal(fedora.priority, 10);
    assert.deepEqual(fedora.excludepkgs, ['kernel*', 'grub2-*', 'shim'], 'dnf-style string list split');
    const updates = repos[2]!;
    assert.deepEqual(updates.baseurl, []);
    assert.equal(updates.metalink, 'https://mirrors.example/metalink?repo=updates-released-f41&arch=x86_64');
    assert.equal(repos[3]!.baseurl[0], 'https://mirror.example/9-stream/centos/x86_64/os');
  });

  test('minimal file: arch defaults to the host arch, everything else to defaults', async () => {
    const c = await loadCompose(fx('minimal.json'), NO_VARS);
    assert.deepEqual(c.arch, [hostArch()]);
    assert.deepEqual(c.options, { weakDeps: true, docs: true, langs: [], maxLayers: 24, rpmdb: true });
    assert.deepEqual(c.modules, []);
    assert.deepEqual(c.vars, {});
    assert.deepEqual(c.images.base!.arch, [hostArch()]);
    const [repo] = c.reposFor(c.arch[0]!);
    assert.equal(repo!.baseurl[0], `https://example.org/el/9/BaseOS/${basearch(hostArch())}/os/`);
  });

  test('reposFor returns fresh copies', async () => {
    const c = await loadCompose(fx('minimal.json'), NO_VARS);
    c.reposFor('x86_64')[0]!.baseurl.push('mutated');
    assert.equal(c.reposFor('x86_64')[0]!.baseurl.length, 1);
  });

  test('relative compose path is resolved', async () => {
    const rel = path.relative(process.cwd(), fx('minimal.json'));
    const c = await loadCompose(rel, NO_VARS);
    assert.equal(c.file, fx('minimal.json'));
  });
});

describe('loadCompose: errors name the file and the JSON path', () => {
  test('unreadable file → CONFIG_READ', async () => {
    const msg = await configError(fx('does-not-exist.json'), 'CONFIG_READ');
    assert.match(msg, /does-not-exist\.json: cannot read the compose file: no such file/);
  });

  test('JSON syntax error → CONFIG_JSON with line:column', async () => {
    const msg = await configError(fx('bad/syntax.json'), 'CONFIG_JSON');
    assert.equal(msg, `${fx('bad/syntax.json')}:4:45: invalid JSON: trailing comma before "]", found "]"`);
  });

  test('duplicate key → CONFIG_JSON naming both lines', async () => {
    const msg = await configError(fx('bad/dupkey.json'), 'CONFIG_JSON');
    assert.equal(
      msg,
      `${fx('bad/dupkey.json')}:4:16: $.images.web is given twice (first at line 3); JSON keeps only the last one`,
    );
  });

  test('wrong type: the example message', async () => {
    const file = fx('bad/packages-string.json');
    const msg = await configError(file, 'CONFIG_SCHEMA');
    assert.equal(msg, `${file}: $.images.web.packages: expected a non-empty list of package specs, got string (line 4)`);
  });

  test('every problem at once, one line each, with its exact path', async () => {
    const file = fx('bad/many.json');
    const msg = await configError(file, 'CONFIG_SCHEMA');
    const expectations: [string, RegExp][] = [
      ['$.releasever', /expected a release version .*, got number 8\.1 \(line 2\)$/],
      ['$.arch[1]', /"x86-64" is not an rpm arch \(did you mean "x86_64"\?\)/],
      ['$.repos.both', /needs exactly one of baseurl, metalink or mirrorlist, got baseurl and metalink/],
      ['$.repos.none', /needs one of baseurl, metalink or mirrorlist, got none/],
      ['$.repos.numurl.baseurl[1]', /expected a URL or path, got number 1/],
      ['$.repos.typo.priorty', /unknown key \(did you mean "priority"\?\)/],
      ['$.repos.flag.enabled', /expected true or false \(enabled\), got string/],
      ['$.options.maxLayers', /expected a whole number from 2 to 120, got 1/],
      ['$.options.weakdeps', /unknown key \(did you mean "weakDeps"\?\)/],
      ['$.modules[0]', /expected a module stream "name:stream", got "nodejs"/],
      ['$.images.web.packages[1]', /expected a package spec, got ""/],
      ['$.images.web.expose[0]', /expected a port such as "80", "80\/tcp" or "53\/udp", got "80\/xyz"/],
      ['$.images.web.expose[1]', /expected a port number from 1 to 65535, got "70000"/],
      ['$.images.web.workdir', /expected an absolute path, got "srv"/],
      ['$.images.web.env.A', /expected a string value, got number 1/],
      ['$.images.web.options.rpmDB', /unknown key \(did you mean "rpmdb"\?\)/],
      ['$.images.web.options.docs', /expected true or false \(docs\), got string/],
      ['$.images.Web', /expected an image name of lowercase letters .*, got "Web"/],
      ['$.images.empty.packages', /expected a non-empty list of package specs, got an empty list/],
      ['$.images.nopkgs.packages', /expected a non-empty list of package specs, but it is missing/],
      ['$.users[0].name', /expected a user name of letters, digits, "_", "\." and "-", not starting with a digit or "-", got "1bad"/],
      ['$.users[0].uid', /expected a uid from 0 to 4294967294, got -1/],
      ['$.users[1].shel', /unknown key \(did you mean "shell"\?\)/],
      ['$.groups[0].gid', /expected a gid from 0 to 4294967294, got string/],
      ['$.extra', /unknown key; expected one of: releasever, arch, vars, reposdir, repos, options, modules, users, groups, images/],
    ];
    for (const [p, re] of expectations) {
      const line = lineFor(msg, p);
      assert.ok(line.startsWith(`${file}: ${p}: `), line);
      assert.match(line, re);
    }
    assert.equal(msg.split('\n').length, expectations.length, msg);
    assert.doesNotMatch(msg, /\$\.images\.web\.expose\[2\]/, '"8080/udp" is valid');
  });

  test('image arch outside the compose arch, two streams of one module', async () => {
    const file = fx('bad/arch-subset.json');
    const msg = await configError(file, 'CONFIG_SCHEMA');
    assert.match(lineFor(msg, '$.images.web.arch[1]'), /"aarch64" is not one of the compose's arch \(x86_64\)/);
    assert.match(lineFor(msg, '$.modules[1]'), /module "nodejs" already has stream "nodejs:18" at \$\.modules\[0\]/);
  });

  test('not an object at all', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(path.join(tmpdir(), 'rpmcompose-config-'));
    try {
      const file = path.join(dir, 'list.json');
      await writeFile(file, '[]');
      assert.equal(await configError(file, 'CONFIG_SCHEMA'), `${file}: $: expected a compose object, got list (line 1)`);
      await writeFile(file, '{}');
      const msg = await configError(file, 'CONFIG_SCHEMA');
      assert.match(lineFor(msg, '$.releasever'), /but it is missing/);
      assert.match(lineFor(msg, '$.repos'), /but it is missing/);
      assert.match(lineFor(msg, '$.images'), /but it is missing/);
      await writeFile(file, '');
      assert.match(await configError(file, 'CONFIG_JSON'), /:1:1: invalid JSON: the file is empty/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('.repo files', () => {
  const text = [
    '# comment',
    '[main]',
    'gpgcheck=1',
    '',
    '[fedora]',
    'name=Fedora $releasever',
    'baseurl=https://a.example/$basearch/',
    '  https://b.example/$basearch/, https://c.example/$basearch/',
    'ENABLED = No',
    '; another comment',
    'gpgkey=file:///k1 file:///k2',
    'exclude=kernel*,grub2',
    'priority=10',
    'sslverify=off',
    '',
    '[meta]',
    'metalink = https://m.example/?arch=$basearch',
    'enabled=true',
    'gpgcheck=0',
    'includepkgs = a, b c',
  ].join('\n');

  test('sections, multi-line baseurl, dnf booleans and lists', () => {
    const repos = parseRepoFile(text, '/x/test.repo');
    assert.deepEqual(
      repos.map((r) => r.id),
      ['fedora', 'meta'],
      '[main] is not a repo',
    );
    const [fedora, meta] = repos as [(typeof repos)[0], (typeof repos)[0]];
    assert.equal(fedora.line, 5);
    assert.equal(fedora.name, 'Fedora $releasever');
    assert.deepEqual(fedora.baseurl, ['https://a.example/$basearch/', 'https://b.example/$basearch/', 'https://c.example/$basearch/']);
    assert.equal(fedora.enabled, false);
    assert.deepEqual(fedora.gpgkey, ['file:///k1', 'file:///k2']);
    assert.equal(fedora.gpgcheck, undefined);
    assert.deepEqual(fedora.excludepkgs, ['kernel*', 'grub2'], '`exclude` is an alias of excludepkgs');
    assert.equal(fedora.priority, 10);
    assert.equal(fedora.cost, 1000);
    assert.equal(fedora.sslverify, false);
    assert.equal(meta.enabled, true);
    assert.equal(meta.gpgcheck, false);
    assert.equal(meta.metalink, 'https://m.example/?arch=$basearch');
    assert.deepEqual(meta.baseurl, []);
    assert.deepEqual(meta.includepkgs, ['a', 'b', 'c']);
  });

  test('enabled flags: 1/0, yes/no, true/false, on/off', () => {
    for (const [v, want] of [
      ['1', true], ['0', false], ['yes', true], ['no', false], ['True', true], ['FALSE', false], ['on', true], ['off', false],
    ] as const) {
      const [r] = parseRepoFile(`[r]\nbaseurl=http://x/\nenabled=${v}\n`, 'f.repo');
      assert.equal(r!.enabled, want, v);
    }
    const [d] = parseRepoFile('[r]\nbaseurl=http://x/\n', 'f.repo');
    assert.equal(d!.enabled, true, 'enabled by default');
  });

  test('malformed files are CONFIG_REPOFILE errors with file:line', () => {
    const bad = (t: string, re: RegExp) =>
      assert.throws(
        () => parseRepoFile(t, '/x/bad.repo'),
        (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG_REPOFILE' && re.test(e.message),
      );
    bad('[r]\nenabled=maybe\n', /^\/x\/bad\.repo:2: \[r\] enabled: expected 1\/0, yes\/no, true\/false or on\/off, got "maybe"/);
    bad('[r]\nbaseurl=x\n[r]\nbaseurl=y\n', /^\/x\/bad\.repo:3: repo \[r\] is defined twice in this file \(first at line 1\)/);
    bad('baseurl=x\n', /^\/x\/bad\.repo:1: .*before any \[repo-id\] section/);
    bad('[r]\npriority=high\n', /^\/x\/bad\.repo:2: \[r\] priority: expected a whole number, got "high"/);
  });

  test('readRepoDirs: dnf order, missing dirs fine, duplicates recorded', async () => {
    const index = await readRepoDirs([fx('repos.d'), fx('nope'), fx('repos.d2')]);
    assert.deepEqual([...index.byId.keys()].sort(), ['extras', 'extras-source', 'other', 'other-meta']);
    assert.equal(index.byId.get('extras')!.file, fx('repos.d/extras.repo'));
    assert.deepEqual(
      index.duplicates.get('extras')!.map((e) => e.file),
      [fx('repos.d/extras.repo'), fx('repos.d2/dup.repo')],
    );
  });

  test('compose naming .repo ids: found, substituted, selected like dnf --repo', async () => {
    const c = await loadCompose(fx('repo-ref.json'), NO_VARS);
    const repos = c.reposFor('aarch64');
    assert.deepEqual(repos.map((r) => r.id), ['other', 'extras', 'meta']);
    const extras = repos[1]!;
    assert.equal(extras.origin, fx('repos.d/extras.repo'));
    assert.equal(extras.path, '$.repos.extras', 'named by the compose file, defined in a .repo file');
    assert.equal(extras.enabled, true, 'naming a repo in the compose selects it even if enabled=0');
    assert.deepEqual(extras.baseurl, [
      'https://a.example/extras/41/aarch64/',
      'https://b.example/extras/41/aarch64/',
      'https://c.example/extras/41/aarch64/',
    ]);
    assert.deepEqual(extras.gpgkey, ['file:///etc/pki/rpm-gpg/KEY-1', 'file:///etc/pki/rpm-gpg/KEY-2']);
    assert.equal(extras.gpgcheck, true);
    assert.equal(extras.priority, 5);
    assert.equal(extras.cost, 500);
    assert.deepEqual(extras.excludepkgs, ['foo*', 'bar']);
    assert.equal(extras.sslverify, false);
    assert.equal(extras.name, 'Extras 41');
    assert.deepEqual(repos[0]!.includepkgs, ['a', 'b', 'c']);
    assert.equal(repos[2]!.metalink, 'https://other.example/metalink?arch=aarch64');
  });

  test('missing repo id → CONFIG_REPO_NOT_FOUND naming the id and the dirs searched', async () => {
    const file = fx('bad/repo-missing.json');
    const msg = await configError(file, 'CONFIG_REPO_NOT_FOUND');
    assert.ok(msg.startsWith(`${file}: $.repos.epel: repo "epel" is not defined in any .repo file under `), msg);
    assert.ok(msg.includes(`${fx('repos.d')}, ${fx('no-such-dir')}`), msg);
  });

  test('repo defined in two files → CONFIG_REPO_DUPLICATE naming both files', async () => {
    const file = fx('bad/repo-duplicate.json');
    const msg = await configError(file, 'CONFIG_REPO_DUPLICATE');
    assert.equal(
      msg,
      `${file}: $.repos.extras: repo "extras" is defined more than once: ${fx('repos.d/extras.repo')}:5 and ${fx('repos.d2/dup.repo')}:1`,
    );
  });

  test('a duplicate the compose does not use is not an error', async () => {
    const c = await loadCompose(fx('repo-unrelated-dup.json'), NO_VARS);
    assert.deepEqual(c.reposFor('x86_64').map((r) => r.id), ['other']);
  });
});

describe('dnf variables', () => {
  const vars = { releasever: '41', basearch: 'x86_64', empty: '', name: 'v' };

  test('$name and ${name}, unknown left as-is', () => {
    assert.equal(substitute('a/$releasever/$basearch/b', vars), 'a/41/x86_64/b');
    assert.equal(substitute('a/${releasever}x/$releasever_x', vars), 'a/41x/$releasever_x');
    assert.equal(substitute('$nope/${nope}/$', vars), '$nope/${nope}/$');
  });

  test('${x:-default} and ${x:+alternate}, nested, malformed', () => {
    assert.equal(substitute('${nope:-dflt}', vars), 'dflt');
    assert.equal(substitute('${empty:-dflt}', vars), 'dflt');
    assert.equal(substitute('${name:-dflt}', vars), 'v');
    assert.equal(substitute('${name:+alt}', vars), 'alt');
    assert.equal(substitute('${nope:+alt}', vars), '');
    assert.equal(substitute('${empty:+alt}', vars), '');
    assert.equal(substitute('${nope:-${releasever}-$basearch}', vars), '41-x86_64');
    assert.equal(substitute('${nope:-${nope2:-deep}}', vars), 'deep');
    assert.equal(substitute('${nope:-unclosed', vars), '${nope:-unclosed');
    assert.equal(substitute('${name', vars), '${name');
  });

  test('backslash escapes the next character', () => {
    assert.equal(substitute('\\$releasever/$releasever', vars), '$releasever/41');
  });

  test('basearch and the built-in variables', () => {
    const table: [string, string][] = [
      ['x86_64', 'x86_64'], ['i686', 'i386'], ['i586', 'i386'], ['aarch64', 'aarch64'], ['armv7hl', 'armhfp'],
      ['armv7l', 'arm'], ['ppc64le', 'ppc64le'], ['ppc64', 'ppc64'], ['s390x', 's390x'], ['noarch', 'noarch'],
      ['riscv64', 'riscv64'], ['amd64', 'x86_64'], ['whatever', 'whatever'],
    ];
    for (const [arch, base] of table) assert.equal(basearch(arch), base, arch);
    assert.deepEqual(archVars('i686', '8.10', { stream: 's' }), {
      stream: 's', releasever: '8.10', releasever_major: '8', releasever_minor: '10', arch: 'i686', basearch: 'i386',
    });
  });

  test('vars dir: first line of each file', async () => {
    assert.deepEqual(await readVarsDir(fx('vars')), { contentdir: 'vault', debug: 'yes', stream: 'overridden' });
    assert.deepEqual(await readVarsDir(fx('no-such-dir')), {});
  });

  test('compose vars over the vars dir, per-arch values differ', async () => {
    const c = await loadCompose(fx('vars.json'), { varsDir: fx('vars') });
    assert.deepEqual(c.vars, { contentdir: 'vault', debug: 'yes', stream: '9-stream' });
    const x86 = c.reposFor('x86_64')[0]!;
    const arm = c.reposFor('aarch64')[0]!;
    assert.deepEqual(x86.baseurl, ['https://mirror.example/9-stream/vault/9/x86_64/debug/os/']);
    assert.deepEqual(arm.baseurl, ['https://mirror.example/9-stream/vault/9/aarch64/debug/os/']);
    assert.deepEqual(x86.gpgkey, ['https://keys.example/fallback/${missing}/$unknown/$literal']);
  });

  test('without the vars dir the defaults of ${x:-y} apply', async () => {
    const c = await loadCompose(fx('vars.json'), NO_VARS);
    assert.deepEqual(c.reposFor('x86_64')[0]!.baseurl, ['https://mirror.example/9-stream/centos/9/x86_64/os/']);
  });
});

describe('locations', () => {
  test('relative paths and file: URLs resolve against the compose directory', () => {
    const dir = '/srv/compose';
    assert.equal(resolveLocation('repos/base', dir), 'file:///srv/compose/repos/base');
    assert.equal(resolveLocation('repos/base/', dir), 'file:///srv/compose/repos/base/');
    assert.equal(resolveLocation('../repos/base', dir), 'file:///srv/repos/base');
    assert.equal(resolveLocation('file:repos/base', dir), 'file:///srv/compose/repos/base');
    assert.equal(resolveLocation('/abs/repo', dir), 'file:///abs/repo');
    assert.equal(resolveLocation('file:///abs/repo', dir), 'file:///abs/repo');
    assert.equal(resolveLocation('https://example.org/a/$x/', dir), 'https://example.org/a/$x/');
    assert.equal(resolveLocation('http://example.org/', dir), 'http://example.org/');
  });
});

describe('JSON Schema', () => {
  test('describes the compose file, strict, with defaults', () => {
    const s = composeJsonSchema() as {
      type: string;
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, { properties?: Record<string, { default?: unknown }> }>;
    };
    assert.equal(s.type, 'object');
    assert.equal(s.additionalProperties, false);
    assert.deepEqual([...s.required].sort(), ['images', 'releasever', 'repos']);
    for (const k of ['releasever', 'arch', 'vars', 'reposdir', 'repos', 'options', 'modules', 'images']) assert.ok(s.properties[k], k);
    assert.equal(s.properties.options!.properties!.maxLayers!.default, 24);
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s, 'plain JSON');
    assert.deepEqual(composeJsonSchema(), s, 'deterministic');
  });
});
