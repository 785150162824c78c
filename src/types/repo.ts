// What the repo stage hands to the solver: verified local copies of one repo's metadata.

export type MetadataType = 'primary' | 'filelists' | 'group' | 'modules';

export interface MetadataFile {
  /** Absolute path in the host cache; compressed as the repo serves it. */
  path: string;
  /** `<type>:<hex>` as repomd.xml gives it (the compressed file's checksum). */
  checksum: string;
}

export interface RepoMetadata {
  id: string;
  /** The base URL the metadata came from (after metalink/mirrorlist). */
  url: string;
  /** repomd.xml `<revision>`, or its timestamp when absent. */
  revision: string;
  /** `sha256:<hex>` of repomd.xml itself: identifies this revision of the repo. */
  repomdChecksum: string;
  files: Partial<Record<MetadataType, MetadataFile>>;
  /** True when nothing but (at most) a conditional request for repomd.xml was made. */
  fromCache: boolean;
  /** The keys its packages (gpgcheck) and repomd.xml (repo_gpgcheck) are checked against; absent when neither is on. */
  keys?: RepoKey[];
}

/** One OpenPGP public key a repo trusts. */
export interface RepoKey {
  /** Lowercase hex. */
  fingerprint: string;
  armored: string;
}
