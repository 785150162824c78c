// Orders every sorted output relies on. Never localeCompare: its result depends on the
// host's ICU data and locale, and sorted output must be the same everywhere.

/** UTF-16 code-unit order: names, NEVRAs, keys. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Byte order of UTF-8: the order rpm sorts its file lists and payloads in. */
export function cmpUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
