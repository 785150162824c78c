// The layer stage: RPM packages → deterministic tar layers, straight from their payloads
// (entries from the headers, owners from the image's own accounts, built in worker
// threads, kept in the host cache by content).
export { LayerBuilder, type BuiltLayer, type ImageFacts, type LayerOptions, type LayerRequest } from './build.js';
export { LayerCache, layerKey } from './cache.js';
export { layerEntries, type Entry, type EntryOptions, type LayerEntries } from './entries.js';
export { idMap, type IdMap } from './owners.js';
export { canonicalPath, ImageTree, type PackagePaths } from './paths.js';
export { layerTar, type LayerSource } from './stream.js';
