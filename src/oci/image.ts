// Image config, manifest and index objects (pure), and the small helpers that store them.
import { OciError } from '../errors.js';
import { cmp } from '../order.js';
import { normalizeDescriptor, sortedRecord, type Descriptor, type Platform } from './descriptor.js';
import type { Digest } from './digest.js';
import type { Layer } from './layer.js';
import { MediaType } from './mediatypes.js';
import type { BlobStore } from './store.js';

/** What a container runs with (the image config's `config`). */
export interface ContainerConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  /** "NAME=value" strings, in order. PATH is added (DEFAULT_PATH) when absent. */
  Env?: string[];
  /** "80/tcp", "53/udp"; a bare "80" means "80/tcp". */
  ExposedPorts?: string[];
  Labels?: Record<string, string>;
  User?: string;
  WorkingDir?: string;
}

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfigInput {
  /** rpm arch (x86_64, aarch64, …) or an OCI platform. */
  arch: string | Platform;
  os?: 'linux';
  /** Overrides the variant derived from `arch`. */
  variant?: string;
  config: ContainerConfig;
  /** Date, ISO string, or seconds since the epoch (SOURCE_DATE_EPOCH). */
  created: Date | string | number;
  layers: Layer[];
  /**
   * History entries; when absent, one per layer: created_by "rpmcompose", comment =
   * the layer's `history`. When given, the entries without empty_layer must be as many
   * as the layers.
   */
  history?: HistoryEntry[];
}

export interface ImageConfig {
  created: string;
  architecture: string;
  os: string;
  variant?: string;
  config: Record<string, unknown>;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history: HistoryEntry[];
}

export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

const ARCHES: Record<string, Platform> = {
  x86_64: { architecture: 'amd64', os: 'linux' },
  aarch64: { architecture: 'arm64', os: 'linux' },
  i386: { architecture: '386', os: 'linux' },
  i486: { architecture: '386', os: 'linux' },
  i586: { architecture: '386', os: 'linux' },
  i686: { architecture: '386', os: 'linux' },
  ppc64le: { architecture: 'ppc64le', os: 'linux' },
  s390x: { architecture: 's390x', os: 'linux' },
  armv7hl: { architecture: 'arm', os: 'linux', variant: 'v7' },
  armv7hnl: { architecture: 'arm', os: 'linux', variant: 'v7' },
  riscv64: { architecture: 'riscv64', os: 'linux' },
};

/** The OCI platform of an rpm arch. noarch and unknown arches → OciError. */
export function platformForArch(rpmArch: string): Platform {
  if (rpmArch === 'noarch') {
    throw new OciError('OCI_ARCH', 'an image cannot be noarch: give the machine arch (x86_64, aarch64, …)');
  }
  const p = ARCHES[rpmArch];
  if (!p) {
    throw new OciError('OCI_ARCH', `no OCI platform for rpm arch ${JSON.stringify(rpmArch)} (known: ${Object.keys(ARCHES).join(', ')})`);
  }
  return { ...p };
}

/** RFC 3339 UTC, seconds precision unless the time has milliseconds. */
export function formatCreated(created: Date | string | number): string {
  const d = typeof created === 'number' ? new Date(created * 1000) : typeof created === 'string' ? new Date(created) : created;
  if (Number.isNaN(d.getTime())) throw new OciError('OCI_CREATED', `not a valid time: ${String(created)}`);
  return d.toISOString().replace('.000Z', 'Z');
}

function normalizePorts(ports: string[]): Record<string, Record<string, never>> {
  const out = new Set<string>();
  for (const p of ports) {
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(p.trim());
    if (!m || Number(m[1]) > 65535) throw new OciError('OCI_CONFIG', `not a port: ${JSON.stringify(p)} (want e.g. "80/tcp")`);
    out.add(`${Number(m[1])}/${m[2] ?? 'tcp'}`);
  }
  return Object.fromEntries([...out].sort().map((p) => [p, {}]));
}

/** The image config's `config` object, keys in a fixed order, empty fields left out. */
export function containerConfig(c: ContainerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.User) out.User = c.User;
  if (c.ExposedPorts && c.ExposedPorts.length > 0) out.ExposedPorts = normalizePorts(c.ExposedPorts);
  const env = [...(c.Env ?? [])];
  for (const e of env) if (!/^[^=]+=/.test(e)) throw new OciError('OCI_CONFIG', `env entry ${JSON.stringify(e)} is not NAME=value`);
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(DEFAULT_PATH);
  out.Env = env;
  if (c.Entrypoint && c.Entrypoint.length > 0) out.Entrypoint = [...c.Entrypoint];
  if (c.Cmd && c.Cmd.length > 0) out.Cmd = [...c.Cmd];
  if (c.WorkingDir) out.WorkingDir = c.WorkingDir;
  if (c.Labels && Object.keys(c.Labels).length > 0) out.Labels = sortedRecord(c.Labels);
  return out;
}

/** The OCI image config (image-spec config.md) for layers in bottom-to-top order. */
export function imageConfig(input: ImageConfigInput): ImageConfig {
  const platform = typeof input.arch === 'string' ? platformForArch(input.arch) : { ...input.arch };
  const created = formatCreated(input.created);
  const variant = input.variant ?? platform.variant;
  let history: HistoryEntry[];
  if (input.history) {
    const nonEmpty = input.history.filter((h) => !h.empty_layer).length;
    if (nonEmpty !== input.layers.length) {
      throw new OciError('OCI_CONFIG', `history has ${nonEmpty} layer entries for ${input.layers.length} layers`);
    }
    history = input.history.map((h) => historyEntry(h, created));
  } else {
    history = input.layers.map((l) => historyEntry({ created_by: 'rpmcompose', comment: l.history }, created));
  }
  const cfg: ImageConfig = {
    created,
    architecture: platform.architecture,
    os: input.os ?? platform.os ?? 'linux',
    config: containerConfig(input.config),
    rootfs: { type: 'layers', diff_ids: input.layers.map((l) => l.diffId) },
    history,
  };
  if (variant) {
    // Keep the spec's field order: variant after os.
    const { config, rootfs, history: h, ...head } = cfg;
    return { ...head, variant, config, rootfs, history: h };
  }
  return cfg;
}

function historyEntry(h: HistoryEntry, created: string): HistoryEntry {
  const out: HistoryEntry = { created: h.created ?? created };
  if (h.created_by !== undefined) out.created_by = h.created_by;
  if (h.comment !== undefined) out.comment = h.comment;
  if (h.empty_layer) out.empty_layer = true;
  return out;
}

/** An OCI image manifest. */
export function manifest(configDesc: Descriptor, layers: (Layer | Descriptor)[], annotations?: Record<string, string>): Manifest {
  const m: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: normalizeDescriptor({ ...configDesc, mediaType: MediaType.ociConfig }),
    layers: layers.map((l) => normalizeDescriptor('diffId' in l ? l.descriptor : l)),
  };
  if (annotations && Object.keys(annotations).length > 0) m.annotations = sortedRecord(annotations);
  return m;
}

/** An OCI image index of manifests; each descriptor must carry its platform. Sorted by platform. */
export function imageIndex(manifests: Descriptor[], annotations?: Record<string, string>): ImageIndex {
  const seen = new Set<string>();
  for (const d of manifests) {
    if (!d.platform) throw new OciError('OCI_INDEX', `manifest ${d.digest} has no platform: an image index needs one per entry`);
    const key = platformKey(d.platform);
    if (seen.has(key)) throw new OciError('OCI_INDEX', `two manifests for platform ${key}`);
    seen.add(key);
  }
  const idx: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: manifests
      .map(normalizeDescriptor)
      .sort((a, b) => cmp(platformKey(a.platform!), platformKey(b.platform!))),
  };
  if (annotations && Object.keys(annotations).length > 0) idx.annotations = sortedRecord(annotations);
  return idx;
}

export function platformKey(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

export interface WrittenImage {
  /** The manifest's descriptor, with the image's platform: goes into an index or a layout. */
  manifest: Descriptor;
  config: Descriptor;
}

/** Stores the config and manifest of one single-platform image whose layers are already in `store`. */
export async function writeImage(store: BlobStore, input: ImageConfigInput, annotations?: Record<string, string>): Promise<WrittenImage> {
  for (const l of input.layers) {
    if (!(await store.has(l.descriptor.digest))) {
      throw new OciError('OCI_BLOB_MISSING', `layer ${l.descriptor.digest} is not in ${store.root}`);
    }
  }
  const cfg = imageConfig(input);
  const config = await store.putJson(MediaType.ociConfig, cfg);
  const m = await store.putJson(MediaType.ociManifest, manifest(config, input.layers, annotations));
  const platform: Platform = { architecture: cfg.architecture, os: cfg.os };
  if (cfg.variant) platform.variant = cfg.variant;
  return { manifest: { ...m, platform }, config };
}

/** Stores an image index over single-platform manifests; returns its descriptor. */
export function writeIndex(store: BlobStore, manifests: Descriptor[], annotations?: Record<string, string>): Promise<Descriptor> {
  return store.putJson(MediaType.ociIndex, imageIndex(manifests, annotations));
}
