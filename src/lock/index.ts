// The lock stage: the lock file (read, migrate, write) and `diff` against it. Reads the
// resolution through the shared types only, never the pipeline.
export { changedKeys, storedConfig, storedSpecs, v1ConfigHash, type StoredConfig, type StoredSpecs } from './config.js';
export { diffLocks, diffPackages, type ArchDiff, type DiffReport, type ImageDiff, type PackageChange, type PackageRef } from './diff.js';
export {
  defaultLockPath,
  keyPackages,
  lockFromResolution,
  lockVersionAt,
  LOCK_VERSION,
  pinnedIds,
  type PinnedIds,
  readLock,
  writeLock,
  type Lock,
  type LockImage,
  type LockPackage,
  type ReadLock,
} from './lockfile.js';
