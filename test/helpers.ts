// Shared by the tests: paths, fixture repos as RepoSources, dnf as the reference
// resolver, and running the real CLI.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RepoSource } from '../src/types/index.js';

/** dist/test → the repo root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtures = path.join(root, 'test/fixtures');
export const corpus = path.resolve(root, '../shared/corpus');

export function tmp(prefix = 'rpmcompose-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

const priorities = JSON.parse(readFileSync(path.join(fixtures, 'repos.json'), 'utf8')) as Record<string, { priority: number }>;

export function repoSource(id: string, dir = path.join(fixtures, 'repos', id), over: Partial<RepoSource> = {}): RepoSource {
  return {
    id,
    origin: `$.repos.${id}`,
    path: `$.repos.${id}`,
    baseurl: [pathToFileURL(dir).href],
    enabled: true,
    gpgkey: [],
    gpgcheck: false,
    repo_gpgcheck: false,
    priority: priorities[id]?.priority ?? 99,
    cost: 1000,
    includepkgs: [],
    excludepkgs: [],
    sslverify: true,
    ...over,
  };
}

export interface Case {
  id: string;
  description: string;
  repos: string[];
  arch: string;
  packages: string[];
  exclude: string[];
  weakDeps: boolean;
  modules?: string[];
  expect: { contains: string[]; absent: string[]; unresolvable?: boolean; unknown?: boolean };
}

export const cases = JSON.parse(readFileSync(path.join(fixtures, 'cases.json'), 'utf8')) as Case[];

export interface DnfRequest {
  repos: { id: string; baseurl: string; priority: number; cost: number }[];
  arch: string;
  packages: string[];
  exclude: string[];
  weakDeps: boolean;
  modules?: string[];
}

export interface DnfPackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  repo: string;
}

export type DnfAnswer = { ok: true; packages: DnfPackage[] } | { ok: false; error: string };

/** dnf 4 (the system's /usr/bin/python3 with its dnf module) resolving the same requests. */
export function dnfResolve(requests: DnfRequest[]): DnfAnswer[] {
  const r = spawnSync('/usr/bin/python3', [path.join(root, 'scripts/dnf-resolve.py')], {
    input: JSON.stringify(requests),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`dnf-resolve.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as DnfAnswer[];
}

export function dnfNevra(p: DnfPackage): string {
  return `${p.name}-${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}.${p.arch}`;
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/rpmcompose.js'), ...args], {
    cwd: opts.cwd ?? root,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The CLI without blocking the event loop: for tests whose loopback HTTP server runs in
 * the test process (spawnSync would stop it from answering).
 */
export function cliAsync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/rpmcompose.js'), ...args], {
      cwd: opts.cwd ?? root,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ status: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

// A loopback HTTP/1.1 server over a directory, counting what it is asked.

export interface ServedRequest {
  method: string;
  /** URL path, decoded. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The status it was answered with. */
  status: number;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>/`. */
  url: string;
  /** Every request answered, in order. */
  requests: ServedRequest[];
  /** Most requests under way at once. */
  maxInFlight: number;
  /** Status codes to answer instead of the file, consumed one per request, by path suffix. */
  fail: Map<string, number[]>;
  /** Paths (by suffix) whose body is served with its middle byte inverted. */
  corrupt: Set<string>;
  /** Delay before each response, in ms. */
  delayMs: number;
  close(): Promise<void>;
}

const servers: TestServer[] = [];

/** A copy of `b` with its middle byte inverted. */
export function flipByte(b: Buffer): Buffer {
  const out = Buffer.from(b);
  const i = out.length >> 1;
  out[i] = out[i]! ^ 0xff;
  return out;
}

/**
 * Serves the files under `dir` like a static web server: ETag (the body's sha1) and
 * Last-Modified, 304 to a matching If-None-Match, 404 for anything else.
 */
export async function serveDir(dir: string): Promise<TestServer> {
  let inFlight = 0;
  const server = createServer(async (req, res) => {
    inFlight++;
    t.maxInFlight = Math.max(t.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const answer = (status: number, headers: Record<string, string | number> = {}, body?: Buffer | string) => {
      t.requests.push({ method: req.method ?? 'GET', path: urlPath, headers: req.headers, status });
      res.writeHead(status, headers).end(body);
    };
    if (t.delayMs) await new Promise((r) => setTimeout(r, t.delayMs));
    for (const [suffix, codes] of t.fail) {
      if (urlPath.endsWith(suffix) && codes.length) {
        const status = codes.shift()!;
        answer(status, {}, `injected ${status}`);
        return;
      }
    }
    let body: Buffer;
    let mtime: Date;
    try {
      body = await readFile(path.join(dir, urlPath));
      mtime = (await stat(path.join(dir, urlPath))).mtime;
    } catch {
      answer(404, {}, 'not found');
      return;
    }
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) {
      answer(304, { etag });
      return;
    }
    if ([...t.corrupt].some((s) => urlPath.endsWith(s))) body = flipByte(body);
    answer(200, { etag, 'last-modified': mtime.toUTCString(), 'content-length': body.length, 'content-type': 'application/octet-stream' }, body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const t: TestServer = {
    url: `http://127.0.0.1:${port}/`,
    requests: [],
    maxInFlight: 0,
    fail: new Map(),
    corrupt: new Set(),
    delayMs: 0,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  servers.push(t);
  return t;
}

/** Stops every server serveDir started (for an `after` hook). */
export async function closeServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.close()));
}

// Images: unpacking them and comparing with dnf's install of the same packages.

/** A command that must succeed; its stdout. */
export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, input: opts.input, env: { ...process.env, ...opts.env } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export interface Workspace {
  dir: string;
  file: string;
  cache: string;
  compose: (...args: string[]) => ReturnType<typeof cli>;
}

/** dnf installs the same packages into an empty root, scriptlets off (as rpmcompose). */
export function dnfInstall(packages: string[], opts: { nodocs?: boolean; repo?: string; sourceDateEpoch?: number; into?: string } = {}): string {
  // `into`: a root dnfInstall made before, to install more into (a second transaction).
  const dir = opts.into ? path.dirname(opts.into) : tmp('rpmcompose-dnf-');
  writeFileSync(path.join(dir, 'dnf.conf'), '[main]\ngpgcheck=0\nplugins=0\n');
  run('dnf', [
    '-y', '-q', `--installroot=${dir}/root`, '--releasever=1', `--config=${dir}/dnf.conf`,
    `--setopt=reposdir=${dir}/none`, `--setopt=cachedir=${dir}/cache`,
    `--setopt=tsflags=noscripts${opts.nodocs ? ',nodocs' : ''}`, '--setopt=install_weak_deps=False',
    `--repofrompath=compose,file://${opts.repo ?? path.join(fixtures, 'repos/compose')}`, 'install', ...packages,
  ], { env: { SOURCE_DATE_EPOCH: opts.sourceDateEpoch === undefined ? '' : String(opts.sourceDateEpoch) } });
  return path.join(dir, 'root');
}

export function manifest(rootDir: string, paths: string[]): Record<string, unknown> {
  return JSON.parse(run('/usr/bin/python3', [path.join(root, 'scripts/tree-manifest.py'), rootDir, ...paths]));
}

export function unpack(layout: string, name: string): string {
  const bundle = path.join(tmp('rpmcompose-bundle-'), 'b');
  run('umoci', ['unpack', '--image', `${layout}:${name}`, bundle]);
  return path.join(bundle, 'rootfs');
}

/** Every path below `dir`, absolute as in the image. */
export function walk(dir: string, base = ''): string[] {
  return readdirSync(path.join(dir, base), { withFileTypes: true }).flatMap((d) => {
    const rel = `${base}/${d.name}`;
    return d.isDirectory() && !d.isSymbolicLink() ? [rel, ...walk(dir, rel)] : [rel];
  });
}

/** Where rpm finds the database in an unpacked image: the file behind /usr/lib/sysimage/rpm and /var/lib/rpm (undefined when neither leads to one). */
export function imageRpmdb(rootfs: string): string | undefined {
  for (const dir of ['/usr/lib/sysimage/rpm', '/var/lib/rpm']) {
    const f = path.join(rootfs, dir, 'rpmdb.sqlite');
    if (existsSync(f)) return realpathSync(f);
  }
  return undefined;
}

/** The database dnf wrote for an install (Debian's rpm puts it at ~/.rpmdb in the root). */
export function dnfRpmdb(dnfRoot: string): string {
  return path.join(dnfRoot, 'root/.rpmdb/rpmdb.sqlite');
}

interface RpmdbDump {
  header: { write_version: number; read_version: number; page_size: number };
  schema: string[];
  packages: { hnum: number; name: string; blob: string }[];
  tables: Record<string, [string, number, number][]>;
}

/** An rpm database as scripts/rpmdb-dump.py reads it (install times zeroed unless `times`). */
export function dumpRpmdb(db: string, times = false): RpmdbDump {
  return JSON.parse(run('/usr/bin/python3', [path.join(root, 'scripts/rpmdb-dump.py'), db, ...(times ? [] : ['--no-times'])]));
}

/**
 * The image's rpm database holds what dnf's install of the same packages recorded (or
 * the `reference` database): every header byte for byte (install times aside, unless
 * `times`: for a reference installed with the image's SOURCE_DATE_EPOCH), in the same
 * install order, and the same rows in every index table.
 */
export function assertSameRpmdb(rootfs: string, dnfRoot: string, opts: { reference?: string; times?: boolean } = {}): void {
  const mine = imageRpmdb(rootfs);
  assert.ok(mine, `${rootfs}: no rpm database at /usr/lib/sysimage/rpm or /var/lib/rpm`);
  const a = dumpRpmdb(mine, opts.times);
  const b = dumpRpmdb(opts.reference ?? dnfRpmdb(dnfRoot), opts.times);
  assert.deepEqual(a.packages.map((p) => p.name), b.packages.map((p) => p.name), 'install order (rpm -qa)');
  for (const [i, p] of a.packages.entries()) assert.equal(p.blob, b.packages[i]!.blob, `${p.name}: the stored header differs from dnf's`);
  assert.deepEqual(Object.keys(a.tables), Object.keys(b.tables), 'index tables');
  for (const t of Object.keys(b.tables)) assert.deepEqual(a.tables[t], b.tables[t], `index table ${t}`);
  assert.deepEqual([a.header.write_version, a.header.read_version], [1, 1], 'a rollback-journal database (no WAL)');
}

/**
 * The image holds what dnf installs of the same packages, file for file, and nothing
 * more, but its rpm database (compared with dnf's unless `rpmdb` is false, when the image must have none).
 */
export function assertSameAsDnf(rootfs: string, dnfRoot: string, opts: { rpmdb?: boolean } = {}): void {
  const db = imageRpmdb(rootfs);
  // The database file, and links to it, may sit where a package lists a %ghost (EL 9's rpm
  // lists /var/lib/rpm/rpmdb.sqlite): dnf's is elsewhere (Debian's rpm: /root/.rpmdb).
  const isDbFile = (p: string) => !!db && existsSync(path.join(rootfs, p)) && realpathSync(path.join(rootfs, p)) === db;
  const owned = run('rpm', ['--root', dnfRoot, '-qal']).split('\n').filter((p) => p.startsWith('/') && !isDbFile(p));
  assert.ok(owned.length > 0);
  assert.deepEqual(manifest(rootfs, owned), manifest(dnfRoot, owned));
  // A package may name a file through a directory symlink (/lib64/libc.so.6 with /lib64 ->
  // usr/lib64): it is owned where it lands too.
  const landed = (p: string) => {
    const parent = path.join(dnfRoot, path.dirname(p));
    if (!existsSync(parent)) return p;
    return path.join('/', path.relative(realpathSync(dnfRoot), realpathSync(parent)), path.basename(p));
  };
  const ownedSet = new Set([...owned, ...owned.map(landed)]);
  const onDisk = (p: string) => existsSync(path.join(dnfRoot, p));
  if (opts.rpmdb === false) assert.equal(db, undefined, 'an image with rpmdb off has no rpm database');
  else assertSameRpmdb(rootfs, dnfRoot);
  // The database, and the links that lead to it or its directory.
  const isDb = (p: string) => !!db && [db, path.dirname(db)].includes(realpathSync(path.join(rootfs, p)));
  for (const p of walk(rootfs)) {
    // Parents no package owns are created as rpm would; anything else must be owned and installed.
    if (ownedSet.has(p) && !isDbFile(p)) assert.ok(onDisk(p), `${p} is in the image but dnf did not install it`);
    else assert.ok(isDb(p) || (manifest(rootfs, [p])[p] && (manifest(rootfs, [p])[p] as { type: string }).type === 'dir'), `${p} belongs to no package`);
  }
}

/** Every file below `dir`, relative, sorted. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

/** Two directories hold the same files, byte for byte (an OCI layout: oci-layout, index.json, every blob). */
export function assertSameFiles(a: string, b: string, what = ''): void {
  const files = filesUnder(a);
  assert.deepEqual(filesUnder(b), files, `${what}: ${b} and ${a} hold different files`);
  for (const f of files) assert.ok(readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f))), `${what}: ${f} differs between ${a} and ${b}`);
}

/** A CLI run that must succeed; its stderr is the failure message. */
export function ok(r: ReturnType<typeof cli>): ReturnType<typeof cli> {
  assert.equal(r.status, 0, r.stderr);
  return r;
}

/** A compose file in a fresh dir over a repo (the compose fixture repo by default), and its CLI. */
export function workspace(images: Record<string, unknown>, extra: Record<string, unknown> = {}, repoDir = path.join(fixtures, 'repos/compose')): Workspace {
  const dir = tmp();
  const file = path.join(dir, 'compose.json');
  writeFileSync(file, JSON.stringify({ releasever: '1', arch: ['x86_64'], repos: { compose: { baseurl: repoDir } }, images, ...extra }));
  const cache = path.join(dir, 'cache');
  return { dir, file, cache, compose: (...args) => cli(['compose', file, '--cache-dir', cache, '-q', ...args], { cwd: dir, env: { SOURCE_DATE_EPOCH: '' } }) };
}

/**
 * Runs `cmd` in an image of an OCI layout with podman, as a user would: the image copied
 * by skopeo into a containers-storage of its own (vfs), run as root with runc, cgroupfs,
 * file events, no network, and ulimits this machine allows. Its stdout.
 */
export function podmanRun(layout: string, name: string, cmd: string[]): string {
  const dir = tmp('rpmcompose-podman-');
  const storage = path.join(dir, 'storage');
  const runroot = path.join(dir, 'run');
  const image = `localhost/rpmcompose-test-${name}:latest`;
  run('skopeo', ['copy', '-q', `oci:${layout}:${name}`, `containers-storage:[vfs@${storage}+${runroot}]${image}`]);
  const podman = ['--root', storage, '--runroot', runroot, '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--runtime', 'runc'];
  try {
    return run('podman', [...podman, 'run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', image, ...cmd]);
  } finally {
    spawnSync('podman', [...podman, 'rmi', '-a', '-f'], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  }
}
