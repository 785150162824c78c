// The build stage: packages → layer plans → deterministic tar layers, with the image's
// own users and groups.
import { payloadEntries } from '../rpm/cpio.js';
import { FileFlag } from '../rpm/types.js';
import type { LayerSource } from './layer.js';
import { S_IFMT, S_IFREG } from './plan.js';

export type { LayerSource } from './layer.js';
export { layerTar } from './layer.js';
export { planLayer, type LayerPlan, type Entry } from './plan.js';

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
