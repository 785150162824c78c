// OpenPGP signatures checked against a repo's keys: an RPM's header signatures (RSAHEADER,
// DSAHEADER, rpm 6's OPENPGP array) and repomd.xml's detached signature. v4 and v6
// packets go to openpgp.js; v3 packets (RSA, PKCS#1 v1.5 over the data, the signature
// class and its time) are checked with node:crypto on the key openpgp.js parsed. A package
// passes when any of its signatures by a trusted key verifies.
import { constants, createPublicKey, verify as verifyRsa, type KeyObject } from 'node:crypto';
import { TrustError } from '../errors.js';
import { openpgp, type Keyring, type TrustedKey } from './keys.js';
import { PacketError, parseSignature, splitPackets, type SignaturePacket } from './packets.js';

/** RFC 9580 hash algorithm ids → node:crypto names (what v3 signatures use). */
const HASHES: Record<number, string> = { 1: 'md5', 2: 'sha1', 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224' };
/** Public-key algorithms verified: RSA (v3 here, v4/v6 by openpgp.js), EdDSA (legacy 22) and Ed25519 (27). */
const SUPPORTED = new Set([1, 3, 22, 27]);
const ALGO_NAMES: Record<number, string> = { 1: 'RSA', 3: 'RSA', 17: 'DSA', 19: 'ECDSA', 22: 'EdDSA', 27: 'Ed25519', 28: 'Ed448', 30: 'ML-DSA-65+Ed25519', 31: 'ML-DSA-87+Ed448' };

const hex = (s: string | undefined) => (s ? s.toUpperCase() : 'unknown');
const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function rsaKey(key: TrustedKey, keyId: string): KeyObject {
  const k = key.key.getKeys().find((x) => x.getKeyID().toHex() === keyId) ?? key.key;
  const { n, e } = k.keyPacket.publicParams as { n?: Uint8Array; e?: Uint8Array };
  if (!n || !e) throw new TrustError('TRUST_UNSUPPORTED', `key ${hex(keyId)} is not an RSA key, but signed with RSA`);
  return createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
}

/** Whether `sig` (by `key`) signs `data`; false for a bad signature. */
async function check(data: Buffer, sig: SignaturePacket, key: TrustedKey): Promise<boolean> {
  if (sig.version === 3) {
    const hash = HASHES[sig.hashAlgo];
    if (!hash || (sig.pubkeyAlgo !== 1 && sig.pubkeyAlgo !== 3)) return false;
    const signed = Buffer.concat([data, sig.v3!.hashed]);
    return verifyRsa(hash, signed, { key: rsaKey(key, sig.issuerKeyId!), padding: constants.RSA_PKCS1_PADDING }, sig.v3!.mpi);
  }
  const { readSignature, createMessage, verify } = await openpgp();
  const result = await verify({
    message: await createMessage({ binary: new Uint8Array(data) }),
    signature: await readSignature({ binarySignature: new Uint8Array(sig.packet) }),
    verificationKeys: [key.key],
  });
  try {
    return (await result.signatures[0]?.verified) === true;
  } catch {
    return false;
  }
}

/**
 * The fingerprint of the trusted key whose signature over `data` verifies, among
 * `packets`; otherwise a TrustError saying why, with `what` (the package or repomd, and
 * the repo) in its message: not signed, signed by a key the repo does not list, a bad
 * signature, an algorithm not supported.
 */
export async function verifySigned(data: Buffer, packets: Buffer[], ring: Keyring, what: string): Promise<string> {
  if (packets.length === 0) throw new TrustError('TRUST_UNSIGNED', `${what}: not signed, and gpgcheck is on`);
  const parsed: SignaturePacket[] = [];
  const unreadable: string[] = [];
  for (const p of packets) {
    try {
      parsed.push(parseSignature(p));
    } catch (err) {
      unreadable.push(err instanceof PacketError ? err.message : String(err));
    }
  }
  const bad: string[] = [];
  const unsupported: string[] = [];
  for (const sig of parsed) {
    const key = ring.find({ keyId: sig.issuerKeyId, fingerprint: sig.issuerFingerprint });
    if (!key) continue;
    if (!SUPPORTED.has(sig.pubkeyAlgo) || (sig.version === 3 && !HASHES[sig.hashAlgo])) {
      unsupported.push(`${ALGO_NAMES[sig.pubkeyAlgo] ?? `algorithm ${sig.pubkeyAlgo}`} (v${sig.version}) by key ${hex(sig.issuerKeyId)}`);
      continue;
    }
    let ok: boolean;
    try {
      ok = await check(data, sig, key);
    } catch (err) {
      if (err instanceof TrustError) throw err;
      unsupported.push(`v${sig.version} ${ALGO_NAMES[sig.pubkeyAlgo] ?? sig.pubkeyAlgo} by key ${hex(sig.issuerKeyId)}: ${(err as Error).message}`);
      continue;
    }
    if (ok) return key.fingerprint;
    bad.push(hex(sig.issuerKeyId));
  }
  if (bad.length) throw new TrustError('TRUST_BAD_SIGNATURE', `${what}: bad signature by key ${bad.join(', ')}: it was changed after it was signed`);
  if (unsupported.length) throw new TrustError('TRUST_UNSUPPORTED', `${what}: no signature rpmcompose can check: ${unsupported.join('; ')}`);
  if (parsed.length === 0) throw new TrustError('TRUST_UNREADABLE', `${what}: unreadable signature: ${unreadable.join('; ')}`);
  const by = [...new Set(parsed.map((s) => hex(s.issuerFingerprint ?? s.issuerKeyId)))];
  throw new TrustError('TRUST_UNKNOWN_KEY', `${what}: signed by key ${by.join(', ')}, which is not among the repo's gpgkey (${ring.describe() || 'none'})`);
}

/** A detached signature (armored or binary), as repomd.xml.asc is, checked over `data`. */
export async function verifyDetached(data: Buffer, signature: Buffer, ring: Keyring, what: string): Promise<string> {
  let packets: Buffer[];
  const text = signature.toString('latin1');
  if (text.includes('-----BEGIN PGP SIGNATURE-----')) {
    const { unarmor } = await openpgp();
    try {
      packets = splitPackets(Buffer.from((await unarmor(text)).data as Uint8Array));
    } catch (err) {
      throw new TrustError('TRUST_UNREADABLE', `${what}: unreadable signature: ${(err as Error).message}`, { cause: err });
    }
  } else {
    try {
      packets = splitPackets(signature);
    } catch (err) {
      throw new TrustError('TRUST_UNREADABLE', `${what}: unreadable signature: ${(err as Error).message}`, { cause: err });
    }
  }
  return verifySigned(data, packets, ring, what);
}
