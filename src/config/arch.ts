// The arches an image can be built for, and the names other tools use for them. dnf's
// arch table knows dozens of arches (and `amd64`, as an alias); an image needs an rpm arch
// that packages are built for and that has an OCI platform (src/oci/image.ts).

/** rpm arches images are built for, each with an OCI platform. */
export const IMAGE_ARCHES: readonly string[] = ['aarch64', 'armv7hl', 'armv7hnl', 'i386', 'i486', 'i586', 'i686', 'ppc64le', 'riscv64', 's390x', 'x86_64'];

/** What Debian, Docker, Go and Node call the rpm arches. */
const OTHER_NAMES: Record<string, string> = {
  amd64: 'x86_64',
  x64: 'x86_64',
  'x86-64': 'x86_64',
  ia32e: 'x86_64',
  arm64: 'aarch64',
  armv8: 'aarch64',
  '386': 'i686',
  x86: 'i686',
  ia32: 'i686',
  ppc64el: 'ppc64le',
  armhf: 'armv7hl',
  arm: 'armv7hl',
  armv7: 'armv7hl',
  riscv: 'riscv64',
};

/** Why `name` is not an image arch, with the rpm name to use; undefined when it is one. */
export function imageArchProblem(name: string): string | undefined {
  if (IMAGE_ARCHES.includes(name)) return undefined;
  const rpm = OTHER_NAMES[name.toLowerCase()];
  if (rpm) return `"${name}" is not an rpm arch (did you mean "${rpm}"?)`;
  if (name === 'noarch') return `"noarch" is a package arch: an image is built for a machine (${IMAGE_ARCHES.join(', ')})`;
  return `"${name}" is not an arch images are built for (${IMAGE_ARCHES.join(', ')})`;
}
