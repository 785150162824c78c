// One image on one arch: package specs → libsolv jobs → the exact package set, with
// dnf's semantics (best=False, obsoletes=True, multilib_policy=best).
import { FLAG, JOB, SEL } from '../native.js';
import type { NativeSolvable } from '../native.js';
import type { SolvPool } from './pool.js';
import { expandGroup, type Comps } from './comps.js';
import { suggestNames } from './suggest.js';
import { cmp } from '../order.js';
import { nevra } from '../rpm/version.js';
import type { ImageResolution, Problem, ResolvedPackage } from '../types/index.js';
import { isFileSpec, isGlob } from './specs.js';

export interface ResolveRequest {
  packages: string[];
  exclude: string[];
  weakDeps: boolean;
}

export interface SolveContext {
  pool: SolvPool;
  comps: Comps;
  /** Hidden for every image: repo include/exclude lists and modular filtering. */
  baseExcluded: number[];
}

const SPEC_FLAGS = SEL.NAME | SEL.PROVIDES | SEL.FILELIST | SEL.CANON | SEL.DOTARCH | SEL.REL | SEL.GLOB;
// dnf matches excludes against names and NEVRA forms, not provides.
const EXCLUDE_FLAGS = SEL.NAME | SEL.CANON | SEL.DOTARCH | SEL.GLOB;

/** Solvables matching dnf-style patterns (globs, name.arch, name-version…). */
export function matchPatterns(pool: SolvPool, patterns: string[]): number[] {
  return patterns.flatMap((p) => [...pool.native.select(p, EXCLUDE_FLAGS)]);
}

function splitEvr(evr: string): { epoch: number; version: string; release: string } {
  const colon = evr.indexOf(':');
  const epoch = colon >= 0 ? Number(evr.slice(0, colon)) : 0;
  const vr = colon >= 0 ? evr.slice(colon + 1) : evr;
  const dash = vr.lastIndexOf('-');
  return { epoch, version: dash >= 0 ? vr.slice(0, dash) : vr, release: dash >= 0 ? vr.slice(dash + 1) : '' };
}

export function toPackage(pool: SolvPool, s: NativeSolvable): ResolvedPackage {
  return {
    name: s.name,
    ...splitEvr(s.evr),
    arch: s.arch,
    repo: pool.repoIdOf(s.repo),
    location: s.location ?? '',
    checksum: s.checksum ?? '',
    size: s.size,
    installsize: s.installsize,
    buildtime: s.buildtime,
    headerEnd: s.headerend,
    sourcerpm: s.sourcerpm,
    license: s.license,
  };
}

/**
 * The candidate sets dnf would hand to libsolv for one spec: one set per name for
 * globs, else one set; a bare name is widened to the packages obsoleting it.
 */
function candidates(pool: SolvPool, spec: string): number[][] {
  const ids = [...pool.native.select(spec, SPEC_FLAGS)];
  if (ids.length === 0) return [];
  const described = pool.native.describe(ids);
  const withObsoleters = (set: number[]) => [...new Set([...set, ...pool.native.whatObsoletes(set)])];
  if (isGlob(spec) && !isFileSpec(spec)) {
    const byName = new Map<string, number[]>();
    for (const s of described) byName.set(s.name, [...(byName.get(s.name) ?? []), s.id]);
    return [...byName.values()].map(withObsoleters);
  }
  const justName = described.some((s) => s.name === spec);
  return [justName ? withObsoleters(ids) : ids];
}

export function resolveImage(ctx: SolveContext, req: ResolveRequest): ImageResolution {
  const { pool } = ctx;
  const native = pool.native;
  pool.ensureFiles(req.packages);
  native.setExcluded([...ctx.baseExcluded, ...matchPatterns(pool, req.exclude)]);
  try {
    const problems: Problem[] = [];
    const jobs: [number, number[]][] = [];
    const unknown = (spec: string, what: string) => {
      const suggestions = suggestNames(native.names(), spec.replace(/^@\^?/, ''));
      // The name is in the repos, but nothing of it can be installed here: say so, not "did you mean" it.
      if (suggestions.includes(spec)) {
        const text = `${what} "${spec}" matches no package for ${pool.arch}: the repos have it only for other arches, or excluded`;
        problems.push({ text, rules: [], solutions: [] });
      } else {
        problems.push({ text: `${what} "${spec}" matches no package`, rules: [], solutions: [], suggestions });
      }
    };
    for (const spec of req.packages) {
      if (spec.startsWith('@')) {
        const names = expandGroup(ctx.comps, spec);
        if (!names) unknown(spec, spec.startsWith('@^') ? 'environment' : 'group');
        // As `dnf install @group`: members missing from the repos are skipped.
        for (const name of names ?? []) for (const set of candidates(pool, name)) jobs.push([JOB.INSTALL, set]);
        continue;
      }
      const sets = candidates(pool, spec);
      if (sets.length === 0) unknown(spec, 'package spec');
      for (const set of sets) jobs.push([JOB.INSTALL, set]);
    }
    if (problems.length) return { packages: [], edges: [], problems };
    // libdnf's solver flags (Goal.cpp initSolver), weak deps as the compose says.
    const result = native.solve(jobs, [
      [FLAG.ALLOW_VENDORCHANGE, 1],
      [FLAG.KEEP_ORPHANS, 1],
      [FLAG.BEST_OBEY_POLICY, 1],
      [FLAG.YUM_OBSOLETES, 1],
      [FLAG.IGNORE_RECOMMENDED, req.weakDeps ? 0 : 1],
    ]);
    if (result.problems.length) return { packages: [], edges: [], problems: result.problems };
    const described = native.describe(result.install);
    const converted = described.map((s) => toPackage(pool, s));
    const nevraOf = new Map(described.map((s, i) => [s.id, nevra(converted[i]!)]));
    const packages = converted.sort(comparePackages);
    const flat = native.edges(result.install, req.weakDeps);
    const edges: [string, string][] = [];
    for (let i = 0; i < flat.length; i += 2) edges.push([nevraOf.get(flat[i]!)!, nevraOf.get(flat[i + 1]!)!]);
    edges.sort((a, b) => (a[0] === b[0] ? cmp(a[1], b[1]) : cmp(a[0], b[0])));
    return { packages, edges, problems: [] };
  } finally {
    native.setExcluded(ctx.baseExcluded);
  }
}

export function comparePackages(a: ResolvedPackage, b: ResolvedPackage): number {
  return cmp(a.name, b.name) || cmp(a.arch, b.arch) || cmp(nevra(a), nevra(b));
}
