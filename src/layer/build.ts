// The layer stage's front door: per image, the facts every layer of it must agree on
// (owners from its own passwd/group, the directories its packages own, rpm's file-conflict
// check over the whole set); per planned layer, the layer itself, from the host cache when
// it was built before, else built in a worker thread.
import { LayerError } from '../errors.js';
import { canonicalJson } from '../json.js';
import { mapLimit } from '../limit.js';
import { cmp } from '../order.js';
import type { Compression, Layer } from '../oci/index.js';
import { PackagedFiles } from '../rpm/files.js';
import { nevra } from '../rpm/version.js';
import { buildRpmdb, dbPath, isMacroFile, SQLITE_VERSION } from '../rpmdb/index.js';
import { hexDigest } from '../hash.js';
import { compressTopLayer, topLayout, topTar, type TopFile } from './top.js';
import { compressorVersion, layerKey, type LayerCache } from './cache.js';
import { layerEntries } from './entries.js';
import { idMap, type IdMap } from './owners.js';
import { ImageTree } from './paths.js';
import { LAYER_WORKERS, LayerPool } from './pool.js';
import type { LayerSource } from './stream.js';

/** Bump when the same top layer content turns into other bytes. */
const TOP_LAYER_FORMAT = 2;

export interface LayerOptions {
  compression: Compression;
  /** Reads of packaged files (rpm macros), shared with the stage that read the account files. */
  files?: PackagedFiles;
  level?: number;
  /** An owner missing from an image's passwd/group is an error rather than root with a warning. */
  strictOwners?: boolean;
  /** mtime of the directories rpmcompose adds; default: the newest build time of the layer's packages. */
  sourceDateEpoch?: number;
  log?: (line: string) => void;
}

/** What rpm leaves out of an image's packages: %doc files, other languages. */
export interface ContentOptions {
  docs: boolean;
  /** Empty: every language. */
  langs: string[];
}

/** What every layer of one image must agree on. */
export interface ImageFacts {
  /** The image's docs and langs: a layer it shares is built with them. */
  content: ContentOptions;
  ids: IdMap;
  /** Where its packages' files land (usrmerge and other directory symlinks resolved). */
  tree: ImageTree;
  /** Directories some package of the image owns, in whichever layer, at their paths in the image. */
  ownedDirs: Set<string>;
  /** Per package (in the order given), each file's install state, as rpm's FILESTATES records it. */
  states: Uint8Array[];
  /** Where rpm in the image keeps its database (its %_dbpath), when it gets one. */
  dbpath?: string;
  /** Account files the image's accounts changed, for its top layer. */
  accountFiles: TopFile[];
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
  private readonly files: PackagedFiles;
  private pool: LayerPool | undefined;
  /** Set by close(): no worker is started after it. */
  private closed = false;

  constructor(
    readonly cache: LayerCache,
    private readonly opts: LayerOptions,
  ) {
    this.files = opts.files ?? new PackagedFiles();
  }

  /**
   * Ids from the image's accounts (its passwd and group once every account is made),
   * where its files land, the directories it owns, rpm's file-conflict check over the
   * whole set, and where its database goes.
   */
  async imageFacts(
    name: string,
    arch: string,
    sources: LayerSource[],
    content: ContentOptions & { rpmdb: boolean; accounts: { passwd?: string; group?: string; changed: TopFile[] } },
    tree = ImageTree.of(sources.map((s) => s.header)),
  ): Promise<ImageFacts> {
    const ids = idMap(content.accounts.passwd, content.accounts.group);
    // Layers alone would not see a conflict between packages in two of them.
    const whole = layerEntries(
      sources.map((s) => s.header),
      { docs: content.docs, langs: content.langs, ids, mtime: 0, arch, tree },
    );
    if (ids.unknown().length && this.opts.strictOwners) {
      throw new LayerError('LAYER_OWNERS', `${name} (${arch}): owners not in the image's /etc/passwd or /etc/group: ${ids.unknown().join(', ')}`);
    }
    const facts: ImageFacts = {
      content: { docs: content.docs, langs: content.langs },
      ids,
      tree,
      ownedDirs: tree.ownedDirs(),
      states: whole.states,
      accountFiles: content.accounts.changed,
    };
    if (content.rpmdb) {
      // Where its database goes, from its own macro files: known (or refused) before any layer is built.
      const got = await this.files.read(sources, (p) => isMacroFile(p, arch), `macros ${arch}`);
      facts.dbpath = dbPath(new Map([...got].map(([p, b]) => [p, b.toString('utf8')])), arch, `${name} (${arch})`).path;
    }
    return facts;
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
    const { ids, tree, content: wanted } = facts.get(req.images[0]!)!;
    const mtime = this.opts.sourceDateEpoch ?? Math.max(0, ...sources.map((s) => s.header.buildtime));
    const content = layerEntries(
      sources.map((s) => s.header),
      { docs: wanted.docs, langs: wanted.langs, ids, mtime, arch, tree, imageDirs },
    );
    for (const other of req.images.slice(1)) {
      // The planner keys packages by the images' docs and langs too: images that share a layer agree.
      if (canonicalJson(facts.get(other)!.content) !== canonicalJson(wanted)) {
        throw new LayerError('LAYER_SHARED_CONTENT', `images ${req.images[0]} and ${other} share a layer but differ in docs or langs`);
      }
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
    if (this.closed) throw new LayerError('LAYER_INTERNAL', 'a layer was asked for after the build ended');
    this.pool ??= new LayerPool();
    const layer = await this.pool.build({
      // The header blobs are for the rpm database, not for the layer: not worth copying to a worker.
      sources: sources.map((x) => ({ file: x.file, header: { ...x.header, headerBlob: Buffer.alloc(0), signatureBlob: undefined } })),
      content,
      storeRoot: this.cache.store.root,
      compression: this.opts.compression,
      level: this.opts.level,
      history: `rpm packages: ${sources.map((s) => nevra(s.header)).join(' ')}`,
    });
    await this.cache.put(key, layer);
    return { layer, cached: false };
  }

  /**
   * The image's top layer: its account files where accounts were made, and its rpm
   * database (src/rpmdb) at its %_dbpath; undefined when it gets neither. From the host
   * cache when built before. `sources` and `facts` as for imageFacts; `installTime`: the
   * image's SOURCE_DATE_EPOCH or creation time (INSTALLTID, and every mtime here).
   */
  async topLayer(name: string, arch: string, sources: LayerSource[], facts: ImageFacts, installTime: number): Promise<BuiltLayer | undefined> {
    if (!facts.dbpath && facts.accountFiles.length === 0) return undefined;
    const what = `${name} (${arch})`;
    const layout = topLayout(facts.tree, facts.accountFiles, facts.dbpath, facts.ids, installTime);
    // dnf adds packages to rpm's transaction by NEVRA; rpm orders them from there.
    const added = sources.map((s, i) => ({ s, states: facts.states[i]!, nevra: nevra(s.header) })).sort((a, b) => cmp(a.nevra, b.nevra));
    const key = hexDigest(
      canonicalJson({
        format: TOP_LAYER_FORMAT,
        layout,
        ...(facts.dbpath
          ? {
              sqlite: SQLITE_VERSION,
              arch,
              installTime,
              // Each package's headers: the signature header's bytes, and the main header's
              // digest (checked against it on every read; hashed here when it has none).
              packages: added.map(({ s, states }) => [
                hexDigest(s.header.signatureBlob ?? Buffer.alloc(0)),
                s.header.headerDigest || hexDigest(s.header.headerBlob),
                Buffer.from(states).toString('base64'),
              ]),
            }
          : {}),
        compression: this.opts.compression,
        level: this.opts.level ?? null,
        compressor: compressorVersion(this.opts.compression),
      }),
    );
    const hit = await this.cache.get(key);
    if (hit) return { layer: hit, cached: true };
    let db: Buffer | undefined;
    if (facts.dbpath) {
      this.opts.log?.(`writing the rpm database of ${what} (${sources.length} packages)`);
      db = (
        await buildRpmdb(
          added.map(({ s, states, nevra: n }) => {
            if (!s.header.signatureBlob) throw new LayerError('LAYER_INTERNAL', `${n}: its signature header was not read`);
            return { main: s.header.headerBlob, sig: s.header.signatureBlob, fileStates: states, nevra: n };
          }),
          arch,
          installTime,
        )
      ).bytes;
    }
    const history = [
      ...(facts.accountFiles.length ? [`accounts: ${facts.accountFiles.map((f) => f.path).join(' ')}`] : []),
      ...(layout.dbFile ? [`rpm database: ${sources.length} packages in ${layout.dbFile}`] : []),
    ].join('; ');
    const layer = await compressTopLayer(topTar(layout, db), this.cache.store, this.opts.compression, this.opts.level, history);
    await this.cache.put(key, layer);
    return { layer, cached: false };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool?.close();
  }
}
