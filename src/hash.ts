// Every hash rpmcompose computes goes through here: digests of repo metadata, RPMs,
// payloads, layers and cache keys. One place to see which algorithms are used.
import { createHash, type Hash } from 'node:crypto';

/** Checksum algorithms repomd.xml, metalinks and RPM headers use, as node:crypto names them. */
export const HASH_TYPES = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type HashType = (typeof HASH_TYPES)[number];

/** Normalizes a repomd/metalink checksum type (`sha` is sha1 in old repos); undefined when unknown. */
export function hashType(name: string): HashType | undefined {
  const n = name.toLowerCase().replace(/-/g, '');
  const t = n === 'sha' ? 'sha1' : n;
  return (HASH_TYPES as readonly string[]).includes(t) ? (t as HashType) : undefined;
}

/** An incremental hash, for streams. */
export function hasher(algo: HashType = 'sha256'): Hash {
  return createHash(algo);
}

/** Lowercase hex digest of `data`. */
export function hexDigest(data: string | Uint8Array, algo: HashType = 'sha256'): string {
  return createHash(algo).update(data).digest('hex');
}
