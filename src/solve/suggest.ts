// "Did you mean": the closest package names to a spec that matched nothing.

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

export function suggestNames(names: string[], spec: string, max = 5): string[] {
  const want = spec.toLowerCase();
  const limit = Math.max(2, Math.floor(want.length / 3));
  return names
    .map((n) => {
      const l = n.toLowerCase();
      // A name that contains the spec (or the reverse) is a good hint even when far in edits.
      const d = l.length >= 3 && (l.includes(want) || want.includes(l)) ? Math.min(1, distance(l, want)) + 0.5 : distance(l, want);
      return { n, d };
    })
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : 1))
    .slice(0, max)
    .map((x) => x.n);
}
