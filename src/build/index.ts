// The build stage: an image's packages → the tar of its layer, with the image's own
// users and groups, and what the build noticed (unknown owners, scriptlets not run).
import type { Readable } from 'node:stream';
import { BuildError } from '../errors.js';
import { payloadEntries } from '../rpm/cpio.js';
import { FileFlag } from '../rpm/types.js';
import { layerTar, type LayerSource } from './layer.js';
import { planLayer, S_IFMT, S_IFREG, type LayerPlan } from './plan.js';
import { idMap } from './users.js';

export type { LayerSource } from './layer.js';
export { layerTar } from './layer.js';
export { planLayer, type LayerPlan, type Entry } from './plan.js';

export interface BuildOptions {
  docs: boolean;
  langs: string[];
  arch: string;
  /** mtime of what rpmcompose generates: SOURCE_DATE_EPOCH or the newest build time. */
  mtime: number;
  /** Fail instead of warning when a file's owner is not in the image's passwd/group. */
  strictOwners?: boolean;
}

export interface ImageLayer {
  plan: LayerPlan;
  /** A fresh tar stream of the layer each call (payloads are read anew). */
  tar(): Readable;
  /** `user:name` / `group:name` the image's passwd/group lack: mapped to root. */
  unknownOwners: string[];
  /** NEVRA → scriptlets it carries, which were not run. */
  scriptlets: Record<string, string[]>;
}

/** Regular files' bytes from the packages that ship them (e.g. /etc/passwd from setup). */
export async function readPackagedFiles(sources: LayerSource[], paths: string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const source of sources) {
    const wanted = new Set(
      source.header.files
        .filter((f) => paths.includes(f.path) && (f.mode & S_IFMT) === S_IFREG && !(f.flags & FileFlag.ghost) && !out.has(f.path))
        .map((f) => f.path),
    );
    if (wanted.size === 0) continue;
    for await (const entry of payloadEntries(source.file, source.header)) {
      if (!wanted.has(entry.path) || entry.size === 0) continue;
      const chunks: Buffer[] = [];
      for await (const c of entry.body) chunks.push(Buffer.from(c as Buffer));
      out.set(entry.path, Buffer.concat(chunks));
      wanted.delete(entry.path);
      if (wanted.size === 0) break;
    }
  }
  return out;
}

const nevra = (s: LayerSource) => {
  const h = s.header;
  return `${h.name}-${h.epoch ? `${h.epoch}:` : ''}${h.version}-${h.release}.${h.arch}`;
};

export async function imageLayer(sources: LayerSource[], opts: BuildOptions): Promise<ImageLayer> {
  const files = await readPackagedFiles(sources, ['/etc/passwd', '/etc/group']);
  const ids = idMap(files.get('/etc/passwd')?.toString('utf8'), files.get('/etc/group')?.toString('utf8'));
  const plan = planLayer(
    sources.map((s) => s.header),
    { docs: opts.docs, langs: opts.langs, ids, mtime: opts.mtime, arch: opts.arch },
  );
  const unknownOwners = ids.unknown();
  if (unknownOwners.length && opts.strictOwners) {
    throw new BuildError('BUILD_OWNERS', `owners not in the image's /etc/passwd or /etc/group: ${unknownOwners.join(', ')}`);
  }
  const scriptlets = Object.fromEntries(sources.filter((s) => s.header.scriptlets.length).map((s) => [nevra(s), s.header.scriptlets]));
  return { plan, tar: () => layerTar(sources, plan), unknownOwners, scriptlets };
}
