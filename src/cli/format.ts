// Human-readable output: sizes (src/bytes.ts), aligned tables, libsolv's problems, notes.
import path from 'node:path';
import type { Unresolved } from '../errors.js';
import { LOCK_VERSION } from '../lock/index.js';
import type { LockWritten } from '../pipeline/index.js';
import type { Problem } from '../types/index.js';

export { formatBytes as bytes } from '../bytes.js';

export function table(rows: string[][], rightAligned: number[] = []): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => (rightAligned.includes(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatProblems(image: string, arch: string, problems: Problem[]): string {
  const lines = [`${image} (${arch}) cannot be resolved:`];
  problems.forEach((p, i) => {
    lines.push(` Problem ${i + 1}: ${p.text}`);
    for (const r of p.rules) if (r !== p.text) lines.push(`  - ${r}`);
    if (p.suggestions?.length) lines.push(`  did you mean: ${p.suggestions.join(', ')}?`);
    p.solutions.forEach((s, j) => lines.push(`  Solution ${j + 1}: ${s.join('; ')}`));
  });
  return lines.join('\n');
}

export function formatUnresolved(list: Unresolved[]): string {
  return list.map((u) => formatProblems(u.image, u.arch, u.problems) + '\n').join('');
}

/** A path as a person in this directory would type it: relative below the working directory, else absolute. */
export function shownPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** The note a lock write earns when it replaced a lock of an older version; '' otherwise. */
export function lockNote(written: LockWritten | undefined): string {
  if (!written?.upgradedFrom) return '';
  return `note: upgraded ${shownPath(written.file)} from lock version ${written.upgradedFrom} to ${LOCK_VERSION}`;
}
