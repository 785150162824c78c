// The validated, fully typed compose: what every later stage reads. Shapes of the
// file itself live in config/schema.ts (zod); these are the resolved values after defaults,
// dnf .repo files and variable substitution.

/** One repository for one architecture, variables already substituted. */
export interface RepoSource {
  id: string;
  /** Where the definition came from: the compose file's JSON path or a .repo file path. */
  origin: string;
  /** The compose file's JSON path that names the repo (`$.repos.<id>`), whichever file defines it. */
  path: string;
  /** The repo's display name (`name=`), when given. */
  name?: string;
  baseurl: string[];
  metalink?: string;
  mirrorlist?: string;
  enabled: boolean;
  gpgkey: string[];
  gpgcheck: boolean;
  repo_gpgcheck: boolean;
  /** dnf semantics: lower wins, default 99. */
  priority: number;
  /** dnf semantics: lower wins among equal priority, default 1000. */
  cost: number;
  includepkgs: string[];
  excludepkgs: string[];
  sslcacert?: string;
  sslclientcert?: string;
  sslclientkey?: string;
  sslverify: boolean;
  proxy?: string;
  username?: string;
  password?: string;
}

export interface ComposeOptions {
  weakDeps: boolean;
  docs: boolean;
  /** Empty: all languages kept. */
  langs: string[];
  /** Layers per image, generated ones (the rpm database) counted. */
  maxLayers: number;
  /** Write an rpm database into the image. */
  rpmdb: boolean;
}

export interface ImageDef {
  name: string;
  packages: string[];
  exclude: string[];
  /** The image's own arch list, or the compose's. */
  arch: string[];
  entrypoint?: string[];
  cmd?: string[];
  env: Record<string, string>;
  expose: string[];
  labels: Record<string, string>;
  user?: string;
  workdir?: string;
  /** The compose's options with the image's own merged over them: what this image is built with. */
  options: ComposeOptions;
}

export interface ComposeUser {
  name: string;
  uid?: number;
  /** Primary group, by name or gid; default: a group of the user's name. */
  group?: string | number;
  gecos?: string;
  home?: string;
  shell?: string;
  /** Supplementary groups. */
  groups?: string[];
}

export interface ComposeGroup {
  name: string;
  gid?: number;
  members?: string[];
}

export interface Compose {
  /** Absolute path of the compose file. */
  file: string;
  releasever: string;
  arch: string[];
  /** Extra dnf variables (compose `vars` over /etc/dnf/vars). */
  vars: Record<string, string>;
  options: ComposeOptions;
  /** Module streams to enable, `name:stream`. */
  modules: string[];
  /** Users and groups every image gets that no package declares. */
  users: ComposeUser[];
  groups: ComposeGroup[];
  images: Record<string, ImageDef>;
  /** Repos of one arch, enabled or not, in compose order. */
  reposFor(arch: string): RepoSource[];
}
