// Content descriptors (OCI image spec, descriptor.md).
import { cmp } from '../order.js';
import type { Digest } from './digest.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** A copy of `d` in the canonical key order, without empty optional fields; annotations sorted. */
export function normalizeDescriptor(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations && Object.keys(d.annotations).length > 0) out.annotations = sortedRecord(d.annotations);
  if (d.platform) {
    const p: Platform = { architecture: d.platform.architecture, os: d.platform.os };
    if (d.platform.variant) p.variant = d.platform.variant;
    out.platform = p;
  }
  return out;
}

export function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => cmp(a, b)));
}
