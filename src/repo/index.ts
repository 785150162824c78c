// The repos stage: fetch + verify + cache repo metadata (DESIGN.md, "Host cache").

export { fetchRepo, fetchRepos, DEFAULT_TYPES, type FetchOptions } from './fetch.js';
export { repoCacheDir, repoKeyUrl, dataFileName } from './cache.js';
export { closeHttpAgents, HttpClient, clientForSource, RepoHttpError, type HttpClientOptions } from './http.js';
export { parseRepomd, pickRecord, type Repomd, type RepomdRecord, type Checksum } from './repomd.js';
export { parseMetalink, parseMirrorlist, type Metalink, type Mirror } from './mirrors.js';
export type { MetadataFile, MetadataType, RepoMetadata } from '../types/index.js';
export {
  fetchPackages,
  cachedPackagePath,
  rpmCacheDir,
  packageTempFiles,
  DEFAULT_DOWNLOAD_CONCURRENCY,
  type PackageRef,
  type PackageRepo,
  type FetchPackagesOptions,
} from './packages.js';
