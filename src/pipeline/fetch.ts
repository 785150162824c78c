// The packages of the selected arches' images in the host cache (each arch from its own
// repos, each RPM fetched once however many images and arches hold it), their headers
// read (and their digests checked), and, for repos with gpgcheck, their signatures
// checked twice: before a download enters the cache, and here, where they are used.
import { formatBytes } from '../bytes.js';
import type { LayerSource } from '../layer/index.js';
import { mapLimit } from '../limit.js';
import { fetchPackages, type PackageRef, type PackageRepo } from '../repo/index.js';
import { readRpm } from '../rpm/package.js';
import { nevra } from '../rpm/version.js';
import { Keyring, verifySigned } from '../trust/index.js';
import type { RepoState, ResolvedPackage, Resolution } from '../types/index.js';
import type { Loaded } from './load.js';
import type { ArchSelection } from './resolve.js';

/** Headers are read this many at a time: enough to hide the disk, few open files. */
const HEADER_READS = 8;

/** checksum → the package in the host cache, with its header. */
export async function fetchSources(ctx: Loaded, res: Resolution, selection: ArchSelection[]): Promise<Map<string, LayerSource>> {
  const signed = await signatureCheck(res, selection);
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
        accept: async (pkg, file) => signed(pkg, (await readRpm(file)).header),
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
  const headers = await mapLimit(entries, HEADER_READS, async ([checksum, file]) => {
    const { header } = await readRpm(file);
    await signed({ checksum }, header);
    return header;
  });
  return new Map(entries.map(([checksum, file], i) => [checksum, { header: headers[i]!, file }]));
}

/**
 * The signature check of the selected packages: for a package of a repo with gpgcheck,
 * its header must carry a signature by one of the repo's keys; packages of other repos
 * pass as they are (the result block names those repos).
 */
async function signatureCheck(res: Resolution, selection: ArchSelection[]): Promise<(pkg: Pick<PackageRef, 'checksum'>, header: LayerSource['header']) => Promise<void>> {
  const from = new Map<string, { pkg: ResolvedPackage; repo: RepoState }>();
  for (const { arch, images } of selection) {
    for (const name of images) {
      for (const pkg of res.images[name]![arch]!.packages) {
        if (from.has(pkg.checksum)) continue;
        from.set(pkg.checksum, { pkg, repo: res.repos[arch]!.find((r) => r.source.id === pkg.repo)! });
      }
    }
  }
  const rings = new Map<RepoState, Promise<Keyring>>();
  const ring = (repo: RepoState) => {
    let r = rings.get(repo);
    if (!r) rings.set(repo, (r = Keyring.parse((repo.metadata.keys ?? []).map((k) => ({ where: `${repo.source.path}: key ${k.fingerprint}`, bytes: Buffer.from(k.armored) })))));
    return r;
  };
  return async (pkg, header) => {
    const f = from.get(pkg.checksum);
    if (!f?.repo.source.gpgcheck) return;
    await verifySigned(header.headerBlob, header.signatures ?? [], await ring(f.repo), `package ${nevra(f.pkg)} (${f.repo.source.path})`);
  };
}

/** The repos the selected images take packages from without checking signatures (gpgcheck off), by JSON path. */
export function unverifiedRepos(res: Resolution, selection: ArchSelection[]): string[] {
  const out = new Set<string>();
  for (const { arch, images } of selection) {
    const used = new Set(images.flatMap((name) => res.images[name]![arch]!.packages.map((p) => p.repo)));
    for (const r of res.repos[arch]!) if (used.has(r.source.id) && !r.source.gpgcheck) out.add(r.source.path);
  }
  return [...out].sort();
}
