// The RPM header tag numbers the reader uses (rpmtag.h), named.

export const Tag = {
  // Region markers and signature-header tags.
  HEADERSIGNATURES: 62,
  HEADERIMMUTABLE: 63,
  SIG_SIZE: 1000,
  SIG_PAYLOADSIZE: 1007,
  SIG_LONGSIZE: 270,
  SIG_LONGARCHIVESIZE: 271,
  /** OpenPGP signature of the main header: DSA/EdDSA/ECDSA, and RSA. */
  SIG_DSA: 267,
  SIG_RSA: 268,
  /** Hex digests of the main header. */
  SIG_SHA1: 269,
  SIG_SHA256: 273,
  /** OpenPGP signatures of header and payload (rpm < 4.14; not verified: the header's ones are). */
  SIG_PGP: 1002,
  SIG_GPG: 1005,
  /** rpm 6: the header's OpenPGP signatures, one per array element. */
  SIG_OPENPGP: 278,

  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  BUILDTIME: 1006,
  ARCH: 1022,
  SOURCERPM: 1044,
  SOURCEPACKAGE: 1106,

  PREIN: 1023,
  POSTIN: 1024,
  PREUN: 1025,
  POSTUN: 1026,
  VERIFYSCRIPT: 1079,
  PREINPROG: 1085,
  POSTINPROG: 1086,
  PREUNPROG: 1087,
  POSTUNPROG: 1088,
  VERIFYSCRIPTPROG: 1091,
  PRETRANS: 1151,
  POSTTRANS: 1152,
  PRETRANSPROG: 1153,
  POSTTRANSPROG: 1154,
  PREUNTRANS: 5103,
  POSTUNTRANS: 5104,
  PREUNTRANSPROG: 5105,
  POSTUNTRANSPROG: 5106,
  TRIGGERSCRIPTS: 1065,
  TRIGGERFLAGS: 1068,
  TRIGGERINDEX: 1069,
  FILETRIGGERSCRIPTS: 5066,
  FILETRIGGERINDEX: 5070,
  FILETRIGGERFLAGS: 5072,
  TRANSFILETRIGGERSCRIPTS: 5076,
  TRANSFILETRIGGERINDEX: 5080,
  TRANSFILETRIGGERFLAGS: 5082,

  OLDFILENAMES: 1027,
  FILESIZES: 1028,
  FILEMODES: 1030,
  FILERDEVS: 1033,
  FILEMTIMES: 1034,
  FILEDIGESTS: 1035,
  FILELINKTOS: 1036,
  FILEFLAGS: 1037,
  FILEUSERNAME: 1039,
  FILEGROUPNAME: 1040,
  FILEDEVICES: 1095,
  FILEINODES: 1096,
  FILELANGS: 1097,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  PAYLOADFORMAT: 1124,
  PAYLOADCOMPRESSOR: 1125,
  LONGFILESIZES: 5008,
  FILECAPS: 5010,
  FILEDIGESTALGO: 5011,
  RPMFORMAT: 5114,
  PAYLOADSHA256: 5092,
  PAYLOADSHA256ALGO: 5093,
} as const;

/** Header entry data types (rpmtag.h rpmTagType). */
export const TagType = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** RPMSENSE_TRIGGER* bits in TRIGGERFLAGS / FILETRIGGERFLAGS. */
export const TriggerSense = {
  in: 1 << 16,
  un: 1 << 17,
  postun: 1 << 18,
  prein: 1 << 25,
} as const;

/** PGPHASHALGO_* (RPMTAG_FILEDIGESTALGO) → name. */
export const DigestAlgo: Record<number, string> = {
  1: 'md5',
  2: 'sha1',
  3: 'ripemd160',
  5: 'md2',
  6: 'tiger192',
  7: 'haval-5-160',
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
  11: 'sha224',
  12: 'sha3-256',
  14: 'sha3-512',
};
