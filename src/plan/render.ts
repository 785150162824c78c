// The layer DAG as Graphviz dot or Mermaid: layers as nodes, each image's stack as a
// chain from its bottom layer to its name.
import { formatBytes } from '../bytes.js';
import type { ArchPlan } from './types.js';

interface Graph {
  nodes: { id: string; label: string; image: boolean }[];
  edges: [string, string][];
}

function graph(plans: ArchPlan[]): Graph {
  const g: Graph = { nodes: [], edges: [] };
  const seen = new Set<string>();
  for (const plan of plans) {
    const nodeOf = new Map(plan.layers.map((l, i) => [l.id, `${plan.arch}_L${i + 1}`]));
    plan.layers.forEach((l, i) => {
      g.nodes.push({ id: nodeOf.get(l.id)!, label: `${plan.arch} L${i + 1}: ${l.packages.length} packages, ${formatBytes(l.bytes)}`, image: false });
    });
    for (const [image, ids] of Object.entries(plan.images)) {
      const chain = [...ids.map((id) => nodeOf.get(id)!), `${plan.arch}_img_${image.replace(/[^A-Za-z0-9_]/g, '_')}`];
      g.nodes.push({ id: chain.at(-1)!, label: `${image} (${plan.arch})`, image: true });
      for (let i = 1; i < chain.length; i++) {
        const key = `${chain[i - 1]}>${chain[i]}`;
        if (seen.has(key)) continue;
        seen.add(key);
        g.edges.push([chain[i - 1]!, chain[i]!]);
      }
    }
  }
  return g;
}

export function planDot(plans: ArchPlan[]): string {
  const g = graph(plans);
  const lines = ['digraph layers {', '  rankdir=BT;', '  node [shape=box, fontname="monospace"];'];
  for (const n of g.nodes) lines.push(`  ${n.id} [label=${JSON.stringify(n.label)}${n.image ? ', shape=ellipse, style=bold' : ''}];`);
  for (const [a, b] of g.edges) lines.push(`  ${a} -> ${b};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

export function planMermaid(plans: ArchPlan[]): string {
  const g = graph(plans);
  const lines = ['graph BT'];
  for (const n of g.nodes) lines.push(`  ${n.id}${n.image ? `([${JSON.stringify(n.label)}])` : `[${JSON.stringify(n.label)}]`}`);
  for (const [a, b] of g.edges) lines.push(`  ${a} --> ${b}`);
  return lines.join('\n') + '\n';
}
