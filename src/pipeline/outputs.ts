// Where composed images go. Each output is checked before anything is built (so a compose
// that cannot be written fails in a second, not after the build) and written last, in one
// step, once every image is in the blob store.
import path from 'node:path';
import { OciError } from '../errors.js';
import { checkLayoutDir, writeDockerArchive, writeLayout, writeOciArchive, type BlobStore, type Ref } from '../oci/index.js';
import type { ArchSelection } from './resolve.js';

export type OutputFormat = 'oci' | 'oci-archive' | 'docker-archive';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['oci', 'oci-archive', 'docker-archive'];

export interface Output {
  readonly format: OutputFormat;
  /** Absolute path of the layout directory or archive file. */
  readonly path: string;
  /** Whether it can hold these images, before anything is fetched or built. */
  check(selection: ArchSelection[]): Promise<void>;
  /** The image as skopeo, podman and buildah name it (`oci:<dir>:<name>`…); `shown` replaces the path. */
  ref(name: string, shown?: string): string;
  write(store: BlobStore, refs: Ref[]): Promise<void>;
}

/** An OCI image layout: images of other names already there are kept. */
export function layoutOutput(dir: string): Output {
  const abs = path.resolve(dir);
  return {
    format: 'oci',
    path: abs,
    check: async () => {
      await checkLayoutDir(abs);
    },
    ref: (name, shown = abs) => `oci:${shown}:${name}`,
    write: (store, refs) => writeLayout(abs, store, refs),
  };
}

/** A tar of an OCI layout holding just these images. */
export function ociArchiveOutput(file: string): Output {
  const abs = path.resolve(file);
  return {
    format: 'oci-archive',
    path: abs,
    check: async () => {},
    ref: (name, shown = abs) => `oci-archive:${shown}:${name}`,
    write: (store, refs) => writeOciArchive(abs, store, refs),
  };
}

/** `docker save`'s format: one image of one arch. */
export function dockerArchiveOutput(file: string): Output {
  const abs = path.resolve(file);
  return {
    format: 'docker-archive',
    path: abs,
    check: async (selection) => {
      const arches = selection.map((s) => s.arch);
      if (arches.length > 1) throw new OciError('OCI_MULTIARCH', `a docker-archive holds one arch; this compose has ${arches.join(', ')}: pick one with --arch`);
      const names = [...new Set(selection.flatMap((s) => s.images))];
      if (names.length > 1) throw new OciError('OCI_DOCKER_IMAGES', `a docker-archive holds one image here; this compose has ${names.join(', ')}: pick one with --image`);
    },
    ref: (_name, shown = abs) => `docker-archive:${shown}`,
    write: (store, refs) => writeDockerArchive(abs, store, { name: refs[0]!.name, manifestDesc: refs[0]!.descriptor }),
  };
}

export function outputFor(format: OutputFormat, where: string): Output {
  return format === 'oci' ? layoutOutput(where) : format === 'oci-archive' ? ociArchiveOutput(where) : dockerArchiveOutput(where);
}
