// Output stage: OCI media types, descriptors, layers, images, layouts and archives.
// Pure builders plus a content-addressed blob store; never imports solve/ or repo/.
export * from './mediatypes.js';
export * from './digest.js';
export * from './descriptor.js';
export * from './store.js';
export * from './layer.js';
export * from './image.js';
export * from './layout.js';
export * from './archive.js';
