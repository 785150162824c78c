// The layer planner's invariants over random image sets (seeded, so failures repeat).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planLayers, type ArchPlan, type PlanInput, type PlanPackage } from '../src/plan/index.js';

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInput(seed: number): PlanInput {
  const r = rng(seed);
  const nPkgs = 20 + Math.floor(r() * 300);
  const packages = new Map<string, PlanPackage>();
  for (let i = 0; i < nPkgs; i++) {
    const key = `sha256:${seed}-${i}`;
    packages.set(key, { key, name: `p${i}`, nevra: `p${i}-1-1.x86_64`, size: Math.floor(r() ** 3 * 50_000_000), changed: Math.floor(r() * 1e9) });
  }
  const keys = [...packages.keys()];
  // A "base" most images share, plus random extras: overlapping sets as real images have.
  const base = keys.filter(() => r() < 0.2);
  const images = Array.from({ length: 1 + Math.floor(r() * 12) }, (_, i) => ({
    name: `img${i}`,
    packages: [...new Set([...(r() < 0.8 ? base : []), ...keys.filter(() => r() < 0.15)])],
  }));
  return { arch: 'x86_64', images, packages, maxLayers: 1 + Math.floor(r() * 12) };
}

function imageContents(plan: ArchPlan, image: string): string[] {
  const byId = new Map(plan.layers.map((l) => [l.id, l]));
  return plan.images[image]!.flatMap((id) => byId.get(id)!.packages).sort();
}

describe('layer planner invariants (200 random composes)', () => {
  const seeds = Array.from({ length: 200 }, (_, i) => i + 1);

  test('every image holds exactly its resolved packages, each once, within its layer budget', () => {
    for (const seed of seeds) {
      const input = randomInput(seed);
      const plan = planLayers(input);
      for (const img of input.images) {
        const got = imageContents(plan, img.name);
        assert.deepEqual(got, [...new Set(img.packages)].sort(), `seed ${seed} ${img.name}`);
        assert.ok(plan.images[img.name]!.length <= input.maxLayers, `seed ${seed} ${img.name}: ${plan.images[img.name]!.length} layers > ${input.maxLayers}`);
      }
      // A layer lists exactly the images that use it.
      for (const l of plan.layers) {
        assert.deepEqual(l.images, Object.keys(plan.images).filter((i) => plan.images[i]!.includes(l.id)).sort(), `seed ${seed}`);
      }
    }
  });

  test('the same input gives the same plan, whatever the order of images and packages', () => {
    for (const seed of seeds.slice(0, 50)) {
      const input = randomInput(seed);
      const shuffled: PlanInput = {
        ...input,
        images: [...input.images].reverse().map((i) => ({ ...i, packages: [...i.packages].reverse() })),
        packages: new Map([...input.packages].reverse()),
      };
      assert.deepEqual(planLayers(shuffled), planLayers(input), `seed ${seed}`);
    }
  });

  test('layers keep one global order, so images share their common prefix', () => {
    for (const seed of seeds) {
      const plan = planLayers(randomInput(seed));
      const rank = new Map(plan.layers.map((l, i) => [l.id, i]));
      for (const ids of Object.values(plan.images)) {
        const ranks = ids.map((id) => rank.get(id)!);
        assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `seed ${seed}`);
      }
    }
  });

  test('an update of one package changes only the layers that hold it', () => {
    for (const seed of seeds) {
      const input = randomInput(seed);
      const before = planLayers(input);
      const target = [...input.packages.keys()].find((k) => input.images.some((i) => i.packages.includes(k)));
      if (!target) continue;
      // Same name, new build: new checksum (key) and size, same images.
      const bumped = `${target}-v2`;
      const packages = new Map(input.packages);
      packages.delete(target);
      packages.set(bumped, { ...input.packages.get(target)!, key: bumped, size: input.packages.get(target)!.size + 1 });
      const after = planLayers({ ...input, packages, images: input.images.map((i) => ({ ...i, packages: i.packages.map((k) => (k === target ? bumped : k)) })) });
      const changed = (p: ArchPlan) => new Set(p.layers.map((l) => l.id));
      const gone = [...changed(before)].filter((id) => !changed(after).has(id));
      const holders = before.layers.filter((l) => l.packages.includes(target)).map((l) => l.id);
      assert.deepEqual(gone.sort(), holders.sort(), `seed ${seed}`);
    }
  });

  test('figures: stored bytes between the floor and the sum of images; fewer stored bytes than one layer per image when images overlap', () => {
    for (const seed of seeds) {
      const plan = planLayers(randomInput(seed));
      const f = plan.figures;
      assert.ok(f.floor <= f.storedBytes && f.storedBytes <= f.sumOfImages, `seed ${seed}`);
      if (plan.traded.length === 0) assert.equal(f.storedBytes, f.floor, `seed ${seed}: no trade, so every package is stored once`);
    }
  });

  test('maxLayers out of range is refused', () => {
    assert.throws(() => planLayers({ ...randomInput(1), maxLayers: 121 }), /maxLayers must be 1\.\.120/);
  });
});

describe('layer planner policies on a worked example', () => {
  const MB = 1 << 20;
  // name → [size, build time]
  const pkgs: Record<string, [number, number]> = {
    base1: [10 * MB, 100],
    base2: [2 * MB, 200],
    ab: [5 * MB, 50],
    a1: [30 * MB, 300],
    a2: [3 * MB, 250],
    a3: [100_000, 400],
    b1: [500_000, 10],
    c1: [2 * MB, 20],
  };
  const input = (maxLayers: number): PlanInput => ({
    arch: 'x86_64',
    maxLayers,
    packages: new Map(Object.entries(pkgs).map(([n, [size, changed]]) => [`k-${n}`, { key: `k-${n}`, name: n, nevra: `${n}-1-1.x86_64`, size, changed }])),
    images: [
      { name: 'a', packages: ['base1', 'base2', 'ab', 'a1', 'a2', 'a3'].map((n) => `k-${n}`) },
      { name: 'b', packages: ['base1', 'base2', 'ab', 'b1'].map((n) => `k-${n}`) },
      { name: 'c', packages: ['base1', 'base2', 'c1'].map((n) => `k-${n}`) },
    ],
  });
  const names = (plan: ArchPlan) => plan.layers.map((l) => l.packages.map((k) => k.slice(2)).join('+'));
  const stack = (plan: ArchPlan, image: string) => {
    const byId = new Map(plan.layers.map((l) => [l.id, l.packages.map((k) => k.slice(2)).join('+')]));
    return plan.images[image]!.map((id) => byId.get(id)!);
  };

  test('order: most shared lowest, then least recently built; spare budget splits an image\u2019s own packages of 1 MiB or more, largest first', () => {
    const plan = planLayers(input(24));
    // a's own packages: a1 (30 MiB) and a2 (3 MiB) get layers of their own, a3 (100 kB) stays;
    // c1 is c's only own package, so it is its own layer already.
    assert.deepEqual(names(plan), ['base1+base2', 'ab', 'b1', 'c1', 'a2', 'a1', 'a3']);
    assert.deepEqual(stack(plan, 'a'), ['base1+base2', 'ab', 'a2', 'a1', 'a3']);
    assert.deepEqual(stack(plan, 'b'), ['base1+base2', 'ab', 'b1']);
    assert.deepEqual(stack(plan, 'c'), ['base1+base2', 'c1']);
    assert.deepEqual(plan.traded, []);
    assert.equal(plan.figures.images.a!.repullWorst, 30 * MB, 'an update of a1 re-pulls a1 alone');
  });

  test('the split takes only what the budget leaves: the largest own package first', () => {
    const plan = planLayers(input(4));
    assert.deepEqual(stack(plan, 'a'), ['base1+base2', 'ab', 'a1', 'a2+a3']);
  });

  test('over budget, an image gives up its cheapest shared layer and carries it in its own', () => {
    const plan = planLayers(input(2));
    assert.deepEqual(plan.traded, [{ image: 'a', packages: 1, bytes: 5 * MB, sharedWith: ['b'] }]);
    assert.deepEqual(stack(plan, 'a'), ['base1+base2', 'a1+a2+a3+ab']);
    assert.deepEqual(stack(plan, 'b'), ['base1+base2', 'ab+b1']);
    assert.deepEqual(stack(plan, 'c'), ['base1+base2', 'c1']);
  });

  test('an image’s own budget and its top layer (its rpm database): one planned layer less, and its bytes in every figure', () => {
    const base = input(24);
    const db = 300_000;
    const plan = planLayers({ ...base, images: base.images.map((i) => (i.name === 'a' ? { ...i, maxLayers: 5, top: { layers: 1, bytes: db } } : i)) });
    // a: 5 layers in all, so 4 planned: the split stops at a1, the largest.
    assert.deepEqual(stack(plan, 'a'), ['base1+base2', 'ab', 'a1', 'a2+a3']);
    const a = plan.figures.images.a!;
    assert.equal(a.layers, 5);
    assert.equal(a.topBytes, db);
    const without = planLayers({ ...base, images: base.images.map((i) => (i.name === 'a' ? { ...i, maxLayers: 4 } : i)) }).figures;
    assert.equal(a.bytes, without.images.a!.bytes + db);
    // Every update re-pulls the database too.
    assert.equal(a.repullWorst, 30 * MB + db);
    assert.equal(a.repullMedian, without.images.a!.repullMedian + db);
    assert.equal(plan.figures.storedBytes, without.storedBytes + db);
    assert.equal(plan.figures.floor, without.floor + db);
    assert.equal(plan.figures.images.b!.topBytes, 0);
    // A budget that leaves no layer for the packages is refused.
    assert.throws(() => planLayers({ ...base, images: base.images.map((i) => (i.name === 'a' ? { ...i, maxLayers: 1, top: { layers: 1, bytes: db } } : i)) }), /a: maxLayers must be 2\.\.120, got 1/);
  });
});
