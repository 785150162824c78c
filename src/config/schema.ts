// The compose file's shape (zod). Every schema carries an `error` that says, in
// words, what was expected; load.ts adds the JSON path and what was found.
// Defaults that depend on the host (arch, reposdir) are applied by load.ts so
// that the exported JSON Schema is the same on every machine.

import { z } from 'zod';
import { IMAGE_ARCHES, imageArchProblem } from './arch.js';
import { hostArch } from './vars.js';
import { splitList } from './repofile.js';

/** OCI-reference-safe image name. */
export const IMAGE_NAME = /^[a-z0-9]+([._-][a-z0-9]+)*$/;
/** dnf repo ids: letters, digits and `-_.:`. */
export const REPO_ID = /^[A-Za-z0-9_.:-]+$/;
/** dnf variable names. */
export const VAR_NAME = /^[A-Za-z0-9_]+$/;
/** `name:stream` */
export const MODULE_SPEC = /^[A-Za-z0-9_.+-]+:[A-Za-z0-9_.+-]+$/;
/** `80`, `80/tcp`, `53/udp`, `9/sctp`. */
export const PORT_SPEC = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/;

/** Built-in dnf variables the compose sets itself. */
const RESERVED_VARS = new Set(['releasever', 'releasever_major', 'releasever_minor', 'arch', 'basearch']);

/** Marks a custom issue whose message is a whole sentence, not an "expected …" phrase. */
export const FULL = { full: true } as const;

const err = (expected: string) => ({ error: expected });

const nonEmptyString = (expected: string) => z.string(err(expected)).trim().min(1, err(expected));

const stringList = (item: string, expected: string) => z.array(nonEmptyString(item), err(expected));

const nonEmptyList = <T extends z.ZodType>(item: T, expected: string) => z.array(item, err(expected)).min(1, err(expected));

const urlString = nonEmptyString('a URL or path');

/** A string or a list of strings; a string is one value. */
const oneOrMany = (item: string, expected: string) =>
  z
    .union([nonEmptyString(item), stringList(item, expected)], err(expected))
    .transform((v) => (typeof v === 'string' ? [v] : v));

/** A list, or a dnf-style string separated by commas and/or spaces. */
const dnfList = (item: string, expected: string) =>
  z
    .union([z.string(err(expected)), stringList(item, expected)], err(expected))
    .transform((v) => (typeof v === 'string' ? splitList(v) : v));

const bool = (what: string) => z.boolean(err(`true or false (${what})`));

const stringRecord = (key: string, value: string, expected: string) =>
  z.record(z.string().min(1, err(key)), z.string(err(value)), err(expected));

export const repoObjectSchema = z
  .strictObject(
    {
      name: nonEmptyString('a display name').optional().describe('Display name (informational).'),
      baseurl: oneOrMany('a URL or path', 'a URL or path, or a list of them')
        .optional()
        .describe('Repository URL(s); $releasever, $basearch… are substituted. A relative path is relative to the compose file.'),
      metalink: urlString.optional().describe('Metalink URL (exclusive with baseurl and mirrorlist).'),
      mirrorlist: urlString.optional().describe('Mirror list URL (exclusive with baseurl and metalink).'),
      enabled: bool('enabled').default(true),
      gpgkey: oneOrMany('a key URL', 'a key URL or a list of key URLs').default([]),
      gpgcheck: bool('gpgcheck').optional().describe('Check package signatures; default: true when gpgkey is set.'),
      repo_gpgcheck: bool('repo_gpgcheck').default(false).describe("Check repomd.xml's detached signature (repodata/repomd.xml.asc) with the gpgkey list before using it."),
      priority: z.int(err('a whole number (lower wins)')).default(99),
      cost: z.int(err('a whole number (lower wins)')).default(1000),
      includepkgs: dnfList('a package name or glob', 'a list of package names or globs').default([]),
      excludepkgs: dnfList('a package name or glob', 'a list of package names or globs').default([]),
      sslcacert: nonEmptyString('a file path').optional(),
      sslclientcert: nonEmptyString('a file path').optional(),
      sslclientkey: nonEmptyString('a file path').optional(),
      sslverify: bool('sslverify').default(true),
      proxy: nonEmptyString('a proxy URL').optional(),
      username: z.string(err('a string')).optional(),
      password: z.string(err('a string')).optional(),
    },
    err('a repo definition object'),
  )
  .superRefine((repo, ctx) => {
    const given = (['baseurl', 'metalink', 'mirrorlist'] as const).filter((k) => repo[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        params: FULL,
        message:
          given.length === 0
            ? 'needs one of baseurl, metalink or mirrorlist, got none'
            : `needs exactly one of baseurl, metalink or mirrorlist, got ${given.join(' and ')}`,
      });
    }
    if (repo.baseurl?.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['baseurl'], params: FULL, message: 'expected at least one URL, got an empty list' });
    }
  });

const repoSchema = z.union(
  [nonEmptyString('the id of a repo in a .repo file'), repoObjectSchema],
  err('a repo definition object, or the id of a repo found in the .repo files of reposdir'),
);

const portSpec = z
  .string(err('a port such as "80", "80/tcp" or "53/udp"'))
  .trim()
  .regex(PORT_SPEC, { error: 'a port such as "80", "80/tcp" or "53/udp"', abort: true })
  .refine((s) => {
    const port = Number(PORT_SPEC.exec(s)?.[1]);
    return port >= 1 && port <= 65535;
  }, err('a port number from 1 to 65535'))
  // OCI `ExposedPorts` keys: always `port/proto`.
  .transform((s) => (s.includes('/') ? s : `${s}/tcp`));

const ACCOUNT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;
const accountName = (what: string) => z.string(err(`a ${what} name`)).regex(ACCOUNT_NAME, err(`a ${what} name of letters, digits, "_", "." and "-", not starting with a digit or "-"`));
const accountId = (what: string) => z.int(err(`a ${what} from 0 to 4294967294`)).min(0, err(`a ${what} from 0 to 4294967294`)).max(4294967294, err(`a ${what} from 0 to 4294967294`));

export const userSchema = z.strictObject(
  {
    name: accountName('user'),
    uid: accountId('uid').optional().describe('Default: allocated as systemd-sysusers does, and pinned in the lock.'),
    group: z.union([accountName('group'), accountId('gid')], err('a group name or gid')).optional().describe("Primary group; default: a group of the user's name."),
    gecos: z.string(err('a string')).regex(/^[^:\n]*$/, err('a string without ":" or a newline')).optional(),
    home: z.string(err('an absolute path')).regex(/^\/[^:\n]*$/, err('an absolute path')).optional().describe('Default: /.'),
    shell: z.string(err('an absolute path')).regex(/^\/[^:\n]*$/, err('an absolute path')).optional().describe('Default: /usr/sbin/nologin.'),
    groups: z.array(accountName('group'), err('a list of group names')).optional().describe('Supplementary groups.'),
  },
  err('a user object ({ "name": … })'),
);

export const groupSchema = z.strictObject(
  {
    name: accountName('group'),
    gid: accountId('gid').optional().describe('Default: allocated as systemd-sysusers does, and pinned in the lock.'),
    members: z.array(accountName('user'), err('a list of user names')).optional(),
  },
  err('a group object ({ "name": … })'),
);

/** Each option without its default: an image's `options` gives only what it changes. */
const optionFields = {
  weakDeps: bool('weakDeps').describe('Install weak dependencies (Recommends/Supplements).'),
  docs: bool('docs').describe('Keep documentation files (%doc).'),
  langs: z
    .array(
      z
        .string(err('a language code such as "en" or "pt_BR"'))
        .regex(/^[A-Za-z][A-Za-z0-9@._-]*$/, err('a language code such as "en" or "pt_BR"')),
      err('a list of language codes'),
    )
    .describe('Locales to keep; empty keeps all.'),
  maxLayers: z
    .int(err('a whole number from 2 to 120'))
    .min(2, err('a whole number from 2 to 120'))
    .max(120, err('a whole number from 2 to 120'))
    .describe('Layer budget per image, every layer counted (the rpm database layer too).'),
  rpmdb: bool('rpmdb').describe("Write an rpm database (rpmdb.sqlite) in the image's top layer, so rpm -qa and scanners see its packages."),
};

export const optionsSchema = z.strictObject(
  {
    weakDeps: optionFields.weakDeps.default(true),
    docs: optionFields.docs.default(true),
    langs: optionFields.langs.default([]),
    maxLayers: optionFields.maxLayers.default(24),
    rpmdb: optionFields.rpmdb.default(true),
  },
  err('an options object'),
);

/** An image's own options: merged over the compose's, key by key. */
export const imageOptionsSchema = z.strictObject(
  Object.fromEntries(Object.entries(optionFields).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof typeof optionFields]: z.ZodOptional<(typeof optionFields)[K]>;
  },
  err("an options object (the compose's options this image changes)"),
);

export const imageSchema = z.strictObject(
  {
    packages: nonEmptyList(nonEmptyString('a package spec'), 'a non-empty list of package specs').describe(
      'Package specs as dnf takes them: names, name-version, provides, file paths, globs.',
    ),
    exclude: stringList('a package name or glob', 'a list of package names or globs').default([]),
    arch: nonEmptyList(nonEmptyString('an architecture'), 'a non-empty list of architectures')
      .optional()
      .describe("The image's architectures, a subset of the compose's; default: all of them."),
    entrypoint: z.array(z.string(err('a string')), err('a list of strings (exec form)')).optional(),
    cmd: z.array(z.string(err('a string')), err('a list of strings (exec form)')).optional(),
    env: z
      .record(
        z.string().regex(/^[^=\0]+$/, err('an environment variable name (no "=")')),
        z.string(err('a string value')),
        err('an object of variable name → string value'),
      )
      .default({}),
    expose: z.array(portSpec, err('a list of ports such as "80/tcp"')).default([]),
    labels: stringRecord('a label key', 'a string value', 'an object of label → string value').default({}),
    user: nonEmptyString('a user name or uid[:gid]').optional(),
    workdir: z
      .string(err('an absolute path'))
      .regex(/^\//, err('an absolute path'))
      .optional(),
    options: imageOptionsSchema
      .optional()
      .describe("Options for this image only, merged over the compose's options."),
  },
  err('an image definition object'),
);

/** The options a compose gets for every key it leaves out. */
export const DEFAULT_OPTIONS: Readonly<z.output<typeof optionsSchema>> = Object.freeze(optionsSchema.parse({}));

const releasever = z
  .union(
    [
      nonEmptyString('a release version such as "41"'),
      z.int(err('a release version such as "41" (a decimal like 8.10 must be a string)')).nonnegative(),
    ],
    err('a release version such as "41" or "8.10" (a string; a whole number is accepted)'),
  )
  .transform(String);

export const composeSchema = z
  .strictObject(
    {
      $schema: z.string(err('a string (the JSON Schema URL)')).optional(),
      releasever: releasever.describe('The distribution release: $releasever.'),
      arch: nonEmptyList(
        z
          .string(err('an rpm architecture such as x86_64 or aarch64'))
          .superRefine((a, ctx) => {
            const problem = imageArchProblem(a);
            if (problem) ctx.addIssue({ code: 'custom', params: FULL, message: problem });
          })
          .meta({ enum: [...IMAGE_ARCHES] }),
        'a non-empty list of rpm architectures such as ["x86_64", "aarch64"]',
      )
        .optional()
        .describe("Target architectures (rpm names); default: the host's."),
      vars: z
        .record(
          z
            .string()
            .regex(VAR_NAME, err('a variable name of letters, digits and _'))
            .refine((k) => !RESERVED_VARS.has(k), err('a variable name other than releasever, arch and basearch (set those at the top level)')),
          z.union([z.string(), z.int()], err('a string value')).transform(String),
          err('an object of variable name → value'),
        )
        .default({})
        .describe('dnf variables ($name) besides releasever/arch/basearch; override the vars dir.'),
      reposdir: stringList('a directory', 'a list of directories')
        .optional()
        .describe('Directories of dnf .repo files; default /etc/yum.repos.d, /etc/yum/repos.d, /etc/distro.repos.d.'),
      repos: z
        .record(z.string().regex(REPO_ID, err('a repo id of letters, digits and -_.:')), repoSchema, err('an object of repo id → repo'))
        .refine((r) => Object.keys(r).length > 0, err('at least one repo'))
        .describe('Repos by id: a definition, or the id of a repo in a .repo file of reposdir.'),
      options: optionsSchema.default({ ...DEFAULT_OPTIONS }),
      modules: z
        .array(
          z.string(err('a module stream "name:stream"')).trim().regex(MODULE_SPEC, err('a module stream "name:stream"')),
          err('a list of module streams "name:stream"'),
        )
        .default([])
        .describe('Module streams to enable.'),
      users: z
        .array(userSchema, err('a list of users'))
        .default([])
        .describe("Users every image gets that no package declares (a package's own declaration loses to these, with a warning)."),
      groups: z
        .array(groupSchema, err('a list of groups'))
        .default([])
        .describe('Groups every image gets that no package declares.'),
      images: z
        .record(
          z.string().regex(IMAGE_NAME, err('an image name of lowercase letters and digits, separated by single ".", "_" or "-"')),
          imageSchema,
          err('an object of image name → image'),
        )
        .refine((r) => Object.keys(r).length > 0, err('at least one image'))
        .describe('Images by name.'),
    },
    err('a compose object'),
  )
  .superRefine((c, ctx) => {
    const composeArch = new Set(c.arch ?? [hostArch()]);
    {
      for (const [name, image] of Object.entries(c.images)) {
        image.arch?.forEach((a, i) => {
          if (!composeArch.has(a)) {
            ctx.addIssue({
              code: 'custom',
              path: ['images', name, 'arch', i],
              params: FULL,
              message: `"${a}" is not one of the compose's arch (${[...composeArch].join(', ')})`,
            });
          }
        });
      }
    }
    const streams = new Map<string, number>();
    c.modules.forEach((m, i) => {
      const name = m.slice(0, m.indexOf(':'));
      const prev = streams.get(name);
      if (prev !== undefined && c.modules[prev] !== m) {
        ctx.addIssue({
          code: 'custom',
          path: ['modules', i],
          params: FULL,
          message: `module "${name}" already has stream ${JSON.stringify(c.modules[prev])} at $.modules[${prev}]; one stream per module`,
        });
      }
      if (prev === undefined) streams.set(name, i);
    });
  });

/** The compose file as parsed: defaults applied, repos not yet resolved. */
export type ComposeFile = z.output<typeof composeSchema>;
export type RepoObject = z.output<typeof repoObjectSchema>;
export type ImageFile = z.output<typeof imageSchema>;
