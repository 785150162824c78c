// The layer stage's front door: per image, the facts every layer of it must agree on
// (owners from its own passwd/group, the directories its packages own, rpm's file-conflict
// check over the whole set); per planned layer, the layer itself, from the host cache when
// it was built before, else built in a worker thread.
import { LayerError } from '../errors.js';
import { mapLimit } from '../limit.js';
import { cmp } from '../order.js';
import type { Compression, Layer } from '../oci/index.js';
import { nevra } from '../rpm/version.js';
import { layerKey, type LayerCache } from './cache.js';
import { layerEntries } from './entries.js';
import { AccountReader, type IdMap } from './owners.js';
import { ImageTree } from './paths.js';
import { LAYER_WORKERS, LayerPool } from './pool.js';
import type { LayerSource } from './stream.js';

export interface LayerOptions {
  docs: boolean;
  /** Empty: every language. */
  langs: string[];
  compression: Compression;
  level?: number;
  /** An owner missing from an image's passwd/group is an error rather than root with a warning. */
  strictOwners?: boolean;
  /** mtime of the directories rpmcompose adds; default: the newest build time of the layer's packages. */
  sourceDateEpoch?: number;
  log?: (line: string) => void;
}

/** What every layer of one image must agree on. */
export interface ImageFacts {
  ids: IdMap;
  /** Where its packages' files land (usrmerge and other directory symlinks resolved). */
  tree: ImageTree;
  /** Directories some package of the image owns, in whichever layer, at their paths in the image. */
  ownedDirs: Set<string>;
}

/** One layer as the planner gave it: package keys (checksums) and the images holding it. */
export interface LayerRequest {
  packages: string[];
  images: string[];
}

export interface BuiltLayer {
  layer: Layer;
  /** Taken from the host cache rather than built. */
  cached: boolean;
}

export class LayerBuilder {
  private readonly accounts = new AccountReader();
  private pool: LayerPool | undefined;

  constructor(
    readonly cache: LayerCache,
    private readonly opts: LayerOptions,
  ) {}

  /**
   * Ids from the image's own passwd/group, where its files land, the directories it owns,
   * and rpm's file-conflict check over the whole set.
   */
  async imageFacts(name: string, arch: string, sources: LayerSource[], tree = ImageTree.of(sources.map((s) => s.header))): Promise<ImageFacts> {
    const ids = await this.accounts.idMap(sources);
    // Layers alone would not see a conflict between packages in two of them.
    layerEntries(
      sources.map((s) => s.header),
      { docs: this.opts.docs, langs: this.opts.langs, ids, mtime: 0, arch, tree },
    );
    if (ids.unknown().length && this.opts.strictOwners) {
      throw new LayerError('LAYER_OWNERS', `${name} (${arch}): owners not in the image's /etc/passwd or /etc/group: ${ids.unknown().join(', ')}`);
    }
    return { ids, tree, ownedDirs: tree.ownedDirs() };
  }

  /** Every layer of one arch, largest first (the biggest is the critical path: it must not start last). */
  async layers(
    requests: (LayerRequest & { bytes: number; id: string })[],
    arch: string,
    sourcesOf: (keys: string[]) => LayerSource[],
    facts: Map<string, ImageFacts>,
  ): Promise<Map<string, BuiltLayer>> {
    const bySize = [...requests].sort((a, b) => b.bytes - a.bytes || cmp(a.id, b.id));
    const built = await mapLimit(bySize, LAYER_WORKERS, (r) => this.layer(r, arch, sourcesOf(r.packages), facts));
    return new Map(bySize.map((r, i) => [r.id, built[i]!]));
  }

  /** One layer: from the host cache when built before, else built in a worker. */
  async layer(req: LayerRequest, arch: string, sources: LayerSource[], facts: Map<string, ImageFacts>): Promise<BuiltLayer> {
    // A directory some image of this layer owns elsewhere is left to the layer that holds it.
    const imageDirs = new Set(req.images.flatMap((i) => [...facts.get(i)!.ownedDirs]));
    const { ids, tree } = facts.get(req.images[0]!)!;
    const mtime = this.opts.sourceDateEpoch ?? Math.max(0, ...sources.map((s) => s.header.buildtime));
    const content = layerEntries(
      sources.map((s) => s.header),
      { docs: this.opts.docs, langs: this.opts.langs, ids, mtime, arch, tree, imageDirs },
    );
    for (const other of req.images.slice(1)) {
      // The planner keys packages by where their files land: images that share a layer agree.
      const t = facts.get(other)!.tree;
      const context = (x: ImageTree, s: LayerSource) => x.pathsOf(s.header)?.context.join('\n');
      const differs = sources.find((s) => context(t, s) !== context(tree, s));
      if (differs) {
        throw new LayerError(
          'LAYER_SHARED_PATHS',
          `${nevra(differs.header)}: images ${req.images[0]} and ${other} lay its files down at different paths (their directory symlinks differ)`,
        );
      }
      const o = facts.get(other)!.ids;
      const clash = content.entries.find((e) => o.uid(e.uname) !== e.uid || o.gid(e.gname) !== e.gid);
      if (clash) {
        throw new LayerError(
          'LAYER_SHARED_OWNERS',
          `${clash.path}: images ${req.images[0]} and ${other} map its owner ${clash.uname}:${clash.gname} to different ids`,
        );
      }
    }
    const key = layerKey({ checksums: req.packages, content, compression: this.opts.compression, level: this.opts.level });
    const hit = await this.cache.get(key);
    if (hit) return { layer: hit, cached: true };
    this.opts.log?.(`building layer of ${sources.length} packages (${arch}) for ${req.images.join(', ')}`);
    // Workers start only when some layer must be built.
    this.pool ??= new LayerPool();
    const layer = await this.pool.build({
      // The header blob is for an rpmdb, not for the layer: not worth copying to a worker.
      sources: sources.map((x) => ({ file: x.file, header: { ...x.header, headerBlob: Buffer.alloc(0) } })),
      content,
      storeRoot: this.cache.store.root,
      compression: this.opts.compression,
      level: this.opts.level,
      history: `rpm packages: ${sources.map((s) => nevra(s.header)).join(' ')}`,
    });
    await this.cache.put(key, layer);
    return { layer, cached: false };
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
