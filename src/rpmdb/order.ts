// The order rpm installs a transaction's packages in (rpm 4.18 lib/order.c rpmtsOrder),
// which is the order of hnum in its database and of `rpm -qa`. Relations come from each
// package's Requires, Recommends, Suggests, Supplements, Enhances and OrderWithRequires
// satisfied inside the set (lib/rpmal.c); packages with no predecessors are queued by
// how many need them; dependency loops (strongly connected components) are entered
// where a prerequisite is furthest away. The input order is the order packages were
// added to the transaction: it breaks ties.
import { RpmHeader } from '../rpm/header.js';
import { Tag } from '../rpm/tags.js';
import { rpmvercmp } from '../rpm/version.js';
import { splitRich } from './rich.js';

const S = {
  less: 1 << 1,
  greater: 1 << 2,
  equal: 1 << 3,
  posttrans: 1 << 5,
  prereq: 1 << 6,
  pretrans: 1 << 7,
  interp: 1 << 8,
  pre: 1 << 9,
  post: 1 << 10,
  preun: 1 << 11,
  postun: 1 << 12,
  verify: 1 << 13,
  findRequires: 1 << 14,
  missingok: 1 << 19,
  rpmlib: 1 << 24,
  keyring: 1 << 26,
  config: 1 << 28,
  meta: 1 << 29,
} as const;
const SENSEMASK = 15;
const ALL_REQUIRES = S.interp | S.pre | S.post | S.preun | S.postun | S.verify | S.findRequires | S.rpmlib | S.keyring | S.pretrans | S.posttrans | S.prereq | S.meta | S.missingok;
const INSTALL_ONLY = S.pre | S.post | S.rpmlib | S.keyring | S.pretrans | S.posttrans;
const UNORDERED_ONLY = S.rpmlib | S.config | S.pretrans | S.posttrans | S.verify | S.meta;
const FORCE_ORDER_ONLY = S.pre | S.post | S.preun | S.postun;

const SENSE_FLAGS: Record<string, number> = {
  '<': S.less,
  '<=': S.less | S.equal,
  '=<': S.less | S.equal,
  '=': S.equal,
  '==': S.equal,
  '>=': S.greater | S.equal,
  '=>': S.greater | S.equal,
  '>': S.greater,
};

/** Dependency tags rpm orders by: [names, flags, versions, weak, reversed]. */
const ORDER_TAGS: [number, number, number, boolean, boolean][] = [
  [Tag.REQUIRENAME, Tag.REQUIREFLAGS, 1050, false, false],
  [Tag.RECOMMENDNAME, 5048, 5047, true, false],
  [Tag.SUGGESTNAME, 5051, 5050, true, false],
  [Tag.SUPPLEMENTNAME, 5054, 5053, true, true],
  [Tag.ENHANCENAME, 5057, 5056, true, true],
  [5035, 5037, 5036, false, false], // ORDERNAME, ORDERFLAGS, ORDERVERSION
];
const PROVIDEFLAGS = 1112;
const PROVIDEVERSION = 1113;
const HEADERCOLOR = 5017;
const FILECOLORS = 1140;

interface Dep {
  name: string;
  flags: number;
  evr: string;
}

interface Evr {
  e: string;
  v: string;
  r: string;
}

function parseEvr(s: string): Evr {
  const colon = s.indexOf(':');
  const e = colon >= 0 && /^\d*$/.test(s.slice(0, colon)) ? s.slice(0, colon) : '';
  const vr = colon >= 0 && e === s.slice(0, colon) ? s.slice(colon + 1) : s;
  const dash = vr.lastIndexOf('-');
  return { e, v: dash >= 0 ? vr.slice(0, dash) : vr, r: dash >= 0 ? vr.slice(dash + 1) : '' };
}

/** rpmdsCompare: whether two ranges overlap (an unversioned side overlaps everything). */
function overlaps(a: Dep, b: Dep): boolean {
  if (!(a.flags & SENSEMASK) || !(b.flags & SENSEMASK) || !a.evr || !b.evr) return true;
  const x = parseEvr(a.evr);
  const y = parseEvr(b.evr);
  let sense = rpmvercmp(x.e || '0', y.e || '0');
  if (sense === 0) sense = rpmvercmp(x.v, y.v);
  if (sense === 0 && x.r && y.r) sense = rpmvercmp(x.r, y.r);
  if (sense < 0) return !!(a.flags & S.greater) || !!(b.flags & S.less);
  if (sense > 0) return !!(a.flags & S.less) || !!(b.flags & S.greater);
  return (!!(a.flags & S.equal) && !!(b.flags & S.equal)) || (!!(a.flags & S.less) && !!(b.flags & S.less)) || (!!(a.flags & S.greater) && !!(b.flags & S.greater));
}

function deps(h: RpmHeader, nameTag: number, flagsTag: number, versionTag: number): Dep[] {
  const names = h.stringArray(nameTag) ?? [];
  const flags = h.numbers(flagsTag) ?? [];
  const versions = h.stringArray(versionTag) ?? [];
  return names.map((name, i) => ({ name, flags: flags[i] ?? 0, evr: versions[i] ?? '' }));
}

interface Node {
  at: number;
  color: number;
  /** Packages this one must come before (tsi_relations), newest first. */
  relations: { to: Node; flags: number }[];
  /** Packages that must come before this one (tsi_forward_relations), newest first. */
  forward: { to: Node; flags: number }[];
  /** Predecessors not yet placed (tsi_count). */
  count: number;
  /** Successors (tsi_qcnt). */
  qcnt: number;
  /** 0 not visited / collected, 1 trivial, ≥ 2 its SCC's number; negative while Tarjan runs. */
  scc: number;
  low: number;
  suc: Node | undefined;
}

/**
 * The install order of `headers` (main headers, in the order they are added to the
 * transaction) as indexes into it. `tscolor`/`prefcolor`: the transaction's colors
 * (3 and 2 on 64-bit arches, 0 and 0 on 32-bit).
 */
export function installOrder(headers: RpmHeader[], tscolor: number, prefcolor: number): number[] {
  const nodes: Node[] = headers.map((h, at) => ({
    at,
    // rpm colors a package by its dependencies' files (rpmteColorDS); the header's color,
    // the OR of its files' colors, is the same for packages whose ELF files carry deps.
    color: h.number(HEADERCOLOR) ?? 0,
    relations: [],
    forward: [],
    count: 0,
    qcnt: 0,
    scc: 0,
    low: 0,
    suc: undefined,
  }));
  const providers = providerIndex(headers, tscolor);
  const satisfies = (p: Node, dep: Dep): Node | undefined => {
    const found = providers(dep);
    if (!found.length) return undefined;
    // rpmalSatisfiesDepend: the preferred color, then the package itself, else the first.
    let best: number | undefined;
    let bestScore = 0;
    for (const i of found) {
      let score = 0;
      if (tscolor && prefcolor && nodes[i]!.color === prefcolor) score += 2;
      if (i === p.at) score += 1;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return nodes[best ?? found[0]!];
  };
  const addSingle = (p: Node, q: Node, dep: Dep, weak: boolean, reversed: boolean) => {
    let flags = dep.flags & INSTALL_ONLY;
    if ((dep.flags & ALL_REQUIRES) === S.prereq) flags |= S.pre;
    if (weak) flags = 0;
    if (reversed) [p, q] = [q, p];
    // Relation already recorded: only its flags grow.
    const last = reversed ? q.forward[0] : q.relations[0];
    if (last && last.to === p) {
      last.flags |= flags;
      const other = (reversed ? p.relations : p.forward).find((r) => r.to === q)!;
      other.flags |= flags;
      return;
    }
    p.count++;
    q.relations.unshift({ to: p, flags });
    q.qcnt++;
    p.forward.unshift({ to: q, flags });
  };
  const addRelation = (p: Node, dep: Dep, weak: boolean, reversed: boolean) => {
    if (dep.flags & UNORDERED_ONLY && !(dep.flags & FORCE_ORDER_ONLY)) return;
    if (dep.name.startsWith('(')) {
      const split = splitRich(dep.name);
      if (!split) return;
      const depflags = dep.flags & ~(SENSEMASK | S.missingok);
      const operand = (o: { name: string; sense: string; evr: string }): Dep => ({
        name: o.name,
        flags: (SENSE_FLAGS[o.sense] ?? 0) | depflags | (o.name.startsWith('rpmlib(') && o.name.length > 7 ? S.rpmlib : 0),
        evr: o.evr,
      });
      if (split.op !== 'else') addRelation(p, operand(split.left), weak, reversed);
      if ((split.op === 'and' || split.op === 'or') && split.right) addRelation(p, operand(split.right), weak, reversed);
      return;
    }
    const q = satisfies(p, dep);
    if (!q || q === p) return;
    addSingle(p, q, dep, weak, reversed);
  };
  headers.forEach((h, i) => {
    for (const [names, flags, versions, weak, reversed] of ORDER_TAGS) {
      for (const dep of deps(h, names, flags, versions)) addRelation(nodes[i]!, dep, weak, reversed);
    }
  });
  return tsort(nodes, prefcolor);
}

/** Which packages satisfy a dependency: files they hold (for a path), then what they provide, in add order. */
function providerIndex(headers: RpmHeader[], tscolor: number): (dep: Dep) => number[] {
  const provides = new Map<string, { at: number; dep: Dep }[]>();
  const files = new Map<string, number[]>();
  headers.forEach((h, at) => {
    for (const p of deps(h, Tag.PROVIDENAME, PROVIDEFLAGS, PROVIDEVERSION)) {
      const list = provides.get(p.name) ?? [];
      list.push({ at, dep: p });
      provides.set(p.name, list);
    }
    const base = h.stringArray(Tag.BASENAMES) ?? [];
    const dirs = h.stringArray(Tag.DIRNAMES) ?? [];
    const index = h.numbers(Tag.DIRINDEXES) ?? [];
    const colors = h.numbers(FILECOLORS) ?? [];
    base.forEach((b, i) => {
      // rpmalAddFiles: a colored file not in the transaction's rainbow provides nothing.
      if (tscolor && colors[i] && !(tscolor & colors[i]!)) return;
      const path = (dirs[index[i]!] ?? '') + b;
      const list = files.get(path) ?? [];
      if (!list.includes(at)) list.push(at);
      files.set(path, list);
    });
  });
  return (dep) => {
    if (dep.name.startsWith('/')) {
      const owners = files.get(dep.name);
      if (owners?.length) return owners;
    }
    const out: number[] = [];
    for (const p of provides.get(dep.name) ?? []) if (!out.includes(p.at) && overlaps(p.dep, dep)) out.push(p.at);
    return out;
  };
}

interface Scc {
  count: number;
  members: Node[];
}

/** order.c addQ: into the queue (head → tail) by successors, most first; among equals, after the others. */
function addQ(p: Node, queue: { head?: Node; tail?: Node }, prefcolor: number): void {
  p.suc = undefined;
  if (!queue.tail) {
    queue.head = queue.tail = p;
    return;
  }
  const tail = !!p.color && p.color !== prefcolor;
  let prev: Node | undefined;
  let q = queue.head;
  for (; q; prev = q, q = q.suc) {
    if (tail && p.color !== q.color) continue;
    if (q.qcnt <= p.qcnt) break;
  }
  if (!prev) {
    p.suc = q;
    queue.head = p;
  } else if (!q) {
    prev.suc = p;
    queue.tail = p;
  } else {
    p.suc = q;
    prev.suc = p;
  }
}

function tsort(nodes: Node[], prefcolor: number): number[] {
  const sccs = detectSccs(nodes);
  const order: number[] = [];
  const queue: { head?: Node; tail?: Node } = {};
  for (const p of nodes) if (p.count === 0) addQ(p, queue, prefcolor);
  for (let i = 2; i < sccs.length; i++) if (sccs[i]!.count === 0) addQ(sccs[i]!.members[0]!, queue, prefcolor);

  const collect = (q: Node, inner: { head?: Node; tail?: Node }, outer?: { head?: Node; tail?: Node }) => {
    order.push(q.at);
    for (const rel of q.relations) {
      const p = rel.to;
      if (p.scc === 0 || p === q) continue;
      if (--p.count === 0) {
        if (q.scc > 1 && q.scc !== p.scc) addQ(p, outer!, prefcolor);
        else addAfter(p, q, inner, prefcolor);
      }
      if (p.scc > 1 && p.scc !== q.scc && --sccs[p.scc]!.count === 0) {
        if (outer) addQ(p, outer, prefcolor);
        else addAfter(p, q, inner, prefcolor);
      }
    }
    q.scc = 0;
  };

  for (let q = queue.head; q; q = q.suc) {
    if (q.scc > 1) collectScc(q);
    else collect(q, queue);
  }
  // rpm asserts that every package was placed once; so does this, keeping the first place.
  const placed = [...new Set(order)];
  if (placed.length !== nodes.length) throw new Error(`install order placed ${placed.length} of ${nodes.length} packages`);
  return placed;

  /** Into the queue that follows `q` (order.c's `&q->tsi_suc`): what `q` frees comes right after it. */
  function addAfter(p: Node, q: Node, queue: { head?: Node; tail?: Node }, prefcolor: number): void {
    const rest = { head: q.suc, tail: q.suc ? queue.tail : undefined };
    addQ(p, rest, prefcolor);
    q.suc = rest.head;
    queue.tail = rest.tail;
  }

  function collectScc(p: Node): void {
    const scc = sccs[p.scc]!;
    const number = p.scc;
    const outer = { head: p.suc, tail: p.suc ? queue.tail : undefined };
    p.suc = undefined;
    dijkstra(scc, number);
    for (;;) {
      let best: Node | undefined;
      let bestScore = 0;
      for (const m of scc.members) {
        if (m.scc === 0) continue;
        if (m.low >= bestScore) {
          best = m;
          bestScore = m.low;
        }
      }
      if (!best) break;
      const inner: { head?: Node; tail?: Node } = {};
      addQ(best, inner, prefcolor);
      for (let q = inner.head; q; q = q.suc) collect(q, inner, outer);
    }
    p.suc = outer.head;
    queue.tail = outer.head ? outer.tail : p;
  }
}

/** Tarjan's strongly connected components; [0] and [1] unused (1 marks a trivial one), as order.c numbers them. */
function detectSccs(nodes: Node[]): Scc[] {
  const sccs: Scc[] = [{ count: 0, members: [] }, { count: 0, members: [] }];
  const stack: Node[] = [];
  let index = 0;
  const visit = (t: Node) => {
    index--;
    t.scc = index;
    t.low = index;
    stack.push(t);
    for (const rel of t.relations) {
      const q = rel.to;
      if (q.scc > 0) continue;
      if (q.scc === 0) {
        visit(q);
        t.low = Math.max(t.low, q.low);
      } else {
        t.low = Math.max(t.low, q.scc);
      }
    }
    if (t.low !== t.scc) return;
    if (stack.at(-1) === t) {
      stack.pop()!.scc = 1;
      return;
    }
    const number = sccs.length;
    const at = stack.lastIndexOf(t);
    const members = stack.slice(at);
    for (const m of members) m.scc = number;
    let count = 0;
    // order.c walks the members from the top of the stack down.
    for (const m of [...members].reverse()) {
      count += m.count;
      for (const rel of m.relations) if (rel.to !== m && rel.to.scc === number) count--;
    }
    sccs.push({ count, members });
    stack.length = at;
  };
  for (const n of nodes) if (n.scc === 0) visit(n);
  return sccs;
}

/** Distances from the members that have prerequisites inside the loop: the furthest is entered first. */
function dijkstra(scc: Scc, number: number): void {
  const queue: Node[] = [];
  for (const t of scc.members) {
    t.low = Number.MAX_SAFE_INTEGER;
    const rel = t.forward.find((r) => r.flags && r.to.scc === number);
    if (rel) {
      if (rel.to !== t) {
        t.low = 0;
        queue.push(t);
      } else {
        t.low = Math.floor(Number.MAX_SAFE_INTEGER / 2);
      }
    }
  }
  if (queue.length === 0) for (const t of scc.members) if (t.low !== Number.MAX_SAFE_INTEGER) queue.push(t);
  for (let i = 0; i < queue.length; i++) {
    const t = queue[i]!;
    for (const rel of t.forward) {
      const next = rel.to;
      if (next.scc !== number) continue;
      if (next.low > t.low + 1) {
        next.low = t.low + 1;
        queue.push(next);
      }
    }
  }
}
