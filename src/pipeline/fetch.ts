// The packages of the selected arches' images in the host cache (each arch from its own repos, each RPM
// fetched once however many images and arches hold it), and their headers.
import { formatBytes } from '../bytes.js';
import type { LayerSource } from '../layer/index.js';
import { mapLimit } from '../limit.js';
import { fetchPackages, type PackageRepo } from '../repo/index.js';
import { readRpm } from '../rpm/package.js';
import type { Resolution } from '../types/index.js';
import type { Loaded } from './load.js';
import type { ArchSelection } from './resolve.js';

/** Headers are read this many at a time: enough to hide the disk, few open files. */
const HEADER_READS = 8;

/** checksum → the package in the host cache, with its header. */
export async function fetchSources(ctx: Loaded, res: Resolution, selection: ArchSelection[]): Promise<Map<string, LayerSource>> {
  const files = new Map<string, string>();
  for (const { arch, images } of selection) {
    const repos = new Map<string, PackageRepo>(res.repos[arch]!.map((r) => [r.source.id, { ...r.source, url: r.metadata.url }]));
    let last = 0;
    const got = await fetchPackages(
      images.flatMap((name) => res.images[name]![arch]!.packages),
      repos,
      {
        cacheDir: ctx.cacheDir,
        offline: ctx.offline,
        log: ctx.log,
        progress: (done, total, bytes) => {
          if (done === total || Date.now() - last > 500) {
            last = Date.now();
            ctx.log(`packages (${arch}): ${done}/${total}, ${formatBytes(bytes)} downloaded`);
          }
        },
      },
    );
    for (const [k, v] of got) files.set(k, v);
  }
  const entries = [...files];
  const headers = await mapLimit(entries, HEADER_READS, async ([, file]) => (await readRpm(file)).header);
  return new Map(entries.map(([checksum, file], i) => [checksum, { header: headers[i]!, file }]));
}
