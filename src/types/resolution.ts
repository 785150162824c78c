// What the solver stage hands on: per image and arch, the exact package set; and the
// resolution of a whole compose, which plan, fetch, lock and diff read.
import type { Compose, RepoSource } from './compose.js';
import type { RepoMetadata } from './repo.js';

export interface ResolvedPackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  /** The compose's repo id. */
  repo: string;
  /** As in primary.xml: relative to the repo's base URL. */
  location: string;
  /** `<type>:<hex>`, the repo's checksum type. */
  checksum: string;
  /** Download size in bytes. */
  size: number;
  installsize: number;
  buildtime: number;
  /** Bytes up to the main header's end (primary's rpm:header-range): sizes an rpm database before downloading. */
  headerEnd?: number;
  sourcerpm: string | null;
  license: string | null;
}

export interface Problem {
  /** libsolv's problem text, or why a spec matched nothing. */
  text: string;
  /** Every rule that takes part in the problem. */
  rules: string[];
  /** libsolv's proposed solutions, each a list of steps. */
  solutions: string[][];
  /** For a spec that matched nothing: the closest package names. */
  suggestions?: string[];
}

export interface ImageResolution {
  packages: ResolvedPackage[];
  /** `[from, to]` NEVRAs: `from` requires (or recommends) what `to` provides. */
  edges: [string, string][];
  problems: Problem[];
}

/** One enabled repo of one arch, as fetched. */
export interface RepoState {
  source: RepoSource;
  metadata: RepoMetadata;
}

/** A compose resolved: what every later stage (plan, fetch, build, lock, diff) reads. */
export interface Resolution {
  compose: Compose;
  /** arch → the enabled repos as fetched for it. */
  repos: Record<string, RepoState[]>;
  /** image → arch → its package set. */
  images: Record<string, Record<string, ImageResolution>>;
}
