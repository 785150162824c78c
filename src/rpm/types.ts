// What the RPM reader hands to the build stage: a package's header facts and its files.
// Owners, modes and mtimes come from the header tags, never from the cpio headers (rpm
// wrote root:root into cpio for years).

/** RPMFILE_* flags (rpmfiles.h). */
export const FileFlag = {
  config: 1 << 0,
  doc: 1 << 1,
  missingok: 1 << 3,
  noreplace: 1 << 4,
  ghost: 1 << 6,
  license: 1 << 7,
  readme: 1 << 8,
  artifact: 1 << 12,
} as const;

export interface RpmFile {
  /** Absolute path, as installed: `/usr/bin/foo`. */
  path: string;
  /** st_mode with the type bits (S_IFREG, S_IFDIR, S_IFLNK, …) and setuid/setgid/sticky. */
  mode: number;
  size: number;
  user: string;
  group: string;
  /** Seconds since the epoch (RPMTAG_FILEMTIMES). */
  mtime: number;
  /** RPMFILE_* bits, see FileFlag. */
  flags: number;
  /** Symlink target; '' for anything else. */
  linkto: string;
  /** Hex digest of a regular file's content ('' otherwise), algorithm in RpmHeaderInfo.digestAlgo. */
  digest: string;
  /** Files of one package with equal (device, inode) are hard links of each other. */
  inode: number;
  device: number;
  rdev: number;
  /** RPMTAG_FILELANGS: '' or a language such as `de` or `pt_BR`. */
  lang: string;
  /** RPMTAG_FILECAPS in text form (`cap_net_raw=ep`), '' when none. */
  caps: string;
}

export type PayloadCompressor = 'gzip' | 'bzip2' | 'xz' | 'lzma' | 'zstd' | 'identity';

export interface RpmHeaderInfo {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  buildtime: number;
  payloadCompressor: PayloadCompressor;
  /** 'sha256', 'md5', … (RPMTAG_FILEDIGESTALGO). */
  digestAlgo: string;
  /** Sorted by path, as rpm stores them. */
  files: RpmFile[];
  /** Names of the scriptlets and triggers the package carries (`prein`, `postin`, `triggerin`, …). */
  scriptlets: string[];
  /** The main header's bytes as stored in the package (what an rpmdb keeps, and what signatures sign). */
  headerBlob: Buffer;
  /** The signature header's bytes (what rpm merges into the header it stores at install). */
  signatureBlob?: Buffer;
  /** The main header's digest (sha256, else sha1) the signature header holds, checked when read; '' when it holds none. */
  headerDigest?: string;
  /** The OpenPGP signature packets over the main header, from the signature header (RSA, DSA, rpm 6's OPENPGP array). */
  signatures?: Buffer[];
  /** Byte offset of the payload in the package file (set by readRpm). */
  payloadOffset?: number;
  /** RPMTAG_PAYLOADCOMPRESSOR as written ('' when absent); payloadCompressor is what the payload's bytes are. */
  payloadCompressorTag?: string;
  /** RPMTAG_PAYLOADSHA256 (hex digest of the compressed payload), '' when absent; checked while reading. */
  payloadDigest?: string;
  /** Package format: 4 (v3/v4 layout) or 6 (RPMTAG_RPMFORMAT). */
  rpmFormat?: number;
}

/** One cpio member, in payload order. Its body must be consumed before the next. */
export interface PayloadEntry {
  /** Absolute path (cpio's `./usr/bin/foo` normalised to `/usr/bin/foo`). */
  path: string;
  /** Bytes in the payload: 0 for all but one member of a hard-link set. */
  size: number;
  body: NodeJS.ReadableStream;
  /** Index of the member's file in RpmHeaderInfo.files (undefined when the header does not list it). */
  index?: number;
}
