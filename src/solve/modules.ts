// dnf's modular filtering for repos that carry modules.yaml (EL 8/9 AppStream): packages
// of streams that are neither enabled nor default are hidden, and so are non-modular
// packages that share a name with a package of an active stream.
import { ResolveError } from '../errors.js';
import type { SolvPool } from './pool.js';

export interface ModuleStream {
  module: string;
  stream: string;
  /** The arch the stream was built for; libdnf ignores streams of other arches. */
  arch?: string;
  /** NEVRAs as `pool_solvable2str` prints them: epoch only when not 0. */
  artifacts: string[];
}

export interface ModuleIndex {
  streams: ModuleStream[];
  /** module → default stream. */
  defaults: Map<string, string>;
}

/** `name-0:1.0-1.x86_64` → `name-1.0-1.x86_64`, the form libsolv prints. */
export function normalizeArtifact(nevra: string): string {
  return nevra.replace(/-0:([^-]+-[^-]+)$/, '-$1');
}

interface ModuleDoc {
  document?: string;
  data?: {
    name?: string;
    stream?: string | number;
    arch?: string;
    module?: string;
    artifacts?: { rpms?: string[] };
  };
}

export async function parseModulesYaml(text: string, origin: string): Promise<ModuleIndex> {
  let docs: unknown[];
  try {
    // Loaded only for repos that carry modules.yaml.
    const yaml = await import('js-yaml');
    docs = yaml.loadAll(text);
  } catch (err) {
    throw new ResolveError('SOLVE_MODULES_YAML', `${origin}: cannot parse modules.yaml: ${(err as Error).message}`, { cause: err });
  }
  const index: ModuleIndex = { streams: [], defaults: new Map() };
  for (const raw of docs) {
    const doc = raw as ModuleDoc | null;
    if (!doc?.data) continue;
    if (doc.document === 'modulemd' && doc.data.name !== undefined && doc.data.stream !== undefined) {
      index.streams.push({
        module: doc.data.name,
        stream: String(doc.data.stream),
        arch: doc.data.arch,
        artifacts: (doc.data.artifacts?.rpms ?? []).map(normalizeArtifact),
      });
    } else if (doc.document === 'modulemd-defaults' && doc.data.module && doc.data.stream !== undefined) {
      index.defaults.set(doc.data.module, String(doc.data.stream));
    }
  }
  return index;
}

export function mergeIndexes(indexes: ModuleIndex[]): ModuleIndex {
  const out: ModuleIndex = { streams: [], defaults: new Map() };
  for (const i of indexes) {
    out.streams.push(...i.streams);
    for (const [m, s] of i.defaults) out.defaults.set(m, s);
  }
  return out;
}

/** The active stream per module: enabled ones (`name:stream`) over defaults. */
export function activeStreams(index: ModuleIndex, enable: string[]): Map<string, string> {
  const active = new Map(index.defaults);
  for (const spec of enable) {
    const [module, stream, ...rest] = spec.split(':');
    if (!module || !stream || rest.length) throw new ResolveError('SOLVE_MODULE_SPEC', `module "${spec}": expected name:stream`);
    if (!index.streams.some((s) => s.module === module && s.stream === stream)) {
      const known = [...new Set(index.streams.filter((s) => s.module === module).map((s) => `${s.module}:${s.stream}`))];
      throw new ResolveError(
        'SOLVE_MODULE_UNKNOWN',
        `module stream "${spec}" is in no repo` + (known.length ? ` (streams: ${known.join(', ')})` : ' (no such module)'),
      );
    }
    active.set(module, stream);
  }
  return active;
}

/** Arches whose module streams a pool of `arch` can use (multilib x86_64 takes i686). */
function streamFits(stream: ModuleStream, arch: string): boolean {
  if (!stream.arch || stream.arch === 'noarch' || stream.arch === arch) return true;
  return arch === 'x86_64' && /^i[3-6]86$/.test(stream.arch);
}

/**
 * Solvable ids hidden by modular filtering, over the whole pool as dnf does. A stream
 * built for another arch never becomes active, but its packages stay modular (hidden).
 */
export function moduleExcludes(pool: SolvPool, index: ModuleIndex, enable: string[]): number[] {
  if (index.streams.length === 0 && enable.length === 0) return [];
  const active = activeStreams(index, enable);
  const modular = new Set<string>();
  const kept = new Set<string>();
  for (const s of index.streams) {
    const on = active.get(s.module) === s.stream && streamFits(s, pool.arch);
    for (const a of s.artifacts) {
      modular.add(a);
      if (on) kept.add(a);
    }
  }
  const activeNames = new Set([...kept].map((a) => a.replace(/-[^-]+-[^-]+$/, '')));
  const excluded: number[] = [];
  for (const repo of pool.repos) {
    const ids = pool.native.repoSolvables(repo.solvId);
    const nevras = pool.native.nevras(ids);
    nevras.forEach((n, i) => {
      const hide = modular.has(n) ? !kept.has(n) : activeNames.has(n.replace(/-[^-]+-[^-]+$/, ''));
      if (hide) excluded.push(ids[i]!);
    });
  }
  return excluded;
}
