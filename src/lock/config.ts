// An image's configuration as the lock stores it: canonical, every value at its default
// left out (so an option added later, with a default, changes nothing), and the package
// specs apart from the rest, so `diff` can name what changed.
import { DEFAULT_OPTIONS } from '../config/index.js';
import { hexDigest } from '../hash.js';
import { canonicalJson } from '../json.js';
import type { ComposeGroup, ComposeUser, ImageDef } from '../types/index.js';

/** What the solver is asked for. */
export interface StoredSpecs {
  packages: string[];
  exclude?: string[];
}

/** Everything else that shapes an image: its runtime config, the options, module streams. */
export type StoredConfig = Record<string, unknown>;

const isEmpty = (v: unknown) =>
  v === undefined || (Array.isArray(v) && v.length === 0) || (!!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

/** A copy of `value` without keys whose value is empty or equal to `defaults`' value. */
function withoutDefaults(value: Record<string, unknown>, defaults: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isEmpty(v) || (k in defaults && canonicalJson(v) === canonicalJson(defaults[k]))) continue;
    out[k] = v;
  }
  return out;
}

export function storedSpecs(image: ImageDef): StoredSpecs {
  return image.exclude.length ? { packages: image.packages, exclude: image.exclude } : { packages: image.packages };
}

/** The image's options are what it is built with: the compose's with its own merged over them. */
/** The compose-wide parts an image's configuration takes in: module streams, and the users and groups every image gets. */
export interface ComposeWide {
  modules: string[];
  users: ComposeUser[];
  groups: ComposeGroup[];
}

export function storedConfig(image: ImageDef, wide: ComposeWide): StoredConfig {
  const { name: _name, packages: _packages, exclude: _exclude, options, ...rest } = image;
  return JSON.parse(
    canonicalJson(
      withoutDefaults({
        ...rest,
        options: withoutDefaults({ ...options }, { ...DEFAULT_OPTIONS }),
        modules: wide.modules,
        users: wide.users,
        groups: wide.groups,
      }),
    ),
  ) as StoredConfig;
}

/**
 * The keys that differ, named as in the compose file: `packages`, `exclude`, `env.LANG`,
 * `options.docs`, `entrypoint`… One level into objects (env, labels, options); lists
 * and values compare whole.
 */
export function changedKeys(before: { specs: StoredSpecs; config: StoredConfig }, after: { specs: StoredSpecs; config: StoredConfig }): string[] {
  const out: string[] = [];
  const compare = (a: Record<string, unknown>, b: Record<string, unknown>, prefix: string, depth: number) => {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const x = a[k];
      const y = b[k];
      if (canonicalJson(x) === canonicalJson(y)) continue;
      const plain = (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v);
      if (depth > 0 && (plain(x) || x === undefined) && (plain(y) || y === undefined)) {
        compare((x ?? {}) as Record<string, unknown>, (y ?? {}) as Record<string, unknown>, `${prefix}${k}.`, depth - 1);
      } else {
        out.push(`${prefix}${k}`);
      }
    }
  };
  compare({ ...before.specs }, { ...after.specs }, '', 0);
  compare(before.config, after.config, '', 1);
  return out.sort();
}

/**
 * Lock version 1 kept only this hash of an image's configuration (its definition as the
 * compose file gave it, the options, the module streams). Reading a v1 lock, the current
 * compose's hash tells whether the configuration changed since. Only the fields v1 knew.
 */
export function v1ConfigHash(image: ImageDef, modules: string[]): string {
  const { name, packages, exclude, arch, entrypoint, cmd, env, expose, labels, user, workdir } = image;
  const { weakDeps, docs, langs, maxLayers } = image.options;
  const v1 = {
    image: { name, packages, exclude, arch, entrypoint, cmd, env, expose, labels, user, workdir },
    options: { weakDeps, docs, langs, maxLayers },
    modules,
  };
  return `sha256:${hexDigest(canonicalJson(v1))}`;
}
