// Reads an RPM package's lead, signature header and main header (v3/v4/v6 layouts: a
// 96-byte lead, the signature header padded to 8 bytes, the main header, the payload)
// and fills RpmHeaderInfo from the main header's tags.
import { open } from 'node:fs/promises';
import { RpmError } from '../errors.js';
import { hexDigest } from '../hash.js';
import { HeaderFormatError, RpmHeader, headerSize } from './header.js';
import { DigestAlgo, Tag, TriggerSense } from './tags.js';
import type { PayloadCompressor, RpmFile, RpmHeaderInfo } from './types.js';

const LEAD_MAGIC = 0xedabeedb;
const LEAD_SIZE = 96;

const COMPRESSORS: Record<string, PayloadCompressor> = {
  gzip: 'gzip',
  bzip2: 'bzip2',
  xz: 'xz',
  lzma: 'lzma',
  zstd: 'zstd',
  identity: 'identity',
};

/** Scriptlets as `tag → name`; a scriptlet counts when its body or its interpreter is set. */
const SCRIPTLETS: [string, number, number][] = [
  ['pretrans', Tag.PRETRANS, Tag.PRETRANSPROG],
  ['prein', Tag.PREIN, Tag.PREINPROG],
  ['postin', Tag.POSTIN, Tag.POSTINPROG],
  ['preun', Tag.PREUN, Tag.PREUNPROG],
  ['postun', Tag.POSTUN, Tag.POSTUNPROG],
  ['posttrans', Tag.POSTTRANS, Tag.POSTTRANSPROG],
  ['preuntrans', Tag.PREUNTRANS, Tag.PREUNTRANSPROG],
  ['postuntrans', Tag.POSTUNTRANS, Tag.POSTUNTRANSPROG],
  ['verifyscript', Tag.VERIFYSCRIPT, Tag.VERIFYSCRIPTPROG],
];

const TRIGGERS: [prefix: string, scripts: number, flags: number][] = [
  ['trigger', Tag.TRIGGERSCRIPTS, Tag.TRIGGERFLAGS],
  ['filetrigger', Tag.FILETRIGGERSCRIPTS, Tag.FILETRIGGERFLAGS],
  ['transfiletrigger', Tag.TRANSFILETRIGGERSCRIPTS, Tag.TRANSFILETRIGGERFLAGS],
];

export interface ReadRpmResult {
  header: RpmHeaderInfo;
  /** Byte offset of the (compressed) payload in the file. */
  payloadOffset: number;
}

export async function readRpm(file: string): Promise<ReadRpmResult> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new RpmError('RPM_UNREADABLE', `${file}: cannot open: ${(err as Error).message}`, { cause: err, file });
  }
  try {
    const read = async (position: number, length: number, what: string): Promise<Buffer> => {
      const buf = Buffer.alloc(length);
      let got = 0;
      try {
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, position + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } catch (err) {
        throw new RpmError('RPM_UNREADABLE', `${file}: cannot read the ${what}: ${(err as Error).message}`, { cause: err, file });
      }
      if (got < length) throw new RpmError('RPM_TRUNCATED', `${file}: truncated in the ${what} (${got} of ${length} bytes at offset ${position})`, { file });
      return buf;
    };
    const sniffBuf = Buffer.alloc(6);
    const lead = await read(0, LEAD_SIZE, 'lead');
    if (lead.readUInt32BE(0) !== LEAD_MAGIC) throw new RpmError('RPM_NOT_RPM', `${file}: not an RPM package (bad lead magic)`, { file });
    const major = lead[4]!;
    const sigType = lead.readUInt16BE(78);
    if (major < 3 || sigType !== 5) {
      throw new RpmError('RPM_UNSUPPORTED', `${file}: unsupported RPM format (lead version ${major}, signature type ${sigType})`, { file });
    }
    const headerAt = async (offset: number, what: string): Promise<{ blob: Buffer; size: number }> => {
      const intro = await read(offset, 16, what);
      let size: number;
      try {
        size = headerSize(intro).size;
      } catch (err) {
        throw new RpmError('RPM_BAD_HEADER', `${file}: bad ${what} at offset ${offset}: ${(err as Error).message}`, { cause: err, file });
      }
      return { blob: await read(offset, size, what), size };
    };
    const sig = await headerAt(LEAD_SIZE, 'signature header');
    const mainOffset = LEAD_SIZE + sig.size + ((8 - (sig.size % 8)) % 8);
    const main = await headerAt(mainOffset, 'main header');
    let checked: { signatures: Buffer[]; digest: string };
    try {
      checked = checkHeaderDigests(new RpmHeader(sig.blob), main.blob, file);
    } catch (err) {
      if (err instanceof HeaderFormatError) {
        throw new RpmError('RPM_BAD_HEADER', `${file}: bad signature header: ${err.message}`, { cause: err, file });
      }
      throw err;
    }
    let header: RpmHeaderInfo;
    try {
      header = headerInfo(new RpmHeader(main.blob));
    } catch (err) {
      if (err instanceof HeaderFormatError) {
        throw new RpmError('RPM_BAD_HEADER', `${file}: bad main header: ${err.message}`, { cause: err, file });
      }
      if (err instanceof RpmError) throw new RpmError(err.code, `${file}: ${err.message}`, { cause: err, file });
      throw err;
    }
    header.signatures = checked.signatures;
    header.signatureBlob = sig.blob;
    header.headerDigest = checked.digest;
    const payloadOffset = mainOffset + main.size;
    // The payload's own magic wins over the tag: rpm reads gzip-tagged payloads that are
    // not compressed (w.ufdio builds), and v6 packages omit the tag for uncompressed ones.
    const { bytesRead } = await fh.read(sniffBuf, 0, sniffBuf.length, payloadOffset).catch((err: unknown) => {
      throw new RpmError('RPM_UNREADABLE', `${file}: cannot read the payload: ${(err as Error).message}`, { cause: err, file });
    });
    const sniffed = sniff(sniffBuf.subarray(0, bytesRead));
    if (sniffed) header.payloadCompressor = sniffed;
    header.payloadOffset = payloadOffset;
    return { header, payloadOffset };
  } finally {
    await fh.close();
  }
}

/**
 * The main header checked against the digests the signature header keeps of it (sha256,
 * else sha1, as rpm does), every time a package is read: a header changed in the cache is
 * caught before any of its tags is used. Returns the signature packets over the header,
 * and the digest that was checked ('' when the package has none).
 */
function checkHeaderDigests(sig: RpmHeader, main: Buffer, file: string): { signatures: Buffer[]; digest: string } {
  const want = sig.string(Tag.SIG_SHA256) ?? sig.string(Tag.SIG_SHA1);
  if (want) {
    const algo = sig.has(Tag.SIG_SHA256) ? 'sha256' : 'sha1';
    const got = hexDigest(main, algo);
    if (got !== want.toLowerCase()) {
      throw new RpmError('RPM_HEADER_DIGEST', `${file}: header digest mismatch (${algo} ${got}, the signature header says ${want})`, { file });
    }
  }
  const out: Buffer[] = [];
  for (const tag of [Tag.SIG_RSA, Tag.SIG_DSA]) {
    const v = sig.get(tag);
    if (Buffer.isBuffer(v)) out.push(Buffer.from(v));
  }
  // rpm 6: each element is one signature, base64 of the binary packet.
  for (const b64 of sig.stringArray(Tag.SIG_OPENPGP) ?? []) out.push(Buffer.from(b64, 'base64'));
  return { signatures: out, digest: want ? want.toLowerCase() : '' };
}

/** The compression format of a payload from its first bytes, undefined when unknown. */
export function sniff(b: Buffer): PayloadCompressor | undefined {
  const is = (...bytes: number[]) => bytes.every((x, i) => b[i] === x);
  if (is(0x1f, 0x8b)) return 'gzip';
  if (is(0x42, 0x5a, 0x68)) return 'bzip2';
  if (is(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (is(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (is(0x30, 0x37, 0x30, 0x37, 0x30)) return 'identity';
  if (is(0x5d, 0x00, 0x00)) return 'lzma';
  return undefined;
}

/** RpmHeaderInfo from a parsed main header. */
export function headerInfo(h: RpmHeader): RpmHeaderInfo {
  const compressorName = h.string(Tag.PAYLOADCOMPRESSOR) ?? 'gzip';
  const payloadCompressor = COMPRESSORS[compressorName];
  if (!payloadCompressor) throw new RpmError('RPM_UNSUPPORTED', `unsupported payload compressor '${compressorName}'`);
  const payloadFormat = h.string(Tag.PAYLOADFORMAT) ?? 'cpio';
  if (payloadFormat !== 'cpio' && payloadFormat !== 'drpm') {
    throw new RpmError('RPM_UNSUPPORTED', `unsupported payload format '${payloadFormat}'`);
  }
  const algo = h.number(Tag.FILEDIGESTALGO) ?? 1;
  const digestAlgo = DigestAlgo[algo];
  if (!digestAlgo) throw new RpmError('RPM_UNSUPPORTED', `unknown file digest algorithm ${algo}`);
  return {
    name: h.string(Tag.NAME) ?? '',
    epoch: h.number(Tag.EPOCH) ?? 0,
    version: h.string(Tag.VERSION) ?? '',
    release: h.string(Tag.RELEASE) ?? '',
    arch: h.string(Tag.ARCH) ?? '',
    buildtime: h.number(Tag.BUILDTIME) ?? 0,
    payloadCompressor,
    digestAlgo,
    files: files(h),
    scriptlets: scriptlets(h),
    headerBlob: h.blob,
    payloadCompressorTag: h.string(Tag.PAYLOADCOMPRESSOR) ?? '',
    rpmFormat: h.number(Tag.RPMFORMAT) ?? 4,
    payloadDigest: payloadDigest(h),
  };
}

/** The compressed payload's SHA-256 when the header carries it (rpm >= 4.14 builds). */
function payloadDigest(h: RpmHeader): string {
  const algo = h.number(Tag.PAYLOADSHA256ALGO) ?? 8;
  const hex = h.stringArray(Tag.PAYLOADSHA256)?.[0] ?? '';
  return algo === 8 && /^[0-9a-f]{64}$/.test(hex) ? hex : '';
}

function paths(h: RpmHeader): string[] {
  const basenames = h.stringArray(Tag.BASENAMES);
  if (basenames) {
    const dirnames = h.stringArray(Tag.DIRNAMES) ?? [];
    const dirindexes = h.numbers(Tag.DIRINDEXES) ?? [];
    return basenames.map((b, i) => {
      const d = dirnames[dirindexes[i] ?? -1];
      if (d === undefined) throw new HeaderFormatError(`file ${b}: dir index out of range`);
      return d + b;
    });
  }
  return h.stringArray(Tag.OLDFILENAMES) ?? [];
}

function files(h: RpmHeader): RpmFile[] {
  const names = paths(h);
  const n = names.length;
  const column = <T>(values: T[] | undefined, fallback: T, tag: string): T[] => {
    if (values === undefined) return new Array<T>(n).fill(fallback);
    if (values.length !== n) throw new HeaderFormatError(`${tag} has ${values.length} entries for ${n} files`);
    return values;
  };
  const sizes = column(h.numbers(Tag.LONGFILESIZES) ?? h.numbers(Tag.FILESIZES), 0, 'FILESIZES');
  const modes = column(h.numbers(Tag.FILEMODES), 0, 'FILEMODES');
  const users = column(h.stringArray(Tag.FILEUSERNAME), 'root', 'FILEUSERNAME');
  const groups = column(h.stringArray(Tag.FILEGROUPNAME), 'root', 'FILEGROUPNAME');
  const mtimes = column(h.numbers(Tag.FILEMTIMES), 0, 'FILEMTIMES');
  const flags = column(h.numbers(Tag.FILEFLAGS), 0, 'FILEFLAGS');
  const linktos = column(h.stringArray(Tag.FILELINKTOS), '', 'FILELINKTOS');
  const digests = column(h.stringArray(Tag.FILEDIGESTS), '', 'FILEDIGESTS');
  const inodes = column(h.numbers(Tag.FILEINODES), 0, 'FILEINODES');
  const devices = column(h.numbers(Tag.FILEDEVICES), 0, 'FILEDEVICES');
  const rdevs = column(h.numbers(Tag.FILERDEVS), 0, 'FILERDEVS');
  const langs = column(h.stringArray(Tag.FILELANGS), '', 'FILELANGS');
  const caps = column(h.stringArray(Tag.FILECAPS), '', 'FILECAPS');
  const out = new Array<RpmFile>(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      path: names[i]!,
      mode: modes[i]!,
      size: sizes[i]!,
      user: users[i]!,
      group: groups[i]!,
      mtime: mtimes[i]!,
      flags: flags[i]!,
      linkto: linktos[i]!,
      digest: digests[i]!,
      inode: inodes[i]!,
      device: devices[i]!,
      rdev: rdevs[i]!,
      lang: langs[i]!,
      caps: caps[i]!,
    };
  }
  return out;
}

function scriptlets(h: RpmHeader): string[] {
  const out = new Set<string>();
  for (const [name, body, prog] of SCRIPTLETS) if (h.has(body) || h.has(prog)) out.add(name);
  for (const [prefix, scripts, flagsTag] of TRIGGERS) {
    if (!h.has(scripts)) continue;
    const count = h.stringArray(scripts)?.length ?? 0;
    // Each script's kind comes from the flags of the trigger conditions that point at it;
    // the index tag maps conditions to scripts.
    const flags = h.numbers(flagsTag) ?? [];
    const indexTag = scripts === Tag.TRIGGERSCRIPTS ? Tag.TRIGGERINDEX : scripts === Tag.FILETRIGGERSCRIPTS ? Tag.FILETRIGGERINDEX : Tag.TRANSFILETRIGGERINDEX;
    const index = h.numbers(indexTag) ?? [];
    for (let s = 0; s < count; s++) {
      for (let c = 0; c < flags.length; c++) {
        if ((index[c] ?? c) !== s) continue;
        const f = flags[c]!;
        const kind = f & TriggerSense.prein ? 'prein' : f & TriggerSense.in ? 'in' : f & TriggerSense.un ? 'un' : f & TriggerSense.postun ? 'postun' : '';
        if (kind) out.add(prefix + kind);
      }
    }
  }
  return [...out];
}
