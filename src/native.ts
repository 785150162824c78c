// The only importer of the compiled addon (libsolv and the streaming codecs). Types
// mirror native/*.cc one to one.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface NativeSolvable {
  id: number;
  name: string;
  evr: string;
  arch: string;
  /** libsolv repo id (index into the pool's repos). */
  repo: number;
  location: string | null;
  /** `<type>:<hex>`. */
  checksum: string | null;
  size: number;
  installsize: number;
  buildtime: number;
  /** Where the main header ends in the package file (primary's rpm:header-range), 0 when unknown. */
  headerend: number;
  sourcerpm: string | null;
  license: string | null;
  summary: string | null;
}

export interface NativeProblem {
  text: string;
  rules: string[];
  solutions: string[][];
}

type Ids = Int32Array | readonly number[];

export interface NativePool {
  createRepo(name: string): number;
  repoAddRpmmd(repo: number, file: string, extend: boolean): void;
  repoAddSolv(repo: number, file: string): boolean;
  repoWrite(repo: number, file: string): void;
  repoSetPriority(repo: number, priority: number, subpriority: number): void;
  repoSolvables(repo: number): Int32Array;
  prepare(): void;
  setExcluded(ids: Ids | null): void;
  select(spec: string, flags: number): Int32Array;
  whatObsoletes(ids: Ids): Int32Array;
  whatProvides(dep: string): Int32Array;
  describe(ids: Ids): NativeSolvable[];
  nevras(ids: Ids): string[];
  names(): string[];
  solve(jobs: [number, Ids][], flags: [number, number][]): { install: Int32Array; problems: NativeProblem[] };
  edges(ids: Ids, weak: boolean): Int32Array;
  /** Every path that some package's dependencies name. */
  fileDeps(): string[];
  /** Scans filelists and adds the given paths as file provides; returns how many. */
  repoAddFileProvides(repo: number, file: string, paths: string[]): number;
  createWhatProvides(): void;
}

// Streaming codecs (native/codec.cc): push(chunk) returns all output produced so far
// (maybe empty); finish() returns the rest and throws on truncated or corrupt input.
export interface NativeCodec {
  push(chunk: Uint8Array): Buffer;
  finish(): Buffer;
}
export type NativeDecoderFormat = 'xz' | 'lzma' | 'zstd' | 'bzip2';

interface Addon {
  Pool: new (arch: string) => NativePool;
  Decoder: new (format: NativeDecoderFormat) => NativeCodec;
  Encoder: new (level: number) => NativeCodec;
  codecVersions: { lzma: string; zstd: string; bzip2: string };
  readCompressed(file: string): Buffer;
  libsolvVersion: string;
  constants: Record<string, number>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const addonPath = path.join(root, 'build/Release/rpmcompose_solv.node');

function load(): Addon {
  try {
    return createRequire(import.meta.url)(addonPath) as Addon;
  } catch (err) {
    throw new Error(
      `the libsolv addon is not built (${addonPath}): run \`npm run setup\` ` +
        `(${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
    );
  }
}

const addon = load();

export const NativePool = addon.Pool;
export const readCompressed = addon.readCompressed;
export const libsolvVersion = addon.libsolvVersion;

function constant(name: string): number {
  const v = addon.constants[name];
  if (v === undefined) throw new Error(`addon lacks constant ${name}`);
  return v;
}

export const SEL = {
  NAME: constant('SELECTION_NAME'),
  PROVIDES: constant('SELECTION_PROVIDES'),
  FILELIST: constant('SELECTION_FILELIST'),
  CANON: constant('SELECTION_CANON'),
  DOTARCH: constant('SELECTION_DOTARCH'),
  REL: constant('SELECTION_REL'),
  GLOB: constant('SELECTION_GLOB'),
} as const;

export const JOB = {
  INSTALL: constant('SOLVER_INSTALL'),
  SOLVABLE_ONE_OF: constant('SOLVER_SOLVABLE_ONE_OF'),
} as const;

export const FLAG = {
  ALLOW_VENDORCHANGE: constant('SOLVER_FLAG_ALLOW_VENDORCHANGE'),
  KEEP_ORPHANS: constant('SOLVER_FLAG_KEEP_ORPHANS'),
  BEST_OBEY_POLICY: constant('SOLVER_FLAG_BEST_OBEY_POLICY'),
  YUM_OBSOLETES: constant('SOLVER_FLAG_YUM_OBSOLETES'),
  IGNORE_RECOMMENDED: constant('SOLVER_FLAG_IGNORE_RECOMMENDED'),
} as const;

/** Decoder for xz (any integrity check, concatenated streams), legacy lzma, zstd, bzip2. */
export const NativeDecoder = addon.Decoder;
/** zstd Encoder(level), with a content checksum. */
export const NativeZstdEncoder = addon.Encoder;
export const codecVersions = addon.codecVersions;
