// Metalinks and mirrorlists: where else a repo can be fetched from. A metalink also
// carries the checksums the current repomd.xml must have, so a mirror serving a stale
// or tampered repomd.xml is skipped.

import { RepoError } from '../errors.js';
import { hashType, hexDigest, type HashType } from '../hash.js';
import { parseXml, type Checksum } from './repomd.js';

export interface Mirror {
  /** Base URL of the repo on this mirror, ending in `/`. */
  url: string;
  protocol?: string;
  preference?: number;
}

export interface Metalink {
  /** Hashes of the current repomd.xml (one per algorithm the metalink lists). */
  hashes: Checksum[];
  /** Hashes of recent earlier repomd.xml revisions (MirrorManager's `mm0:alternates`). */
  alternates: Checksum[][];
  size?: number;
  /** Best first: by `preference` (higher first), the metalink's order among equals. */
  mirrors: Mirror[];
}

const STRENGTH: HashType[] = ['sha512', 'sha384', 'sha256', 'sha224', 'sha1', 'md5'];
const PROTOCOLS = new Set(['http', 'https', 'file']);
const REPOMD_TAIL = /repodata\/repomd\.xml$/;

type XmlNode = { $?: Record<string, string>; _?: string } & Record<string, unknown>;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const nodes = (v: unknown): XmlNode[] => arr(v).filter((x): x is XmlNode => !!x && typeof x === 'object');
const textOf = (v: unknown): string | undefined => {
  const f = arr(v)[0];
  if (typeof f === 'string') return f.trim();
  if (f && typeof f === 'object' && typeof (f as XmlNode)._ === 'string') return (f as XmlNode)._!.trim();
  return undefined;
};

function hashesOf(verification: unknown): Checksum[] {
  const out: Checksum[] = [];
  for (const v of nodes(verification)) {
    for (const h of nodes(v['hash'])) {
      const type = h.$?.['type'] ? hashType(h.$['type']) : undefined;
      const hex = typeof h._ === 'string' ? h._.trim().toLowerCase() : undefined;
      if (type && hex && /^[0-9a-f]+$/.test(hex)) out.push({ type, hex });
    }
  }
  return out;
}

/** Appends the trailing slash that makes `new URL(href, base)` resolve under the base. */
export function asBase(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Parses a metalink (v3, as MirrorManager serves it); malformed → RepoError 'REPO_MIRRORS'. */
export async function parseMetalink(xml: string | Buffer, url: string): Promise<Metalink> {
  const doc = await parseXml(xml, url, 'metalink', 'REPO_MIRRORS');
  const root = nodes(doc['metalink'])[0];
  if (!root) throw new RepoError('REPO_MIRRORS', `${url}: not a metalink (no <metalink> root element)`);
  const file = nodes(root['files'])
    .flatMap((f) => nodes(f['file']))
    .find((f) => f.$?.['name'] === 'repomd.xml');
  if (!file) throw new RepoError('REPO_MIRRORS', `${url}: metalink has no <file name="repomd.xml">`);

  const hashes = hashesOf(file['verification']);
  const alternates = nodes(file['alternates'])
    .flatMap((a) => nodes(a['alternate']))
    .map((a) => hashesOf(a['verification']))
    .filter((h) => h.length > 0);
  const sizeText = textOf(file['size']);

  const candidates: { m: Mirror; i: number }[] = [];
  let i = 0;
  for (const res of nodes(file['resources'])) {
    for (const u of arr(res['url'])) {
      const href = textOf(u);
      const attrs = (u && typeof u === 'object' ? (u as XmlNode).$ : undefined) ?? {};
      if (!href || !REPOMD_TAIL.test(href)) continue;
      const protocol = (attrs['protocol'] ?? attrs['type'] ?? href.split(':')[0] ?? '').toLowerCase();
      if (!PROTOCOLS.has(protocol)) continue;
      const pref = Number(attrs['preference']);
      const m: Mirror = { url: asBase(href.replace(REPOMD_TAIL, '')), protocol };
      if (Number.isFinite(pref)) m.preference = pref;
      candidates.push({ m, i: i++ });
    }
  }
  candidates.sort((a, b) => (b.m.preference ?? 0) - (a.m.preference ?? 0) || a.i - b.i);
  const mirrors = candidates.map((c) => c.m);
  if (mirrors.length === 0) throw new RepoError('REPO_MIRRORS', `${url}: metalink lists no http(s) mirror`);
  return {
    hashes,
    alternates,
    ...(sizeText && /^\d+$/.test(sizeText) ? { size: Number(sizeText) } : {}),
    mirrors,
  };
}

/** Parses a mirrorlist: one base URL a line, `#` comments and blank lines ignored. */
export function parseMirrorlist(text: string, url: string): Mirror[] {
  const mirrors: Mirror[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    let u: URL;
    try {
      u = new URL(line);
    } catch {
      continue;
    }
    const protocol = u.protocol.replace(/:$/, '');
    if (!PROTOCOLS.has(protocol)) continue;
    mirrors.push({ url: asBase(line.replace(REPOMD_TAIL, '')), protocol });
  }
  if (mirrors.length === 0) throw new RepoError('REPO_MIRRORS', `${url}: mirrorlist lists no http(s) mirror`);
  return mirrors;
}

/** Whether a mirrorlist URL actually answered with a metalink (dnf accepts both there). */
export function looksLikeMetalink(body: Buffer): boolean {
  const head = body.subarray(0, 2048).toString('utf8');
  return /<metalink[\s>]/.test(head);
}

/** The strongest algorithm the metalink lists for the current repomd.xml. */
export function strongestHash(hashes: Checksum[]): Checksum | undefined {
  for (const t of STRENGTH) {
    const h = hashes.find((x) => x.type === t);
    if (h) return h;
  }
  return undefined;
}

export type MetalinkMatch = 'current' | 'alternate' | 'none';

/** Checks repomd.xml bytes against the metalink's current (then alternate) hashes. */
export function matchMetalink(body: Buffer, ml: Metalink): { match: MetalinkMatch; expected?: Checksum; actual?: string } {
  const expected = strongestHash(ml.hashes);
  if (!expected) return { match: 'current' }; // a metalink without hashes verifies nothing
  const actual = hexDigest(body, expected.type);
  if (actual === expected.hex) return { match: 'current', expected, actual };
  for (const alt of ml.alternates) {
    const h = strongestHash(alt);
    if (h && hexDigest(body, h.type) === h.hex) return { match: 'alternate', expected, actual };
  }
  return { match: 'none', expected, actual };
}
