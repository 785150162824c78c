// Shared by the tests: paths, fixture repos as RepoSources, dnf as the reference
// resolver, and running the real CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    origin: 'test',
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
export function dnfInstall(packages: string[], opts: { nodocs?: boolean; repo?: string } = {}): string {
  const dir = tmp('rpmcompose-dnf-');
  writeFileSync(path.join(dir, 'dnf.conf'), '[main]\ngpgcheck=0\nplugins=0\n');
  run('dnf', [
    '-y', '-q', `--installroot=${dir}/root`, '--releasever=1', `--config=${dir}/dnf.conf`,
    `--setopt=reposdir=${dir}/none`, `--setopt=cachedir=${dir}/cache`,
    `--setopt=tsflags=noscripts${opts.nodocs ? ',nodocs' : ''}`, '--setopt=install_weak_deps=False',
    `--repofrompath=compose,file://${opts.repo ?? path.join(fixtures, 'repos/compose')}`, 'install', ...packages,
  ]);
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

/** The image holds what dnf installs of the same packages, file for file, and nothing more. */
export function assertSameAsDnf(rootfs: string, dnfRoot: string): void {
  const owned = run('rpm', ['--root', dnfRoot, '-qal']).split('\n').filter((p) => p.startsWith('/') && p !== '/');
  assert.ok(owned.length > 0);
  assert.deepEqual(manifest(rootfs, owned), manifest(dnfRoot, owned));
  const ownedSet = new Set(owned);
  const onDisk = (p: string) => existsSync(path.join(dnfRoot, p));
  for (const p of walk(rootfs)) {
    // Parents no package owns are created as rpm would; anything else must be owned and installed.
    if (ownedSet.has(p)) assert.ok(onDisk(p), `${p} is in the image but dnf did not install it`);
    else assert.ok(manifest(rootfs, [p])[p] && (manifest(rootfs, [p])[p] as { type: string }).type === 'dir', `${p} belongs to no package`);
  }
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
