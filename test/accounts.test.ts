// Users and groups from declarations (src/accounts): sysusers.d lines against Debian's
// systemd-sysusers 252 on the same root, the %pre idiom read and never run, ids for the
// whole compose (explicit kept, pins kept, nothing reused), and the account files written
// as the declaring tool writes them.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { allocate } from '../src/accounts/allocate.js';
import type { Decl, Origin } from '../src/accounts/decls.js';
import { ACCOUNT_FILES, existingIds, renderAccounts, type AccountTexts } from '../src/accounts/files.js';
import { parsePrein } from '../src/accounts/prein.js';
import { parseSysusers } from '../src/accounts/sysusers.js';
import { AccountsError } from '../src/errors.js';
import { fixtures, run, tmp } from './helpers.js';

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
    'a-db.conf': 'u db - "Database" /var/lib/db\ng data 777\n',
    'b-web.conf': '# web\ng webadmins -\nu web - "Web Server" /var/www -\nm web webadmins\nu fixed 440 "Fixed" /srv/fixed /sbin/nologin\nu shared 600:data "Shared" - -\n',
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
      ['group data 777', 'group webadmins 999', 'group db 998', 'user db 998', 'group web 997', 'user web 997', 'group fixed 440', 'user fixed 440', 'user shared 600'],
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
