// OpenPGP signature packets (RFC 4880 §5.2, RFC 9580 §5.2) read just far enough to know
// who signed and how: version, algorithms, creation time, issuer. v3 packets, which RPMs
// from EL 7/8 and older Fedora still carry and openpgp.js no longer reads, are parsed
// whole, for verify.ts to check with node:crypto.

export interface SignaturePacket {
  version: number;
  /** 0x00: a signature of a binary document. */
  sigType: number;
  /** RFC 9580 public-key algorithm ids: 1 RSA, 17 DSA, 19 ECDSA, 22 EdDSA (legacy), 27 Ed25519, … */
  pubkeyAlgo: number;
  hashAlgo: number;
  /** Seconds since the epoch. */
  created: number;
  /** Lowercase hex: the 8-byte key id (v3, subpacket 16) and/or the fingerprint (subpacket 33). */
  issuerKeyId?: string;
  issuerFingerprint?: string;
  /** The whole packet, header included (what openpgp.js reads for v4 and v6). */
  packet: Buffer;
  /** v3 only: the creation-time field's bytes and the RSA signature's MPI value. */
  v3?: { hashed: Buffer; mpi: Buffer };
}

export class PacketError extends Error {}

/** A packet's tag, where its body starts and where it ends, from an old- or new-format header at `at`. */
function header(b: Buffer, at: number): { tag: number; body: number; end: number } {
  const h = b[at];
  if (h === undefined || !(h & 0x80)) throw new PacketError('not an OpenPGP packet');
  if (h & 0x40) {
    const l0 = b[at + 1]!;
    if (l0 < 192) return { tag: h & 0x3f, body: at + 2, end: at + 2 + l0 };
    if (l0 < 224) return { tag: h & 0x3f, body: at + 3, end: at + 3 + ((l0 - 192) << 8) + b[at + 2]! + 192 };
    if (l0 === 255) return { tag: h & 0x3f, body: at + 6, end: at + 6 + b.readUInt32BE(at + 2) };
    throw new PacketError('partial-length signature packet');
  }
  const tag = (h >> 2) & 0x0f;
  const lt = h & 3;
  if (lt === 0) return { tag, body: at + 2, end: at + 2 + b[at + 1]! };
  if (lt === 1) return { tag, body: at + 3, end: at + 3 + b.readUInt16BE(at + 1) };
  if (lt === 2) return { tag, body: at + 5, end: at + 5 + b.readUInt32BE(at + 1) };
  return { tag, body: at + 1, end: b.length };
}

/** The packets of a binary OpenPGP stream (a detached signature may hold several). */
export function splitPackets(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < b.length; ) {
    const { end } = header(b, at);
    out.push(b.subarray(at, end));
    at = end;
  }
  return out;
}

/** Issuer key id (16) and fingerprint (33) subpackets, and the creation time (2), from a subpacket area. */
function subpackets(area: Buffer, into: Partial<SignaturePacket>): void {
  for (let at = 0; at < area.length; ) {
    let len = area[at]!;
    at++;
    if (len >= 192 && len < 255) {
      len = ((len - 192) << 8) + area[at]! + 192;
      at++;
    } else if (len === 255) {
      len = area.readUInt32BE(at);
      at += 4;
    }
    const type = area[at]! & 0x7f;
    const data = area.subarray(at + 1, at + len);
    if (type === 2 && data.length === 4) into.created = data.readUInt32BE(0);
    if (type === 16 && data.length === 8) into.issuerKeyId ??= data.toString('hex');
    if (type === 33 && data.length > 1) into.issuerFingerprint ??= data.subarray(1).toString('hex');
    at += len;
  }
}

export function parseSignature(packet: Buffer): SignaturePacket {
  const h = header(packet, 0);
  if (h.tag !== 2) throw new PacketError(`packet tag ${h.tag}, not a signature`);
  const body = packet.subarray(h.body, h.end);
  const version = body[0];
  if (version === 3) {
    if (body[1] !== 5) throw new PacketError('v3 signature with a hashed length other than 5');
    const mpiBits = body.readUInt16BE(19);
    return {
      version,
      sigType: body[2]!,
      created: body.readUInt32BE(3),
      issuerKeyId: body.subarray(7, 15).toString('hex'),
      pubkeyAlgo: body[15]!,
      hashAlgo: body[16]!,
      packet,
      v3: { hashed: body.subarray(2, 7), mpi: body.subarray(21, 21 + Math.ceil(mpiBits / 8)) },
    };
  }
  if (version === 4 || version === 6) {
    const wide = version === 6;
    const hashedLen = wide ? body.readUInt32BE(4) : body.readUInt16BE(4);
    const hashedStart = wide ? 8 : 6;
    const out: Partial<SignaturePacket> = { version, sigType: body[1]!, pubkeyAlgo: body[2]!, hashAlgo: body[3]!, created: 0, packet };
    subpackets(body.subarray(hashedStart, hashedStart + hashedLen), out);
    const unhashedAt = hashedStart + hashedLen;
    const unhashedLen = wide ? body.readUInt32BE(unhashedAt) : body.readUInt16BE(unhashedAt);
    subpackets(body.subarray(unhashedAt + (wide ? 4 : 2), unhashedAt + (wide ? 4 : 2) + unhashedLen), out);
    // A v4 fingerprint's last 8 bytes are the key id; a v6 fingerprint's first 8.
    if (!out.issuerKeyId && out.issuerFingerprint) out.issuerKeyId = wide ? out.issuerFingerprint.slice(0, 16) : out.issuerFingerprint.slice(-16);
    return out as SignaturePacket;
  }
  throw new PacketError(`signature packet version ${version}`);
}
