// The plan stage: resolved sets → layer DAG (pure), and its renderings.
export { planLayers, layerId, MAX_LAYERS_LIMIT, SPLIT_MIN_BYTES } from './planner.js';
export { planDot, planMermaid } from './render.js';
export type * from './types.js';
