// One error class per pipeline stage, each with a stable code. Stages throw these;
// only the CLI turns them into messages and exit codes.
import type { Problem } from './types/index.js';

/** Exit codes shared by every command (docs/DESIGN.md, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** Only `diff`: something must be rebuilt. */
  rebuildNeeded: 1,
  badInput: 2,
  unresolvable: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Where an error is, for machines (`--json`); the message says it for people. */
export interface ErrorPlace {
  /** The JSON path in the compose file: `$.repos.base`, `$.images.web.packages[0]`. */
  path?: string;
  /** The file at fault: the compose file, a lock, a .repo file, an RPM, an output. */
  file?: string;
  /** The URL that failed. */
  url?: string;
}

export abstract class RpmcomposeError extends Error {
  abstract readonly stage: string;
  readonly exitCode: ExitCode = ExitCode.badInput;
  readonly place: ErrorPlace;
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown } & ErrorPlace,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    const { path, file, url } = options ?? {};
    this.place = { ...(path ? { path } : {}), ...(file ? { file } : {}), ...(url ? { url } : {}) };
  }
}

/** The command line itself is wrong: an unknown option, a missing or bad value. */
export class UsageError extends RpmcomposeError {
  readonly stage = 'cli';
}

/** The compose file or a dnf .repo file is wrong. */
export class ConfigError extends RpmcomposeError {
  readonly stage = 'config';
}

/** A repository cannot be fetched, verified or read. */
export class RepoError extends RpmcomposeError {
  readonly stage = 'repo';
}

/** A signature is missing, bad, or by a key the repo does not trust; a key cannot be read. */
export class TrustError extends RpmcomposeError {
  readonly stage = 'trust';
}

/** An image cannot be resolved, or a package spec matches nothing. */
export class ResolveError extends RpmcomposeError {
  readonly stage = 'solve';
  override readonly exitCode: ExitCode = ExitCode.unresolvable;
}

/** One image on one arch that cannot be resolved, with libsolv's problems. */
export interface Unresolved {
  image: string;
  arch: string;
  problems: Problem[];
}

/** Images cannot be resolved, so the command stops before planning, building or locking. */
export class UnresolvableError extends ResolveError {
  constructor(
    readonly unresolved: Unresolved[],
    message: string,
  ) {
    super('SOLVE_UNRESOLVABLE', message);
  }
}

/** A lock file is missing, unreadable or of another shape. */
export class LockError extends RpmcomposeError {
  readonly stage = 'lock';
}

/** An RPM file is unreadable, truncated or of a format we do not read. */
export class RpmError extends RpmcomposeError {
  readonly stage = 'rpm';
}

/** Image layers cannot be built: file conflicts, bad owners, unreadable payloads, the layer cache. */
export class LayerError extends RpmcomposeError {
  readonly stage = 'layer';
}

/** The images' users and groups cannot be made: two ids for one name, no id left. */
export class AccountsError extends RpmcomposeError {
  readonly stage = 'accounts';
}

/** An image's rpm database cannot be written: a header rpm would not store, macros that name no usable %_dbpath. */
export class RpmdbError extends RpmcomposeError {
  readonly stage = 'rpmdb';
}

/** The output (OCI layout, archive, registry) cannot be written. */
export class OciError extends RpmcomposeError {
  readonly stage = 'oci';
}
