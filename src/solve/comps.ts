// comps groups (`@core`) and environments (`@^minimal-environment`), expanded to package
// names as `dnf install @group` does: mandatory and default packages.
import { ResolveError } from '../errors.js';

export interface CompsGroup {
  id: string;
  names: string[];
  /** Mandatory and default package names. */
  packages: string[];
}

export interface CompsEnvironment {
  id: string;
  names: string[];
  groups: string[];
}

export interface Comps {
  groups: Map<string, CompsGroup>;
  environments: Map<string, CompsEnvironment>;
}

type Node = Record<string, unknown[]>;
const text = (v: unknown): string => (typeof v === 'string' ? v : ((v as { _?: string })?._ ?? '')).trim();
const texts = (n: Node, key: string): string[] => (n[key] ?? []).map(text);

export async function parseComps(xml: string, origin: string): Promise<Comps> {
  let doc: { comps?: Node };
  try {
    const { parseStringPromise } = await import('xml2js');
    doc = await parseStringPromise(xml);
  } catch (err) {
    throw new ResolveError('SOLVE_COMPS', `${origin}: cannot parse comps: ${(err as Error).message}`, { cause: err });
  }
  const comps: Comps = { groups: new Map(), environments: new Map() };
  for (const g of (doc.comps?.group ?? []) as Node[]) {
    const id = texts(g, 'id')[0];
    if (!id) continue;
    const reqs = ((g.packagelist?.[0] as Node | undefined)?.packagereq ?? []) as { _: string; $?: { type?: string } }[];
    const packages = reqs.filter((r) => ['mandatory', 'default', undefined].includes(r.$?.type)).map(text);
    comps.groups.set(id, { id, names: texts(g, 'name'), packages });
  }
  for (const e of (doc.comps?.environment ?? []) as Node[]) {
    const id = texts(e, 'id')[0];
    if (!id) continue;
    const list = (key: string, onlyDefault: boolean) =>
      (((e[key]?.[0] as Node | undefined)?.groupid ?? []) as { _?: string; $?: { default?: string } }[])
        .filter((g) => !onlyDefault || g.$?.default === 'true')
        .map(text);
    comps.environments.set(id, { id, names: texts(e, 'name'), groups: [...list('grouplist', false), ...list('optionlist', true)] });
  }
  return comps;
}

export function mergeComps(all: Comps[]): Comps {
  const out: Comps = { groups: new Map(), environments: new Map() };
  for (const c of all) {
    for (const [id, g] of c.groups) {
      const prev = out.groups.get(id);
      out.groups.set(id, prev ? { ...prev, packages: [...new Set([...prev.packages, ...g.packages])] } : g);
    }
    for (const [id, e] of c.environments) if (!out.environments.has(id)) out.environments.set(id, e);
  }
  return out;
}

function find<T extends { id: string; names: string[] }>(map: Map<string, T>, key: string): T | undefined {
  const k = key.toLowerCase();
  return map.get(key) ?? [...map.values()].find((v) => v.id.toLowerCase() === k || v.names.some((n) => n.toLowerCase() === k));
}

/** Package names of `@group` or `@^environment`; undefined when no such group. */
export function expandGroup(comps: Comps, spec: string): string[] | undefined {
  if (spec.startsWith('@^')) {
    const env = find(comps.environments, spec.slice(2));
    if (!env) return undefined;
    return [...new Set(env.groups.flatMap((g) => comps.groups.get(g)?.packages ?? []))];
  }
  const group = find(comps.groups, spec.slice(1));
  return group?.packages;
}
