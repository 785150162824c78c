// A repo's keys and its signed repomd.xml. `gpgkey` URLs (file or http(s), several keys per
// file) are read once per run and kept in the repo's cache directory for --offline;
// `repo_gpgcheck` checks repodata/repomd.xml.asc before anything repomd.xml names is used,
// on every use: the signature is kept beside the cached revision and checked again.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrustError } from '../errors.js';
import { hexDigest } from '../hash.js';
import { Keyring, verifyDetached } from '../trust/index.js';
import type { RepoSource } from '../types/index.js';
import { writeCacheFile } from './cache.js';
import { redact, type HttpClient } from './http.js';

const keyCopy = (dir: string, url: string) => join(dir, 'keys', `${hexDigest(url).slice(0, 16)}.asc`);
const signatureCopy = (dir: string, repomdSha256: string) => join(dir, 'repodata', `${repomdSha256}-repomd.xml.asc`);

/**
 * The keys the repo trusts, when it checks signatures at all (`gpgcheck` or
 * `repo_gpgcheck`); undefined otherwise. `http` undefined: offline, from the cache (a
 * `file:` key is read where it is).
 */
export async function repoKeys(src: RepoSource, dir: string, http: HttpClient | undefined): Promise<Keyring | undefined> {
  if (!src.gpgcheck && !src.repo_gpgcheck) return undefined;
  if (src.gpgkey.length === 0) {
    throw new TrustError('TRUST_NO_KEY', `${src.path}: ${src.gpgcheck ? 'gpgcheck' : 'repo_gpgcheck'} is on, but the repo names no gpgkey`, { path: src.path });
  }
  const files = await Promise.all(
    src.gpgkey.map(async (url) => {
      let bytes: Buffer;
      try {
        if (url.startsWith('file:')) bytes = await readFile(fileURLToPath(url));
        else if (http) {
          const res = await http.get(url);
          if (res.notModified) throw new Error('not modified');
          bytes = res.body;
        } else bytes = await readFile(keyCopy(dir, url));
      } catch (err) {
        const why = http || url.startsWith('file:') ? (err as Error).message : 'offline, and never fetched';
        throw new TrustError('TRUST_KEY_UNREADABLE', `${src.path}: gpgkey ${redact(url)}: cannot read it: ${why}`, { cause: err, path: src.path, url: redact(url) });
      }
      return { where: `${src.path}: gpgkey ${redact(url)}`, bytes, url };
    }),
  );
  const ring = await Keyring.parse(files);
  // Kept for --offline, once they parse.
  const fetched = files.filter((f) => !f.url.startsWith('file:'));
  if (http && fetched.length) {
    await mkdir(join(dir, 'keys'), { recursive: true });
    for (const f of fetched) await writeCacheFile(keyCopy(dir, f.url), f.bytes);
  }
  return ring;
}

/**
 * Checks repomd.xml against its detached signature (repodata/repomd.xml.asc of the mirror
 * it came from, or the copy kept beside the cached revision) and keeps the signature.
 */
export async function checkRepomd(
  src: RepoSource,
  xml: Buffer,
  sha256: string,
  base: string,
  dir: string,
  ring: Keyring,
  http: HttpClient | undefined,
): Promise<void> {
  const kept = signatureCopy(dir, sha256);
  let asc: Buffer | undefined = await readFile(kept).catch(() => undefined);
  if (!asc && http) {
    const url = new URL('repodata/repomd.xml.asc', base).toString();
    try {
      const res = await http.get(url);
      if (!res.notModified) asc = res.body;
    } catch (err) {
      throw new TrustError('TRUST_UNSIGNED', `${src.path}: repo_gpgcheck is on, but ${redact(url)} cannot be had: ${(err as Error).message}`, { cause: err, path: src.path, url: redact(url) });
    }
  }
  if (!asc) throw new TrustError('TRUST_UNSIGNED', `${src.path}: repo_gpgcheck is on, and no repomd.xml.asc was ever fetched (offline)`, { path: src.path });
  try {
    await verifyDetached(xml, asc, ring, `${src.path}: repomd.xml`);
  } catch (err) {
    if (err instanceof TrustError) throw new TrustError(err.code, err.message, { cause: err, path: src.path });
    throw err;
  }
  await writeCacheFile(kept, asc);
}
