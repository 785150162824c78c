#!/usr/bin/env node
// Convert Debian's binary package index (bookworm, amd64) into an rpm-md repo
// (repodata/primary.xml.gz, filelists.xml.gz, repomd.xml) with the same
// dependency graph, so that dnf and rpmcompose can be benchmarked on a
// real-world graph at Fedora scale (bookworm main alone: ~63,000 packages).
//
// Usage:
//   node scripts/bench/debian-to-rpmmd.mjs [--packages FILE]... [--out DIR] [--timestamp SECS]
//
//   --packages FILE  a Debian "Packages" index, plain or .gz/.xz/.lz4/.zst
//                    (repeatable). Default: apt's list for bookworm main amd64
//                    under /var/lib/apt/lists; `apt-get update` is run if missing.
//   --out DIR        output repo dir (default: $BENCH_DIR/repo, else bench-out/repo)
//   --timestamp N    the fixed timestamp written into the metadata (default:
//                    $SOURCE_DATE_EPOCH, else the Date: of the matching InRelease,
//                    else 1684540800). Output is byte-identical for the same input.
//
// Mapping (Debian → rpm), also described in docs/BENCHMARKS.md:
//   Package → name; Version [e:]upstream[-revision] → epoch/ver/rel (see evr():
//   no revision → rel "0", '-' inside upstream → '^', ':' → '_' — applied
//   identically to packages and to versions in dependencies); amd64 → x86_64,
//   all → noarch; Depends → requires, Pre-Depends → requires pre="1",
//   alternatives "a (>= 1) | b" → one rich dep "(a >= 1-0 or b)";
//   Recommends/Suggests/Enhances → weak deps; Provides → provides (+ the
//   package itself, name = e:v-r, as createrepo does); Conflicts, Breaks →
//   conflicts; Replaces on a name that is also in Conflicts/Breaks → obsoletes;
//   :any/:native qualifiers stripped; << → LT, >> → GT, (old < and > → LE, GE);
//   versioned relations on a name some package provides unversioned → on
//   deb-versioned(name) (see UNVERSIONED below). Installed-Size KiB → installed
//   size in bytes, Size → package size, Filename → location, SHA256 → pkgid,
//   Description → summary, Section → group, Homepage → url.
//   filelists: Debian's index has no file lists; every package gets one file,
//   /usr/share/doc/<name>/copyright.
//   Every package of the index is kept, several versions of one name included.
//
// Node builtins only. Decompression of .xz/.lz4/.zst goes through apt's own
// /usr/lib/apt/apt-helper cat-file (present wherever apt is).

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LISTS = '/var/lib/apt/lists';
const LIST_RE = /_dists_bookworm_main_binary-amd64_Packages(\.(gz|xz|lz4|zst))?$/;

// ---------- arguments ----------
const args = process.argv.slice(2);
const inputs = [];
let outDir = join(process.env.BENCH_DIR ? resolve(process.env.BENCH_DIR) : join(ROOT, 'bench-out'), 'repo');
let timestamp = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) : undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--packages') inputs.push(resolve(args[++i]));
  else if (a === '--out') outDir = resolve(args[++i]);
  else if (a === '--timestamp') timestamp = Number(args[++i]);
  else if (a === '-h' || a === '--help') {
    console.log('usage: debian-to-rpmmd.mjs [--packages FILE]... [--out DIR] [--timestamp SECS]');
    process.exit(0);
  } else {
    console.error(`unknown argument: ${a}`);
    process.exit(2);
  }
}

function findAptList() {
  if (!existsSync(LISTS)) return undefined;
  const f = readdirSync(LISTS).filter((n) => LIST_RE.test(n)).sort()[0];
  return f ? join(LISTS, f) : undefined;
}

if (inputs.length === 0) {
  let f = findAptList();
  if (!f) {
    console.error('debian-to-rpmmd: no bookworm main amd64 Packages list; running apt-get update');
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    f = findAptList();
  }
  if (!f) {
    console.error(`debian-to-rpmmd: still no *_dists_bookworm_main_binary-amd64_Packages* under ${LISTS}; ` +
      'add "deb http://deb.debian.org/debian bookworm main" to apt sources or pass --packages FILE');
    process.exit(2);
  }
  inputs.push(f);
}

if (timestamp === undefined) {
  // Date: of the InRelease the first list belongs to, so the value follows the snapshot.
  const m = basename(inputs[0]).match(/^(.*_dists_[^_]+)_/);
  const inrel = m && join(dirname(inputs[0]), `${m[1]}_InRelease`);
  if (inrel && existsSync(inrel)) {
    const d = readFileSync(inrel, 'utf8').match(/^Date: (.+)$/m);
    if (d) timestamp = Math.floor(Date.parse(d[1]) / 1000);
  }
  if (!Number.isFinite(timestamp)) timestamp = 1684540800;
}

function readIndex(path) {
  if (path.endsWith('.gz')) return gunzipSync(readFileSync(path)).toString('utf8');
  if (/\.(xz|lz4|zst|bz2|lzma)$/.test(path)) {
    return execFileSync('/usr/lib/apt/apt-helper', ['cat-file', path], { maxBuffer: 1 << 30 }).toString('utf8');
  }
  return readFileSync(path, 'utf8');
}

// ---------- Debian control parsing ----------
function parseStanzas(text) {
  const out = [];
  for (const block of text.split(/\n\s*\n/)) {
    if (!block.trim()) continue;
    const f = Object.create(null);
    let key = null;
    for (const line of block.split('\n')) {
      if (line.startsWith(' ') || line.startsWith('\t')) {
        if (key) f[key] += '\n' + line;
      } else {
        const c = line.indexOf(':');
        if (c <= 0) continue;
        key = line.slice(0, c);
        f[key] = line.slice(c + 1).trim();
      }
    }
    if (f.Package) out.push(f);
  }
  return out;
}

// Version [epoch:]upstream[-revision] → rpm EVR. Same function for packages and deps.
// - no revision → rel "0": dpkg compares a missing revision equal to "0", and an
//   rpm dep without a release would ignore the release ("> 1.2" would then not
//   be met by 1.2-1, which dpkg's ">> 1.2" is).
// - '-' inside upstream → '^' (rpm's caret: sorts after the end of the string,
//   before any further segment — like dpkg's '-', which sorts before '.' and
//   digits: 12-20211113 < 12.2.0 in both); ':' inside upstream → '_'.
// - a revision with no alphanumerics (git's "<< 1:2.39.5-.", meaning "any
//   revision of 2.39.5") → version + '^', rel "0".
function evr(v) {
  let epoch = '0';
  let rest = v.trim();
  const c = rest.indexOf(':');
  if (c > 0 && /^\d+$/.test(rest.slice(0, c))) {
    epoch = String(Number(rest.slice(0, c)));
    rest = rest.slice(c + 1);
  }
  let ver = rest;
  let rel = '0';
  const d = rest.lastIndexOf('-');
  if (d > 0) {
    ver = rest.slice(0, d);
    rel = rest.slice(d + 1);
  }
  ver = ver.replace(/-/g, '^').replace(/[^A-Za-z0-9._+~^]/g, '_');
  if (!/[A-Za-z0-9~]/.test(rel)) {
    if (rel !== '') ver += '^';
    rel = '0';
  }
  rel = rel.replace(/[^A-Za-z0-9._+~]/g, '_');
  return { epoch, ver, rel };
}

const FLAGS = { '<<': 'LT', '<=': 'LE', '=': 'EQ', '>=': 'GE', '>>': 'GT', '<': 'LE', '>': 'GE' };
const RICHOP = { LT: '<', LE: '<=', EQ: '=', GE: '>=', GT: '>' };
const REL_RE = /^([^\s(:[<]+)(?::[A-Za-z0-9-]+)?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([^)\s]+)\s*\))?/;

// One relation "name[:arch] [(op version)]" → {name, flags?, evr?}
function parseRel(s) {
  const m = s.trim().match(REL_RE);
  if (!m) return null;
  const r = { name: m[1] };
  if (m[2]) {
    r.flags = FLAGS[m[2]];
    r.evr = evr(m[3]);
  }
  return r;
}

// Debian: an unversioned "Provides: N" satisfies only unversioned relations on N;
// a versioned relation on N is met by the real package N or a versioned
// "Provides: N (= v)". rpm (and libsolv) let an unversioned provide meet any
// versioned dep, which turns e.g. perl-base's "Breaks: perl-modules (<< 5.36.0~)"
// into a conflict with perl-modules-5.36 ("Provides: perl-modules"), and makes
// every perl-using set unresolvable. So for the names N that some package
// provides unversioned (set UNVERSIONED, filled in a first pass), versioned
// requires/conflicts/weak deps on N use the name `deb-versioned(N)`, which only the
// real package N and the versioned providers of N provide. Obsoletes match
// package names only, so they keep N.
const UNVERSIONED = new Set();
const marker = (n) => `deb-versioned(${n})`;
function rewrite(r) {
  return r.flags && UNVERSIONED.has(r.name) ? { ...r, name: marker(r.name) } : r;
}

// A relationship field → list of entries; an entry is either a plain relation or
// {rich: "(a or b >= 1)"} for alternatives. map: applied to each relation.
function parseField(value, map = rewrite) {
  if (!value) return [];
  const out = [];
  for (const group of value.split(',')) {
    if (!group.trim()) continue;
    const alts = group.split('|').map(parseRel).filter(Boolean).map(map);
    if (alts.length === 0) continue;
    const uniq = [...new Map(alts.map((a) => [relText(a), a])).values()];
    if (uniq.length === 1) out.push(uniq[0]);
    else out.push({ rich: `(${uniq.map(relText).join(' or ')})` });
  }
  return out;
}

function evrText(e) {
  return `${e.epoch !== '0' ? e.epoch + ':' : ''}${e.ver}-${e.rel}`;
}
function relText(r) {
  return r.flags ? `${r.name} ${RICHOP[r.flags]} ${evrText(r.evr)}` : r.name;
}

// ---------- XML ----------
const XML_BAD = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;
function esc(s) {
  return String(s)
    .replace(XML_BAD, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function entryXml(e, pre) {
  if (e.rich) return `      <rpm:entry name="${esc(e.rich)}"${pre ? ' pre="1"' : ''}/>\n`;
  let s = `      <rpm:entry name="${esc(e.name)}"`;
  if (e.flags) s += ` flags="${e.flags}" epoch="${esc(e.evr.epoch)}" ver="${esc(e.evr.ver)}" rel="${esc(e.evr.rel)}"`;
  if (pre) s += ' pre="1"';
  return s + '/>\n';
}

function depBlock(tag, entries) {
  if (entries.length === 0) return '';
  let s = `    <rpm:${tag}>\n`;
  const seen = new Set();
  for (const e of entries) {
    const k = e.rich ?? relText(e);
    if (seen.has(k)) continue;
    seen.add(k);
    s += entryXml(e, e.pre);
  }
  return s + `    </rpm:${tag}>\n`;
}

// ---------- conversion ----------
const stanzas = [];
for (const path of inputs) {
  const n0 = stanzas.length;
  for (const s of parseStanzas(readIndex(path))) stanzas.push(s);
  console.error(`debian-to-rpmmd: ${path}: ${stanzas.length - n0} packages`);
}

const ARCH = { amd64: 'x86_64', all: 'noarch' };
const same = (r) => r;
for (const f of stanzas) {
  for (const p of parseField(f.Provides, same)) if (!p.rich && !p.flags) UNVERSIONED.add(p.name);
}

const primary = [];
const filelists = [];
const stats = { packages: 0, skipped: 0, rich: 0, obsoletes: 0, marker: 0 };

for (const f of stanzas) {
  const arch = ARCH[f.Architecture];
  if (!arch) {
    stats.skipped++;
    continue;
  }
  const name = f.Package;
  const v = evr(f.Version);
  const pkgid = f.SHA256 || createHash('sha256').update(JSON.stringify(f)).digest('hex');
  const summary = (f.Description || name).split('\n')[0].trim();

  const provides = [{ name, flags: 'EQ', evr: v }];
  if (UNVERSIONED.has(name)) provides.push({ name: marker(name), flags: 'EQ', evr: v });
  for (const p of parseField(f.Provides, same)) {
    if (p.rich) continue;
    provides.push(p);
    if (p.flags && UNVERSIONED.has(p.name)) provides.push({ ...p, name: marker(p.name) });
  }
  const requires = [
    ...parseField(f['Pre-Depends']).map((e) => ({ ...e, pre: true })),
    ...parseField(f.Depends),
  ];
  const conflictEntries = [...parseField(f.Conflicts), ...parseField(f.Breaks)];
  const conflictNames = new Set(
    [...parseField(f.Conflicts, same), ...parseField(f.Breaks, same)].filter((e) => !e.rich).map((e) => e.name),
  );
  const obsoletes = parseField(f.Replaces, same).filter((e) => !e.rich && conflictNames.has(e.name));
  stats.obsoletes += obsoletes.length;
  for (const e of requires) if (e.rich) stats.rich++;
  for (const e of [...requires, ...conflictEntries]) if ((e.rich ?? e.name).includes('deb-versioned(')) stats.marker++;

  let src = name;
  let srcEvr = v;
  if (f.Source) {
    const m = f.Source.match(/^(\S+)(?:\s*\(([^)]+)\))?/);
    if (m) {
      src = m[1];
      if (m[2]) srcEvr = evr(m[2]);
    }
  }
  const isize = Number(f['Installed-Size'] || 0) * 1024;
  const size = Number(f.Size || 0);

  primary.push(
    `<package type="rpm">\n` +
      `  <name>${esc(name)}</name>\n` +
      `  <arch>${arch}</arch>\n` +
      `  <version epoch="${v.epoch}" ver="${esc(v.ver)}" rel="${esc(v.rel)}"/>\n` +
      `  <checksum type="sha256" pkgid="YES">${esc(pkgid)}</checksum>\n` +
      `  <summary>${esc(summary)}</summary>\n` +
      `  <description>${esc(summary)}</description>\n` +
      `  <packager>${esc(f.Maintainer || '')}</packager>\n` +
      `  <url>${esc(f.Homepage || '')}</url>\n` +
      `  <time file="${timestamp}" build="${timestamp}"/>\n` +
      `  <size package="${size}" installed="${isize}" archive="${isize}"/>\n` +
      `  <location href="${esc(f.Filename || `${name}.deb`)}"/>\n` +
      `  <format>\n` +
      `    <rpm:license>Debian-copyright</rpm:license>\n` +
      `    <rpm:vendor>Debian</rpm:vendor>\n` +
      `    <rpm:group>${esc(f.Section || 'misc')}</rpm:group>\n` +
      `    <rpm:buildhost>debian-to-rpmmd</rpm:buildhost>\n` +
      `    <rpm:sourcerpm>${esc(`${src}-${srcEvr.ver}-${srcEvr.rel}.src.rpm`)}</rpm:sourcerpm>\n` +
      `    <rpm:header-range start="4504" end="${4504 + 4096}"/>\n` +
      depBlock('provides', provides) +
      depBlock('requires', requires) +
      depBlock('conflicts', conflictEntries) +
      depBlock('obsoletes', obsoletes) +
      depBlock('suggests', parseField(f.Suggests)) +
      depBlock('enhances', parseField(f.Enhances)) +
      depBlock('recommends', parseField(f.Recommends)) +
      `  </format>\n` +
      `</package>\n`,
  );
  filelists.push(
    `<package pkgid="${esc(pkgid)}" name="${esc(name)}" arch="${arch}">\n` +
      `  <version epoch="${v.epoch}" ver="${esc(v.ver)}" rel="${esc(v.rel)}"/>\n` +
      `  <file>/usr/share/doc/${esc(name)}/copyright</file>\n` +
      `</package>\n`,
  );
  stats.packages++;
}

const N = stats.packages;
const primaryXml =
  `<?xml version="1.0" encoding="UTF-8"?>\n` +
  `<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${N}">\n` +
  primary.join('') +
  `</metadata>\n`;
const filelistsXml =
  `<?xml version="1.0" encoding="UTF-8"?>\n` +
  `<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="${N}">\n` +
  filelists.join('') +
  `</filelists>\n`;

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

// Write into a temp dir and swap it in, so a half-written repo is never left behind.
const repodata = join(outDir, 'repodata');
const tmp = join(outDir, '.repodata.tmp');
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
let data = '';
for (const [type, xml] of [['primary', primaryXml], ['filelists', filelistsXml]]) {
  const open = Buffer.from(xml, 'utf8');
  const gz = gzipSync(open, { level: 6 }); // zlib gzip header: mtime 0, fixed OS → deterministic
  writeFileSync(join(tmp, `${type}.xml.gz`), gz);
  data +=
    `  <data type="${type}">\n` +
    `    <checksum type="sha256">${sha256(gz)}</checksum>\n` +
    `    <open-checksum type="sha256">${sha256(open)}</open-checksum>\n` +
    `    <location href="repodata/${type}.xml.gz"/>\n` +
    `    <timestamp>${timestamp}</timestamp>\n` +
    `    <size>${gz.length}</size>\n` +
    `    <open-size>${open.length}</open-size>\n` +
    `  </data>\n`;
  console.error(`debian-to-rpmmd: ${type}.xml: ${open.length} bytes, .gz ${gz.length} bytes`);
}
writeFileSync(
  join(tmp, 'repomd.xml'),
  `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n` +
    `  <revision>${timestamp}</revision>\n` +
    data +
    `</repomd>\n`,
);
rmSync(repodata, { recursive: true, force: true });
renameSync(tmp, repodata);

console.error(
  `debian-to-rpmmd: wrote ${repodata}: ${N} packages (${stats.skipped} skipped: other arch), ` +
    `${stats.rich} rich requires, ${stats.obsoletes} obsoletes, ${stats.marker} requires/conflicts on deb-versioned(), ` +
    `${UNVERSIONED.size} names provided unversioned, timestamp ${timestamp}`,
);
console.log(outDir);
