// The layer planner: images' resolved sets → a layer DAG. Pure: the same input gives the
// same plan.
//
// Packages with the same membership (the set of images holding them) form a candidate
// layer: stored and pulled once for all its images. An image over its layer budget stops
// using its cheapest shared candidates and carries those packages in its own layer
// instead (duplicated bytes, never a package the image did not ask for). Layers are
// ordered once per arch, most shared and least recently changed lowest, so images share
// long prefixes; an image's own packages are on top. Dependencies land below their
// dependents without looking at edges: an image holding a package holds its
// dependencies, so a dependency is in at least as many images. A layer's identity is its
// package set, so an update rewrites only the layers that hold the package.
import { hasher } from '../hash.js';
import { cmp } from '../order.js';
import type { ArchPlan, ImageFigures, PlanInput, PlannedLayer, Trade } from './types.js';

/** Docker refuses more than 125 layers, overlayfs stacks 128. */
export const MAX_LAYERS_LIMIT = 120;

/** Packages smaller than this never get a layer of their own when an image has budget to spare. */
export const SPLIT_MIN_BYTES = 1 << 20;

export function layerId(keys: string[]): string {
  const h = hasher('sha256');
  for (const k of [...keys].sort(cmp)) h.update(k).update('\n');
  return `sha256:${h.digest('hex')}`;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function planLayers(input: PlanInput): ArchPlan {
  const top = new Map(input.images.map((i) => [i.name, i.top ?? { layers: 0, bytes: 0 }]));
  /** Layers the planner may give an image: its budget less its top layers. */
  const budget = new Map(input.images.map((i) => [i.name, (i.maxLayers ?? input.maxLayers) - top.get(i.name)!.layers]));
  for (const [name, b] of budget) {
    const max = b + top.get(name)!.layers;
    if (!Number.isInteger(max) || b < 1 || max > MAX_LAYERS_LIMIT) {
      throw new RangeError(`${name}: maxLayers must be ${1 + top.get(name)!.layers}..${MAX_LAYERS_LIMIT}, got ${max}`);
    }
  }
  const size = (k: string) => input.packages.get(k)?.size ?? 0;
  const names = input.images.map((i) => i.name).sort(cmp);

  // Membership of every package: which images hold it. A package an image drops out of
  // (a trade) is then in that image's own layer.
  const members = new Map<string, Set<string>>();
  for (const img of input.images) {
    for (const k of new Set(img.packages)) {
      let m = members.get(k);
      if (!m) members.set(k, (m = new Set()));
      m.add(img.name);
    }
  }
  /** image → packages it carries in its own layer although other images hold them too. */
  const own = new Map<string, Set<string>>(names.map((n) => [n, new Set()]));

  const groups = () => {
    const byKey = new Map<string, { images: string[]; packages: string[] }>();
    for (const [k, m] of members) {
      if (m.size === 0) continue;
      const imgs = [...m].sort(cmp);
      const key = imgs.join('\0');
      let g = byKey.get(key);
      if (!g) byKey.set(key, (g = { images: imgs, packages: [] }));
      g.packages.push(k);
    }
    for (const [img, keys] of own) {
      if (keys.size === 0) continue;
      let g = byKey.get(img);
      if (!g) byKey.set(img, (g = { images: [img], packages: [] }));
      g.packages.push(...keys);
    }
    return [...byKey.values()];
  };

  const traded: Trade[] = [];
  for (;;) {
    const gs = groups();
    const count = new Map(names.map((n) => [n, 0]));
    for (const g of gs) for (const i of g.images) count.set(i, count.get(i)! + 1);
    // The image furthest over budget gives up its cheapest shared layer.
    const over = names
      .filter((n) => count.get(n)! > budget.get(n)!)
      .sort((a, b) => count.get(b)! - count.get(a)! || cmp(a, b))[0];
    if (!over) break;
    const cheapest = gs
      .filter((g) => g.images.length > 1 && g.images.includes(over))
      .map((g) => ({ g, bytes: g.packages.reduce((s, k) => s + size(k), 0), id: layerId(g.packages) }))
      .sort((a, b) => a.bytes - b.bytes || cmp(a.id, b.id))[0];
    if (!cheapest) break; // only its own layer left: cannot happen with maxLayers ≥ 1
    for (const k of cheapest.g.packages) {
      members.get(k)!.delete(over);
      own.get(over)!.add(k);
    }
    traded.push({
      image: over,
      packages: cheapest.g.packages.length,
      bytes: cheapest.bytes,
      sharedWith: cheapest.g.images.filter((i) => i !== over),
    });
  }

  // One global order: most shared lowest, then least recently changed, then by id.
  const changed = (keys: string[]) => median(keys.map((k) => input.packages.get(k)?.changed ?? 0));
  // Budget to spare: an image's largest own packages get layers of their own, so an
  // update of one re-pulls it alone and an update of another does not re-pull it. Chosen
  // by size, ties by name, so a new build of a package keeps the split as it was.
  const final = groups();
  const used = new Map(names.map((n) => [n, 0]));
  for (const g of final) for (const i of g.images) used.set(i, used.get(i)! + 1);
  const split: typeof final = [];
  for (const g of final) {
    if (g.images.length !== 1) continue;
    const image = g.images[0]!;
    let free = budget.get(image)! - used.get(image)!;
    const pkgName = (k: string) => input.packages.get(k)?.name ?? k;
    const big = g.packages
      .filter((k) => size(k) >= SPLIT_MIN_BYTES)
      .sort((a, b) => size(b) - size(a) || cmp(pkgName(a), pkgName(b)));
    for (const k of big) {
      if (free <= 0 || g.packages.length <= 1) break;
      g.packages.splice(g.packages.indexOf(k), 1);
      split.push({ images: [image], packages: [k] });
      free--;
    }
  }
  // Two layers with the same packages (an image's own layer after trades can equal
  // another's) are one layer for both.
  const byId = new Map<string, PlannedLayer & { changed: number }>();
  for (const g of [...final, ...split]) {
    const packages = [...new Set(g.packages)].sort(cmp);
    const id = layerId(packages);
    const same = byId.get(id);
    if (same) {
      same.images = [...same.images, ...g.images].sort(cmp);
      continue;
    }
    byId.set(id, { id, packages, images: g.images, bytes: packages.reduce((s, k) => s + size(k), 0), changed: changed(packages) });
  }
  const layers = [...byId.values()];
  layers.sort((a, b) => b.images.length - a.images.length || a.changed - b.changed || cmp(a.id, b.id));

  const images: Record<string, string[]> = {};
  for (const n of names) images[n] = layers.filter((l) => l.images.includes(n)).map((l) => l.id);

  const layerOf = new Map<string, Map<string, PlannedLayer>>(); // image → package → layer
  for (const l of layers) {
    for (const i of l.images) {
      let m = layerOf.get(i);
      if (!m) layerOf.set(i, (m = new Map()));
      for (const k of l.packages) m.set(k, l);
    }
  }
  const perImage: Record<string, ImageFigures> = {};
  for (const img of input.images) {
    const t = top.get(img.name)!;
    // An update of any package rewrites the image's top layers too.
    const repull = [...new Set(img.packages)].map((k) => (layerOf.get(img.name)?.get(k)?.bytes ?? 0) + t.bytes);
    perImage[img.name] = {
      layers: images[img.name]!.length + t.layers,
      bytes: [...new Set(img.packages)].reduce((s, k) => s + size(k), 0) + t.bytes,
      topBytes: t.bytes,
      repullWorst: Math.max(0, ...repull),
      repullMedian: median(repull),
    };
  }
  const unique = new Set(input.images.flatMap((i) => i.packages));
  // Each image's top layers are its own: stored once per image, in every layout.
  const tops = [...top.values()].reduce((s, t) => s + t.bytes, 0);
  return {
    arch: input.arch,
    layers: layers.map(({ changed: _, ...l }) => l),
    images,
    traded,
    figures: {
      storedBytes: layers.reduce((s, l) => s + l.bytes, 0) + tops,
      sumOfImages: Object.values(perImage).reduce((s, f) => s + f.bytes, 0),
      floor: [...unique].reduce((s, k) => s + size(k), 0) + tops,
      images: perImage,
    },
  };
}
