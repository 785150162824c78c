// Canonical JSON: object keys sorted at every level, no whitespace. The same value always
// gives the same text, so it can be hashed (layer cache keys, layer ids) or compared
// (the lock's stored image configurations).
import { cmp } from './order.js';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => cmp(a, b)))
      : v,
  );
}
