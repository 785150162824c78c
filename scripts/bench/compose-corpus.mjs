#!/usr/bin/env node
// Corpus of the compose benchmark (scripts/bench-compose.sh; docs/BENCHMARKS.md,
// "Compose"): real-size RPMs rebuilt with rpmbuild from the files of Debian
// packages installed on this machine (no distro RPM can be downloaded here).
//
//   node scripts/bench/compose-corpus.mjs [--out DIR] [--compose-only]
//     DIR defaults to bench-out/compose; --compose-only rewrites the compose files only
//
// For each Debian package in PACKAGES: `dpkg -L` gives its paths; every path that
// exists is copied into the buildroot with tar (modes, owners, mtimes, symlinks and
// the hard links between the package's own files kept), /bin /sbin /lib /lib64 are
// folded into /usr as on a merged-/usr system (base-files carries the four
// symlinks, like Fedora's filesystem package), directories become %dir and dpkg
// conffiles %config(noreplace). Requires = the package's Depends + Pre-Depends
// that name another corpus package (first alternative in the corpus; versions
// dropped); `AutoReqProv: no`. Debian "Architecture: all" → noarch, else x86_64.
// Payload compressors are mixed (XZ and GZIP lists below, zstd level 3 otherwise).
// Deterministic settings as scripts/fixtures/build.sh (SOURCE_DATE_EPOCH, clamped
// mtimes, fixed build host). Output:
//   DIR/repo/Packages/*.rpm + DIR/repo/repodata (createrepo_c)
//   DIR/corpus.json   per package: files, installed bytes, compressor, rpm size
//   DIR/compose.json  the 5 images of the benchmark (IMAGES below)
//   DIR/compose-half.json  the 3 smaller ones (max RSS vs installed bytes)
// Two rpmbuilds run at once (2 cores).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
let OUT = join(ROOT, 'bench-out', 'compose');
let composeOnly = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--out') OUT = resolve(argv[++i]);
  else if (argv[i] === '--compose-only') composeOnly = true;
  else { console.error(`unknown argument: ${argv[i]}`); process.exit(2); }
}
const EPOCH = 1704067200; // 2024-01-01T00:00:00Z, as scripts/fixtures/build.sh
const log = (...a) => console.error('compose-corpus:', ...a);

// Debian packages → one RPM each (same name). Grouped by the image that first needs them.
const PACKAGES = [
  // base: bash + coreutils and the libraries under them
  'base-files', 'libc6', 'libgcc-s1', 'libstdc++6', 'zlib1g', 'libzstd1', 'liblzma5', 'libbz2-1.0',
  'libtinfo6', 'bash', 'coreutils', 'libselinux1', 'libpcre2-8-0', 'libacl1', 'libattr1', 'libgmp10',
  'libssl3', 'libcrypt1', 'tzdata', 'openssl',
  // python
  'libexpat1', 'libffi8', 'libsqlite3-0', 'libncursesw6', 'libreadline8', 'readline-common', 'media-types',
  'libuuid1', 'libdb5.3', 'python3.11-minimal', 'libpython3.11-minimal', 'libpython3.11-stdlib', 'python3.11',
  // perl + git
  'perl-base', 'perl-modules-5.36', 'libperl5.36', 'perl', 'libgdbm6', 'libgdbm-compat4',
  'git', 'git-man', 'libcurl3-gnutls',
  // gcc
  'gcc-12', 'cpp-12', 'libgcc-12-dev', 'binutils', 'binutils-x86-64-linux-gnu', 'binutils-common',
  'libbinutils', 'libctf0', 'libctf-nobfd0', 'libisl23', 'libmpc3', 'libmpfr6', 'libc6-dev',
  'linux-libc-dev', 'libcrypt-dev', 'libjansson4', 'libgprofng0', 'libcc1-0', 'libgomp1', 'libitm1',
  'libatomic1', 'libasan8', 'liblsan0', 'libtsan2', 'libubsan1', 'libquadmath0',
  // node (nodesource build: node, npm, corepack, headers)
  'nodejs',
];
const XZ = new Set(['libc6', 'tzdata', 'perl-modules-5.36', 'libpython3.11-stdlib', 'git', 'linux-libc-dev', 'libssl3']);
const GZIP = new Set(['coreutils', 'bash', 'libperl5.36', 'perl-base', 'git-man', 'binutils-common',
  'binutils-x86-64-linux-gnu', 'libgcc-12-dev', 'libasan8', 'libtsan2', 'libpython3.11-minimal', 'python3.11-minimal', 'libc6-dev']);
const payload = (p) => (XZ.has(p) ? 'w6.xzdio' : GZIP.has(p) ? 'w6.gzdio' : 'w3.zstdio');

const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
};

const inCorpus = new Set(PACKAGES);
const MERGED = new Map([['/bin', '/usr/bin'], ['/sbin', '/usr/sbin'], ['/lib', '/usr/lib'], ['/lib64', '/usr/lib64']]);
const BAD = /[\s"\\*?[\]{}%]/; // would need quoting or escaping in %files: left out, counted

function canonical(p) {
  // the directories leading to p resolved (merged /usr), p itself kept (it may be a symlink)
  const d = dirname(p);
  return d === '/' ? (MERGED.get(p) ?? p) : join(realpathSync(d), basename(p));
}

function depends(field) {
  const out = [];
  for (const group of field.split(',').map((s) => s.trim()).filter(Boolean)) {
    for (const alt of group.split('|')) {
      const name = alt.trim().split(/[\s(]/)[0].replace(/:any$/, '');
      if (inCorpus.has(name)) { out.push(name); break; }
    }
  }
  return [...new Set(out)];
}

const REPO = join(OUT, 'repo');
// The compose files: 5 images with overlapping sets (all share libc6, bash, coreutils' libraries).
const IMAGES = {
  base: ['bash', 'coreutils'],
  python: ['python3.11', 'bash', 'coreutils'],
  perl: ['perl', 'git', 'bash', 'coreutils'],
  gcc: ['gcc-12', 'bash', 'coreutils'],
  node: ['nodejs', 'bash', 'coreutils'],
};
const composeFile = (names) => ({
  releasever: '12',
  arch: ['x86_64'],
  repos: { bench: { baseurl: pathToFileURL(REPO).href } },
  options: { weakDeps: false, docs: true },
  images: Object.fromEntries(names.map((n) => [n, { packages: IMAGES[n], entrypoint: ['/bin/bash'] }])),
});
function writeComposeFiles() {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'compose.json'), JSON.stringify(composeFile(Object.keys(IMAGES)), null, 2) + '\n');
  writeFileSync(join(OUT, 'compose-half.json'), JSON.stringify(composeFile(['base', 'python', 'perl']), null, 2) + '\n');
  log(`compose files: ${join(OUT, 'compose.json')}, compose-half.json`);
}

writeComposeFiles();
if (composeOnly) process.exit(0);

const SPECS = join(OUT, 'specs');
const TOP = join(OUT, 'rpmbuild');
for (const d of [SPECS, TOP, REPO]) rmSync(d, { recursive: true, force: true });
mkdirSync(SPECS, { recursive: true });
mkdirSync(join(REPO, 'Packages'), { recursive: true });

const corpus = [];
for (const pkg of PACKAGES) {
  const q = sh('dpkg-query', ['-W', '-f=${Version}\t${Architecture}\t${Pre-Depends}\t${Depends}\t${binary:Summary}', pkg]).split('\t');
  const [ver, debArch, pre, dep, summary] = q;
  const m = ver.match(/^(?:(\d+):)?(.+?)(?:-([^-]+))?$/);
  const [epoch, version, release] = [m[1], m[2].replaceAll('-', '_'), (m[3] ?? '0').replaceAll('-', '_')];
  const conffiles = new Set(
    existsSync(`/var/lib/dpkg/info/${pkg}.conffiles`)
      ? readFileSync(`/var/lib/dpkg/info/${pkg}.conffiles`, 'utf8').split('\n').filter((l) => l.startsWith('/')).map((l) => l.trim())
      : [],
  );
  const seen = new Set();
  const entries = []; // [canonical path, isDir, isConf]
  let skipped = 0;
  let missing = 0;
  let bytes = 0;
  let links = 0;
  let hard = 0;
  for (const raw of sh('dpkg', ['-L', pkg]).split('\n')) {
    if (!raw.startsWith('/') || raw === '/.') continue;
    let st;
    try { st = lstatSync(raw); } catch { missing++; continue; }
    if (MERGED.has(raw)) continue; // the /bin etc. symlinks themselves: base-files adds them
    const p = st.isDirectory() ? realpathSync(raw) : canonical(raw);
    if (BAD.test(p)) { skipped++; continue; }
    if (seen.has(p)) continue;
    seen.add(p);
    if (st.isFile()) { bytes += st.size; if (st.nlink > 1) hard++; }
    if (st.isSymbolicLink()) links++;
    entries.push([p, st.isDirectory(), conffiles.has(raw)]);
  }
  const extraLinks = pkg === 'base-files' ? [...MERGED].map(([l, t]) => [l, t.slice(1)]) : [];
  const requires = depends(`${pre}, ${dep}`).filter((d) => d !== pkg);
  const arch = debArch === 'all' ? 'noarch' : 'x86_64';
  const list = entries.map(([p]) => p.slice(1)).join('\n') + '\n';
  writeFileSync(join(SPECS, `${pkg}.list`), list);
  const files = entries.map(([p, dir, conf]) => `${dir ? '%dir ' : conf ? '%config(noreplace) ' : ''}"${p}"`);
  files.push(...extraLinks.map(([l]) => `"${l}"`));
  const spec = [
    `# generated by scripts/bench/compose-corpus.mjs from the installed Debian package ${pkg} ${ver}`,
    `%global _binary_payload ${payload(pkg)}`,
    `Name: ${pkg}`,
    ...(epoch ? [`Epoch: ${epoch}`] : []),
    `Version: ${version}`,
    `Release: ${release}`,
    `Summary: ${summary.replaceAll('%', '%%') || pkg}`,
    'License: see /usr/share/doc/%{name}/copyright (Debian)',
    'URL: https://packages.debian.org/bookworm/%{name}',
    'AutoReqProv: no',
    ...(arch === 'noarch' ? ['BuildArch: noarch'] : []),
    ...requires.map((r) => `Requires: ${r}`),
    '',
    '%description',
    `Files of the Debian package ${pkg} ${ver} (${debArch}) as installed on the benchmark machine.`,
    '',
    '%install',
    'mkdir -p %{buildroot}',
    `tar -C / --no-recursion -cf - -T ${join(SPECS, `${pkg}.list`)} | tar -C %{buildroot} -xpf -`,
    ...extraLinks.map(([l, t]) => `ln -s ${t} %{buildroot}${l}`),
    '',
    '%files',
    ...files,
    '',
  ].join('\n');
  writeFileSync(join(SPECS, `${pkg}.spec`), spec);
  corpus.push({ name: pkg, debVersion: ver, arch, payload: payload(pkg), requires, entries: entries.length, regularBytes: bytes, symlinks: links, hardlinkedFiles: hard, skipped, missing });
  if (skipped) log(`${pkg}: ${skipped} paths left out (characters %files would need escaped)`);
}

// rpmbuild, two at a time
function build(c) {
  const top = join(TOP, c.name);
  for (const d of ['BUILD', 'BUILDROOT', 'RPMS', 'SOURCES', 'SPECS', 'SRPMS']) mkdirSync(join(top, d), { recursive: true });
  const args = [
    '-bb', '--quiet',
    '--define', `_topdir ${top}`,
    '--define', `_dbpath ${join(TOP, 'rpmdb')}`,
    '--define', '_buildhost bench.rpmcompose',
    '--define', 'use_source_date_epoch_as_buildtime 1',
    '--define', 'clamp_mtime_to_source_date_epoch 1',
    '--define', '_binary_filedigest_algorithm 8',
    '--define', '__os_install_post %{nil}',
    '--define', '__arch_install_post %{nil}',
    '--define', '_binaries_in_noarch_packages_terminate_build 0',
    '--define', '_build_id_links none',
    '--define', 'debug_package %{nil}',
    '--define', '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
    '--define', 'vendor rpmcompose bench',
    '--define', 'packager rpmcompose bench',
    ...(c.arch === 'noarch' ? [] : ['--target', 'x86_64']),
    join(SPECS, `${c.name}.spec`),
  ];
  return new Promise((res, rej) => {
    const ch = spawn('rpmbuild', args, { env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH), LC_ALL: 'C', TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    ch.stdout.on('data', (d) => (err += d));
    ch.stderr.on('data', (d) => (err += d));
    ch.on('close', (code) => {
      if (code !== 0) return rej(new Error(`rpmbuild ${c.name}: exit ${code}\n${err.slice(-3000)}`));
      const rpms = [];
      const walk = (d) => readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.rpm') && rpms.push(join(d, e.name))));
      walk(join(top, 'RPMS'));
      for (const r of rpms) {
        const dest = join(REPO, 'Packages', basename(r));
        renameSync(r, dest);
        utimesSync(dest, EPOCH, EPOCH);
        c.rpm = basename(r);
        c.rpmBytes = statSync(dest).size;
      }
      rmSync(top, { recursive: true, force: true });
      log(`${c.name}: ${c.rpm} ${(c.rpmBytes / 1e6).toFixed(1)} MB (${c.payload})`);
      res();
    });
  });
}
process.umask(0o022);
const queue = [...corpus].sort((a, b) => b.regularBytes - a.regularBytes); // big ones first
await Promise.all([0, 1].map(async () => {
  for (let c; (c = queue.shift());) await build(c);
}));

sh('createrepo_c', ['--quiet', '--no-database', '--revision', String(EPOCH), '--set-timestamp-to-revision', REPO]);
const sum = (k) => corpus.reduce((s, c) => s + (c[k] || 0), 0);
writeFileSync(join(OUT, 'corpus.json'), JSON.stringify({ packages: corpus.length, regularBytes: sum('regularBytes'), rpmBytes: sum('rpmBytes'), corpus }, null, 2) + '\n');
log(`${corpus.length} RPMs, ${(sum('regularBytes') / 1e6).toFixed(1)} MB of regular files, ${(sum('rpmBytes') / 1e6).toFixed(1)} MB of RPMs → ${REPO}`);
