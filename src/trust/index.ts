// Trust: the keys a repo lists, and OpenPGP signatures of RPM headers and repomd.xml
// checked against them. Used by the repo stage (repomd.xml.asc, packages as they enter the
// cache) and the pipeline (packages where they are used).
export { Keyring, type TrustedKey } from './keys.js';
export { verifyDetached, verifySigned } from './verify.js';
