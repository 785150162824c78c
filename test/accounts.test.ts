// Users and groups from declarations (src/accounts): sysusers.d lines against Debian's
// systemd-sysusers 252 on the same root, the %pre idiom read and never run, ids for the
// whole compose (explicit kept, pins kept, nothing reused), and the account files written
// as the declaring tool writes them.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { allocate } from '../src/accounts/allocate.js';
import type { Decl, Origin } from '../src/accounts/decls.js';
import { ACCOUNT_FILES, existingIds, renderAccounts, type AccountTexts } from '../src/accounts/files.js';
import { parsePrein } from '../src/accounts/prein.js';
import { parseSysusers } from '../src/accounts/sysusers.js';
import { AccountsError } from '../src/errors.js';
import { cli, dnfInstall, fixtures, manifest, ok, run, tmp, unpack, workspace, type Workspace } from './helpers.js';

const setupRpm = path.join(fixtures, 'repos/usrmerge/Packages/setup-2.13.7-1.noarch.rpm');
const DAY = Math.floor(1704067200 / 86400);

/** A root holding setup's account files (EL's passwd, group, shadow, gshadow). */
function setupRoot(): string {
  const root = path.join(tmp('rpmcompose-accounts-'), 'root');
  mkdirSync(root, { recursive: true });
  run('sh', ['-c', 'cd "$1" && rpm2cpio "$2" | cpio -idm --quiet', 'sh', root, setupRpm]);
  return root;
}
const texts = (root: string): AccountTexts => Object.fromEntries(ACCOUNT_FILES.map((f) => [f, readFileSync(path.join(root, f), 'utf8')]));
const origin = (where: string): Origin => ({ kind: 'sysusers', package: 'pkg-1-1.noarch', where });

describe('sysusers.d, as systemd-sysusers makes it', () => {
  const confs: Record<string, string> = {
    'a-db.conf': 'u db - "Database" /var/lib/db\ng data 777\nu svc 500 "Svc"\n',
    // svc's group has a g line of its own, read later: made with the other groups, first.
    'b-web.conf': '# web\ng webadmins -\nu web - "Web Server" /var/www -\nm web webadmins\nu fixed 440 "Fixed" /srv/fixed /sbin/nologin\nu shared 600:data "Shared" - -\ng svc -\n',
    'c-wheel.conf': 'm db wheel\n',
  };

  test('the same passwd, group, shadow and gshadow as systemd-sysusers --root on the same files, byte for byte', () => {
    const root = setupRoot();
    const base = texts(root);
    mkdirSync(path.join(root, 'usr/lib/sysusers.d'), { recursive: true });
    for (const [f, text] of Object.entries(confs)) writeFileSync(path.join(root, 'usr/lib/sysusers.d', f), text);
    run('systemd-sysusers', ['--root', root], { env: { SOURCE_DATE_EPOCH: '1704067200' } });
    const decls = Object.entries(confs).flatMap(([f, text]) => parseSysusers(text, origin(`/usr/lib/sysusers.d/${f}`)).decls);
    const { ids } = allocate(decls, [existingIds(base)]);
    const { changed, created } = renderAccounts(base, decls, ids, DAY);
    for (const f of ACCOUNT_FILES) assert.equal(changed[f], readFileSync(path.join(root, f), 'utf8'), f);
    assert.deepEqual(
      created.map((c) => `${c.kind} ${c.name} ${c.id}`),
      ['group data 777', 'group webadmins 999', 'group svc 998', 'group db 997', 'user db 997', 'user svc 500', 'group web 996', 'user web 996', 'group fixed 440', 'user fixed 440', 'user shared 600'],
    );
  });

  test('a user whose group is neither in the image nor declared is an error naming the user and its source', () => {
    const decls = parseSysusers('u orphan -:nosuchgroup "Orphan"\n', origin('/usr/lib/sysusers.d/o.conf')).decls;
    const base = texts(setupRoot());
    assert.throws(
      () => renderAccounts(base, decls, allocate(decls, [existingIds(base)]).ids, DAY),
      (e: unknown) => e instanceof AccountsError && e.code === 'ACCOUNTS_NO_GROUP' && /^user orphan \(pkg-1-1\.noarch \(\/usr\/lib\/sysusers\.d\/o\.conf\)\): its group nosuchgroup is neither in the image nor declared$/.test(e.message),
    );
  });

  test('what it cannot know is a problem of the line, not a guess', () => {
    const { decls, problems } = parseSysusers('u app /usr/bin/app "App"\nu %b -\nx what -\nr - 900-500\nu ok -\n', origin('/usr/lib/sysusers.d/x.conf'));
    assert.deepEqual(decls.map((d) => d.kind === 'user' && d.name), ['ok', false]);
    assert.equal(problems.length, 4);
    assert.match(problems[0]!, /^\/usr\/lib\/sysusers\.d\/x\.conf:1: user app: ID "\/usr\/bin\/app" is not a number/);
    assert.match(problems[1]!, /:2: specifiers/);
  });
});

describe('the %pre idiom, read and never run', () => {
  const pre = { kind: 'pre', package: 'app-1-1.x86_64' } as const;
  test('getent || groupadd / useradd with literal arguments, usermod -a -G, :, exit 0', () => {
    const script = [
      'getent group appgrp >/dev/null || groupadd -r appgrp',
      'getent passwd app >/dev/null || \\',
      '    useradd -r -g appgrp -d /var/lib/app -s /sbin/nologin \\',
      '    -c "App daemon" app',
      '/usr/sbin/usermod -a -G wheel app 2>/dev/null || :',
      'getent group fixedg >/dev/null || groupadd -f -g 450 fixedg; getent passwd fixedu >/dev/null || useradd -r -u 450 -g fixedg -M fixedu',
      'exit 0',
    ].join('\n');
    const r = parsePrein(script, '/bin/sh', pre);
    assert.ok('decls' in r, JSON.stringify(r));
    const shape = (d: Decl) => (d.kind === 'user' ? `user ${d.name} ${d.uid ?? '-'} ${d.group} ${d.gecos} ${d.home} ${d.shell}` : d.kind === 'group' ? `group ${d.name} ${d.gid ?? '-'}` : d.kind === 'member' ? `member ${d.user} ${d.group}` : d.kind);
    assert.deepEqual(r.decls.map(shape), [
      'group appgrp -',
      'user app - appgrp App daemon /var/lib/app /sbin/nologin',
      'member app wheel',
      'group fixedg 450',
      'user fixedu 450 fixedg  /home/fixedu /bin/bash',
    ]);
  });

  test('anything else is not the idiom, and says why', () => {
    const cases: [string, RegExp][] = [
      ['useradd -r -d "$HOME" app', /expands variables/],
      ['getent passwd app | grep -q app || useradd app', /"\|"/],
      ['if ! getent group g; then groupadd g; fi', /runs "if"/],
      ['useradd -r -m app', /-m is not part of the idiom/],
      ['systemctl daemon-reload', /runs "systemctl"/],
      ['exit 1', /exits with 1/],
    ];
    for (const [script, why] of cases) {
      const r = parsePrein(script, '', pre);
      assert.ok('unparsed' in r && why.test(r.unparsed), `${script}: ${JSON.stringify(r)}`);
    }
    assert.deepEqual(parsePrein('print("x")', '<lua>', pre), { unparsed: 'its interpreter is <lua>' });
  });
});

describe('ids for the whole compose', () => {
  const u = (name: string, extra: Partial<Extract<Decl, { kind: 'user' }>> = {}, where = 'a.conf'): Decl[] => [
    { kind: 'user', name, gecos: '', home: '/', shell: '/sbin/nologin', origin: origin(where), style: 'sysusers', ...extra },
    ...(extra.group === undefined ? [{ kind: 'group' as const, name, own: true, origin: origin(where), style: 'sysusers' as const, ...(extra.uid !== undefined ? { prefer: extra.uid } : {}) }] : []),
  ];
  const none = { users: new Map<string, number>(), groups: new Map<string, number>() };

  test('an id one image uses is skipped for every other; a name an image has keeps its id', () => {
    const a = { users: new Map([['taken', 999]]), groups: new Map([['taken', 999]]) };
    const b = { users: new Map([['app', 321]]), groups: new Map([['app', 321]]) };
    const { ids } = allocate([...u('app'), ...u('new')], [a, b]);
    assert.deepEqual(ids, { users: { app: 321, new: 998 }, groups: { app: 321, new: 998 } });
  });

  test('the lock pins ids: a name added later never moves one made before, and a pinned id is never reused', () => {
    const first = allocate(u('web'), [none]).ids;
    assert.equal(first.users.web, 999);
    const later = allocate([...u('api'), ...u('web')], [none], first).ids;
    assert.equal(later.users.web, 999, 'web keeps its id');
    assert.equal(later.users.api, 998, 'api does not take web’s');
    const gone = allocate(u('api2'), [none], first).ids;
    assert.equal(gone.users.api2, 998, 'web, pinned, is not declared any more: its id stays reserved');
  });

  test('explicit ids are kept; two for one name is an error naming both sources; the compose wins over a package, with a warning', () => {
    assert.deepEqual(allocate(u('x', { uid: 500 }), [none]).ids.users, { x: 500 });
    assert.throws(
      () => allocate([...u('x', { uid: 500 }, 'a.conf'), ...u('x', { uid: 501 }, 'b.conf')], [none]),
      (e: unknown) => e instanceof AccountsError && e.code === 'ACCOUNTS_ID_CONFLICT' && /x has uid 500 in pkg-1-1\.noarch \(a\.conf\) and uid 501 in pkg-1-1\.noarch \(b\.conf\)/.test(e.message),
    );
    const compose: Decl = { kind: 'user', name: 'x', uid: 700, gecos: '', home: '/', shell: '/bin/sh', origin: { kind: 'compose', where: '$.users[0]' }, style: 'sysusers' };
    const r = allocate([...u('x', { uid: 500 }), compose], [none]);
    assert.equal(r.ids.users.x, 700);
    assert.match(r.warnings[0]!, /^x: the compose file's entry \(\$\.users\[0\]\) wins over pkg-1-1\.noarch \(a\.conf\)$/);
  });

  test('r lines bound the allocation', () => {
    const ranged: Decl[] = [{ kind: 'range', from: 500, to: 501, origin: origin('r.conf') }, ...u('a'), ...u('b')];
    assert.deepEqual(allocate(ranged, [none]).ids.users, { a: 501, b: 500 });
    assert.throws(() => allocate([...ranged, ...u('c')], [none]), (e: unknown) => e instanceof AccountsError && e.code === 'ACCOUNTS_EXHAUSTED');
  });
});

describe('images with their users and groups (usrmerge fixtures)', () => {
  const repo = path.join(fixtures, 'repos/usrmerge');
  const rpm = (name: string) => path.join(repo, 'Packages', name);
  const SDE = { SOURCE_DATE_EPOCH: '1704067200' };
  /** compose with SOURCE_DATE_EPOCH set (shadow's last change comes from it). */
  const composeAt = (w: Workspace, ...args: string[]) => cli(['compose', w.file, '--cache-dir', w.cache, '-q', ...args], { cwd: w.dir, env: SDE });
  /** What rpm sees when a package's users exist before its files are installed: setup, then sysusers (as %pre would run it), then the package. */
  const referenceRoot = (pkg: string, conf: string) => {
    const root = dnfInstall(['setup'], { repo });
    mkdirSync(path.join(root, 'usr/lib/sysusers.d'), { recursive: true });
    writeFileSync(path.join(root, 'usr/lib/sysusers.d/pkg.conf'), conf);
    run('systemd-sysusers', ['--root', root], { env: SDE });
    return dnfInstall([pkg], { repo, into: root });
  };
  /** The image's files as the reference's: every path rpm installed, account files included, byte for byte. */
  const assertFilesAsReference = (rootfs: string, ref: string) => {
    const owned = run('rpm', ['--root', ref, '-qal']).split('\n').filter((p) => p.startsWith('/'));
    assert.ok(owned.includes('/etc/passwd') && owned.some((p) => p.startsWith('/var/lib/')));
    assert.deepEqual(manifest(rootfs, owned), manifest(ref, owned));
  };
  const payloadFile = (pkg: string, file: string) => {
    const dir = tmp('rpmcompose-payload-');
    run('sh', ['-c', 'cd "$1" && rpm2cpio "$2" | cpio -idm --quiet', 'sh', dir, rpm(pkg)]);
    return readFileSync(path.join(dir, file), 'utf8');
  };
  const accountsOf = (r: { stdout: string }, image: string) =>
    (JSON.parse(r.stdout).images as { name: string; accounts: { kind: string; name: string; id: number; from: string }[] }[]).find((i) => i.name === image)!.accounts;

  test('a sysusers.d file: passwd, group, shadow, gshadow and every owner as systemd-sysusers then rpm make them, byte for byte', () => {
    const w = workspace({ sys: { packages: ['accounts-sysusers'] } }, {}, repo);
    const r = ok(composeAt(w, '-o', path.join(w.dir, 'out'), '--json'));
    const image = unpack(path.join(w.dir, 'out'), 'sys');
    assertFilesAsReference(image, referenceRoot('accounts-sysusers', payloadFile('accounts-sysusers-1.0-1.noarch.rpm', 'usr/lib/sysusers.d/sysweb.conf')));
    assert.deepEqual(
      accountsOf(r, 'sys').map((a) => `${a.kind} ${a.name} ${a.from}`),
      ['group syswebgrp', 'group sysweb', 'user sysweb'].map((a) => `${a} accounts-sysusers-1.0-1.noarch (/usr/lib/sysusers.d/sysweb.conf)`),
    );
    // rpm in the image finds every owner: no U or G in its verification of the package.
    assert.equal(run('rpm', ['--root', image, '--dbpath', '/usr/lib/sysimage/rpm', '-V', 'accounts-sysusers']), '');
  });

  test('rpm ≥ 4.19’s user()/group()/groupmember() provides are the declaration (the payload’s file lacks the m line)', () => {
    const w = workspace({ prov: { packages: ['accounts-provides'] } }, {}, repo);
    const r = ok(composeAt(w, '-o', path.join(w.dir, 'out'), '--json'));
    const lines = 'u provuser 470 "Provides user" /var/lib/provuser /sbin/nologin\ng provgroup -\nm provuser wheel\n';
    assertFilesAsReference(unpack(path.join(w.dir, 'out'), 'prov'), referenceRoot('accounts-provides', lines));
    assert.ok(accountsOf(r, 'prov').every((a) => a.from === 'accounts-provides-1.0-1.noarch (user()/group() provides)'));
  });

  test('the %pre idiom: its accounts made, not run; fixed ids kept; a %pre that does more is reported and its owner maps to root', () => {
    const w = workspace({ pre: { packages: ['accounts-pre', 'accounts-pre-fixed'] }, more: { packages: ['accounts-pre-more'] } }, {}, repo);
    const r = composeAt(w, '-o', path.join(w.dir, 'out'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^note: accounts-pre-more-1\.0-1\.noarch: its %pre is not the users-and-groups idiom \(it uses the glob "\["\): users or groups it would make are missing$/m);
    assert.match(r.stderr, /^warning: more \(x86_64\): owners not in the image's passwd\/group, mapped to root: group:premore, user:premore$/m);
    assert.doesNotMatch(r.stderr, /accounts-pre-1\.0-1\.noarch: its %pre/);
    const image = unpack(path.join(w.dir, 'out'), 'pre');
    const lines = (f: string) => readFileSync(path.join(image, f), 'utf8').split('\n');
    const id = Number(lines('etc/passwd').find((l) => l.startsWith('preauto:'))!.split(':')[2]);
    assert.ok(id >= 1 && id <= 999 && id !== 450);
    const setup = (f: string) => payloadFile('setup-2.13.7-1.noarch.rpm', f).split('\n');
    // setup's lines, wheel gaining its member, then the accounts in the order they were made.
    const expect = (f: string, added: string[], wheel?: string) => [...setup(f).slice(0, -1).map((l) => (wheel && l.startsWith('wheel:') ? `${l}${wheel}` : l)), ...added, ''];
    assert.deepEqual(lines('etc/passwd'), expect('etc/passwd', [`preauto:x:${id}:${id}:Pre auto:/var/lib/preauto:/sbin/nologin`, 'prefixed:x:450:450:Pre fixed:/var/lib/prefixed:/sbin/nologin']));
    assert.deepEqual(lines('etc/group'), expect('etc/group', [`preauto:x:${id}:`, 'prefixed:x:450:'], 'preauto'));
    assert.deepEqual(lines('etc/shadow'), expect('etc/shadow', ['preauto:!!:19723::::::', 'prefixed:!!:19723::::::']));
    assert.deepEqual(lines('etc/gshadow'), expect('etc/gshadow', ['preauto:!::', 'prefixed:!::'], 'preauto'));
    assert.equal(manifest(image, ['/var/lib/preauto'])['/var/lib/preauto'] && (manifest(image, ['/var/lib/preauto'])['/var/lib/preauto'] as { uid: number }).uid, id);
    assert.equal(run('rpm', ['--root', image, '--dbpath', '/usr/lib/sysimage/rpm', '-V', 'accounts-pre', 'accounts-pre-fixed']), '');
  });

  test('a compose of one image gives it the ids the whole compose gives, without a lock: every image’s declarations are read', () => {
    // sys's sysusers file makes its accounts first, so pre's id depends on it.
    const w = workspace({ sys: { packages: ['accounts-sysusers'] }, pre: { packages: ['accounts-pre'] } }, {}, repo);
    const alone = ok(composeAt(w, '-o', path.join(w.dir, 'alone'), '--image', 'pre', '--json'));
    assert.ok(!existsSync(path.join(w.dir, 'compose.lock.json')), 'a partial compose writes no lock');
    const whole = ok(composeAt(w, '-o', path.join(w.dir, 'whole'), '--json'));
    assert.deepEqual(accountsOf(alone, 'pre'), accountsOf(whole, 'pre'));
    assert.equal(accountsOf(whole, 'pre').find((a) => a.name === 'preauto')!.id, 998, 'groups first, as sysusers makes them: sys’s syswebgrp (999), then preauto');
  });

  test('one id per name across the images; the lock pins it, so a package with users joining an image moves no id', () => {
    const w = workspace({ sys: { packages: ['accounts-sysusers'] }, pre: { packages: ['accounts-pre'] } }, {}, repo);
    const first = ok(composeAt(w, '-o', path.join(w.dir, 'out'), '--json'));
    const pins = JSON.parse(readFileSync(path.join(w.dir, 'compose.lock.json'), 'utf8')).ids;
    assert.deepEqual(Object.keys(pins.users).sort(), ['preauto', 'sysweb']);
    // Both in one image now, and a new user from the compose file for every image.
    writeFileSync(
      w.file,
      JSON.stringify({
        ...JSON.parse(readFileSync(w.file, 'utf8')),
        // accounts-provides' g line sorts first: unpinned, it would take sys's first id.
        images: { sys: { packages: ['accounts-sysusers', 'accounts-pre'] }, pre: { packages: ['accounts-pre'] }, both: { packages: ['accounts-pre', 'accounts-sysusers', 'accounts-pre-fixed', 'accounts-provides'] } },
        users: [{ name: 'app', home: '/srv/app', groups: ['wheel'] }],
      }),
    );
    const second = ok(composeAt(w, '-o', path.join(w.dir, 'out2'), '--json'));
    const idsIn = (r: typeof first, image: string) => Object.fromEntries(accountsOf(r, image).map((a) => [`${a.kind} ${a.name}`, a.id]));
    for (const image of ['sys', 'pre', 'both']) {
      for (const [k, v] of Object.entries(idsIn(second, image))) {
        const [kind, name] = k.split(' ') as [string, string];
        const pinned = (kind === 'user' ? pins.users : pins.groups)[name];
        if (pinned !== undefined) assert.equal(v, pinned, `${image}: ${k} moved`);
        for (const other of ['sys', 'pre', 'both']) if (idsIn(second, other)[k] !== undefined) assert.equal(idsIn(second, other)[k], v, `${k}: ${image} and ${other} differ`);
      }
    }
    assert.equal(idsIn(first, 'sys')['user sysweb'], idsIn(second, 'both')['user sysweb']);
    assert.ok(idsIn(second, 'both')['user app']! > 0 && accountsOf(second, 'both').find((a) => a.name === 'app')!.from === 'the compose file ($.users[0])');
    const relocked = JSON.parse(readFileSync(path.join(w.dir, 'compose.lock.json'), 'utf8')).ids;
    assert.deepEqual(Object.keys(relocked.users).sort(), ['app', 'preauto', 'prefixed', 'provuser', 'sysweb']);
    // `lock`, which reads no package, keeps them.
    ok(cli(['lock', w.file, '--cache-dir', w.cache, '-q'], { cwd: w.dir }));
    assert.deepEqual(JSON.parse(readFileSync(path.join(w.dir, 'compose.lock.json'), 'utf8')).ids, relocked);
  });
});
