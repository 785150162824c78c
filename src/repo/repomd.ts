// repomd.xml: the index of one repo revision. Parsed with xml2js (it is small);
// primary.xml and friends go to libsolv, never through here.

import { RepoError } from '../errors.js';
import { hashType, type HashType } from '../hash.js';
import type { MetadataType } from '../types/index.js';

export interface Checksum {
  type: HashType;
  hex: string;
}

export interface RepomdRecord {
  /** The `<data type>`: primary, filelists, group_gz, modules, primary_db, ... */
  type: string;
  /** `<location href>`, relative to the repo base URL (or to `base`). */
  href: string;
  /** `<location xml:base>`: another base URL the file lives under. */
  base?: string;
  /** Of the file as served (compressed). */
  checksum: Checksum;
  openChecksum?: Checksum;
  size?: number;
  openSize?: number;
  timestamp?: number;
}

export interface Repomd {
  /** `<revision>`, or the newest record timestamp when the repo has none. */
  revision: string;
  /** The newest `<timestamp>` of any record (seconds), when the repo gives any. */
  timestamp?: number;
  records: RepomdRecord[];
}

type XmlNode = { $?: Record<string, string>; _?: string } & Record<string, unknown>;

function text(v: unknown): string | undefined {
  const first = Array.isArray(v) ? v[0] : v;
  if (typeof first === 'string') return first.trim();
  if (first && typeof first === 'object' && typeof (first as XmlNode)._ === 'string') {
    return (first as XmlNode)._!.trim();
  }
  return undefined;
}

function node(v: unknown): XmlNode | undefined {
  const first = Array.isArray(v) ? v[0] : v;
  return first && typeof first === 'object' ? (first as XmlNode) : undefined;
}

function int(v: unknown): number | undefined {
  const t = text(v);
  if (t === undefined || !/^\d+$/.test(t)) return undefined;
  return Number(t);
}

/** Parses small rpm-md XML (repomd.xml, metalinks) with namespace prefixes stripped from tags. */
export async function parseXml(xml: string | Buffer, url: string, what: string, code: string): Promise<Record<string, unknown>> {
  try {
    // Loaded here, not at start-up: a warm run reads the parsed form kept in the cache.
    const { parseStringPromise, processors } = await import('xml2js');
    const doc = (await parseStringPromise(typeof xml === 'string' ? xml : xml.toString('utf8'), {
      tagNameProcessors: [processors.stripPrefix],
      explicitArray: true,
    })) as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object') throw new Error('empty document');
    return doc;
  } catch (err) {
    const msg = (err as Error).message.split('\n').join(' ');
    throw new RepoError(code, `${url}: not a valid ${what}: ${msg}`, { cause: err });
  }
}

function checksumOf(v: unknown, url: string, record: string, required: true): Checksum;
function checksumOf(v: unknown, url: string, record: string, required: false): Checksum | undefined;
function checksumOf(v: unknown, url: string, record: string, required: boolean): Checksum | undefined {
  const n = node(v);
  const hex = text(v)?.toLowerCase();
  const rawType = n?.$?.['type'];
  if (!hex || !rawType) {
    if (!required) return undefined;
    throw new RepoError('REPO_REPOMD', `${url}: <data type="${record}"> has no <checksum type="...">`);
  }
  const type = hashType(rawType);
  if (!type) {
    if (!required) return undefined;
    throw new RepoError('REPO_REPOMD', `${url}: <data type="${record}"> uses unsupported checksum type "${rawType}"`);
  }
  if (!/^[0-9a-f]+$/.test(hex)) {
    if (!required) return undefined;
    throw new RepoError('REPO_REPOMD', `${url}: <data type="${record}"> checksum "${hex}" is not hex`);
  }
  return { type, hex };
}

/** Parses repomd.xml; anything malformed is a RepoError 'REPO_REPOMD' naming `url`. */
export async function parseRepomd(xml: string | Buffer, url: string): Promise<Repomd> {
  const doc = await parseXml(xml, url, 'repomd.xml', 'REPO_REPOMD');
  const root = node(doc['repomd']);
  if (!root) {
    const got = Object.keys(doc)[0] ?? 'nothing';
    throw new RepoError('REPO_REPOMD', `${url}: not a repomd.xml (root element is <${got}>, expected <repomd>)`);
  }
  const records: RepomdRecord[] = [];
  const data = Array.isArray(root['data']) ? (root['data'] as unknown[]) : [];
  for (const d of data) {
    const dn = node(d);
    const type = dn?.$?.['type'];
    if (!dn || !type) throw new RepoError('REPO_REPOMD', `${url}: a <data> element has no type attribute`);
    const loc = node(dn['location']);
    const href = loc?.$?.['href'];
    if (!href) throw new RepoError('REPO_REPOMD', `${url}: <data type="${type}"> has no <location href>`);
    const rec: RepomdRecord = { type, href, checksum: checksumOf(dn['checksum'], url, type, true) };
    const base = loc.$?.['xml:base'];
    if (base) rec.base = base;
    const open = checksumOf(dn['open-checksum'], url, type, false);
    if (open) rec.openChecksum = open;
    const size = int(dn['size']);
    if (size !== undefined) rec.size = size;
    const openSize = int(dn['open-size']);
    if (openSize !== undefined) rec.openSize = openSize;
    const ts = int(dn['timestamp']);
    if (ts !== undefined) rec.timestamp = ts;
    records.push(rec);
  }
  const stamps = records.map((r) => r.timestamp).filter((t): t is number => t !== undefined);
  const timestamp = stamps.length ? Math.max(...stamps) : undefined;
  const revision = text(root['revision']) || (timestamp !== undefined ? String(timestamp) : '');
  return { revision, ...(timestamp !== undefined ? { timestamp } : {}), records };
}

/**
 * The record that serves a metadata type, in order of preference: the compressed
 * XML (never the `_db` sqlite or `_zck` variants); for comps, `group_gz` before `group`.
 */
export function pickRecord(repomd: Repomd, type: MetadataType): RepomdRecord | undefined {
  const prefs: Record<MetadataType, string[]> = {
    primary: ['primary'],
    filelists: ['filelists'],
    group: ['group_gz', 'group_xz', 'group_zst', 'group'],
    modules: ['modules'],
  };
  for (const t of prefs[type]) {
    const r = repomd.records.find((rec) => rec.type === t);
    if (r) return r;
  }
  return undefined;
}
