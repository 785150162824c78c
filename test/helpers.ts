// Shared by the tests: paths, fixture repos as RepoSources, dnf as the reference
// resolver, and running the real CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RepoSource } from '../src/config/types.js';

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
