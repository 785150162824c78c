// The keys a repo trusts (its `gpgkey` list): armored or binary OpenPGP public keys,
// several per file, parsed by openpgp.js. What the lock records of them: each key's
// fingerprint and armored form.
import type { PublicKey } from 'openpgp';
import { TrustError } from '../errors.js';

export interface TrustedKey {
  /** Lowercase hex. */
  fingerprint: string;
  /** Key ids (lowercase hex) of the primary key and its subkeys: what signatures name. */
  keyIds: string[];
  /** Fingerprints of the primary key and its subkeys. */
  fingerprints: string[];
  armored: string;
  key: PublicKey;
}

const BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

// openpgp.js costs ~60 ms to load: runs that check no signature never load it.
let openpgpModule: Promise<typeof import('openpgp')> | undefined;
export const openpgp = () => (openpgpModule ??= import('openpgp'));

export class Keyring {
  private constructor(readonly keys: TrustedKey[]) {}

  /** Every key in `files` (`where`: the URL or path, named by errors). */
  static async parse(files: { where: string; bytes: Buffer }[]): Promise<Keyring> {
    const { readKeys } = await openpgp();
    const keys: TrustedKey[] = [];
    for (const { where, bytes } of files) {
      const text = bytes.toString('latin1');
      const blocks = text.match(BLOCK);
      let parsed: PublicKey[];
      try {
        parsed = blocks
          ? (await Promise.all(blocks.map((armoredKeys) => readKeys({ armoredKeys })))).flat()
          : await readKeys({ binaryKeys: new Uint8Array(bytes) });
      } catch (err) {
        throw new TrustError('TRUST_KEY_UNREADABLE', `${where}: not an OpenPGP public key: ${(err as Error).message}`, { cause: err, url: where });
      }
      if (parsed.length === 0) throw new TrustError('TRUST_KEY_UNREADABLE', `${where}: holds no OpenPGP public key`, { url: where });
      for (const key of parsed) {
        const subs = key.getSubkeys();
        keys.push({
          fingerprint: key.getFingerprint(),
          keyIds: [key.getKeyID().toHex(), ...subs.map((s) => s.getKeyID().toHex())],
          fingerprints: [key.getFingerprint(), ...subs.map((s) => s.getFingerprint())],
          armored: key.armor(),
          key,
        });
      }
    }
    return new Keyring(keys);
  }

  /** The key a signature names, by key id or fingerprint (lowercase hex). */
  find(issuer: { keyId?: string; fingerprint?: string }): TrustedKey | undefined {
    return this.keys.find((k) => (issuer.fingerprint && k.fingerprints.includes(issuer.fingerprint)) || (issuer.keyId && k.keyIds.includes(issuer.keyId)));
  }

  describe(): string {
    return this.keys.map((k) => k.fingerprint.toUpperCase()).join(', ');
  }
}
