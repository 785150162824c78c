// The solver stage: repo metadata of one arch → a pool → each image's package set.
import { mergeComps, parseComps, type Comps } from './comps.js';
import { mergeIndexes, moduleExcludes, parseModulesYaml } from './modules.js';
import { readCompressed } from '../native.js';
import { loadPool, type SolvPool } from './pool.js';
import { matchPatterns, resolveImage, type ResolveRequest, type SolveContext } from './resolve.js';
import type { ImageResolution, RepoState } from '../types/index.js';

export { nevra } from '../rpm/version.js';
export { libsolvVersion } from '../native.js';

export interface ArchSolver {
  pool: SolvPool;
  resolve(req: ResolveRequest): ImageResolution;
}

export interface SolverOptions {
  cacheDir: string;
  /** `name:stream` module streams to enable. */
  modules: string[];
  /** Parse comps only when some image asks for a group. */
  needGroups: boolean;
  /** Every package spec the images of this arch will ask for (file specs need file lists). */
  specs?: string[];
}

function repoExcludes(pool: SolvPool): number[] {
  const out: number[] = [];
  for (const repo of pool.repos) {
    const { includepkgs, excludepkgs } = repo.source;
    if (!includepkgs.length && !excludepkgs.length) continue;
    const own = new Set(pool.native.repoSolvables(repo.solvId));
    const excluded = new Set(matchPatterns(pool, excludepkgs).filter((id) => own.has(id)));
    if (includepkgs.length) {
      const included = new Set(matchPatterns(pool, includepkgs));
      for (const id of own) if (!included.has(id)) excluded.add(id);
    }
    out.push(...excluded);
  }
  return out;
}

export async function createSolver(
  arch: string,
  repos: RepoState[],
  opts: SolverOptions,
): Promise<ArchSolver> {
  const pool = await loadPool(arch, repos, opts.cacheDir, opts.specs);
  const modular = repos.filter((r) => r.metadata.files.modules);
  const index = mergeIndexes(
    await Promise.all(
      modular.map((r) => parseModulesYaml(readCompressed(r.metadata.files.modules!.path).toString('utf8'), `repo ${r.source.id}`)),
    ),
  );
  let comps: Comps = { groups: new Map(), environments: new Map() };
  if (opts.needGroups) {
    const withGroups = repos.filter((r) => r.metadata.files.group);
    comps = mergeComps(
      await Promise.all(withGroups.map((r) => parseComps(readCompressed(r.metadata.files.group!.path).toString('utf8'), `repo ${r.source.id}`))),
    );
  }
  const ctx: SolveContext = { pool, comps, baseExcluded: [...repoExcludes(pool), ...moduleExcludes(pool, index, opts.modules)] };
  pool.native.setExcluded(ctx.baseExcluded);
  return { pool, resolve: (req) => resolveImage(ctx, req) };
}
