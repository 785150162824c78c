// The RPM reader: headers (readRpm), the cpio payload (payloadEntries), files read out
// of it (readPackagedFiles), and the streaming codecs (payload decompression, zstd layer
// compression).
export { payloadEntries } from './cpio.js';
export { decompressor, zstdCompressor } from './decompress.js';
export { PackagedFiles, readPackagedFiles, type PackageFile } from './files.js';
export { RpmHeader } from './header.js';
export { readRpm, sniff, type ReadRpmResult } from './package.js';
export { Tag } from './tags.js';
export * from './types.js';
