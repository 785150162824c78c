// dnf variable substitution, the way libdnf does it: `$name`, `${name}`,
// `${name:-default}`, `${name:+alternate}`, backslash escapes, unknown variables
// left as they are. Also the rpm arch → dnf basearch map and /etc/dnf/vars.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** rpm arch → dnf `$basearch` (dnf's own table, plus the x86_64 micro-arch levels). */
const BASEARCH: Record<string, string[]> = {
  aarch64: ['aarch64'],
  alpha: ['alpha', 'alphaev4', 'alphaev45', 'alphaev5', 'alphaev56', 'alphaev6', 'alphaev67', 'alphaev68', 'alphaev7', 'alphapca56'],
  arm: ['armv5tejl', 'armv5tel', 'armv5tl', 'armv6l', 'armv7l', 'armv8l'],
  armhfp: ['armv6hl', 'armv7hl', 'armv7hnl', 'armv8hl', 'armv8hnl', 'armv8hcnl'],
  i386: ['i386', 'athlon', 'geode', 'i486', 'i586', 'i686'],
  ia64: ['ia64'],
  loongarch64: ['loongarch64'],
  mips: ['mips'],
  mipsel: ['mipsel'],
  mips64: ['mips64'],
  mips64el: ['mips64el'],
  noarch: ['noarch'],
  ppc: ['ppc'],
  ppc64: ['ppc64', 'ppc64iseries', 'ppc64p7', 'ppc64pseries'],
  ppc64le: ['ppc64le'],
  riscv32: ['riscv32'],
  riscv64: ['riscv64'],
  riscv128: ['riscv128'],
  s390: ['s390'],
  s390x: ['s390x'],
  sh3: ['sh3'],
  sh4: ['sh4', 'sh4a'],
  sparc: ['sparc', 'sparc64', 'sparc64v', 'sparcv8', 'sparcv9', 'sparcv9v'],
  x86_64: ['x86_64', 'amd64', 'ia32e', 'x86_64_v2', 'x86_64_v3', 'x86_64_v4'],
};

const ARCH_TO_BASEARCH = new Map<string, string>(
  Object.entries(BASEARCH).flatMap(([base, arches]) => arches.map((a) => [a, base] as [string, string])),
);

/** Every rpm arch this tool knows, `noarch` excluded (an image is never noarch). */
export const KNOWN_ARCHES: readonly string[] = [...ARCH_TO_BASEARCH.keys()].filter((a) => a !== 'noarch').sort();

/** dnf's `$basearch` for an rpm arch: x86_64→x86_64, i686→i386, armv7hl→armhfp… Unknown arches map to themselves. */
export function basearch(arch: string): string {
  return ARCH_TO_BASEARCH.get(arch) ?? arch;
}

/** The rpm name of the host's arch (Node's `process.arch` → `x86_64`, `aarch64`, …). */
export function hostArch(nodeArch: string = process.arch): string {
  const map: Record<string, string> = {
    x64: 'x86_64',
    arm64: 'aarch64',
    ia32: 'i686',
    arm: 'armv7hl',
    ppc64: 'ppc64le', // Node only supports little-endian ppc64 on Linux
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loongarch64',
    mips: 'mips',
    mipsel: 'mipsel',
  };
  return map[nodeArch] ?? nodeArch;
}

/**
 * The variables dnf defines for one arch: `$arch`, `$basearch`, `$releasever`,
 * `$releasever_major`, `$releasever_minor`, over the given extra variables.
 * Built-ins win: the compose's releasever and arch are the target, not the host's.
 */
export function archVars(arch: string, releasever: string, extra: Record<string, string> = {}): Record<string, string> {
  const vars: Record<string, string> = { ...extra };
  const dot = releasever.indexOf('.');
  vars.releasever = releasever;
  vars.releasever_major = dot < 0 ? releasever : releasever.slice(0, dot);
  if (dot >= 0) vars.releasever_minor = releasever.slice(dot + 1);
  else delete vars.releasever_minor;
  vars.arch = arch;
  vars.basearch = basearch(arch);
  return vars;
}

const MAX_DEPTH = 32;

const isNameChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/**
 * Expands dnf variables in `text` as libdnf does:
 * - `$name` (name = letters, digits, `_`, longest run) and `${name}`;
 * - `${name:-word}`: word when name is unset or empty, else its value;
 * - `${name:+word}`: word when name is set and non-empty, else nothing;
 *   `word` may itself contain expressions;
 * - `\x` stands for `x` (the backslash is dropped), so `\$` is a literal `$`;
 * - unknown variables and malformed expressions are left as written.
 */
export function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return expand(text, vars, 0).value;
}

function lookup(vars: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
}

/**
 * Expands `text`; at depth > 0 (inside `${x:-…}`) stops at the first unescaped `}`.
 * Returns the expansion and how many characters of `text` were consumed; `closed`
 * says whether a subexpression found its `}`.
 */
function expand(
  text: string,
  vars: Readonly<Record<string, string>>,
  depth: number,
): { value: string; scanned: number; closed: boolean } {
  if (depth > MAX_DEPTH) return { value: text, scanned: text.length, closed: false };
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '}' && depth > 0) return { value: out, scanned: i, closed: true };
    if (c === '\\') {
      if (i + 1 >= text.length) {
        out += c;
        i += 1;
        continue;
      }
      out += text[i + 1];
      i += 2;
      continue;
    }
    if (c !== '$') {
      out += c;
      i += 1;
      continue;
    }
    const braces = text[i + 1] === '{';
    const nameStart = i + (braces ? 2 : 1);
    let nameEnd = nameStart;
    while (isNameChar(text[nameEnd])) nameEnd++;
    const name = text.slice(nameStart, nameEnd);
    const value = name === '' ? undefined : lookup(vars, name);

    if (!braces) {
      if (value === undefined) {
        out += text.slice(i, nameEnd === i + 1 ? i + 1 : nameEnd);
      } else {
        out += value;
      }
      i = Math.max(nameEnd, i + 1);
      continue;
    }

    const after = text[nameEnd];
    if (after === '}') {
      // ${name}
      out += value ?? text.slice(i, nameEnd + 1);
      i = nameEnd + 1;
      continue;
    }
    if (after === ':' && (text[nameEnd + 1] === '-' || text[nameEnd + 1] === '+')) {
      const mode = text[nameEnd + 1];
      const wordStart = nameEnd + 2;
      const sub = expand(text.slice(wordStart), vars, depth + 1);
      if (!sub.closed) {
        // No closing brace: nothing to expand from here on.
        out += text.slice(i);
        i = text.length;
        continue;
      }
      const end = wordStart + sub.scanned + 1; // past the '}'
      const set = value !== undefined && value !== '';
      if (mode === '-') out += set ? value : sub.value;
      else out += set ? sub.value : '';
      i = end;
      continue;
    }
    // Malformed `${…`: keep it literally up to where the name ended.
    out += text.slice(i, Math.max(nameEnd, i + 2));
    i = Math.max(nameEnd, i + 2);
  }
  if (depth > 0) return { value: text, scanned: text.length, closed: false };
  return { value: out, scanned: text.length, closed: true };
}

/**
 * Reads a dnf vars directory (`/etc/dnf/vars`): each file is one variable, its
 * name the file name, its value the file's first line. A missing directory gives
 * no variables; unreadable files and names that are not variable names are skipped
 * (dnf warns and goes on).
 */
export async function readVarsDir(dir: string): Promise<Record<string, string>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return {};
  }
  const vars: Record<string, string> = {};
  for (const name of names.sort()) {
    if (!/^[A-Za-z0-9_]+$/.test(name)) continue;
    try {
      const text = await readFile(path.join(dir, name), 'utf8');
      const nl = text.indexOf('\n');
      vars[name] = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
    } catch {
      // a directory or an unreadable file: dnf skips it too
    }
  }
  return vars;
}
